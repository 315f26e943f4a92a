"""Being a mentor and asking for help (issue #13): mentor settings, requests for help and
their steps, the mentee's thank-you kudos, and who may see which request.

Every write checks who is writing here, whatever the page sent, runs in one transaction and
is audited; a repeated click writes nothing (the second one gets a message saying why).
Statuses: open -> accepted | declined | withdrawn; accepted -> done | withdrawn.
The rules that read deal outcomes (skill profiles, suggestions, pairs) are in skills.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from squadboard import db, kudos
from squadboard.auth import Viewer
from squadboard.contribution import (
    ContributionError,
    active_person,
    deal_row,
    fetch_one,
    write_step,
)
from squadboard.plan import Plan

STATUSES = ("open", "accepted", "declined", "withdrawn", "done")
DEFAULT_LIMIT = 2
MAX_LIMIT = 20
MAX_TOPICS = 300
MAX_MESSAGE = 1000
MAX_FREE_TOPIC = 200
# How a cell's dimension reads in a topic: "Product: GTX Pro".
DIMENSIONS = {
    "overall": "Overall",
    "product": "Product",
    "size_band": "Deal size",
    "sector": "Sector",
    "stage": "Stage reached",
}


class MentoringError(ContributionError):
    """A request or setting the rules refuse; the message says why and what to do."""


@dataclass(frozen=True)
class Settings:
    available: bool = True
    mentee_limit: int = DEFAULT_LIMIT
    topics: str = ""


@dataclass(frozen=True)
class Topic:
    """What a request is about: a skill cell, an account, or free text."""

    kind: str  # cell | account | free
    dimension: str | None = None
    segment: str | None = None
    account: str | None = None
    text: str | None = None

    def label(self) -> str:
        if self.kind == "cell":
            return f"{DIMENSIONS.get(self.dimension or '', self.dimension)}: {self.segment}"
        if self.kind == "account":
            return f"Account: {self.account}"
        return self.text or ""


def cell(dimension: str, segment: str) -> Topic:
    return Topic("cell", dimension=dimension, segment=segment)


def account(name: str) -> Topic:
    return Topic("account", account=(name or "").strip())


def free(text: str) -> Topic:
    return Topic("free", text=(text or "").strip())


# Settings ----------------------------------------------------------------------------------


def settings_of(con: duckdb.DuckDBPyConnection, rep_id: str) -> Settings:
    """A rep's mentor settings (the defaults when they never set any)."""
    return settings_of_cur(con.cursor(), rep_id)


def save_settings(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    rep_id: str,
    settings: Settings,
    now: datetime,
) -> bool:
    """Save a rep's mentor settings: your own only. False when nothing changed (no write)."""
    if actor != rep_id:
        raise MentoringError("you can change only your own mentor settings")
    topics = (settings.topics or "").strip()
    if not 0 <= settings.mentee_limit <= MAX_LIMIT:
        raise MentoringError(f"the mentee limit must be between 0 and {MAX_LIMIT}")
    if len(topics) > MAX_TOPICS:
        raise MentoringError(f"keep the topics under {MAX_TOPICS} characters")
    wanted = Settings(bool(settings.available), int(settings.mentee_limit), topics)

    def step(cur):
        active_person(cur, actor)
        if settings_of_cur(cur, rep_id) == wanted:
            return False
        db.upsert(
            cur,
            "mentor_settings",
            {"rep_id": rep_id},
            {
                "available": wanted.available,
                "mentee_limit": wanted.mentee_limit,
                "topics": wanted.topics,
                "updated_by": actor,
                "updated_at": now,
            },
        )
        detail = {"available": wanted.available, "mentee_limit": wanted.mentee_limit}
        db.audit(cur, actor, "set_mentor_settings", "mentor_settings", rep_id, json.dumps(detail))
        return True

    return write_step(con, step)


def settings_of_cur(cur: duckdb.DuckDBPyConnection, rep_id: str) -> Settings:
    row = fetch_one(
        cur,
        "select available, mentee_limit, topics from mentor_settings where rep_id = ?",
        [rep_id],
    )
    return Settings(**row) if row else Settings()


