"""Overlay credit claims: two-person confirmation, who may do what, and that nothing counts
until both confirmed (on rows the tests insert; see tests/contribution_org.py)."""

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import claims, db
from squadboard.contribution import ContributionError
from squadboard.plan import Plan
from tests.conftest import TODAY
from tests.contribution_org import NOW, Q4, build

ROOT = Path(__file__).resolve().parent.parent

METRICS = ["credited", "pct_to_target", "most_improved", "assists", "overlay", "activity"]
METRICS += ["kudos", "contribution"]


@pytest.fixture
def org(con):
    build(con)
    return con


def file(con, actor="se1", deal="d1", role="SE", note="ran the technical demo"):
    return claims.file_claim(con, actor, deal, role, note, Plan(), NOW)


def everything(con) -> dict[str, pl.DataFrame]:
    """Every figure a claim could move: all boards, squad totals, pools."""
    out = {m: db.run(con, "leaderboard", **Q4, metric=m) for m in METRICS}
    out["squads"] = db.run(con, "squad_attainment", **Q4, as_of="2026-12-31")
    out["pools"] = db.run(con, "pool_shares", **Q4)
    return out


def assert_same(before, after):
    for key, frame in before.items():
        assert after[key].equals(frame), f"{key} changed"


def status(con, credit_id):
    rows = db.run(con, "credit_claims").filter(pl.col("credit_id") == credit_id)
    return rows["status"][0]


def audit_actions(con, credit_id):
    return db.run(con, "claim_history", credit_id=credit_id)["action"].to_list()


@pytest.mark.parametrize("first, second", [("a1", "m1"), ("m1", "a1")])
def test_a_claim_counts_only_after_the_ae_and_the_manager_both_confirmed(org, first, second):
    before = everything(org)
    credit_id = file(org)
    assert status(org, credit_id) == "pending"
    assert_same(before, everything(org))  # pending changes nothing

    assert claims.confirm_claim(org, first, credit_id, NOW) == "half-confirmed"
    assert status(org, credit_id) == "half-confirmed"
    assert_same(before, everything(org))  # half-confirmed changes nothing

    assert claims.confirm_claim(org, second, credit_id, NOW + timedelta(hours=1)) == "confirmed"
    after = everything(org)
    overlay = dict(zip(after["overlay"]["rep_id"], after["overlay"]["value"], strict=True))
    assert overlay["se1"] == pytest.approx(10000 * 0.10)  # SE standard overlay 10 %
    assert after["squads"].equals(before["squads"])  # no squad total moves
    assert after["credited"].equals(before["credited"])
    claim = db.run(org, "credit_claims").row(0, named=True)
    assert claim["ae_confirmed_by"] == "a1" and claim["manager_confirmed_by"] == "m1"
    assert claim["ae_confirmed_at"] is not None and claim["manager_confirmed_at"] is not None
    assert audit_actions(org, credit_id) == ["file_claim", "confirm_claim", "confirm_claim"]


def test_the_confirmed_overlay_raises_assists_and_joins_the_deal_pod(org):
    before = everything(org)
    credit_id = file(org)
    claims.confirm_claim(org, "a1", credit_id, NOW)
    claims.confirm_claim(org, "m1", credit_id, NOW)
    after = everything(org)
    assists = dict(zip(after["assists"]["rep_id"], after["assists"]["value"], strict=True))
    assert assists["se1"] == 1
    assert "se1" not in set(before["pools"]["rep_id"])
    assert "se1" in set(after["pools"].filter(pl.col("deal_id") == "d1")["rep_id"])


@pytest.mark.parametrize(
    "actor, message",
    [
        ("se1", "cannot confirm your own claim"),
        ("a2", "only the deal's primary AE and the AE's manager"),  # a teammate, not the owner
        ("m2", "only the deal's primary AE and the AE's manager"),  # another squad's manager
        ("b1", "only the deal's primary AE and the AE's manager"),
        ("nobody", "not an active person"),
    ],
)
def test_who_may_not_confirm(org, actor, message):
    credit_id = file(org)
    with pytest.raises(ContributionError, match=message):
        claims.confirm_claim(org, actor, credit_id, NOW)
    assert status(org, credit_id) == "pending"
    assert audit_actions(org, credit_id) == ["file_claim"]


