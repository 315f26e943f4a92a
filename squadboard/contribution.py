"""Contribution rules: overlay credit claims, kudos, pool arithmetic and board naming.

Claims are overlay rows in deal_credits. A claim moves pending -> half-confirmed ->
confirmed as the deal's primary AE and the AE's manager confirm it (either order); either of
them can reject it with a reason instead. Only confirmed claims count anywhere (the
confirmed_overlay view). Every step is one transaction that re-reads the claim first, so a
double click or a second browser tab finds the step already done and writes nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

import duckdb
import polars as pl

from squadboard import db
from squadboard.plan import Plan

CLAIM_ROLES = ("SE", "CSM", "specialist", "helper")
KUDOS_CATEGORIES = ("helped close", "mentoring", "shared insight", "jumped on a call", "onboarding")
MAX_MESSAGE = 500
MAX_NOTE = 500
MAX_REASON = 300
CENT = Decimal("0.01")


class ContributionError(ValueError):
    """A claim, confirmation or kudos that the rules refuse; the message says why."""


def standard_overlay_pct(plan: Plan, role: str) -> float:
    """The overlay percentage (percentage points of the deal amount) for a claim role."""
    if role not in CLAIM_ROLES:
        raise ContributionError(f"role must be one of {', '.join(CLAIM_ROLES)}, not {role!r}")
    return getattr(plan, f"overlay_pct_{role.lower()}")


def claim_status(claim: dict) -> str:
    """pending | half-confirmed | confirmed | rejected, from the row's timestamps."""
    if claim.get("rejected_at") is not None:
        return "rejected"
    done = (claim.get("ae_confirmed_at") is not None) + (
        claim.get("manager_confirmed_at") is not None
    )
    return ("pending", "half-confirmed", "confirmed")[done]


def _one(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> dict | None:
    rel = cur.execute(sql, params)
    row = rel.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in rel.description], row, strict=True))


def _person(cur: duckdb.DuckDBPyConnection, rep_id: str) -> dict:
    person = _one(cur, "select rep_id, name, access, active from reps where rep_id = ?", [rep_id])
    if person is None or not person["active"]:
        raise ContributionError(f"{rep_id!r} is not an active person in the roster")
    return person


def _deal(cur: duckdb.DuckDBPyConnection, deal_id: str) -> dict:
    deal = _one(
        cur,
        "select deal_id, name, owner_id, status, close_date from deals where deal_id = ?",
        [deal_id],
    )
    if deal is None:
        raise ContributionError(f"there is no deal {deal_id!r}")
    return deal


def owner_manager(cur: duckdb.DuckDBPyConnection, deal: dict) -> str | None:
    """The manager of the owner's squad on the close date (the latest squad for open deals)."""
    row = cur.execute(
        """
        select s.manager_id
        from squad_membership_days as m
        inner join squads as s on s.squad_id = m.squad_id
        where m.rep_id = ?
        order by (? >= m.valid_from and ? < m.valid_to) desc, m.valid_from desc
        limit 1
        """,
        [deal["owner_id"], deal["close_date"], deal["close_date"]],
    ).fetchone()
    return row[0] if row else None


def _write(con: duckdb.DuckDBPyConnection, step):
    """Run step(cur) in one transaction; a write racing another one is a message, not a trace."""
    try:
        with db.transaction(con) as cur:
            return step(cur)
    except duckdb.TransactionException as exc:
        raise ContributionError(
            "someone changed this at the same moment; reload the page and try again"
        ) from exc


# Claims --------------------------------------------------------------------------------


