"""Peer kudos: a category, a plain-text message, optionally a deal; never to yourself, at
most plan.kudos_daily_limit a day, and a double click gives them once.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import duckdb

from squadboard import db
from squadboard.contribution import ContributionError, active_person, deal_row, write_step
from squadboard.plan import Plan

CATEGORIES = ("helped close", "mentoring", "shared insight", "jumped on a call", "onboarding")
MAX_MESSAGE = 500


def give_kudos(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    to_rep: str,
    category: str,
    message: str,
    deal_id: str | None,
    plan: Plan,
    now: datetime,
    request_key: str | None = None,
) -> str:
    """Thank a teammate; the new kudos id back. The message is stored as typed (plain text).

    `request_key` names one press of the button (the page makes one per form): the same key
    again, say a retried request or a write run again after it lost a race on the shared
    store, returns the kudos already given and writes nothing."""
    return write_step(
        con,
        lambda cur: give_in(cur, actor, to_rep, category, message, deal_id, plan, now, request_key),
        "kudos",
    )


def give_in(
    cur: duckdb.DuckDBPyConnection,
    actor: str,
    to_rep: str,
    category: str,
    message: str,
    deal_id: str | None,
    plan: Plan,
    now: datetime,
    request_key: str | None = None,
) -> str:
    """give_kudos inside the caller's transaction (e.g. a mentee's thank-you, squadboard/mentoring.py)."""
    message = (message or "").strip()
    if to_rep == actor:
        raise ContributionError("kudos go to a teammate, not to yourself")
    if category not in CATEGORIES:
        raise ContributionError(f"category must be one of {', '.join(CATEGORIES)}")
    if not message:
        raise ContributionError("write a short message: what did they do?")
    if len(message) > MAX_MESSAGE:
        raise ContributionError(f"keep the message under {MAX_MESSAGE} characters")
    if request_key is not None and not (0 < len(request_key) <= 64 and request_key.isprintable()):
        raise ContributionError("the request key must be 1 to 64 printable characters")
    keyed_id = f"kudos:{request_key}" if request_key else None
    if keyed_id:
        given = cur.execute("select from_rep from kudos where kudos_id = ?", [keyed_id]).fetchone()
        if given and given[0] == actor:
            return keyed_id
        if given:
            raise ContributionError("that request key was used by someone else")
    active_person(cur, actor)
    active_person(cur, to_rep)
    if deal_id:
        deal_row(cur, deal_id)
    same = cur.execute(
        "select count(*) from kudos where from_rep = ? and to_rep = ? and category = ? "
        "and message = ? and given_at > ? - interval 10 minute",
        [actor, to_rep, category, message, now],
    ).fetchone()[0]
    if same:
        raise ContributionError("you just gave these kudos; they are in the feed")
    today_count = cur.execute(
        "select count(*) from kudos where from_rep = ? and given_at::date = ?::date",
        [actor, now],
    ).fetchone()[0]
    if today_count >= plan.kudos_daily_limit:
        raise ContributionError(
            f"you have given {today_count} kudos today, the daily limit; "
            "more tomorrow keeps them meaningful"
        )
    kudos_id = keyed_id or f"kudos:{uuid.uuid4().hex[:16]}"
    cur.execute(
        "insert into kudos (kudos_id, from_rep, to_rep, deal_id, category, message, given_at) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [kudos_id, actor, to_rep, deal_id or None, category, message, now],
    )
    detail = {"to": to_rep, "category": category, "deal_id": deal_id or None}
    db.audit(cur, actor, "give_kudos", "kudos", kudos_id, json.dumps(detail))
    return kudos_id
