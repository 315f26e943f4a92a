"""Sales Mastermind: a hard deal or account worked on as a small project by a panel of reps.

Rules, all checked here whatever a page sends:

- Opening one is for the deal's (or the account's) owner, their leader or an admin; one open
  Mastermind per deal and per account. Helpers are invited only by those three, never by
  themselves, and each answers their own invitation (accept or decline).
- Participants are the owner and the helpers who accepted: only they write notes, decisions
  and next steps; everyone on the team reads. Text is stored as typed (plain text).
- Only the owner, their leader or an admin closes it, with an outcome, a retro and, in the same
  click, kudos to the helpers they thank (tied to the deal).
- Every write is one transaction that re-reads what it changes first, so a repeated click finds
  it done and writes nothing; every write is in the audit log. A write that changes who helped
  on a deal refreshes the deal's derived rows (an accepted helper who wrote a note or finished
  a step is an assist once the deal is won: facts.sql's deal_helpers).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from squadboard import claims, db, facts
from squadboard.contribution import (
    ContributionError,
    active_person,
    deal_row,
    fetch_one,
    write_step,
)
from squadboard.plan import Plan

OUTCOMES = ("won", "lost", "slipped", "no outcome")
STEP_STATUSES = ("to do", "in progress", "done", "cancelled")
NOTE_KINDS = ("note", "decision")
MAX_TITLE = 120
MAX_GOAL = 300
MAX_WHY = 2000
MAX_NOTE = 2000
MAX_RETRO = 2000
MAX_STEP = 200
MAX_HELPERS = 8
THANKS_CATEGORY = "helped close"
# A second identical note, step or room from the same person within this window is the same
# click arriving twice (a double click, a second tab): nothing is written again.
REPEAT_WINDOW = timedelta(minutes=10)


class MastermindError(ContributionError):
    """A Mastermind write the rules refuse; the message says what to do instead."""


# Reading -----------------------------------------------------------------------------------


def _text(value: object, what: str, limit: int, *, required: bool = True) -> str:
    text = (value if isinstance(value, str) else "" if value is None else str(value)).strip()
    if "\x00" in text:
        raise MastermindError(f"the {what} holds a character that cannot be stored; retype it")
    if required and not text:
        raise MastermindError(f"write the {what}")
    if len(text) > limit:
        raise MastermindError(f"keep the {what} under {limit} characters (it has {len(text)})")
    return text


def _account_key(account: str) -> str:
    return re.sub(r"\s+", " ", account.strip()).lower()


def room(cur: duckdb.DuckDBPyConnection, mastermind_id: str) -> dict:
    found = fetch_one(cur, "select * from masterminds where mastermind_id = ?", [mastermind_id])
    if found is None:
        raise MastermindError(f"there is no Mastermind {mastermind_id!r}")
    return found


def leader_of(cur: duckdb.DuckDBPyConnection, rep_id: str, day: date) -> str | None:
    """The leader (manager) of the rep's squad on `day`, else of their latest squad."""
    row = cur.execute(
        """
        select s.manager_id
        from squad_membership_days as m
        inner join squads as s on s.squad_id = m.squad_id
        where m.rep_id = ?
        order by (? >= m.valid_from and ? < m.valid_to) desc, m.valid_from desc
        limit 1
        """,
        [rep_id, day, day],
    ).fetchone()
    return row[0] if row else None


def may_manage(cur: duckdb.DuckDBPyConnection, actor: str, owner_id: str, day: date) -> bool:
    """Open, invite to and close a Mastermind of `owner_id`: the owner, their leader, an admin."""
    person = active_person(cur, actor)
    return (
        actor == owner_id or person["access"] == "admin" or actor == leader_of(cur, owner_id, day)
    )


def helper_status(cur: duckdb.DuckDBPyConnection, mastermind_id: str, rep_id: str) -> str | None:
    row = cur.execute(
        "select status from mastermind_helpers where mastermind_id = ? and rep_id = ?",
        [mastermind_id, rep_id],
    ).fetchone()
    return row[0] if row else None


def is_participant(cur: duckdb.DuckDBPyConnection, found: dict, rep_id: str) -> bool:
    """The owner and the helpers who accepted."""
    return rep_id == found["owner_id"] or (
        helper_status(cur, found["mastermind_id"], rep_id) == "accepted"
    )


