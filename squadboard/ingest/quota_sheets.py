"""Quota sheets as people keep them: long (owner, period, amount) or wide (a column per month).

Owners are squads or people named by id, email or name (ingest.people resolves them); `-`,
`NULL` and blank cells mean "no target" and write nothing. Amounts may be in thousands: a
`Unit` column (k, thousands, 1000) or a header such as `Quota (k)` says so.
"""

from __future__ import annotations

import re

import polars as pl

from squadboard import periods
from squadboard.ingest import Batch, Problem
from squadboard.ingest.columns import parse_columns
from squadboard.ingest.mapping import Layout, Mapping, label_key, label_key_expr, select
from squadboard.ingest.reader import LINE, Table

OWNER_LABELS = (
    "Owner", "Owner ID", "EmployeeID", "Employee ID", "Employee", "Rep", "Rep ID", "Sales Rep",
    "Email", "Owner Email", "Squad", "Squad ID", "Team", "Name", "Manager", "Sales Manager",
)  # fmt: skip
LONG = Layout(
    "quota_sheet",
    "quotas",
    {
        "owner": OWNER_LABELS,
        "kind": ("Kind", "Quota Type", "Type"),
        "period": ("Period", "Quarter", "Month", "Fiscal Period"),
        "amount": ("Quota", "Amount", "Target", "Quota Amount", "Quota (k)", "Target (k)"),
    },
    signature=("owner", "period", "amount"),
    source="sheet",
)
MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
MONTH_NAMES = MONTH_NAMES.split()
UNITS = {"": 1.0, "1": 1.0, "k": 1000.0, "thousand": 1000.0, "thousands": 1000.0, "1000": 1000.0}
UNITS |= {"000s": 1000.0, "m": 1e6, "million": 1e6, "millions": 1e6}


def month_of_label(label: str) -> int | None:
    """M01 .. M12, 1 .. 12, Jan .. Dec, January .. December."""
    k = label_key(label).replace(" ", "")
    if m := re.fullmatch(r"m?(0?[1-9]|1[0-2])", k):
        return int(m.group(1))
    if k == "sept":
        return 9
    for i, name in enumerate(MONTH_NAMES):
        if k in (name, name[:3]):
            return i + 1
    return None


def _wide_columns(table: Table) -> tuple[str | None, str | None, dict[str, int]]:
    by_key = {label_key(c): c for c in table.columns}
    year = by_key.get("year") or by_key.get("fiscal year") or by_key.get("fy")
    owner = next((by_key[label_key(x)] for x in OWNER_LABELS if label_key(x) in by_key), None)
    months = {c: m for c in table.columns if (m := month_of_label(c)) is not None}
    return year, owner, months


def is_wide(table: Table) -> bool:
    year, owner, months = _wide_columns(table)
    return bool(year and owner and len(set(months.values())) >= 2)


def _unit(table: Table, frame: pl.DataFrame, header: str | None) -> tuple[pl.Expr, list[Problem]]:
    """Per-row multiplier from a Unit column, else from the amount header, else 1."""
    by_key = {label_key(c): c for c in table.columns}
    if "unit" in by_key:
        raw = table.frame[by_key["unit"]].fill_null("")
        keys = label_key_expr(raw).str.replace_all(" ", "", literal=True)
        bad = table.frame.filter(~keys.is_in(list(UNITS)))
        problems = [
            Problem(table.name, line, "Unit", f"{v!r} is not a unit; use k, thousands or blank")
            for line, v in zip(bad[LINE], bad[by_key["unit"]], strict=True)
        ]
        return pl.Series(keys.replace_strict(UNITS, default=1.0, return_dtype=pl.Float64)), problems
    text = label_key(header or "")
    thousands = bool(re.search(r"\b(k|thousands?|000s?)\b", text))
    return pl.lit(1000.0 if thousands else 1.0), []


def _finish(table: Table, rows: pl.DataFrame, batch: Batch, owner_is: str = "") -> Batch:
    f = table.name
    bad = rows.filter(pl.col("amount") < 0)
    batch.errors += [Problem(f, line, "amount", "must not be negative") for line in bad[LINE]]
    allowed = ["squad_base", "rep_stretch", "rep_goal"]
    bad = rows.filter(pl.col("kind").is_not_null() & ~pl.col("kind").is_in(allowed))
    batch.errors += [
        Problem(f, line, "kind", f"{v!r} is not one of {', '.join(allowed)}")
        for line, v in zip(bad[LINE], bad["kind"], strict=True)
    ]
    dup = rows.filter(pl.struct("owner_ref", "kind", "period_start", "period_end").is_duplicated())
    batch.errors += [
        Problem(f, line, "owner", f"a second quota for {o!r} in the same period")
        for line, o in zip(dup[LINE], dup["owner_ref"], strict=True)
    ]
    if not batch.errors:
        batch.add(
            "quotas",
            rows.select(
                "kind",
                "owner_ref",
                "period_start",
                "period_end",
                pl.col("amount").round(2),
                LINE,
                pl.lit(f).alias("__file"),
                pl.lit(owner_is or None, pl.String).alias("__owner_is"),
            ),  # fmt: skip
        )
    return batch


