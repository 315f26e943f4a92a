"""Self-set goals (squadboard.goals) and the Targets page through AppTest."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from squadboard import db, display, goals, periods

from .conftest import assert_same_contents, table_contents

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
Q4, Q1 = periods.parse("2026-Q4"), periods.parse("2027-Q1")


@pytest.fixture
def org(con):
    con.execute("insert into reps (rep_id, name) values ('ann', 'Ann'), ('bob', 'Bob')")
    return con


def _goal(con, rep, period):
    return (
        con.cursor()
        .execute(
            "select amount, set_by from quotas where kind = 'rep_goal' and owner_id = ? "
            "and period_start = ? and period_end = ?",
            [rep, period.start, period.end],
        )
        .fetchone()
    )


def test_a_rep_sets_their_own_goal_with_an_audit_entry(org):
    assert goals.set_goal(org, "ann", "ann", Q4, 120_000, today=TODAY) is None
    assert _goal(org, "ann", Q4) == (120_000, "ann")
    assert goals.set_goal(org, "ann", "ann", Q4, "130000.50", today=TODAY) == 120_000
    assert float(_goal(org, "ann", Q4)[0]) == 130_000.50
    audit = (
        org.cursor()
        .execute(
            "select actor, action, entity_id, detail from audit_log where action = 'set_goal' order by audit_id"
        )
        .fetchall()
    )
    assert [a[:3] for a in audit] == [("ann", "set_goal", "rep_goal:ann:2026-Q4")] * 2
    assert json.loads(audit[1][3]) == {
        "period": "2026-Q4",
        "amount": 130000.5,
        "previous": 120000.0,
    }


@pytest.mark.parametrize(
    "actor, rep, period, amount, message",
    [
        ("bob", "ann", Q4, 1000, "only your own goal"),
        ("ann", "ann", periods.parse("2026-Q3"), 1000, "current or the next period"),
        ("ann", "ann", periods.parse("2027-Q2"), 1000, "current or the next period"),
        ("ann", "ann", Q4, -5, "between 0 and"),
        ("ann", "ann", Q4, math.nan, "between 0 and"),
        ("ann", "ann", Q4, math.inf, "between 0 and"),
        ("ann", "ann", Q4, 1e13, "between 0 and"),
        ("ann", "ann", Q4, "12k", "must be an amount"),
        ("zed", "zed", Q4, 1000, "not in the roster"),
    ],
)
def test_a_goal_that_may_not_be_written_changes_nothing(org, actor, rep, period, amount, message):
    before = table_contents(org)
    with pytest.raises(goals.GoalError, match=message):
        goals.set_goal(org, actor, rep, period, amount, today=TODAY)
    assert_same_contents(before, table_contents(org))


def test_next_period_and_months_and_a_february_fiscal_year(org):
    goals.set_goal(org, "ann", "ann", Q1, 90_000, today=TODAY)
    goals.set_goal(org, "ann", "ann", periods.parse("2026-12"), 30_000, today=TODAY)
    assert _goal(org, "ann", Q1)[0] == 90_000
    feb_q4 = periods.parse("2026-Q4", 2)  # Nov 2026 .. Jan 2027
    assert goals.open_periods(TODAY, "quarter", 2)[0] == feb_q4
    goals.set_goal(org, "ann", "ann", feb_q4, 50_000, today=TODAY, fy_start_month=2)
    assert _goal(org, "ann", feb_q4)[0] == 50_000


def open_app(viewer_id: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("pages/targets.py").run()


def test_targets_lists_every_rep_with_the_query_figures(app_env):
    at = open_app("tom.becker")
    assert not at.exception
    con = db.connect(app_env)
    try:
        expected = db.run(con, "rep_attainment", **Q4.params(TODAY))
    finally:
        con.close()
    table = at.dataframe[0].value
    assert list(table["rep"]) == expected["rep"].to_list()
    # Columns with a missing value are written out by the one formatting layer, a dash for
    # the missing ones (a grid would draw "None").
    assert list(table["coverage"]) == display.as_text(expected["coverage"], "ratio").to_list()
    assert list(table["self_goal"]) == display.as_text(expected["self_goal"], "money").to_list()
    assert "–" in list(table["self_goal"])
    # A rep sees no bottom-up table: that is for leaders.
    assert not any(s.value == "Bottom-up vs top-down" for s in at.subheader)


def test_a_rep_saves_their_goal_through_the_form(app_env):
    at = open_app("tom.becker")
    at.selectbox(key="goal_period").set_value(Q1)
    at.number_input(key="goal").set_value(175_000.0)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert any("Saved your goal for 2027-Q1: $175,000" in s.value for s in at.success)
    con = db.connect(app_env)
    try:
        assert _goal(con, "tom.becker", Q1) == (175_000, "tom.becker")
        actor = (
            con.cursor().execute("select actor from audit_log where action = 'set_goal'").fetchall()
        )
        assert actor == [("tom.becker",)]
    finally:
        con.close()


def test_leaders_see_bottom_up_vs_top_down(app_env):
    at = open_app("maya.chen")
    assert not at.exception
    assert any(s.value == "Bottom-up vs top-down" for s in at.subheader)
    con = db.connect(app_env)
    try:
        expected = db.run(con, "goals_by_squad", **Q4.params(TODAY))
    finally:
        con.close()
    table = at.dataframe[-1].value.set_index("squad")
    for row in expected.iter_rows(named=True):
        assert float(table.loc[row["squad"], "gap"]) == pytest.approx(float(row["gap"]))
    assert len(at.get("plotly_chart")) == 1
