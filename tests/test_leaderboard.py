"""Leaderboards: every board's value by hand on inserted rows, ties, plan weights, board
naming, and that an anonymous board leaks no name on screen, in downloads or page source."""

import io
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from squadboard import contribution, db, plan
from tests.conftest import ADMIN, TODAY
from tests.contribution_org import Q4, activity, build, kudos

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def org(con):
    build(con)
    activity(con, "se1", "d2", "demo", "2026-10-20", n=2)  # 6 points, an assist on d2
    activity(con, "se1", None, "call", "2026-11-01")  # 1 point
    activity(con, "a1", "d2", "email", "2026-11-01", n=2)  # 1 point, an assist on d2
    activity(con, "b1", "d3", "meeting", "2026-11-02")  # 2 points; d3 was lost: no assist
    activity(con, "b1", "d1", "call", "2026-09-30")  # before the period: no points, an assist
    kudos(con, "a1", "se1", None, "2026-10-05 09:00", n=3)
    kudos(con, "se1", "a2", "d2", "2026-11-05 09:00")
    kudos(con, "a2", "b1", None, "2026-09-30 09:00")  # Q3
    return con


def board(con, metric, **period):
    rows = db.run(con, "leaderboard", **(period or Q4), metric=metric)
    return {r["rep_id"]: (r["rank"], round(r["value"], 6)) for r in rows.iter_rows(named=True)}


@pytest.mark.parametrize(
    "metric, expected",
    [
        # d1 10,000 split 60/40; d2 5,000 to a2. Reps without a credit stay on at 0.
        ("credited", {"a2": (1, 9000), "a1": (2, 6000), "se1": (3, 0), "b1": (3, 0)}),
        # only reps with a stretch target: 6,000 / 20,000 and 9,000 / 10,000
        ("pct_to_target", {"a2": (1, 0.9), "a1": (2, 0.3)}),
        # Q3: a1 3,000 / 20,000 = 0.15, a2 0 / 10,000
        ("most_improved", {"a2": (1, 0.9), "a1": (2, 0.15)}),
        # a2 has a revenue split on d1; se1 and a1 logged activity on d2; b1 on d1 (any date)
        ("assists", {"a2": (1, 1), "a1": (1, 1), "se1": (1, 1), "b1": (1, 1)}),
        ("overlay", {"a2": (1, 0), "a1": (1, 0), "se1": (1, 0), "b1": (1, 0)}),
        ("activity", {"se1": (1, 7), "b1": (2, 2), "a1": (3, 1), "a2": (4, 0)}),
        ("kudos", {"se1": (1, 3), "a2": (2, 1), "a1": (3, 0), "b1": (3, 0)}),
    ],
)
def test_each_board_by_hand(org, metric, expected):
    assert board(org, metric) == expected


def test_the_contribution_score_weights_each_board_scaled_to_its_best(org):
    # credited: a2 1.0, a1 .667; assists all 1; overlay all 0; activity se1 1, b1 2/7, a1 1/7;
    # kudos se1 1, a2 1/3. Default weights .3 / .2 / .1 / .2 / .2.
    expected = {
        "a2": 100 * (0.3 * 1 + 0.2 + 0.2 * 0 + 0.2 / 3),
        "a1": 100 * (0.3 * 6000 / 9000 + 0.2 + 0.2 / 7),
        "se1": 100 * (0.2 + 0.2 + 0.2),
        "b1": 100 * (0.2 + 0.2 * 2 / 7),
    }
    got = board(org, "contribution")
    assert {k: v[1] for k, v in got.items()} == pytest.approx(expected)
    assert got["se1"][0] == 1  # the SE who closes nothing leads on contribution

    only_kudos = plan.Plan(
        contribution_credited=0,
        contribution_assists=0,
        contribution_overlay=0,
        contribution_activity=0,
        contribution_kudos=1,
    )
    plan.save(org, only_kudos, ADMIN)
    got = board(org, "contribution")
    assert {k: v[1] for k, v in got.items()} == pytest.approx(
        {"se1": 100, "a2": 100 / 3, "a1": 0, "b1": 0}
    )


def test_activity_weights_come_from_the_plan(org):
    plan.save(org, plan.Plan(weight_demo=10, weight_call=0), ADMIN)
    assert board(org, "activity")["se1"] == (1, 20)


