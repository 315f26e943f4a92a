"""My squad (the rep's home page) and Squads through AppTest, on a private copy of the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from squadboard import db, display, metrics, periods, plan

ROOT = Path(__file__).resolve().parent.parent
Q4 = periods.parse("2026-Q4")
TODAY = date(2026, 11, 23)


def open_app(viewer_id: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if viewer_id:
        at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _metrics(at) -> dict[str, list]:
    out: dict[str, list] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(m.value)
    return out


def _rows(path, rep_id):
    con = db.connect(path)
    try:
        reps = db.run(con, "rep_attainment", **Q4.params(TODAY))
        squads = db.run(con, "squad_attainment", **Q4.params(TODAY))
        me = reps.filter(reps["rep_id"] == rep_id).row(0, named=True)
        squad = squads.filter(squads["squad_id"] == me["squad_id"]).row(0, named=True)
        return squad, me, plan.load(con), reps
    finally:
        con.close()


def test_a_rep_lands_on_my_squad_with_the_query_figures(app_env):
    squad, me, _, reps = _rows(app_env, "tom.becker")
    at = open_app("tom.becker")
    assert not at.exception
    assert at.title[0].value == f"My squad · {squad['squad']} · 2026-Q4"
    shown = _metrics(at)
    assert shown["Credited"][0] == f"${float(squad['credited']):,.0f}"
    assert shown["Attainment"][0] == f"{squad['attainment']:.0%}"
    assert shown["Credited"][1] == f"${float(me['credited']):,.0f}"
    assert shown["Attainment"][1] == f"{me['attainment']:.0%}"
    assert shown["Needed / week"][0] == f"${float(squad['needed_per_week']):,.0f}"
    place, size = metrics.place_in_squad(reps, "tom.becker")
    assert shown["Place in squad"][0] == f"{place} of {size}"


@pytest.mark.parametrize("amount", [100_000.0, 400_000.0])  # past the 50 % threshold
def test_the_what_if_moves_squad_me_and_payout_together(app_env, amount):
    squad, me, the_plan, _ = _rows(app_env, "tom.becker")
    at = open_app("tom.becker")
    before = _metrics(at)
    at.number_input(key="what_if").set_value(amount).run()
    assert not at.exception
    after = _metrics(at)
    expected = metrics.outlook(squad, me, the_plan, Q4, TODAY, amount)
    assert after["Squad attainment"][0] == f"{expected.squad_attainment:.0%}"
    assert after["My attainment"][0] == f"{expected.my_attainment:.0%}"
    assert after["Payout estimate"][0] == f"${expected.payout:,.0f}"
    for label in ("Squad attainment", "My attainment", "Payout estimate"):
        assert after[label] != before[label], label


def test_a_leader_sees_only_their_squads_reps_and_their_payouts(app_env):
    at = open_app("maya.chen")
    assert at.title[0].value.startswith("Squads")  # a leader's home
    at.switch_page("pages/my_squad.py").run()
    assert not at.exception
    picker = at.sidebar.selectbox(key="rep")
    assert "Tom Becker" not in picker.options and "Priya Raman" in picker.options
    assert "Falcons" in at.title[0].value
    assert _metrics(at)["Payout estimate"][0].startswith("$")


def _write(path, sql, params=None):
    con = db.connect(path)
    try:
        con.execute(sql, params or [])
    finally:
        con.close()


def test_a_rep_with_no_squad_and_no_target_gets_an_explanation(app_env):
    _write(app_env, "insert into reps (rep_id, name, role) values ('nora.new', 'Nora New', 'AE')")
    at = open_app("nora.new")
    assert not at.exception and not at.error
    text = " ".join(i.value for i in at.info)
    assert "not in a squad" in text and "No stretch target and no credited revenue" in text


def test_a_squad_without_quota_and_a_rep_without_target_are_explained(app_env):
    _write(app_env, "delete from quotas where owner_id in ('orcas', 'tom.becker')")
    at = open_app("tom.becker")
    assert not at.exception and not at.error
    text = " ".join(i.value for i in at.info)
    assert "Orcas has no base quota" in text and "No stretch target" in text
    assert _metrics(at)["Attainment"] == ["–", "–"]
    at.number_input(key="what_if").set_value(10_000.0).run()
    assert not at.exception


def test_squads_detail_follows_the_link_and_drills_down(app_env):
    at = open_app("maya.chen", period="2026-Q4", squad="orcas")
    assert not at.exception
    assert at.header[0].value == "Orcas · detail"
    assert at.sidebar.selectbox(key="squad").value == "orcas"
    con = db.connect(app_env)
    try:
        orcas = db.run(con, "squad_attainment", **Q4.params(TODAY))
        row = orcas.filter(orcas["squad_id"] == "orcas").row(0, named=True)
    finally:
        con.close()
    assert _metrics(at)["Credited"][0] == f"${float(row['credited']):,.0f}"
    expander = [e for e in at.expander if e.label.startswith("Deals behind")]
    # The drill-down is in cents: its rows add up to the figure to the cent.
    assert expander and f"({display.cents(row['credited'])})" in expander[0].label
    # the trend chart, a members table, the two drill-down tables and the pipeline movement
    # (plus the squads table)
    assert len(at.get("plotly_chart")) == 2 and len(at.dataframe) == 5


def test_switching_the_squad_updates_the_link(app_env):
    at = open_app("maya.chen")
    at.sidebar.selectbox(key="squad").set_value("lynx").run()
    assert at.query_params["squad"] in ("lynx", ["lynx"])
    assert at.header[0].value == "Lynx · detail"


@pytest.mark.parametrize("bad", ["nope", "<script>alert(1)</script>"])
def test_a_bad_squad_in_the_link_is_a_warning(app_env, bad):
    at = open_app("maya.chen", squad=bad)
    assert not at.exception
    assert any("Ignored the link's squad" in w.value for w in at.warning)


def test_the_period_survives_a_page_switch(app_env):
    at = open_app("tom.becker", period="2026-Q3")
    assert at.title[0].value.endswith("2026-Q3")
    at.switch_page("pages/squads.py").run()
    assert at.title[0].value == "Squads · 2026-Q3"
    at.switch_page("pages/targets.py").run()
    assert at.title[0].value == "Targets · 2026-Q3"
