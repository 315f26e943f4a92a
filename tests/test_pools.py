"""Deal-pod pools: who is in the pod, the points, and shares that add up to the pool to the cent."""

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from squadboard import db, display
from squadboard.contribution import split_to_cents
from squadboard.plan import Plan
from tests.contribution_org import Q4, activity, build, kudos
from tests.pagewalk import capture_downloads, csv_rows

D = Decimal
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "pool, points, expected",
    [
        ("100.00", [1, 1, 1], ["33.34", "33.33", "33.33"]),  # the odd cent to the first tie
        ("0.02", [1, 1, 1], ["0.01", "0.01", "0.00"]),
        ("10.00", [0, 0], ["5.00", "5.00"]),  # no points: equal split
        ("10.00", [3, 0], ["10.00", "0.00"]),
        ("200.00", [14.5, 7, 2.5], ["120.83", "58.34", "20.83"]),  # 58.333 > 20.833 remainder
        ("0.00", [1, 2], ["0.00", "0.00"]),
    ],
)
def test_split_to_cents_examples(pool, points, expected):
    assert split_to_cents(D(pool), points) == [D(e) for e in expected]


@given(
    pool=st.decimals(min_value=0, max_value=10**9, places=2),
    points=st.lists(st.decimals(min_value=0, max_value=10**4, places=2), min_size=1, max_size=12),
)
def test_split_to_cents_adds_up_to_the_pool_and_is_fair_to_the_cent(pool, points):
    shares = split_to_cents(pool, points)
    assert sum(shares) == pool
    assert all(s == s.quantize(D("0.01")) and s >= 0 for s in shares)
    total = sum(points) or len(points)
    weights = points if sum(points) else [1] * len(points)
    for share, w in zip(shares, weights, strict=True):
        assert abs(share - pool * w / total) < D("0.01")


@pytest.fixture
def org(con):
    build(con)
    return con


def test_the_pod_the_points_and_the_arithmetic_on_a_hand_made_deal(org):
    # d1 (10,000, pool 2 % = 200.00): a1 owner 60 %, a2 40 %; se1 only logs activity.
    activity(org, "a1", "d1", "call", "2026-10-01", n=4)  # 4 x 1.0
    activity(org, "a1", "d1", "demo", "2026-10-02", n=2)  # 2 x 3.0 -> a1 10 points
    activity(org, "a2", "d1", "email", "2026-10-03", n=4)  # 4 x 0.5 = 2 points
    activity(org, "se1", "d1", "demo", "2026-10-04", n=5)  # not in the pod: no credit
    kudos(org, "b1", "a2", "d1", "2026-10-20 10:00", n=1)  # peer validation: 2 points
    rows = db.run(org, "pool_shares", **Q4).filter(pl.col("deal_id") == "d1")
    got = {r["rep_id"]: (r["points"], r["amount"], r["share"]) for r in rows.iter_rows(named=True)}
    assert set(got) == {"a1", "a2"}
    assert got["a1"][:2] == (10.0, D("142.86"))  # 200 x 10/14 = 142.857 -> remainder .857
    assert got["a2"][:2] == (4.0, D("57.14"))  # 200 x 4/14 = 57.142
    assert rows["pool"][0] == D("200.00")
    assert got["a1"][2] == pytest.approx(0.7143)


def test_a_deal_nobody_logged_anything_on_is_split_equally(org):
    rows = db.run(org, "pool_shares", **Q4).filter(pl.col("deal_id") == "d1")
    assert rows["amount"].to_list() == [D("100.00"), D("100.00")]


@pytest.mark.parametrize(
    "edges, amounts, expected",
    [
        ("25000,75000", "250,750,1500", {"d1": "250.00", "d2": "250.00"}),
        ("5000", "100,400", {"d1": "400.00", "d2": "400.00"}),  # an edge is the next band's start
        ("6000", "100,400", {"d1": "400.00", "d2": "100.00"}),
    ],
)
def test_band_pools(org, edges, amounts, expected):
    org.execute("insert into plan_settings values ('pool_rule', ?)", [json.dumps("band")])
    org.execute("insert into plan_settings values ('pool_band_edges', ?)", [json.dumps(edges)])
    org.execute("insert into plan_settings values ('pool_band_amounts', ?)", [json.dumps(amounts)])
    pools = db.run(org, "pool_shares", **Q4).group_by("deal_id").agg(pl.col("pool").first())
    assert {r[0]: str(r[1]) for r in pools.rows()} == expected


