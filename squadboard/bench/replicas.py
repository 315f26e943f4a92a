"""N Squadboard app processes behind nginx on this machine (issue #19): for the load test, the
capacity figures and an organisation's first deployment (`python -m squadboard serve`,
squadboard/deploy.py).

Every process is `streamlit run app.py` on a port of its own; nginx (Debian's package) listens
in front with the sticky-session configuration of deploy/nginx.conf.template, run as whoever
runs this (its pid file, logs and temporary files in the log folder, nothing under /var). With
one process no proxy is started. An embedded DuckDB file has one process at a time: several
processes need a database each (`databases`, for read-only measurements) or the shared store.
Children are stopped on leaving; where util-linux's `setpriv` exists they also get SIGTERM if
this process dies without stopping them (parent-death signal), so none is left behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from squadboard import db

TEMPLATE = db.ROOT / "deploy" / "nginx.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SETPRIV = shutil.which("setpriv")
MAX_UPLOAD = "200m"  # .streamlit/config.toml server.maxUploadSize (MB)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_config(prefix: Path, listen: str, ports: list[int]) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in ports)
    values = {"prefix": str(prefix), "listen": listen, "servers": servers, "max_body": MAX_UPLOAD}
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def listen_address(host: str, port: int) -> str:
    """nginx's `listen` value: an IPv6 address goes in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def local_url(host: str, port: int) -> str:
    """Where this machine reaches a server listening on `host` (a wildcard: the loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{listen_address(host, port)}"


def _child(command: list[str]) -> list[str]:
    """`command`, so that the child gets SIGTERM if this process dies (setpriv --pdeathsig)."""
    return [SETPRIV, "--pdeathsig", "TERM", "--", *command] if SETPRIV else command


def wait_ready(url: str, timeout: float = 120.0, process: subprocess.Popen | None = None) -> None:
    """Until `url`/_stcore/health answers 200 (through the proxy too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process for {url} ended (exit {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} was not ready within {timeout:.0f} s")


@dataclass
class Replicas:
    url: str  # where a browser goes: the proxy, or the one process
    ports: list[int]
    processes: list[subprocess.Popen] = field(default_factory=list)
    proxy: subprocess.Popen | None = None

    @property
    def app_pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    @property
    def pids(self) -> list[int]:
        """Every process that serves a view (the apps and the proxy): whose CPU time counts."""
        return self.app_pids + ([self.proxy.pid] if self.proxy else [])


@contextmanager
def serve(
    databases: list[Path | str],
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    proxy: bool | None = None,
    options: dict[str, str] | None = None,
):
    """One app process per database (a file path, or a shared store's text passed as it is),
    and nginx in front when there are several (or `proxy`), listening on `host`:`port` (a free
    port if none); the app processes listen on the loopback only, but a lone process without a
    proxy listens on `host`:`port` itself. `options` are Streamlit's command-line options
    (e.g. {"secrets.files": PATH}). Everything is stopped on leaving."""
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="squadboard-replicas-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    proxy = len(databases) > 1 if proxy is None else proxy
    app_host = "127.0.0.1" if proxy else host
    ports = [free_port() for _ in databases]
    if port and not proxy:
        ports[0] = port
    extra = [arg for key, value in (options or {}).items() for arg in (f"--{key}", value)]
    running = Replicas(url="", ports=ports)
    try:
        for n, (database, app_port) in enumerate(zip(databases, ports, strict=True)):
            environment = os.environ | (env or {}) | {"SQUADBOARD_DB": str(database)}
            command = [
                sys.executable, "-m", "streamlit", "run", str(db.ROOT / "app.py"),
                "--server.port", str(app_port), "--server.address", app_host,
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                # a served app never reloads its modules when a file changes under it
                "--server.fileWatcherType", "none",
                *extra,
            ]  # fmt: skip
            with (log_dir / f"app-{n}.log").open("w") as log:
                running.processes.append(
                    subprocess.Popen(
                        _child(command),
                        cwd=db.ROOT,
                        env=environment,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        # a Ctrl-C in a terminal reaches the supervisor alone, which stops them
                        process_group=0,
                    )
                )
        for process, app_port in zip(running.processes, ports, strict=True):
            wait_ready(local_url(app_host, app_port), process=process)
        if proxy:
            listen = port or free_port()
            prefix = log_dir / "nginx"
            prefix.mkdir(exist_ok=True)
            conf = prefix / "nginx.conf"
            conf.write_text(nginx_config(prefix, listen_address(host, listen), ports))
            # -e: the error log in the prefix from the first line on (Debian's nginx starts
            # on stderr, other builds on /var/log/nginx/error.log, which needs root)
            command = [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)]
            with (log_dir / "nginx.log").open("w") as log:
                running.proxy = subprocess.Popen(
                    _child(command), stdout=log, stderr=subprocess.STDOUT, process_group=0
                )
            running.url = local_url(host, listen)
            wait_ready(running.url, process=running.proxy)
        else:
            running.url = local_url(host, ports[0])
        yield running
    finally:
        for process in [running.proxy, *running.processes]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [running.proxy, *running.processes]:
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
