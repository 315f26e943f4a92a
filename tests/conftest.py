"""Shared fixtures.

- `con`: a fresh in-memory DuckDB with the Squadboard schema, per test.
- `demo_file`: the demo organisation (seed 7, built around TODAY) in a file, made once per
  session; tests that write take `demo_copy`, a private copy.
- `app_env`: SQUADBOARD_DB and SQUADBOARD_TODAY pointing the app at a private demo copy.
- `table_contents(con)`: every table's rows, to prove an import changed nothing.
- `ADMIN`: an admin Viewer, for domain functions that only an admin may call (plan.save).

A developer's own .streamlit/secrets.toml (say, with sign-in set up) is never read by the tests:
they run in demo mode unless a test gives AppTest secrets of its own.
"""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest
from streamlit import config as st_config

from squadboard import auth, db, demo

st_config.set_option("secrets.files", [])

TODAY = date(2026, 11, 23)
ADMIN = auth.Viewer("elena.duarte", "Elena Duarte", "admin", "admin", None, ())
TABLES = [
    "squads",
    "reps",
    "squad_members",
    "quotas",
    "deals",
    "deal_credits",
    "activities",
    "kudos",
    "pipeline_snapshots",
    "import_log",
    "audit_log",
    "plan_settings",
    "meta",
]


@pytest.fixture
def con():
    connection = db.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    connection = db.connect(path)
    demo.load(connection, seed=7, today=TODAY)
    connection.close()
    return path


@pytest.fixture
def demo_copy(demo_file, tmp_path):
    path = tmp_path / "squadboard.duckdb"
    shutil.copy(demo_file, path)
    return path


@pytest.fixture
def demo_con(demo_copy):
    connection = db.connect(demo_copy)
    yield connection
    connection.close()


@pytest.fixture
def app_env(demo_copy, monkeypatch):
    monkeypatch.setenv("SQUADBOARD_DB", str(demo_copy))
    monkeypatch.setenv("SQUADBOARD_TODAY", TODAY.isoformat())
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    yield demo_copy
    st.cache_resource.clear()


def table_contents(connection) -> dict[str, pl.DataFrame]:
    cur = connection.cursor()
    return {t: cur.sql(f"select * from {t} order by all").pl() for t in TABLES}


def assert_same_contents(before: dict, after: dict) -> None:
    for table, frame in before.items():
        assert after[table].equals(frame), f"table {table} changed"