def test_the_sql_reads_the_plan_defaults(org):
    activity(org, "a1", "d1", "meeting", "2026-10-01", n=3)
    activity(org, "a2", "d1", "solution_doc", "2026-10-01")
    kudos(org, "b1", "a2", "d1", "2026-10-20 10:00")
    implicit = db.run(org, "pool_shares", **Q4)
    for key, value in vars(Plan()).items():
        org.execute("insert into plan_settings values (?, ?)", [key, json.dumps(value)])
    assert db.run(org, "pool_shares", **Q4).equals(implicit)
    org.execute("update plan_settings set value = '5.0' where key = 'pool_percent'")
    assert db.run(org, "pool_shares", **Q4)["pool"][0] == D("500.00")


deal_st = st.fixed_dictionaries(
    {
        "amount": st.decimals(min_value=0, max_value=10**7, places=2),
        "helpers": st.lists(
            st.tuples(
                st.sampled_from(["a2", "se1", "b1"]),
                st.sampled_from(["call", "email", "meeting", "demo", "solution_doc"]),
                st.integers(0, 7),
            ),
            max_size=6,
        ),
        "owner_activities": st.integers(0, 9),
        "kudos_to": st.lists(st.sampled_from(["a1", "a2", "se1"]), max_size=4),
        "overlay": st.booleans(),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    deals=st.lists(deal_st, min_size=1, max_size=6),
    percent=st.decimals(min_value=0, max_value=100, places=3),
)
def test_every_deals_shares_add_up_to_its_pool_to_the_cent(deals, percent):
    con = db.connect(":memory:")
    try:
        build(con)
        con.execute("insert into plan_settings values ('pool_percent', ?)", [str(percent)])
        for i, deal in enumerate(deals):
            deal_id = f"h{i}"
            con.execute(
                "insert into deals (deal_id, source, source_id, owner_id, status, amount, "
                "close_date) values (?, 'h', ?, 'a1', 'won', ?, '2026-11-01')",
                [deal_id, deal_id, deal["amount"]],
            )
            con.execute(
                "insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent) "
                "values (?, ?, 'a2', 'revenue', 30), (?, ?, 'a1', 'revenue', 70)",
                [f"{deal_id}r2", deal_id, f"{deal_id}r1", deal_id],
            )
            if deal["overlay"]:
                con.execute(
                    "insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent, "
                    "ae_confirmed_at, manager_confirmed_at) values (?, ?, 'se1', 'overlay', 10, "
                    "now(), now())",
                    [f"{deal_id}o", deal_id],
                )
            activity(con, "a1", deal_id, "call", "2026-10-10", n=deal["owner_activities"])
            for j, (rep, kind, n) in enumerate(deal["helpers"]):
                activity(con, rep, deal_id, kind, f"2026-10-{11 + j}", n=n)
            for j, rep in enumerate(deal["kudos_to"]):
                kudos(con, "b1", rep, deal_id, f"2026-10-20 10:{j:02d}")
        shares = db.run(con, "pool_shares", **Q4).filter(pl.col("deal_id").str.starts_with("h"))
        per_deal = shares.group_by("deal_id").agg(
            total=pl.col("amount").sum(), pool=pl.col("pool").first(), members=pl.len()
        )
        assert per_deal.height == len(deals)
        for row in per_deal.iter_rows(named=True):
            deal = deals[int(row["deal_id"][1:])]
            assert row["pool"] == (deal["amount"] * percent / 100).quantize(
                D("0.01"), rounding=ROUND_HALF_UP
            )
            assert row["total"] == row["pool"], row
            assert row["members"] == 2 + deal["overlay"]
        assert (shares["amount"] >= 0).all()
    finally:
        con.close()


def test_a_bad_period_is_named_not_run(org):
    with pytest.raises(db.QueryError, match="must be a DATE"):
        db.run(org, "pool_shares", period_start="soon", period_end="2027-01-01")


def open_pods(viewer_id):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    at.run()
    at.switch_page("pages/pods.py").run()
    assert not at.exception
    return at


def _hidden(value) -> bool:
    """Nothing shown: missing, or the formatting layer's dash for a missing value."""
    return value is None or value != value or value == display.DASH


def _shown_amounts(column) -> list[float]:
    """The amounts a grid column shows: numbers, or text ("$280.80", a dash for a hidden one)
    once the formatting layer wrote out a column with a missing value."""
    return [
        float(str(v).replace("$", "").replace(",", "")) if isinstance(v, str) else float(v)
        for v in column
        if not _hidden(v)
    ]


def test_a_rep_sees_the_pods_they_are_in_and_only_their_own_totals(app_env):
    from squadboard import ui

    shares = ui.run("pool_shares", **Q4)
    theirs = set(shares.filter(pl.col("rep_id") == "ana.souza")["deal_id"])
    at = open_pods("ana.souza")
    pools = at.dataframe[0].value
    assert len(pools) == len(theirs) > 0
    assert set(pools["deal"]) == set(shares.filter(pl.col("deal_id").is_in(theirs))["deal"])
    assert list(at.dataframe[2].value["rep"]) == ["Ana Souza"]
    for deal_id in list(theirs)[:3]:
        at.selectbox(key="pod_deal").set_value(deal_id).run()
        pod = at.dataframe[1].value
        mine = shares.filter((pl.col("deal_id") == deal_id) & (pl.col("rep_id") == "ana.souza"))
        assert D(str(round(sum(_shown_amounts(pod["amount"])), 2))) == mine["amount"][0]


def test_a_rep_sees_no_other_members_pool_money_in_the_table_or_the_download(app_env, monkeypatch):
    """README: a rep sees only their own pool share; their leader and admins see the rest."""
    from squadboard import ui

    shares = ui.run("pool_shares", **Q4)
    squads = ui.run("roster", as_of="2026-11-23").select("rep_id", "squad_id")
    shares = shares.join(squads, on="rep_id", how="left")
    # Ana's pods with another member, best one with a member of another squad
    ana = shares.filter(pl.col("rep_id") == "ana.souza")
    others = shares.filter(
        pl.col("deal_id").is_in(ana["deal_id"].implode()) & (pl.col("rep_id") != "ana.souza")
    ).sort(pl.col("squad_id") == ana["squad_id"][0])
    assert others.height > 0
    deal_id = others["deal_id"][0]
    blobs = capture_downloads(monkeypatch)
    at = open_pods("ana.souza")
    at.selectbox(key="pod_deal").set_value(deal_id).run()
    pod = at.dataframe[1].value
    assert len(pod) == shares.filter(pl.col("deal_id") == deal_id).height
    theirs = pod[~pod["rep"].str.startswith("Ana Souza")]
    assert len(theirs) > 0
    for column in ("points", "share", "amount", "activities", "kudos_points"):
        assert theirs[column].map(_hidden).all(), f"another member's {column} is shown to a rep"
    assert any("shown to them, their leader and admins only" in c.value for c in at.caption)
    # the download: every pod of hers, only her own money
    pool_file = [rows for rows in map(csv_rows, blobs) if rows and "pod_role" in rows[0]][-1]
    assert {r["deal_id"] for r in pool_file} == set(ana["deal_id"])
    money = [r for r in pool_file if r["amount"] or r["points"] or r["share"]]
    assert money and {r["rep_id"] for r in money} == {"ana.souza"}


def test_a_leader_sees_the_pods_of_their_squad(app_env):
    from squadboard import ui

    falcons = set(
        ui.run("roster", as_of="2026-11-23").filter(pl.col("squad_id") == "falcons")["rep_id"]
    )
    at = open_pods("maya.chen")
    per_rep = at.dataframe[2].value
    names = ui.run("roster", as_of="2026-11-23").filter(pl.col("rep_id").is_in(falcons))["rep"]
    assert set(per_rep["rep"]) <= set(names)
    assert len(per_rep) > 1


def test_an_admin_sees_one_squads_pods_at_a_time(app_env):
    from squadboard import ui

    shares = ui.run("pool_shares", **Q4)
    at = open_pods("elena.duarte")
    seen = {}
    for squad in ("orcas", "ravens"):
        at.selectbox(key="squad").set_value(squad).run()
        assert not at.exception
        # everyone who was in the squad during the quarter (movers too)
        members = [
            r[0]
            for r in ui.con()
            .execute(
                "select rep_id from squad_members where squad_id = ? and valid_from < ? "
                "and (valid_to is null or valid_to > ?)",
                [squad, Q4["period_end"], Q4["period_start"]],
            )
            .fetchall()
        ]
        pods = shares.filter(pl.col("rep_id").is_in(members))["deal_id"].unique()
        expected = shares.filter(pl.col("deal_id").is_in(pods.to_list()))["deal"].unique()
        seen[squad] = set(at.dataframe[0].value["deal"])
        assert seen[squad] == set(expected) and seen[squad]
    assert seen["orcas"] != seen["ravens"]
