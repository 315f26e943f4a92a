"""Pacing, payout and what-if rules in Python, mirroring the SQL in schema.sql.

The named queries compute every figure on screen; this module holds what is easier in
Python: the pace rules for a figure the page changes (a what-if), and the blended payout.
The SQL macros plan_elapsed / days_left / pace_status and these functions must agree;
tests/test_metrics.py checks them against each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from squadboard import periods
from squadboard.plan import Plan, payout_estimate

AHEAD = 1.0  # pace at or above: ahead
ON_TRACK = 0.9  # pace at or above: on track; below: behind


def business_days(start: date, end: date) -> int:
    """Mon-Fri days in [start, end), as the SQL macro business_days."""
    days = max((end - start).days, 0)
    rest = sum(1 for k in range(days % 7) if (start + timedelta(days=k)).weekday() < 5)
    return days // 7 * 5 + rest


def elapsed(period: periods.Period, as_of: date, basis: str = "days") -> float:
    """The elapsed fraction on the plan's pace basis, as the SQL macro plan_elapsed."""
    total = business_days(period.start, period.end)
    if basis != "business_days" or total == 0:
        return periods.elapsed_fraction(period, as_of)
    upto = min(max(as_of + timedelta(days=1), period.start), period.end)
    return business_days(period.start, upto) / total


def attainment(credited: float, quota: float | None) -> float | None:
    """credited ÷ quota; None without a (non-zero) quota."""
    if quota is None or quota == 0:
        return None
    return float(credited) / float(quota)


def pace(attainment_: float | None, elapsed: float) -> float | None:
    """attainment ÷ elapsed fraction; None before the period or without attainment."""
    if attainment_ is None or elapsed == 0:
        return None
    return attainment_ / elapsed


def status(pace_: float | None) -> str | None:
    if pace_ is None:
        return None
    if pace_ >= AHEAD:
        return "ahead"
    return "on track" if pace_ >= ON_TRACK else "behind"


def expected_to_date(
    quota: float | None, period: periods.Period, as_of: date, basis: str = "days"
) -> float | None:
    return None if quota is None else float(quota) * elapsed(period, as_of, basis)


def needed_per_week(
    quota: float | None, credited: float, period: periods.Period, as_of: date
) -> float | None:
    """max(0, quota − credited) ÷ weeks left; None without a quota or when no day is left."""
    if quota is None:
        return None
    left = float(quota) - float(credited)
    if left <= 0:
        return 0.0
    days = periods.days_left(period, as_of)
    return None if days == 0 else left / (days / 7)


def payout(
    squad_attainment: float | None,
    personal_attainment: float | None,
    plan: Plan,
    period: periods.Period,
) -> float:
    """The blended payout estimate; the target bonus is per quarter, so a month earns a third."""
    share = 1.0 if period.kind == "quarter" else 1 / 3
    return payout_estimate(squad_attainment, personal_attainment, plan) * share


def payouts(
    reps: pl.DataFrame, squads: pl.DataFrame, plan: Plan, period: periods.Period
) -> pl.DataFrame:
    """rep_attainment rows with squad_attainment and payout added (squad of the row)."""
    squad_att = dict(zip(squads["squad_id"].to_list(), squads["attainment"].to_list(), strict=True))
    values = [
        payout(squad_att.get(row["squad_id"]), row["attainment"], plan, period)
        for row in reps.iter_rows(named=True)
    ]
    return reps.with_columns(
        pl.Series("squad_attainment", [squad_att.get(s) for s in reps["squad_id"]], pl.Float64),
        pl.Series("payout", values, pl.Float64),
    )


@dataclass(frozen=True)
class Outlook:
    """One side of a what-if: the squad's and my figures, and my payout."""

    squad_credited: float
    squad_attainment: float | None
    squad_status: str | None
    my_credited: float
    my_attainment: float | None
    my_status: str | None
    payout: float


def outlook(
    squad: dict | None,
    me: dict,
    plan: Plan,
    period: periods.Period,
    as_of: date,
    extra: float = 0.0,
) -> Outlook:
    """Figures after closing one more deal of `extra` credited wholly to me in my squad.

    `squad` is my squad_attainment row (None when I have no squad), `me` my rep_attainment row.
    """
    if extra < 0:
        raise ValueError("a deal amount cannot be negative")
    done = elapsed(period, as_of, plan.pace_basis)
    squad_credited = float(squad["credited"]) + extra if squad else 0.0
    squad_att = attainment(squad_credited, squad["quota"]) if squad else None
    my_credited = float(me["credited"]) + extra
    my_att = attainment(my_credited, me["stretch_target"])
    return Outlook(
        squad_credited=squad_credited,
        squad_attainment=squad_att,
        squad_status=status(pace(squad_att, done)),
        my_credited=my_credited,
        my_attainment=my_att,
        my_status=status(pace(my_att, done)),
        payout=payout(squad_att, my_att, plan, period),
    )


def place_in_squad(reps: pl.DataFrame, rep_id: str) -> tuple[int, int] | None:
    """(rank by credited revenue, squad size) among the rep's squad in rep_attainment rows."""
    mine = reps.filter(pl.col("rep_id") == rep_id)
    if mine.is_empty() or mine["squad_id"][0] is None:
        return None
    squad = reps.filter(pl.col("squad_id") == mine["squad_id"][0])
    credited = float(mine["credited"][0])
    ahead = squad.filter(pl.col("credited").cast(pl.Float64) > credited).height
    return ahead + 1, squad.height


def mark_managers(reps: pl.DataFrame) -> pl.DataFrame:
    """rep_attainment rows for a rep table: a squad manager's name says so (issue #17; the
    query keeps a manager only when they own deals in the period)."""
    if "manages_squad" not in reps.columns:
        return reps
    return reps.with_columns(
        pl.when(pl.col("manages_squad"))
        .then(pl.col("rep") + " · manages a squad")
        .otherwise(pl.col("rep"))
        .alias("rep")
    )


MAX_WHAT_IF = 1_000_000_000  # a typo guard, as goals.MAX_GOAL


def what_if_problem(amount: float | None) -> str | None:
    """What is wrong with a what-if deal amount, in words; None when it can be used."""
    if amount is None or amount != amount or amount in (float("inf"), float("-inf")):
        return "Type the deal's amount in dollars."
    if amount < 0:
        return "A deal amount cannot be negative: type 0 or more."
    if amount > MAX_WHAT_IF:
        return f"A deal amount above ${MAX_WHAT_IF:,} is surely a typo: check the amount."
    return None
