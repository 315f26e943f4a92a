"""A database another process holds (a second app, a command-line import) or a file that is not
a Squadboard database: a plain page, no traceback, no server path, no pages (issue #11)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
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


def test_an_engine_failure_is_said_in_words_not_as_a_stack_trace(demo_copy, monkeypatch, capsys):
    # an error inside DuckDB itself (duckdb/duckdb#25713 failed the leaderboard at random)
    from squadboard import db

    real = db.run

    def failing(con, name, **params):
        if name == "leaderboard":
            raise duckdb.InternalException("INTERNAL Error: Attempted to access index 6 of 6")
        return real(con, name, **params)

    monkeypatch.setattr(db, "run", failing)
    at = _open(demo_copy, monkeypatch).switch_page("pages/leaderboards.py").run()
    assert not at.exception
    assert any("database engine failed" in e.value for e in at.error)
    assert "index 6" not in _everything(at)
    assert "Attempted to access index 6" in capsys.readouterr().err  # the server log has it


def test_a_dropped_connection_is_opened_again_on_the_next_run(demo_copy, monkeypatch):
    # DuckDB refuses every query on a database it invalidated after a fatal error; the
    # dashboard then opens the store again (ui._usable) instead of failing until a restart
    from squadboard import ui

    at = _open(demo_copy, monkeypatch)
    assert not at.exception and at.dataframe
    ui._root(str(demo_copy)).close()
    at.run()
    assert not at.exception and at.dataframe
    assert ui._usable(ui._root(str(demo_copy)))


def test_a_fatal_error_marks_the_connection_unusable_and_closes_it():
    from squadboard import ui

    class Invalidated:
        closed = False

        def cursor(self):
            return self

        def execute(self, sql):
            raise duckdb.FatalException("FATAL Error: database has been invalidated")

        def close(self):
            self.closed = True

    con = Invalidated()
    assert ui._usable(con) is False and con.closed
