"""The Plan settings page: admins change it, leaders read it, reps cannot open it; validated;
written with an audit entry; every page follows the saved plan (the fiscal year start month
moves the period picker). Fractions are entered as percentages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from squadboard import auth, db, metrics, periods, plan

ROOT = Path(__file__).resolve().parent.parent


def open_settings(viewer_id: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    at.run()
    return at.switch_page("pages/settings.py").run()


def _stored(path):
    con = db.connect(path)
    try:
        saved = plan.load(con)
        audits = (
            con.cursor()
            .execute("select actor from audit_log where action = 'save_plan'")
            .fetchall()
        )
        return saved, audits
    finally:
        con.close()


ADMIN = "elena.duarte"


def test_an_admin_saves_the_plan_in_percentages_with_an_audit_entry(app_env):
    at = open_settings(ADMIN)
    assert not at.exception and at.title[0].value == "Plan settings"
    assert at.number_input(key="team_weight").value == 60  # 0.60 stored, 60 % shown
    at.number_input(key="team_weight").set_value(70.0)
    at.number_input(key="personal_weight").set_value(30.0)
    at.number_input(key="target_bonus").set_value(12_000.0)
    at.button[0].click().run()
    assert any("Saved" in s.value for s in at.success)
    saved, audits = _stored(app_env)
    assert (saved.team_weight, saved.personal_weight, saved.target_bonus) == (0.7, 0.3, 12_000)
    assert audits == [(ADMIN,)]


def test_a_leader_reads_the_plan_but_cannot_change_it(app_env):
    at = open_settings("maya.chen")
    assert not at.exception and at.title[0].value == "Plan settings"
    assert any("Only admins change plan settings" in i.value for i in at.info)
    widgets = [*at.number_input, *at.selectbox, *at.text_input]
    on_page = [w for w in widgets if w.key != "viewer_id" and w.key != "period"]
    assert on_page and all(w.disabled for w in on_page)
    assert at.button[0].disabled


def test_a_leader_cannot_change_the_plan_in_the_domain_function(demo_con):
    leader = auth.Viewer("maya.chen", "Maya Chen", "leader", "manager", None, ("falcons",))
    rep = auth.Viewer("tom.becker", "Tom Becker", "rep", "AE", "falcons", ())
    for who in (leader, rep, "elena.duarte"):  # a bare rep_id is no proof of being the admin
        with pytest.raises(plan.PlanPermissionError, match="only an admin"):
            plan.save(demo_con, plan.Plan(target_bonus=99_000.0), who)
    assert plan.load(demo_con) == plan.Plan()
    audits = demo_con.execute("select count(*) from audit_log where action = 'save_plan'")
    assert audits.fetchone()[0] == 0


def test_a_leader_submitting_the_settings_form_saves_nothing(app_env):
    at = open_settings("maya.chen")
    assert not at.exception
    number = at.number_input(key="target_bonus")
    if not number.disabled:  # a page that shows the settings read-only has nothing to submit
        number.set_value(12_000.0)
        at.button[0].click().run()
        assert not at.exception
        assert not at.success
    assert _stored(app_env) == (plan.Plan(), [])


def test_the_page_is_grouped_in_words_with_an_explanation_per_field(app_env):
    at = open_settings(ADMIN)
    assert [h.value for h in at.subheader][:5] == [
        "Payout",
        "Pace",
        "Contribution",
        "Pools",
        "Boards",
    ]
    labels = [w.label for w in [*at.number_input, *at.selectbox, *at.text_input]]
    assert not any("_" in label or label.startswith("Overlay pct") for label in labels), labels
    assert at.selectbox(key="board_naming").value == "named"  # a select box, not free text
    assert at.selectbox(key="pool_rule").value == "percent"
    explained = {c.value for c in at.caption}
    assert "Share of the bonus paid on squad attainment." in explained
    assert "Points per kudos tied to the deal." in explained


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("team_weight", 90.0, "must add up to 100%"),
        ("threshold", 150.0, "threshold must be between 0% and 100%"),
        ("cap", 50.0, "cap must be at least 100%"),
        ("hide_bottom_n", -2, "must not be negative"),
    ],
)
def test_an_invalid_plan_is_not_saved(app_env, key, value, message):
    at = open_settings("elena.duarte")
    at.number_input(key=key).set_value(value)
    at.button[0].click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert _stored(app_env) == (plan.Plan(), [])


def test_a_rep_cannot_open_or_use_plan_settings(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = "tom.becker"
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/settings.py")
    page = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60)
    page.session_state["viewer_id"] = "tom.becker"
    page.run()
    assert any("for sales leaders and admins" in e.value for e in page.error)
    assert len(page.button) == 0


def test_a_february_fiscal_year_moves_every_period(app_env):
    at = open_settings(ADMIN)
    at.selectbox(key="fiscal_year_start_month").set_value(2)
    at.button[0].click().run()
    assert _stored(app_env)[0].fiscal_year_start_month == 2
    at.switch_page("pages/squads.py").run()
    # 23 Nov 2026 with a February fiscal year: FY2026 Q4 = Nov 2026 .. Jan 2027.
    assert at.title[0].value == "Squads · 2026-Q4"
    assert at.caption[0].value.startswith("1 Nov 2026 – 31 Jan 2027")


def test_business_days_pace_reaches_every_page(app_env):
    at = open_settings(ADMIN)
    at.selectbox(key="pace_basis").set_value("business_days")
    at.button[0].click().run()
    assert _stored(app_env)[0].pace_basis == "business_days"
    at.switch_page("pages/squads.py").run()
    q4, today = periods.parse("2026-Q4"), date(2026, 11, 23)
    shown = f"{metrics.elapsed(q4, today, 'business_days'):.0%} of the period elapsed"
    assert shown != f"{metrics.elapsed(q4, today):.0%} of the period elapsed"
    assert shown in at.caption[0].value
    con = db.connect(app_env)
    try:
        squads = db.run(con, "squad_attainment", **q4.params(today))
    finally:
        con.close()
    row = squads.row(0, named=True)
    assert float(row["expected_to_date"]) == pytest.approx(
        float(row["quota"]) * metrics.elapsed(q4, today, "business_days"), abs=0.01
    )
