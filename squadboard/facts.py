"""Derived tables kept in step with every write: credited revenue, open pipeline credits,
confirmed overlays, deal helpers, activity per won deal and per month, the week-over-week
pipeline movement, and the closed deals and stages the skill cells read (squadboard/facts.sql says what each holds; schema.sql declares them).

Reading them is what keeps pages fast at 5,000,000 deals: a period's attainment reads that
period's credits instead of recomputing every split of every deal on each call. Every write
path refreshes what it touched in its own transaction, so a reader never sees the derived
rows out of step with the deals:

- an import refreshes the deals its deals, credits and activities name (all of them when it
  changes squad memberships, which move credits between squads), the activity months when it
  brings activities, and the pipeline movement of its snapshot day;
- undoing an import, loading the demo and building the benchmark refresh everything;
- filing, confirming or rejecting a claim refreshes that deal;
- a Mastermind write that changes who helped (an answer, a note, a step's status) refreshes
  the Mastermind's deal;
- an import's snapshot of its day also refreshes the closed deals whose stage was first seen
  that day (the day's rewrite drops deals no longer open: skill_stage_facts, issue #13).

Rows written with plain SQL (tests, a hand repair) need `refresh(con)` afterwards.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import duckdb

SQL_FILE = Path(__file__).with_name("facts.sql")
# What the statements read: every deal, credit and activity, or those of the deals in scope.
INPUTS = {
    "fact_deals": "select * from deals",
    "fact_credits": "select * from deal_credits",
    "fact_activities": "select deal_id, rep_id, kind from activities where deal_id is not null",
}
SCOPED = {
    "fact_deals": "select * from deals where deal_id in (select deal_id from fact_scope)",
    "fact_credits": "select * from deal_credits where deal_id in (select deal_id from fact_scope)",
    # Only won deals have helpers and pod points: one pass over the activities serves both.
    "fact_activities": "select a.deal_id, a.rep_id, a.kind from activities as a "
    "semi join (select deal_id from fact_deals where status = 'won') as w on w.deal_id = a.deal_id",
}


@cache
def _sections() -> dict[str, dict[str, str]]:
    """facts.sql's sections: 'input' and 'table' -> name -> SQL, in the file's order."""
    parts = re.split(r"^-- (input|table): (\w+)\n", SQL_FILE.read_text(), flags=re.MULTILINE)
    found: dict[str, dict[str, str]] = {"input": {}, "table": {}}
    for kind, name, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=True):
        found[kind][name] = body.strip()
    return found


def statements() -> dict[str, str]:
    """Table name -> the insert that fills it, in the order they must run."""
    return _sections()["table"]


def derived_inputs() -> dict[str, str]:
    """Temp table name -> the query that makes it from the inputs, before the statements run
    (the revenue shares in cents that credited and open pipeline credits both read)."""
    return _sections()["input"]


def tables() -> list[str]:
    return list(statements())


def deal_tables() -> list[str]:
    """The tables kept per deal (their statement works on the deals in scope)."""
    return [t for t, sql in statements().items() if "fact_deals" in sql]


def snapshot_tables() -> list[str]:
    """The tables kept per pipeline snapshot day (their statement reads fact_days)."""
    return [t for t, sql in statements().items() if "fact_days" in sql]


def digest() -> str:
    """Changes whenever what the derived tables hold changes; db.connect rebuilds on it."""
    inputs = repr(INPUTS) + repr(SCOPED)
    return hashlib.sha256(SQL_FILE.read_bytes() + inputs.encode()).hexdigest()


def refresh(
    cur: duckdb.DuckDBPyConnection,
    deals: str | None = None,
    params=(),
    *,
    activities: bool | None = None,
    fresh: str | None = None,
) -> None:
    """Recompute the derived rows of the deals `deals` selects (SQL returning deal_id), or of
    every deal when it is None; with `activities` (the default for everything) also the
    tables kept over all activities. Runs in the caller's transaction, if it has one.
    `fresh` (SQL returning deal_id): deals among them that the caller has just inserted, which
    have no derived rows yet to delete (an import's 500,000 new deals)."""
    whole = [t for t in tables() if t not in deal_tables() + snapshot_tables()]
    if activities is None:
        activities = deals is None
    if deals is None:
        for table in deal_tables():
            cur.execute(f"delete from {table}")
        for name, sql in INPUTS.items():
            cur.execute(f"create or replace temp view {name} as {sql}")
    else:
        cur.execute(
            "create or replace temp table fact_scope as "
            f"select distinct deal_id from ({deals}) where deal_id is not null",
            list(params),
        )
        stale = "fact_scope"
        if fresh is not None:
            stale = "fact_stale"
            cur.execute(
                "create or replace temp table fact_stale as select s.deal_id from fact_scope as s "
                f"anti join ({fresh}) as f on f.deal_id = s.deal_id"
            )
        if stale == "fact_scope" or cur.execute("select count(*) from fact_stale").fetchone()[0]:
            for table in deal_tables():
                cur.execute(f"delete from {table} where deal_id in (select deal_id from {stale})")
        if fresh is not None:
            cur.execute("drop table fact_stale")
        for name, sql in SCOPED.items():
            cur.execute(f"create or replace temp table {name} as {sql}")
    for name, sql in derived_inputs().items():
        cur.execute(f"create or replace temp table {name} as {sql}")
    for table, sql in statements().items():
        if table in snapshot_tables():
            continue
        if table in whole:
            if not activities:
                continue
            cur.execute(f"delete from {table}")
        cur.execute(sql)
    for name in reversed(derived_inputs()):
        cur.execute(f"drop table {name}")
    for name in reversed(INPUTS):
        cur.execute(f"drop {'view' if deals is None else 'table'} {name}")
    if deals is None:
        refresh_snapshots(cur)
    else:
        cur.execute("drop table fact_scope")


def refresh_snapshots(cur: duckdb.DuckDBPyConnection, day=None) -> None:
    """Recompute the pipeline movement of snapshot day `day` and of the snapshot day after
    it (whose 'before' it is), or of every snapshot day when it is None."""
    days = "select distinct snapshot_date from pipeline_snapshots"
    if day is None:
        cur.execute(f"create or replace temp table fact_days as {days}")
    else:
        cur.execute(
            f"create or replace temp table fact_days as select ?::date as snapshot_date union "
            f"select min(snapshot_date) from ({days}) where snapshot_date > ?",
            [day, day],
        )
    for table in snapshot_tables():
        cur.execute(
            f"delete from {table} where snapshot_date in (select snapshot_date from fact_days)"
        )
        cur.execute(statements()[table])
    cur.execute("drop table fact_days")
    if day is not None:
        # A rewritten snapshot day drops the deals no longer open: a closed deal whose stage
        # was first seen that day may have lost the sighting (skill_stage_facts, issue #13).
        refresh(
            cur,
            "select deal_id from skill_stage_facts where first_seen = ?",
            (day,),
            activities=False,
        )


def refresh_deal(cur: duckdb.DuckDBPyConnection, deal_id: str) -> None:
    refresh(cur, "select ? as deal_id", (deal_id,))
