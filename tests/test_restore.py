"""A database from an earlier Squadboard: a file DuckDB 2.0 wrote is named, not a traceback, and
its export is carried over by `python -m squadboard restore` (squadboard/restore.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from squadboard import db, demo, facts, restore
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest import formats
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
Q4 = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": TODAY}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """The demo organisation in a DuckDB file, exported as Parquet as an upgrade does."""
    folder = tmp_path_factory.mktemp("export")
    con = db.connect(folder / "old.duckdb")
    demo.load(con, seed=7, today=TODAY)
    con.execute(f"export database '{folder / 'dump'}' (format parquet)")
    con.close()
    return folder


def counts(con) -> dict[str, int]:
    cur = con.cursor()
    names = [
        t
        for (t,) in cur.execute(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_catalog = current_database() and table_name not like 'store%'"
        ).fetchall()
    ]
    return {t: cur.execute(f"select count(*) from {t}").fetchone()[0] for t in sorted(names)}


def test_restore_carries_every_row_and_works_out_the_derived_tables(export, con):
    restored = restore.restore(con, export / "dump")
    old = db.connect(export / "old.duckdb", read_only=True)
    try:
        before = counts(old)
        attainment = db.run(old, "squad_attainment", **Q4)
    finally:
        old.close()
    after = counts(con)
    for table in facts.tables():
        assert after[table] == before[table], table  # worked out anew, the same
    assert restored["deals"] == before["deals"] > 0
    assert {t: after[t] for t in restored} == {t: before[t] for t in restored}
    assert db.run(con, "squad_attainment", **Q4).equals(attainment)
    # The next import continues the ids it found.
    top = con.cursor().execute("select coalesce(max(import_id), 0) from import_log").fetchone()[0]
    batch, _ = formats.load(
        [("deals.csv", b"deal_id,name,owner_id,status,amount\nR-1,Restored,priya.raman,open,10\n")]
    )
    ingest_apply.write(con, batch, actor="maya.chen", as_of=TODAY)
    assert batch.import_id > top
    # Restoring twice would mix two organisations: refused.
    with pytest.raises(restore.RestoreRefused, match="has data already"):
        restore.restore(con, export / "dump")


def test_restore_refuses_a_folder_that_is_not_an_export(tmp_path, con):
    with pytest.raises(restore.RestoreRefused, match="not a folder"):
        restore.restore(con, tmp_path / "missing")
    (tmp_path / "notes.parquet").write_bytes(b"")
    with pytest.raises(restore.RestoreRefused, match="not a Squadboard export"):
        restore.restore(con, tmp_path)


def _written_by_a_newer_duckdb(path: Path) -> None:
    """An empty database file as DuckDB 2.0 (the earlier Squadboard's) wrote it."""
    shutil.copyfile(FIXTURES / "written_by_duckdb_2.duckdb", path)


def test_a_file_a_newer_duckdb_wrote_is_named_on_the_command_line(tmp_path):
    old = tmp_path / "squadboard.duckdb"
    _written_by_a_newer_duckdb(old)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "squadboard",
            "query",
            "roster",
            "--db",
            str(old),
            "--param",
            f"as_of={TODAY}",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "written by a newer DuckDB" in done.stderr
    assert "A database from an earlier Squadboard" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_app_names_a_file_a_newer_duckdb_wrote(tmp_path, monkeypatch):
    import streamlit as st

    from tests.test_pages import open_app

    old = tmp_path / "squadboard.duckdb"
    _written_by_a_newer_duckdb(old)
    monkeypatch.setenv("SQUADBOARD_DB", str(old))
    st.cache_resource.clear()
    at = open_app()
    assert not at.exception
    assert any("written by a newer DuckDB" in e.value for e in at.error)
