"""Shared fixtures.

- `con`: a fresh in-memory DuckDB with the Squadboard schema, per test.
- `demo_file`: the demo organisation (seed 7, built around TODAY) in a file, made once per
  session; tests that write take `demo_copy`, a private copy.
- `app_env`: SQUADBOARD_DB and SQUADBOARD_TODAY pointing the app at a private demo copy.
- `table_contents(con)`: every table's rows, to prove an import changed nothing.
- `ADMIN`: an admin Viewer, for domain functions that only an admin may call (plan.save).

The store: the embedded DuckDB file, or with `--store shared` (or SQUADBOARD_TEST_STORE=shared)
a DuckLake on a throwaway PostgreSQL cluster (tests/pg_cluster.py; docs/deploy.md). Then `con`,
`demo_file` and `demo_copy` are lakes (`ducklake:postgres:...` strings), each test its own
copy made from a template database. Tests of what only a DuckDB file does (its key constraints,
its single-writer lock) are marked `embedded_only` and skipped there.

A developer's own .streamlit/secrets.toml (say, with sign-in set up) is never read by the tests:
they run in demo mode unless a test gives AppTest secrets of its own.
"""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import date

import polars as pl
import pytest
from streamlit import config as st_config

from squadboard import auth, db, demo

st_config.set_option("secrets.files", [])
# A dashboard in a test does not take command lines over (squadboard/handoff.py) unless the
# test says so (tests/test_handoff.py): test databases come and go by the hundred.
os.environ.setdefault("SQUADBOARD_HANDOFF", "0")

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


def pytest_addoption(parser):
    parser.addoption(
        "--store",
        choices=["embedded", "shared"],
        default=os.environ.get("SQUADBOARD_TEST_STORE", "embedded"),
        help="run against the embedded DuckDB file (default) or a DuckLake on PostgreSQL",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "embedded_only: what only the DuckDB file store does")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--store") != "shared":
        return
    skip = pytest.mark.skip(reason="a DuckDB-file behaviour; the shared store keeps it otherwise")
    for item in items:
        if "embedded_only" in item.keywords:
            item.add_marker(skip)


class SharedStores:
    """Lakes on one throwaway PostgreSQL cluster: `new` makes an empty one or a copy of a
    template (a PostgreSQL template database for the catalog plus a copy of its data files)."""

    def __init__(self, cluster, root):
        self.cluster = cluster
        self.root = root
        self.count = itertools.count()

    def target(self, name: str) -> str:
        return f"ducklake:{'postgres:' + self.cluster.dsn(name)}"

    def new(self, template: str | None = None) -> str:
        name = f"lake{next(self.count)}"
        data = self.root / name
        if template is None:
            self.cluster.create_db(name)
            os.environ["SQUADBOARD_DATA_PATH"] = str(data)
            try:
                db.connect(self.target(name)).close()
            finally:
                del os.environ["SQUADBOARD_DATA_PATH"]
            return self.target(name)
        self.cluster.create_db(name, template=template)
        shutil.copytree(self.root / template, data)
        self.cluster.sql(
            name, f"update ducklake_metadata set value = '{data}/' where key = 'data_path'"
        )
        return self.target(name)


@pytest.fixture(scope="session")
def shared_stores(request, tmp_path_factory):
    """None for the embedded store; else the lakes of a PostgreSQL cluster started for the run."""
    if request.config.getoption("--store") != "shared":
        yield None
        return
    from tests.pg_cluster import Cluster

    cluster = Cluster().start()
    try:
        stores = SharedStores(cluster, tmp_path_factory.mktemp("lakes"))
        empty = stores.new()
        stores.empty = empty.rsplit("dbname=", 1)[1]
        yield stores
    finally:
        cluster.stop()


@pytest.fixture
def con(shared_stores):
    if shared_stores is not None:
        connection = db.connect(shared_stores.new(shared_stores.empty))
    else:
        connection = db.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory, shared_stores):
    if shared_stores is not None:
        target = shared_stores.new(shared_stores.empty)
        connection = db.connect(target)
        demo.load(connection, seed=7, today=TODAY)
        connection.close()
        return target
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    connection = db.connect(path)
    demo.load(connection, seed=7, today=TODAY)
    connection.close()
    return path


@pytest.fixture
def demo_copy(demo_file, tmp_path, shared_stores):
    if shared_stores is not None:
        return shared_stores.new(str(demo_file).rsplit("dbname=", 1)[1])
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
