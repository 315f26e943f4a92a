"""Plan settings (names, types, defaults) and the payout rule.

Settings are stored as text in the plan_settings table; this module is the one place that
knows what each means. A missing row means the default.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

import duckdb

from squadboard import db, facts
from squadboard.auth import Viewer

SQUAD_CREDIT_RULES = ("rep_squad", "deal_team")


@dataclass(frozen=True)
class Plan:
    team_weight: float = 0.60  # share of the bonus paid on squad attainment
    personal_weight: float = 0.40  # share paid on personal (stretch) attainment
    threshold: float = 0.50  # below this attainment a component pays nothing
    accelerator: float = 1.5  # each point above 100 % pays this many points
    cap: float = 2.0  # payout factor never exceeds this
    target_bonus: float = 10_000.0  # per rep per quarter, at 100 % on both components
    fiscal_year_start_month: int = 1
    # Elapsed fraction for pace and expected-to-date: calendar "days" or Mon-Fri
    # "business_days" (the pace_basis / plan_elapsed macros in schema.sql read this key).
    pace_basis: str = "days"
    board_naming: str = "named"  # named | anonymous | hide_bottom
    hide_bottom_n: int = 3
    # Contribution (issue #5): activity points per kind; queries/leaderboard.sql and
    # queries/pool_shares.sql read these keys with the same defaults.
    weight_call: float = 1.0
    weight_email: float = 0.5
    weight_meeting: float = 2.0
    weight_demo: float = 3.0
    weight_solution_doc: float = 3.0
    # Composite contribution score: weights of each board, normalised to the board's best.
    contribution_credited: float = 0.30
    contribution_assists: float = 0.20
    contribution_overlay: float = 0.10
    contribution_activity: float = 0.20
    contribution_kudos: float = 0.20
    # Standard overlay percentages (percentage points of the deal amount) per claim role.
    overlay_pct_se: float = 10.0
    overlay_pct_csm: float = 5.0
    overlay_pct_specialist: float = 5.0
    overlay_pct_helper: float = 5.0
    # Deal-pod pool: "percent" of the won amount, or a fixed "band" amount by deal size.
    pool_rule: str = "percent"
    pool_percent: float = 2.0
    pool_band_edges: str = "25000,75000"  # amounts at which the next band starts
    pool_band_amounts: str = "250,750,1500"  # one more amount than edges
    pool_kudos_points: float = 2.0  # peer validation: points per kudos tied to the deal
    kudos_daily_limit: int = 5
    # Territory crediting (issue #17): which squad a won deal counts for. "rep_squad": the
    # rep's squad on the close date; "deal_team": the squad named on the deal, when it names
    # one (facts.sql reads this key through the squad_credit_rule() macro).
    squad_credit_rule: str = "rep_squad"
    # Find a mentor (issue #13): the fewest closed deals in a skill cell before a win rate
    # there counts (seeker's weak cells and every suggested mentor), and the weight of the
    # mentoring board in the contribution score (0 until a leader gives it one).
    mentor_min_deals: int = 10
    contribution_mentoring: float = 0.0
    # Weekly meeting (issue #14): a deal is stalled after stall_factor x the org's median days
    # in its stage; a large deal is stale after stale_days without a change.
    stall_factor: float = 2.0
    stale_days: int = 21
    # Mastermind (issue #15): weight of the mastermind board in the contribution score. 0 by
    # default so that existing plans keep adding up to 1; give it weight by taking some from
    # another contribution_* weight.
    contribution_mastermind: float = 0.0

    def validate(self) -> list[str]:
        problems = []
        if abs(self.team_weight + self.personal_weight - 1.0) > 1e-9:
            problems.append("team and personal weights must add up to 100%")
        if not 0 <= self.threshold <= 1:
            problems.append("threshold must be between 0% and 100%")
        if self.accelerator < 0:
            problems.append("accelerator must not be negative")
        if self.cap < 1:
            problems.append("cap must be at least 100%")
        if self.target_bonus < 0:
            problems.append("target bonus must not be negative")
        if not 1 <= self.fiscal_year_start_month <= 12:
            problems.append("fiscal year start month must be 1..12")
        if self.pace_basis not in ("days", "business_days"):
            problems.append("pace basis must be days or business_days")
        if self.board_naming not in ("named", "anonymous", "hide_bottom"):
            problems.append("board naming must be named, anonymous or hide_bottom")
        if self.hide_bottom_n < 0:
            problems.append("hide bottom N must not be negative")
        problems.extend(contribution_problems(self))
        if self.squad_credit_rule not in SQUAD_CREDIT_RULES:
            problems.append("squad credit rule must be rep_squad or deal_team")
        if self.mentor_min_deals < 1:
            problems.append("mentor minimum deals must be at least 1")
        problems.extend(meeting_problems(self))
        return problems


def contribution_problems(plan: Plan) -> list[str]:
    """Checks of the contribution settings (leaderboards, overlay table, pools, kudos)."""
    problems = []
    weights = [getattr(plan, f.name) for f in fields(plan) if f.name.startswith("weight_")]
    if any(w < 0 for w in weights):
        problems.append("activity weights must not be negative")
    composite = [getattr(plan, f.name) for f in fields(plan) if f.name.startswith("contribution_")]
    if any(w < 0 for w in composite) or abs(sum(composite) - 1.0) > 1e-9:
        problems.append("contribution weights must not be negative and must add up to 100%")
    overlay = [getattr(plan, f.name) for f in fields(plan) if f.name.startswith("overlay_pct_")]
    if any(not 0 < p <= 100 for p in overlay):
        problems.append("standard overlay percentages must be above 0 and at most 100")
    if plan.pool_rule not in ("percent", "band"):
        problems.append("pool rule must be percent or band")
    if not 0 <= plan.pool_percent <= 100:
        problems.append("pool percent must be between 0 and 100")
    try:
        edges = [float(x) for x in plan.pool_band_edges.split(",") if x.strip()]
        amounts = [float(x) for x in plan.pool_band_amounts.split(",") if x.strip()]
        if edges != sorted(set(edges)) or len(amounts) != len(edges) + 1 or min(amounts) < 0:
            raise ValueError
    except ValueError:
        problems.append("pool bands: ascending edges and one more non-negative amount than edges")
    if plan.pool_kudos_points < 0:
        problems.append("pool kudos points must not be negative")
    if plan.kudos_daily_limit < 1:
        problems.append("kudos daily limit must be at least 1")
    return problems


def meeting_problems(plan: Plan) -> list[str]:
    """Checks of the weekly meeting settings."""
    problems = []
    if plan.stall_factor <= 0:
        problems.append("stall factor must be above 0")
    if plan.stale_days < 1:
        problems.append("stale days must be at least 1")
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


class PlanPermissionError(PermissionError):
    """Someone other than an admin tried to change the plan settings."""


def save(con: duckdb.DuckDBPyConnection, plan: Plan, viewer: Viewer) -> None:
    """Write the whole plan with an audit entry. Only an admin may: the settings change every
    rep's payout. Checked here, whatever page or script calls this."""
    if not isinstance(viewer, Viewer) or not viewer.is_admin:
        raise PlanPermissionError("only an admin may change the plan settings")
    actor = viewer.rep_id
    problems = plan.validate()
    if problems:
        raise ValueError("; ".join(problems))
    rule_before = load(con).squad_credit_rule
    with db.transaction(con) as cur:
        for key, value in asdict(plan).items():
            db.upsert(cur, "plan_settings", {"key": key}, {"value": json.dumps(value)})
        if plan.squad_credit_rule != rule_before:
            facts.refresh(cur)  # every credit's squad follows the new rule
        db.audit(cur, actor, "save_plan", "plan_settings", None, json.dumps(asdict(plan)))
