"""Collaboration profile: deals helped on, confirmed overlay, kudos by category; who may see whose."""

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import claims, db
from squadboard.plan import Plan
from tests.contribution_org import NOW, Q4, activity, build, kudos

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def org(con):
    build(con)
    activity(con, "se1", "d2", "demo", "2026-10-20", n=2)
    activity(con, "se1", "d3", "call", "2026-10-21")  # a lost deal still shows the help given
    confirmed = claims.file_claim(con, "se1", "d1", "SE", "demo", Plan(), NOW)
    claims.confirm_claim(con, "a1", confirmed, NOW)
    claims.confirm_claim(con, "m1", confirmed, NOW)
    claims.file_claim(con, "se1", "d4", "SE", "scoping", Plan(), NOW)  # pending, open deal
    kudos(con, "a1", "se1", None, "2026-10-05 09:00", n=2)
    kudos(con, "se1", "a2", None, "2026-11-05 09:00")
    return con


def test_deals_helped_on_with_how_and_the_confirmed_overlay(org):
    rows = db.run(org, "rep_deals_helped", rep_id="se1", **Q4)
    got = {
        r["deal_id"]: (r["overlay_status"], float(r["overlay_confirmed"]), r["activities"])
        for r in rows.iter_rows(named=True)
    }
    assert got == {
        "d1": ("confirmed", 1000.0, 0),  # 10 % of 10,000
        "d2": (None, 0.0, 2),
        "d3": (None, 0.0, 1),
        "d4": ("pending", 0.0, 0),
    }
    a2 = db.run(org, "rep_deals_helped", rep_id="a2", **Q4)
    assert a2.select("deal_id", "revenue_pct").rows() == [("d1", 40.0)]  # a split is help too


def test_kudos_given_and_received_by_category(org):
    rows = db.run(org, "rep_kudos_by_category", rep_id="se1", **Q4)
    got = {r["category"]: (r["received"], r["given"]) for r in rows.iter_rows(named=True)}
    assert got["helped close"] == (2, 1)
    assert sum(r + g for r, g in got.values()) == 3


def open_profile(viewer_id):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    at.run()
    at.switch_page("pages/profile.py").run()
    assert not at.exception
    return at


def test_a_rep_sees_their_own_profile_and_no_picker(app_env):
    from squadboard import ui

    at = open_profile("ana.souza")
    assert at.title[0].value.startswith("Ana Souza · collaboration")
    assert not [s for s in at.selectbox if s.key == "profile_rep"]
    helped = ui.run("rep_deals_helped", rep_id="ana.souza", **Q4)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Deals helped on"] == str(helped.height)
    assert helped.height > 0


def test_a_leader_picks_anyone(app_env):
    from squadboard import ui

    at = open_profile("sofia.rossi")
    at.selectbox(key="profile_rep").set_value("ana.souza").run()
    assert at.title[0].value.startswith("Ana Souza")
    received = ui.run("rep_kudos_by_category", rep_id="ana.souza", **Q4)["received"].sum()
    assert {m.label: m.value for m in at.metric}["Kudos received"] == str(received)
    table = at.dataframe[0].value
    assert set(table["category"]) == set(
        ui.run("rep_kudos_by_category", rep_id="ana.souza", **Q4)["category"]
    )
    assert pl.Series(table["received"]).sum() == received