def file_claim(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    deal_id: str,
    role: str,
    note: str,
    plan: Plan,
    now: datetime,
) -> str:
    """Record the actor's contribution to a deal as a pending overlay claim; its id back."""
    percent = standard_overlay_pct(plan, role)
    note = (note or "").strip()
    if not note:
        raise ContributionError("say in a note what you did on the deal")
    if len(note) > MAX_NOTE:
        raise ContributionError(f"keep the note under {MAX_NOTE} characters")

    def step(cur):
        _person(cur, actor)
        deal = _deal(cur, deal_id)
        if deal["status"] == "lost":
            raise ContributionError("this deal was lost: there is no credit to claim")
        if deal["owner_id"] == actor:
            raise ContributionError("you own this deal: your credit is its revenue split")
        open_claim = cur.execute(
            "select count(*) from deal_credits where deal_id = ? and rep_id = ? "
            "and credit_type = 'overlay' and rejected_at is null",
            [deal_id, actor],
        ).fetchone()[0]
        if open_claim:
            raise ContributionError("you already have a claim on this deal (see My claims)")
        credit_id = f"claim:{uuid.uuid4().hex[:16]}"
        cur.execute(
            "insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent, "
            "deal_role, note, claimed_by, claimed_at) values (?, ?, ?, 'overlay', ?, ?, ?, ?, ?)",
            [credit_id, deal_id, actor, percent, role, note, actor, now],
        )
        detail = {"deal_id": deal_id, "role": role, "percent": percent, "note": note}
        db.audit(cur, actor, "file_claim", "deal_credits", credit_id, json.dumps(detail))
        return credit_id

    return _write(con, step)


def _claim(cur: duckdb.DuckDBPyConnection, credit_id: str) -> dict:
    claim = _one(
        cur,
        "select * from deal_credits where credit_id = ? and credit_type = 'overlay'",
        [credit_id],
    )
    if claim is None:
        raise ContributionError(f"there is no overlay claim {credit_id!r}")
    return claim


def capacities(cur: duckdb.DuckDBPyConnection, actor: str, claim: dict) -> list[str]:
    """Which confirmations the actor may give on this claim: 'ae', 'manager', both or none."""
    if actor in (claim["rep_id"], claim["claimed_by"]):
        return []  # nobody confirms their own claim
    deal = _deal(cur, claim["deal_id"])
    person = _person(cur, actor)
    manager = owner_manager(cur, deal)
    out = []
    if actor == deal["owner_id"]:
        out.append("ae")
    # The VP (admin) stands in for a manager, and for a squad without one.
    if actor == manager or person["access"] == "admin":
        out.append("manager")
    return out


def confirm_claim(con: duckdb.DuckDBPyConnection, actor: str, credit_id: str, now: datetime) -> str:
    """Give the actor's confirmation; the status the claim is in afterwards."""

    def step(cur):
        claim = _claim(cur, credit_id)
        status = claim_status(claim)
        if status == "rejected":
            raise ContributionError("this claim was rejected; it cannot be confirmed")
        if actor in (claim["ae_confirmed_by"], claim["manager_confirmed_by"]):
            return status  # a double click: already done, nothing to write
        open_slots = [
            c for c in capacities(cur, actor, claim) if claim[f"{c}_confirmed_at"] is None
        ]
        if not open_slots:
            if actor in (claim["rep_id"], claim["claimed_by"]):
                raise ContributionError("you cannot confirm your own claim")
            if status == "confirmed":
                return status
            raise ContributionError(
                "only the deal's primary AE and the AE's manager can confirm this claim"
            )
        slot = open_slots[0]
        cur.execute(
            f"update deal_credits set {slot}_confirmed_by = ?, {slot}_confirmed_at = ? "
            "where credit_id = ?",
            [actor, now, credit_id],
        )
        claim[f"{slot}_confirmed_at"] = now
        after = claim_status(claim)
        detail = json.dumps({"as": slot, "status": after, "deal_id": claim["deal_id"]})
        db.audit(cur, actor, "confirm_claim", "deal_credits", credit_id, detail)
        return after

    return _write(con, step)


def reject_claim(
    con: duckdb.DuckDBPyConnection, actor: str, credit_id: str, reason: str, now: datetime
) -> None:
    """The AE or the manager turns a claim down, with a reason the claimant will read."""
    reason = (reason or "").strip()
    if not reason:
        raise ContributionError("give the claimant a reason for the rejection")
    if len(reason) > MAX_REASON:
        raise ContributionError(f"keep the reason under {MAX_REASON} characters")

    def step(cur):
        claim = _claim(cur, credit_id)
        if claim_status(claim) == "rejected":
            return  # already rejected (double click): nothing to write
        if not capacities(cur, actor, claim):
            raise ContributionError(
                "only the deal's primary AE and the AE's manager can reject this claim"
            )
        cur.execute(
            "update deal_credits set rejected_by = ?, rejected_at = ?, rejected_reason = ? "
            "where credit_id = ?",
            [actor, now, reason, credit_id],
        )
        detail = json.dumps({"reason": reason, "deal_id": claim["deal_id"]})
        db.audit(cur, actor, "reject_claim", "deal_credits", credit_id, detail)

    _write(con, step)


