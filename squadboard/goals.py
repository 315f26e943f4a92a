"""Self-set goals: a rep writes their own goal for the current or next period.

The write checks who is asking (a rep sets only their own goal) and which period (the
current or the next one), whatever the page offered; every write is in the audit log.
"""

from __future__ import annotations

import json
import math
from datetime import date

import duckdb

from squadboard import db, periods, store

MAX_GOAL = 1_000_000_000  # a typo guard, not a policy


class GoalError(ValueError):
    """A goal that may not be written, with what to fix."""


def open_periods(today: date, kind: str, fy_start_month: int = 1) -> list[periods.Period]:
    """The periods a goal may be set for: the current one and the next one."""
    current = (
        periods.quarter_of(today, fy_start_month) if kind == "quarter" else periods.month_of(today)
    )
    return [current, current.next(fy_start_month)]


@store.retrying  # on a shared store: again when another write to quotas won a race
def set_goal(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    rep_id: str,
    period: periods.Period,
    amount: object,
    *,
    today: date,
    fy_start_month: int = 1,
) -> float | None:
    """Write `rep_id`'s goal for `period` as `actor`; the previous goal (or None) back."""
    if actor != rep_id:
        raise GoalError("you can set only your own goal")
    if period not in open_periods(today, period.kind, fy_start_month):
        raise GoalError(f"goals can be set for the current or the next period, not {period.label}")
    try:
        value = float(amount)
    except (TypeError, ValueError):
        raise GoalError(f"the goal must be an amount, got {amount!r}") from None
    if not math.isfinite(value) or value < 0 or value > MAX_GOAL:
        raise GoalError(f"the goal must be between 0 and {MAX_GOAL:,}")
    with db.transaction(con, "goals") as cur:
        if not cur.execute("select count(*) from reps where rep_id = ?", [rep_id]).fetchone()[0]:
            raise GoalError(f"{rep_id!r} is not in the roster")
        key = ["rep_goal", rep_id, period.start, period.end]
        row = cur.execute(
            "select amount from quotas where kind = ? and owner_id = ? "
            "and period_start = ? and period_end = ?",
            key,
        ).fetchone()
        previous = float(row[0]) if row else None
        db.upsert(
            cur,
            "quotas",
            dict(zip(("kind", "owner_id", "period_start", "period_end"), key, strict=True)),
            {
                "amount": round(value, 2),
                "set_by": actor,
                "set_at": cur.sql("select now()::timestamp").fetchone()[0],
            },
        )
        detail = {"period": period.label, "amount": round(value, 2), "previous": previous}
        db.audit(
            cur,
            actor,
            "set_goal",
            "quotas",
            f"rep_goal:{rep_id}:{period.label}",
            json.dumps(detail),
        )
    return previous
