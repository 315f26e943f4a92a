"""Checks on a whole batch, whatever format it came from, before anything is called valid.

- ranges: every amount is a finite number that fits the database's decimal(18, 2) (after a
  mapping's unit or a quota sheet's thousands are applied), every split percentage and
  probability a finite number;
- memberships: a rep is in one squad at a time. A membership row that overlaps another row of
  the import, or a stored row of the same rep it does not replace, is refused naming both:
  otherwise the rep's revenue would count in two squads and the squads would add up to more
  than the organisation sold. A stored open membership is closed only by a row that says so
  (same rep and valid_from, with a valid_to).
"""

from __future__ import annotations

import duckdb
import polars as pl

from squadboard.ingest import Batch, Problem
from squadboard.ingest.columns import MAX_AMOUNT, out_of_range
from squadboard.ingest.reader import LINE

# (table, column, what it is, largest value it may have)
NUMBERS = [
    ("deals", "amount", "amount", MAX_AMOUNT),
    ("quotas", "amount", "amount", MAX_AMOUNT),
    ("deals", "probability", "probability", None),
    ("deal_credits", "percent", "percent", None),
]
MAX_LISTED = 50


def _where(frame: pl.DataFrame, files: list[str]) -> pl.DataFrame:
    """Each row's file and line when the frame still carries them, else the batch's files."""
    line = pl.col(LINE) if LINE in frame.columns else pl.lit(None, pl.Int64)
    file = pl.col("__file") if "__file" in frame.columns else pl.lit(", ".join(files))
    return frame.with_columns(line.alias("__where_line"), file.alias("__where_file"))


def ranges(batch: Batch) -> list[Problem]:
    problems: list[Problem] = []
    for table, column, noun, limit in NUMBERS:
        frame = batch.frames.get(table)
        if frame is None or column not in frame.columns or not frame[column].dtype.is_float():
            continue
        value = pl.col(column)
        bad = ~value.is_finite()
        if limit is not None:
            bad = bad | (value.abs() >= limit)
        rows = _where(frame, batch.files).filter(bad.fill_null(False))
        for file, line, v in (
            rows.select("__where_file", "__where_line", column).head(MAX_LISTED).iter_rows()
        ):
            why = out_of_range(v) if noun == "amount" else f"{v!r} is not a finite number"
            problems.append(Problem(file, line, column, why))
        if rows.height > MAX_LISTED:
            problems.append(
                Problem(batch.files[0] if batch.files else "", None, column,
                        f"... and {rows.height - MAX_LISTED:,} more such rows")
            )  # fmt: skip
    return problems


def _span(squad: str, start, end) -> str:
    return f"{squad} ({start} to {end})" if end else f"{squad} ({start} on)"


def memberships(cur: duckdb.DuckDBPyConnection, batch: Batch) -> list[Problem]:
    """Overlapping memberships of one rep: within the import, and against the stored rows of
    the reps it names that it does not replace (same rep and valid_from)."""
    frame = batch.frames.get("squad_members")
    if frame is None or frame.is_empty():
        return []
    # n: the row's place in the upload, numbered here: a window with an empty OVER clause
    # would be neither ordered nor safe (DuckDB 1.5.5 fails one at random, duckdb#25713)
    incoming = (
        _where(frame, batch.files)
        .select("rep_id", "squad_id", "valid_from", "valid_to", "__where_file", "__where_line")
        .with_row_index("n", offset=1)
    )
    cur.register("incoming_members", incoming)
    try:
        rows = cur.execute(
            """
            with rows as (
                select n, rep_id, squad_id, valid_from, valid_to,
                    __where_file as file, __where_line as line, false as stored
                from incoming_members
                union all
                select null, m.rep_id, m.squad_id, m.valid_from, m.valid_to, null, null, true
                from squad_members as m
                where m.rep_id in (select rep_id from incoming_members)
                    and not exists (
                        select 1 from incoming_members as i
                        where i.rep_id = m.rep_id and i.valid_from = m.valid_from
                    )
            )
            select a.file, a.line, a.rep_id, a.squad_id, a.valid_from, a.valid_to,
                b.stored, b.file, b.line, b.squad_id, b.valid_from, b.valid_to
            from rows as a
            join rows as b
                on a.rep_id = b.rep_id
                and not a.stored
                and (b.stored or b.n < a.n)
                and a.valid_from < coalesce(b.valid_to, 'infinity'::date)
                and b.valid_from < coalesce(a.valid_to, 'infinity'::date)
            order by a.file, a.line, a.rep_id, a.valid_from
            limit ?
            """,
            [MAX_LISTED],
        ).fetchall()
    finally:
        cur.unregister("incoming_members")
    problems = []
    for file, line, rep, squad, start, end, stored, o_file, o_line, o_squad, o_start, o_end in rows:
        other = _span(o_squad, o_start, o_end)
        where = f"{o_file}:{o_line}" if o_line is not None else o_file
        where = "stored" if stored else where
        if stored and o_end is None and start > o_start:
            fix = f"to close the stored one, add the row {rep},{o_squad},{o_start},{start}"
        else:
            fix = "a rep is in one squad at a time; make the two date ranges meet, not overlap"
        problems.append(
            Problem(file, line, "valid_from",
                    f"{rep} would be in {_span(squad, start, end)} and in {other}, {where}, at "
                    f"the same time: {fix}")
        )  # fmt: skip
    return problems
