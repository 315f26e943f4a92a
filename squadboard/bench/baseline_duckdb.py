"""The DuckDB baseline (issue #19): the benchmark's four views in SQL straight over the raw
tables (baseline_duckdb.sql), loaded in memory from the CSV exports, without Squadboard's
derived tables. One in-memory database per process; `load` makes a table of a CSV file."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

SQL_FILE = Path(__file__).with_name("baseline_duckdb.sql")


@cache
def _sections() -> tuple[str, dict[str, str]]:
    """The macros, and view name -> its query."""
    parts = re.split(r"^-- view: (\w+)\n", SQL_FILE.read_text(), flags=re.MULTILINE)
    return parts[0], dict(
        zip(parts[1::2], (p.strip().rstrip(";") for p in parts[2::2]), strict=True)
    )


@cache
def connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


@cache
def _macros() -> None:
    """The macros, once the tables they read have been loaded (DuckDB binds them then)."""
    _do(_sections()[0])


def _do(sql: str, params: list | None = None) -> None:
    """A statement on a cursor of its own (a connection keeps one open result at a time)."""
    cur = connection().cursor()
    try:
        cur.execute(sql, params)
    finally:
        cur.close()


def load(csv_dir: Path, table: str) -> str:
    """The CSV file as a table of the in-memory database (replacing one loaded before)."""
    _do(
        f"create or replace table {table} as select * from read_csv(?)",
        [str(csv_dir / f"{table}.csv")],
    )
    return table


def _view(name: str):
    def run(f: dict, ps: date, pe: date, as_of: date) -> pl.DataFrame:
        if name != "pipeline_movement":  # the only view that reads no macro
            _macros()
        params = {"ps": ps, "pe": pe, "as_of": as_of}
        sql = _sections()[1][name]
        cur = connection().cursor()
        try:
            # execute, as db.run: `sql` with parameters runs about twice as long on 1.5.5
            bound = {k: v for k, v in params.items() if f"${k}" in sql}
            return cur.execute(sql, bound).pl()
        finally:
            cur.close()

    return run


VIEWS = {
    name: _view(name)
    for name in ("squad_attainment", "rep_attainment", "leaderboard", "pipeline_movement")
}
