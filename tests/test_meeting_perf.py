"""The weekly meeting's faster paths give what the plain ones gave (squadboard/meeting.py):
freezing many weeks in runs of FREEZE_CHUNK, and the reasons a deal needs help worked out
column by column."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from squadboard import db, meeting
from squadboard.plan import Plan

FIRST = date(2026, 8, 3)  # a Monday
WEEKS = 9

FROZEN = (
    "select week_start, deal_id, status, owner_id, squad_id, stage, amount, probability, "
    "close_date, deal, account, stage_since, pushes, last_change, ended_stage, ended_stage_days "
    "from meeting_week_deals order by week_start, deal_id"
)


def _organisation(con) -> None:
    """Two squads, deals that come and go, change stage, amount, owner and close date over
    nine weeks, with a week skipped now and then (carried forward)."""
    cur = con.cursor()
    cur.execute(
        "insert into squads values ('orcas', 'Orcas', null, null), ('lynx', 'Lynx', null, null)"
    )
    for rep, squad in (("ann", "orcas"), ("bob", "orcas"), ("cat", "lynx")):
        cur.execute("insert into reps (rep_id, name) values (?, ?)", [rep, rep.title()])
        cur.execute("insert into squad_members values (?, ?, '2026-01-01', null)", [rep, squad])
    stages = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
    owners = ["ann", "bob", "cat"]
    for d in range(12):
        status = "won" if d % 5 == 0 else "lost" if d in (3, 8) else "open"
        cur.execute(
            "insert into deals (deal_id, source, source_id, name, account, owner_id, stage, "
            "status, amount, close_date) values (?, 'native', ?, ?, 'Acme', ?, 'Proposal', ?, "
            "1000, '2026-12-01')",
            [f"D{d}", f"D{d}", f"Deal {d}", owners[d % 3], status],
        )
    for week in range(WEEKS):
        if week in (3, 6):
            continue  # nothing imported: carried forward
        day = FIRST + timedelta(days=7 * week + week % 5)
        for d in range(12):
            if (d + week) % 4 == 0 and d % 3 != 1:
                continue  # not open in this week's export: gone, then back later
            cur.execute(
                "insert into pipeline_snapshots values (?, ?, ?, ?, ?, 0.5, ?)",
                [
                    day,
                    f"D{d}",
                    owners[(d + week // 3) % 3],
                    stages[(d + week // 2) % 4],
                    1000 + 100 * ((d * week) % 3),
                    date(2026, 9, 1) + timedelta(days=10 * ((d + week) % 6)),
                ],
            )


def _freeze_all(con, chunk: int, monkeypatch) -> pl.DataFrame:
    monkeypatch.setattr(meeting, "FREEZE_CHUNK", chunk)
    with db.transaction(con) as tx:
        frozen = meeting.freeze(tx, FIRST + timedelta(days=7 * WEEKS))
    assert frozen == [FIRST + timedelta(days=7 * w) for w in range(WEEKS)]
    return con.cursor().sql(FROZEN).pl()


def test_freezing_in_runs_of_weeks_gives_the_rows_week_by_week_freezing_gives(monkeypatch):
    one_by_one = db.connect(":memory:")
    _organisation(one_by_one)
    weekly = _freeze_all(one_by_one, 1, monkeypatch)  # every week against the one before
    for chunk in (2, 4, 13):
        con = db.connect(":memory:")
        _organisation(con)
        assert _freeze_all(con, chunk, monkeypatch).equals(weekly), chunk
    # the organisation exercises what is carried: stage changes, pushes, deals gone and back
    assert weekly.filter(pl.col("ended_stage").is_not_null()).height > 0
    assert weekly["pushes"].max() >= 2
    assert set(weekly["status"]) == {"open", "won", "lost", "removed"}


def test_weeks_frozen_by_one_import_after_another_chain_on(monkeypatch):
    whole = db.connect(":memory:")
    _organisation(whole)
    expected = _freeze_all(whole, 13, monkeypatch)
    con = db.connect(":memory:")
    _organisation(con)
    for through in (FIRST + timedelta(days=20), FIRST + timedelta(days=7 * WEEKS)):
        with db.transaction(con) as tx:
            meeting.freeze(tx, through)
    assert con.cursor().sql(FROZEN).pl().equals(expected)


def _row_by_row(health: pl.DataFrame, plan: Plan) -> list[str]:
    """The reasons as the page first wrote them, one deal at a time."""
    out = []
    for r in health.iter_rows(named=True):
        found = []
        if r["days_overdue"] is not None and r["days_overdue"] > 0:
            found.append(f"overdue {r['days_overdue']} days")
        if r["pushes"] >= 2:
            found.append(f"pushed out {r['pushes']} times")
        median = r["stage_median_days"]
        if median and r["days_in_stage"] > plan.stall_factor * median:
            found.append(
                f"stalled: {r['days_in_stage']} days in {r['stage']} "
                f"(the org's median is {median:g})"
            )
        large = r["large_from"] is not None and r["amount"] is not None
        if large and r["amount"] >= r["large_from"] and r["days_unchanged"] >= plan.stale_days:
            found.append(f"large and unchanged for {r['days_unchanged']} days")
        out.append("; ".join(found))
    return [x for x in out if x]


@pytest.mark.parametrize("plan", [Plan(), Plan(stall_factor=1.0, stale_days=5)])
def test_reasons_worked_out_column_by_column_read_as_before(plan):
    health = pl.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(8)],
            "stage": ["Proposal", "Demo", None, "Proposal", "Demo", "Proposal", "Demo", "X"],
            "amount": [9000.0, 100.0, None, 5000.0, 7000.0, 1.0, 9000.0, 9000.0],
            "days_overdue": [3, None, 0, -2, 12, None, 1, None],
            "pushes": [2, 0, 5, 1, 3, 0, 0, 0],
            "days_in_stage": [30, 22, 40, 9, 100, 0, 31, 50],
            "stage_median_days": [10.5, 10.0, None, 10.5, 0.0, 10.5, 14.0, None],
            "days_unchanged": [30, 1, 40, 21, 4, 0, 22, 60],
            "large_from": [5000.0] * 7 + [None],
        }
    )
    got = meeting.needs_help(health, plan)
    assert got["reasons"].to_list() == _row_by_row(health, plan)
    assert "the org's median is 10.5" in " ".join(got["reasons"])
    assert got.columns == [*health.columns, "reasons"]
