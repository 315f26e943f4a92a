"""`python -m squadboard serve`: an organisation's first deployment on one machine (issue #19).

N `streamlit run app.py` processes and, with more than one, Debian's nginx in front of them
with sticky sessions (deploy/nginx.conf.template, started by squadboard/bench/replicas.py). It
runs in the foreground: it says where to go, the processes' ports and where the logs are once
every process and the proxy answer /_stcore/health, and stops them all on Ctrl-C or SIGTERM. If
one of them ends on its own it stops the others and exits 1, so a service manager (systemd's
Restart=on-failure) starts the whole set again.

An embedded DuckDB file has one process at a time, so several processes need the shared store
(`ducklake:...` as --db or SQUADBOARD_DB, docs/deploy.md), whose text every process gets as it
is; a file path is refused with one line saying so.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from squadboard import db
from squadboard.bench import replicas
from squadboard.store import is_lake_target

MAX_PROCESSES = 64
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Refused(ValueError):
    """`serve` cannot start as asked: one line saying what to change."""


class Stopped(BaseException):
    """Ctrl-C, SIGTERM or SIGHUP: stop every process (a BaseException, as KeyboardInterrupt,
    so that no `except Exception` on the way swallows it)."""


def store_text(db_arg: str | None) -> str:
    """The store every process serves: --db, else SQUADBOARD_DB, else the default file."""
    return db_arg or os.environ.get("SQUADBOARD_DB") or str(db.DEFAULT_DB)


def shown(store: str) -> str:
    """A store's text for the screen and logs, without a password."""
    return re.sub(r"password=\S+", "password=***", store)


def plan(processes: int, db_arg: str | None, host: str, port: int) -> list[str]:
    """What each process serves, or Refused saying why it cannot start."""
    if not 1 <= processes <= MAX_PROCESSES:
        raise Refused(f"--processes takes 1 to {MAX_PROCESSES}, not {processes}")
    if not 1 <= port <= 65535:
        raise Refused(f"--port takes 1 to 65535, not {port}")
    store = store_text(db_arg)
    if is_lake_target(store):
        if processes > 1 and shutil.which("nginx") is None:
            raise Refused("several processes need nginx in front (apt-get install nginx)")
        _check_port(host, port)
        return [store] * processes
    if processes > 1:
        raise Refused(
            f"{processes} processes need the shared store: a DuckDB file ({store}) is opened by "
            "one process at a time; give --db 'ducklake:postgres:...' (or set SQUADBOARD_DB, "
            "see docs/deploy.md), or serve the file with --processes 1"
        )
    # the app runs in the project folder: a relative path means the one from here
    path = Path(store).expanduser().resolve()
    try:
        db.check_database_file(path)
    except db.NotSquadboard as exc:
        raise Refused(str(exc)) from None
    except duckdb.IOException:
        raise Refused(
            f"{path} is open in another process (a dashboard, an import?): a DuckDB file is "
            "opened by one process at a time; stop that one first"
        ) from None
    _check_port(host, port)
    return [str(path)]


def _check_port(host: str, port: int) -> None:
    """Refuse a port something already listens on (or an address this machine does not have)
    before any process starts, in words, instead of a process that ends at once."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx and Tornado
            probe.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise Refused(f"cannot listen on {host} port {port}: {reason}; choose another --port "
                      "(or --host)") from None  # fmt: skip


def describe(
    served: replicas.Replicas, host: str, port: int, log_dir: Path, store: str
) -> list[str]:
    """What `serve` prints once everything answers: where to go, what runs where, the logs."""
    name, where = host, ""
    if host in ("0.0.0.0", "::", ""):  # every interface: this machine's name is what people type
        name, where = socket.getfqdn(), " (on every interface)"
        name = socket.gethostname() if name.startswith("localhost") else name
    lines = [
        f"Squadboard is up: http://{replicas.listen_address(name, port)}{where}",
        f"  store       {shown(store)}",
    ]
    if served.proxy is not None:
        lines.append(f"  proxy       nginx on {replicas.listen_address(host, port)}, sticky sessions "
                     f"(pid {served.proxy.pid}, log {log_dir / 'nginx' / 'error.log'})")  # fmt: skip
    app_host = "127.0.0.1" if served.proxy is not None else host
    for i, process in enumerate(served.processes):
        lines.append(f"  process {i + 1:<3} {replicas.listen_address(app_host, served.ports[i])} "
                     f"(pid {process.pid}, log {log_dir / f'app-{i}.log'})")  # fmt: skip
    lines.append("Ctrl-C or SIGTERM stops them all.")
    return lines


def run(
    databases: list[str | Path],
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_dir: Path | None = None,
    env: dict[str, str] | None = None,
    echo: Callable[[str], None] = lambda line: print(line, flush=True),
    warn: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> int:
    """Serve until a stop signal (exit 0) or until a process ends on its own (exit 1).
    `databases` is one store per process: `plan`'s answer, or copies of a file (tests)."""
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="squadboard-serve-")).resolve()
    n = len(databases)

    def stop(signum, _frame):
        for sig in STOP_SIGNALS:  # a second Ctrl-C must not cut the stopping short
            signal.signal(sig, signal.SIG_IGN)
        raise Stopped(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    echo(f"starting {n} app process{'es' if n > 1 else ''}"
         f"{' and nginx' if n > 1 else ''}; logs in {log_dir}")  # fmt: skip
    try:
        with replicas.serve(databases, host=host, port=port, env=env, log_dir=log_dir) as served:
            for line in describe(served, host, port, log_dir, str(databases[0])):
                echo(line)
            while True:
                for i, process in enumerate(served.processes):
                    if process.poll() is not None:
                        warn(f"error: app process {i + 1} ended (exit {process.returncode}); "
                             f"see {log_dir / f'app-{i}.log'}. Stopping the others.")  # fmt: skip
                        return 1
                if served.proxy is not None and served.proxy.poll() is not None:
                    warn(f"error: nginx ended (exit {served.proxy.returncode}); see "
                         f"{log_dir / 'nginx' / 'error.log'}. Stopping the app processes.")  # fmt: skip
                    return 1
                time.sleep(0.5)
    except Stopped as signal_name:
        echo(f"{signal_name}: stopped every process{' and nginx' if n > 1 else ''}.")
        return 0
    except (RuntimeError, TimeoutError) as failed:  # a process ended or was silent at start
        warn(f"error: {failed}; see the logs in {log_dir}. Nothing is left running.")
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
