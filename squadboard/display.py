"""How a figure looks on screen: the one formatting layer. Pure (no streamlit).

The rules, everywhere (tiles, captions, tables, messages):

- money in whole dollars ("$12,346"); in cents ("$12,345.67") only where figures must add up
  to the cent (drill-downs, pool shares) and in downloads, which keep the exact value;
- a change of money is signed ("+$1,200", "-$300");
- a percentage is whole ("46%"), from a fraction (0.456); a change of a percentage is in
  percentage points, signed, one decimal ("+1.5 pts");
- a date is a date ("23 Nov 2026"); a moment adds the time ("23 Nov 2026, 10:05"), never
  "00:00:00";
- a missing value is a dash ("–"), never "None" or "nan";
- a column header is words ("Deal amount"), never a snake_case name.

ui.py turns these into Streamlit column configs (ui.money, ui.pct, ui.table...); pages never
format a number by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal

import polars as pl

DASH = "–"
MINUS = "-"  # as the grid writes a negative amount (-$300), so both read the same


def missing(value: object) -> bool:
    """None, NaN (float or Decimal) or NaT: nothing to show."""
    if value is None:
        return True
    if isinstance(value, float | Decimal):
        return value != value  # NaN is the one value not equal to itself
    return False


def _number(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def money(value: object) -> str:
    """Whole dollars: $12,346; -$300 for a negative amount."""
    if missing(value):
        return DASH
    amount = round(_number(value))
    return f"{MINUS if amount < 0 else ''}${abs(amount):,.0f}"


def cents(value: object) -> str:
    """Dollars and cents, for figures that must add up to the cent: $12,345.67."""
    if missing(value):
        return DASH
    amount = round(_number(value), 2)
    return f"{MINUS if amount < 0 else ''}${abs(amount):,.2f}"


def money_change(value: object) -> str:
    """A signed change of money in whole dollars: +$1,200, -$300, $0."""
    if missing(value):
        return DASH
    amount = round(_number(value))
    sign = "+" if amount > 0 else MINUS if amount < 0 else ""
    return f"{sign}${abs(amount):,.0f}"


def percent(fraction: object) -> str:
    """A percentage from a fraction, whole: 0.456 -> 46%."""
    if missing(fraction):
        return DASH
    value = _number(fraction)
    if math.isinf(value):
        return DASH
    return f"{round(value * 100):,.0f}%"


def points(fraction: object) -> str:
    """A change of a percentage, in percentage points: 0.015 -> +1.5 pts (0.0 -> 0.0 pts)."""
    if missing(fraction):
        return DASH
    value = round(_number(fraction) * 100, 1)
    sign = "+" if value > 0 else MINUS if value < 0 else ""
    return f"{sign}{abs(value):.1f} pts"


def count(value: object) -> str:
    """A whole number with thousands separators: 1,234."""
    return DASH if missing(value) else f"{round(_number(value)):,}"


def decimal(value: object, places: int = 1) -> str:
    """A plain number with `places` decimals (points, ratios): 2.5."""
    return DASH if missing(value) else f"{_number(value):,.{places}f}"


def day(value: date | datetime | None) -> str:
    """A date: 23 Nov 2026."""
    if value is None:
        return DASH
    return f"{value.day} {value:%b %Y}"


def moment(value: datetime | date | None) -> str:
    """A date and time to the minute: 23 Nov 2026, 10:05 (a bare date stays a date)."""
    if value is None:
        return DASH
    if not isinstance(value, datetime):
        return day(value)
    return f"{day(value)}, {value:%H:%M}"


def text(value: object) -> str:
    return DASH if missing(value) or value == "" else str(value)


# A word in a column name that reads better another way.
_WORDS = {"pct": "%", "id": "ID", "ae": "AE", "se": "SE", "csm": "CSM", "crm": "CRM", "n": "N"}


def header(name: str) -> str:
    """A column name in words: deal_amount -> Deal amount, split_pct -> Split %."""
    words = [w for w in re.split(r"[_\s]+", name.strip()) if w]
    if not words:
        return name
    shown = [_WORDS.get(w.lower(), w.lower()) for w in words]
    first = shown[0]
    shown[0] = first if first in _WORDS.values() else first[:1].upper() + first[1:]
    return " ".join(shown)


def is_snake_case_header(label: str) -> bool:
    """A header a person should not see: a code name (deal_amount, rep, status) rather than
    words. One lowercase word counts too: headers start with a capital."""
    return bool(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", label.strip()))


FORMATTERS: dict[str, Callable[[object], str]] = {
    "money": money,
    "cents": cents,
    "money_change": money_change,
    "percent": percent,
    "percent100": lambda v: DASH if missing(v) else percent(_number(v) / 100),
    "points": points,
    "points100": lambda v: DASH if missing(v) else points(_number(v) / 100),
    "count": count,
    "decimal": decimal,
    "decimal2": lambda v: decimal(v, 2),
    "ratio": lambda v: DASH if missing(v) else f"{_number(v):,.1f}×",
    "day": day,
    "moment": moment,
    "text": text,
}


def as_text(series: pl.Series, kind: str) -> pl.Series:
    """A column written out the way `kind` shows it (a dash for each missing value). Each
    distinct value is formatted once (a big table repeats its targets and quotas)."""
    fmt = FORMATTERS[kind]
    distinct = series.drop_nulls().unique().to_list()
    if not distinct:
        return pl.Series(series.name, [DASH] * series.len(), dtype=pl.String)
    shown = series.replace_strict(
        distinct, [fmt(v) for v in distinct], default=None, return_dtype=pl.String
    )
    return shown.fill_null(DASH).alias(series.name)


def at_midnight(series: pl.Series) -> bool:
    """A date-time column whose every value is at 00:00:00: really dates."""
    if not isinstance(series.dtype, pl.Datetime):
        return False
    values = series.drop_nulls()
    return values.is_empty() or bool((values.dt.time() == time(0)).all())