def _require_participant(cur: duckdb.DuckDBPyConnection, found: dict, actor: str) -> None:
    active_person(cur, actor)
    if not is_participant(cur, found, actor):
        status = helper_status(cur, found["mastermind_id"], actor)
        if status == "invited":
            raise MastermindError("accept the invitation first: then you can write here")
        raise MastermindError(
            "only the owner and the helpers who accepted write in this Mastermind; "
            "everyone can read it"
        )


def _require_open(found: dict) -> None:
    if found["status"] != "open":
        raise MastermindError("this Mastermind is closed; its notes and steps stay as they were")


def _audit(cur, actor: str, action: str, mastermind_id: str, **detail) -> None:
    db.audit(cur, actor, action, "masterminds", mastermind_id, json.dumps(detail, default=str))


def _refresh(cur: duckdb.DuckDBPyConnection, found: dict) -> None:
    """Who helped on the deal may have changed: its assists (deal_helpers) follow."""
    if found["deal_id"]:
        facts.refresh_deal(cur, found["deal_id"])


# Opening and inviting ----------------------------------------------------------------------


def open_mastermind(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    *,
    title: str,
    goal: str,
    target_date: date,
    why: str = "",
    deal_id: str | None = None,
    account: str | None = None,
    owner_id: str | None = None,
    helpers: list[str] | tuple[str, ...] = (),
    reasons: dict[str, str] | None = None,
    now: datetime,
) -> str:
    """Open a Mastermind for a deal (deal_id) or an account (account, owner_id: a rep who owns
    a deal of it; the actor by default) and invite its first helpers; its id back."""
    title = _text(title, "title", MAX_TITLE)
    goal = _text(goal, "goal (the outcome you aim for)", MAX_GOAL)
    why = _text(why, "why", MAX_WHY, required=False)
    if not isinstance(target_date, date):
        raise MastermindError("give the goal a target date")
    if isinstance(target_date, datetime):
        target_date = target_date.date()
    if target_date < now.date():
        raise MastermindError("the target date is in the past: pick today or a later day")
    if bool(deal_id) == bool(account and account.strip()):
        raise MastermindError("open a Mastermind for one deal or for one account")
    helpers = list(dict.fromkeys(h for h in helpers if h))

    def step(cur):
        active_person(cur, actor)
        if deal_id:
            deal = deal_row(cur, deal_id)
            if deal["status"] != "open":
                raise MastermindError(
                    f"this deal is already {deal['status']}: open a Mastermind for its account"
                )
            owner = deal["owner_id"]
            if owner is None:
                raise MastermindError("this deal has no owner to run its Mastermind")
            name = cur.execute("select account from deals where deal_id = ?", [deal_id]).fetchone()
            acct = (name[0] or deal["name"] or deal_id).strip()
            same = "deal_id = ?", [deal_id]
        else:
            owner = owner_id or actor
            row = cur.execute(
                "select account from deals where owner_id = ? and account is not null "
                "and lower(regexp_replace(trim(account), '\\s+', ' ', 'g')) = ? "
                "order by close_date desc nulls last limit 1",
                [owner, _account_key(account)],
            ).fetchone()
            if row is None:
                raise MastermindError(
                    "the owner of an account Mastermind owns a deal of that account: "
                    "pick the account from the list"
                )
            acct = row[0].strip()
            same = (
                "deal_id is null and lower(regexp_replace(trim(account), '\\s+', ' ', 'g')) = ?",
                [_account_key(acct)],
            )
        active_person(cur, owner)
        if not may_manage(cur, actor, owner, now.date()):
            raise MastermindError(
                "only the owner, their leader or an admin opens a Mastermind for it"
            )
        existing = fetch_one(
            cur, f"select * from masterminds where status = 'open' and {same[0]}", same[1]
        )
        if existing is not None:
            if existing["opened_by"] == actor and existing["title"] == title:
                return existing["mastermind_id"]  # the same click again: already open
            raise MastermindError(
                f"there is already an open Mastermind for this {'deal' if deal_id else 'account'}"
                f" (“{existing['title']}”): ask its owner to invite you"
            )
        mastermind_id = f"mm:{uuid.uuid4().hex[:16]}"
        cur.execute(
            "insert into masterminds (mastermind_id, title, deal_id, account, owner_id, "
            "opened_by, goal, target_date, why, status, opened_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
            [mastermind_id, title, deal_id or None, acct, owner, actor, goal, target_date, why]
            + [now],
        )
        _audit(
            cur,
            actor,
            "open_mastermind",
            mastermind_id,
            title=title,
            deal_id=deal_id or None,
            account=acct,
            owner=owner,
            goal=goal,
            target_date=target_date,
        )
        found = room(cur, mastermind_id)
        _invite(cur, actor, found, helpers, reasons or {}, now)
        return mastermind_id

    return write_step(con, step)