def _room(cur: duckdb.DuckDBPyConnection, mentor_id: str) -> tuple[Settings, int]:
    mentees = cur.execute(
        "select count(*) from help_requests where mentor_id = ? and status = 'accepted'",
        [mentor_id],
    ).fetchone()[0]
    return settings_of_cur(cur, mentor_id), mentees


# Requests ----------------------------------------------------------------------------------


def ask(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    mentor_id: str,
    topic: Topic,
    message: str,
    deal_id: str | None,
    now: datetime,
) -> str:
    """Ask a teammate for help; the new request's id back."""
    message = (message or "").strip()
    if mentor_id == actor:
        raise MentoringError("you cannot ask yourself for help: pick a teammate")
    if topic.kind not in ("cell", "account", "free"):
        raise MentoringError("a request is about a skill, an account or a topic you type")
    if topic.kind == "cell" and (topic.dimension not in DIMENSIONS or not topic.segment):
        raise MentoringError("pick the skill the request is about")
    if topic.kind == "account" and not topic.account:
        raise MentoringError("pick the account the request is about")
    if topic.kind == "free" and not topic.text:
        raise MentoringError("write what you would like help with")
    if topic.kind == "free" and len(topic.text or "") > MAX_FREE_TOPIC:
        raise MentoringError(f"keep the topic under {MAX_FREE_TOPIC} characters")
    if len(message) > MAX_MESSAGE:
        raise MentoringError(f"keep the message under {MAX_MESSAGE} characters")
    label = topic.label()

    def step(cur):
        active_person(cur, actor)
        mentor = active_person(cur, mentor_id)
        if deal_id:
            deal_row(cur, deal_id)
        same = fetch_one(
            cur,
            "select status from help_requests where asker_id = ? and mentor_id = ? "
            "and topic = ? and status in ('open', 'accepted')",
            [actor, mentor_id, label],
        )
        if same:
            raise MentoringError(
                f"you already asked {mentor['name']} about {label}; "
                f"the request is {same['status']} (see Mentoring)"
            )
        settings, mentees = _room(cur, mentor_id)
        if not settings.available:
            raise MentoringError(
                f"{mentor['name']} is not taking mentees at the moment; ask someone else"
            )
        if mentees >= settings.mentee_limit:
            raise MentoringError(
                f"{mentor['name']} already mentors {mentees} "
                f"{'person' if mentees == 1 else 'people'}, their limit; ask someone else "
                "or try again later"
            )
        request_id = f"help:{uuid.uuid4().hex[:16]}"
        cur.execute(
            "insert into help_requests (request_id, asker_id, mentor_id, topic_kind, dimension, "
            "segment, account, topic, message, deal_id, status, asked_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
            [
                request_id,
                actor,
                mentor_id,
                topic.kind,
                topic.dimension,
                topic.segment,
                topic.account,
                label,
                message,
                deal_id or None,
                now,
            ],
        )
        detail = {"mentor": mentor_id, "topic": label, "deal_id": deal_id or None}
        db.audit(cur, actor, "ask_for_help", "help_request", request_id, json.dumps(detail))
        return request_id

    return write_step(con, step)


def _request(cur: duckdb.DuckDBPyConnection, request_id: str) -> dict:
    row = fetch_one(cur, "select * from help_requests where request_id = ?", [request_id])
    if row is None:
        raise MentoringError(f"there is no request {request_id!r}")
    return row


