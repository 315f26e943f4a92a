"""Units sanity check before an import writes: are the targets (or the deal amounts) in the
same unit as the other side?

Each imported quota is compared with its owner's credited revenue in the same period (a
squad's base quota with the squad's credits, a person's target with theirs), counting the
deals stored and those in the same import (a deal of the import replaces its stored credits
and counts 100 % to its owner). When the median attainment this implies is above 1,000 % or
below 0.1 %, the import gets a warning in words: the command prints it (dry run too) and the
Import page asks for a confirmation before writing. A deal file is checked the same way
against the stored targets of the periods its won deals close in.

Only targets whose owner has credited revenue in the period count (a target nobody has sold
against yet says nothing about its unit), and at least MIN_TARGETS of them; a big sheet is
judged on a fixed sample of SAMPLE targets.
"""

from __future__ import annotations

import math

import duckdb
import polars as pl

from squadboard.ingest import Batch, Problem, people

HIGH, LOW = 10.0, 0.001  # median attainment above 1,000 % or below 0.1 %
MIN_TARGETS = 3
SAMPLE = 2_000  # targets compared at most
DEALS = {
    "deal_id": pl.String,
    "owner_id": pl.String,
    "status": pl.String,
    "close_date": pl.Date,
    "amount": pl.Float64,
}
UNIT_NAMES = {1_000: "thousands", 1_000_000: "millions"}


def check(con: duckdb.DuckDBPyConnection, batch: Batch) -> list[Problem]:
    """Warnings (not errors) when the batch's amounts look off by a unit; [] when they look
    right, when nothing can be compared, or when the batch has errors of its own."""
    if batch.errors:
        return []
    people.resolve(con, batch)  # owners as ids (a no-op when already resolved)
    if batch.errors:
        return []
    quotas = batch.frames.get("quotas")
    deals = batch.frames.get("deals")
    if quotas is None and deals is None:
        return []
    ratio, n = implied_attainment(con, quotas, deals)
    if ratio is None or n < MIN_TARGETS or LOW <= ratio <= HIGH:
        return []
    subject = "targets" if quotas is not None else "deal amounts"
    return [Problem(", ".join(batch.files), None, None, message(subject, ratio, n))]


def message(subject: str, ratio: float, n: int) -> str:
    """`targets look 1,000× too small: were they kept in thousands?` and the figures behind."""
    big = ratio > 1
    factor = 10 ** round(abs(math.log10(ratio)))
    unit = UNIT_NAMES.get(factor, "another unit")
    # Targets too small and deal amounts too large both make attainment too high.
    small = big == (subject == "targets")
    if small:
        why = f"{subject} look {factor:,}× too small: were they kept in {unit}?"
    else:
        other = "deals" if subject == "targets" else "targets"
        why = (
            f"{subject} look {factor:,}× too large: were the {other} kept in {unit}, "
            f"or these written in a smaller unit?"
        )
    implied = f"{ratio * 100:,.0f} %" if ratio >= 0.01 else f"{ratio * 100:.4f} %"
    return (
        f"{why} The median attainment they imply is {implied} over {n:,} targets with "
        "credited revenue. Check the unit (a mapping's \"unit\", or the Import page's unit) "
        "before importing."
    )


def implied_attainment(
    con: duckdb.DuckDBPyConnection, quotas: pl.DataFrame | None, deals: pl.DataFrame | None
) -> tuple[float | None, int]:
    """(median of credited ÷ quota over targets with credited revenue, how many targets)."""
    cur = con.cursor()
    try:
        if quotas is None:
            won = deals.filter(pl.col("status") == "won").select("close_date").drop_nulls()
            cur.register("u_days", won.unique())
            quotas = cur.sql(
                "select kind, owner_id, period_start, period_end, amount from quotas as q "
                "where exists (select 1 from u_days as d "
                "where d.close_date >= q.period_start and d.close_date < q.period_end)"
            ).pl()
        cur.register("u_targets", quotas.select(
            "kind", "owner_id", "period_start", "period_end", pl.col("amount").cast(pl.Float64)
        ))  # fmt: skip
        if deals is None:
            deals = pl.DataFrame(schema=DEALS)
        cur.register("u_deals", deals.select(
            [pl.col(c).cast(t) for c, t in DEALS.items()]
        ))  # fmt: skip
        row = cur.execute(
            """
            with targets as (
                -- a fixed sample of at most SAMPLE targets is plenty for a median that is off
                -- by a factor of a thousand, and keeps the check quick at 16,000 reps
                select * from u_targets
                where amount > 0
                order by hash(kind, owner_id, period_start, period_end)
                limit $sample
            ),

            owners as (select distinct owner_id from targets),

            credits as (
                select rep_id, squad_id, close_date, amount::double as amount
                from credited_revenue as c
                where (c.rep_id in (select owner_id from owners)
                        or c.squad_id in (select owner_id from owners))
                    and not exists (select 1 from u_deals as d where d.deal_id = c.deal_id)
                union all
                select d.owner_id, m.squad_id, d.close_date, d.amount
                from u_deals as d
                left join squad_membership_days as m
                    on m.rep_id = d.owner_id
                    and d.close_date >= m.valid_from and d.close_date < m.valid_to
                where d.status = 'won' and d.close_date is not null and d.amount is not null
            ),

            attained as (
                select t.kind, t.owner_id, t.period_start, t.period_end, t.amount,
                    sum(c.amount) as credited
                from targets as t
                inner join credits as c
                    on c.squad_id = t.owner_id
                    and c.close_date >= t.period_start and c.close_date < t.period_end
                where t.kind = 'squad_base' and t.amount > 0
                group by all
                union all
                select t.kind, t.owner_id, t.period_start, t.period_end, t.amount,
                    sum(c.amount) as credited
                from targets as t
                inner join credits as c
                    on c.rep_id = t.owner_id
                    and c.close_date >= t.period_start and c.close_date < t.period_end
                where t.kind <> 'squad_base' and t.amount > 0
                group by all
            )

            select median(credited / amount), count(*)::bigint
            from attained
            where credited > 0
            """,
            {"sample": SAMPLE},
        ).fetchone()
    finally:
        cur.close()
    return (row[0], row[1]) if row and row[0] is not None else (None, 0)
