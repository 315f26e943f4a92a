"""`python -m squadboard serve` (issue #19) run as a person runs it: a real command in a
subprocess, real `streamlit run app.py` processes, Debian's nginx in front of several; what it
prints, what answers, and that Ctrl-C, SIGTERM, a dying process or a killed supervisor leave no
streamlit and no nginx behind. Several processes need the shared store, whose text every process
gets as it is: the health checks, routing and signals are checked with such a text (the
processes answer /_stcore/health before any page opens the store); pages through the proxy on
real data are tests/browser/test_replicas_browser.py and tests/test_load_driver.py."""

from __future__ import annotations

import base64
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from squadboard import db, demo
from squadboard.bench import load, replicas
from squadboard.cli import main
from tests.conftest import TODAY

needs_nginx = pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)"
)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The demo organisation in a DuckDB file, whatever store the rest of the suite runs on:
    one process serving a file is what these tests are about."""
    path = tmp_path_factory.mktemp("serve") / "demo.duckdb"
    connection = db.connect(path)
    demo.load(connection, seed=7, today=TODAY)
    connection.close()
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    path = tmp_path / "squadboard.duckdb"
    shutil.copyfile(demo_db, path)
    return path


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found |= {child, *_descendants(child)}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: set[int], seconds: float = 30.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(_alive, pids)):
        time.sleep(0.2)
    return {pid for pid in pids if _alive(pid)}


class Serve:
    """`python -m squadboard serve ARGS` in a subprocess; reads its output until it is up."""

    def __init__(self, args: list[str], tmp_path: Path, env: dict[str, str] | None = None):
        environment = os.environ | {"SQUADBOARD_TODAY": TODAY.isoformat()} | (env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "squadboard", "serve", "--log-dir", str(tmp_path / "logs"),
             *args],
            cwd=db.ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._read: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self) -> None:
        for line in self.process.stdout:
            self._read.put(line.rstrip("\n"))
        self._read.put(None)

    def read_until(self, text: str, seconds: float = 120.0) -> list[str]:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._read.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return self.lines
        raise AssertionError(f"no {text!r} from serve:\n" + "\n".join(self.lines))

    def finish(self, seconds: float = 60.0) -> tuple[int, str]:
        self.process.wait(timeout=seconds)
        while (line := self._read.get(timeout=10)) is not None:
            self.lines.append(line)
        return self.process.returncode, "\n".join(self.lines)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def serve(tmp_path):
    started: list[Serve] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Serve:
        started.append(Serve(list(args), tmp_path, env))
        return started[-1]

    yield start
    for run in started:  # a failed test leaves nothing running either
        children = _descendants(run.process.pid)
        if run.process.poll() is None:
            run.process.terminate()
            try:
                run.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                run.kill()
        for pid in _wait_gone(children, 20):
            os.kill(pid, signal.SIGKILL)


def _get(url: str, route: str | None = None):
    request = urllib.request.Request(f"{url}/_stcore/health")
    if route:
        request.add_header("Cookie", f"{load.ROUTE_COOKIE}={route}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.headers


def _port() -> int:
    return replicas.free_port()


def _environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode().split("=", 1) for p in pairs if b"=" in p)


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def _websocket_handshake(port: int, host: str) -> str:
    """The status line nginx answers a browser's websocket request to /_stcore/stream with, the
    page having been opened as http://HOST:PORT (so Origin and Host name that, as a browser's)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        key = base64.b64encode(os.urandom(16)).decode()
        connection.sendall(
            f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{host}:{port}\r\n\r\n".encode()
        )
        return connection.recv(4096).decode(errors="replace").split("\r\n")[0]


def _is_nginx(pid: int) -> bool:
    return "nginx" in Path(f"/proc/{pid}/comm").read_text()


# --- refused before anything starts -----------------------------------------------------------


@pytest.mark.parametrize("where", ["--db", "SQUADBOARD_DB", "default"])
def test_several_processes_on_a_database_file_are_refused_in_one_line(
    where, demo_copy, monkeypatch, capsys
):
    args = ["serve", "--processes", "2", "--port", str(_port())]
    monkeypatch.delenv("SQUADBOARD_DB", raising=False)
    if where == "--db":
        args += ["--db", str(demo_copy)]
    elif where == "SQUADBOARD_DB":
        monkeypatch.setenv("SQUADBOARD_DB", str(demo_copy))
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: 2 processes need the shared store")
    assert "ducklake:" in err and "SQUADBOARD_DB" in err and "docs/deploy.md" in err
    if where != "default":
        assert str(demo_copy) in err


