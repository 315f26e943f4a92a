"""Order and invoice lines (ERP exports): several rows per order, each with its line amount.

A mapping that says `"lines": true` makes the rows that share a `source_id` one deal: the
amounts are summed (in whole cents, so the deal is exact to the cent; a credit line's negative
amount counts), the created date is the earliest, the close date the latest, and the other
fields are taken from the order's first line that has them. Lines of one order that name two
different owners (or two teams) are an error naming both lines: Squadboard will not guess who
sold it.
"""

from __future__ import annotations

import polars as pl

from squadboard.ingest import Problem
from squadboard.ingest.reader import LINE

# Fields whose lines must agree: one order, one owner, one team.
MUST_AGREE = ("owner", "team")
MAX_SHOWN = 200


def combine(file: str, lines: pl.DataFrame, labels: dict[str, str]) -> tuple[pl.DataFrame, list]:
    """One row per source_id from typed lines (crm.parse_deals' frame); problems for orders
    whose lines disagree on the owner or team. `labels` are the mapped headers, for messages."""
    keyed = lines.filter(pl.col("source_id").is_not_null())
    problems: list[Problem] = []
    for fld in MUST_AGREE:
        if fld not in keyed.columns:
            continue
        problems += _conflicts(file, keyed, fld, labels.get(fld) or fld)
    firsts = [
        pl.col(c).drop_nulls().first().alias(c)
        for c in keyed.columns
        if c not in ("source_id", LINE, "amount", "created_date", "close_date")
    ]
    cents = (pl.col("amount") * 100).round(0).cast(pl.Int64)
    deals = (
        keyed.group_by("source_id", maintain_order=True)
        .agg(
            pl.col(LINE).min(),
            pl.when(pl.col("amount").is_not_null().any())
            .then(cents.sum())
            .otherwise(None)
            .alias("__cents"),
            pl.col("created_date").min(),
            pl.col("close_date").max(),
            *firsts,
        )
        .with_columns((pl.col("__cents").cast(pl.Float64) / 100).alias("amount"))
        .drop("__cents")
    )
    # Rows without an id stay as they are: the required-id check reports them by line.
    rest = lines.filter(pl.col("source_id").is_null())
    out = pl.concat([deals.select(lines.columns), rest], how="vertical_relaxed")
    return out, problems


def _conflicts(file: str, keyed: pl.DataFrame, fld: str, label: str) -> list[Problem]:
    named = keyed.filter(pl.col(fld).is_not_null())
    firsts = named.group_by("source_id", fld).agg(pl.col(LINE).min())
    bad = (
        firsts.sort(LINE)
        .group_by("source_id", maintain_order=True)
        .agg(pl.col(fld).head(2), pl.col(LINE).head(2), pl.len().alias("n"))
        .filter(pl.col("n") > 1)
    )
    out = []
    for row in bad.head(MAX_SHOWN).iter_rows(named=True):
        (a, b), (la, lb) = row[fld], row[LINE]
        more = f" (and {row['n'] - 2} more)" if row["n"] > 2 else ""
        out.append(
            Problem(
                file,
                lb,
                label,
                f"order {row['source_id']!r} has two {fld}s: {a!r} on line {la} and {b!r} on "
                f"line {lb}{more}; one order is one deal with one {fld}",
            )
        )
    if bad.height > MAX_SHOWN:
        out.append(
            Problem(
                file,
                None,
                label,
                f"showing {MAX_SHOWN} of {bad.height:,} orders whose lines name two {fld}s",
            )
        )
    return out
