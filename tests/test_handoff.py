"""The embedded default: a command-line import or query while the dashboard holds the DuckDB
file runs in the dashboard's process (squadboard/handoff.py, issue #18).

This test process plays the dashboard: it holds the file open, as a running app does, and
listens like one; the commands run as separate processes, as cron would start them.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from squadboard import cli, db, handoff
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
AS_OF = ("--param", f"as_of={TODAY}")


def _open_copy(demo_file, path: Path, monkeypatch):
    """A copy of the demo file at `path`, opened, with the hand-over switched on."""
    if not isinstance(demo_file, Path):
        pytest.skip("the hand-over is for the embedded DuckDB file")
    shutil.copy(demo_file, path)
    monkeypatch.setenv("SQUADBOARD_HANDOFF", "1")
    return path, db.connect(path)


@pytest.fixture
def held(demo_file, tmp_path, monkeypatch):
    """A demo file this process holds, as a dashboard does, and takes commands for."""
    path, con = _open_copy(demo_file, tmp_path / "held.duckdb", monkeypatch)
    assert handoff.serve(path, cli.handed_runner(con, path)) == handoff.socket_path(path)
    yield path, con
    con.close()


def squadboard(*args: str, cwd: Path, handed: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SQUADBOARD_HANDOFF": "1" if handed else "0"}
    return subprocess.run(
        [sys.executable, "-m", "squadboard", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_query_runs_while_the_dashboard_holds_the_file(held, tmp_path):
    path, con = held
    done = squadboard(
        "query", "roster", "--db", path.name, "--format", "json", *AS_OF, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == db.run(con, "roster", as_of=TODAY).height > 0
    # Without the hand-over the same command is refused, as a DuckDB file allows one process.
    alone = squadboard("query", "roster", "--db", path.name, *AS_OF, cwd=tmp_path, handed=False)
    assert alone.returncode != 0
    assert "one process at a time" in alone.stderr
    assert "Traceback" not in alone.stderr


def test_an_import_runs_in_the_dashboard_and_its_sessions_see_it(held, tmp_path):
    path, con = held
    owner = con.cursor().execute("select min(rep_id) from reps where active").fetchone()[0]
    folder = tmp_path / "nightly"
    folder.mkdir()
    (folder / "deals.csv").write_text(
        "deal_id,name,owner_id,status,amount,probability,created_date,close_date,stage\n"
        f"CRON-1,Nightly one,{owner},won,12345,100,2026-10-01,2026-11-20,Won\n"
    )
    version = db.data_version(con)
    # A relative path, resolved against the command's folder, not the dashboard's.
    done = squadboard(
        "import", "nightly", "--db", str(path), "--actor", "cron", "--as-of", "2026-11-23",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "import #" in done.stdout and "1 deals" in done.stdout
    cur = con.cursor()
    assert cur.execute("select amount from deals where deal_id = 'CRON-1'").fetchone() == (12345,)
    assert cur.execute(
        "select count(*) from credited_revenue where deal_id = 'CRON-1'"
    ).fetchone() == (1,)
    assert db.data_version(con) > version  # every cached answer of the dashboard is renewed
    # A refused import says why on the caller's terminal and writes nothing.
    (folder / "deals.csv").write_text("deal_id,name\nCRON-2,No owner\n")
    refused = squadboard("import", "nightly", "--db", str(path), cwd=tmp_path)
    assert refused.returncode == 2
    assert "nothing was written" in refused.stderr and "Traceback" not in refused.stderr
    assert cur.execute("select count(*) from deals where deal_id = 'CRON-2'").fetchone() == (0,)
    # And it can be undone the same way.
    import_id = cur.execute("select max(import_id) from import_log").fetchone()[0]
    undone = squadboard("import", "--undo", str(import_id), "--db", str(path), cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert cur.execute("select count(*) from deals where deal_id = 'CRON-1'").fetchone() == (0,)


def test_the_dashboard_takes_only_import_and_query_for_its_own_file(held, tmp_path):
    path, con = held
    other = tmp_path / "other.duckdb"
    run = cli.handed_runner(con, path)
    out, err = [], []

    def streams():
        return (
            handoff.Stream(lambda m: out.append(m["out"]), "out"),
            handoff.Stream(lambda m: err.append(m["err"]), "err"),
        )

    assert run(["demo", "--db", str(path)], str(tmp_path), *streams()) == cli.EXIT_BAD_INPUT
    assert "does not run 'demo'" in "".join(err)
    err.clear()
    assert run(["query", "roster", "--db", str(other)], str(tmp_path), *streams()) == 2
    assert "serves" in "".join(err)
    assert not other.exists()
    err.clear()
    assert run(["query", "--nonsense"], str(tmp_path), *streams()) == 2
    assert "usage" in "".join(err)
    # A demo load by hand is refused (the file is held), with words, not a trace.
    alone = squadboard("demo", "--db", str(path), cwd=tmp_path)
    assert alone.returncode != 0 and "Traceback" not in alone.stderr


def test_a_garbled_request_is_refused_and_the_socket_is_private(held):
    path, _ = held
    where = handoff.socket_path(path)
    assert oct(where.stat().st_mode & 0o777) == "0o600"
    assert oct(where.parent.stat().st_mode & 0o777) == "0o700"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(where))
        sock.sendall(b'{"argv": "query roster"}\n')
        answer = [json.loads(line) for line in sock.makefile("rb")]
    assert answer[-1] == {"rc": 2}
    assert "not a Squadboard command" in answer[0]["err"]


def test_without_a_dashboard_the_command_opens_the_file_itself(demo_file, tmp_path):
    if not isinstance(demo_file, Path):
        pytest.skip("the hand-over is for the embedded DuckDB file")
    path = tmp_path / "alone.duckdb"
    shutil.copy(demo_file, path)
    # A socket left behind by a dashboard that stopped is not mistaken for a running one.
    where = handoff.socket_path(path)
    where.parent.mkdir(mode=0o700, exist_ok=True)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(where))
    stale.close()
    try:
        done = squadboard("query", "roster", "--db", str(path), *AS_OF, cwd=tmp_path)
    finally:
        where.unlink(missing_ok=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("rep_id,")
    duckdb.connect(str(path)).close()  # and it let go of the file


def test_a_dashboard_that_let_the_file_go_leaves_the_command_to_open_it(
    demo_file, tmp_path, monkeypatch
):
    path, con = _open_copy(demo_file, tmp_path / "let-go.duckdb", monkeypatch)
    handoff.serve(path, cli.handed_runner(con, path))
    con.close()
    del con  # the dashboard's cache cleared: nothing holds the connection any more
    gc.collect()
    done = squadboard("query", "roster", "--db", str(path), *AS_OF, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("rep_id,")
    assert not handoff.socket_path(path).exists()  # it stopped listening
    # Opened again, the dashboard listens again, with its new connection.
    again = db.connect(path)
    handoff.serve(path, cli.handed_runner(again, path))
    try:
        handed = squadboard("query", "roster", "--db", str(path), *AS_OF, cwd=tmp_path)
        assert handed.returncode == 0, handed.stderr
    finally:
        again.close()
