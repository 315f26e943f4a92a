"""Find a mentor at scale (issues #13 and #15): the skill cells read per-deal facts
(skill_facts, skill_stage_facts) that every write path keeps in step, grouped one dimension at
a time. They must give exactly what the rules give when worked out from the deals and every
pipeline snapshot, as the first version did; the pages read one rep's cells and the team
medians; Suggest pairs keeps only each seeker's best mentors and stays optimal."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from scipy.optimize import linear_sum_assignment

from squadboard import db, skills
from tests.conftest import TODAY
from tests.test_facts import _import, assert_derived_match_a_rebuild

# The first version of the rules, straight from the deals and every snapshot, on each call.
REFERENCE = """
create or replace temp macro ref_skill_deals(ps, pe) as table
with closed as (
    select
        deal_id, owner_id as rep_id, product, account, amount, created_date, close_date,
        status = 'won' as won
    from deals
    where status in ('won', 'lost') and close_date >= ps and close_date < pe
        and owner_id is not null
),
quartiles as (
    select
        quantile_cont(amount, 0.25) as q1,
        quantile_cont(amount, 0.5) as q2,
        quantile_cont(amount, 0.75) as q3
    from closed
    where won and amount > 0
),
bands as (
    select
        q1, q2, q3,
        'under ' || dollars(q1) || ' (smallest quarter)' as b1,
        dollars(q1) || '–' || dollars(q2) || ' (second quarter)' as b2,
        dollars(q2) || '–' || dollars(q3) || ' (third quarter)' as b3,
        dollars(q3) || ' and over (largest quarter)' as b4
    from quartiles
    where q1 is not null
),
spellings as (
    select product, product_key(product) as k, count(*) as n
    from closed
    where product is not null and trim(product) <> ''
    group by product
),
product_names as (
    select s.product, first(t.product order by t.n desc, t.product) as label
    from spellings as s inner join spellings as t on t.k = s.k
    group by s.product
),
sectors as (
    select account_key, trim(value) as sector
    from account_attributes
    where attribute = 'sector' and trim(value) <> ''
),
stages as (
    select distinct c.deal_id, s.stage
    from closed as c
    inner join pipeline_snapshots as s on s.deal_id = c.deal_id
    where s.stage is not null and s.snapshot_date < pe
)
select rep_id, 'overall' as dimension, 'all deals' as segment, deal_id, won, amount,
    created_date, close_date
from closed
union all
select c.rep_id, 'product', p.label, c.deal_id, c.won, c.amount, c.created_date, c.close_date
from closed as c inner join product_names as p on p.product = c.product
union all
select c.rep_id, 'size_band',
    case when c.amount < b.q1 then b.b1 when c.amount < b.q2 then b.b2
         when c.amount < b.q3 then b.b3 else b.b4 end,
    c.deal_id, c.won, c.amount, c.created_date, c.close_date
from closed as c, bands as b
where c.amount > 0
union all
select c.rep_id, 'sector', a.sector, c.deal_id, c.won, c.amount, c.created_date, c.close_date
from closed as c inner join sectors as a on a.account_key = lower(trim(c.account))
union all
select c.rep_id, 'stage', s.stage, c.deal_id, c.won, c.amount, c.created_date, c.close_date
from closed as c inner join stages as s on s.deal_id = c.deal_id;

create or replace temp macro ref_skill_cells(ps, pe) as table
select
    d.rep_id, r.name as rep, d.dimension, d.segment,
    count(*)::integer as deals,
    count(*) filter (where d.won)::integer as won,
    count(*) filter (where d.won) / count(*) as win_rate,
    wilson_low(count(*) filter (where d.won), count(*)) as rate_low,
    wilson_high(count(*) filter (where d.won), count(*)) as rate_high,
    median(date_diff('day', d.created_date, d.close_date)) filter (where d.won)::double
        as median_cycle_days,
    avg(d.amount) filter (where d.won)::decimal(18, 2) as avg_won_amount
