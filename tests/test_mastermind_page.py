"""The Masterminds page through AppTest on a private copy of the demo (issue #15's "Done when"):
Tom opens a Mastermind on one of his deals with two helpers, both accept, they write notes, a
step is done and one is overdue, Tom closes it as won with thanks; the helpers' profiles and
the assists board show it; a rep who is not a participant cannot write."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import db, facts
from squadboard import mastermind as mm
from squadboard.contribution import stamp
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
Q4 = {"period_start": "2026-10-01", "period_end": "2027-01-01"}


def as_viewer(rep_id: str, room_id: str | None = None) -> AppTest:
    """A new browser session of rep_id on the Masterminds page, on room_id when given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["viewer_id"] = rep_id
    at.run()
    at.switch_page("pages/masterminds.py").run()
    if room_id is not None:
        at.selectbox(key="mm_room").set_value(room_id).run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    return at


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    return at


def messages(at: AppTest) -> list[str]:
    return [m.value for m in (*at.success, *at.error)]


def hannahs_assists() -> int:
    """Hannah's value on the assists board of the quarter, as the named query has it."""
    board = db.run(ui_con(os.environ["SQUADBOARD_DB"]), "leaderboard", **Q4, metric="assists")
    return int(board.filter(pl.col("rep_id") == "hannah.kim")["value"][0])


def toms_quiet_deal(path) -> str:
    con = ui_con(path).cursor()
    try:
        return con.execute(
            "select deal_id from deals where owner_id = 'tom.becker' and status = 'open' "
            "and deal_id not in (select deal_id from masterminds where deal_id is not null) "
            "order by amount limit 1"
        ).fetchone()[0]
    finally:
        con.close()


def test_a_mastermind_from_opening_to_thanks(app_env):
    deal_id = toms_quiet_deal(app_env)
    assists_before = hannahs_assists()
    at = as_viewer("tom.becker")

    # Open it with two helpers.
    at.toggle(key="mm_opening").set_value(True).run()
    at.radio(key="mm_kind").set_value("deal").run()
    at.selectbox(key="mm_deal").set_value(deal_id).run()
    at.text_input(key="mm_title").input("Unstick the *legal* review").run()
    at.text_input(key="mm_goal").input("Signed order").run()
    at.date_input(key="mm_target").set_value(date(2026, 12, 18)).run()
    at.text_area(key="mm_why").input("Pushed twice").run()
    at.multiselect(key="mm_helpers").set_value(["diego.alvarez", "hannah.kim"]).run()
    click(at, "mm_open")
    assert "Mastermind opened" in messages(at)[0]
    assert at.subheader[1].value == mm_plain("Unstick the *legal* review")
    room_id = at.selectbox(key="mm_room").value

    # Both accept; each writes a note.
    for helper, note in (("diego.alvarez", "Ask for the redlines today"), ("hannah.kim", "x")):
        at = as_viewer(helper)
        assert at.selectbox(key="mm_room").value == room_id  # their invitation comes first
        click(at, "mm_accept")
        at.text_area(key="mm_note").input(note).run()
        click(at, "mm_post")
    # A repeated post is the same click twice: one note.
    at.text_area(key="mm_note").input("x").run()
    click(at, "mm_post")

    # Tom adds a step Hannah finishes and one for Diego that is overdue.
    at = as_viewer("tom.becker", room_id)
    for title, owner, due in (
        ("Send the redlines", "hannah.kim", date(2026, 11, 30)),
        ("Call their counsel", "diego.alvarez", date(2026, 11, 20)),
    ):
        at.text_input(key="mm_step_title").input(title).run()
        at.selectbox(key="mm_step_owner").set_value(owner).run()
        at.date_input(key="mm_step_due").set_value(due).run()
        click(at, "mm_add_step")
    at = as_viewer("hannah.kim", room_id)
    con = ui_con(app_env).cursor()
    redlines = con.execute(
        "select step_id from mastermind_steps where title = 'Send the redlines'"
    ).fetchone()[0]
    con.close()
    at.selectbox(key="mm_step").set_value(redlines).run()
    at.selectbox(key="mm_step_status").set_value("done").run()
    click(at, "mm_update_step")
    at = as_viewer("tom.becker", room_id)
    shown = table_with(at, "due_date")  # the steps
    assert "to do · overdue" in set(shown["status"]) and "done" in set(shown["status"])
    listed = table_with(at, "next_step")  # the active Masterminds
    row = listed[listed["title"] == "Unstick the *legal* review"].iloc[0]
    assert row["helpers"] == "Diego Alvarez, Hannah Kim" and row["steps"] == "1 open, 1 overdue"

    # The deal is won (the CRM import says so); Tom closes as won and thanks both.
    con = ui_con(app_env).cursor()
    con.execute(
        "update deals set status = 'won', stage = 'Closed Won', close_date = ? where deal_id = ?",
        [TODAY, deal_id],
    )
    facts.refresh_deal(con, deal_id)
    db.audit(con.cursor(), "test", "import", "deals", deal_id)  # a new data version
    con.close()
    at = as_viewer("tom.becker", room_id)
    at.selectbox(key="mm_outcome").set_value("won").run()
    at.text_area(key="mm_retro").input("Diego's call with counsel").run()
    assert sorted(at.multiselect(key=f"mm_thank_{room_id}").value) == [
        "diego.alvarez",
        "hannah.kim",
    ]
    click(at, "mm_close")
    assert "Closed" in messages(at)[0]

    con = ui_con(app_env).cursor()
    try:
        thanks = con.execute(
            "select to_rep from kudos where from_rep = 'tom.becker' and deal_id = ? order by 1",
            [deal_id],
        ).fetchall()
        assert thanks == [("diego.alvarez",), ("hannah.kim",)]
        assert (
            con.execute(
                "select count(*) from mastermind_notes where mastermind_id = ?", [room_id]
            ).fetchone()[0]
            == 2
        )
        helpers = con.execute(
            "select rep_id from deal_helpers where deal_id = ? order by 1", [deal_id]
        ).fetchall()
        assert ("diego.alvarez",) in helpers and ("hannah.kim",) in helpers
    finally:
        con.close()

    # The assists board and Hannah's profile show it.
    at.switch_page("pages/leaderboards.py").run()
    at.radio(key="lb_metric").set_value("assists").run()
    assert not at.exception
    board = table_with(at, "value")
    assert board[board["rep"] == "Hannah Kim"]["value"].iloc[0] == assists_before + 1
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["viewer_id"] = "hannah.kim"
    at.run()
    at.switch_page("pages/profile.py").run()
    assert not at.exception
    profile = table_with(at, "counted")
    mine = profile[profile["title"] == "Unstick the *legal* review"].iloc[0]
    assert (mine["role"], mine["outcome"], mine["steps_done"], bool(mine["counted"])) == (
        "helper",
        "won",
        1,
        True,
    )


