"""The Polars baseline (issue #19): the same four views as squadboard/bench/baseline.py, with
the same rules, as a user who knows Polars would write them: lazy queries over frames already
loaded in memory from the CSV exports. Each credit in whole cents, a deal's leftover cents to
its largest remainders (ties: the lower rep_id), as Squadboard's credited_revenue has them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

FAR = date(9999, 12, 31)


# The date columns, read as dates whatever the first rows hold (valid_to is empty for
# nearly everyone, so inferring from the first rows would make it text).
DATES = {
    "deals": ["created_date", "close_date"],
    "squad_members": ["valid_from", "valid_to"],
    "quotas": ["period_start", "period_end"],
    "pipeline_snapshots": ["snapshot_date", "close_date"],
}


def load(csv_dir: Path, table: str) -> pl.DataFrame:
    return pl.read_csv(
        csv_dir / f"{table}.csv",
        schema_overrides={c: pl.Date for c in DATES.get(table, [])},
        infer_schema_length=100_000,
    )


def _quota(quotas: pl.DataFrame, kind: str, ps: date, pe: date) -> pl.LazyFrame:
    start, end = pl.col("period_start"), pl.col("period_end")
    overlap = (pl.min_horizontal(end, pl.lit(pe)) - pl.max_horizontal(start, pl.lit(ps))).dt
    return (
        quotas.lazy()
        .filter((pl.col("kind") == kind) & (start < pe) & (end > ps))
        .with_columns(quota=pl.col("amount") * overlap.total_days() / (end - start).dt.total_days())
        .group_by("owner_id")
        .agg(pl.col("quota").sum().round(2))
    )


def _credits(f: dict, status: str, ps: date, pe: date, as_of: date | None = None) -> pl.LazyFrame:
    """Revenue credits (explicit splits, else 100 % to the owner) of deals closing in [ps, pe)."""
    when = (pl.col("close_date") >= ps) & (pl.col("close_date") < pe)
    if as_of is not None:
        when &= pl.col("close_date") <= as_of
    d = (
        f["deals"]
        .lazy()
        .filter((pl.col("status") == status) & pl.col("amount").is_not_null() & when)
        .select("deal_id", "owner_id", "amount", "probability", "close_date")
    )
    splits = (
        f["deal_credits"]
        .lazy()
        .filter(pl.col("credit_type") == "revenue")
        .select("deal_id", "rep_id", pl.col("percent").cast(pl.Float64))
    )
    owner = (
        d.join(splits.select("deal_id").unique(), on="deal_id", how="anti")
        .filter(pl.col("owner_id").is_not_null())
        .select("deal_id", pl.col("owner_id").alias("rep_id"), percent=pl.lit(100.0))
    )
    exact = pl.col("amount") * pl.col("percent") / 100
    cents = (exact * 100).round(6)  # 0.6 x 12345 cents is 7406.999999999999
    return (
        pl.concat([splits, owner])
        .join(d.drop("owner_id"), on="deal_id")
        .with_columns(
            weighted=exact * pl.col("probability").fill_null(0), cents=cents, floor=cents.floor()
        )
        .with_columns(remainder=pl.col("cents") - pl.col("floor"))
        .sort(["deal_id", "remainder", "rep_id"], descending=[False, True, False])
        .with_columns(
            spare=pl.col("cents").sum().over("deal_id").round()
            - pl.col("floor").sum().over("deal_id"),
            rank=pl.int_range(1, pl.len() + 1).over("deal_id"),
        )
        .with_columns(credit=(pl.col("floor") + (pl.col("rank") <= pl.col("spare"))) / 100)
    )


def _with_squad(credits: pl.LazyFrame, members: pl.DataFrame) -> pl.LazyFrame:
    return credits.join(members.lazy(), on="rep_id").filter(
        (pl.col("close_date") >= pl.col("valid_from"))
        & (pl.col("close_date") < pl.col("valid_to").fill_null(FAR))
    )


def squad_attainment(f: dict, ps: date, pe: date, as_of: date) -> pl.DataFrame:
    members = f["squad_members"]
    credited = (
        _with_squad(_credits(f, "won", ps, pe, as_of), members)
        .group_by("squad_id")
        .agg(pl.col("credit").sum())
    )
    pipeline = (
        _with_squad(_credits(f, "open", ps, pe), members)
        .group_by("squad_id")
        .agg(pl.col("weighted").sum())
    )
    quota = _quota(f["quotas"], "squad_base", ps, pe).rename({"owner_id": "squad_id"})
    return (
        f["squads"]
        .lazy()
        .select("squad_id")
        .join(quota, on="squad_id", how="left")
        .join(credited, on="squad_id", how="left")
        .join(pipeline, on="squad_id", how="left")
        .with_columns(pl.col("credit", "weighted").fill_null(0.0))
        .select(
            "squad_id",
            "quota",
            credited=pl.col("credit").round(2),
            attainment=pl.col("credit").round(2)
            / pl.when(pl.col("quota") != 0).then(pl.col("quota")),
            forecast=(pl.col("credit") + pl.col("weighted")).round(2),
        )
        .collect()
    )


def rep_attainment(f: dict, ps: date, pe: date, as_of: date) -> pl.DataFrame:
    credited = _credits(f, "won", ps, pe, as_of).group_by("rep_id").agg(pl.col("credit").sum())
    target = _quota(f["quotas"], "rep_stretch", ps, pe).rename(
        {"owner_id": "rep_id", "quota": "stretch_target"}
    )
    return (
        f["reps"]
        .lazy()
        .select("rep_id")
        .join(target, on="rep_id", how="left")
        .join(credited, on="rep_id", how="left")
        .with_columns(credited=pl.col("credit").fill_null(0.0).round(2))
        .select(
            "rep_id",
            "stretch_target",
            "credited",
            attainment=pl.col("credited")
            / pl.when(pl.col("stretch_target") != 0).then(pl.col("stretch_target")),
        )
        .collect()
    )


def leaderboard(f: dict, ps: date, pe: date, as_of: date) -> pl.DataFrame:
    return (
        _credits(f, "won", ps, pe)
        .group_by("rep_id")
        .agg(value=pl.col("credit").sum().round(2))
        .sort(["value", "rep_id"], descending=[True, False])
        .collect()
    )


def pipeline_movement(f: dict, ps: date, pe: date, as_of: date) -> pl.DataFrame:
    """Open pipeline by owner in the latest snapshot against the one a week before."""
    s = f["pipeline_snapshots"].lazy()
    days = (
        s.filter(pl.col("snapshot_date") <= as_of)
        .select(pl.col("snapshot_date").unique().sort().tail(2))
        .collect()["snapshot_date"]
        .to_list()
    )
    before, now = (
        s.filter(pl.col("snapshot_date") == day).select("deal_id", "owner_id", "amount")
        for day in days
    )
    both = now.join(before, on="deal_id", how="full", suffix="_before")
    return (
        both.select(
            owner_id=pl.coalesce("owner_id", "owner_id_before"),
            amount=pl.col("amount"),
            amount_before=pl.col("amount_before"),
            added=pl.when(pl.col("deal_id_before").is_null()).then("amount").otherwise(0.0),
            removed=pl.when(pl.col("deal_id").is_null()).then("amount_before").otherwise(0.0),
        )
        .group_by("owner_id")
        .agg(
            pipeline=pl.col("amount").sum().round(2),
            pipeline_before=pl.col("amount_before").sum().round(2),
            added=pl.col("added").sum().round(2),
            removed=pl.col("removed").sum().round(2),
        )
        .collect()
    )


VIEWS = {
    "squad_attainment": squad_attainment,
    "rep_attainment": rep_attainment,
    "leaderboard": leaderboard,
    "pipeline_movement": pipeline_movement,
}