def _invite(cur, actor: str, found: dict, helpers: list[str], reasons: dict, now) -> list[str]:
    if actor in helpers:
        raise MastermindError(
            "you cannot invite yourself: the owner, their leader or an admin invites helpers"
        )
    if found["owner_id"] in helpers:
        raise MastermindError("the owner runs the Mastermind; invite other people as helpers")
    known = cur.execute(
        "select count(*) from mastermind_helpers where mastermind_id = ?",
        [found["mastermind_id"]],
    ).fetchone()[0]
    new = [h for h in helpers if helper_status(cur, found["mastermind_id"], h) is None]
    if known + len(new) > MAX_HELPERS:
        raise MastermindError(
            f"a Mastermind is a small panel: at most {MAX_HELPERS} helpers "
            f"({known} invited already)"
        )
    for rep_id in new:
        active_person(cur, rep_id)
        reason = _text(reasons.get(rep_id), "reason", 500, required=False) or None
        cur.execute(
            "insert into mastermind_helpers (mastermind_id, rep_id, status, invited_by, "
            "invited_at, reason) values (?, ?, 'invited', ?, ?, ?)",
            [found["mastermind_id"], rep_id, actor, now, reason],
        )
        _audit(cur, actor, "invite_helper", found["mastermind_id"], helper=rep_id, reason=reason)
    return new


def invite(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    mastermind_id: str,
    helpers: list[str],
    now: datetime,
    reasons: dict[str, str] | None = None,
) -> list[str]:
    """Invite more helpers (owner, their leader or an admin); the newly invited back. People
    invited already are left as they are, so a repeated click writes nothing."""
    helpers = list(dict.fromkeys(h for h in helpers if h))
    if not helpers:
        raise MastermindError("pick at least one person to invite")

    def step(cur):
        found = room(cur, mastermind_id)
        _require_open(found)
        if not may_manage(cur, actor, found["owner_id"], now.date()):
            raise MastermindError(
                "only the owner, their leader or an admin invites helpers; ask one of them"
            )
        return _invite(cur, actor, found, helpers, reasons or {}, now)

    return write_step(con, step)


def respond(
    con: duckdb.DuckDBPyConnection, actor: str, mastermind_id: str, answer: str, now: datetime
) -> str:
    """The invited helper accepts or declines their own invitation; the status back."""
    status = {"accept": "accepted", "decline": "declined"}.get(answer, answer)
    if status not in ("accepted", "declined"):
        raise MastermindError("answer accept or decline")

    def step(cur):
        found = room(cur, mastermind_id)
        active_person(cur, actor)
        current = helper_status(cur, mastermind_id, actor)
        if current is None:
            raise MastermindError(
                "you have no invitation to this Mastermind: ask its owner to invite you"
            )
        if current == status:
            return status  # a repeated click
        _require_open(found)
        cur.execute(
            "update mastermind_helpers set status = ?, answered_at = ? "
            "where mastermind_id = ? and rep_id = ?",
            [status, now, mastermind_id, actor],
        )
        _audit(cur, actor, "answer_invite", mastermind_id, status=status, before=current)
        _refresh(cur, found)
        return status

    return write_step(con, step)


# Inside the room ---------------------------------------------------------------------------


