"""Find a mentor and Mentoring in the app (AppTest on a private copy of the demo): ask,
accept, decline, withdraw, done and thank with one click each, and a rep cannot read another
rep's weaknesses on the page, in a download or in the chart's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import db, mentoring
from tests.conftest import TODAY
from tests.test_leaderboard import download_text, downloads, page_source  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def page(viewer_id: str, path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["viewer_id"] = viewer_id
    at.run()
    at.switch_page(path).run()
    assert not at.exception
    return at


def requests(path) -> pl.DataFrame:
    con = db.connect(path)
    try:
        return con.sql("select * from help_requests order by asked_at").pl()
    finally:
        con.close()


def texts(at, kind) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def test_ask_twice_accept_done_and_thank_with_one_click_each(app_env):
    at = page("tom.becker", "pages/mentor.py")
    # Tom already asked Aisha about Beacon Sync (the demo): the page says so, no button
    assert not [b for b in at.button if b.key == "ask_product_Beacon Sync_aisha.bello"]
    assert any("Asked · accepted" in c.value for c in at.caption)
    asks = [b for b in at.button if b.key.startswith("ask_stage_")]
    assert asks, "Tom's weakest stage cell has a mentor to ask"
    key = asks[0].key
    mentor_id = key.rsplit("_", 1)[1]
    at.text_area(key="mentor_message").input("Could we go through **one** demo?")
    con = db.connect(app_env)
    deal_id = db.run(con, "rep_open_deals", rep_id="tom.becker")["deal_id"][0]
    con.close()
    at.selectbox(key="mentor_deal").set_value(deal_id)
    at.button(key=key).click().run()
    assert any("Asked" in s and "Stage reached: Prospecting" in s for s in texts(at, "success"))
    # asked: the button is gone, and a late second click (a stale page) is refused
    assert not [b for b in at.button if b.key == key]
    assert any(c.value == "Asked · open" for c in at.caption)
    con = db.connect(app_env)
    with pytest.raises(mentoring.MentoringError, match="already asked"):
        mentoring.ask(
            con, "tom.becker", mentor_id, mentoring.cell("stage", "Prospecting"), "", None,
            mentoring_now(),
        )  # fmt: skip
    con.close()
    mine = requests(app_env).filter(
        (pl.col("asker_id") == "tom.becker") & (pl.col("mentor_id") == mentor_id)
        & (pl.col("status") == "open")
    )  # fmt: skip
    assert mine.height == 1 and mine["message"][0] == "Could we go through **one** demo?"
    assert mine["deal_id"][0] == deal_id
    rid = mine["request_id"][0]

    mentor = page(mentor_id, "pages/mentoring.py")
    assert any(t.value == "Could we go through **one** demo?" for t in mentor.text)  # as typed
    mentor.text_input(key=f"note_{rid}").input("Thursday at 10")
    mentor.button(key=f"accept_{rid}").click().run()
    assert any("now mentoring Tom Becker" in s for s in texts(mentor, "success"))
    mentor.button(key=f"done_{rid}").click().run()
    row = requests(app_env).filter(pl.col("request_id") == rid).row(0, named=True)
    assert (row["status"], row["note"], row["done_by"]) == ("done", "Thursday at 10", mentor_id)

    tom = page("tom.becker", "pages/mentoring.py")
    tom.button(key=f"thank_{rid}").click().run()
    assert any("kudos sent to" in s for s in texts(tom, "success")), texts(tom, "error")
    assert not [b for b in tom.button if b.key == f"thank_{rid}"]  # once
    con = db.connect(app_env)
    thanks = con.sql(
        "select to_rep, category from kudos where from_rep = 'tom.becker' "
        "and message like 'Thank you for mentoring me on%'"
    ).fetchall()
    actions = [r[0] for r in con.sql(
        "select action from audit_log where entity = 'help_request' and entity_id = ? "
        "order by audit_id", params=[rid]
    ).fetchall()]  # fmt: skip
    con.close()
    assert thanks == [(mentor_id, "mentoring")]
    assert actions == ["ask_for_help", "accept_request", "done_request", "thank_mentor"]


def test_decline_with_a_note_and_withdraw_on_the_page(app_env):
    con = db.connect(app_env)
    rid = mentoring.ask(
        con, "tom.becker", "diego.alvarez", mentoring.free("Discovery"), "", None,
        mentoring_now(),
    )  # fmt: skip
    con.close()
    diego = page("diego.alvarez", "pages/mentoring.py")
    diego.text_input(key=f"note_{rid}").input("Ask Owen, he has more room")
    diego.button(key=f"decline_{rid}").click().run()
    assert any(s.startswith("Declined") for s in texts(diego, "success"))

    tom = page("tom.becker", "pages/mentoring.py")
    assert not [b for b in tom.button if b.key == f"withdraw_{rid}"]  # declined: nothing to do
    tom.button(key="withdraw_help:demo01").click().run()  # the demo's open request to Owen
    assert any(s.startswith("Withdrawn") for s in texts(tom, "success"))
    rows = requests(app_env).filter(pl.col("request_id").is_in([rid, "help:demo01"]))
    assert dict(rows.select("request_id", "status").rows()) == {
        rid: "declined",
        "help:demo01": "withdrawn",
    }
    assert rows.filter(pl.col("request_id") == rid)["note"][0] == "Ask Owen, he has more room"


def mentoring_now():
    from datetime import datetime

    return datetime.combine(TODAY, datetime.min.time()).replace(hour=11)


def test_asking_someone_at_their_limit_on_the_page_says_so_and_writes_nothing(app_env):
    con = db.connect(app_env)
    mentoring.save_settings(
        con, "kenji.sato", "kenji.sato", mentoring.Settings(mentee_limit=0), mentoring_now()
    )
    con.close()
    at = page("tom.becker", "pages/mentor.py")
    at.selectbox(key="mentor_rep").set_value("kenji.sato").run()
    at.text_input(key="mentor_free_topic").input("Renewals")
    before = requests(app_env).height
    at.button(key="ask_free").click().run()
    assert any("Kenji Sato already mentors 0 people, their limit" in e for e in texts(at, "error"))
    assert requests(app_env).height == before


def seen_by(viewer_id: str, rep_id: str, downloads) -> tuple[str, str, dict]:  # noqa: F811
    at = page(viewer_id, "pages/mentor.py")
    downloads.clear()
    at.selectbox(key="mentor_rep").set_value(rep_id).run()
    assert not at.exception
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return page_source(at), download_text(downloads), charts


def weak_cells(app_env) -> list[str]:
    from squadboard import skills, ui
    from squadboard.auth import Viewer

    span = dict(zip(("period_start", "period_end"), skills.default_window(TODAY), strict=True))
    chloe = Viewer("chloe.martin", "Chloe Martin", "rep", "AE", "orcas", ())
    cells = skills.rep_profile(ui.run("skill_profile", **span), chloe, "chloe.martin", "orcas", 10)
    return cells.filter(pl.col("reading") == "weakness")["segment"].to_list()


def test_a_rep_cannot_read_another_reps_weaknesses(app_env, downloads):  # noqa: F811
    source, files, charts = seen_by("aisha.bello", "chloe.martin", downloads)
    weak = weak_cells(app_env)
    assert len(weak) >= 3
    assert files and "strength" in files  # the download of the strengths was made
    for text in (source, files, json.dumps(charts)):
        assert "weakness" not in text
        assert "you won" not in text and "team median 6" not in text  # no suggestion evidence
    traces = [t.get("name") for c in charts for t in c["data"]]
    assert "weakness" not in traces
    labels = {y for c in charts for t in c["data"] for y in t.get("y", [])}
    assert not any(label.endswith(f"· {segment}") for segment in weak for label in labels)


@pytest.mark.parametrize("viewer_id", ["chloe.martin", "rafael.costa"])
def test_the_rep_and_their_leader_do_see_them(app_env, downloads, viewer_id):  # noqa: F811
    source, files, charts = seen_by(viewer_id, "chloe.martin", downloads)
    for text in (source, files, json.dumps(charts)):
        assert "weakness" in text  # the check above can fail
    assert "team median" in source
    if viewer_id == "rafael.costa":  # the leader reads the rep's name where the rep reads "you"
        assert "; Chloe Martin won " in source and "you won" not in source
    else:
        assert "; you won " in source
