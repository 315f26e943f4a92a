"""The shared store (squadboard/store.py): DuckLake on a throwaway PostgreSQL cluster.

Uniqueness without constraints, snapshot isolation, derived tables in the writer's commit,
conflict retries with request keys, caches that notice another process's commit, and
`maintain`. These run whatever --store says (they start their own cluster); they are skipped
only where PostgreSQL is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from squadboard import cli, db, demo, kudos, plan, store
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest import formats
from tests.conftest import ADMIN, TODAY, SharedStores
from tests.pg_cluster import Cluster, pg_bin

ROOT = Path(__file__).resolve().parent.parent

needs_pg = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL is not installed")


@pytest.fixture(scope="module")
def lakes(tmp_path_factory, shared_stores):
    if shared_stores is not None:
        yield shared_stores
        return
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed")
    cluster = Cluster().start()
    try:
        stores = SharedStores(cluster, tmp_path_factory.mktemp("lakes"))
        stores.empty = stores.new().rsplit("dbname=", 1)[1]
        yield stores
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def demo_lake(lakes):
    """A lake with the demo organisation, made once; tests take `lake_copy`."""
    target = lakes.new(lakes.empty)
    con = db.connect(target)
    demo.load(con, seed=7, today=TODAY)
    con.close()
    return target.rsplit("dbname=", 1)[1]


@pytest.fixture
def lake(lakes, demo_lake):
    return lakes.new(demo_lake)


# The schema without constraints ---------------------------------------------------------


def test_lake_schema_drops_every_constraint_and_sequence_and_keeps_the_columns():
    schema = store.SCHEMA_FILE.read_text()
    lake = store.lake_schema(schema)
    for word in ("primary key", "unique", "check (", "nextval", "create sequence"):
        assert word not in lake.lower(), word
    con = db.connect(":memory:")
    cur = con.cursor()
    cur.execute("create schema l; use l")
    cur.execute(lake)
    for table in ("deals", "reps", "quotas", "import_log", "audit_log", "kudos"):
        native = cur.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'main' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
        lean = cur.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'l' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
        assert native == lean, table


def test_keys_are_read_from_the_schema_inline_and_table_level():
    found = store.keys()
    assert found["deals"] == store.Keys(("deal_id",), (("source", "source_id"),))
    assert found["reps"] == store.Keys(("rep_id",), (("email",),))
    assert found["quotas"].primary == ("kind", "owner_id", "period_start", "period_end")
    assert found["import_log"].primary == ("import_id",)
    assert "credited_revenue" not in found


@pytest.mark.embedded_only
def test_the_embedded_default_still_refuses_a_duplicate_key(con):
    cur = con.cursor()
    cur.execute("insert into squads (squad_id, name) values ('s', 'S')")
    with pytest.raises(Exception, match="[Cc]onstraint"):
        cur.execute("insert into squads (squad_id, name) values ('s', 'T')")


@pytest.mark.parametrize("target", ["ducklake:sqlite:catalog.sqlite", "ducklake:catalog.ducklake"])
def test_a_lake_with_a_local_catalog_is_refused_in_words(tmp_path, monkeypatch, target):
    # a local catalog's lock starves every writer while a dashboard reads (docs/deploy.md)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(store.StoreError, match="PostgreSQL catalog"):
        db.connect(target)
    with pytest.raises(SystemExit) as stop:  # Python prints the message, exit status 1
        cli.main(["query", "roster", "--db", target, "--param", "as_of=2026-11-20"])
    assert str(stop.value).startswith("error: ") and "PostgreSQL catalog" in str(stop.value)
    assert list(tmp_path.iterdir()) == []  # nothing was created


# On the shared store --------------------------------------------------------------------


@needs_pg
def test_a_new_lake_without_a_data_path_says_what_to_set(lakes, monkeypatch):
    monkeypatch.delenv("SQUADBOARD_DATA_PATH", raising=False)
    lakes.cluster.create_db("nodata")
    with pytest.raises(store.StoreError, match="SQUADBOARD_DATA_PATH"):
        db.connect(lakes.target("nodata"))


@needs_pg
def test_upserts_hold_the_key_on_the_lake(lake):
    con = db.connect(lake)
    cur = con.cursor()
    before = cur.execute("select count(*) from plan_settings").fetchone()[0]
    p = plan.load(con)
    plan.save(con, p, ADMIN)
    plan.save(con, p, ADMIN)
    rows = cur.execute("select key, count(*) from plan_settings group by key having count(*) > 1")
    assert rows.fetchall() == []
    assert cur.execute("select count(*) from plan_settings").fetchone()[0] >= before
    ids = cur.execute("select audit_id from audit_log").fetchall()
    assert len(ids) == len(set(ids))


def _import_file(tmp_path: Path, name: str, deals: range) -> Path:
    """A native deals file naming existing owners; overlapping ranges share deal ids."""
    folder = tmp_path / name
    folder.mkdir()
    lines = ["deal_id,name,owner_id,status,amount,probability,created_date,close_date,stage"]
    for i in deals:
        lines.append(
            f"OV-{i},Overlap {i},diego.alvarez,open,{1000 + i},40,2026-09-01,2026-12-15,Proposal"
        )
    (folder / "deals.csv").write_text("\n".join(lines) + "\n")
    return folder


@needs_pg
def test_two_concurrent_overlapping_imports_leave_no_duplicate(lake, tmp_path):
    a = _import_file(tmp_path, "a", range(0, 300))
    b = _import_file(tmp_path, "b", range(150, 450))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "squadboard",
                "import",
                str(folder),
                "--db",
                lake,
                "--actor",
                f"ops{n}",
                "--as-of",
                TODAY.isoformat(),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, folder in enumerate((a, b))
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert "conflict" not in (out + err).lower()
    con = db.connect(lake)
    cur = con.cursor()
    twice = cur.execute("select deal_id from deals group by deal_id having count(*) > 1").fetchall()
    assert twice == []
    assert cur.execute("select count(*) from deals where deal_id like 'OV-%'").fetchone()[0] == 450
    twice = cur.execute(
        "select source, source_id from deals group by all having count(*) > 1"
    ).fetchall()
    assert twice == []
    # Each import is there once, with ids of its own, and its derived rows match the deals.
    assert cur.execute("select count(distinct import_id), count(*) from import_log").fetchone() == (
        2,
        2,
    )
    pipeline = cur.execute(
        "select count(*) from open_pipeline_credits where deal_id like 'OV-%'"
    ).fetchone()[0]
    assert pipeline == 450
    snapshot_twice = cur.execute(
        "select snapshot_date, deal_id from pipeline_snapshots group by all having count(*) > 1"
    ).fetchall()
    assert snapshot_twice == []


@needs_pg
def test_an_import_that_would_hold_an_email_twice_is_refused_whole(lake, tmp_path):
    con = db.connect(lake)
    cur = con.cursor()
    taken = cur.execute("select email from reps where rep_id = 'diego.alvarez'").fetchone()[0]
    folder = tmp_path / "people"
    folder.mkdir()
    (folder / "reps.csv").write_text(f"rep_id,name,email,role\nnew.person,New Person,{taken},AE\n")
    before = cur.execute("select count(*) from reps").fetchone()[0]
    assert cli.main(["import", str(folder), "--db", lake, "--actor", "ops"]) == 2
    assert cur.execute("select count(*) from reps").fetchone()[0] == before
    assert cur.execute("select count(*) from import_log").fetchone()[0] == 0


def _give(con, n: int, key: str | None) -> str:
    return kudos.give_kudos(
        con,
        "diego.alvarez",
        "hannah.kim",
        kudos.CATEGORIES[n % len(kudos.CATEGORIES)],
        f"thanks #{n}",
        None,
        plan.Plan(kudos_daily_limit=1000),
        datetime(2026, 11, 23, 10, 0, n % 60),
        request_key=key,
    )


@needs_pg
def test_kudos_given_during_an_import_are_kept_exactly_once(lake, tmp_path):
    big = _import_file(tmp_path, "big", range(0, 3000))
    con = db.connect(lake)
    batch, _ = formats.load_paths([big], "auto", 1)
    errors: list[BaseException] = []

    def do_import():
        try:
            ingest_apply.write(db.connect(lake), batch, actor="ops", as_of=TODAY)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    importer = threading.Thread(target=do_import)
    importer.start()
    given = []
    for n in range(12):
        key = f"press-{n}"
        given.append(_give(con, n, key))
        given.append(_give(con, n, key))  # the same press sent again: nothing new
    importer.join(timeout=300)
    assert not errors, errors
    cur = con.cursor()
    rows = cur.execute(
        "select kudos_id, count(*) from kudos where kudos_id like 'kudos:press-%' group by all"
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(set(given)) and len(rows) == 12
    assert all(r[1] == 1 for r in rows)
    audits = cur.execute(
        "select count(*) from audit_log where action = 'give_kudos' and entity_id like 'kudos:press-%'"
    ).fetchone()[0]
    assert audits == 12
    assert cur.execute("select count(*) from deals where deal_id like 'OV-%'").fetchone()[0] == 3000


@needs_pg
def test_concurrent_kudos_writers_all_land_once(lake):
    cons = [db.connect(lake) for _ in range(4)]
    errors: list[BaseException] = []

    def writer(w: int):
        try:
            for n in range(5):
                key = f"w{w}-{n}"
                _give(cons[w], w * 10 + n, key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    cur = cons[0].cursor()
    assert cur.execute(
        "select count(*), count(distinct kudos_id) from kudos where kudos_id like 'kudos:w%'"
    ).fetchone() == (20, 20)


@needs_pg
def test_a_reader_sees_before_or_after_an_import_never_half(lake, tmp_path):
    folder = _import_file(tmp_path, "half", range(0, 2000))
    reader = db.connect(lake)
    period = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": TODAY.isoformat()}
    seen = set()
    done = threading.Event()

    def read():
        while not done.is_set():
            cur = reader.cursor()
            cur.begin()
            deals = cur.execute("select count(*) from deals where deal_id like 'OV-%'").fetchone()[
                0
            ]
            credits = cur.execute(
                "select count(*) from open_pipeline_credits where deal_id like 'OV-%'"
            ).fetchone()[0]
            cur.commit()
            seen.add((deals, credits))
            db.run(reader, "squad_attainment", **period)

    t = threading.Thread(target=read)
    t.start()
    try:
        assert cli.main(["import", str(folder), "--db", lake, "--actor", "ops"]) == 0
        deadline = time.monotonic() + 60
        while (2000, 2000) not in seen and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        done.set()
        t.join(timeout=60)
    # The deals and the derived rows change in one commit: a reader sees both or neither.
    assert seen <= {(0, 0), (2000, 2000)}, seen
    assert (2000, 2000) in seen


@needs_pg
def test_each_process_notices_another_processes_commit(lake):
    first = db.connect(lake)
    second = db.connect(lake)
    version = db.data_version(first)
    assert db.data_version(second) == version
    p = plan.load(second)
    plan.save(second, p, ADMIN)
    assert db.data_version(first) > version


@needs_pg
def test_undo_on_the_lake_restores_the_state_before(lake, tmp_path):
    con = db.connect(lake)
    cur = con.cursor()
    before = cur.execute("select count(*), sum(amount) from deals").fetchone()
    folder = _import_file(tmp_path, "u", range(0, 20))
    assert cli.main(["import", str(folder), "--db", lake, "--actor", "ops"]) == 0
    latest = cur.execute("select max(import_id) from import_log").fetchone()[0]
    assert cli.main(["import", "--undo", str(latest), "--db", lake, "--actor", "ops"]) == 0
    assert cur.execute("select count(*), sum(amount) from deals").fetchone() == before
    assert (
        cur.execute(
            "select count(*) from open_pipeline_credits where deal_id like 'OV-%'"
        ).fetchone()[0]
        == 0
    )


@needs_pg
def test_every_named_query_runs_on_the_lake(lake):
    con = db.connect(lake)
    cur = con.cursor()
    rep = cur.execute("select rep_id from reps order by rep_id limit 1").fetchone()[0]
    squad = cur.execute("select squad_id from squads order by squad_id limit 1").fetchone()[0]
    credit = cur.execute("select credit_id from deal_credits limit 1").fetchone()[0]
    account = cur.execute("select min(account) from deals").fetchone()[0]
    values = {
        "DATE": "2026-10-01",
        "VARCHAR": "x",
        "INTEGER": 3,
        "DOUBLE": 0.5,
        "BOOLEAN": True,
    }
    named = {
        "rep_id": rep,
        "viewer_id": rep,
        "squad_id": squad,
        "credit_id": credit,
        "account": account,
        "metric": "attainment",
        "period_end": "2027-01-01",
        "as_of": TODAY.isoformat(),
    }
    for name in db.query_names():
        query = db.get_query(name)
        params = {}
        for p in query.params:
            if p.optional:
                continue
            params[p.name] = named.get(p.name, values[p.type])
        try:
            db.run(con, name, **params)
        except Exception as exc:
            if "must be one of" in str(exc) or "Invalid Input" in str(exc):
                continue  # a query's own check of a made-up parameter value
            raise AssertionError(f"{name}: {exc}") from exc


@needs_pg
def test_maintain_merges_files_and_keeps_every_row(lake, capsys):
    con = db.connect(lake)
    for n in range(6):
        _give(con, n, f"m-{n}")
    cur = con.cursor()
    counts = {
        t: cur.execute(f"select count(*) from {t}").fetchone()[0]
        for t in ("kudos", "deals", "credited_revenue")
    }
    assert cli.main(["maintain", "--db", lake, "--keep-days", "0"]) == 0
    out = capsys.readouterr().out
    assert "snapshots:" in out and "data files:" in out
    con2 = db.connect(lake)
    cur = con2.cursor()
    assert {t: cur.execute(f"select count(*) from {t}").fetchone()[0] for t in counts} == counts
    # The newest snapshot stays readable and writable after maintenance.
    _give(con2, 99, "after-maintain")


def test_maintain_on_a_duckdb_file_says_it_needs_none(tmp_path, capsys):
    assert cli.main(["maintain", "--db", str(tmp_path / "x.duckdb")]) == 2
    assert "shared store" in capsys.readouterr().err
