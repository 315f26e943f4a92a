"""The weekly meeting: frozen weeks, the pipeline bridge's categories, deals that need help.

A week runs Monday to Sunday. Once it has ended, the open pipeline at its end is frozen into
meeting_week_deals: from the last pipeline snapshot taken in the week, or carried forward
from the latest one before it when nothing was imported that week. Frozen rows are written once and never
rewritten: a later import that corrects the past changes the snapshots, so the correction shows
in the next week's bridge (its end against this week's frozen end), never in this one.

Weeks are frozen by `freeze`, which every import runs first (the weeks that ended before its
day), the demo and the benchmark run after loading, and the meeting page runs when it opens
(the weeks that ended before today). Action items are in squadboard/meeting_actions.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from squadboard import db, periods
from squadboard.plan import Plan

# The bridge's rows, in order, with what each means (the page's help and docs/meeting.md).
CATEGORIES: dict[str, tuple[str, str]] = {
    "start": ("Start", "open pipeline at the end of the week before (its frozen end)"),
    "new": ("New", "not open anywhere at the start: created or first imported this week"),
    "pulled_in": ("Pulled in", "was open with a close date outside the quarter, now inside"),
    "moved_in": ("Moved in", "was in another squad's pipeline: the owner changed squad"),
    "grown": ("Grown", "in scope at both ends, amount went up (the increase)"),
    "shrunk": ("Shrunk", "in scope at both ends, amount went down (the decrease)"),
    "moved_out": ("Moved out", "now in another squad's pipeline: the owner changed squad"),
    "pushed_out": (
        "Pushed out",
        "close date moved past the quarter (its start amount, even if the amount changed)",
    ),
    "won": ("Won", "closed won this week (its start amount leaves the pipeline)"),
    "lost": ("Lost", "closed lost this week"),
    "removed": (
        "Removed",
        "no longer in the export, or left the quarter another way "
        "(close date cleared or moved before the quarter)",
    ),
    "end": ("End", "open pipeline at the end of this week (its frozen end)"),
}
CHANGES = [c for c in CATEGORIES if c not in ("start", "end")]
PRECEDENCE = ["won", "lost", "removed", "pushed_out", "pulled_in", "moved_in", "moved_out", "new"]

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class MeetingError(ValueError):
    """A meeting write or link the rules refuse; the message says what to fix."""


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> date:
    """`2026-W47` (ISO week) to its Monday; MeetingError saying what is accepted otherwise."""
    m = _WEEK.match((text or "").strip())
    if m:
        try:
            return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            pass
    raise MeetingError(f"not a week: {text!r}; use an ISO week like 2026-W47")


def quarter_of_week(monday: date, fy_start_month: int = 1) -> periods.Period:
    """The fiscal quarter of a week: the one containing its Thursday (SQL:
    meeting_quarter_start in schema.sql)."""
    return periods.quarter_of(monday + timedelta(days=3), fy_start_month)


def _fy_start(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.execute(
        "select value from plan_settings where key = 'fiscal_year_start_month'"
    ).fetchone()
    return int(json.loads(row[0])) if row else 1


@dataclass(frozen=True)
class Link:
    """What a link (`?week=2026-W47&squad=orcas&section=2&present=1`) opens, and a message for
    each value it had to ignore."""

    week: str  # a Monday, ISO
    squad: str
    section: int
    present: bool | None
    notes: list[str]


def read_link(
    params: dict[str, str], weeks: list[str], squads: list[str], sections: list[int]
) -> Link:
    """The week, squad and section a link asks for, among those offered (the first of each
    otherwise); a value that is not offered is ignored with a note saying so."""
    notes = []
    week, squad, section, present = weeks[0], squads[0], sections[0], None
    if (asked := params.get("week")) is not None:
        try:
            monday = parse_week(asked).isoformat()
            if monday in weeks:
                week = monday
            else:
                notes.append(f"Ignored the link's week {asked!r}: it is not a frozen week.")
        except MeetingError as exc:
            notes.append(f"Ignored the link's week: {exc}.")
    if (asked := params.get("squad")) is not None:
        if asked in squads:
            squad = asked
        else:
            notes.append(f"Ignored the link's squad {asked!r}: not a squad you can open here.")
    if (asked := params.get("section")) is not None:
        if asked.strip().isdigit() and int(asked) in sections:
            section = int(asked)
        else:
            numbers = ", ".join(map(str, sections))
            notes.append(f"Ignored the link's section {asked!r}: use one of {numbers}.")
    if (asked := params.get("present")) is not None:
        if asked in ("1", "0"):
            present = asked == "1"
        else:
            notes.append(f"Ignored the link's present {asked!r}: use 1 (wall screen) or 0.")
    return Link(week, squad, section, present, notes)


# Freezing ----------------------------------------------------------------------------------

# Many weeks at once, set-based: the snapshots, the deals and the memberships are read once
# per run of weeks, not once per week (52 weeks at 5,000,000 deals took minutes one by one).
# $mondays / $sources: the weeks to freeze (consecutive Mondays) and the snapshot day each one's
# end is from. Each week's rows are those the week-by-week rule gives against the week before's
# frozen end: a deal's name is read when it is first seen in a run of weeks open, its stage_since
# / last_change is the first week of the run with the same stage / the same stage, amount, close
# date and owner, its pushes count every later close date since it was last not open; a deal
# open at the week before's end and not at this one's is won, lost or removed.
_FREEZE_WEEKS = """
insert into meeting_week_deals
with weeks as (
    select
        unnest(range(1, len($mondays) + 1)) as i,
        unnest($mondays)::date as monday,
        unnest($sources)::date as source
),

