"""Trust what the screen says (issue #16): one formatting layer, honest inputs, selections that
follow the viewer, labels that name the rep, tables and charts that survive a phone.

Every page of app.py's PAGES table is opened for a rep, a leader and the admin through AppTest
(pages added later are covered too); tests/browser/test_screen.py does the same in Chromium.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import charts, display, metrics
from tests.browser.support import pages_table

ROOT = Path(__file__).resolve().parent.parent
REP, LEADER, ADMIN = "tom.becker", "maya.chen", "elena.duarte"
ROLES = {"rep": REP, "leader": LEADER, "admin": ADMIN}
PAGES = pages_table()
WORDS_NOBODY_SHOULD_SEE = re.compile(r"\bNone\b|\bnan\b|\bNaN\b|00:00:00")


def open_app(viewer_id: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def open_page(file: str, viewer_id: str, **query) -> AppTest:
    """A page file run alone (as the first request after a server start may be)."""
    at = AppTest.from_file(str(ROOT / file), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _metrics(at) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(m.value)
    return out


# The formatting layer --------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, value, shown",
    [
        (display.money, 12_345.67, "$12,346"),
        (display.money, Decimal("-300.40"), "-$300"),
        (display.money, None, "–"),
        (display.money, float("nan"), "–"),
        (display.cents, 12_345.678, "$12,345.68"),
        (display.cents, Decimal("0.10"), "$0.10"),
        (display.money_change, 1200.0, "+$1,200"),
        (display.money_change, -300.0, "-$300"),
        (display.money_change, 0.0, "$0"),
        (display.percent, 0.456, "46%"),
        (display.percent, 1.604, "160%"),
        (display.percent, None, "–"),
        (display.points, 0.015, "+1.5 pts"),
        (display.points, -0.07, "-7.0 pts"),
        (display.points, 0.0, "0.0 pts"),
        (display.day, date(2026, 11, 3), "3 Nov 2026"),
        (display.day, datetime(2026, 11, 3, 0, 0), "3 Nov 2026"),
        (display.moment, datetime(2026, 11, 3, 10, 5), "3 Nov 2026, 10:05"),
        (display.moment, None, "–"),
        (display.count, 1234, "1,234"),
        (display.text, None, "–"),
        (display.text, "", "–"),
    ],
)
def test_one_rule_per_kind_of_figure(rule, value, shown):
    assert rule(value) == shown


@pytest.mark.parametrize(
    "name, header",
    [
        ("deal_amount", "Deal amount"),
        ("split_pct", "Split %"),
        ("rep", "Rep"),
        ("close_date", "Close date"),
        ("import_id", "Import ID"),
        ("ae", "AE"),
    ],
)
def test_headers_are_words(name, header):
    assert display.header(name) == header
    assert display.is_snake_case_header(name)
    assert not display.is_snake_case_header(header)


def test_a_table_shows_a_dash_for_missing_and_dates_as_dates():
    from squadboard import ui

    frame = pl.DataFrame(
        {
            "rep": ["Ann", None],
            "self_goal": [Decimal("1000.50"), None],
            "credited": [1.0, 2.0],
            "imported_at": [datetime(2026, 11, 3), datetime(2026, 11, 4)],
        }
    )
    shown, config = ui.for_screen(frame, {"self_goal": ui.money("Own goal")})
    assert shown["rep"].to_list() == ["Ann", "–"]
    assert shown["self_goal"].to_list() == ["$1,000", "–"]  # whole dollars, as the column shows
    assert config["self_goal"]["label"] == "Own goal"
    assert shown["credited"].dtype == pl.Float64  # no missing value: stays a sortable number
    assert shown["imported_at"].dtype == pl.Date  # midnight date-times are dates
    assert config["imported_at"]["label"] == "Imported at"


def test_a_table_rounds_as_the_tiles_do():
    """The grid cuts a number to its column's step (Streamlit's NumberColumn truncates:
    $12,345.67 drew as $12,345 and a 15.8 % win rate as 15% beside a "16%" tile). The
    formatting layer rounds first, as display.py does for tiles and captions."""
    from squadboard import ui

    frame = pl.DataFrame(
        {"amount": [12_345.67, -0.4], "rate": [6 / 38, 0.29], "exact": [12_345.678, 1.0]}
    )
    columns = {"amount": ui.money("Amount"), "rate": ui.pct("Rate"), "exact": ui.cents("Exact")}
    shown, _ = ui.for_screen(frame, columns)
    assert shown["amount"].to_list() == [12_346.0, 0.0]
    assert str(shown["amount"][1]) == "0.0"  # not -0.0, which the grid draws as -$0
    assert shown["rate"].to_list() == [0.16, 0.29]
    assert shown["exact"].to_list() == [12_345.68, 1.0]
    assert display.money(frame["amount"][0]) == "$12,346"
    assert display.percent(frame["rate"][0]) == "16%"


# Every page, every role ------------------------------------------------------------------


def _allowed(role: str, audience: str) -> bool:
    return audience == "all" or role in ("leader", "admin")


CASES = [
    pytest.param(role, row, id=f"{Path(row[1]).stem}-{role}")
    for row in PAGES
    for role in ROLES
    if _allowed(role, row[4])
]


@pytest.mark.parametrize("role, row", CASES)
def test_every_page_shows_words_dashes_and_formatted_figures(app_env, role, row):
    _section, file, title, _icon, _audience = row
    at = open_app(ROLES[role])
    at.switch_page(file).run()
    assert not at.exception, f"{title}: {at.exception}"
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        frame = table.value
        for column in frame.columns:
            spec = config.get(column) or {}
            label = spec.get("label") or column
            assert not display.is_snake_case_header(label), f"{title}: header {label!r}"
            kind = (spec.get("type_config") or {}).get("type")
            if kind != "progress":  # a progress bar draws nothing for a missing value
                assert not frame[column].isna().any(), f"{title}: {label} would show None"
    texts = [
        e.value
        for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning")
        for e in getattr(at, kind)
    ]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    for text in texts:
        assert not WORDS_NOBODY_SHOULD_SEE.search(str(text)), f"{title}: {text!r}"


def test_tables_lead_with_squad_attainment_and_status_for_a_phone(app_env):
    at = open_app(LEADER)
    assert list(at.dataframe[0].value.columns[:3]) == ["squad", "attainment", "status"]
    at.switch_page("pages/targets.py").run()
    assert list(at.dataframe[0].value.columns[:3]) == ["rep", "attainment", "status"]


# Honest inputs -----------------------------------------------------------------------------


def test_a_negative_what_if_says_so_and_shows_no_stale_figures(app_env):
    at = open_app(REP)
    at.number_input(key="what_if").set_value(100_000.0).run()
    assert _metrics(at)["Squad attainment"][0] != "–"
    at.number_input(key="what_if").set_value(-5_000.0).run()
    assert not at.exception
    assert any("cannot be negative" in e.value for e in at.error)
    shown = _metrics(at)
    # Nothing computed from 100,000, which the field no longer holds.
    assert shown["Squad attainment"] == ["–"] and shown["My attainment"] == ["–"]
    assert shown["Payout estimate"] == ["–"]


def test_the_what_if_change_is_in_points_and_dollars(app_env):
    at = open_app(REP)
    at.number_input(key="what_if").set_value(100_000.0).run()
    deltas = {m.label: m.proto.delta for m in at.metric}
    assert re.fullmatch(r"\+\d+\.\d pts", deltas["Squad attainment"])
    assert re.fullmatch(r"\+\d+\.\d pts", deltas["My attainment"])
    assert re.fullmatch(r"\+\$[\d,]+", deltas["Payout estimate"])


@pytest.mark.parametrize("amount", [2e9, -1.0])
def test_a_goal_out_of_range_is_refused_under_the_field(app_env, amount):
    at = open_app(REP)
    at.switch_page("pages/targets.py").run()
    field = at.number_input(key="goal")
    # A browser refuses a value outside the widget's bounds without a word: no bounds there.
    assert not field.proto.has_max and not field.proto.has_min
    field.set_value(amount)
    at.button[[b.label for b in at.button].index("Save my goal")].click().run()
    assert not at.exception
    form = next(f for f in at.get("form") if f.proto.form.form_id == "goal")
    kinds = [(child.type, getattr(child, "value", None)) for child in form]
    after = kinds[[k for k, _ in kinds].index("number_input") + 1]
    assert after[0] == "error" and "Not saved: the goal must be between 0" in after[1]


# Selections follow the viewer ---------------------------------------------------------------


def test_after_sending_kudos_the_deal_box_is_back_to_no_deal(app_env):
    at = open_app(REP)
    at.switch_page("pages/kudos.py").run()
    at.selectbox(key="kudos_deal").select_index(1)
    at.text_area(key="kudos_message").input("Thanks for the demo")
    at.button(key="give_kudos").click().run()
    assert any("Kudos sent" in s.value for s in at.success)
    box = at.selectbox(key="kudos_deal")
    assert box.index == 0 and box.value == "" and box.options[0] == "(no deal)"


def test_switching_the_demo_viewer_resets_their_selections(app_env):
    at = open_app(LEADER, squad="orcas")  # the previous viewer's pick, from a link
    assert at.header[0].value == "Orcas · detail"
    at.selectbox(key="viewer_id").set_value(ADMIN).run()
    assert not at.exception
    # The pick and the link's squad are forgotten: the page starts on its default squad
    # (AppTest reruns the page file alone, so that default is still computed for Maya; in a
    # browser, tests/browser/test_screen.py sees the new viewer's own).
    assert at.header[0].value != "Orcas · detail"
    assert at.query_params.get("squad") not in ("orcas", ["orcas"])


def test_the_default_squad_is_the_viewers_own_then_the_first_they_lead():
    from squadboard import auth

    rep = auth.Viewer("a", "A", "rep", "AE", "orcas", ())
    leader = auth.Viewer("b", "B", "leader", "manager", None, ("ravens", "lynx"))
    admin = auth.Viewer("c", "C", "admin", "manager", None, ())
    from squadboard import ui

    assert [ui.default_squad(v) for v in (rep, leader, admin)] == ["orcas", "ravens", None]


def test_the_admin_starts_on_the_same_squad_on_every_page(app_env):
    # October 2026: the Squads table's first row (by attainment) is not the first by name.
    squads = open_page("pages/squads.py", ADMIN, period="2026-10")
    pods = open_page("pages/pods.py", ADMIN, period="2026-10")
    claims = open_page("pages/claims.py", ADMIN, period="2026-10")
    picked = {at.sidebar.selectbox(key="squad").value for at in (squads, pods, claims)}
    assert picked == {"falcons"}


# Labels name the rep -------------------------------------------------------------------------


def test_a_leader_on_a_reps_page_sees_the_reps_name_not_my(app_env):
    at = open_app(LEADER)
    at.switch_page("pages/my_squad.py").run()
    at.sidebar.selectbox(key="rep").set_value("diego.alvarez").run()
    first = "Diego"
    labels = [m.label for m in at.metric]
    assert f"{first}'s attainment" in labels and "My attainment" not in labels
    assert any(s.value == f"What if {first} closes one more deal?" for s in at.subheader)
    assert at.number_input(key="what_if").label == f"Deal amount {first} expects to close ($)"


# Charts keep their labels inside the plot ----------------------------------------------------


def test_bar_labels_have_room_inside_the_plot():
    squads = pl.DataFrame(
        {
            "squad": ["A", "B"],
            "attainment": [1.6, 0.4],
            "status": ["ahead", "behind"],
            "credited": [160.0, 40.0],
            "quota": [100.0, 100.0],
        }
    )
    fig = charts.attainment_bars(squads, 0.5)
    assert fig.layout.xaxis.range[1] >= 1.6 * 1.15
    board = pl.DataFrame({"rank": [1, 2], "rep": ["Ann", "Bo"], "value": [5.0, -2.0]})
    fig = charts.board_bars(board, "points")
    low, high = fig.layout.xaxis.range
    assert low < -2.0 * 1.15 and high > 5.0 * 1.15
    assert fig.data[0].texttemplate.endswith(" pts")


def test_what_if_amounts_are_checked_in_words():
    assert metrics.what_if_problem(0.0) is None
    assert "negative" in metrics.what_if_problem(-1.0)
    assert "typo" in metrics.what_if_problem(5e9)