def _move(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    request_id: str,
    action: str,
    now: datetime,
    note: str | None = None,
) -> None:
    """One step of a request: accept, decline, withdraw or done, by whoever may take it."""
    note = (note or "").strip() or None
    if note and len(note) > MAX_MESSAGE:
        raise MentoringError(f"keep the note under {MAX_MESSAGE} characters")
    rules = {
        # action: (new status, who may, from statuses, timestamp column)
        "accept": ("accepted", "mentor", ("open",), "accepted_at"),
        "decline": ("declined", "mentor", ("open",), "declined_at"),
        "withdraw": ("withdrawn", "asker", ("open", "accepted"), "withdrawn_at"),
        "done": ("done", "either", ("accepted",), "done_at"),
    }
    status, who, sources, column = rules[action]

    def step(cur):
        req = _request(cur, request_id)
        allowed = {
            "mentor": actor == req["mentor_id"],
            "asker": actor == req["asker_id"],
            "either": actor in (req["mentor_id"], req["asker_id"]),
        }[who]
        if not allowed:
            whom = {"mentor": "the mentor asked", "asker": "the asker", "either": "the two"}
            raise MentoringError(f"only {whom[who]} can {action} this request")
        if req["status"] == status:
            raise MentoringError(f"this request is already {status}")
        if req["status"] not in sources:
            raise MentoringError(f"this request is {req['status']}; it can no longer be {status}")
        if action == "accept":
            settings, mentees = _room(cur, actor)
            if mentees >= settings.mentee_limit:
                raise MentoringError(
                    f"you already mentor {mentees}, your limit of {settings.mentee_limit}: "
                    "mark one done or raise the limit in your mentor settings first"
                )
        sets = f"status = ?, {column} = ?"
        args: list = [status, now]
        if action in ("accept", "decline") and note:
            sets += ", note = ?"
            args.append(note)
        if action == "done":
            sets += ", done_by = ?"
            args.append(actor)
        cur.execute(f"update help_requests set {sets} where request_id = ?", [*args, request_id])
        detail = {"from": req["status"], "to": status, "note": note}
        db.audit(cur, actor, f"{action}_request", "help_request", request_id, json.dumps(detail))

    write_step(con, step)


def accept(con, actor: str, request_id: str, now: datetime, note: str | None = None) -> None:
    _move(con, actor, request_id, "accept", now, note)


def decline(con, actor: str, request_id: str, now: datetime, note: str | None = None) -> None:
    _move(con, actor, request_id, "decline", now, note)


def withdraw(con, actor: str, request_id: str, now: datetime) -> None:
    _move(con, actor, request_id, "withdraw", now)


def mark_done(con, actor: str, request_id: str, now: datetime) -> None:
    _move(con, actor, request_id, "done", now)


def thank(con, actor: str, request_id: str, plan: Plan, now: datetime) -> str:
    """The asker thanks the mentor of a done request with kudos (category mentoring), once."""

    def step(cur):
        req = _request(cur, request_id)
        if actor != req["asker_id"]:
            raise MentoringError("only the asker can thank the mentor for this request")
        if req["status"] != "done":
            raise MentoringError("thank your mentor once the request is done")
        if req["thanked_kudos_id"]:
            raise MentoringError("you already thanked them for this; it is in the kudos feed")
        message = f"Thank you for mentoring me on {req['topic']}."[: kudos.MAX_MESSAGE]
        kudos_id = kudos.give_in(
            cur, actor, req["mentor_id"], "mentoring", message, req["deal_id"], plan, now
        )
        cur.execute(
            "update help_requests set thanked_kudos_id = ? where request_id = ?",
            [kudos_id, request_id],
        )
        db.audit(cur, actor, "thank_mentor", "help_request", request_id, json.dumps(kudos_id))
        return kudos_id

    return write_step(con, step)


# Who sees which request -----------------------------------------------------------------


def visible_requests(requests: pl.DataFrame, viewer: Viewer) -> pl.DataFrame:
    """Rows of the help_requests query a viewer may see: their own (asked or asked of them);
    a leader also their squads' (asker or mentor in one); an admin all."""
    if viewer.is_admin:
        return requests
    mine = pl.col("asker_id").eq(viewer.rep_id) | pl.col("mentor_id").eq(viewer.rep_id)
    if viewer.access == "leader" and viewer.leads:
        leads = list(viewer.leads)
        mine = mine | pl.col("asker_squad_id").is_in(leads) | pl.col("mentor_squad_id").is_in(leads)
    return requests.filter(mine.fill_null(False))


def actions_for(row: dict, viewer_id: str) -> list[str]:
    """The steps a viewer may take on a request row, in the order the page shows them."""
    status, asker, mentor = row["status"], row["asker_id"], row["mentor_id"]
    out = []
    if viewer_id == mentor and status == "open":
        out += ["accept", "decline"]
    if viewer_id in (asker, mentor) and status == "accepted":
        out.append("done")
    if viewer_id == asker and status in ("open", "accepted"):
        out.append("withdraw")
    if viewer_id == asker and status == "done" and not row.get("thanked_kudos_id"):
        out.append("thank")
    return out
