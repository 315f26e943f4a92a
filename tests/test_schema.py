"""The schema: created in one go, versioned, upgraded in place, refused when newer."""

import duckdb
import pytest

from squadboard import db, facts


def test_fresh_database_has_every_table_and_the_current_version(con):
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    for expected in [
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
        *facts.tables(),
    ]:
        assert expected in tables
    assert db.schema_version(con) == db.SCHEMA_VERSION


def test_reopening_a_current_file_keeps_its_rows(tmp_path):
    path = tmp_path / "s.duckdb"
    con = db.connect(path)
    con.execute("insert into squads values ('a', 'A', null, null)")
    con.close()
    again = db.connect(path)
    assert again.execute("select name from squads").fetchall() == [("A",)]


def test_an_older_file_is_upgraded_in_place(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    con.execute("insert into reps (rep_id, name) values ('r1', 'Rita')")
    con.close()
    # Pretend the next release adds a column: the next version with its migration.
    following = db.SCHEMA_VERSION + 1
    monkeypatch.setattr(db, "SCHEMA_VERSION", following)
    monkeypatch.setitem(db.MIGRATIONS, following, "alter table reps add column nickname varchar;")
    upgraded = db.connect(path)
    assert db.schema_version(upgraded) == following
    assert upgraded.execute("select name, nickname from reps").fetchall() == [("Rita", None)]


def test_a_failed_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    db.connect(path).close()
    current = db.SCHEMA_VERSION
    monkeypatch.setattr(db, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(db.MIGRATIONS, current + 1, "alter table no_such_table add column x int;")
    with pytest.raises(duckdb.Error):
        db.connect(path)
    monkeypatch.setattr(db, "SCHEMA_VERSION", current)
    assert db.schema_version(db.connect(path)) == current


def test_a_newer_file_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "new.duckdb"
    con = db.connect(path)
    con.execute("update meta set value = '99' where key = 'schema_version'")
    con.close()
    with pytest.raises(RuntimeError, match="this database is from a newer version of Squadboard"):
        db.connect(path)


@pytest.mark.parametrize(
    "sql",
    [
        "insert into reps (rep_id, name, role) values ('x', 'X', 'wizard')",
        "insert into deals (deal_id, source, source_id, status) values ('d', 's', '1', 'maybe')",
        "insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent) values ('c', 'd', 'r', 'revenue', 0)",
        "insert into kudos values ('k', 'a', 'a', null, 'mentoring', '', now())",
        "insert into quotas (kind, owner_id, period_start, period_end, amount) values ('squad_base', 's', '2026-01-01', '2026-04-01', -1)",
    ],
)
@pytest.mark.embedded_only  # check constraints; on a lake the application checks
def test_the_schema_refuses_impossible_rows(con, sql):
    with pytest.raises(duckdb.ConstraintException):
        con.execute(sql)


def test_a_file_made_by_an_older_build_of_the_same_version_gets_new_views_and_macros(tmp_path):
    path = tmp_path / "s.duckdb"
    con = db.connect(path)
    con.execute("drop view activity_weights")
    con.execute("update meta set value = 'older' where key = 'schema_sha256'")
    con.close()
    again = db.connect(path)
    assert again.execute("select count(*) from activity_weights").fetchone() == (5,)


def _won_deal(con) -> None:
    con.execute("""
        insert into squads values ('s1', 'One', null, null);
        insert into reps (rep_id, name) values ('r1', 'Rita');
        insert into squad_members values ('r1', 's1', '2026-01-01', null);
        insert into deals (deal_id, source, source_id, owner_id, status, amount, close_date)
            values ('d1', 'test', '1', 'r1', 'won', 1200, '2026-11-02');
    """)


def test_a_version_1_file_gets_derived_tables_filled_from_its_deals(tmp_path):
    path = tmp_path / "v1.duckdb"
    con = db.connect(path)
    _won_deal(con)
    # Version 1 worked the credits out in views of the same names.
    for table in ["credited_revenue", "confirmed_overlay", "open_pipeline_credits"]:
        con.execute(f"drop table {table}")
        con.execute(f"create view {table} as select 1 as x")
    con.execute("update meta set value = '1' where key = 'schema_version'")
    con.close()
    upgraded = db.connect(path)
    assert db.schema_version(upgraded) == db.SCHEMA_VERSION
    assert upgraded.execute(
        "select rep_id, squad_id, amount::double from credited_revenue"
    ).fetchall() == [("r1", "s1", 1200.0)]


def test_new_rules_for_the_derived_tables_rebuild_them_on_open(tmp_path):
    path = tmp_path / "s.duckdb"
    con = db.connect(path)
    _won_deal(con)  # plain SQL: the derived tables do not know the deal yet
    assert con.execute("select count(*) from credited_revenue").fetchone() == (0,)
    con.execute("update meta set value = 'older' where key = 'facts_sha256'")
    con.close()
    again = db.connect(path)
    assert again.execute("select count(*) from credited_revenue").fetchone() == (1,)
