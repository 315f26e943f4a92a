"""Decisions and actions recorded in the weekly meeting.

Leaders record them for the squads they lead or for the all-squads meeting (admins for any);
reps read them. An action has an owner and a due date; a decision may have neither. An open
action stays on every later meeting of the same squad until someone ticks it off
(queries/meeting_actions.sql). Writes are audited; the same item recorded twice (a double
click) and a second tick write nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import duckdb

from squadboard import auth, db
from squadboard.contribution import ContributionError, active_person, fetch_one, write_step

KINDS = ("action", "decision")
MAX_TEXT = 500


class ActionError(ContributionError):
    """An item the rules refuse; the message says what to fix."""


def may_record(viewer: auth.Viewer, squad_id: str | None) -> bool:
    """Leaders for their squads and the all-squads meeting; admins for any meeting."""
    if viewer.is_admin:
        return True
    return viewer.is_leader and (squad_id is None or squad_id in viewer.leads)


def _check_viewer(viewer: auth.Viewer, squad_id: str | None) -> None:
    if not may_record(viewer, squad_id):
        raise ActionError(
            "only the squad's leader (or an admin) records and ticks off this meeting's items"
        )


def item_id(
    week_start: date,
    squad_id: str | None,
    kind: str,
    text: str,
    owner_id: str | None,
    due: date | None,
) -> str:
    key = json.dumps([str(week_start), squad_id, kind, text, owner_id, str(due or "")])
    return "act:" + hashlib.sha256(key.encode()).hexdigest()[:16]


def record(
    con: duckdb.DuckDBPyConnection,
    viewer: auth.Viewer,
    week_start: date,
    squad_id: str | None,
    kind: str,
    text: str,
    owner_id: str | None,
    due: date | None,
    now: datetime,
) -> tuple[str, bool]:
    """Record a decision or action of the meeting of `week_start`: (its id, whether it is new).
    The text is stored as typed and always shown as plain text."""
    _check_viewer(viewer, squad_id)
    text = (text or "").strip()
    if kind not in KINDS:
        raise ActionError(f"an item is one of {', '.join(KINDS)}")
    if not text:
        raise ActionError("write what was decided or what is to be done")
    if len(text) > MAX_TEXT:
        raise ActionError(f"keep it under {MAX_TEXT} characters")
    if kind == "action" and (not owner_id or due is None):
        raise ActionError("an action needs an owner and a due date")
    if due is not None and due < week_start:
        raise ActionError(f"the due date is before the meeting's week ({week_start:%-d %b %Y})")
    new_id = item_id(week_start, squad_id, kind, text, owner_id, due)

    def step(cur):
        if owner_id:
            active_person(cur, owner_id)
        if cur.execute("select 1 from meeting_actions where action_id = ?", [new_id]).fetchone():
            return new_id, False  # recorded already (a double click): nothing written twice
        cur.execute(
            "insert into meeting_actions (action_id, week_start, squad_id, kind, text, "
            "owner_id, due_date, created_by, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, week_start, squad_id, kind, text, owner_id, due, viewer.rep_id, now],
        )
        detail = {"week": str(week_start), "squad": squad_id, "kind": kind, "owner": owner_id}
        db.audit(cur, viewer.rep_id, "record_meeting_item", "meeting_actions", new_id,
                 json.dumps(detail))  # fmt: skip
        return new_id, True

    return write_step(con, step)


def tick_off(
    con: duckdb.DuckDBPyConnection, viewer: auth.Viewer, action_id: str, now: datetime
) -> bool:
    """Mark an item done; False (nothing written) when it was done already."""

    def step(cur):
        item = fetch_one(
            cur, "select squad_id, done_at from meeting_actions where action_id = ?", [action_id]
        )
        if item is None:
            raise ActionError(f"there is no meeting item {action_id!r}")
        _check_viewer(viewer, item["squad_id"])
        if item["done_at"] is not None:
            return False
        cur.execute(
            "update meeting_actions set done_at = ?, done_by = ? where action_id = ?",
            [now, viewer.rep_id, action_id],
        )
        db.audit(cur, viewer.rep_id, "tick_meeting_item", "meeting_actions", action_id, None)
        return True

    return write_step(con, step)
