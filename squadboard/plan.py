"""Plan settings (names, types, defaults) and the payout rule.

Settings are stored as text in the plan_settings table; this module is the one place that
knows what each means. A missing row means the default.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

import duckdb

from squadboard import db


@dataclass(frozen=True)
class Plan:
    team_weight: float = 0.60  # share of the bonus paid on squad attainment
    personal_weight: float = 0.40  # share paid on personal (stretch) attainment
    threshold: float = 0.50  # below this attainment a component pays nothing
    accelerator: float = 1.5  # each point above 100 % pays this many points
    cap: float = 2.0  # payout factor never exceeds this
    target_bonus: float = 10_000.0  # per rep per quarter, at 100 % on both components
    fiscal_year_start_month: int = 1
    board_naming: str = "named"  # named | anonymous | hide_bottom
    hide_bottom_n: int = 3

    def validate(self) -> list[str]:
        problems = []
        if abs(self.team_weight + self.personal_weight - 1.0) > 1e-9:
            problems.append("team and personal weights must add up to 1 (100 %)")
        if not 0 <= self.threshold <= 1:
            problems.append("threshold must be between 0 and 1")
        if self.accelerator < 0:
            problems.append("accelerator must not be negative")
        if self.cap < 1:
            problems.append("cap must be at least 1 (100 %)")
        if self.target_bonus < 0:
            problems.append("target bonus must not be negative")
        if not 1 <= self.fiscal_year_start_month <= 12:
            problems.append("fiscal year start month must be 1..12")
        if self.board_naming not in ("named", "anonymous", "hide_bottom"):
            problems.append("board naming must be named, anonymous or hide_bottom")
        if self.hide_bottom_n < 0:
            problems.append("hide bottom N must not be negative")
        return problems


def payout_factor(attainment: float | None, plan: Plan) -> float:
    """f(attainment): 0 below the threshold, linear to 100 %, accelerated above, capped."""
    if attainment is None or attainment < plan.threshold:
        return 0.0
    if attainment <= 1.0:
        return attainment
    return min(1.0 + (attainment - 1.0) * plan.accelerator, plan.cap)


def payout_estimate(
    squad_attainment: float | None, personal_attainment: float | None, plan: Plan
) -> float:
    """Target bonus × (w_team × f(squad) + w_personal × f(personal))."""
    return plan.target_bonus * (
        plan.team_weight * payout_factor(squad_attainment, plan)
        + plan.personal_weight * payout_factor(personal_attainment, plan)
    )


def load(con: duckdb.DuckDBPyConnection) -> Plan:
    cur = con.cursor()
    stored = dict(cur.execute("select key, value from plan_settings").fetchall())
    values = {}
    for f in fields(Plan):
        if f.name in stored:
            values[f.name] = type(f.default)(json.loads(stored[f.name]))
    return Plan(**values)


def save(con: duckdb.DuckDBPyConnection, plan: Plan, actor: str) -> None:
    problems = plan.validate()
    if problems:
        raise ValueError("; ".join(problems))
    with db.transaction(con) as cur:
        for key, value in asdict(plan).items():
            cur.execute(
                "insert or replace into plan_settings values (?, ?)", [key, json.dumps(value)]
            )
        db.audit(cur, actor, "save_plan", "plan_settings", None, json.dumps(asdict(plan)))