from ref_skill_deals(ps, pe) as d
inner join reps as r on r.rep_id = d.rep_id
group by d.rep_id, r.name, d.dimension, d.segment;
"""
KEY = ["rep_id", "dimension", "segment"]


def reference(con, start: date, end: date) -> pl.DataFrame:
    con.execute(REFERENCE)
    return con.sql("select * from ref_skill_cells(?, ?)", params=[start, end]).pl().sort(KEY)


def windows() -> list[tuple[date, date]]:
    default = skills.default_window(TODAY)
    return [default, (date(2026, 7, 1), date(2026, 10, 1)), (date(2020, 1, 1), date(2030, 1, 1))]


@pytest.mark.parametrize("window", windows(), ids=["default", "a quarter", "everything"])
def test_the_cells_are_exactly_what_the_rules_give_from_the_deals(demo_con, window):
    start, end = window
    expected = reference(demo_con, start, end)
    assert expected.height > 50 and set(expected["dimension"]) >= {"product", "stage", "sector"}
    got = db.run(demo_con, "skill_profile", period_start=start, period_end=end)
    assert got.sort(KEY).equals(expected)
    counts = db.run(demo_con, "skill_counts", period_start=start, period_end=end)
    assert counts.sort(KEY).equals(expected.select(counts.columns))
    assert counts.equals(counts.sort("rep_id", "dimension", "segment"))  # sorted: docs/deploy.md
    rep = expected["rep_id"][0]
    mine = db.run(demo_con, "skill_rep_profile", rep_id=rep, period_start=start, period_end=end)
    assert mine.equals(got.filter(pl.col("rep_id") == rep))  # the same rows, in the same order
    medians = db.run(
        demo_con, "skill_team_medians", period_start=start, period_end=end, min_deals=10
    )
    by_polars = skills.team_medians(expected, 10).sort(skills.CELL)
    assert medians.select(skills.CELL).equals(by_polars.select(skills.CELL))
    assert np.allclose(medians["team_median"], by_polars["team_median"], rtol=0, atol=1e-12)


def test_the_page_reading_of_one_rep_is_the_one_from_everyones_cells(demo_con):
    from squadboard.auth import Viewer

    start, end = skills.default_window(TODAY)
    profile = db.run(demo_con, "skill_profile", period_start=start, period_end=end)
    medians = db.run(
        demo_con, "skill_team_medians", period_start=start, period_end=end, min_deals=10
    )
    for rep in profile["rep_id"].unique().sort().to_list()[:6]:
        own = db.run(demo_con, "skill_rep_profile", rep_id=rep, period_start=start, period_end=end)
        for viewer in (
            Viewer(rep, rep, "rep", "AE", None, ()),
            Viewer("x", "x", "rep", "AE", None, ()),
        ):
            whole = skills.rep_profile(profile, viewer, rep, None, 10)
            assert skills.rep_cells(own, medians, viewer, rep, None, 10).equals(whole)


def test_closing_a_deal_first_seen_in_todays_snapshot_drops_its_stage_at_once(demo_con):
    """An import rewrites the day's snapshot to the deals open now: a deal it closes leaves
    that day's snapshot, and with it the stage it was only seen at there."""
    header = "deal_id,name,owner_id,stage,status,amount,probability,created_date,close_date\n"
    _import(demo_con, "deals.csv", header + f"SK1,Skill,priya.raman,Proposal,open,9000,50,"
            f"{TODAY - timedelta(days=40)},{TODAY + timedelta(days=20)}\n")  # fmt: skip
    deal = demo_con.execute("select deal_id from deals where name = 'Skill'").fetchone()[0]
    seen = "select stage, snapshot_date from pipeline_snapshots where deal_id = ?"
    assert demo_con.execute(seen, [deal]).fetchall() == [("Proposal", TODAY)]
    _import(demo_con, "deals.csv", header + f"SK1,Skill,priya.raman,Closed Won,won,9000,100,"
            f"{TODAY - timedelta(days=40)},{TODAY - timedelta(days=1)}\n")  # fmt: skip
    assert demo_con.execute(seen, [deal]).fetchall() == []
    assert demo_con.execute(
        "select count(*) from skill_stage_facts where deal_id = ?", [deal]
    ).fetchone() == (0,)
    assert demo_con.execute(
        "select won, cycle_days from skill_facts where deal_id = ?", [deal]
    ).fetchone() == (True, 39)
    assert_derived_match_a_rebuild(demo_con)
    start, end = skills.default_window(TODAY)
    got = db.run(demo_con, "skill_profile", period_start=start, period_end=end)
    assert got.sort(KEY).equals(reference(demo_con, start, end))


def _best_total(options: pl.DataFrame, seekers: list[str], slots: dict[str, int]) -> float:
    """The optimum over the whole matrix: every seeker x every free slot."""
    mentors = sorted(slots)
    columns = [m for m in mentors for _ in range(slots[m])]
    gain = np.zeros((len(seekers), len(columns)))
    for s, m, g in options.select("seeker_id", "mentor_id", "gain").iter_rows():
        for j, c in enumerate(columns):
            if c == m:
                gain[seekers.index(s), j] = max(g, 0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return float(gain[rows, cols].sum())


@pytest.mark.parametrize("seed", range(25))
def test_keeping_each_seekers_best_mentors_loses_nothing(seed):
    rng = random.Random(seed)
    seekers = [f"s{i}" for i in range(rng.randint(1, 7))]
    mentors = [f"m{i}" for i in range(rng.randint(1, 9))]
    slots = {m: rng.randint(0, 3) for m in mentors}
    rows = [
        (s, m, rng.choice([-0.1, 0.05, 0.1, 0.2, rng.random()]))
        for s in seekers
        for m in mentors
        if rng.random() < 0.7
    ]
    options = pl.DataFrame(rows, schema=["seeker_id", "mentor_id", "gain"], orient="row")
    gains = {(s, m): g for s, m, g in rows}
    pairs = skills.assign(options, seekers, slots)
    assert len({s for s, _ in pairs}) == len(pairs)  # a seeker gets one mentor at most
    assert all(sum(1 for _, x in pairs if x == m) <= slots[m] for m in mentors)
    assert all(gains[p] > 0 for p in pairs)
    total = sum(gains[p] for p in pairs)
    assert total == pytest.approx(_best_total(options, seekers, slots))
