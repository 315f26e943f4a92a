"""The Weekly meeting page through AppTest, the meeting pack and the action items, on the demo."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import auth, db, meeting, meeting_actions, meeting_charts, meeting_report, ui

ROOT = Path(__file__).resolve().parent.parent
W46, W47 = date(2026, 11, 9), date(2026, 11, 16)
HEADINGS = [
    "1. Where each squad stands",
    "2. Pipeline bridge",
    "3. Wins of the week",
    "4. Deals that need help",
    "5. Kudos of the week",
    "6. Mentoring",
    "7. Action items",
]


def open_meeting(viewer_id: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page("pages/meeting.py").run()


def heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("## "))


def test_a_leader_steps_through_every_section_in_order(app_env):
    at = open_meeting("elena.duarte")
    assert not at.exception
    seen = []
    for _ in HEADINGS:
        seen.append(heading(at).removeprefix("## ").split(" · ")[0])
        at.button(key="meeting_next").click().run()
        assert not at.exception
    assert seen == HEADINGS
    assert heading(at).startswith("## 1. ")  # round again
    at.button(key="meeting_prev").click().run()
    assert heading(at).startswith("## 7. Action items · ") and heading(at).endswith("2026-W47")
    assert at.query_params["section"] in ("7", ["7"])


def test_the_bridge_section_draws_exactly_the_bridge_and_lists_a_categorys_deals(app_env):
    at = open_meeting("elena.duarte", week="2026-W47", squad="orcas", section="2")
    assert not at.exception
    assert heading(at) == "## 2. Pipeline bridge · Orcas · 2026-W47"
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = figure["data"][0]
    con = ui.con()
    bridge = db.run(con, "pipeline_bridge", week_start=W47, squad_id="orcas")
    moves = db.run(con, "deal_movements", week_start=W47, squad_id="orcas")
    assert bars["type"] == "waterfall"
    assert bars["y"] == [float(a) for a in bridge["amount"]]
    assert bars["customdata"] == bridge["category"].to_list()
    assert any("frozen end of 2026-W46" in c.value.replace("\\", "") for c in at.caption)
    picker = at.get("button_group")[0]
    for category in picker.proto.options:
        key = next(k for k, (label, _) in meeting.CATEGORIES.items() if label == category.content)
        at.get("button_group")[0].set_value(key).run()
        shown = at.dataframe[0].value
        expected = moves.filter(pl.col("category") == key)
        assert list(shown["Deal"]) == expected["deal"].to_list()


@pytest.mark.parametrize(
    "query, message",
    [
        ({"week": "2026-W99"}, "Ignored the link's week: not a week: '2026-W99'"),
        ({"week": "2019-W02"}, "Ignored the link's week '2019-W02': it is not a frozen week."),
        ({"section": "8"}, "Ignored the link's section '8': use one of 1, 2, 3, 4, 5, 6, 7."),
        ({"section": "**2**"}, "Ignored the link's section '**2**': use one of"),
    ],
)
def test_a_bad_link_value_is_ignored_with_a_plain_message(app_env, query, message):
    at = open_meeting("elena.duarte", **query)
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(message in w.replace("\\", "") for w in warnings), warnings
    assert all("**" not in w.replace("\\*", "") for w in warnings)  # shown as typed, not bold
    assert heading(at).startswith("## 1. Where each squad stands · ")
    assert heading(at).endswith(" · 2026-W47")


def test_the_link_reopens_the_week_squad_and_section(app_env):
    at = open_meeting("elena.duarte", week="2026-W46", squad="lynx", section="4")
    assert not at.exception
    assert heading(at) == "## 4. Deals that need help · Lynx · 2026-W46"
    assert at.query_params["week"] in ("2026-W46", ["2026-W46"])


def test_a_rep_sees_only_their_squad_and_cannot_write(app_env):
    at = open_meeting("tom.becker", section="7", squad="falcons")
    assert not at.exception
    squad = at.selectbox(key="meeting_squad")
    assert squad.options == ["Orcas"]
    assert any("not a squad you can open here" in w.value for w in at.warning)
    assert heading(at).startswith("## 7. Action items · Orcas")
    assert not at.get("form") and not [b for b in at.button if b.key.startswith("tick_")]
    tom = auth.Viewer("tom.becker", "Tom Becker", "rep", "AE", "orcas", ())
    con = ui.con()
    with pytest.raises(meeting_actions.ActionError, match="only the squad's leader"):
        meeting_actions.record(con, tom, W47, "orcas", "decision", "x", None, None, datetime.now())


def test_action_items_are_recorded_once_carried_and_ticked_off(app_env):
    at = open_meeting("rafael.costa", squad="orcas", section="7")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["What"]) == ["Re-qualify the overdue Compass Suite deals"]  # from W46
    assert list(table["From"]) == ["an earlier meeting"]
    for _ in range(2):  # the same item twice (a double click) is recorded once
        at.radio[0].set_value("action")
        at.text_input[0].input("Call **Northwind** back <b>today</b>")
        at.selectbox(key=at.selectbox[-1].key).set_value("tom.becker")
        at.date_input[0].set_value(date(2026, 11, 27))
        at.button[-1].click().run()
        assert not at.exception
    assert [s.value for s in at.success] == ["Already recorded."]
    table = at.dataframe[0].value
    assert list(table["What"]) == [
        "Re-qualify the overdue Compass Suite deals",
        "Call **Northwind** back <b>today</b>",
    ]
    tick = [b for b in at.button if b.key.startswith("tick_")][0]
    tick.click().run()
    assert not at.exception
    con = ui.con()
    rows = (
        con.cursor()
        .execute(
            "select text, done_by from meeting_actions where squad_id = 'orcas' order by created_at"
        )
        .fetchall()
    )
    assert ("Call **Northwind** back <b>today</b>", None) in rows
    assert ("Re-qualify the overdue Compass Suite deals", "rafael.costa") in rows
    audit = (
        con.cursor()
        .execute("select action from audit_log where actor = 'rafael.costa' order by audit_id")
        .fetchall()
    )
    assert audit == [("record_meeting_item",), ("tick_meeting_item",)]
    rafael = auth.Viewer("rafael.costa", "Rafael Costa", "leader", "manager", None, ("orcas",))
    item = (
        con.cursor()
        .execute("select action_id from meeting_actions where done_by is not null")
        .fetchone()[0]
    )
    assert meeting_actions.tick_off(con, rafael, item, datetime.now()) is False  # ticked once


def test_next_weeks_meeting_opens_with_last_weeks_open_items(demo_con):
    w47 = db.run(demo_con, "meeting_actions", week_start=W47, squad_id=None)
    carried = w47.filter(pl.col("carried"))
    assert dict(zip(carried["text"], carried["done"], strict=True)) == {
        "Share the pricing playbook with every squad": True,  # done during the week: shown done
        "Book a discovery-call workshop for new hires": False,
    }
    assert w47.filter(~pl.col("carried"))["kind"].to_list() == ["decision"]  # W47's own
    # a week later only what is still open is carried, and W46's decision never is
    w48 = db.run(demo_con, "meeting_actions", week_start=date(2026, 11, 23), squad_id=None)
    assert w48["text"].to_list() == ["Book a discovery-call workshop for new hires"]


def test_presentation_mode_hides_the_sidebar_and_shows_the_top_of_boards_only(app_env):
    at = open_meeting("elena.duarte", section="5", present="1")
    assert not at.exception
    assert at.toggle(key="meeting_present").value is True
    styles = [h.proto.body for h in at.get("html") if "<style>" in h.proto.body]
    assert styles and 'section[data-testid="stSidebar"]' in styles[0]
    assert "font-size: 26px" in styles[0]
    board = next(h.proto.body for h in at.get("html") if "<th>Rank</th>" in h.proto.body)
    ranks = [int(r.split("</td>")[0]) for r in board.split("<tr><td>")[1:]]
    assert ranks and max(ranks) <= 3
    assert not [d for d in at.sidebar.get("download_button")]


def test_auto_advance_moves_to_the_next_section(app_env):
    at = open_meeting("elena.duarte", section="1")
    at.number_input(key="meeting_auto").set_value(5).run()
    at.session_state["meeting_advanced_at"] = 0.0  # long ago
    at.run()
    assert heading(at).startswith("## 2. Pipeline bridge")


def test_the_meeting_pack_is_one_offline_html_file(demo_con):
    bridge = db.run(demo_con, "pipeline_bridge", week_start=W47, squad_id=None)
    moves = db.run(demo_con, "deal_movements", week_start=W47, squad_id=None)
    kudos = pl.DataFrame(
        {"to_name": ["<script>x()</script>"], "from_name": ["**Ann**"], "category": ["mentoring"],
         "message": ['<img src=x onerror="y()">'], "given_at": [datetime(2026, 11, 17, 9)]}
    )  # fmt: skip
    html = meeting_report.pack(
        "Weekly meeting · All squads · 2026-W47",
        "Compares ...",
        [
            ("2. Pipeline bridge", "note", meeting_charts.bridge_waterfall(bridge),
             meeting_report.movements(moves)),
            ("5. Kudos", None, None, meeting_report.kudos(kudos)),
        ],
    )  # fmt: skip
    assert html.startswith("<!DOCTYPE html>")
    # nothing to fetch: no script, style or image from elsewhere (the library's own default
    # topojson address is only for maps, which the pack has none of)
    assert not re.search(r"<(script|link|img)[^>]*\b(src|href)=", html)
    assert "plotly.js v" in html  # the library itself is inside
    assert html.count("Plotly.newPlot") == 1
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html
    assert "&lt;img src=x" in html and "**Ann**" in html
    assert moves["deal"][0].replace("&", "&amp;") in html


def test_the_whole_pack_of_a_week_from_every_sections_part(demo_con):
    from functools import partial

    from squadboard.plan import Plan

    run = partial(db.run, demo_con)
    parts = [
        meeting_report.standings_part,
        meeting_report.bridge_part,
        meeting_report.wins_part,
        meeting_report.help_part,
        meeting_report.kudos_part,
        meeting_report.actions_part,
    ]
    sections = [(f"{i}. part", *part(run, W47, "orcas", Plan())) for i, part in enumerate(parts)]
    html = meeting_report.pack("Weekly meeting · Orcas · 2026-W47", "Compares ...", sections)
    assert html.count("Plotly.newPlot") == 2  # standings and the bridge, one library
    assert html.count("plotly.js v") == 1
    moves = db.run(demo_con, "deal_movements", week_start=W47, squad_id="orcas")
    for deal in moves["deal"]:
        assert deal.replace("&", "&amp;") in html
    assert "Re-qualify the overdue Compass Suite deals" in html  # the carried action


def test_the_mentoring_section_counts_the_weeks_requests(app_env):
    at = open_meeting("elena.duarte", week="2026-W47", section="6")
    at.selectbox(key="meeting_squad").set_value("all").run()  # the whole organisation
    assert not at.exception
    assert heading(at) == "## 6. Mentoring · All squads · 2026-W47"
    rows = db.run(ui.con(), "mentoring_week", week_start=W47, squad_id=None)
    counts = dict(rows.group_by("event").len().iter_rows())
    shown = {m.label: m.value for m in at.metric}
    assert shown["Asked for help"] == str(counts.get("asked", 0))
    assert shown["Started"] == str(counts.get("accepted", 0))
    assert shown["Done"] == str(counts.get("done", 0))
    if rows.height:
        assert at.dataframe[0].value["Asked by"].to_list() == rows["asker"].to_list()


def test_deals_that_need_help_open_a_mastermind_with_the_reasons(app_env):
    at = open_meeting("elena.duarte", week="2026-W47", section="4")
    at.selectbox(key="meeting_squad").set_value("all").run()  # the whole organisation
    assert not at.exception
    rooms = db.run(ui.con(), "mastermind_week", week_start=W47, squad_id=None)
    assert rooms.height, "the demo has Masterminds active in the last frozen week"
    assert any(m.value == "Masterminds" for m in at.subheader)
    summary = meeting_report.masterminds_summary(rooms)
    assert any(c.value.replace("\\", "") == summary for c in at.caption)
    deal = at.selectbox(key="meeting_mm_deal").value
    at.button(key="meeting_open_mm").click().run()
    assert not at.exception
    assert at.selectbox(key="mm_deal").value == deal
    why = at.text_area(key="mm_why").value
    assert why.startswith("Weekly meeting, 2026-W47: ") and len(why) > len("Weekly meeting, ")


def test_a_rep_sees_no_open_a_mastermind_button_in_the_meeting(app_env):
    at = open_meeting("tom.becker", section="4")
    assert not at.exception
    assert not [b for b in at.button if b.key == "meeting_open_mm"]
