"""Typed columns from text columns, vectorised with Polars, with a Problem per bad cell.

Each parser turns a text column into a typed one; a cell that had text but did not parse is
reported as `file:line: column: reason`. Missing cells stay null (required-ness is checked
separately).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from contextvars import ContextVar
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


# How amounts are written: "point" (1,234.50) or "comma" (1.234,50). A column's format is
# decided from all its values unless the import says (`--locale`, the Import page's choice).
POINT, COMMA = "point", "comma"
EXAMPLE = {POINT: "1,234.50", COMMA: "1.234,50"}
# An amount is valid in a format when it matches its pattern (sign, currency and spaces gone):
# digits grouped by thousands with an optional decimal part, or plain digits with one.
_GROUPED = {
    POINT: r"^[-+]?(\d{1,3}(,\d{3})+(\.\d+)?|\d*\.?\d+)$",
    COMMA: r"^[-+]?(\d{1,3}(\.\d{3})+(,\d+)?|\d*,?\d+)$",
}
_SCIENTIFIC = r"^[-+]?\d+(\.\d+)?[eE][-+]?\d+$"  # 1E+16, as spreadsheets write big numbers
# decimal(18, 2): the largest amount the database holds is 9,999,999,999,999,999.99.
MAX_AMOUNT = 1e16

_forced: ContextVar[str | None] = ContextVar("number_format", default=None)
_notes: ContextVar[list | None] = ContextVar("number_format_notes", default=None)


@contextlib.contextmanager
def number_format(fmt: str | None) -> Iterator[list[Problem]]:
    """Within the block, amounts are read in `fmt` (None: decided per column); yields the
    list that collects, per amount column, which format was found in it."""
    notes: list[Problem] = []
    tokens = _forced.set(fmt), _notes.set(notes)
    try:
        yield notes
    finally:
        _forced.reset(tokens[0])
        _notes.reset(tokens[1])


def _amount_text(col: pl.Expr) -> pl.Expr:
    """An amount cell without currency, spaces, apostrophes (1'234) and parentheses."""
    text = col.str.strip_chars().str.replace_all(r"^[A-Z]{3}\s+|\s+[A-Z]{3}$", "")
    return text.str.replace_all(r"[$€£¥\s\u00a0']", "").str.strip_chars("()")


def _money_expr(col: pl.Expr, decimal_comma: bool = False) -> pl.Expr:
    fmt = COMMA if decimal_comma else POINT
    raw = col.str.strip_chars().str.replace_all(r"[$€£¥\s\u00a0']", "")
    negative = raw.str.starts_with("(") & raw.str.ends_with(")")
    text = _amount_text(col)
    if fmt == COMMA:
        number = text.str.replace_all(r"\.", "").str.replace(",", ".")
    else:
        number = text.str.replace_all(",", "")
    value = (
        pl.when(text.str.contains(_GROUPED[fmt]))
        .then(number.cast(pl.Float64, strict=False))
        .when(text.str.contains(_SCIENTIFIC))  # 1.5E+3 is 1500 whatever the column's format
        .then(text.cast(pl.Float64, strict=False))
    )
    return pl.when(negative).then(-value).otherwise(value)


def detect_number_format(
    file: str, frame: pl.DataFrame, column: str
) -> tuple[str | None, list[Problem]]:
    """The format of a column's amounts, from all of them: the one format every amount with a
    separator fits. A column mixing both (1,234.50 and 1.234,50) is refused; so is one whose
    amounts fit both (1,500 is 1500 or 1.5) with none that tells, unless the import says."""
    forced = _forced.get()
    if forced:
        return forced, []
    text = _amount_text(pl.col(column))
    fits = frame.select(
        pl.col(LINE),
        pl.col(column),
        text.str.contains(_GROUPED[POINT]).fill_null(False).alias(POINT),
        text.str.contains(_GROUPED[COMMA]).fill_null(False).alias(COMMA),
        text.str.contains(r"[.,]").fill_null(False).alias("separator"),
    ).filter(pl.col("separator") & (pl.col(POINT) | pl.col(COMMA)))
    point = fits.filter(pl.col(POINT) & ~pl.col(COMMA))
    comma = fits.filter(pl.col(COMMA) & ~pl.col(POINT))
    if point.height and comma.height:
        # The format of the first amount that tells; the first amount of the other is refused.
        first, other = (point, comma) if point[LINE][0] < comma[LINE][0] else (comma, point)
        fmt = POINT if first is point else COMMA
        line, value = other.row(0)[:2]
        reason = (
            f"{value!r} is written with a decimal {'point' if fmt == COMMA else 'comma'}, but "
            f"{first[column][0]!r} on line {first[LINE][0]} with a decimal "
            f"{'comma' if fmt == COMMA else 'point'}: write every amount of the column the same "
            f"way ({EXAMPLE[fmt]})"
        )
        return None, [Problem(file, line, column, reason)]
    if point.height or comma.height:
        fmt = POINT if point.height else COMMA
        notes = _notes.get()
        if notes is not None:
            notes.append(
                Problem(file, None, column,
                        f"amounts read as written {EXAMPLE[fmt]} (decimal {fmt}), the one way "
                        "every amount in the column fits")
            )  # fmt: skip
        return fmt, []
    if fits.height:
        line, value = fits.row(0)[:2]
        comma_reading = _amount_text(pl.lit(value)).str.replace_all(r"\.", "")
        point_reading = _amount_text(pl.lit(value)).str.replace_all(",", "")
        readings = pl.select(
            point_reading.cast(pl.Float64, strict=False).alias("p"),
            comma_reading.str.replace(",", ".").cast(pl.Float64, strict=False).alias("c"),
        ).row(0)
        reason = (
            f"{value!r} could be {readings[0]:,.10g} or {readings[1]:,.10g} and no amount in the "
            "column tells which: say how amounts are written (--locale en for 1,234.50, "
            "--locale de for 1.234,50; on the Import page, 'Amounts are written')"
        )
        return None, [Problem(file, line, column, reason)]
    return POINT, []


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
    kinds = dict(kinds)
    for column, kind in kinds.items():
        if column not in frame.columns:
            continue
        if kind == "money":
            fmt, undecided = detect_number_format(file, frame, column)
            problems += undecided
            kinds[column] = "money_eu" if fmt == COMMA else "money"
            if fmt is None:
                exprs.append(pl.lit(None, pl.Float64).alias(column))
                continue
        exprs.append(KINDS[kinds[column]].parse(pl.col(column)).alias(column))
    typed = frame.with_columns(exprs) if exprs else frame
    for column, kind in kinds.items():
        if column not in frame.columns:
            continue
        if kind in ("money", "money_eu") and any(p.column == column for p in problems):
            continue  # the column's number format is in question: its amounts are not read
        if kind in ("money", "money_eu"):
            problems += _out_of_range(file, frame, typed, column)
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


def _out_of_range(file: str, frame: pl.DataFrame, typed: pl.DataFrame, column: str) -> list:
    """Amounts that are not finite or do not fit the database's decimal(18, 2)."""
    value = typed[column]
    bad = frame.filter((~value.is_finite() | (value.abs() >= MAX_AMOUNT)).fill_null(False))
    return [
        Problem(file, line, column, out_of_range(raw))
        for line, raw in zip(bad[LINE].head(200), bad[column].head(200), strict=True)
    ]


def out_of_range(value: object) -> str:
    """Why an amount cannot be stored: not a finite number, or too large for decimal(18, 2)."""
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        return f"{str(value)[:40]!r} is not a finite amount"
    return (
        f"{str(value)[:40]!r} is too large: an amount must be below "
        "10,000,000,000,000,000 (is the column in the right unit?)"
    )


def require(file: str, frame: pl.DataFrame, columns: list[str]) -> list[Problem]:
    """A problem for every empty cell in a required column."""
    problems = []
    for column in columns:
        if column not in frame.columns:
            continue
        bad = frame.filter(pl.col(column).is_null())
        problems += [Problem(file, line, column, "is required but empty") for line in bad[LINE]]
    return problems
