"""Kudos: the rules (no self-kudos, daily limit, double clicks), the monthly most recognised,
and the page: giving kudos shows up in the feed as plain text and on the kudos board."""

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import db, kudos
from squadboard.contribution import ContributionError
from squadboard.plan import Plan
from tests.conftest import ADMIN, TODAY
from tests.contribution_org import NOW, Q4, build
from tests.contribution_org import kudos as insert_kudos

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def org(con):
    build(con)
    return con


def give(con, actor="a1", to="se1", category="mentoring", message="thanks!", deal=None, **kw):
    plan = kw.pop("plan", Plan())
    return kudos.give_kudos(con, actor, to, category, message, deal, plan, kw.pop("now", NOW))


def count(con):
    return con.execute("select count(*) from kudos").fetchone()[0]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"to": "a1"}, "not to yourself"),
        ({"category": "bribery"}, "category must be one of"),
        ({"message": "  "}, "write a short message"),
        ({"message": "x" * 501}, "under 500 characters"),
        ({"to": "ghost"}, "not an active person"),
        ({"deal": "nope"}, "there is no deal"),
    ],
)
def test_bad_kudos_are_refused_and_write_nothing(org, args, message):
    with pytest.raises(ContributionError, match=message):
        give(org, **args)
    assert count(org) == 0
    assert org.execute("select count(*) from audit_log").fetchone()[0] == 0


def test_kudos_to_a_teammate_on_a_deal_are_stored_as_typed_and_audited(org):
    kudos_id = give(org, message="<b>Great</b> **call** on [d1](javascript:x)", deal="d1")
    row = org.execute("select to_rep, deal_id, message from kudos").fetchone()
    assert row == ("se1", "d1", "<b>Great</b> **call** on [d1](javascript:x)")
    audit = org.execute("select action, entity_id from audit_log").fetchall()
    assert audit == [("give_kudos", kudos_id)]


def test_the_daily_limit_counts_the_givers_kudos_of_that_day(org):
    plan = Plan(kudos_daily_limit=2)
    give(org, to="se1", message="one", plan=plan)
    give(org, to="a2", message="two", plan=plan)
    with pytest.raises(ContributionError, match="daily limit"):
        give(org, to="b1", message="three", plan=plan)
    give(org, actor="a2", to="b1", message="someone else's first", plan=plan)
    give(org, to="b1", message="next day", plan=plan, now=NOW + timedelta(days=1))
    assert count(org) == 4


def test_a_double_click_gives_kudos_once(org):
    give(org)
    with pytest.raises(ContributionError, match="you just gave these kudos"):
        give(org, now=NOW + timedelta(seconds=2))
    give(org, now=NOW + timedelta(minutes=11))  # the same words later are new kudos
    assert count(org) == 2


def test_the_categories_of_the_rules_and_the_query_agree(org):
    categories = db.run(org, "rep_kudos_by_category", rep_id="a1", **Q4)["category"]
    assert sorted(categories) == sorted(kudos.CATEGORIES)


def test_most_recognised_ranks_the_month_with_ties(org):
    insert_kudos(org, "a1", "se1", None, "2026-11-03 10:00", n=2)
    insert_kudos(org, "b1", "a2", None, "2026-11-04 10:00", n=2)
    insert_kudos(org, "se1", "a1", None, "2026-11-05 10:00")
    insert_kudos(org, "a2", "a1", None, "2026-10-31 10:00", n=5)  # October
    top = db.run(org, "most_recognised", period_start="2026-11-01", period_end="2026-12-01")
    assert top.select("rank", "rep_id", "kudos").rows() == [
        (1, "a2", 2),
        (1, "se1", 2),
        (3, "a1", 1),
    ]


def test_giving_kudos_on_the_page_reaches_the_feed_as_plain_text_and_the_board(app_env):
    from squadboard import ui

    def kudos_of(rep_id):
        board = ui.run("leaderboard", **Q4, metric="kudos")
        return board.filter(pl.col("rep_id") == rep_id)["value"][0]

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = "tom.becker"
    at.run()
    at.switch_page("pages/kudos.py").run()
    assert not at.exception
    assert "tom.becker" not in at.selectbox(key="kudos_to").options  # no kudos to yourself
    before = kudos_of("ana.souza")
    message = "<script>alert(1)</script> **Ana** rescued the <i>pricing</i>"
    at.selectbox(key="kudos_to").set_value("ana.souza")
    at.selectbox(key="kudos_category").set_value("helped close")
    at.text_area(key="kudos_message").input(message)
    at.button(key="give_kudos").click().run()
    assert not at.exception
    assert any("Kudos sent to Ana Souza" in s.value for s in at.success)
    assert at.text_area(key="kudos_message").value == ""  # cleared: a second click is empty
    feed = at.dataframe[-1].value
    ours = feed[feed["message"] == message]  # the text exactly as typed
    assert list(ours["to_name"]) == ["Ana Souza"] and list(ours["from_name"]) == ["Tom Becker"]
    assert all(message not in m.value for m in at.markdown)  # never rendered as markup
    assert kudos_of("ana.souza") == before + 1

    at.button(key="give_kudos").click().run()  # the cleared form: refused, nothing written
    assert any("write a short message" in e.value for e in at.error)
    assert kudos_of("ana.souza") == before + 1


def test_the_page_stops_at_the_daily_limit(app_env):
    con = db.connect(app_env)
    from squadboard import plan

    plan.save(con, Plan(kudos_daily_limit=1), ADMIN)
    at_time = datetime.combine(TODAY, datetime.min.time()).replace(hour=1)
    kudos.give_kudos(con, "tom.becker", "ana.souza", "mentoring", "earlier", None, Plan(), at_time)
    con.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["viewer_id"] = "tom.becker"
    at.run()
    at.switch_page("pages/kudos.py").run()
    assert any("give 0 more today" in c.value for c in at.caption)
    at.text_area(key="kudos_message").input("one more")
    at.button(key="give_kudos").click().run()
    assert any("daily limit" in e.value for e in at.error)
