"""Many processes on one shared store, and the embedded default's one (issue 18, "Done when").

PostgreSQL, two app processes (tests/store_sessions.py, five Streamlit sessions each, driven
by AppTest), a CLI import of a big file, and a reader of squad totals. During the import the
ten sessions give kudos and save goals through the pages. Afterwards every write and the
import are there exactly once, the reader saw the totals from before or after the import and
nothing between, and both processes show the import's figures.

The same on the embedded default: one app process holds the DuckDB file, ten sessions in it
write while a CLI import of EMBEDDED_DEALS deals runs (handed to that process,
squadboard/handoff.py), and the reader is the CLI `query` run again and again meanwhile.

Kept bounded for a small machine: IMPORT_DEALS deals on the shared store
(SQUADBOARD_CONCURRENCY_DEALS to raise).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from squadboard import db
from tests.conftest import TODAY
from tests.pg_cluster import pg_bin
from tests.store_sessions import PERIOD, SESSIONS, total
from tests.test_store import demo_lake, lake, lakes  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent
IMPORT_DEALS = int(os.environ.get("SQUADBOARD_CONCURRENCY_DEALS", "3000"))
EMBEDDED_DEALS = 100_000
KUDOS_PER_SESSION = 2

needs_pg = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL is not installed")


def _members(cur) -> list[str]:
    """The reps in a squad now: the owners of the big file's deals."""
    sql = "select rep_id from squad_members where valid_to is null order by rep_id"
    return [r[0] for r in cur.execute(sql).fetchall()]


def _big_file(folder: Path, owners: list[str], deals: int = IMPORT_DEALS) -> Path:
    folder.mkdir()
    lines = ["deal_id,name,owner_id,status,amount,probability,created_date,close_date,stage"]
    for i in range(deals):
        owner = owners[i % len(owners)]
        day = 1 + i % 28
        lines.append(
            f"BIG-{i},Big {i},{owner},won,{1000 + i % 5000},100,2026-09-01,2026-11-{day:02d},Won"
        )
    (folder / "deals.csv").write_text("\n".join(lines) + "\n")
    return folder


@needs_pg
def test_two_app_processes_a_cli_import_and_a_reader_on_the_shared_store(lake, tmp_path):  # noqa: F811
    con = db.connect(lake)
    cur = con.cursor()
    owners = _members(cur)
    big = _big_file(tmp_path / "big", owners)
    before = total(db.run(con, "squad_attainment", **PERIOD))
    kudos_before = cur.execute("select count(*) from kudos").fetchone()[0]

    go, done = tmp_path / "go", tmp_path / "done"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SQUADBOARD_DB": lake,
        "SQUADBOARD_TODAY": TODAY.isoformat(),
    }
    apps = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.store_sessions",
                str(p),
                str(KUDOS_PER_SESSION),
                str(go),
                str(done),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(2)
    ]
    try:
        for app in apps:  # each has opened its sessions
            line = app.stdout.readline()
            assert json.loads(line) == {"ready": True}, app.stderr.read()

        seen: set[str] = set()
        reading = threading.Event()
        reading.set()

        def reader():
            rcon = db.connect(lake)
            while reading.is_set():
                seen.add(total(db.run(rcon, "squad_attainment", **PERIOD)))
            rcon.close()

        r = threading.Thread(target=reader)
        r.start()
        importer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "squadboard",
                "import",
                str(big),
                "--db",
                lake,
                "--actor",
                "cron",
                "--as-of",
                TODAY.isoformat(),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        go.touch()  # the sessions write while the import runs
        out, err = importer.communicate(timeout=1200)
        assert importer.returncode == 0, err
        done.touch()
        results = []
        for app in apps:
            stdout, stderr = app.communicate(timeout=900)
            assert app.returncode == 0, stderr
            results.append(json.loads(stdout.strip().splitlines()[-1]))
        time.sleep(0.5)
        reading.clear()
        r.join(timeout=120)
    finally:
        for app in apps:
            if app.poll() is None:
                app.kill()

    after = total(db.run(con, "squad_attainment", **PERIOD))
    assert after != before
    # The reader saw the totals from before or after the import, never half of it.
    assert seen <= {before, after}, seen
    # Both processes show the import's figures (their caches noticed the new snapshot).
    assert [r["before"] for r in results] == [before, before]
    assert [r["after"] for r in results] == [after, after]
    # No session saw a conflict, and each write is there exactly once.
    writes = [w for r in results for w in r["writes"]]
    failed = [w for w in writes if not w["ok"] or w["errors"]]
    assert not failed, "\n".join(f"{w['viewer']} {w['what']}: {w['errors']}" for w in failed)
    assert len(writes) == 2 * SESSIONS * (KUDOS_PER_SESSION + 1)
    kudos = cur.execute(
        "select message, count(*) from kudos where message similar to 'p[01] s[0-4] k[0-9]+' "
        "group by all"
    ).fetchall()
    assert len(kudos) == 2 * SESSIONS * KUDOS_PER_SESSION
    assert all(n == 1 for _, n in kudos)
    assert cur.execute("select count(*) from kudos").fetchone()[0] == kudos_before + len(kudos)
    goals = cur.execute(
        "select owner_id, period_start, count(*) from quotas where kind = 'rep_goal' "
        "and set_by = owner_id group by all having count(*) > 1"
    ).fetchall()
    assert goals == []
    saved = cur.execute("select count(*) from audit_log where action = 'set_goal'").fetchone()[0]
    assert saved == 2 * SESSIONS
    assert cur.execute("select count(*) from import_log where actor = 'cron'").fetchone()[0] == 1
    assert cur.execute(
        "select count(*), count(distinct deal_id) from deals where deal_id like 'BIG-%'"
    ).fetchone() == (IMPORT_DEALS, IMPORT_DEALS)
    assert (
        cur.execute("select count(*) from credited_revenue where deal_id like 'BIG-%'").fetchone()[
            0
        ]
        == IMPORT_DEALS
    )


