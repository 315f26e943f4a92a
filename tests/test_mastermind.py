"""Masterminds (issue #15): the rules in squadboard/mastermind.py called directly, on the small
hand-made organisation of tests/contribution_org.py (a1 owns the open deal d4 in squad One,
led by m1; a2 and se1 are a1's squad mates; b1 is in squad Two, led by m2; vp is the admin).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from squadboard import claims, db, facts
from squadboard import mastermind as mm
from squadboard import mastermind_views as views
from squadboard.plan import Plan
from tests import contribution_org as org_data
from tests.conftest import ADMIN
from tests.contribution_org import NOW, Q4

PLAN = Plan()
COLUMNS = [
    "mastermind_id",
    "title",
    "deal_id",
    "account",
    "owner_id",
    "owner",
    "goal",
    "target_date",
    "status",
    "outcome",
    "helpers",
    "open_steps",
    "overdue_steps",
    "opened_at",
    "closed_at",
]


@pytest.fixture
def org(con):
    org_data.build(con)
    con.execute("update deals set account = 'Acme Corp', product = 'Widget' where deal_id = 'd4'")
    return con


def audit_count(con) -> int:
    return con.execute("select count(*) from audit_log").fetchone()[0]


def open_room(con, actor="a1", helpers=("a2", "se1"), **kw) -> str:
    args = {
        "title": "Win Acme back",
        "goal": "Signed order",
        "target_date": date(2026, 12, 15),
        "why": "Stalled in legal for 3 weeks",
        "deal_id": "d4",
        "helpers": list(helpers),
        "now": NOW,
    } | kw
    return mm.open_mastermind(con, actor, **args)


def test_the_whole_life_of_a_mastermind(org):
    room = open_room(org)
    assert mm.respond(org, "a2", room, "accept", NOW) == "accepted"
    assert mm.respond(org, "se1", room, "accept", NOW) == "accepted"
    mm.write_note(org, "a2", room, "Their CFO *hates* annual terms: offer [quarterly](x)", NOW)
    mm.write_note(org, "a1", room, "Go with quarterly billing", NOW, kind="decision")
    done = mm.add_step(org, "a1", room, "Send the security pack", "se1", date(2026, 11, 25), NOW)
    late = mm.add_step(org, "se1", room, "Book the CFO call", "a2", date(2026, 11, 10), NOW)
    assert mm.set_step_status(org, "se1", done, "done", NOW) == "done"

    rows = db.run(org, "masterminds", status="open")
    assert rows.columns == COLUMNS
    row = rows.row(0, named=True)
    assert (row["helpers"], row["open_steps"], row["overdue_steps"]) == (
        "Arun Baker, Sean Engel",
        1,
        1,
    )
    steps = db.run(org, "mastermind_room_steps", mastermind_id=room, as_of=date(2026, 11, 23))
    assert dict(zip(steps["step_id"], steps["overdue"], strict=True)) == {late: True, done: False}
    notes = db.run(org, "mastermind_room_notes", mastermind_id=room)
    assert notes["body"][0] == "Their CFO *hates* annual terms: offer [quarterly](x)"  # as typed
    assert notes["kind"].to_list() == ["note", "decision"]

    # The deal is won (an import would say so); the room closes as won with thanks to both.
    org.execute("update deals set status = 'won', close_date = '2026-11-20' where deal_id = 'd4'")
    facts.refresh(org)
    kudos = mm.close(org, "a1", room, "won", "The quarterly offer did it", NOW, PLAN, ["a2", "se1"])
    assert len(kudos) == 2
    given = org.execute(
        "select to_rep, deal_id, category from kudos where from_rep = 'a1' order by to_rep"
    ).fetchall()
    assert given == [("a2", "d4", "helped close"), ("se1", "d4", "helped close")]
    closed = db.run(org, "masterminds", status="closed").row(0, named=True)
    assert (closed["status"], closed["outcome"]) == ("closed", "won")
    assert db.run(org, "masterminds", status="open").is_empty()

    # Both helpers did something (a note, a finished step): both are assists on the won deal.
    assists = db.run(org, "leaderboard", **Q4, metric="assists")
    values = dict(zip(assists["rep_id"], assists["value"], strict=True))
    assert values["se1"] == 1  # only through the Mastermind: no split, overlay or activity on d4
    helped = db.run(org, "leaderboard", **Q4, metric="mastermind")
    values = dict(zip(helped["rep_id"], helped["value"], strict=True))
    assert (values["a2"], values["se1"], values["a1"]) == (1, 1, 0)
    helped_on = db.run(org, "rep_deals_helped", rep_id="se1", **Q4)
    assert helped_on.filter(deal_id="d4")["mastermind"].to_list() == [True]
    profile = db.run(org, "mastermind_participation", rep_id="se1", **Q4).row(0, named=True)
    assert (profile["role"], profile["steps_done"], profile["counted"], profile["outcome"]) == (
        "helper",
        1,
        True,
        "won",
    )
    actions = [
        r[0] for r in org.execute("select action from audit_log order by audit_id").fetchall()
    ]
    assert actions.count("invite_helper") == 2 and actions.count("give_kudos") == 2
    assert {"open_mastermind", "answer_invite", "write_note", "write_decision", "add_step"} <= set(
        actions
    )
    assert {"update_step", "close_mastermind"} <= set(actions)


def test_an_invited_helper_who_did_nothing_is_no_assist(org):
    room = open_room(org)
    mm.respond(org, "a2", room, "accept", NOW)  # accepted, but wrote nothing
    mm.respond(org, "se1", room, "decline", NOW)
    org.execute("update deals set status = 'won', close_date = '2026-11-20' where deal_id = 'd4'")
    facts.refresh(org)
    assists = db.run(org, "leaderboard", **Q4, metric="assists")
    assert dict(zip(assists["rep_id"], assists["value"], strict=True))["se1"] == 0


def test_a_note_refreshes_the_assists_of_a_won_deal_at_once(org):
    org.execute("update deals set status = 'won', close_date = '2026-11-20' where deal_id = 'd4'")
    facts.refresh(org)
    org.execute("update deals set status = 'open' where deal_id = 'd4'")
    room = open_room(org, helpers=["se1"])
    org.execute("update deals set status = 'won' where deal_id = 'd4'")  # won meanwhile
    facts.refresh(org)
    mm.respond(org, "se1", room, "accept", NOW)
    before = org.execute("select count(*) from deal_helpers where rep_id = 'se1'").fetchone()[0]
    mm.write_note(org, "se1", room, "Try the CFO", NOW)
    after = org.execute("select count(*) from deal_helpers where rep_id = 'se1'").fetchone()[0]
    assert (before, after) == (0, 1)


@pytest.mark.parametrize("actor", ["b1", "a2", "se1"])
def test_someone_who_is_not_a_participant_cannot_write(org, actor):
    room = open_room(org, helpers=["a2"] if actor != "a2" else [])
    if actor == "se1":
        mm.invite(org, "a1", room, ["se1"], NOW)  # invited but has not accepted
    step = mm.add_step(org, "a1", room, "Call legal", "a1", date(2026, 12, 1), NOW)
    before = audit_count(org)
    with pytest.raises(mm.MastermindError, match="accept|only the owner"):
        mm.write_note(org, actor, room, "let me in", NOW)
    with pytest.raises(mm.MastermindError, match="accept|only the owner"):
        mm.add_step(org, actor, room, "my step", actor, date(2026, 12, 1), NOW)
    with pytest.raises(mm.MastermindError, match="accept|only the owner"):
        mm.set_step_status(org, actor, step, "done", NOW)
    assert audit_count(org) == before
    assert org.execute("select count(*) from mastermind_notes").fetchone()[0] == 0


def test_a_rep_cannot_invite_themselves_by_editing_a_request(org):
    room = open_room(org, helpers=["a2"])
    before = audit_count(org)
    with pytest.raises(mm.MastermindError, match="invite"):
        mm.invite(org, "b1", room, ["b1"], NOW)  # not the owner, their leader or an admin
    with pytest.raises(mm.MastermindError, match="invite"):
        mm.invite(org, "a2", room, ["a2"], NOW)  # a helper is no inviter either
    with pytest.raises(mm.MastermindError, match="no invitation"):
        mm.respond(org, "b1", room, "accept", NOW)  # answering an invitation nobody sent
    with pytest.raises(mm.MastermindError, match="yourself"):
        mm.invite(org, "m1", room, ["m1"], NOW)  # even the leader does not invite themself
    assert audit_count(org) == before
    assert mm.helper_status(org.cursor(), room, "b1") is None
    # Opening a room for someone else's deal to sit in it is refused too.
    org.execute("update masterminds set status = 'closed', outcome = 'lost', closed_at = ?", [NOW])
    with pytest.raises(mm.MastermindError, match="only the owner, their leader or an admin"):
        open_room(org, actor="b1", helpers=["b1"])


@pytest.mark.parametrize(
    "actor, allowed", [("a1", True), ("m1", True), ("vp", True), ("a2", False), ("m2", False)]
)
def test_only_the_owner_their_leader_or_an_admin_closes(org, actor, allowed):
    room = open_room(org, helpers=["a2"])
    mm.respond(org, "a2", room, "accept", NOW)
    if allowed:
        mm.close(org, actor, room, "slipped", "Budget moved to Q1", NOW, PLAN)
        assert db.run(org, "masterminds")["outcome"].to_list() == ["slipped"]
    else:
        with pytest.raises(mm.MastermindError, match="only the owner"):
            mm.close(org, actor, room, "lost", "x", NOW, PLAN)
        assert db.run(org, "masterminds")["status"].to_list() == ["open"]


def test_a_leader_of_the_owner_or_an_admin_may_open_one_for_them(org):
    room = open_room(org, actor="m1", helpers=["se1"])
    row = db.run(org, "mastermind_room", mastermind_id=room).row(0, named=True)
    assert (row["owner_id"], row["opened_by"]) == ("a1", "m1")
    with pytest.raises(mm.MastermindError, match="only the owner"):
        open_room(org, actor="m2", title="Other")


def test_repeated_clicks_write_nothing(org):
    room = open_room(org)
    assert open_room(org) == room  # the same open clicked twice
    mm.respond(org, "a2", room, "accept", NOW)
    note = mm.write_note(org, "a2", room, "idea", NOW)
    step = mm.add_step(org, "a2", room, "Call", "a2", date(2026, 12, 1), NOW)
    mm.set_step_status(org, "a2", step, "done", NOW)
    before = audit_count(org)
    assert mm.respond(org, "a2", room, "accept", NOW) == "accepted"
    assert mm.write_note(org, "a2", room, "idea", NOW + timedelta(seconds=2)) == note
    assert mm.add_step(org, "a2", room, "Call", "a2", date(2026, 12, 1), NOW) == step
    assert mm.set_step_status(org, "a2", step, "done", NOW) == "done"
    assert mm.invite(org, "a1", room, ["a2", "se1"], NOW) == []
    assert audit_count(org) == before
    mm.close(org, "a1", room, "won", "teamwork", NOW, PLAN, ["a2"])
    after_close = audit_count(org)
    assert mm.close(org, "a1", room, "won", "teamwork", NOW, PLAN, ["a2"]) == []
    assert audit_count(org) == after_close
    assert org.execute("select count(*) from kudos").fetchone()[0] == 1
    with pytest.raises(mm.MastermindError, match="closed"):
        mm.write_note(org, "a2", room, "late idea", NOW)


def test_one_open_mastermind_per_deal(org):
    open_room(org)
    with pytest.raises(mm.MastermindError, match="already an open Mastermind"):
        open_room(org, title="Another one")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": "  "}, "title"),
        ({"goal": ""}, "goal"),
        ({"target_date": date(2026, 11, 1)}, "past"),
        ({"title": "x" * 200}, "under 120"),
        ({"deal_id": "d1"}, "already won"),
        ({"deal_id": "nope"}, "no deal"),
        ({"helpers": ["a1"]}, "yourself"),
        ({"helpers": ["ghost"]}, "not an active person"),
    ],
)
def test_bad_input_is_a_clear_message_and_writes_nothing(org, change, message):
    before = audit_count(org)
    with pytest.raises(ValueError, match=message):  # MastermindError, or the roster's own
        open_room(org, **change)
    assert audit_count(org) == before
    assert org.execute("select count(*) from masterminds").fetchone()[0] == 0


def test_an_account_mastermind_belongs_to_a_rep_who_owns_a_deal_of_it(org):
    org.execute("update deals set account = 'Acme Corp' where deal_id in ('d1', 'd3')")
    room = open_room(org, deal_id=None, account="  acme   CORP ", helpers=["se1"])
    row = db.run(org, "mastermind_room", mastermind_id=room).row(0, named=True)
    assert (row["account"], row["deal_id"], row["owner_id"]) == ("Acme Corp", None, "a1")
    with pytest.raises(mm.MastermindError, match="owns a deal"):
        open_room(org, actor="b1", deal_id=None, account="Acme Corp", helpers=[])


def test_thanks_respect_the_daily_kudos_limit_and_go_to_accepted_helpers(org):
    room = open_room(org)
    mm.respond(org, "a2", room, "accept", NOW)
    with pytest.raises(mm.MastermindError, match="helpers who accepted"):
        mm.close(org, "a1", room, "won", "x", NOW, PLAN, ["se1"])  # invited, never accepted
    tight = Plan(kudos_daily_limit=1)
    org.execute("insert into kudos values ('k0', 'a1', 'b1', null, 'mentoring', 'hi', ?)", [NOW])
    with pytest.raises(mm.MastermindError, match="limited to 1 a day"):
        mm.close(org, "a1", room, "won", "x", NOW, tight, ["a2"])
    assert db.run(org, "masterminds")["status"].to_list() == ["open"]  # nothing half-done


def test_a_helper_claims_overlay_credit_through_the_two_person_confirmation(org):
    room = open_room(org, helpers=["se1", "a2"])
    with pytest.raises(mm.MastermindError, match="accepted"):
        mm.claim_credit(org, "se1", room, "", PLAN, NOW)
    mm.respond(org, "se1", room, "accept", NOW)
    credit = mm.claim_credit(org, "se1", room, "", PLAN, NOW)
    with pytest.raises(ValueError, match="already have a claim"):
        mm.claim_credit(org, "se1", room, "", PLAN, NOW)
    assert claims.confirm_claim(org, "a1", credit, NOW) == "half-confirmed"
    assert claims.confirm_claim(org, "m1", credit, NOW) == "confirmed"
    row = org.execute(
        "select deal_id, deal_role, percent, note from deal_credits where credit_id = ?", [credit]
    ).fetchone()
    assert row == ("d4", "helper", 5, "Helper in the Mastermind “Win Acme back”")


def test_the_week_lists_active_rooms_steps_due_and_outcomes(org):
    room = open_room(org, helpers=["a2"])
    mm.respond(org, "a2", room, "accept", NOW)
    mm.add_step(org, "a2", room, "Due this week", "a2", date(2026, 11, 26), NOW)
    mm.add_step(org, "a2", room, "Overdue", "a2", date(2026, 11, 18), NOW)
    mm.add_step(org, "a2", room, "Later", "a2", date(2026, 12, 20), NOW)
    org.execute("update deals set account = 'Beta' where deal_id = 'd3'")
    org.execute("update deals set status = 'open' where deal_id = 'd3'")
    other = open_room(org, deal_id="d3", title="Beta", helpers=[])
    mm.close(org, "a1", other, "lost", "Too late", datetime(2026, 11, 24, 10), PLAN)
    week = mm.week(org, date(2026, 11, 23))
    assert set(week["active"]["mastermind_id"]) == {room, other}
    steps = week["step"]
    assert dict(zip(steps["step"], steps["overdue"], strict=True)) == {
        "Overdue": True,
        "Due this week": False,
    }
    assert week["outcome"]["outcome"].to_list() == ["lost"]
    assert mm.week(org, date(2026, 11, 23), "s2")["active"].is_empty()
    assert mm.week(org, date(2026, 11, 23), "s1")["active"].height == 2
    assert mm.week(org, date(2026, 11, 30))["outcome"].is_empty()


def test_invite_suggestions_name_who_knows_the_account_and_the_strongest_with_evidence(org):
    org.execute("""
        update deals set account = 'Acme Corp', product = 'Widget' where deal_id in ('d1', 'd2');
        update deals set created_date = close_date - 30;
    """)
    facts.refresh(org)
    found = views.suggest(
        org, account="Acme Corp", deal_id="d4", exclude={"a1"}, today=date(2026, 11, 23)
    )
    evidence = dict(zip(found["rep_id"], found["evidence"], strict=True))
    assert "a1" not in evidence  # the owner is never suggested
    assert evidence["a2"].startswith("knows the account: 2 won, 0 lost, 0 open of 2 deals")
    assert "strong in Widget: won 1 of 1 (100 %, at least" in evidence["a2"].replace("%", " %")


def test_contribution_weight_of_the_mastermind_board_is_a_plan_setting(org):
    from squadboard import plan as plan_module

    room = open_room(org, helpers=["se1"])
    mm.respond(org, "se1", room, "accept", NOW)
    mm.write_note(org, "se1", room, "idea", NOW)
    before = db.run(org, "leaderboard", **Q4, metric="contribution")
    plan_module.save(org, Plan(contribution_kudos=0.10, contribution_mastermind=0.10), ADMIN)
    after = db.run(org, "leaderboard", **Q4, metric="contribution")
    se_before = dict(zip(before["rep_id"], before["value"], strict=True))["se1"]
    se_after = dict(zip(after["rep_id"], after["value"], strict=True))["se1"]
    assert se_after == pytest.approx(se_before + 10)  # the best (only) helper: 0.10 x 100
    assert Plan(contribution_mastermind=0.2).validate()  # weights must still add up to 1
