"""Overlay credit claims with two-person confirmation.

A claim is an overlay row in deal_credits. It moves pending -> half-confirmed -> confirmed as
the deal's primary AE and the AE's manager confirm it (either order); either of them can
reject it with a reason instead. Only confirmed claims count anywhere (the confirmed_overlay
view). Every step is one transaction that re-reads the claim first, so a double click or a
second browser tab finds the step already done and writes nothing; every step is audited.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import duckdb

from squadboard import db, facts
from squadboard.contribution import (
    ContributionError,
    active_person,
    deal_row,
    fetch_one,
    write_step,
)
from squadboard.plan import Plan

CLAIM_ROLES = ("SE", "CSM", "specialist", "helper")
MAX_NOTE = 500
MAX_REASON = 300


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
        active_person(cur, actor)
        deal = deal_row(cur, deal_id)
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
        facts.refresh_deal(cur, deal_id)
        db.audit(cur, actor, "file_claim", "deal_credits", credit_id, json.dumps(detail))
        return credit_id

    return write_step(con, step)


def _claim(cur: duckdb.DuckDBPyConnection, credit_id: str) -> dict:
    claim = fetch_one(
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
    deal = deal_row(cur, claim["deal_id"])
    person = active_person(cur, actor)
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
        facts.refresh_deal(cur, claim["deal_id"])
        db.audit(cur, actor, "confirm_claim", "deal_credits", credit_id, detail)
        return after

    return write_step(con, step)


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
        facts.refresh_deal(cur, claim["deal_id"])
        db.audit(cur, actor, "reject_claim", "deal_credits", credit_id, detail)

    write_step(con, step)