def test_the_admin_stands_in_for_the_manager_but_not_for_the_ae(org):
    credit_id = file(org)
    assert claims.confirm_claim(org, "vp", credit_id, NOW) == "half-confirmed"
    claim = db.run(org, "credit_claims").row(0, named=True)
    assert claim["manager_confirmed_by"] == "vp" and claim["ae_confirmed_by"] is None


@pytest.mark.parametrize(
    "actor, deal, role, note, message",
    [
        ("a1", "d1", "SE", "x", "you own this deal"),
        ("se1", "d3", "SE", "x", "this deal was lost"),
        ("se1", "nope", "SE", "x", "there is no deal"),
        ("se1", "d1", "wizard", "x", "role must be one of"),
        ("se1", "d1", "SE", "   ", "say in a note"),
        ("se1", "d1", "SE", "x" * 501, "under 500 characters"),
        ("ghost", "d1", "SE", "x", "not an active person"),
    ],
)
def test_bad_claims_are_refused_and_write_nothing(org, actor, deal, role, note, message):
    with pytest.raises(ContributionError, match=message):
        claims.file_claim(org, actor, deal, role, note, Plan(), NOW)
    assert db.run(org, "credit_claims").is_empty()
    assert org.execute("select count(*) from audit_log").fetchone()[0] == 0


@pytest.mark.parametrize("role, percent", [("SE", 10), ("CSM", 5), ("specialist", 5)])
def test_the_percentage_comes_from_the_standard_table(org, role, percent):
    claims.file_claim(org, "se1", "d1", role, "helped", Plan(), NOW)
    assert float(db.run(org, "credit_claims")["percent"][0]) == percent
    custom = Plan(overlay_pct_helper=7.5)
    claims.file_claim(org, "b1", "d1", "helper", "helped", custom, NOW)
    rows = db.run(org, "credit_claims").filter(pl.col("rep_id") == "b1")
    assert float(rows["percent"][0]) == 7.5


def test_double_clicks_never_double_write(org):
    credit_id = file(org)
    with pytest.raises(ContributionError, match="already have a claim"):
        file(org)
    claims.confirm_claim(org, "a1", credit_id, NOW)
    assert claims.confirm_claim(org, "a1", credit_id, NOW) == "half-confirmed"
    claims.confirm_claim(org, "m1", credit_id, NOW)
    assert claims.confirm_claim(org, "m1", credit_id, NOW) == "confirmed"
    assert audit_actions(org, credit_id) == ["file_claim", "confirm_claim", "confirm_claim"]
    assert db.run(org, "credit_claims").height == 1


def test_a_rejection_needs_a_reason_keeps_the_history_and_allows_a_new_claim(org):
    before = everything(org)
    credit_id = file(org)
    claims.confirm_claim(org, "a1", credit_id, NOW)
    with pytest.raises(ContributionError, match="reason"):
        claims.reject_claim(org, "m1", credit_id, "  ", NOW)
    with pytest.raises(ContributionError, match="only the deal's primary AE"):
        claims.reject_claim(org, "a2", credit_id, "no", NOW)
    claims.reject_claim(org, "m1", credit_id, "SE time was billed to the POC", NOW)
    claims.reject_claim(org, "m1", credit_id, "again", NOW)  # double click: nothing written
    claim = db.run(org, "credit_claims").row(0, named=True)
    assert claim["status"] == "rejected"
    assert claim["rejected_reason"] == "SE time was billed to the POC"
    with pytest.raises(ContributionError, match="was rejected"):
        claims.confirm_claim(org, "m1", credit_id, NOW)
    assert_same(before, everything(org))  # a half-confirmed then rejected claim counts for nothing
    assert audit_actions(org, credit_id) == ["file_claim", "confirm_claim", "reject_claim"]

    again = file(org, note="second try, with the demo recording")
    assert again != credit_id and status(org, again) == "pending"
    assert db.run(org, "credit_claims").height == 2  # the rejected claim stays in the history


def test_claimable_deals_leave_out_own_lost_and_already_claimed_deals(org):
    ids = lambda rep: set(db.run(org, "claimable_deals", rep_id=rep, **Q4)["deal_id"])  # noqa: E731
    assert ids("se1") == {"d1", "d2", "d4"}
    assert ids("a1") == {"d2"}
    file(org)
    assert ids("se1") == {"d2", "d4"}


def test_claimable_deals_are_the_squads_unless_searched_for(org):
    find = lambda rep, text=None: set(  # noqa: E731
        db.run(org, "claimable_deals", rep_id=rep, search=text, **Q4)["deal_id"]
    )
    assert find("b1") == set()  # squad Two owns no deal in Q4
    assert find("b1", "big") == {"d1"}  # any case, any squad
    assert find("b1", " WIN ") == {"d1", "d2"}  # the lost and the open deal do not say "win"
    assert find("b1", "no such deal") == set()