# Kudos ---------------------------------------------------------------------------------


def give_kudos(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    to_rep: str,
    category: str,
    message: str,
    deal_id: str | None,
    plan: Plan,
    now: datetime,
) -> str:
    """Thank a teammate; the new kudos id back. The message is stored as typed (plain text)."""
    message = (message or "").strip()
    if to_rep == actor:
        raise ContributionError("kudos go to a teammate, not to yourself")
    if category not in KUDOS_CATEGORIES:
        raise ContributionError(f"category must be one of {', '.join(KUDOS_CATEGORIES)}")
    if not message:
        raise ContributionError("write a short message: what did they do?")
    if len(message) > MAX_MESSAGE:
        raise ContributionError(f"keep the message under {MAX_MESSAGE} characters")

    def step(cur):
        _person(cur, actor)
        _person(cur, to_rep)
        if deal_id:
            _deal(cur, deal_id)
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
        kudos_id = f"kudos:{uuid.uuid4().hex[:16]}"
        cur.execute(
            "insert into kudos (kudos_id, from_rep, to_rep, deal_id, category, message, given_at) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [kudos_id, actor, to_rep, deal_id or None, category, message, now],
        )
        detail = {"to": to_rep, "category": category, "deal_id": deal_id or None}
        db.audit(cur, actor, "give_kudos", "kudos", kudos_id, json.dumps(detail))
        return kudos_id

    return _write(con, step)


# Pools ---------------------------------------------------------------------------------


def split_to_cents(pool: Decimal, points: list[Decimal | float]) -> list[Decimal]:
    """Divide a pool in proportion to points, whole cents, adding up to the pool exactly.

    Largest remainder: everyone gets their share rounded down to the cent; the cents left
    over go one each to the largest remainders (ties: earlier member first). With no points
    at all the pool is divided equally. queries/pool_shares.sql does the same in SQL.
    """
    pool = Decimal(pool).quantize(CENT)
    if not points:
        return []
    weights = [Decimal(str(p)) for p in points]
    if any(w < 0 for w in weights):
        raise ValueError("points must not be negative")
    total = sum(weights)
    if total == 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [pool * w / total for w in weights]
    floors = [e.quantize(CENT, rounding=ROUND_FLOOR) for e in exact]
    left = int((pool - sum(floors)) / CENT)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += CENT
    return floors


# Board naming --------------------------------------------------------------------------


def present_board(
    board: pl.DataFrame, viewer_id: str, naming: str, hide_bottom_n: int
) -> pl.DataFrame:
    """What a viewer may see of a leaderboard (rank, rep, squad, value, you).

    named: everyone. anonymous: others become "#rank" and lose their rep_id; you keep your
    name. hide_bottom: the bottom N ranks are left out, except your own row. Done here,
    before anything reaches Streamlit, so no name is on screen, in a download or in the page.
    """
    board = board.sort("rank", "rep_id").with_columns(you=pl.col("rep_id") == viewer_id)
    if naming == "anonymous":
        board = board.with_columns(
            rep=pl.when(pl.col("you"))
            .then(pl.col("rep") + " (you)")
            .otherwise(pl.lit("#") + pl.col("rank").cast(pl.String)),
            rep_id=pl.when(pl.col("you")).then(pl.col("rep_id")).otherwise(pl.lit(None)),
        )
    elif naming == "hide_bottom" and hide_bottom_n > 0 and board.height:
        cutoff = board["rank"].max() - hide_bottom_n
        board = board.filter((pl.col("rank") <= cutoff) | pl.col("you"))
    return board.select("rank", "rep_id", "rep", "squad", "value", "you")