-- the week before the first: its frozen open deals (none when it is not frozen)
base as (
    select * from meeting_week_deals
    where week_start = $first - 7 and status = 'open'
),

snaps as (
    select w.i, w.monday, w.source, s.*
    from pipeline_snapshots as s
    inner join weeks as w on w.source = s.snapshot_date
),

owners as (
    select distinct s.i, s.monday, s.owner_id from snaps as s
),

squad_of as (
    select o.i, o.owner_id, m.squad_id
    from owners as o
    inner join squad_membership_days as m
        on m.rep_id = o.owner_id and o.monday + 6 >= m.valid_from and o.monday + 6 < m.valid_to
),

states as (
    select
        0 as i, deal_id, owner_id, squad_id, stage, amount, probability, close_date,
        deal, account, stage_since, pushes, last_change
    from base
    union all
    select
        s.i, s.deal_id, s.owner_id, q.squad_id, s.stage, s.amount, s.probability, s.close_date,
        null, null, null, null, null
    from snaps as s
    left join squad_of as q on q.i = s.i and q.owner_id = s.owner_id
),

-- Three passes over each deal's weeks in order: the week before's state; what carries
-- forward (a value set where a run starts, read back as the last one set); the pushes.
linked as (
    select
        s.*,
        coalesce(lag(s.i) over d = s.i - 1, false) as has_prev,
        lag(s.stage) over d as prev_stage,
        lag(s.amount) over d as prev_amount,
        lag(s.close_date) over d as prev_close,
        lag(s.owner_id) over d as prev_owner,
        lead(s.i) over d as next_i
    from states as s
    window d as (partition by s.deal_id order by s.i)
),

flagged as (
    select
        l.*,
        l.i = 0 or not l.has_prev as run_start,
        l.i = 0 or not l.has_prev or l.prev_stage is distinct from l.stage as stage_start,
        l.i = 0 or not l.has_prev
            or l.prev_stage is distinct from l.stage
            or l.prev_amount is distinct from l.amount
            or l.prev_close is distinct from l.close_date
            or l.prev_owner is distinct from l.owner_id as change_start,
        (l.i > 0 and l.has_prev and coalesce(l.close_date > l.prev_close, false))::integer
            as pushed,
        w.source
    from linked as l
    left join weeks as w on w.i = l.i
),