# The page, in the app -----------------------------------------------------------------------


def claims_page(viewer_id):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    at.run()
    at.switch_page("pages/claims.py").run()
    assert not at.exception
    return at


def overlay_of(rep_id):
    from squadboard import ui

    board = ui.run("leaderboard", **Q4, metric="overlay")
    return board.filter(pl.col("rep_id") == rep_id)["value"][0]


def squad_totals():
    from squadboard import ui

    return ui.run("squad_attainment", **Q4, as_of=TODAY).select("squad_id", "credited")


def test_file_confirm_twice_and_reject_on_the_page_with_the_resulting_boards(app_env):
    from squadboard import ui

    marcus = claims_page("marcus.hill")
    falcons = ui.run("roster", as_of=TODAY).filter(pl.col("squad_id") == "falcons")["rep"]
    deals = ui.run("claimable_deals", rep_id="marcus.hill", **Q4).filter(
        (pl.col("status") == "won") & pl.col("owner").is_in(falcons.implode())
    )
    deals = pl.concat(  # Priya's deal first: she confirms as its AE
        [
            deals.filter(pl.col("owner") == "Priya Raman"),
            deals.filter(pl.col("owner") != "Priya Raman"),
        ]
    )
    first, second = deals["deal_id"][0], deals["deal_id"][1]
    amount = float(deals["amount"][0])
    overlay_before, squads_before = overlay_of("marcus.hill"), squad_totals()

    marcus.selectbox(key="claim_deal").set_value(first)
    marcus.selectbox(key="claim_role").set_value("SE")
    marcus.text_area(key="claim_note").input("Built the integration demo")
    marcus.button(key="file_claim").click().run()
    assert any("Claim filed" in s.value for s in marcus.success)
    claim = ui.run("credit_claims").filter(
        (pl.col("rep_id") == "marcus.hill") & (pl.col("deal_id") == first)
    )
    credit_id = claim["credit_id"][0]
    assert claim["status"][0] == "pending"
    assert any("My claims (" in h.value for h in marcus.subheader)

    priya = claims_page("priya.raman")
    assert any(
        o.startswith("Marcus Hill · SE on") for o in priya.selectbox(key="claim_pick").options
    )
    priya.selectbox(key="claim_pick").set_value(credit_id)
    priya.button(key="confirm").click().run()
    assert any("now half-confirmed" in s.value for s in priya.success)
    assert overlay_of("marcus.hill") == overlay_before  # half-confirmed counts for nothing

    maya = claims_page("maya.chen")
    maya.selectbox(key="claim_pick").set_value(credit_id)
    maya.button(key="confirm").click().run()
    assert any("now confirmed" in s.value for s in maya.success)
    assert overlay_of("marcus.hill") == pytest.approx(overlay_before + amount * 0.10)
    assert squad_totals().equals(squads_before)  # overlay never adds to a squad total

    board = claims_page("marcus.hill")
    board.switch_page("pages/leaderboards.py").run()
    board.radio(key="lb_metric").set_value("overlay").run()
    shown = board.dataframe[0].value.set_index("rep")["value"]
    assert shown["Marcus Hill"] == pytest.approx(overlay_before + amount * 0.10)

    # A second claim, turned down by the manager with a reason the claimant then reads.
    marcus = claims_page("marcus.hill")
    marcus.selectbox(key="claim_deal").set_value(second)
    marcus.text_area(key="claim_note").input("Joined two calls")
    marcus.button(key="file_claim").click().run()
    rejected_id = ui.run("credit_claims").filter(
        (pl.col("rep_id") == "marcus.hill") & (pl.col("deal_id") == second)
    )["credit_id"][0]
    maya = claims_page("maya.chen")
    maya.selectbox(key="claim_pick").set_value(rejected_id)
    maya.button(key="reject").click().run()
    assert any("give the claimant a reason" in e.value for e in maya.error)
    maya.selectbox(key="claim_pick").set_value(rejected_id)
    maya.text_input(key="reject_reason").input("Calls were with another account")
    maya.button(key="reject").click().run()
    assert any("Rejected" in s.value for s in maya.success)
    marcus = claims_page("marcus.hill")
    mine = next(
        d.value for d in marcus.dataframe if "rejected_reason" in d.value.columns
    ).set_index("deal")
    row = mine.loc[ui.run("credit_claims").filter(pl.col("credit_id") == rejected_id)["deal"][0]]
    assert (
        row["status"] == "rejected" and row["rejected_reason"] == "Calls were with another account"
    )
    assert overlay_of("marcus.hill") == pytest.approx(overlay_before + amount * 0.10)
    history = ui.run("claim_history", credit_id=credit_id)
    assert history["actor"].to_list() == ["marcus.hill", "priya.raman", "maya.chen"]


