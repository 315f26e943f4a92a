"""Imports. Every source format ends in the same validated `Batch` of frames, one per table;
`apply.write` puts a batch into the database in one transaction, or nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# Revenue splits of a deal must total 100 %, give or take this many percentage points, in
# every format (rounded exports: 33.33 + 33.33 + 33.33); the deal's whole amount is shared out
# in their proportions all the same (facts.sql), so credits add up to the deal to the cent.
SPLIT_TOLERANCE = 0.01

# The frames a batch may carry, in the order they are written.
TABLES = (
    "squads",
    "reps",
    "squad_members",
    "quotas",
    "deals",
    "deal_credits",
    "activities",
    "kudos",
    "account_attributes",  # Find a mentor (issue #13): e.g. each account's sector
)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"
        )


@dataclass
class Batch:
    """What one import would write. Frames use the column names of the schema tables."""

    format: str
    files: list[str] = field(default_factory=list)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # What the import decided for the user to know (the number format found in a column).
    notes: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    # Tables whose rows for the keys in this batch replace what is stored (e.g. a deal's credits).
    replace_credits_of_deals: bool = True
    # Frames that help resolve people but are not written (e.g. a Salesforce users file).
    lookups: dict[str, pl.DataFrame] = field(default_factory=dict)
    # Rows per table that were new or differed from what was stored (set by apply.write).
    changed: dict[str, int] = field(default_factory=dict)
    # The import_log id of the write; None when the batch changed nothing and nothing was written.
    import_id: int | None = None

    def add(self, table: str, frame: pl.DataFrame) -> None:
        if table not in TABLES:
            raise ValueError(f"unknown table {table}")
        if table in self.frames:
            frame = pl.concat([self.frames[table], frame], how="diagonal_relaxed")
        self.frames[table] = frame

    def merge(self, other: Batch) -> None:
        self.files += other.files
        self.errors += other.errors
        self.warnings += other.warnings
        self.notes += other.notes
        self.rows_read += other.rows_read
        for table, frame in other.frames.items():
            self.add(table, frame)
        for name, frame in other.lookups.items():
            old = self.lookups.get(name)
            self.lookups[name] = (
                frame if old is None else pl.concat([old, frame], how="diagonal_relaxed")
            )

    @property
    def ok(self) -> bool:
        return not self.errors


def shown_problems(problems: list[Problem], most: int = 200) -> list[Problem]:
    """The problems to list: the first `most`, and every summary after them (a problem with no
    line, such as "showing 200 of 54,310 rows: ..."); the caller says how many there are."""
    return problems[:most] + [p for p in problems[most:] if p.line is None][:50]


class ImportFailed(Exception):
    """Raised with every problem found; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))
