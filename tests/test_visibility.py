"""Board naming holds on every page: the matching attack of issue #11.

With an anonymous board (or the bottom N hidden), a rep who may not see a name must not find
it next to that person's figures anywhere else: take every hidden board row's value, walk every
page of app.py's PAGES table (tables on screen, their CSV downloads, charts) and look for a row
with a hidden name and that value, or a hidden name whose rows add up to it."""

from __future__ import annotations

import math

import polars as pl
import pytest

from squadboard import auth, contribution, db, plan, visibility
from tests.browser.support import pages_table
from tests.conftest import ADMIN, TODAY
from tests.pagewalk import capture_downloads, open_page, tables

Q4 = {"period_start": "2026-10-01", "period_end": "2027-01-01"}
REP, LEADER = "tom.becker", "maya.chen"  # a Falcons rep; the Falcons' leader


def _viewer(con, rep_id: str) -> auth.Viewer:
    roster = db.run(con, "roster", as_of=TODAY)
    return auth.viewer_from(roster.filter(pl.col("rep_id") == rep_id).row(0, named=True))


def hidden_figures(path, viewer_id: str, naming: str) -> dict[str, list[float]]:
    """Save the naming; then {hidden person's name: their values on the boards a page also
    shows (credited revenue, % of stretch target)} for this viewer."""
    con = db.connect(path)
    try:
        plan.save(con, plan.Plan(board_naming=naming, hide_bottom_n=5), ADMIN)
        viewer = _viewer(con, viewer_id)
        roster = db.run(con, "roster", as_of=TODAY)
        names = dict(zip(roster["rep_id"], roster["rep"], strict=True))
        hidden: dict[str, list[float]] = {}
        for metric in ("credited", "pct_to_target"):
            board = db.run(con, "leaderboard", **Q4, metric=metric)
            shown = contribution.present_board(board, viewer, naming, 5, squads=roster)
            named = set(shown["rep_id"].drop_nulls())
            for rep_id, value in board.select("rep_id", "value").rows():
                if rep_id not in named and value:
                    hidden.setdefault(names[rep_id], []).append(float(value))
        return hidden
    finally:
        con.close()


def _number(cell: str) -> float | None:
    try:
        value = float(cell.replace("$", "").replace(",", ""))
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.5, abs(b) * 1e-6) if abs(b) > 5 else abs(a - b) <= 1e-4


def matches(table: pl.DataFrame, hidden: dict[str, list[float]]) -> list[str]:
    """What the attack finds in one table: (name, value) pairs of hidden people."""
    found = []
    for name, values in hidden.items():
        rows = table.filter(pl.any_horizontal(pl.all().str.contains(name, literal=True)))
        if rows.is_empty():
            continue
        for column in rows.columns:
            numbers = [_number(c) for c in rows[column].to_list() if c is not None]
            numbers = [n for n in numbers if n is not None]
            for value in values:
                if any(_close(n, value) for n in numbers) or (
                    numbers and _close(sum(numbers), value)
                ):
                    found.append(f"{name}: {column} = {value}")
    return found


def _audience(viewer_id: str) -> list[str]:
    leader = viewer_id == LEADER
    return [file for _s, file, _t, _i, who in pages_table() if who == "all" or leader]


CASES = [
    (viewer_id, naming, page)
    for viewer_id in (REP, LEADER)
    for naming in ("anonymous", "hide_bottom")
    for page in _audience(viewer_id)
]


@pytest.mark.parametrize("viewer_id, naming, page", CASES)
def test_no_page_gives_a_hidden_board_name_its_figures_back(
    app_env, monkeypatch, viewer_id, naming, page
):
    hidden = hidden_figures(app_env, viewer_id, naming)
    assert hidden, "the attack needs someone hidden"
    # the viewer's own squad, and one they have nothing to do with
    for query in ({}, {"squad": "orcas"}):
        blobs = capture_downloads(monkeypatch)
        at = open_page(viewer_id, page, period="2026-Q4", **query)
        assert not at.exception, f"{page}: {at.exception}"
        leaks = [leak for table in tables(at, blobs) for leak in matches(table, hidden)]
        charts = " ".join(c.proto.spec for c in at.get("plotly_chart"))
        leaks += [f"{name} in a chart" for name in hidden if name in charts]
        assert not leaks, f"{page} as {viewer_id} ({naming}, {query}): " + "; ".join(leaks[:5])