def test_one_app_process_a_cli_import_and_cli_readers_on_the_embedded_default(demo_file, tmp_path):
    if not isinstance(demo_file, Path):
        pytest.skip("the embedded default's own test")
    path = tmp_path / "squadboard.duckdb"
    shutil.copy(demo_file, path)
    con = db.connect(path)
    cur = con.cursor()
    owners = _members(cur)
    before = total(db.run(con, "squad_attainment", **PERIOD))
    kudos_before = cur.execute("select count(*) from kudos").fetchone()[0]
    con.close()  # the app process holds the file from here on
    big = _big_file(tmp_path / "big", owners, EMBEDDED_DEALS)
    sessions = 2 * SESSIONS

    go, done = tmp_path / "go", tmp_path / "done"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SQUADBOARD_DB": str(path),
        "SQUADBOARD_TODAY": TODAY.isoformat(),
        "SQUADBOARD_HANDOFF": "1",
    }
    app = subprocess.Popen(
        [sys.executable, "-m", "tests.store_sessions", "0", str(KUDOS_PER_SESSION), str(go),
         str(done), str(sessions)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    reads: list[Decimal] = []
    failed_reads: list[str] = []
    try:
        line = app.stdout.readline()
        assert json.loads(line) == {"ready": True}, app.stderr.read()
        reading = threading.Event()
        reading.set()
        query = [sys.executable, "-m", "squadboard", "query", "squad_attainment", "--format",
                 "json"] + [a for k, v in PERIOD.items() for a in ("--param", f"{k}={v}")]  # fmt: skip

        def reader():  # a scheduled `query`, run while the dashboard holds the file
            while reading.is_set():
                got = subprocess.run(query, cwd=tmp_path, env=env, capture_output=True, text=True)
                if got.returncode:
                    failed_reads.append(got.stderr)
                else:  # the amounts are decimals, written as text
                    reads.append(sum(Decimal(r["credited"]) for r in json.loads(got.stdout)))

        r = threading.Thread(target=reader)
        r.start()
        importer = subprocess.Popen(
            [sys.executable, "-m", "squadboard", "import", str(big), "--actor", "cron",
             "--as-of", TODAY.isoformat()],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        go.touch()  # the sessions write while the import runs
        started = time.monotonic()
        out, err = importer.communicate(timeout=1200)
        import_s = time.monotonic() - started
        assert importer.returncode == 0, err
        assert f"{EMBEDDED_DEALS:,} deals" in out
        time.sleep(2)  # a read or two after the import
        reading.clear()
        r.join(timeout=120)
        done.touch()
        stdout, stderr = app.communicate(timeout=900)
        assert app.returncode == 0, stderr
        result = json.loads(stdout.strip().splitlines()[-1])
    finally:
        if app.poll() is None:
            app.kill()

    con = db.connect(path)  # the app process has ended
    cur = con.cursor()
    after = total(db.run(con, "squad_attainment", **PERIOD))
    assert after != before
    assert not failed_reads, failed_reads[:3]
    assert reads and set(reads) <= {Decimal(before), Decimal(after)}, set(reads)
    print(
        f"embedded: CLI import of {EMBEDDED_DEALS:,} deals in {import_s:.1f} s through the app "
        f"process; {len(reads)} CLI queries meanwhile, {reads.count(Decimal(before))} saw the "
        f"totals before it and {reads.count(Decimal(after))} after"
    )
    assert result["before"] == before and result["after"] == after
    failed = [w for w in result["writes"] if not w["ok"] or w["errors"]]
    assert not failed, "\n".join(f"{w['viewer']} {w['what']}: {w['errors']}" for w in failed)
    assert len(result["writes"]) == sessions * (KUDOS_PER_SESSION + 1)
    kudos = cur.execute(
        "select message, count(*) from kudos where message similar to 'p0 s[0-9] k[0-9]+' "
        "group by all"
    ).fetchall()
    assert len(kudos) == sessions * KUDOS_PER_SESSION and all(n == 1 for _, n in kudos)
    assert cur.execute("select count(*) from kudos").fetchone()[0] == kudos_before + len(kudos)
    saved = cur.execute("select count(*) from audit_log where action = 'set_goal'").fetchone()[0]
    assert saved == sessions
    assert cur.execute("select count(*) from import_log where actor = 'cron'").fetchone()[0] == 1
    assert cur.execute(
        "select count(*), count(distinct deal_id) from deals where deal_id like 'BIG-%'"
    ).fetchone() == (EMBEDDED_DEALS, EMBEDDED_DEALS)
    assert cur.execute(
        "select count(*) from credited_revenue where deal_id like 'BIG-%'"
    ).fetchone() == (EMBEDDED_DEALS,)