-- names of deals first seen open in the run, read once
fresh as (
    select deal_id, name, account from deals
    where deal_id in (select deal_id from flagged where run_start and i > 0)
),

carried as (
    select
        f.i, f.deal_id, f.owner_id, f.squad_id, f.stage, f.amount, f.probability, f.close_date,
        f.has_prev, f.prev_stage, f.next_i, f.run_start, f.source,
        f.pushes as base_pushes,
        last_value(
            case
                when f.run_start and f.i = 0 then {'deal': f.deal, 'account': f.account}
                when f.run_start then {'deal': n.name, 'account': n.account}
            end ignore nulls
        ) over upto as names,
        last_value(
            case when f.stage_start then coalesce(f.stage_since, f.source) end ignore nulls
        ) over upto as stage_since,
        last_value(
            case when f.stage_start then coalesce(f.stage_since, f.source) end ignore nulls
        ) over (d rows between unbounded preceding and 1 preceding) as prev_stage_since,
        last_value(
            case when f.change_start then coalesce(f.last_change, f.source) end ignore nulls
        ) over upto as last_change,
        sum(f.pushed) over upto as pushed_so_far
    from flagged as f
    -- the condition on f folded into the key: an equality alone is a hash join (DuckDB 1.5.5
    -- made `n.deal_id = f.deal_id and f.run_start and f.i > 0` a nested loop: 30+ minutes)
    left join fresh as n
        on n.deal_id = case when f.run_start and f.i > 0 then f.deal_id end
    window
        d as (partition by f.deal_id order by f.i),
        upto as (d rows unbounded preceding)
),

chained as (
    select
        c.* exclude (names),
        c.names.deal as deal,
        c.names.account as account,
        (
            last_value(
                case when c.run_start then coalesce(c.base_pushes, 0) - c.pushed_so_far end
                    ignore nulls
            ) over (partition by c.deal_id order by c.i rows unbounded preceding)
            + c.pushed_so_far
        )::integer as pushes
    from carried as c
),

opened as (
    select
        w.monday as week_start,
        c.deal_id,
        'open' as status,
        c.owner_id,
        c.squad_id,
        c.stage,
        c.amount,
        c.probability,
        c.close_date,
        c.deal,
        c.account,
        c.stage_since,
        c.pushes,
        c.last_change,
        case when c.has_prev and c.prev_stage is distinct from c.stage then c.prev_stage end
            as ended_stage,
        case
            when c.has_prev and c.prev_stage is distinct from c.stage
                then date_diff('day', c.prev_stage_since, w.source)
        end as ended_stage_days
    from chained as c
    inner join weeks as w on w.i = c.i
),

-- open at a week's end and not at the next one's: gone that next week
left_open as (
    select c.* exclude (source), w.monday, w.source
    from chained as c
    inner join weeks as w on w.i = c.i + 1
    where c.next_i is null or c.next_i > c.i + 1
),

outcome as (
    select deal_id, status, stage, amount, close_date, name, account from deals
    where deal_id in (select deal_id from left_open)
),

gone as (
    select
        b.monday as week_start,
        b.deal_id,
        case when d.status in ('won', 'lost') then d.status else 'removed' end as status,
        b.owner_id,
        b.squad_id,
        case when d.status in ('won', 'lost') then d.stage else b.stage end as stage,
        case when d.status in ('won', 'lost') then d.amount else b.amount end as amount,
        b.probability,
        case when d.status in ('won', 'lost') then d.close_date else b.close_date end,
        coalesce(b.deal, d.name),
        coalesce(b.account, d.account),
        b.stage_since,
        b.pushes,
        b.source as last_change,
        b.stage as ended_stage,
        date_diff('day', b.stage_since, b.source) as ended_stage_days
    from left_open as b
    left join outcome as d on d.deal_id = b.deal_id
)