def test_the_attack_finds_what_a_named_page_shows(app_env, monkeypatch):
    """The attack itself works: with the rule switched off, Targets gives the names back."""
    hidden = hidden_figures(app_env, REP, "anonymous")
    monkeypatch.setattr(visibility, "hide_names", lambda frame, *a, **k: frame)
    blobs = capture_downloads(monkeypatch)
    at = open_page(REP, "pages/targets.py", period="2026-Q4")
    found = {leak.split(":")[0] for table in tables(at, blobs) for leak in matches(table, hidden)}
    assert len(found) >= len(hidden) - 2


@pytest.mark.parametrize(
    "viewer, seen",
    [
        (auth.Viewer("r", "R", "rep", "AE", "s1", ()), {"r"}),
        (auth.Viewer("l", "L", "leader", "manager", None, ("s1",)), {"r", "q"}),
        (auth.Viewer("a", "A", "admin", "manager", None, ()), {"r", "q", "x", "y"}),
    ],
)
def test_the_rule_self_their_squads_admin(viewer, seen):
    frame = pl.DataFrame(
        {
            "rep_id": ["r", "q", "x", "y"],
            "rep": ["Rae", "Quin", "Xan", "Yul"],
            "squad_id": ["s1", "s1", "s2", None],
            "credited": [1.0, 2.0, 3.0, 4.0],
        }
    )
    for naming in ("anonymous", "hide_bottom"):
        out = visibility.hide_names(frame, viewer, naming)
        assert set(out["rep_id"].drop_nulls()) == seen
        assert out["credited"].to_list() == [1.0, 2.0, 3.0, 4.0]  # figures stay, names go
        assert (out["rep"] == visibility.HIDDEN).sum() == 4 - len(seen)
    assert visibility.hide_names(frame, viewer, "named").equals(frame)
    with pytest.raises(ValueError, match="board naming"):
        visibility.hide_names(frame, viewer, "secret")


@pytest.mark.parametrize("naming", ["anonymous", "hide_bottom"])
def test_a_leader_opens_the_profiles_of_their_own_squads_only(app_env, naming):
    hidden_figures(app_env, LEADER, naming)  # saves the naming
    con = db.connect(app_env)
    roster = db.run(con, "roster", as_of=TODAY).filter(pl.col("active"))
    con.close()
    at = open_page(LEADER, "pages/profile.py", period="2026-Q4")
    assert not at.exception
    offered = set(at.selectbox(key="profile_rep").options)
    falcons = set(roster.filter(pl.col("squad_id") == "falcons")["rep"])
    others = set(roster.filter(pl.col("squad_id") != "falcons")["rep"]) - {"Maya Chen"}
    assert falcons - {"Maya Chen"} <= offered
    assert not offered & others
    admin = open_page("elena.duarte", "pages/profile.py", period="2026-Q4")
    assert set(admin.selectbox(key="profile_rep").options) == set(roster["rep"])


def test_the_board_follows_the_same_rule():
    board = pl.DataFrame(
        {
            "rank": [1, 2, 3, 4],
            "rep_id": ["r", "q", "x", "y"],
            "rep": ["Rae", "Quin", "Xan", "Yul"],
            "squad": ["One", "One", "Two", "Two"],
            "value": [4.0, 3.0, 2.0, 1.0],
        }
    )
    squads = pl.DataFrame({"rep_id": ["r", "q", "x", "y"], "squad_id": ["s1", "s1", "s2", "s2"]})
    leader = auth.Viewer("l", "L", "leader", "manager", None, ("s2",))
    rep = auth.Viewer("r", "Rae", "rep", "AE", "s1", ())
    shown = contribution.present_board(board, leader, "anonymous", 0, squads=squads)
    assert shown["rep"].to_list() == ["#1", "#2", "Xan", "Yul"]
    shown = contribution.present_board(board, rep, "anonymous", 0, squads=squads)
    assert shown["rep"].to_list() == ["Rae (you)", "#2", "#3", "#4"]
    # the bottom two are Xan and Yul: their leader still sees them, the rep does not
    shown = contribution.present_board(board, leader, "hide_bottom", 2, squads=squads)
    assert shown["rep"].to_list() == ["Rae", "Quin", "Xan", "Yul"]
    shown = contribution.present_board(board, rep, "hide_bottom", 2, squads=squads)
    assert shown["rep"].to_list() == ["Rae", "Quin"]
    admin = auth.Viewer("a", "A", "admin", "manager", None, ())
    assert contribution.present_board(board, admin, "anonymous", 0)["rep"].to_list() == [
        "Rae",
        "Quin",
        "Xan",
        "Yul",
    ]