def test_a_rep_is_never_offered_their_own_claim_to_confirm(app_env):
    from squadboard import claims as rules
    from squadboard import ui

    deal = ui.run("claimable_deals", rep_id="marcus.hill", **Q4)["deal_id"][0]
    credit_id = rules.file_claim(ui.con(), "marcus.hill", deal, "SE", "demo", Plan(), NOW)
    marcus = claims_page("marcus.hill")
    offered = [s for s in marcus.selectbox if s.key == "claim_pick"]
    assert not offered or not any(o.startswith("Marcus Hill") for o in offered[0].options)
    assert any("My claims (" in h.value and "(0)" not in h.value for h in marcus.subheader)
    marcus.selectbox(key="history_pick").set_value(credit_id).run()
    history = marcus.dataframe[-1].value  # the history of the claim picked in the expander
    assert list(history["action"]) == ["file_claim"]
    assert list(history["actor_name"]) == ["Marcus Hill"]


# On a shared store the first commit wins instead: the other tab's would be the one refused.
@pytest.mark.embedded_only
def test_two_tabs_confirming_at_the_same_moment_write_once(org):
    credit_id = file(org)
    other_tab = org.cursor()
    other_tab.begin()
    other_tab.execute(
        "update deal_credits set ae_confirmed_by = 'a1', ae_confirmed_at = ? where credit_id = ?",
        [NOW, credit_id],
    )
    with pytest.raises(ContributionError, match="someone changed this at the same moment"):
        claims.confirm_claim(org, "a1", credit_id, NOW)
    other_tab.rollback()
    assert status(org, credit_id) == "pending"
    assert audit_actions(org, credit_id) == ["file_claim"]


def test_an_admin_confirms_the_claims_of_the_squad_picked_in_the_sidebar(app_env):
    from squadboard import claims as rules
    from squadboard import ui

    deal = ui.run("claimable_deals", rep_id="marcus.hill", **Q4).row(0, named=True)
    # the squad of the deal's owner: the admin finds the claim there
    deal["squad_id"] = (
        ui.con()
        .execute(
            "select m.squad_id from deals as d join squad_members as m on m.rep_id = d.owner_id "
            "where d.deal_id = ? and m.valid_to is null",
            [deal["deal_id"]],
        )
        .fetchone()[0]
    )
    credit_id = rules.file_claim(
        ui.con(), "marcus.hill", deal["deal_id"], "SE", "demo", Plan(), NOW
    )
    at = claims_page("elena.duarte")
    roster = ui.run("roster", as_of=TODAY)
    marcus = roster.filter(pl.col("rep_id") == "marcus.hill")["squad_id"][0]
    # a squad that neither the claimant nor the deal's owner is in
    other = next(
        s for s in ("falcons", "orcas", "lynx", "ravens") if s not in (deal["squad_id"], marcus)
    )
    at.selectbox(key="squad").set_value(other).run()
    waiting = [s for s in at.selectbox if s.key == "claim_pick"]
    assert not waiting or f"Marcus Hill · SE on {deal['deal']}" not in waiting[0].options
    at.selectbox(key="squad").set_value(deal["squad_id"]).run()
    assert not at.exception
    assert f"Marcus Hill · SE on {deal['deal']}" in at.selectbox(key="claim_pick").options
    at.selectbox(key="claim_pick").set_value(credit_id).run()
    at.button(key="confirm").click().run()
    stamped = (
        ui.con()
        .execute("select manager_confirmed_by from deal_credits where credit_id = ?", [credit_id])
        .fetchone()
    )
    assert stamped == ("elena.duarte",)


def test_a_manager_is_offered_the_deals_of_the_squads_they_manage(org):
    # m1 manages squad One but is no member of it
    ids = set(db.run(org, "claimable_deals", rep_id="m1", **Q4)["deal_id"])
    assert ids == {"d1", "d2", "d4"}