def test_the_sql_defaults_are_the_plan_defaults(org):
    before = {m: db.run(org, "leaderboard", **Q4, metric=m) for m in contribution.BOARDS}
    plan.save(org, plan.Plan(), ADMIN)  # every setting written out explicitly
    for metric, frame in before.items():
        assert db.run(org, "leaderboard", **Q4, metric=metric).equals(frame), metric


def test_an_unknown_metric_is_an_error_that_lists_the_metrics(org):
    with pytest.raises(duckdb.Error, match="metric must be one of credited, pct_to_target"):
        db.run(org, "leaderboard", **Q4, metric="bogus")


def test_boards_rank_squad_members_only_and_a_squad_view_ranks_again(org):
    ids = set(db.run(org, "leaderboard", **Q4, metric="credited")["rep_id"])
    assert ids == {"a1", "a2", "se1", "b1"}  # managers and the admin are not ranked
    two = contribution.within_squad(db.run(org, "leaderboard", **Q4, metric="kudos"), "Two")
    assert two.select("rank", "rep_id").rows() == [(1, "b1")]


BOARD = pl.DataFrame(
    {
        "rank": [1, 2, 2, 4, 5],
        "rep_id": ["p", "q", "r", "s", "t"],
        "rep": ["Pat", "Quin", "Rae", "Sol", "Tam"],
        "squad": ["One"] * 5,
        "value": [5.0, 4.0, 4.0, 2.0, 1.0],
    }
)


@pytest.mark.parametrize(
    "viewer, naming, n, reps, ids",
    [
        ("s", "named", 2, ["Pat", "Quin", "Rae", "Sol", "Tam"], ["p", "q", "r", "s", "t"]),
        ("s", "anonymous", 2, ["#1", "#2", "#2", "Sol (you)", "#5"], [None, None, None, "s", None]),
        ("s", "hide_bottom", 2, ["Pat", "Quin", "Rae", "Sol"], ["p", "q", "r", "s"]),
        ("p", "hide_bottom", 2, ["Pat", "Quin", "Rae"], ["p", "q", "r"]),
        ("p", "hide_bottom", 3, ["Pat", "Quin", "Rae"], ["p", "q", "r"]),  # a tie at the cut
        ("p", "hide_bottom", 0, ["Pat", "Quin", "Rae", "Sol", "Tam"], ["p", "q", "r", "s", "t"]),
    ],
)
def test_board_naming(viewer, naming, n, reps, ids):
    shown = contribution.present_board(BOARD, viewer, naming, n)
    assert shown["rep"].to_list() == reps
    assert shown["rep_id"].to_list() == ids


def test_the_demo_has_a_rep_low_on_revenue_and_high_on_contribution(demo_file):
    con = db.connect(demo_file, read_only=True)
    try:
        credited = db.run(con, "leaderboard", **Q4, metric="credited")
        score = db.run(con, "leaderboard", **Q4, metric="contribution")
    finally:
        con.close()
    ana_credited = credited.filter(pl.col("rep_id") == "ana.souza")["rank"][0]
    ana_score = score.filter(pl.col("rep_id") == "ana.souza")["rank"][0]
    assert ana_credited > credited.height / 2
    assert ana_score <= 3


# The page, in the app -----------------------------------------------------------------------


def page_source(at) -> str:
    """Every element of the page body as Streamlit sends it (tables and charts included)."""
    parts = []

    def walk(node):
        if getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return "\n".join(parts)


def download_text(blobs) -> str:
    out = []
    for blob in blobs:
        if blob[:2] == b"PK":  # xlsx: the strings live in the zipped XML
            with zipfile.ZipFile(io.BytesIO(blob)) as z:
                out.extend(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            out.append(blob.decode("utf-8-sig"))
    return "\n".join(out)


@pytest.fixture
def downloads(monkeypatch):
    blobs = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes):
            blobs.append(path_or_data)
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return blobs


def boards_as(app_env, viewer_id, naming, downloads, hide=3):
    con = db.connect(app_env)
    plan.save(con, plan.Plan(board_naming=naming, hide_bottom_n=hide), ADMIN)
    roster = db.run(con, "roster", as_of=TODAY).filter(pl.col("squad_id").is_not_null())
    con.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = viewer_id
    at.run()
    at.switch_page("pages/leaderboards.py").run()
    seen = {}
    for metric in contribution.BOARDS:
        downloads.clear()
        at.radio(key="lb_metric").set_value(metric).run()
        assert not at.exception
        seen[metric] = (page_source(at), download_text(downloads), at.dataframe[0].value)
    return seen, roster


