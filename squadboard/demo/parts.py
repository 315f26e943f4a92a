"""Pieces of the demo organisation built after its deals: credits, kudos, weekly snapshots."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from squadboard.demo.cast import KUDOS_CATEGORIES, KUDOS_MESSAGES, OPEN_STAGES, stable_id


def credit_row(
    d: dict, rep_id: str, kind: str, pct: float, role: str, confirm: dict | None
) -> dict:
    row = {
        "credit_id": stable_id(d["deal_id"], rep_id, kind),
        "deal_id": d["deal_id"],
        "rep_id": rep_id,
        "credit_type": kind,
        "percent": float(pct),
        "deal_role": role,
        "note": None,
        "claimed_by": None,
        "claimed_at": None,
        "ae_confirmed_by": None,
        "ae_confirmed_at": None,
        "manager_confirmed_by": None,
        "manager_confirmed_at": None,
        "rejected_by": None,
        "rejected_at": None,
        "rejected_reason": None,
    }
    row.update(confirm or {})
    return row


def confirmations(rng, d, owner, claimant, by_id, today, current) -> dict:
    """Past quarters: settled. This quarter: some confirmed, some half-way, some pending."""
    claimed = datetime.combine(
        min(d["close_date"] + timedelta(days=1), today), datetime.min.time()
    ).replace(hour=10)
    manager = next(
        (p for p in by_id.values() if p.role == "manager" and p.squad == owner.squad), None
    )
    out = {
        "claimed_by": claimant.rep_id,
        "claimed_at": claimed,
        "note": f"{claimant.role} support on {d['account']}",
    }
    roll = rng.random()
    in_current = current.contains(d["close_date"])
    if not in_current or roll < 0.55:
        if not in_current and roll > 0.96:
            out.update(
                rejected_by=owner.rep_id,
                rejected_at=claimed + timedelta(days=1),
                rejected_reason="Not involved in this deal",
            )
            return out
        out.update(
            ae_confirmed_by=owner.rep_id,
            ae_confirmed_at=claimed + timedelta(hours=5),
            manager_confirmed_by=manager.rep_id if manager else None,
            manager_confirmed_at=claimed + timedelta(days=1, hours=2),
        )
    elif roll < 0.8:
        out.update(ae_confirmed_by=owner.rep_id, ae_confirmed_at=claimed + timedelta(hours=5))
    return out


def kudos_rows(rng, people, by_id, deals, start, today) -> list[dict]:
    givers = [p for p in people if p.squad is not None]
    won = [d for d in deals if d["status"] == "won"]
    out = []
    day = start
    while day <= today:
        for _ in range(rng.choices([0, 1, 2, 3], [2, 4, 3, 1])[0]):
            giver = rng.choice(givers)
            if rng.random() < 0.3:
                receiver = by_id["ana.souza"]
            elif rng.random() < 0.15:
                receiver = by_id["priya.raman"]
            else:
                receiver = rng.choice(givers)
            if receiver is giver:
                continue
            category = rng.choices(KUDOS_CATEGORIES, [3, 2, 2, 2, 1])[0]
            if receiver.rep_id == "ana.souza":
                category = rng.choice(["helped close", "mentoring", "jumped on a call"])
            deal = rng.choice(won) if rng.random() < 0.4 and won else None
            acct = deal["account"] if deal else "that account"
            message = rng.choice(KUDOS_MESSAGES[category]).format(acct=acct)
            at = datetime.combine(day, datetime.min.time()).replace(
                hour=rng.randint(8, 18), minute=rng.randrange(60)
            )
            out.append(
                {
                    "kudos_id": stable_id("k", len(out), giver.rep_id, receiver.rep_id, at),
                    "from_rep": giver.rep_id,
                    "to_rep": receiver.rep_id,
                    "deal_id": deal["deal_id"] if deal else None,
                    "category": category,
                    "message": message,
                    "given_at": at,
                }
            )
        day += timedelta(days=1)
    return out


def snapshot_rows(deals: list[dict], start: date, today: date) -> pl.DataFrame:
    """Open pipeline every Monday: a deal is open from its creation until it closed."""
    rows = []
    monday = start - timedelta(days=start.weekday())
    while monday <= today:
        for d in deals:
            closed_before = d["status"] != "open" and d["close_date"] <= monday
            if d["created_date"] > monday or closed_before:
                continue
            if d["status"] == "open":
                stage, prob = d["stage"], d["probability"]
            else:  # reconstruct how far along the deal was that week
                life = max((d["close_date"] - d["created_date"]).days, 1)
                progress = (monday - d["created_date"]).days / life
                stage, prob = OPEN_STAGES[
                    min(int(progress * len(OPEN_STAGES)), len(OPEN_STAGES) - 1)
                ]
            rows.append(
                (monday, d["deal_id"], d["owner_id"], stage, d["amount"], prob, d["close_date"])
            )
        monday += timedelta(days=7)
    return pl.DataFrame(
        rows,
        schema=[
            "snapshot_date",
            "deal_id",
            "owner_id",
            "stage",
            "amount",
            "probability",
            "close_date",
        ],
        orient="row",
    )