def test_a_file_that_is_not_a_database_or_a_port_in_use_is_refused_in_words(
    demo_copy, tmp_path, capsys
):
    not_a_database = tmp_path / "deals.csv"
    not_a_database.write_text("deal_id,amount\nD1,100\n")
    assert main(["serve", "--db", str(not_a_database), "--port", str(_port())]) == 2
    assert "is not a Squadboard database" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--db", str(demo_copy), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot listen on 127.0.0.1 port {port}")
    assert "choose another --port" in err and len(err.strip().splitlines()) == 1
    assert main(["serve", "--db", str(demo_copy), "--processes", "0"]) == 2
    assert "--processes takes 1 to" in capsys.readouterr().err


def test_a_database_file_another_process_has_open_is_refused_in_words(demo_copy, capsys):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(demo_copy)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        assert main(["serve", "--db", str(demo_copy), "--port", str(_port())]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert err.startswith(f"error: {demo_copy} is open in another process")
    assert len(err.strip().splitlines()) == 1


def test_a_relative_database_path_means_the_one_from_where_serve_is_run(demo_copy, monkeypatch):
    # the app processes run in the project folder; the path must not change meaning there
    from squadboard import deploy

    monkeypatch.chdir(demo_copy.parent)
    assert deploy.plan(1, demo_copy.name, "127.0.0.1", _port()) == [str(demo_copy)]
    lake = "ducklake:postgres:host=db.internal dbname=squadboard"
    assert deploy.plan(3, lake, "127.0.0.1", _port()) == [lake] * 3 or shutil.which("nginx") is None
    assert deploy.shown("ducklake:postgres:host=x password=s3cret") == (
        "ducklake:postgres:host=x password=***"
    )


# --- real processes ---------------------------------------------------------------------------


def test_one_process_serves_the_file_itself_and_ctrl_c_stops_it(serve, demo_copy):
    port = _port()
    run = serve("--db", str(demo_copy), "--port", str(port))
    lines = run.read_until("Ctrl-C or SIGTERM stops them all.")
    url = f"http://127.0.0.1:{port}"
    assert f"Squadboard is up: {url}" in lines
    assert any(line.split() == ["store", str(demo_copy)] for line in lines)
    assert not any("nginx" in line for line in lines)  # one process: no proxy
    status, headers = _get(url)
    assert status == 200 and headers["X-Squadboard-Upstream"] is None
    children = _descendants(run.process.pid)
    assert len(children) == 1 and not any(map(_is_nginx, children))
    # it serves the file: a tab opens the Squads page on the demo organisation
    [view] = load.run_sessions(url, 1, ["squads"], change_widget=False, timeout=120)
    assert view.error is None and view.title.startswith("Squads")

    run.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    code, out = run.finish()
    assert code == 0 and "SIGINT: stopped every process." in out
    assert _wait_gone(children) == set()


LAKE = "ducklake:postgres:host=127.0.0.1 port=1 dbname=squadboard_test user=squadboard"


@needs_nginx
def test_two_processes_behind_nginx_get_the_store_text_and_sigterm_stops_everything(
    serve, tmp_path
):
    port = _port()
    run = serve("--processes", "2", "--db", LAKE, "--port", str(port))
    lines = run.read_until("Ctrl-C or SIGTERM stops them all.")
    url = f"http://127.0.0.1:{port}"
    assert f"Squadboard is up: {url}" in lines
    assert any(line.strip().startswith(f"proxy       nginx on 127.0.0.1:{port}") for line in lines)
    app_ports = [int(line.split()[2].rsplit(":", 1)[1]) for line in lines if "process " in line]
    assert len(app_ports) == 2 and port not in app_ports

    children = _descendants(run.process.pid)
    apps = {pid for pid in children if not _is_nginx(pid)}
    nginx = {pid for pid in children if _is_nginx(pid)}
    assert len(apps) == 2 and len(nginx) == 2  # nginx's master and its worker
    for pid in apps:  # the store's text, exactly as given (the lead's store opens it)
        assert _environ(pid)["SQUADBOARD_DB"] == LAKE
        # behind the proxy a process listens on the loopback only
        assert _cmdline(pid)[_cmdline(pid).index("--server.address") + 1] == "127.0.0.1"
    # nginx keeps its pid, logs and temporary files in the log folder (no root, nothing in /var)
    master = min(nginx)
    assert str(tmp_path / "logs" / "nginx") in " ".join(_cmdline(master))
    assert (tmp_path / "logs" / "nginx" / "nginx.pid").read_text().strip() == str(master)

    # the proxy answers; one route reaches one process, routes spread over both
    status, headers = _get(url, "one-browser")
    assert status == 200
    assert {_get(url, "one-browser")[1]["X-Squadboard-Upstream"] for _ in range(5)} == {
        headers["X-Squadboard-Upstream"]
    }
    reached = {_get(url, f"browser-{n}")[1]["X-Squadboard-Upstream"] for n in range(30)}
    assert reached == {f"127.0.0.1:{p}" for p in app_ports}
    # a browser that opened the proxy by a name and a port gets its websocket (with the Host
    # passed on without its port, Streamlit refused it: 403)
    assert _websocket_handshake(port, "squadboard.test") == "HTTP/1.1 101 Switching Protocols"

    run.process.send_signal(signal.SIGTERM)
    code, out = run.finish()
    assert code == 0 and "SIGTERM: stopped every process and nginx." in out
    assert _wait_gone(children) == set()
    assert not (tmp_path / "logs" / "nginx" / "nginx.pid").exists()  # nginx stopped cleanly
    with pytest.raises(OSError):
        _get(url)


@needs_nginx
def test_ctrl_c_while_the_processes_start_leaves_nothing_behind(serve):
    run = serve("--processes", "2", "--db", LAKE, "--port", str(_port()))
    run.read_until("starting 2 app processes and nginx")
    deadline = time.monotonic() + 30
    while len(children := _descendants(run.process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(children) >= 2
    run.process.send_signal(signal.SIGINT)  # before they answer their health checks
    code, out = run.finish()
    assert code == 0 and "SIGINT: stopped" in out and "is up" not in out
    assert _wait_gone(children) == set()


@needs_nginx
def test_a_process_that_dies_stops_the_others_and_exits_1(serve):
    run = serve("--processes", "2", "--db", LAKE, "--port", str(_port()))
    run.read_until("Ctrl-C or SIGTERM stops them all.")
    children = _descendants(run.process.pid)
    [first, *_] = sorted(pid for pid in children if not _is_nginx(pid))
    os.kill(first, signal.SIGKILL)
    code, out = run.finish()
    assert code == 1
    assert "error: app process 1 ended (exit -9)" in out and "app-0.log" in out
    assert _wait_gone(children) == set()


@pytest.mark.skipif(replicas.SETPRIV is None, reason="util-linux's setpriv is not installed")
def test_a_killed_supervisor_leaves_no_process_behind(serve, demo_copy):
    run = serve("--db", str(demo_copy), "--port", str(_port()))
    run.read_until("Ctrl-C or SIGTERM stops them all.")
    children = _descendants(run.process.pid)
    assert children
    run.process.kill()  # SIGKILL: no handler runs; the parent-death signal stops the app
    run.process.wait()
    assert _wait_gone(children) == set()


@needs_nginx
def test_nginx_with_the_template_runs_without_root(tmp_path):
    """The proxy as an unprivileged user (dropped to `nobody` when the tests run as root): it
    starts, routes to the app and keeps its pid, logs and temporary files in its own folder."""
    import http.server
    import pwd

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    prefix = Path(tempfile.mkdtemp(prefix="squadboard-nginx-"))  # /tmp: reachable by anyone
    port = _port()
    conf = prefix / "nginx.conf"
    conf.write_text(replicas.nginx_config(prefix, f"127.0.0.1:{port}", [upstream.server_port]))
    command = [replicas.NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)]
    if os.geteuid() == 0:
        if replicas.SETPRIV is None:
            pytest.skip("running as root without util-linux's setpriv to drop to nobody")
        nobody = pwd.getpwnam("nobody")
        os.chown(prefix, nobody.pw_uid, nobody.pw_gid)
        command = [replicas.SETPRIV, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                   "--clear-groups", *command]  # fmt: skip
    proxy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        replicas.wait_ready(f"http://127.0.0.1:{port}", timeout=30, process=proxy)
        status, headers = _get(f"http://127.0.0.1:{port}", "someone")
        assert status == 200
        assert headers["X-Squadboard-Upstream"] == f"127.0.0.1:{upstream.server_port}"
        uid = int(Path(f"/proc/{proxy.pid}/status").read_text().split("Uid:")[1].split()[0])
        assert uid != 0
        assert (prefix / "nginx.pid").read_text().strip() == str(proxy.pid)
        assert {"client_body", "proxy", "error.log"} <= {p.name for p in prefix.iterdir()}
    finally:
        proxy.terminate()
        output, _ = proxy.communicate(timeout=30)
        upstream.shutdown()
        shutil.rmtree(prefix, ignore_errors=True)
    assert "emerg" not in output and "alert" not in output, output  # e.g. no /var/log/nginx


def test_on_every_interface_it_gives_this_machines_name_not_a_wildcard(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from squadboard import deploy

    monkeypatch.setattr(socket, "getfqdn", lambda: "squadboard.internal")
    served = replicas.Replicas(
        url="http://127.0.0.1:8080",
        ports=[41001, 41002],
        processes=[SimpleNamespace(pid=11), SimpleNamespace(pid=12)],
        proxy=SimpleNamespace(pid=10),
    )
    lines = deploy.describe(served, "0.0.0.0", 8080, tmp_path, "ducklake:postgres:password=x")
    assert lines[0] == "Squadboard is up: http://squadboard.internal:8080 (on every interface)"
    assert lines[1].split() == ["store", "ducklake:postgres:password=***"]
    assert "nginx on 0.0.0.0:8080" in lines[2]
    assert "127.0.0.1:41002 (pid 12" in lines[4]  # behind the proxy: the loopback only