def ui_con(path):
    from squadboard import ui

    return ui._root(str(path))


def mm_plain(text: str) -> str:
    from squadboard import ui

    return ui.plain(text)


def test_a_rep_who_is_not_a_participant_cannot_write(app_env):
    rooms = db.run(ui_con(app_env), "masterminds", status="open")
    room_id = rooms.filter(pl.col("owner") == "Tom Becker")["mastermind_id"][0]
    at = as_viewer("owen.price", room_id)
    # The page offers Owen no way to write, invite, answer or close...
    keys = {b.key for b in at.button}
    assert not keys & {"mm_post", "mm_add_step", "mm_close", "mm_invite", "mm_accept"}
    assert any("Only the owner and the helpers who accepted" in c.value for c in at.caption)
    # ...and the rules refuse the direct calls a crafted request would make.
    con = ui_con(app_env).cursor()
    try:
        now = stamp(TODAY)
        before = con.execute("select count(*) from audit_log").fetchone()[0]
        for call in (
            lambda: mm.write_note(con, "owen.price", room_id, "let me in", now),
            lambda: mm.invite(con, "owen.price", room_id, ["owen.price"], now),
            lambda: mm.respond(con, "owen.price", room_id, "accept", now),
            lambda: mm.close(con, "owen.price", room_id, "won", "x", now, mm.Plan()),
        ):
            with pytest.raises(mm.MastermindError):
                call()
        assert con.execute("select count(*) from audit_log").fetchone()[0] == before
    finally:
        con.close()


def test_the_meeting_link_prefills_the_form_and_a_bad_one_is_plain_text(app_env):
    deal_id = toms_quiet_deal(app_env)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["viewer_id"] = "tom.becker"
    at.query_params["deal"] = deal_id
    at.query_params["why"] = "Overdue; pushed out 2 times"
    at.run()
    at.switch_page("pages/masterminds.py").run()
    assert not at.exception
    assert at.selectbox(key="mm_deal").value == deal_id
    assert at.text_area(key="mm_why").value == "Overdue; pushed out 2 times"

    bad = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    bad.session_state["viewer_id"] = "tom.becker"
    bad.query_params["deal"] = "[click](https://evil.example)"
    bad.run()
    bad.switch_page("pages/masterminds.py").run()
    assert not bad.exception
    warning = next(w.value for w in bad.warning if "is not an open deal" in w.value)
    assert "\\[click\\]" in warning  # escaped: shown as typed, not a link


def test_a_leader_sees_the_demo_masterminds(app_env):
    rooms = db.run(ui_con(app_env), "masterminds", status="open")
    at = as_viewer(
        "rafael.costa", rooms.filter(pl.col("owner") == "Tom Becker")["mastermind_id"][0]
    )
    assert at.subheader[0].value.startswith("Active Masterminds (3)")
    assert {b.key for b in at.button} >= {"mm_invite", "mm_close"}  # Tom's leader manages it