select * from opened
union all
select * from gone
order by week_start, deal_id
"""
# Weeks frozen by one statement: a bound on the rows it holds in memory at once.
FREEZE_CHUNK = 13

_STANDINGS = """
insert into meeting_week_squads
with quota as (
    select owner_id as squad_id, quota from quota_in_period('squad_base', $qs, $qe)
),

credits as (
    select
        squad_id,
        sum(amount) filter (where close_date <= $sunday) as credited,
        sum(amount) filter (where close_date <= $sunday - 7) as credited_week_ago
    from credited_revenue
    where close_date >= $qs and close_date < $qe
    group by squad_id
),

measured as (
    select
        s.squad_id,
        q.quota,
        coalesce(c.credited, 0)::decimal(18, 2) as credited,
        coalesce(c.credited_week_ago, 0)::decimal(18, 2) as credited_week_ago,
        plan_elapsed($qs, $qe, $sunday) as elapsed
    from squads as s
    left join quota as q on q.squad_id = s.squad_id
    left join credits as c on c.squad_id = s.squad_id
)

select
    $monday,
    squad_id,
    $label,
    quota,
    credited,
    credited_week_ago,
    (credited / nullif(quota, 0))::double as attainment,
    (credited_week_ago / nullif(quota, 0))::double as attainment_week_ago,
    (credited / nullif(quota, 0) / nullif(elapsed, 0))::double as pace,
    pace_status(credited / nullif(quota, 0) / nullif(elapsed, 0)) as status