def test_an_anonymous_board_shows_no_other_name_on_screen_in_downloads_or_source(
    app_env, downloads
):
    seen, roster = boards_as(app_env, "tom.becker", "anonymous", downloads)
    others = roster.filter(pl.col("rep_id") != "tom.becker")
    for metric, (source, files, table) in seen.items():
        assert "Tom Becker (you)" in source, metric
        assert files and "Tom Becker (you)" in files, metric
        for name, rep_id in others.select("rep", "rep_id").rows():
            assert name not in source and rep_id not in source, (metric, name)
            assert name not in files and rep_id not in files, (metric, name)
        assert table["rep"].str.startswith("#").sum() == len(table) - 1


def test_the_same_check_sees_names_on_a_named_board(app_env, downloads):
    seen, _ = boards_as(app_env, "tom.becker", "named", downloads)
    source, files, _ = seen["contribution"]
    assert "Ana Souza" in source and "Ana Souza" in files  # the leak check above can fail


def test_the_bottom_places_are_hidden_but_you_see_where_you_stand(app_env, downloads):
    seen, _ = boards_as(app_env, "tom.becker", "hide_bottom", downloads, hide=3)
    from squadboard import ui  # the app's own connection to the file

    full = {m: ui.run("leaderboard", **Q4, metric=m) for m in contribution.BOARDS}
    for metric, (source, _, table) in seen.items():
        everyone = full[metric]
        bottom = everyone.filter(
            (pl.col("rank") > everyone.height - 3) & (pl.col("rep_id") != "tom.becker")
        )
        assert not set(bottom["rep"]) & set(table["rep"]), metric
        assert not any(name in source for name in bottom["rep"]), metric
        assert "Tom Becker" in set(table["rep"]), metric  # your own row, even at the bottom
        assert len(table) >= everyone.height - 3
    tom_at_the_bottom = [
        m
        for m, b in full.items()
        if b.filter(pl.col("rep_id") == "tom.becker")["rank"][0] > b.height - 3
    ]
    assert tom_at_the_bottom  # so the "your own row" case above was exercised
    credited = full["credited"]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = "tom.becker"
    at.run()
    at.switch_page("pages/leaderboards.py").run()
    standing = at.dataframe[-1].value.set_index("board")
    assert len(standing) == len(contribution.BOARDS)  # Tom is on every board
    tom = credited.filter(pl.col("rep_id") == "tom.becker")["rank"][0]
    assert standing.loc["Credited revenue", "rank"] == tom
    assert standing.loc["Credited revenue", "of"] == credited.height


def test_the_command_line_names_a_bad_metric_without_a_traceback(demo_copy, capsys):
    from squadboard.cli import main

    args = ["query", "leaderboard", "--db", str(demo_copy)]
    args += ["--param", "period_start=2026-10-01", "--param", "period_end=2027-01-01"]
    assert main([*args, "--param", "metric=nope"]) == 2
    assert "metric must be one of credited" in capsys.readouterr().err
    assert main([*args, "--param", "metric=assists"]) == 0
    assert capsys.readouterr().out.startswith("rank,rep_id,rep,squad,value")


@given(
    values=st.lists(st.integers(0, 5), min_size=1, max_size=12),
    viewer=st.integers(0, 11),
    naming=st.sampled_from(["anonymous", "hide_bottom", "named"]),
    hide=st.integers(0, 6),
)
def test_board_naming_never_shows_a_hidden_name_and_always_shows_you(values, viewer, naming, hide):
    people = [f"Person {chr(65 + i)}{chr(65 + i)}" for i in range(len(values))]
    frame = pl.DataFrame(
        {
            "rep_id": [f"id{i}" for i in range(len(values))],
            "rep": people,
            "squad": ["One"] * len(values),
            "value": [float(v) for v in values],
        }
    ).with_columns(rank=pl.col("value").rank("min", descending=True).cast(pl.Int32))
    me = f"id{viewer}" if viewer < len(values) else "outsider"
    shown = contribution.present_board(frame, me, naming, hide)
    text = str(shown.to_dicts())
    for i, name in enumerate(people):
        if f"id{i}" == me:
            assert name in text  # you always see yourself
        elif naming == "anonymous":
            assert name not in text and f"'id{i}'" not in text
        elif naming == "hide_bottom" and frame["rank"][i] > len(values) - hide:
            assert name not in text
        else:
            assert name in text
    assert shown["rank"].to_list() == sorted(shown["rank"].to_list())