def write_note(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    mastermind_id: str,
    body: str,
    now: datetime,
    kind: str = "note",
) -> str:
    """A note (an idea) or a decision; participants only. Its id back."""
    if kind not in NOTE_KINDS:
        raise MastermindError(f"kind must be one of {', '.join(NOTE_KINDS)}")
    body = _text(body, kind, MAX_NOTE)

    def step(cur):
        found = room(cur, mastermind_id)
        _require_participant(cur, found, actor)
        _require_open(found)
        same = cur.execute(
            "select note_id from mastermind_notes where mastermind_id = ? and author_id = ? "
            "and kind = ? and body = ? and written_at > ? order by written_at desc limit 1",
            [mastermind_id, actor, kind, body, now - REPEAT_WINDOW],
        ).fetchone()
        if same:
            return same[0]
        note_id = f"mmn:{uuid.uuid4().hex[:16]}"
        cur.execute(
            "insert into mastermind_notes values (?, ?, ?, ?, ?, ?)",
            [note_id, mastermind_id, kind, actor, body, now],
        )
        _audit(cur, actor, f"write_{kind}", mastermind_id, note_id=note_id, chars=len(body))
        _refresh(cur, found)
        return note_id

    return write_step(con, step)


def add_step(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    mastermind_id: str,
    title: str,
    owner_id: str,
    due_date: date,
    now: datetime,
) -> str:
    """A next step with an owner (any participant) and a due date; participants only."""
    title = _text(title, "step", MAX_STEP)
    if not isinstance(due_date, date):
        raise MastermindError("give the step a due date")
    if isinstance(due_date, datetime):
        due_date = due_date.date()

    def step(cur):
        found = room(cur, mastermind_id)
        _require_participant(cur, found, actor)
        _require_open(found)
        if not is_participant(cur, found, owner_id):
            raise MastermindError(
                "a step's owner is a participant: the owner or a helper who accepted"
            )
        same = cur.execute(
            "select step_id from mastermind_steps where mastermind_id = ? and created_by = ? "
            "and title = ? and owner_id = ? and due_date = ? and created_at > ? limit 1",
            [mastermind_id, actor, title, owner_id, due_date, now - REPEAT_WINDOW],
        ).fetchone()
        if same:
            return same[0]
        step_id = f"mms:{uuid.uuid4().hex[:16]}"
        cur.execute(
            "insert into mastermind_steps (step_id, mastermind_id, title, owner_id, due_date, "
            "status, created_by, created_at, updated_at) values (?, ?, ?, ?, ?, 'to do', ?, ?, ?)",
            [step_id, mastermind_id, title, owner_id, due_date, actor, now, now],
        )
        _audit(cur, actor, "add_step", mastermind_id, step_id=step_id, owner=owner_id, due=due_date)
        return step_id

    return write_step(con, step)


def set_step_status(
    con: duckdb.DuckDBPyConnection, actor: str, step_id: str, status: str, now: datetime
) -> str:
    """Move a step to another status; participants only. The status back."""
    if status not in STEP_STATUSES:
        raise MastermindError(f"a step is one of: {', '.join(STEP_STATUSES)}")

    def step(cur):
        row = fetch_one(cur, "select * from mastermind_steps where step_id = ?", [step_id])
        if row is None:
            raise MastermindError(f"there is no step {step_id!r}")
        found = room(cur, row["mastermind_id"])
        _require_participant(cur, found, actor)
        if row["status"] == status:
            return status  # a repeated click
        _require_open(found)
        cur.execute(
            "update mastermind_steps set status = ?, updated_at = ?, done_at = ? where step_id = ?",
            [status, now, now if status == "done" else None, step_id],
        )
        _audit(
            cur,
            actor,
            "update_step",
            found["mastermind_id"],
            step_id=step_id,
            status=status,
            before=row["status"],
        )
        _refresh(cur, found)
        return status

    return write_step(con, step)


# Closing, thanks and credit ----------------------------------------------------------------


