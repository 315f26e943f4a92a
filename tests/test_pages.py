"""Every page through Streamlit's AppTest, against a private copy of the demo database."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "data" / "templates"


def open_app(viewer_id: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if viewer_id:
        at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_home_is_squads_with_real_numbers_and_the_demo_notice(app_env):
    at = open_app()
    assert not at.exception
    assert at.title[0].value == "Squads · 2026-Q4"
    assert any("Demo data" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert list(table["squad"]) == ["Falcons", "Lynx", "Ravens", "Orcas"]
    assert table["credited"].astype(float).sum() > 0
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert sorted(figure["data"][0]["y"]) == ["Falcons", "Lynx", "Orcas", "Ravens"]


def test_the_page_shows_the_figures_of_the_named_query(app_env):
    from squadboard import ui

    at = open_app()
    shown = at.dataframe[0].value.set_index("squad")["credited"].astype(float)
    expected = ui.run(
        "squad_attainment", period_start="2026-10-01", period_end="2027-01-01", as_of="2026-11-23"
    )
    for row in expected.iter_rows(named=True):
        assert shown[row["squad"]] == pytest.approx(float(row["credited"]))


def test_the_squad_page_shows_this_weeks_pipeline_movement_of_the_picked_squad(app_env):
    from squadboard import ui

    at = open_app(squad="orcas")
    assert not at.exception
    assert any(h.value == "Pipeline movement" for h in at.subheader)
    shown = at.dataframe[-1].value
    expected = ui.run("pipeline_movement", as_of="2026-11-23")
    expected = expected.filter(expected["squad_id"] == "orcas")
    assert list(shown["rep"]) == expected["rep"].to_list() and len(shown) > 0
    assert (shown["net_change"] == shown["pipeline"] - shown["pipeline_before"]).all()


def test_period_deep_link_selects_the_period(app_env):
    at = open_app(period="2026-Q3")
    assert at.title[0].value == "Squads · 2026-Q3"
    assert at.sidebar.selectbox(key="period").value == "2026-Q3"


@pytest.mark.parametrize("bad", ["2026-Q9", "'; drop table deals; --", "<script>alert(1)</script>"])
def test_a_bad_period_in_the_link_is_a_warning_not_a_crash(app_env, bad):
    at = open_app(period=bad)
    assert not at.exception
    assert any("Ignored the link's period" in w.value for w in at.warning)
    assert at.title[0].value == "Squads · 2026-Q4"


def test_a_rep_is_not_offered_the_import_page_and_cannot_use_it(app_env):
    at = open_app("tom.becker")
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/imports.py")
    # Reaching the page file anyway (a typed URL) stops at the page's own role check.
    page = AppTest.from_file(str(ROOT / "pages" / "imports.py"), default_timeout=60)
    page.session_state["viewer_id"] = "tom.becker"
    page.run()
    assert any("for sales leaders and admins" in e.value for e in page.error)
    assert len(page.get("file_uploader")) == 0


def test_a_leader_uploads_a_template_and_the_figures_change(app_env):
    at = open_app("maya.chen")
    at.switch_page("pages/imports.py").run()
    assert not at.exception
    deals = (
        "deal_id,name,account,product,owner_id,stage,status,amount,probability,created_date,close_date\n"
        "UP-1,Big win,Acme,Atlas Core,tom.becker,Closed Won,won,100000,100,2026-10-01,2026-11-02\n"
    )
    at.get("file_uploader")[0].upload("deals.csv", deals.encode(), "text/csv").run()
    assert any("Valid. Ready to write" in s.value for s in at.success)
    at.button(key="commit").click().run()
    assert any("Imported 1 deals" in s.value for s in at.success)
    assert at.dataframe[-1].value["files"].iloc[0] == "deals.csv"
    at.switch_page("pages/squads.py").run()
    orcas = at.dataframe[0].value.set_index("squad").loc["Orcas", "credited"]
    assert float(orcas) > 300_000  # 243,500 before the upload


def test_a_bad_upload_lists_the_problems_and_offers_no_commit(app_env):
    at = open_app("maya.chen")
    at.switch_page("pages/imports.py").run()
    at.get("file_uploader")[0].upload(
        "reps.csv", b"rep_id,name,role\nx,X,wizard\n", "text/csv"
    ).run()
    assert any("nothing will be written" in e.value for e in at.error)
    problems = at.dataframe[0].value
    assert problems.iloc[0]["line"] == 2 and problems.iloc[0]["column"] == "role"
    assert len(at.button) == 0 or all(b.key != "commit" for b in at.button)
