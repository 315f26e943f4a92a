"""Typed columns from text columns, vectorised with Polars, with a Problem per bad cell.

Each parser turns a text column into a typed one; a cell that had text but did not parse is
reported as `file:line: column: reason`. Missing cells stay null (required-ness is checked
separately).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from squadboard.ingest import Problem
from squadboard.ingest.reader import LINE

# A formula-looking cell from a spreadsheet is never taken as data.
FORMULA_START = ("=", "+", "@")


def _date_expr(col: pl.Expr) -> pl.Expr:
    text = col.str.strip_chars()
    first = text.str.split(" ").list.first()  # drop a time part: "3/1/2017 10:00 AM"
    iso = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    us = first.str.strptime(pl.Date, "%m/%d/%Y", strict=False)
    return pl.coalesce(iso, us)


def _date_dmy_expr(col: pl.Expr) -> pl.Expr:
    """ISO, or day first: 31/1/2026, 31.01.2026, 31-01-2026 (date_order "dmy" of a mapping)."""
    text = col.str.strip_chars()
    first = text.str.split(" ").list.first().str.replace_all(r"[.\-]", "/")
    iso = text.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    dmy = first.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    return pl.coalesce(iso, dmy)


def _datetime_expr(col: pl.Expr) -> pl.Expr:
    text = col.str.strip_chars().str.replace("T", " ").str.replace(r"Z$", "")
    full = text.str.slice(0, 19).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    minute = text.str.slice(0, 16).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False)
    day = _date_expr(col).cast(pl.Datetime("us"))
    return pl.coalesce(full, minute, day)


def _money_expr(col: pl.Expr, decimal_comma: bool = False) -> pl.Expr:
    text = col.str.strip_chars().str.replace_all(r"^[A-Z]{3}\s+|\s+[A-Z]{3}$", "")
    text = text.str.replace_all(r"[$€£¥\s\u00a0']", "")
    if decimal_comma:
        text = text.str.replace_all(r"\.", "").str.replace(",", ".")
    else:
        text = text.str.replace_all(",", "")
    negative = text.str.starts_with("(") & text.str.ends_with(")")
    text = text.str.strip_chars("()")
    value = text.cast(pl.Float64, strict=False)
    return pl.when(negative).then(-value).otherwise(value)


def _percent_expr(col: pl.Expr) -> pl.Expr:
    return (
        col.str.strip_chars()
        .str.strip_chars_end("%")
        .str.strip_chars()
        .cast(pl.Float64, strict=False)
    )


def _bool_expr(col: pl.Expr) -> pl.Expr:
    low = col.str.strip_chars().str.to_lowercase()
    return (
        pl.when(low.is_in(["true", "1", "yes", "y"]))
        .then(True)
        .when(low.is_in(["false", "0", "no", "n"]))
        .then(False)
        .otherwise(None)
    )


@dataclass(frozen=True)
class Kind:
    parse: Callable[[pl.Expr], pl.Expr]
    reason: str


KINDS = {
    "text": Kind(lambda c: c, ""),
    "date": Kind(_date_expr, "not a date; use YYYY-MM-DD or M/D/YYYY"),
    "date_dmy": Kind(_date_dmy_expr, "not a date; use YYYY-MM-DD or D/M/YYYY"),
    "datetime": Kind(_datetime_expr, "not a date and time; use YYYY-MM-DD HH:MM[:SS]"),
    "money": Kind(_money_expr, "not an amount; use digits like 1234.50 or $1,234.50"),
    "money_eu": Kind(lambda c: _money_expr(c, True), "not an amount; use digits like 1.234,50"),
    "percent": Kind(_percent_expr, "not a percentage; use a number like 60 or 60%"),
    "int": Kind(lambda c: c.str.strip_chars().cast(pl.Int64, strict=False), "not a whole number"),
    "bool": Kind(_bool_expr, "not true/false"),
}


def parse_columns(
    file: str, frame: pl.DataFrame, kinds: dict[str, str]
) -> tuple[pl.DataFrame, list[Problem]]:
    """Parse each named column by its kind; return the typed frame and every bad cell."""
    problems: list[Problem] = []
    exprs = []
    for column, kind in kinds.items():
        if column not in frame.columns:
            continue
        exprs.append(KINDS[kind].parse(pl.col(column)).alias(column))
    typed = frame.with_columns(exprs) if exprs else frame
    for column, kind in kinds.items():
        if column not in frame.columns:
            continue
        raw = frame[column]
        formula = raw.str.starts_with(FORMULA_START[0])
        for start in FORMULA_START[1:]:
            formula = formula | raw.str.starts_with(start)
        if kind == "text":
            bad = frame.filter(formula.fill_null(False))
            problems += [
                Problem(
                    file,
                    line,
                    column,
                    f"looks like a spreadsheet formula ({value[:40]!r}); enter the value itself",
                )
                for line, value in zip(bad[LINE], bad[column], strict=True)
            ]
            continue
        failed = raw.is_not_null() & typed[column].is_null()
        bad = frame.filter(failed)
        problems += [
            Problem(file, line, column, f"{value[:40]!r} is {KINDS[kind].reason}")
            for line, value in zip(bad[LINE], bad[column], strict=True)
        ]
    return typed, problems


def require(file: str, frame: pl.DataFrame, columns: list[str]) -> list[Problem]:
    """A problem for every empty cell in a required column."""
    problems = []
    for column in columns:
        if column not in frame.columns:
            continue
        bad = frame.filter(pl.col(column).is_null())
        problems += [Problem(file, line, column, "is required but empty") for line in bad[LINE]]
    return problems
