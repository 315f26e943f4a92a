"""Deals, splits and users from any CRM layout, once its columns are mapped to fields.

The result carries people as they were written (`owner_ref`, `rep_ref`); ingest.people turns
them into rep ids against the roster. Deals are keyed by (source, source id): the deal id is
`<source>:<source id>`, so re-importing an export updates the same deals.
"""

from __future__ import annotations

import polars as pl

from squadboard.ingest import SPLIT_TOLERANCE, Batch, Problem, order_lines
from squadboard.ingest.columns import parse_columns, require
from squadboard.ingest.mapping import Mapping, label_key, label_key_expr, select
from squadboard.ingest.reader import LINE, Table

# Rows a Salesforce report adds below (or between) its data rows.
FOOTER = r"(?i)^(confidential information|copyright \(c\)|grand totals?\b|total$|subtotal$|count$)"
_ID_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id18(value: str) -> str:
    """Salesforce's 15-character case-sensitive id with its 3-character checksum suffix."""
    if len(value) != 15 or not value.isalnum():
        return value
    suffix = ""
    for chunk in (value[0:5], value[5:10], value[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _ID_SUFFIX[bits]
    return value + suffix


def normal_ids(column: pl.Expr, source: str) -> pl.Expr:
    """Ids as one spelling: Salesforce 15-char ids get their checksum suffix (vectorised)."""
    if source != "salesforce":
        return column
    suffix = []
    for chunk in range(3):
        bits = pl.sum_horizontal(
            column.str.slice(chunk * 5 + i, 1).str.contains("^[A-Z]$").cast(pl.Int32) * (1 << i)
            for i in range(5)
        )
        suffix.append(bits.replace_strict(dict(enumerate(_ID_SUFFIX)), return_dtype=pl.String))
    short = (column.str.len_chars() == 15) & column.str.contains("^[A-Za-z0-9]+$")
    return pl.when(short).then(pl.concat_str([column, *suffix])).otherwise(column)


def duplicates(file: str, frame: pl.DataFrame, key: str, label: str | None, noun: str) -> list:
    """A problem on each repeat of a key, pointing at its first occurrence; at most 200 shown,
    then how many there are in all."""
    rep = (
        frame.select(LINE, key, pl.col(LINE).min().over(key).alias("__first"))
        .filter(pl.col(key).is_not_null() & (pl.col(LINE) != pl.col("__first")))
        .sort(LINE)
    )
    hint = ' (order lines? say "lines": true in the mapping)' if noun == "deal id" else ""
    out = [
        Problem(file, line, label, f"duplicate {noun} {v!r}: first on line {at}{hint}")
        for line, v, at in rep.head(200).iter_rows()
    ]
    if rep.height > 200:
        out.append(Problem(file, None, label, f"showing 200 of {rep.height:,} duplicate {noun}s"))
    return out


def _stage_status(stage: pl.Expr, is_won: pl.Expr, is_closed: pl.Expr) -> pl.Expr:
    key = stage.str.to_lowercase().str.replace_all(r"[^a-z]", "")
    won = key.str.ends_with("closedwon") | (key == "won")
    lost = key.str.ends_with("closedlost") | (key == "lost")
    return (
        pl.when(is_won.fill_null(False) | (is_won.is_null() & won.fill_null(False)))
        .then(pl.lit("won"))
        .when(is_closed.fill_null(False) | (is_closed.is_null() & lost.fill_null(False)))
        .then(pl.lit("lost"))
        .otherwise(pl.lit("open"))
    )


def _flag(out: list[Problem], file: str, frame: pl.DataFrame, mask: pl.Expr, col: str, why: str):
    bad = frame.filter(mask.fill_null(False))
    out.extend(Problem(file, line, col, why) for line in bad[LINE].head(200))
    if bad.height > 200:
        out.append(Problem(file, None, col, f"showing 200 of {bad.height:,} rows: {why}"))


def _has(mapping: Mapping, fld: str) -> bool:
    return fld in mapping.columns or fld in mapping.constants


def parse_deals(table: Table, mapping: Mapping, fmt: str) -> Batch:
    batch = Batch(format=fmt, files=[table.name], rows_read=table.frame.height)
    frame, problems = select(table, mapping)
    if problems:
        batch.errors += problems
        return batch
    first = table.columns[0]
    footer = table.frame[first].str.contains(FOOTER).fill_null(False) & frame["stage"].is_null()
    frame = frame.filter(~footer)
    money = "money_eu" if mapping.decimal_comma else "money"
    kinds = {
        "source_id": "text",
        "name": "text",
        "account": "text",
        "product": "text",
        "owner": "text",
        "stage": "text",
        "amount": money,
        "probability": "percent",
        "created_date": "date",
        "close_date": "date",
        "is_won": "bool",
        "is_closed": "bool",
        "team": "text",
    }
    if mapping.date_order == "dmy":
        kinds |= {"created_date": "date_dmy", "close_date": "date_dmy"}
    typed, problems = parse_columns(table.name, frame, kinds)
    problems += require(table.name, typed, ["source_id", "owner"])
    if mapping.lines and not problems:  # order lines: one deal per order (issue #17)
        typed, more = order_lines.combine(table.name, typed, mapping.columns)
        problems += more
    typed = typed.with_columns(
        (pl.col("amount") * mapping.unit).alias("amount"),
        (pl.col("probability") * mapping.probability_scale / 100).alias("probability"),
        _stage_status(pl.col("stage"), pl.col("is_won"), pl.col("is_closed")).alias("status"),
    )
    f = table.name
    _flag(problems, f, typed, pl.col("stage").is_null() & pl.col("is_won").is_null(), "stage",
          "is required but empty")  # fmt: skip
    _flag(problems, f, typed, pl.col("amount") < 0, "amount", "must not be negative")
    _flag(problems, f, typed, (pl.col("probability") < 0) | (pl.col("probability") > 1),
          "probability", "must be between 0 and 100 %")  # fmt: skip
    _flag(problems, f, typed, pl.col("close_date") < pl.col("created_date"), "close_date",
          "is before the created date")  # fmt: skip
    _flag(problems, f, typed, (pl.col("status") == "won") & pl.col("close_date").is_null(),
          "close_date", "a won deal needs a close date")  # fmt: skip
    problems += duplicates(f, typed, "source_id", mapping.columns.get("source_id"), "deal id")
    batch.errors += problems
    if problems:
        return batch
    no_amount = typed.filter((pl.col("status") == "won") & pl.col("amount").is_null()).height
    if no_amount:
        batch.warnings.append(Problem(f, None, "amount", f"{no_amount} won deals have no amount"))
    source_id = normal_ids(pl.col("source_id"), mapping.source)
    deals = typed.select(
        pl.concat_str(pl.lit(mapping.source + ":"), source_id).alias("deal_id"),
        pl.lit(mapping.source).alias("source"),
        source_id.alias("source_id"),
        "name",
        "account",
        "product",
        normal_ids(pl.col("owner"), mapping.source).alias("owner_ref"),
        "stage",
        "status",
        pl.col("amount").round(2),
        pl.coalesce(
            "probability",
            pl.when(pl.col("status") == "won").then(1.0).when(pl.col("status") == "lost").then(0.0),
        ).alias("probability"),
        "created_date",
        "close_date",
        pl.col(LINE),
        pl.lit(f).alias("__file"),
        *([pl.col("team").alias("team_ref")] if _has(mapping, "team") else []),
    )
    batch.add("deals", deals)
    return batch


def _split_type(raw: pl.Expr, mapping: Mapping) -> pl.Expr:
    named = {label_key(k): v for k, v in mapping.split_types.items()}
    key = label_key_expr(raw)
    return (
        pl.when(raw.is_null())
        .then(pl.lit("revenue"))
        .when(key.is_in(list(named)))
        .then(key.replace_strict(named, default=None, return_dtype=pl.String))
        .when(key.str.contains("overlay"))
        .then(pl.lit("overlay"))
        .when(key.str.contains("revenue"))
        .then(pl.lit("revenue"))
    )


def parse_splits(table: Table, mapping: Mapping, fmt: str) -> Batch:
    batch = Batch(format=fmt, files=[table.name], rows_read=table.frame.height)
    frame, problems = select(table, mapping)
    if problems:
        batch.errors += problems
        return batch
    kinds = {"deal": "text", "owner": "text", "percent": "percent", "note": "text"}
    typed, problems = parse_columns(table.name, frame, kinds)
    problems += require(table.name, typed, ["deal", "owner", "percent"])
    typed = typed.with_columns(
        (pl.col("percent") * mapping.percent_scale).alias("percent"),
        _split_type(pl.col("split_type"), mapping).alias("credit_type"),
    )
    f = table.name
    _flag(problems, f, typed, (pl.col("percent") <= 0) | (pl.col("percent") > 1000), "percent",
          "must be above 0 % and at most 1000 %")  # fmt: skip
    batch.errors += problems
    if problems:
        return batch
    credits = typed.select(
        pl.concat_str(
            pl.lit(mapping.source + ":"), normal_ids(pl.col("deal"), mapping.source)
        ).alias("deal_id"),
        normal_ids(pl.col("owner"), mapping.source).alias("rep_ref"),
        "credit_type",
        normal_ids(pl.col("split_type"), mapping.source).alias("split_type_ref"),
        pl.col("percent").round(4),
        pl.col("note"),
        pl.col(LINE),
        pl.lit(f).alias("__file"),
    )
    batch.add("deal_credits", credits)
    return batch


def finish_splits(batch: Batch) -> None:
    """Name each split's type (a split types file may say which ids are revenue), then check
    that revenue splits total 100 % per deal and overlay splits at most 1000 %."""
    credits = batch.frames.get("deal_credits")
    if credits is None or "split_type_ref" not in credits.columns:
        return
    types = batch.lookups.get("split_types")
    if types is not None:
        named = dict(zip(types["ref"], types["credit_type"], strict=True))
        credits = credits.with_columns(
            pl.coalesce(
                "credit_type",
                pl.col("split_type_ref").replace_strict(
                    named, default=None, return_dtype=pl.String
                ),
            ).alias("credit_type")
        )
    bad = credits.filter(pl.col("credit_type").is_null())
    batch.errors += [
        Problem(file, line, "split_type", f"{ref!r} is neither revenue nor overlay; add the "
                "OpportunitySplitType export or name it in a mapping file (split_types)")
        for file, line, ref in bad.select("__file", LINE, "split_type_ref").head(50).iter_rows()
    ]  # fmt: skip
    sums = (
        credits.filter(pl.col("credit_type").is_not_null())
        .group_by("deal_id", "credit_type")
        .agg(
            pl.col("percent").sum().alias("total"),
            pl.col(LINE).min().alias("first"),
            pl.col("__file").first(),
        )
        .sort("__file", "first")
    )
    for row in sums.iter_rows(named=True):
        total, kind = row["total"], row["credit_type"]
        off = abs(total - 100) > SPLIT_TOLERANCE + 1e-9
        if (kind == "revenue" and off) or (kind == "overlay" and total > 1000):
            rule = "not 100 %" if kind == "revenue" else "over 1000 %"
            batch.errors.append(
                Problem(row["__file"], row["first"], "percent",
                        f"{kind} splits of deal {row['deal_id']} total {total:g} %, {rule}")
            )  # fmt: skip
    batch.frames["deal_credits"] = credits.with_columns(
        pl.when(pl.col("credit_type") == "overlay").then(pl.lit("overlay")).alias("deal_role")
    ).drop("split_type_ref")


def is_split_types(table: Table) -> bool:
    cols = {label_key(c) for c in table.columns}
    return (
        "id" in cols
        and bool(cols & {"masterlabel", "developername"})
        and bool(cols & {"istotalvalidated", "splitfield", "splitentity"})
    )


def parse_split_types(table: Table, fmt: str) -> Batch:
    """Salesforce's OpportunitySplitType export: a type that must total 100 % is revenue."""
    batch = Batch(format=fmt, files=[table.name], rows_read=table.frame.height)
    cols = {label_key(c): c for c in table.columns}
    label = pl.coalesce(
        *(pl.col(cols[k]) for k in ("masterlabel", "developername") if k in cols)
    ).str.to_lowercase()
    validated = pl.col(cols["istotalvalidated"]) if "istotalvalidated" in cols else pl.lit(None)
    kind = (
        pl.when(validated.str.to_lowercase() == "true")
        .then(pl.lit("revenue"))
        .when(label.str.contains("revenue"))
        .then(pl.lit("revenue"))
        .otherwise(pl.lit("overlay"))
    )
    types = table.frame.select(
        normal_ids(pl.col(cols["id"]), "salesforce").alias("ref"), kind.alias("credit_type")
    ).drop_nulls("ref")
    batch.lookups["split_types"] = types
    return batch


def parse_users(table: Table, mapping: Mapping, fmt: str) -> Batch:
    """A users file only tells who an id is; people are matched to the roster by email or name."""
    batch = Batch(format=fmt, files=[table.name], rows_read=table.frame.height)
    frame, problems = select(table, mapping)
    if problems:
        batch.errors += problems
        return batch
    full = pl.concat_str(["first_name", "last_name"], separator=" ", ignore_nulls=True)
    users = frame.select(
        normal_ids(pl.col("user_id"), mapping.source).alias("ref"),
        pl.col("email"),
        pl.coalesce(pl.col("name"), pl.when(full != "").then(full)).alias("name"),
    ).drop_nulls("ref")
    batch.lookups["users"] = users
    return batch
