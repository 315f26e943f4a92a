"""Fiscal periods and the pace clock at the edges: first and last day of a period, a leap
day, and a fiscal year that starts in February; SQL macros and Python agree on every one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from squadboard import db, facts, metrics, periods


@pytest.mark.parametrize(
    "day, fy_start, label, start, end",
    [
        (date(2026, 11, 23), 1, "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        (date(2026, 1, 31), 2, "2025-Q4", date(2025, 11, 1), date(2026, 2, 1)),  # Jan: FY2025
        (date(2026, 2, 1), 2, "2026-Q1", date(2026, 2, 1), date(2026, 5, 1)),
        (date(2024, 2, 29), 2, "2024-Q1", date(2024, 2, 1), date(2024, 5, 1)),  # leap day
        (date(2024, 2, 29), 1, "2024-Q1", date(2024, 1, 1), date(2024, 4, 1)),
        (date(2026, 12, 31), 11, "2026-Q1", date(2026, 11, 1), date(2027, 2, 1)),
    ],
)
def test_quarter_of(day, fy_start, label, start, end):
    q = periods.quarter_of(day, fy_start)
    assert (q.label, q.start, q.end) == (label, start, end)
    assert periods.parse(label, fy_start) == q
    assert q.contains(day) and not q.contains(q.end)


@pytest.mark.parametrize("fy_start", range(1, 13))
def test_four_quarters_tile_the_fiscal_year(fy_start):
    q = periods.parse("2026-Q1", fy_start)
    for _ in range(3):
        following = q.next(fy_start)
        assert following.start == q.end
        assert following.previous(fy_start) == q
        q = following
    assert q.label == "2026-Q4"
    assert q.end == date(2027, fy_start, 1)


def test_a_leap_february_month():
    feb = periods.parse("2024-02")
    assert feb.days == 29 and feb.end == date(2024, 3, 1)
    assert periods.parse("2026-02").days == 28


def _sql_clock(con, period, as_of):
    return (
        con.cursor()
        .execute(
            "select elapsed_fraction(?, ?, ?), days_left(?, ?, ?)",
            [period.start, period.end, as_of] * 2,
        )
        .fetchone()
    )


# (period label, fiscal year start, as_of, days done, days in period)
EDGES = [
    ("2026-Q4", 1, date(2026, 10, 1), 1, 92),  # first day: one day done
    ("2026-Q4", 1, date(2026, 12, 31), 92, 92),  # last day: all done
    ("2026-Q4", 1, date(2026, 9, 30), 0, 92),  # the day before
    ("2026-Q4", 1, date(2027, 1, 1), 92, 92),  # the day after
    ("2024-Q1", 1, date(2024, 2, 29), 60, 91),  # leap day: 31 + 29
    ("2024-02", 1, date(2024, 2, 29), 29, 29),  # leap day, last day of its month
    ("2024-Q1", 2, date(2024, 2, 29), 29, 90),  # FY from February: Feb..Apr 2024, 29 + 31 + 30
    ("2026-Q1", 2, date(2026, 2, 1), 1, 89),  # first day of a February fiscal year
    ("2025-Q4", 2, date(2026, 1, 31), 92, 92),  # last day of FY2025 (Nov..Jan)
]


@pytest.mark.parametrize("label, fy, as_of, done, days", EDGES)
def test_the_clock_in_sql_and_python_agree_at_the_edges(con, label, fy, as_of, done, days):
    period = periods.parse(label, fy)
    assert period.days == days
    elapsed, left = _sql_clock(con, period, as_of)
    assert elapsed == pytest.approx(done / days)
    assert periods.elapsed_fraction(period, as_of) == pytest.approx(done / days)
    assert (
        left
        == periods.days_left(period, as_of)
        == (
            days - done
            if period.start <= as_of < period.end
            else (days if as_of < period.start else 0)
        )
    )


@pytest.mark.parametrize("label, fy, as_of, done, days", EDGES)
def test_expected_to_date_and_pace_at_the_edges(con, label, fy, as_of, done, days):
    """squad_attainment on a squad with quota 9,100 and 910 credited on the period's first day."""
    period = periods.parse(label, fy)
    con.execute("""
        insert into squads values ('s', 'S', null, null);
        insert into reps (rep_id, name) values ('r', 'R');
        insert into squad_members values ('r', 's', '2000-01-01', null);
    """)
    con.execute(
        "insert into quotas (kind, owner_id, period_start, period_end, amount) values ('squad_base', 's', ?, ?, 9100)",
        [period.start, period.end],
    )
    con.execute(
        "insert into deals (deal_id, source, source_id, owner_id, status, amount, close_date) "
        "values ('d', 't', 'd', 'r', 'won', 910, ?)",
        [period.start],
    )
    facts.refresh(con)
    row = db.run(con, "squad_attainment", **period.params(as_of)).row(0, named=True)
    assert float(row["expected_to_date"]) == pytest.approx(9100 * done / days, abs=0.01)
    if done == 0:
        assert row["pace"] is None and row["status"] is None
        assert row["credited"] == 0  # as_of before the deal's close date
    else:
        assert row["attainment"] == pytest.approx(0.1)
        assert row["pace"] == pytest.approx(0.1 / (done / days))
    left_days = periods.days_left(period, as_of)
    if left_days:
        assert float(row["needed_per_week"]) == pytest.approx(
            (9100 - float(row["credited"])) / (left_days / 7), abs=0.01
        )
    else:
        assert row["needed_per_week"] is None  # no week left to do it in


