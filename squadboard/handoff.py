"""The dashboard runs a command-line import or query for you (the embedded store, issue #18).

A DuckDB file has one process at a time: while the dashboard has `data/squadboard.duckdb` open,
a second process cannot open it, not even read-only. So the dashboard process listens on a
Unix socket of its own, named after the file, and `python -m squadboard import` or `query`,
finding the file held by a running dashboard, hands its command line over: the dashboard runs
it on its own connection (a cursor of its own, the same SQL and checks as the command would
run) and sends the output back line by line; the command exits with the same status. A
nightly import from cron therefore runs while the dashboard stays up, and every session of it
shows the import as soon as it commits (the data version every cache keys on changes).

Only the user the dashboard runs as may hand it a command: the socket sits in a folder only
that user can enter, and the peer's user id is checked on every connection. Only `import`
(with `--undo`) and `query` are taken; paths are resolved against the caller's folder.
Set SQUADBOARD_HANDOFF=0 to switch it off (the command then says the file is busy).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import socketserver
import stat
import struct
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

COMMANDS = ("import", "query")  # what a dashboard runs for the command line
_PEERCRED = struct.Struct("3i")  # pid, uid, gid (Linux SO_PEERCRED)


def enabled() -> bool:
    return os.environ.get("SQUADBOARD_HANDOFF", "1") != "0"


def socket_path(database: str | Path) -> Path:
    """Where the dashboard holding `database` listens: one socket per file (by its real
    path), in a folder of the user's own. Short enough for a Unix socket's 108 bytes."""
    real = os.path.realpath(str(database))
    name = hashlib.sha256(real.encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"squadboard-{os.getuid()}" / f"{name}.sock"


def _private_folder(folder: Path) -> None:
    """Make `folder` ours alone (0700), or refuse: someone else's folder there could be a trap."""
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{folder} is not a folder of this user's own")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)


# The dashboard's side ---------------------------------------------------------------------

Runner = Callable[[list[str], str, "Stream", "Stream"], int]


class Gone(Exception):
    """The dashboard no longer holds the file: the command is to open it itself."""


class Stream:
    """A text stream whose writes go to the caller as JSON lines ({"out": ...} / {"err": ...})."""

    def __init__(self, send: Callable[[dict], None], kind: str):
        self.send, self.kind = send, kind

    def write(self, text: str) -> int:
        if text:
            self.send({self.kind: text})
        return len(text)

    def flush(self) -> None:
        pass


class _ThreadStreams:
    """sys.stdout / sys.stderr of the dashboard process: writes of a thread that runs a handed
    command go to its caller, every other thread's to the real stream as before."""

    local = threading.local()

    def __init__(self, real, kind: str):
        self.real, self.kind = real, kind

    def _target(self):
        return getattr(self.local, self.kind, None) or self.real

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str):
        return getattr(self.real, name)


_INSTALL = threading.Lock()


def _install_streams() -> None:
    with _INSTALL:
        if not isinstance(sys.stdout, _ThreadStreams):
            sys.stdout = _ThreadStreams(sys.stdout, "out")
        if not isinstance(sys.stderr, _ThreadStreams):
            sys.stderr = _ThreadStreams(sys.stderr, "err")


@contextlib.contextmanager
def redirected(out: Stream, err: Stream):
    """This thread's prints go to out and err (the caller's terminal) while inside."""
    _install_streams()
    local = _ThreadStreams.local
    local.out, local.err = out, err
    try:
        yield
    finally:
        local.out = local.err = None


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        def send(message: dict) -> None:
            self.wfile.write(json.dumps(message).encode() + b"\n")
            self.wfile.flush()

        creds = self.request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
        _, uid, _ = _PEERCRED.unpack(creds)
        if uid != os.getuid():
            send({"err": "error: only the user the dashboard runs as may hand it commands\n"})
            send({"rc": 2})
            return
        try:
            request = json.loads(self.rfile.readline(1 << 20))
            argv, cwd = request["argv"], request["cwd"]
            if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)):
                raise ValueError("argv")
            if not isinstance(cwd, str) or not os.path.isabs(cwd):
                raise ValueError("cwd")
        except (ValueError, KeyError, TypeError):
            send({"err": "error: not a Squadboard command\n"})
            send({"rc": 2})
            return
        with self.server.turn:  # one handed command at a time
            try:
                rc = self.server.runner(argv, cwd, Stream(send, "out"), Stream(send, "err"))
            except BrokenPipeError:
                return  # the caller went away; its command ran (or was refused) all the same
            except Gone:
                send({"gone": True})  # the caller runs the command itself
                _stop(self.server)
                return
        send({"rc": rc})


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, runner: Runner):
        self.runner = runner
        self.turn = threading.Lock()
        super().__init__(path, _Handler)


_SERVING: dict[str, _Server] = {}


def serve(database: str | Path, runner: Runner) -> Path | None:
    """Listen for handed commands for `database` in a thread of this process (once per file);
    the socket's path back, or None when handing over is off or the socket cannot be made."""
    if not enabled():
        return None
    path = socket_path(database)
    key = str(path)
    with _INSTALL:
        if key in _SERVING:
            _SERVING[key].runner = runner  # the file opened again: serve the new connection
            return path
        try:
            _private_folder(path.parent)
            if path.exists() or path.is_symlink():
                path.unlink()  # left by a dashboard that stopped; this process holds the file now
            server = _Server(key, runner)
            os.chmod(key, 0o600)
        except OSError as exc:
            print(f"squadboard: command-line hand-over is off: {exc}", file=sys.stderr)
            return None
        _SERVING[key] = server
    threading.Thread(target=server.serve_forever, name="squadboard-handoff", daemon=True).start()
    return path


def _stop(server: _Server) -> None:
    """Stop listening (the socket goes too), from a handler thread."""
    with _INSTALL:
        for key, serving in list(_SERVING.items()):
            if serving is server:
                del _SERVING[key]
                with contextlib.suppress(OSError):
                    os.unlink(key)
    threading.Thread(target=server.shutdown, daemon=True).start()


# The command line's side ------------------------------------------------------------------


def forward(database: str | Path, argv: list[str], cwd: str) -> int | None:
    """Hand `argv` to the dashboard that holds `database` and relay its output; its exit
    status back. None when no dashboard listens for that file (run the command here)."""
    if not enabled():
        return None
    path = socket_path(database)
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None  # a socket left by a dashboard that stopped
    try:
        with sock, sock.makefile("rwb") as stream:
            stream.write(json.dumps({"argv": argv, "cwd": cwd}).encode() + b"\n")
            stream.flush()
            for line in stream:
                message = json.loads(line)
                if "out" in message:
                    sys.stdout.write(message["out"])
                elif "err" in message:
                    sys.stderr.write(message["err"])
                elif "rc" in message:
                    sys.stdout.flush()
                    return int(message["rc"])
                elif message.get("gone"):
                    return None  # that dashboard has let the file go
    except OSError:
        pass
    print(
        "error: the dashboard stopped while running the command; an import is all or nothing: "
        "`python -m squadboard query import_history` says whether it was written",
        file=sys.stderr,
    )
    return 1
