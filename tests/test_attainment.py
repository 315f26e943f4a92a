"""squad_attainment, rep_attainment, squad_trend, deals_behind and goals_by_squad against
hand calculations on rows the tests insert, property tests for the credit conservation rules,
and the demo data and the real Maven CRM sample checked against independent arithmetic."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from squadboard import db, facts

Q4 = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": "2026-11-15"}
MAVEN = Path(__file__).resolve().parents[2] / "shared" / "data" / "maven_crm"


def _org(con):
    con.execute("""
        insert into squads values ('s1', 'One', 'East', 'm1'), ('s2', 'Two', 'West', null), ('s3', 'Three', null, null);
        insert into reps (rep_id, name, role) values
            ('a', 'Ann', 'AE'), ('b', 'Bob', 'AE'), ('c', 'Cy', 'AE'), ('m1', 'Meg', 'manager'),
            ('x', 'Xi', 'AE'), ('z', 'Zed', 'AE');
        insert into squad_members values
            ('a', 's1', '2020-01-01', null),
            ('b', 's1', '2020-01-01', '2026-11-01'),  -- Bob moves to squad Two on 1 Nov
            ('b', 's2', '2026-11-01', null),
            ('c', 's2', '2020-01-01', null),
            ('m1', 's1', '2020-01-01', null),
            ('z', 's1', '2020-01-01', '2026-06-01');  -- Zed left before the quarter
        insert into quotas (kind, owner_id, period_start, period_end, amount) values
            ('squad_base', 's1', '2026-10-01', '2027-01-01', 10000),
            ('squad_base', 's2', '2026-10-01', '2027-01-01', 4000),
            ('rep_stretch', 'a', '2026-10-01', '2027-01-01', 4000),
            ('rep_stretch', 'b', '2026-10-01', '2027-01-01', 2000),
            ('rep_stretch', 'x', '2026-10-01', '2027-01-01', 1000),  -- Xi: no squad
            ('rep_goal', 'a', '2026-10-01', '2027-01-01', 5000),
            ('rep_goal', 'b', '2026-10-01', '2027-01-01', 1500),
            ('rep_goal', 'c', '2026-10-01', '2027-01-01', 3000);
    """)


def _deal(con, deal_id, owner, amount, close, status="won", prob=1.0):
    con.execute(
        "insert into deals (deal_id, source, source_id, owner_id, status, amount, probability, close_date) "
        "values (?, 'test', ?, ?, ?, ?, ?, ?)",
        [deal_id, deal_id, owner, status, amount, prob, close],
    )
    facts.refresh_deal(con, deal_id)  # what the write paths do after writing a deal


def _credit(con, deal_id, rep, kind, pct, confirmed=False, n=0):
    con.execute(
        "insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent, ae_confirmed_at, manager_confirmed_at) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [f"{deal_id}-{rep}-{kind}-{n}", deal_id, rep, kind, pct]
        + (["2026-11-02"] * 2 if confirmed else [None, None]),
    )
    facts.refresh_deal(con, deal_id)


def _by(frame: pl.DataFrame, key: str) -> dict:
    return {r[key]: r for r in frame.iter_rows(named=True)}


def _hand_deals(con):
    _deal(con, "d1", "a", 1000, "2026-10-10")  # Ann alone
    _deal(con, "d2", "a", 2000, "2026-10-20")  # split 60/40 Ann/Cy
    _credit(con, "d2", "a", "revenue", 60)
    _credit(con, "d2", "c", "revenue", 40)
    _credit(con, "d2", "b", "overlay", 10, confirmed=True)  # overlay: never in any total here
    _deal(con, "d3", "b", 500, "2026-10-25")  # Bob, still in One
    _deal(con, "d4", "b", 700, "2026-11-05")  # Bob, now in Two
    _deal(con, "d6", "c", 9999, "2026-11-20")  # after as_of
    _deal(con, "d7", "a", 8000, "2026-12-10", "open", 0.25)  # Ann's pipeline: 2000 weighted
    _deal(con, "d8", "x", 300, "2026-10-12")  # Xi, in no squad


# rep_attainment -----------------------------------------------------------------------------


def test_rep_attainment_by_hand(con):
    _org(con)
    _hand_deals(con)
    frame = db.run(con, "rep_attainment", **Q4)
    assert frame.columns[:11] == [
        "rep_id",
        "rep",
        "squad_id",
        "squad",
        "stretch_target",
        "credited",
        "attainment",
        "pace",
        "self_goal",
        "weighted_pipeline",
        "coverage",
    ]
    rows = _by(frame, "rep_id")
    # Active in the quarter: squad members (not the manager, not Zed who left) and Xi with a target.
    assert set(rows) == {"a", "b", "c", "x"}
    elapsed = 46 / 92  # 1 Oct .. 15 Nov of a 92-day quarter
    a = rows["a"]
    assert a["credited"] == Decimal("2200.00")  # 1000 + 60 % of 2000
    assert a["attainment"] == pytest.approx(2200 / 4000)
    assert a["pace"] == pytest.approx(2200 / 4000 / elapsed)
    assert a["self_goal"] == Decimal("5000.00")
    assert a["weighted_pipeline"] == Decimal("2000.00")
    assert a["coverage"] == pytest.approx(2000 / (4000 - 2200))
    # Bob moved squads: one row, all his credit, shown in the squad he is in on as_of.
    b = rows["b"]
    assert (b["squad_id"], b["credited"]) == ("s2", Decimal("1200.00"))
    assert b["coverage"] == 0  # nothing open, 800 still to go
    # Cy has no stretch target: null attainment, pace and coverage, not zero.
    c = rows["c"]
    assert c["credited"] == Decimal("800.00")
    assert c["stretch_target"] is None and c["attainment"] is None and c["pace"] is None
    assert c["coverage"] is None and c["self_goal"] == Decimal("3000.00")
    # Xi has a target and no squad.
    assert rows["x"]["squad_id"] is None and rows["x"]["attainment"] == pytest.approx(0.3)


def test_coverage_is_null_once_the_target_is_met(con):
    _org(con)
    _deal(con, "big", "b", 5000, "2026-10-03")
    _deal(con, "more", "b", 1000, "2026-12-03", "open", 0.5)
    row = _by(db.run(con, "rep_attainment", **Q4), "rep_id")["b"]
    assert row["attainment"] == pytest.approx(2.5)
    assert row["weighted_pipeline"] == Decimal("500.00") and row["coverage"] is None


def test_a_quarterly_stretch_target_counts_pro_rata_in_a_month(con):
    _org(con)
    _deal(con, "d1", "a", 1000, "2026-10-10")
    oct_ = {"period_start": "2026-10-01", "period_end": "2026-11-01", "as_of": "2026-10-31"}
    row = _by(db.run(con, "rep_attainment", **oct_), "rep_id")["a"]
    assert float(row["stretch_target"]) == pytest.approx(4000 * 31 / 92, abs=0.01)
    assert row["pace"] == pytest.approx(row["attainment"])  # the month is over


# squad totals: the conservation rules, by hand -------------------------------------------------


def test_squad_totals_are_members_credit_on_the_close_date(con):
    _org(con)
    _hand_deals(con)
    squads = _by(db.run(con, "squad_attainment", **Q4), "squad_id")
    assert squads["s1"]["credited"] == Decimal("2700.00")  # Ann 2200 + Bob's 500 before the move
    assert squads["s2"]["credited"] == Decimal("1500.00")  # Cy 800 + Bob's 700 after it
    assert squads["s3"]["credited"] == 0 and squads["s3"]["attainment"] is None
    # Every credit of a squad member lands in exactly one squad: Xi's 300 in none.
    reps = db.run(con, "rep_attainment", **Q4)
    in_squads = reps.filter(pl.col("rep_id") != "x")["credited"].sum()
    assert in_squads == squads["s1"]["credited"] + squads["s2"]["credited"]


def test_overlay_credit_never_enters_squad_totals(con):
    _org(con)
    _hand_deals(con)
    before = db.run(con, "squad_attainment", **Q4)
    reps_before = db.run(con, "rep_attainment", **Q4)
    _credit(con, "d1", "c", "overlay", 50, confirmed=True)
    _credit(con, "d3", "a", "overlay", 100, confirmed=True)
    assert db.run(con, "squad_attainment", **Q4).equals(before)
    # Nor revenue credit of a rep: overlay is extra credit, counted on its own boards.
    assert db.run(con, "rep_attainment", **Q4).equals(reps_before)
    assert con.cursor().execute("select count(*) from confirmed_overlay").fetchone()[0] == 3


# Property tests ------------------------------------------------------------------------------


_SHARED: dict[str, object] = {}


def _fresh():
    """One connection for all examples of a property test, emptied before each example
    (a new database per example would make the property tests slow)."""
    if "con" not in _SHARED:
        con = db.connect(":memory:")
        con.execute("""
            insert into squads values ('s1', 'One', null, null), ('s2', 'Two', null, null);
            insert into reps (rep_id, name) select 'r' || i, 'Rep ' || i from range(6) t(i);
        """)
        _SHARED["con"] = con
    con = _SHARED["con"]
    con.execute("""
        delete from deal_credits; delete from deals; delete from squad_members;
        insert into squad_members select 'r' || i, case when i < 3 then 's1' else 's2' end,
            '2020-01-01', null from range(6) t(i);
    """)
    facts.refresh(con)
    return con


def _split_points(cuts: list[int]) -> list[int]:
    """Basis points that add up to 10,000 (100.00 %), from cut positions."""
    edges = [0, *sorted(set(c % 10_000 for c in cuts) - {0}), 10_000]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    deals=st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2),
            st.integers(0, 5),  # owner
            st.lists(st.integers(1, 9_999), max_size=5),  # split cut points (none: owner only)
            st.integers(0, 91),  # day of the quarter
        ),
        min_size=1,
        max_size=8,
    )
)
# 1.95 % and 98.05 % of 30.00 in two squads: 0.585 and 29.415 once rounded up to 30.01 in all.
@example(deals=[(Decimal("30.00"), 2, [195], 0)])
def test_revenue_splits_conserve_every_deal_amount(deals):
    con = _fresh()
    total = Decimal(0)
    for n, (amount, owner, cuts, day) in enumerate(deals):
        close = date(2026, 10, 1) + timedelta(days=day)
        _deal(con, f"d{n}", f"r{owner}", amount, close)
        if cuts:
            for k, points in enumerate(_split_points(cuts)):
                _credit(con, f"d{n}", f"r{(owner + k) % 6}", "revenue", points / 100, n=k)
        total += amount
    cur = con.cursor()
    per_deal = cur.sql(
        "select deal_id, sum(amount) as credited from credited_revenue group by deal_id"
    ).fetchall()
    amounts = {f"d{n}": d[0] for n, d in enumerate(deals)}
    assert {k: Decimal(v) for k, v in per_deal} == amounts  # to the cent and beyond
    # A deal without splits credits its owner 100 %.
    for n, (_, owner, cuts, _day) in enumerate(deals):
        if not cuts:
            rows = cur.sql(
                f"select rep_id, percent from credited_revenue where deal_id = 'd{n}'"
            ).fetchall()
            assert rows == [(f"r{owner}", Decimal("100.0"))]
    # Each credit is in whole cents, so squad and rep totals add up to the deals to the cent.
    cents = cur.sql("select amount from credited_revenue").fetchall()
    assert all(v == v.quantize(Decimal("0.01")) for (v,) in cents)
    quarter = {**Q4, "as_of": "2026-12-31"}
    squads = db.run(con, "squad_attainment", **quarter)
    reps = db.run(con, "rep_attainment", **quarter)
    assert squads["credited"].sum() == total
    assert reps["credited"].sum() == total


@settings(max_examples=40, deadline=None)
@given(
    move_day=st.integers(1, 91),
    closes=st.lists(st.tuples(st.integers(0, 91), st.integers(1, 10_000)), max_size=10),
    overlay_pct=st.integers(1, 1000),
)
def test_a_mover_credits_each_squad_for_deals_closed_while_in_it(move_day, closes, overlay_pct):
    con = _fresh()
    move = date(2026, 10, 1) + timedelta(days=move_day)
    con.execute("update squad_members set valid_to = ? where rep_id = 'r0'", [move])
    con.execute("insert into squad_members values ('r0', 's2', ?, null)", [move])
    expected = {"s1": 0, "s2": 0}
    for n, (day, amount) in enumerate(closes):
        close = date(2026, 10, 1) + timedelta(days=day)
        _deal(con, f"d{n}", "r0", amount, close)
        _credit(con, f"d{n}", "r3", "overlay", overlay_pct, confirmed=True)
        expected["s1" if close < move else "s2"] += amount
    squads = _by(db.run(con, "squad_attainment", **{**Q4, "as_of": "2026-12-31"}), "squad_id")
    assert {k: float(v["credited"]) for k, v in squads.items()} == expected


# squad_trend ----------------------------------------------------------------------------------


def test_squad_trend_by_hand(con):
    _org(con)
    _hand_deals(con)
    trend = db.run(
        con, "squad_trend", period_start="2026-10-01", period_end="2027-01-01", squad_id="s1"
    )
    assert trend.columns[:4] == ["week_start", "credited_cum", "expected_cum", "quota"]
    # 1 Oct 2026 is a Thursday: the first week starts on Monday 28 Sep; 14 weeks in all.
    assert trend["week_start"][0] == date(2026, 9, 28) and trend.height == 14
    assert all(d.weekday() == 0 for d in trend["week_start"])
    weeks = _by(trend, "week_start")
    assert weeks[date(2026, 10, 5)]["credited_cum"] == 1000  # d1 on 10 Oct (Sat)
    assert weeks[date(2026, 10, 12)]["credited_cum"] == 1000
    # + 1200 of d2 on Tue 20 Oct and Bob's 500 on Sun 25 Oct, the week's last day
    assert weeks[date(2026, 10, 19)]["credited_cum"] == 2700
    assert trend["credited_cum"][-1] == 2700  # Bob's d4 went to Two
    # expected: quota x days done by the week's last day (4 Oct: 4 days of 92)
    assert float(trend["expected_cum"][0]) == pytest.approx(10000 * 4 / 92, abs=0.01)
    assert trend["expected_cum"][-1] == 10000 and set(trend["quota"]) == {Decimal("10000.00")}
    no_quota = db.run(
        con, "squad_trend", period_start="2026-10-01", period_end="2027-01-01", squad_id="s3"
    )
    assert no_quota["quota"].is_null().all() and no_quota["expected_cum"].is_null().all()


# deals_behind and goals_by_squad ---------------------------------------------------------------


def test_every_figure_drills_down_to_its_deals_on_the_demo_data(demo_con):
    params = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": "2026-11-23"}
    squads = db.run(demo_con, "squad_attainment", **params)
    for row in squads.iter_rows(named=True):
        rows = db.run(demo_con, "deals_behind", **params, squad_id=row["squad_id"])
        won = rows.filter(pl.col("kind") == "won")
        open_ = rows.filter(pl.col("kind") == "open")
        assert won["credited"].sum() == row["credited"]  # whole cents: to the cent
        weighted = float(row["forecast"]) - float(row["credited"])
        assert float(open_["weighted"].sum()) == pytest.approx(
            weighted, abs=0.01 * open_.height + 0.01
        )
    reps = db.run(demo_con, "rep_attainment", **params)
    for row in reps.head(8).iter_rows(named=True):
        rows = db.run(demo_con, "deals_behind", **params, rep_id=row["rep_id"])
        assert set(rows["rep_id"]) <= {row["rep_id"]}
        won = rows.filter(pl.col("kind") == "won")
        assert won["credited"].sum() == row["credited"]


def test_demo_squads_and_reps_agree_and_the_trend_ends_at_the_credited_total(demo_con):
    params = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": "2026-11-23"}
    squads = db.run(demo_con, "squad_attainment", **params)
    cur = demo_con.cursor()
    by_hand = dict(
        cur.execute(
            "select m.squad_id, sum(d.amount * coalesce(c.percent, 100) / 100) "
            "from deals d left join deal_credits c on c.deal_id = d.deal_id and c.credit_type = 'revenue' "
            "join squad_members m on m.rep_id = coalesce(c.rep_id, d.owner_id) "
            "  and d.close_date >= m.valid_from and (m.valid_to is null or d.close_date < m.valid_to) "
            "where d.status = 'won' and d.close_date between '2026-10-01' and '2026-11-23' group by all"
        ).fetchall()
    )
    for row in squads.iter_rows(named=True):
        assert float(row["credited"]) == pytest.approx(
            float(by_hand.get(row["squad_id"], 0)), abs=0.01
        )
        trend = db.run(
            demo_con,
            "squad_trend",
            period_start="2026-10-01",
            period_end="2027-01-01",
            squad_id=row["squad_id"],
        )
        assert trend["credited_cum"][-1] == row["credited"]  # nothing won after today
        assert trend["credited_cum"].is_sorted()


def test_goals_by_squad_bottom_up_vs_top_down(con):
    _org(con)
    rows = _by(db.run(con, "goals_by_squad", **Q4), "squad_id")
    # On 15 Nov One has Ann (5000); Two has Bob (1500) and Cy (3000); the manager does not count.
    assert (rows["s1"]["goals_sum"], rows["s1"]["gap"]) == (Decimal("5000.00"), Decimal("-5000.00"))
    assert rows["s1"]["goals_to_quota"] == pytest.approx(0.5) and rows["s1"]["reps"] == 1
    assert (rows["s2"]["goals_sum"], rows["s2"]["gap"]) == (Decimal("4500.00"), Decimal("500.00"))
    assert rows["s2"]["reps_with_goal"] == 2
    assert rows["s3"]["base_quota"] is None and rows["s3"]["gap"] is None


# The real Maven CRM sample, loaded here with a quota sheet of our making ------------------------


@pytest.fixture(scope="module")
def maven_con():
    if not (MAVEN / "sales_pipeline.csv").is_file():
        pytest.skip("the Maven CRM sample is not beside the repository")
    teams = pl.read_csv(MAVEN / "sales_teams.csv")
    pipe = pl.read_csv(MAVEN / "sales_pipeline.csv", infer_schema=False)
    con = db.connect(":memory:")
    con.register("teams", teams)
    con.register("pipe", pipe)
    con.execute("""
        insert into squads select distinct lower(replace(manager, ' ', '.')), manager, regional_office, null from teams;
        insert into reps (rep_id, name) select sales_agent, sales_agent from teams;
        insert into squad_members select sales_agent, lower(replace(manager, ' ', '.')), '2016-01-01', null from teams;
        insert into deals (deal_id, source, source_id, owner_id, stage, status, amount, probability, close_date)
        select 'maven:' || opportunity_id, 'maven', opportunity_id, sales_agent, deal_stage,
            case deal_stage when 'Won' then 'won' when 'Lost' then 'lost' else 'open' end,
            try_cast(close_value as decimal(18, 2)),
            case deal_stage when 'Won' then 1 when 'Lost' then 0 when 'Engaging' then 0.5 else 0.1 end,
            try_cast(close_date as date)
        from pipe;
        -- our quota sheet: 1,000,000 per squad per quarter of 2017, 50,000 stretch per agent
        insert into quotas (kind, owner_id, period_start, period_end, amount)
        select 'squad_base', squad_id, q, q + interval 3 month, 1000000
        from squads, range(date '2017-01-01', date '2018-01-01', interval 3 month) t(q);
        insert into quotas (kind, owner_id, period_start, period_end, amount)
        select 'rep_stretch', rep_id, q, q + interval 3 month, 50000
        from reps, range(date '2017-01-01', date '2018-01-01', interval 3 month) t(q);
    """)
    facts.refresh(con)
    yield con, teams, pipe
    con.close()


def test_maven_squads_and_reps_match_the_raw_sample(maven_con):
    con, teams, pipe = maven_con
    won = pipe.filter(pl.col("deal_stage") == "Won").with_columns(
        pl.col("close_value").cast(pl.Int64), pl.col("close_date").str.to_date()
    )
    assert won.height == 4238 and won["close_value"].sum() == 10_005_534  # PRODUCT.md
    everything = {"period_start": "2016-01-01", "period_end": "2018-01-01", "as_of": "2017-12-31"}
    squads = db.run(con, "squad_attainment", **everything)
    assert float(squads["credited"].sum()) == 10_005_534
    raw = won.join(teams, on="sales_agent").group_by("manager").agg(pl.col("close_value").sum())
    assert dict(zip(squads["squad"], squads["credited"].cast(pl.Int64), strict=True)) == dict(
        raw.iter_rows()
    )
    reps = db.run(con, "rep_attainment", **everything)
    assert reps.height == 35  # every agent, the five without deals too (0, not missing)
    assert reps.filter(pl.col("credited") == 0).height == 5


def test_maven_quarter_attainment_by_hand(maven_con):
    con, teams, pipe = maven_con
    q3 = {"period_start": "2017-07-01", "period_end": "2017-10-01", "as_of": "2017-08-15"}
    squads = db.run(con, "squad_attainment", **q3)
    won = pipe.filter(pl.col("deal_stage") == "Won").with_columns(
        pl.col("close_value").cast(pl.Int64), pl.col("close_date").str.to_date()
    )
    upto = won.filter(pl.col("close_date").is_between(date(2017, 7, 1), date(2017, 8, 15)))
    raw = dict(
        upto.join(teams, on="sales_agent")
        .group_by("manager")
        .agg(pl.col("close_value").sum())
        .iter_rows()
    )
    elapsed = 46 / 92
    for row in squads.iter_rows(named=True):
        credited = raw.get(row["squad"], 0)
        assert float(row["credited"]) == credited
        assert row["attainment"] == pytest.approx(credited / 1_000_000)
        assert row["pace"] == pytest.approx(credited / 1_000_000 / elapsed)
        assert float(row["expected_to_date"]) == pytest.approx(500_000)
        assert float(row["needed_per_week"]) == pytest.approx(
            (1_000_000 - credited) / (46 / 7), abs=0.01
        )
