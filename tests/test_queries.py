"""Named queries: headers agree with the SQL, the runner checks parameters, and
squad_attainment follows the definitions in PRODUCT.md on rows a test inserts."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from squadboard import db, facts

ROOT = Path(__file__).resolve().parent.parent
Q4 = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": "2026-11-15"}


@pytest.mark.parametrize("name", db.query_names())
def test_every_query_header_declares_exactly_the_parameters_it_uses(name):
    query = db.get_query(name)
    assert query.summary, f"{name} has no summary line"
    assert query.grain, f"{name} has no '-- grain:' line"
    assert {p.name for p in query.params} == query.body_params()


def test_no_sql_has_a_window_over_every_row():
    # DuckDB 1.5.5 fails a window "over ()" at random and then refuses every query until the
    # process restarts (duckdb/duckdb#25713): an aggregate in a CTE or a row index made in
    # Polars says the same thing safely.
    files = [*(ROOT / "queries").glob("*.sql"), *(ROOT / "squadboard").rglob("*.sql")]
    files += [*(ROOT / "squadboard").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
        for path in files
        for text in [path.read_text()]
        for m in re.finditer(r"(?i)\bover\s*\(\s*\)", text)
    ]
    assert found == []


@pytest.mark.parametrize("name", db.query_names())
def test_every_query_runs_on_an_empty_database(con, name):
    query = db.get_query(name)
    examples = {
        "DATE": "2026-10-01",
        "VARCHAR": "x",
        "INTEGER": "1",
        "DOUBLE": "0.5",
        "BOOLEAN": "true",
    }
    params = {p.name: examples[p.type] for p in query.params}
    if "period_end" in params:
        params["period_end"] = "2027-01-01"
    assert db.run(con, name, **params).height >= 0


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("no_such_query", {}, "unknown query 'no_such_query'"),
        ("../etc/passwd", {}, "unknown query"),
        (
            "squad_attainment",
            {"period_start": "2026-10-01", "period_end": "2027-01-01"},
            "missing parameter as_of",
        ),
        ("squad_attainment", {**Q4, "squad": "x"}, "unknown parameter squad"),
        ("squad_attainment", {**Q4, "as_of": "15/11/2026"}, "parameter as_of must be a DATE"),
        (
            "squad_attainment",
            {**Q4, "as_of": "2026-11-15'; drop table deals; --"},
            "must be a DATE",
        ),
    ],
)
def test_the_runner_names_the_query_and_the_bad_parameter(con, name, params, message):
    with pytest.raises(db.QueryError, match=message):
        db.run(con, name, **params)


def _org(con):
    con.execute("""
        insert into squads values ('s1', 'One', 'East', 'm1'), ('s2', 'Two', 'West', null), ('s3', 'Three', null, null);
        insert into reps (rep_id, name) values ('a', 'Ann'), ('b', 'Bob'), ('c', 'Cy'), ('m1', 'Meg');
        insert into squad_members values
            ('a', 's1', '2020-01-01', null),
            ('b', 's1', '2020-01-01', '2026-11-01'),  -- Bob moves to squad Two on 1 Nov
            ('b', 's2', '2026-11-01', null),
            ('c', 's2', '2020-01-01', null);
        insert into quotas (kind, owner_id, period_start, period_end, amount) values
            ('squad_base', 's1', '2026-10-01', '2027-01-01', 10000),
            ('squad_base', 's2', '2026-10-01', '2027-01-01', 4000);
    """)


def _deal(con, deal_id, owner, amount, close, status="won", prob=1.0):
    con.execute(
        "insert into deals (deal_id, source, source_id, owner_id, status, amount, probability, close_date) "
        "values (?, 'test', ?, ?, ?, ?, ?, ?)",
        [deal_id, deal_id, owner, status, amount, prob, close],
    )
    facts.refresh_deal(con, deal_id)  # what the write paths do after writing a deal


def _credit(con, deal_id, rep, kind, pct, confirmed=False):
    con.execute(
        "insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent, ae_confirmed_at, manager_confirmed_at) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [
            f"{deal_id}-{rep}-{kind}",
            deal_id,
            rep,
            kind,
            pct,
            *(["2026-11-02"] * 2 if confirmed else [None, None]),
        ],
    )
    facts.refresh_deal(con, deal_id)


def _squads(con, **params):
    frame = db.run(con, "squad_attainment", **{**Q4, **params})
    return {r["squad_id"]: r for r in frame.iter_rows(named=True)}


def test_squad_attainment_by_hand(con):
    _org(con)
    _deal(con, "d1", "a", 1000, "2026-10-10")  # Ann alone: 1000 to One
    _deal(con, "d2", "a", 2000, "2026-10-20")  # split 60/40 Ann/Cy
    _credit(con, "d2", "a", "revenue", 60)
    _credit(con, "d2", "c", "revenue", 40)
    _credit(con, "d2", "b", "overlay", 10, confirmed=True)  # overlay never counts for squads
    _deal(con, "d3", "b", 500, "2026-10-25")  # Bob still in One
    _deal(con, "d4", "b", 700, "2026-11-05")  # Bob now in Two
    _deal(con, "d5", "c", 9999, "2026-09-30")  # previous quarter
    _deal(con, "d6", "c", 9999, "2026-11-20")  # after as_of
    _deal(con, "d7", "c", 8000, "2026-12-10", "open", 0.25)  # pipeline: 2000 weighted
    _deal(con, "d8", "c", 8000, "2026-10-10", "lost", 0.0)
    rows = _squads(con)
    assert rows["s1"]["credited"] == Decimal("2700.00")  # 1000 + 1200 + 500
    assert rows["s2"]["credited"] == Decimal("1500.00")  # 800 + 700
    assert rows["s1"]["attainment"] == pytest.approx(0.27)
    assert rows["s2"]["attainment"] == pytest.approx(0.375)
    elapsed = 46 / 92  # 1 Oct .. 15 Nov of a 92-day quarter
    assert rows["s1"]["expected_to_date"] == Decimal("5000.00")
    assert rows["s1"]["pace"] == pytest.approx(0.27 / elapsed)
    assert rows["s1"]["status"] == "behind"
    assert rows["s2"]["forecast"] == Decimal("3500.00")  # 1500 + 8000 x 0.25
    weeks_left = 46 / 7  # 16 Nov .. 31 Dec
    assert float(rows["s1"]["needed_per_week"]) == pytest.approx(
        (10000 - 2700) / weeks_left, abs=0.01
    )
    # A squad with no quota: null attainment, not zero and not an error.
    assert (
        rows["s3"]["quota"] is None
        and rows["s3"]["attainment"] is None
        and rows["s3"]["pace"] is None
    )
    assert rows["s3"]["credited"] == 0


@pytest.mark.parametrize(
    "as_of, elapsed",
    [
        ("2026-10-01", 1 / 92),  # first day counts as a day done
        ("2026-12-31", 1.0),  # last day
        ("2027-03-01", 1.0),  # after the period: final
    ],
)
def test_expected_to_date_follows_elapsed_days(con, as_of, elapsed):
    _org(con)
    rows = _squads(con, as_of=as_of)
    assert float(rows["s1"]["expected_to_date"]) == pytest.approx(10000 * elapsed, abs=0.01)


def test_before_the_period_there_is_no_pace(con):
    _org(con)
    rows = _squads(con, as_of="2026-09-01")
    assert rows["s1"]["pace"] is None and rows["s1"]["status"] is None


@pytest.mark.parametrize(
    "credited, status",
    [(5000, "ahead"), (4500, "on track"), (4499, "behind")],  # at half-time of 10000
)
def test_status_thresholds(con, credited, status):
    _org(con)
    _deal(con, "d1", "a", credited, "2026-10-02")
    con.execute(
        "update quotas set period_start = '2026-10-01', period_end = '2026-10-31' where owner_id = 's1'"
    )
    rows = _squads(con, period_start="2026-10-01", period_end="2026-10-31", as_of="2026-10-15")
    assert rows["s1"]["status"] == status


def test_squad_attainment_on_a_date_passed_as_a_date_object(con):
    _org(con)
    frame = db.run(
        con,
        "squad_attainment",
        period_start=date(2026, 10, 1),
        period_end=date(2027, 1, 1),
        as_of=date(2026, 11, 15),
    )
    assert frame.columns[:10] == [
        "squad_id",
        "squad",
        "quota",
        "credited",
        "attainment",
        "expected_to_date",
        "pace",
        "status",
        "forecast",
        "needed_per_week",
    ]