def parse_long(table: Table, mapping: Mapping, fy_start_month: int) -> Batch:
    batch = Batch(format="quota_sheet", files=[table.name], rows_read=table.frame.height)
    frame, problems = select(table, mapping)
    if problems:
        batch.errors += problems
        return batch
    money = "money_eu" if mapping.decimal_comma else "money"
    typed, problems = parse_columns(table.name, frame, {"owner": "text", "amount": money})
    unit, unit_problems = _unit(table, typed, mapping.columns.get("amount"))
    if mapping.unit != 1.0:  # a mapping's unit replaces what the sheet says of itself
        unit, unit_problems = pl.lit(1.0), []
    batch.errors += problems + unit_problems
    spans: dict[str, periods.Period] = {}
    for label in typed["period"].drop_nulls().unique():
        try:
            spans[label] = periods.parse(label, fy_start_month)
        except ValueError as exc:
            line = typed.filter(pl.col("period") == label)[LINE][0]
            batch.errors.append(Problem(table.name, line, "period", str(exc)))
    rows = typed.with_columns((pl.col("amount") * unit * mapping.unit).alias("amount")).filter(
        pl.col("amount").is_not_null() & pl.col("period").is_not_null()
    )
    rows = rows.with_columns(
        pl.col("period").replace_strict({k: p.start for k, p in spans.items()}, default=None,
                                        return_dtype=pl.Date).alias("period_start"),
        pl.col("period").replace_strict({k: p.end for k, p in spans.items()}, default=None,
                                        return_dtype=pl.Date).alias("period_end"),
        pl.col("owner").alias("owner_ref"),
    )  # fmt: skip
    return _finish(table, rows, batch, mapping.owner_is)


def parse_wide(table: Table, mapping: Mapping | None = None) -> Batch:
    """`Year, EmployeeID, M01 .. M12`: one monthly quota per filled cell."""
    batch = Batch(format="quota_sheet", files=[table.name], rows_read=table.frame.height)
    year_col, owner_col, months = _wide_columns(table)
    by_key = {label_key(c): c for c in table.columns}
    kind_col = by_key.get("kind") or by_key.get("quota type")
    decimal_comma = bool(mapping and mapping.decimal_comma)
    kinds = {c: "money_eu" if decimal_comma else "money" for c in months} | {year_col: "int"}
    typed, problems = parse_columns(table.name, table.frame, kinds)
    unit, unit_problems = _unit(table, typed, year_col)
    if mapping is not None and mapping.unit != 1.0:  # the mapping's unit replaces the sheet's
        unit, unit_problems = pl.lit(1.0), []
    batch.errors += problems + unit_problems
    bad = typed.filter(pl.col(year_col).is_null() | ~pl.col(year_col).is_between(1900, 2999))
    batch.errors += [
        Problem(table.name, line, year_col, "a year is required") for line in bad[LINE]
    ]
    if batch.errors:
        return batch
    base = typed.with_columns((unit * (mapping.unit if mapping else 1.0)).alias("__unit"))
    rows = base.unpivot(
        on=list(months),
        index=[LINE, year_col, owner_col, "__unit"] + ([kind_col] if kind_col else []),
        variable_name="month_label",
        value_name="amount",
    ).filter(pl.col("amount").is_not_null())
    month = pl.col("month_label").replace_strict(months, return_dtype=pl.Int32)
    start = pl.date(pl.col(year_col), month, 1)
    rows = rows.select(
        LINE,
        (pl.col(kind_col) if kind_col else pl.lit(None, pl.String)).alias("kind"),
        pl.col(owner_col).alias("owner_ref"),
        start.alias("period_start"),
        start.dt.offset_by("1mo").alias("period_end"),
        (pl.col("amount") * pl.col("__unit")).alias("amount"),
    )
    missing = rows.filter(pl.col("owner_ref").is_null())
    batch.errors += [Problem(table.name, line, owner_col, "is required") for line in missing[LINE]]
    owner_is = mapping.owner_is if mapping else ""
    return _finish(table, rows.filter(pl.col("owner_ref").is_not_null()), batch, owner_is)
