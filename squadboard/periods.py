"""Fiscal periods: quarters and months, labels, and the dates every query takes.

A fiscal year is named by the calendar year in which it starts (with a February start,
FY2026 runs 2026-02-01 .. 2027-01-31). Periods are half-open: [start, end).
Labels: `2026-Q4` (fiscal quarter) and `2026-11` (calendar month).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def kind(self) -> str:
        return "quarter" if "Q" in self.label else "month"

    def params(self, as_of: date | None = None) -> dict[str, date]:
        """The parameters named queries take for this period."""
        out = {"period_start": self.start, "period_end": self.end}
        if as_of is not None:
            out["as_of"] = as_of
        return out

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def previous(self, fy_start_month: int = 1) -> Period:
        if self.kind == "quarter":
            return quarter_of(self.start - timedelta(days=1), fy_start_month)
        return month_of(self.start - timedelta(days=1))

    def next(self, fy_start_month: int = 1) -> Period:
        if self.kind == "quarter":
            return quarter_of(self.end, fy_start_month)
        return month_of(self.end)


def fiscal_year_of(day: date, fy_start_month: int = 1) -> int:
    return day.year if day.month >= fy_start_month else day.year - 1


def quarter_of(day: date, fy_start_month: int = 1) -> Period:
    """The fiscal quarter containing `day`."""
    fy = fiscal_year_of(day, fy_start_month)
    months_in = (day.year * 12 + day.month) - (fy * 12 + fy_start_month)
    q = months_in // 3 + 1
    start = _add_months(date(fy, fy_start_month, 1), (q - 1) * 3)
    return Period(f"{fy}-Q{q}", start, _add_months(start, 3))


def month_of(day: date) -> Period:
    start = date(day.year, day.month, 1)
    return Period(f"{day.year}-{day.month:02d}", start, _add_months(start, 1))


def parse(label: str, fy_start_month: int = 1) -> Period:
    """`2026-Q4` or `2026-11` to a Period; ValueError with what is accepted otherwise."""
    text = (label or "").strip()
    if m := _QUARTER.match(text):
        fy, q = int(m.group(1)), int(m.group(2))
        start = _add_months(date(fy, fy_start_month, 1), (q - 1) * 3)
        return Period(f"{fy}-Q{q}", start, _add_months(start, 3))
    if (m := _MONTH.match(text)) and 1 <= int(m.group(2)) <= 12:
        return month_of(date(int(m.group(1)), int(m.group(2)), 1))
    raise ValueError(
        f"not a period: {label!r}; use a fiscal quarter like 2026-Q4 or a month like 2026-11"
    )


def recent_quarters(today: date, count: int = 8, fy_start_month: int = 1) -> list[Period]:
    """The current fiscal quarter, the next one, and count-2 before it, newest first."""
    current = quarter_of(today, fy_start_month)
    out = [current.next(fy_start_month), current]
    while len(out) < count:
        out.append(out[-1].previous(fy_start_month))
    return out


def recent_months(today: date, count: int = 12) -> list[Period]:
    out = [month_of(today)]
    while len(out) < count:
        out.append(out[-1].previous())
    return out


def elapsed_fraction(period: Period, as_of: date) -> float:
    """Same rule as the SQL macro elapsed_fraction: by end of as_of, clamped to [0, 1]."""
    done = min(max((as_of - period.start).days + 1, 0), period.days)
    return done / period.days


def days_left(period: Period, as_of: date) -> int:
    """Same rule as the SQL macro days_left: whole days after as_of inside the period."""
    return min(max((period.end - as_of).days - 1, 0), period.days)