from measured
"""


def weeks_to_freeze(cur: duckdb.DuckDBPyConnection, through: date) -> list[date]:
    """The Mondays of the weeks that ended before `through` and are not frozen yet: from the
    week of the first snapshot (or the week after the last frozen one) on."""
    last = cur.execute("select max(week_start) from meeting_weeks").fetchone()[0]
    if last is not None:
        first = last + timedelta(days=7)
    else:
        day = cur.execute("select min(snapshot_date) from pipeline_snapshots").fetchone()[0]
        if day is None:
            return []
        first = monday_of(day)
    out = []
    while first + timedelta(days=6) < through:
        out.append(first)
        first += timedelta(days=7)
    return out


def freeze(
    cur: duckdb.DuckDBPyConnection, through: date, actor: str = "system", *, audit: bool = True
) -> list[date]:
    """Freeze every week that ended before `through` (in the caller's transaction); the
    Mondays frozen back. A frozen week is never frozen again. `audit=False` only where the
    whole database is being built (the benchmark's deterministic organisation)."""
    weeks = weeks_to_freeze(cur, through)
    if not weeks:
        return []
    fy = _fy_start(cur)
    days = sorted(
        r[0]
        for r in cur.execute(
            "select distinct snapshot_date from pipeline_snapshots where snapshot_date <= ?",
            [weeks[-1] + timedelta(days=6)],
        ).fetchall()
    )
    # The last snapshot in each week; none in it: the latest before it (carried forward).
    # A week with no snapshot up to its end is not frozen (nothing imported up to it yet).
    ends = {}
    for monday in weeks:
        as_of = max((d for d in days if d <= monday + timedelta(days=6)), default=None)
        if as_of is not None:
            ends[monday] = as_of
    frozen = list(ends)
    for at in range(0, len(frozen), FREEZE_CHUNK):
        chunk = frozen[at : at + FREEZE_CHUNK]
        cur.execute(
            _FREEZE_WEEKS,
            {"first": chunk[0], "mondays": chunk, "sources": [ends[m] for m in chunk]},
        )
    for monday in frozen:
        sunday = monday + timedelta(days=6)
        as_of = ends[monday]
        source = as_of if as_of >= monday else None
        quarter = quarter_of_week(monday, fy)
        cur.execute(
            _STANDINGS,
            {
                "monday": monday,
                "sunday": sunday,
                "qs": quarter.start,
                "qe": quarter.end,
                "label": quarter.label,
            },
        )
        cur.execute(
            "insert into meeting_weeks values (?, ?, ?, ?, now()::timestamp)",
            [monday, sunday, source, as_of],
        )
    if audit:
        detail = json.dumps({"weeks": [week_label(m) for m in weeks]})
        db.audit(cur, actor, "freeze_weeks", "meeting_weeks", week_label(weeks[-1]), detail)
    return weeks


def freeze_ended_weeks(con: duckdb.DuckDBPyConnection, today: date) -> list[date]:
    """Freeze the weeks that ended before today; writes nothing when none is waiting."""
    if not weeks_to_freeze(con.cursor(), today):
        return []
    # On a shared store, again when another process froze them at the same moment (it then
    # finds them frozen and writes nothing).
    return db.write(con, lambda cur: freeze(cur, today))


@dataclass(frozen=True)
class FrozenWeek:
    monday: date
    source_date: date | None  # the snapshot its end is from; None = carried forward
    as_of: date

    @property
    def label(self) -> str:
        return week_label(self.monday)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def describe(self) -> str:
        """Which frozen state this is, in words."""
        if self.source_date is None:
            return (
                f"{self.label} (nothing imported that week: carried forward from the import "
                f"of {self.as_of:%-d %b %Y})"
            )
        return f"{self.label} (frozen from the import of {self.as_of:%-d %b %Y})"


def frozen_weeks(con: duckdb.DuckDBPyConnection) -> list[FrozenWeek]:
    """Every frozen week, newest first."""
    rows = (
        con.cursor()
        .execute(
            "select week_start, source_date, as_of from meeting_weeks order by week_start desc"
        )
        .fetchall()
    )
    return [FrozenWeek(*r) for r in rows]


def bridge_balances(bridge: pl.DataFrame) -> bool:
    """start + every change = end, to the cent (pipeline_bridge's rows)."""
    amounts = dict(zip(bridge["category"], bridge["amount"], strict=True))
    return amounts["start"] + sum(amounts[c] for c in CHANGES) == amounts["end"]


# Deals that need help ------------------------------------------------------------------


def needs_help(health: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """The deals of `meeting_deal_health` that need help, each with its reasons in words:
    overdue (open past the close date), pushed out two or more times, stalled (days in the
    stage over plan.stall_factor x the org's median days in that stage) and large (the org's
    top quarter by amount) but unchanged for plan.stale_days or more."""
    if health.is_empty():
        return health.with_columns(pl.lit("").alias("reasons"))
    # Column-wise (every squad's open deals are hundreds of thousands of rows at the large
    # scale); the medians' words as Python's {:g} writes them, for the few distinct medians.
    median = pl.col("stage_median_days")
    medians = health["stage_median_days"].drop_nulls().unique().to_list()
    median_words = median.replace_strict(
        medians, [f"{m:g}" for m in medians], default=None, return_dtype=pl.String
    )
    large = pl.col("large_from").is_not_null() & pl.col("amount").is_not_null()
    reasons = pl.concat_str(
        [
            pl.when(pl.col("days_overdue") > 0).then(
                pl.format("overdue {} days", pl.col("days_overdue"))
            ),
            pl.when(pl.col("pushes") >= 2).then(pl.format("pushed out {} times", pl.col("pushes"))),
            pl.when(
                median.is_not_null()
                & (median != 0)
                & (pl.col("days_in_stage") > plan.stall_factor * median)
            ).then(
                pl.format(
                    "stalled: {} days in {} (the org's median is {})",
                    pl.col("days_in_stage"),
                    pl.col("stage"),
                    median_words,
                )
            ),
            pl.when(
                large
                & (pl.col("amount") >= pl.col("large_from"))
                & (pl.col("days_unchanged") >= plan.stale_days)
            ).then(pl.format("large and unchanged for {} days", pl.col("days_unchanged"))),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    out = health.with_columns(reasons.fill_null("").cast(pl.String).alias("reasons"))
    return out.filter(pl.col("reasons") != "")