def close(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    mastermind_id: str,
    outcome: str,
    retro: str,
    now: datetime,
    plan: Plan,
    thank: list[str] | tuple[str, ...] = (),
    message: str = "",
) -> list[str]:
    """Close with an outcome and a retro; kudos (tied to the deal) to the helpers thanked,
    in the same transaction. The kudos ids back; a repeated click writes nothing."""
    if outcome not in OUTCOMES:
        raise MastermindError(f"the outcome is one of: {', '.join(OUTCOMES)}")
    retro = _text(retro, "retro (what helped)", MAX_RETRO)
    message = _text(message, "thank-you message", 400, required=False)
    thank = list(dict.fromkeys(t for t in thank if t))

    def step(cur):
        found = room(cur, mastermind_id)
        if not may_manage(cur, actor, found["owner_id"], now.date()):
            raise MastermindError("only the owner, their leader or an admin closes a Mastermind")
        if found["status"] == "closed":
            if found["outcome"] == outcome:
                return []  # a repeated click: closed already
            raise MastermindError(f"this Mastermind was closed already ({found['outcome']})")
        accepted = {
            r[0]
            for r in cur.execute(
                "select rep_id from mastermind_helpers where mastermind_id = ? "
                "and status = 'accepted'",
                [mastermind_id],
            ).fetchall()
        }
        strangers = [t for t in thank if t not in accepted]
        if strangers:
            raise MastermindError("thanks go to helpers who accepted the invitation")
        thanked = [t for t in thank if t != actor]
        given_today = cur.execute(
            "select count(*) from kudos where from_rep = ? and given_at::date = ?::date",
            [actor, now],
        ).fetchone()[0]
        if given_today + len(thanked) > plan.kudos_daily_limit:
            left = max(plan.kudos_daily_limit - given_today, 0)
            raise MastermindError(
                f"kudos are limited to {plan.kudos_daily_limit} a day and you can give "
                f"{left} more today: thank fewer helpers now, the others tomorrow"
            )
        cur.execute(
            "update masterminds set status = 'closed', outcome = ?, retro = ?, closed_at = ?, "
            "closed_by = ? where mastermind_id = ?",
            [outcome, retro, now, actor, mastermind_id],
        )
        _audit(cur, actor, "close_mastermind", mastermind_id, outcome=outcome, thanked=thanked)
        text = message or f"Thank you for your help in the Mastermind “{found['title']}”."
        ids = []
        for rep_id in thanked:
            kudos_id = f"kudos:{uuid.uuid4().hex[:16]}"
            cur.execute(
                "insert into kudos (kudos_id, from_rep, to_rep, deal_id, category, message, "
                "given_at) values (?, ?, ?, ?, ?, ?, ?)",
                [kudos_id, actor, rep_id, found["deal_id"], THANKS_CATEGORY, text, now],
            )
            detail = {
                "to": rep_id,
                "category": THANKS_CATEGORY,
                "deal_id": found["deal_id"],
                "mastermind_id": mastermind_id,
            }
            db.audit(cur, actor, "give_kudos", "kudos", kudos_id, json.dumps(detail))
            ids.append(kudos_id)
        return ids

    return write_step(con, step)


def claim_credit(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    mastermind_id: str,
    note: str,
    plan: Plan,
    now: datetime,
    role: str = "helper",
) -> str:
    """A helper who accepted claims overlay credit on the Mastermind's deal: a pending claim
    that the deal's AE and the AE's manager confirm (squadboard/claims.py)."""
    cur = con.cursor()
    try:
        found = room(cur, mastermind_id)
        if not found["deal_id"]:
            raise MastermindError("an account Mastermind has no deal to claim credit on")
        if helper_status(cur, mastermind_id, actor) != "accepted":
            raise MastermindError("overlay credit is for the helpers who accepted")
    finally:
        cur.close()
    note = (note or "").strip() or f"Helper in the Mastermind “{found['title']}”"
    return claims.file_claim(con, actor, found["deal_id"], role, note, plan, now)


# The weekly meeting --------------------------------------------------------------------------


def week(
    con: duckdb.DuckDBPyConnection, week_start: date, squad_id: str | None = None
) -> dict[str, pl.DataFrame]:
    """What the weekly meeting shows of the Masterminds for the week starting week_start (a
    Monday): the active ones, the steps due in the week or overdue at its end, and the
    outcomes of the week (the mastermind_week named query, split by kind)."""
    rows = db.run(con, "mastermind_week", week_start=week_start, squad_id=squad_id)
    return {
        kind: rows.filter(pl.col("kind") == kind).drop("kind")
        for kind in ("active", "step", "outcome")
    }