def test_every_day_of_a_leap_year_agrees(con):
    period = periods.Period("2024", date(2024, 1, 1), date(2025, 1, 1))
    cur = con.cursor()
    days = [date(2023, 12, 30) + timedelta(days=n) for n in range(370)]
    got = cur.execute(
        "select d, elapsed_fraction(date '2024-01-01', date '2025-01-01', d), "
        "days_left(date '2024-01-01', date '2025-01-01', d) from unnest(?::date[]) t(d) order by d",
        [days],
    ).fetchall()
    for day, elapsed, left in got:
        assert elapsed == pytest.approx(periods.elapsed_fraction(period, day))
        assert left == periods.days_left(period, day)


# Business days (plan setting pace_basis = business_days) -------------------------------------


def test_business_days_in_sql_and_python_agree_on_every_day(con):
    """Every as_of around a leap year and a February fiscal quarter, weekends included."""
    cur = con.cursor()
    for period in (
        periods.Period("2024", date(2024, 1, 1), date(2025, 1, 1)),
        periods.parse("2024-Q1", 2),
        periods.parse("2026-11"),
    ):
        days = [
            period.start - timedelta(days=3) + timedelta(days=n) for n in range(period.days + 6)
        ]
        got = cur.execute(
            "select d, elapsed_business_fraction(?, ?, d), business_days(?, d + 1) "
            "from unnest(?::date[]) t(d) order by d",
            [period.start, period.end, period.start, days],
        ).fetchall()
        for day, fraction, upto in got:
            assert fraction == pytest.approx(metrics.elapsed(period, day, "business_days")), day
            if day >= period.start:
                assert upto == metrics.business_days(period.start, day + timedelta(days=1))


@pytest.mark.parametrize(
    "as_of, done",
    [
        (date(2026, 10, 1), 1),  # Thursday, the first day
        (date(2026, 10, 3), 2),  # Saturday: still Thursday and Friday
        (date(2026, 11, 23), 38),  # Monday
        (date(2026, 12, 31), 66),  # the last day: all 66 business days of Q4 2026
    ],
)
def test_squad_attainment_paces_on_business_days_when_the_plan_says_so(con, as_of, done):
    con.execute("""
        insert into squads values ('s', 'S', null, null);
        insert into quotas (kind, owner_id, period_start, period_end, amount)
            values ('squad_base', 's', '2026-10-01', '2027-01-01', 6600);
        insert into plan_settings values ('pace_basis', '"business_days"');
    """)
    q4 = periods.parse("2026-Q4")
    row = db.run(con, "squad_attainment", **q4.params(as_of)).row(0, named=True)
    assert float(row["expected_to_date"]) == pytest.approx(6600 * done / 66, abs=0.01)
    trend = db.run(con, "squad_trend", period_start=q4.start, period_end=q4.end, squad_id="s")
    assert float(trend["expected_cum"][0]) == pytest.approx(6600 * 2 / 66, abs=0.01)  # Thu, Fri
