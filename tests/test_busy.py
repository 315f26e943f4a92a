"""A database another process holds (a second app, a command-line import) or a file that is not
a Squadboard database: a plain page, no traceback, no server path, no pages (issue #11)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def locked(demo_copy):
    """The demo database, held open for writing by another process (as a CLI import does)."""
    hold = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(demo_copy)!r})\n"
        "print('holding', flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "holding"
        yield demo_copy
    finally:
        proc.kill()
        proc.wait(10)


def _everything(at: AppTest) -> str:
    return "\n".join(
        str(e.value)
        for kind in ("title", "markdown", "caption", "info", "error", "warning", "exception")
        for e in getattr(at, kind)
    )


def _open(path, monkeypatch) -> AppTest:
    import streamlit as st

    monkeypatch.setenv("SQUADBOARD_DB", str(path))
    monkeypatch.setenv("SQUADBOARD_TODAY", "2026-11-23")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = "elena.duarte"
    return at.run()


@pytest.mark.embedded_only  # a DuckDB file's lock; a shared store has none
def test_a_locked_database_shows_a_plain_busy_page(locked, monkeypatch):
    at = _open(locked, monkeypatch)
    text = _everything(at)
    assert not at.exception, text
    assert any("The database is busy, try again in a minute" in i.value for i in at.info)
    for leak in (str(locked.parent), "PID", "Conflicting lock", "Traceback", "duckdb", "/"):
        assert leak not in text, leak
    assert not at.dataframe and not at.sidebar.selectbox and not at.get("plotly_chart")


def test_the_app_opens_once_the_lock_is_gone(demo_copy, monkeypatch):
    at = _open(demo_copy, monkeypatch)
    assert not at.exception and at.dataframe


def test_a_file_that_is_not_a_database_shows_a_plain_page(tmp_path, monkeypatch):
    path = tmp_path / "reps.csv"
    shutil.copy(ROOT / "data" / "templates" / "reps.csv", path)
    at = _open(path, monkeypatch)
    text = _everything(at)
    assert not at.exception, text
    assert any("cannot open its database" in e.value for e in at.error)
    assert str(tmp_path) not in text and "reps.csv" not in text
    assert not at.dataframe and not at.sidebar.selectbox
