"""The demo organisation: deterministic, and it tells the story the README promises."""

from datetime import date

import polars as pl
import pytest

from squadboard import db, demo, periods
from tests.conftest import TODAY

Q = periods.quarter_of(TODAY)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = demo.generate(7, TODAY), demo.generate(7, TODAY), demo.generate(8, TODAY)
    for table in a:
        assert a[table].equals(b[table]), table
    assert not a["deals"].equals(c["deals"])


@pytest.fixture(scope="module")
def story(demo_file):
    con = db.connect(demo_file, read_only=True)
    yield con
    con.close()


def test_four_squads_of_five_to_eight_with_managers_and_overlay_people(story):
    members = db.run(story, "roster", as_of=TODAY).filter(pl.col("squad_id").is_not_null())
    sizes = members.group_by("squad_id").len()["len"].to_list()
    assert len(sizes) >= 4 and all(5 <= n <= 8 for n in sizes)
    roles = set(members["role"])
    assert {"AE", "SE", "specialist", "CSM"} <= roles
    leaders = db.run(story, "roster", as_of=TODAY).filter(pl.col("access") == "leader")
    assert leaders.height == 4


def test_current_quarter_in_progress_and_three_past_quarters_have_quotas(story):
    starts = {
        r[0]
        for r in story.execute(
            "select distinct period_start from quotas where kind = 'squad_base'"
        ).fetchall()
    }
    expected = {Q.start}
    p = Q
    for _ in range(3):
        p = p.previous()
        expected.add(p.start)
    assert expected <= starts
    kinds = {r[0] for r in story.execute("select distinct kind from quotas").fetchall()}
    assert kinds == {"squad_base", "rep_stretch", "rep_goal"}


def test_one_squad_well_ahead_and_one_behind(story):
    rows = db.run(story, "squad_attainment", **Q.params(TODAY))
    status = dict(zip(rows["squad"], rows["status"], strict=True))
    pace = dict(zip(rows["squad"], rows["pace"], strict=True))
    assert status["Falcons"] == "ahead" and pace["Falcons"] >= 1.2
    assert status["Orcas"] == "behind"


def _credited_by_rep(con, start, end):
    return dict(
        con.execute(
            "select rep_id, sum(amount)::double from credited_revenue "
            "where close_date >= ? and close_date < ? group by rep_id",
            [start, end],
        ).fetchall()
    )


def test_a_star_a_struggler_and_a_helper_who_closes_little(story):
    year_start = Q.previous().previous().previous().start
    credited = _credited_by_rep(story, year_start, Q.end)
    best = max(credited, key=credited.get)
    assert best == "priya.raman"
    assert credited["tom.becker"] < 0.5 * sorted(credited.values())[len(credited) // 2]
    kudos = dict(story.execute("select to_rep, count(*) from kudos group by to_rep").fetchall())
    assert max(kudos, key=kudos.get) == "ana.souza"
    assert credited["ana.souza"] < sorted(credited.values())[len(credited) // 2]
    helped = story.execute(
        "select count(*) from deal_credits where rep_id = 'ana.souza' and credit_type = 'overlay'"
    ).fetchone()[0]
    assert helped >= 5


def test_a_rep_who_moved_squads_mid_quarter(story):
    rows = story.execute(
        "select squad_id, valid_from, valid_to from squad_members where rep_id = 'jonas.weber' order by valid_from"
    ).fetchall()
    assert [r[0] for r in rows] == ["orcas", "lynx"]
    assert Q.start < rows[1][1] <= TODAY and rows[0][2] == rows[1][1]


def test_deals_in_every_stage_with_splits_and_overlays_confirmed_and_pending(story):
    stages = {r[0] for r in story.execute("select distinct stage from deals").fetchall()}
    assert {"Closed Won", "Closed Lost", "Prospecting", "Negotiation/Review"} <= stages
    revenue_split_deals = story.execute(
        "select count(distinct deal_id) from deal_credits where credit_type = 'revenue'"
    ).fetchone()[0]
    assert revenue_split_deals >= 20
    states = story.execute("""
        select
            count(*) filter (where ae_confirmed_at is not null and manager_confirmed_at is not null),
            count(*) filter (where ae_confirmed_at is not null and manager_confirmed_at is null),
            count(*) filter (where ae_confirmed_at is null and rejected_at is null)
        from deal_credits where credit_type = 'overlay'
    """).fetchone()
    assert all(n > 0 for n in states)
    sums = story.execute(
        "select deal_id, sum(percent) from deal_credits where credit_type = 'revenue' group by deal_id having sum(percent) <> 100"
    ).fetchall()
    assert sums == []


def test_activities_kudos_and_weekly_snapshots(story):
    assert story.execute("select count(*) from activities").fetchone()[0] > 1000
    assert story.execute("select count(*) from kudos").fetchone()[0] > 100
    mondays = [
        r[0]
        for r in story.execute(
            "select distinct snapshot_date from pipeline_snapshots order by 1"
        ).fetchall()
    ]
    assert len(mondays) >= 52
    assert all(d.weekday() == 0 for d in mondays)


def test_a_new_hire_with_no_deals_still_in_the_roster(story):
    assert (
        story.execute("select count(*) from deals where owner_id = 'sam.okafor'").fetchone()[0] == 0
    )
    roster = db.run(story, "roster", as_of=TODAY)
    assert "sam.okafor" in roster["rep_id"].to_list()


def test_demo_depends_only_on_seed_and_day():
    assert not demo.generate(7, date(2026, 5, 1))["deals"].equals(demo.generate(7, TODAY)["deals"])
