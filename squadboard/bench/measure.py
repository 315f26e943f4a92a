"""Timings of what a user waits for: every named query, every page, the import.

Cold means a fresh DuckDB instance (a new connection with nothing else open on the file, so
its buffer pool is empty) and, for pages, Streamlit's caches cleared; the operating system's
file cache stays warm. Warm is the median of the following runs.
"""

from __future__ import annotations

import ast
import gc
import logging
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from squadboard import db, periods, skills

APP = db.ROOT / "app.py"

# Values for parameters whose name says what they are; other parameters get one by type.
# `metric` lists every board so each is timed (issue #5's public interface).
CHOICES = {
    "metric": [
        "credited",
        "pct_to_target",
        "most_improved",
        "assists",
        "overlay",
        "activity",
        "kudos",
        "contribution",
        "mentoring",
        "mastermind",
    ]
}


# Find a mentor (issue #13): its queries are timed as a struggling rep uses them: the page's
# default window (the four quarters up to the anchor day), a rep with closed deals as the
# seeker, and an account many deals share.
WINDOWED = (
    "skill_profile",
    "mentor_suggestions",
    # what the pages read instead of everyone's cells (one rep's, the medians, the counts)
    "skill_rep_profile",
    "skill_team_medians",
    "skill_counts",
)


def median(runs: list[float]) -> float:
    return statistics.median(runs) if runs else float("nan")


def param_sets(query: db.Query, ctx: dict[str, object]) -> list[tuple[str, dict]]:
    """(label, params) to time a query with: the current quarter as of the anchor day, the
    leader's squad and person; one set per choice of an enumerated parameter."""
    base: dict[str, object] = {}
    varying: tuple[str, list] | None = None
    for p in query.params:
        name = p.name
        if query.name in WINDOWED and name in ("period_start", "period_end"):
            base[name] = ctx[f"window_{name.split('_')[1]}"]
        elif query.name in ("mentor_suggestions", "skill_rep_profile") and name == "rep_id":
            base[name] = ctx["seeker_id"]
        elif name in ctx:
            base[name] = ctx[name]
        elif name in CHOICES:
            varying = (name, CHOICES[name])
            base[name] = CHOICES[name][0]
        elif p.optional:
            continue
        elif p.type == "DATE":
            base[name] = ctx["as_of"]
        elif p.type == "VARCHAR":
            if "squad" in name:
                base[name] = ctx["squad_id"]
            elif "deal" in name:
                base[name] = ctx["deal_id"]
            else:
                base[name] = ctx["rep_id"]
        else:
            base[name] = {"INTEGER": 10, "DOUBLE": 0.5, "BOOLEAN": False}[p.type]
    if varying is None:
        return [(query.name, base)]
    name, values = varying
    return [(f"{query.name}[{name}={v}]", base | {name: v}) for v in values]


def context(path: Path, anchor: date) -> dict[str, object]:
    """Parameter values that exist in the database: the quarter, a leader, their squad, a deal."""
    con = db.connect(path, read_only=True)
    try:
        cur = con.cursor()
        leader, squad = cur.execute(
            "select manager_id, squad_id from squads where manager_id is not null "
            "order by squad_id limit 1"
        ).fetchone()
        deal = cur.execute("select min(deal_id) from deals").fetchone()[0]
        seeker, account = cur.execute(
            "select owner_id, account from deals where deal_id = ?", [deal]
        ).fetchone()
        room = cur.execute(
            "select min(mastermind_id) from masterminds where status = 'open'"
        ).fetchone()[0]
    finally:
        con.close()
    quarter = periods.quarter_of(anchor)
    return {
        **quarter.params(anchor),
        "squad_id": squad,
        "rep_id": leader,
        "viewer_id": leader,
        "deal_id": deal,
        # the last week that ended before the anchor day: the weekly meeting's frozen week
        "week_start": anchor - timedelta(days=anchor.weekday() + 7),
        "seeker_id": seeker,
        "account": account,
        "window_start": skills.default_window(anchor)[0],
        "window_end": skills.default_window(anchor)[1],
        "mastermind_id": room,
    }


def queries(path: Path, ctx: dict, repeat: int, only: list[str] | None = None) -> list[dict]:
    """Every named query in queries/, cold and warm."""
    rows = []
    for name in only or db.query_names():
        query = db.get_query(name)
        for label, params in param_sets(query, ctx):
            gc.collect()
            con = db.connect(path, read_only=True)
            row: dict[str, object] = {
                "query": label,
                "params": {k: str(v) for k, v in params.items()},
            }
            try:
                started = time.perf_counter()
                frame = db.run(con, name, **params)
                row["cold_s"] = time.perf_counter() - started
                runs = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    db.run(con, name, **params)
                    runs.append(time.perf_counter() - started)
                row["warm_s"] = median(runs)
                row["rows"] = frame.height
            except Exception as exc:  # a query that fails is reported, not fatal
                row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            finally:
                con.close()
            rows.append(row)
    return rows


def page_table() -> list[tuple[str, str, str]]:
    """(file, title, audience) of every page in app.py's PAGES table, read without running it."""
    tree = ast.parse(APP.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets
        ):
            return [(row[1], row[2], row[-1]) for row in ast.literal_eval(node.value)]
    raise RuntimeError("app.py has no PAGES table")


def _run_page(page: str, viewer_id: str, query: dict[str, str]):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(db.ROOT / page), default_timeout=600)
    at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    started = time.perf_counter()
    at.run()
    took = time.perf_counter() - started
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    return took, problems


def pages(
    path: Path,
    anchor: date,
    viewer_id: str,
    repeat: int,
    only: tuple[str, ...] = (),
    query: dict[str, str] | None = None,
) -> list[dict]:
    """Each page's full server-side run (identifying the viewer, queries, charts, downloads)
    through AppTest, as a new browser session would get it (opening the link's `query`, e.g.
    one section of the weekly meeting)."""
    import streamlit as st
    import streamlit.runtime.caching.cache_data_api  # noqa: F401  (loggers silenced below)
    import streamlit.runtime.caching.cache_resource_api  # noqa: F401
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest  # noqa: F401

    # AppTest outside a server warns about it on every run, and resets the loggers' levels to
    # Streamlit's logger.level option as it starts: set the option, not only the loggers.
    st_config.set_option("logger.level", "error")
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    os.environ["SQUADBOARD_DB"] = str(path)
    os.environ["SQUADBOARD_TODAY"] = anchor.isoformat()
    rows = []
    for page, title, audience in page_table():
        if only and page not in only:
            continue
        st.cache_resource.clear()
        st.cache_data.clear()
        gc.collect()
        row: dict[str, object] = {"page": page, "title": title, "audience": audience}
        if not (db.ROOT / page).is_file():
            row.update(cold_s=None, warm_s=None, problems=["app.py lists it; the file is missing"])
            rows.append(row)
            continue
        cold, problems = _run_page(page, viewer_id, query or {})
        runs = []
        for _ in range(repeat):
            took, more = _run_page(page, viewer_id, query or {})
            runs.append(took)
            problems += more
        row.update(cold_s=cold, warm_s=median(runs))
        if problems:
            row["problems"] = sorted(set(map(str, problems)))[:5]
        rows.append(row)
    st.cache_resource.clear()
    gc.collect()
    return rows


EMPTY_PAGE = 'import streamlit as st\n\nst.title("An empty page")\n'


def empty_page(work: Path, repeat: int) -> dict:
    """The reference every page is judged against (issue #19): an empty Streamlit page under
    the same AppTest runner, cold and warm, on the same machine in the same run. What it costs
    is the runner and the machine, not Squadboard."""
    import streamlit as st

    page = work / "empty_page.py"
    page.write_text(EMPTY_PAGE)
    st.cache_resource.clear()
    st.cache_data.clear()
    gc.collect()
    cold = _time_app(page)
    return {"cold_s": cold, "warm_s": median([_time_app(page) for _ in range(repeat)])}


def _time_app(page: Path) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(page), default_timeout=600)
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started


def bare_load(csv_file: Path, work: Path) -> dict:
    """The import's reference (issue #19): DuckDB loading the same CSV file into a bare table
    of a new database file, with nothing checked, diffed or derived. Best of two runs."""
    import duckdb

    runs = []
    for attempt in range(2):
        target = work / f"bare_load_{attempt}.duckdb"
        con = duckdb.connect(str(target))
        try:
            started = time.perf_counter()
            con.execute("create table loaded as select * from read_csv(?)", [str(csv_file)])
            con.execute("checkpoint")
            runs.append(time.perf_counter() - started)
            rows = con.execute("select count(*) from loaded").fetchone()[0]
        finally:
            con.close()
            target.unlink(missing_ok=True)
    return {"file": csv_file.name, "rows": rows, "load_s": min(runs)}


def import_file(path: Path, csv_file: Path, anchor: date) -> dict:
    """The real importer, as `python -m squadboard import` runs it: read, validate, write."""
    from squadboard.ingest import apply, formats, units

    con = db.connect(path)
    try:
        started = time.perf_counter()
        batch, _ = formats.load([(csv_file.name, csv_file.read_bytes())])
        parsed = time.perf_counter() - started
        units.check(con, batch)  # the command's units sanity check, before it writes
        counts = apply.write(con, batch, actor="bench", as_of=anchor)
        total = time.perf_counter() - started
        # The same file again changes nothing, so it must write nothing: no log, no undo rows.
        kept = "select (select count(*) from import_undo) + (select count(*) from import_log)"
        rows_before = con.execute(kept).fetchone()[0]
        started = time.perf_counter()
        again, _ = formats.load([(csv_file.name, csv_file.read_bytes())])
        apply.write(con, again, actor="bench", as_of=anchor)
        reimport = time.perf_counter() - started
        reimport_rows = con.execute(kept).fetchone()[0] - rows_before
    finally:
        con.close()
    return {
        "file_bytes": csv_file.stat().st_size,
        "rows": batch.rows_read,
        "written": counts,
        "read_validate_s": parsed,
        "total_s": total,
        "reimport_s": reimport,
        "reimport_changed": sum(again.changed.values()),
        "reimport_rows_kept": reimport_rows,
    }


def refuse_wide(columns: int = 1_000_000) -> dict:
    """A CSV of a million columns (8 MB) must be refused on its header, within a second."""
    from squadboard.ingest import formats

    data = (
        ",".join(f"c{i}" for i in range(columns)) + "\n" + "1," * (columns - 1) + "1\n"
    ).encode()
    started = time.perf_counter()
    batch, _ = formats.load([("wide.csv", data)])
    took = time.perf_counter() - started
    return {"columns": columns, "file_bytes": len(data), "refused_s": took,
            "refused": any("columns" in p.reason for p in batch.errors)}  # fmt: skip


def order_lines_mapping():
    """The order-lines mapping of docs/importing.md, for the bench's ERP export."""
    from squadboard.ingest.mapping import Mapping

    columns = {
        "source_id": "SalesOrderNumber",
        "owner": "SalesPerson",
        "account": "CustomerName",
        "product": "ProductName",
        "amount": "LineTotal",
        "created_date": "OrderDate",
        "close_date": "InvoiceDate",
    }
    return Mapping("deals", columns, "erp", lines=True, constants={"stage": "Closed Won"})


def import_order_lines(path: Path, csv_file: Path, anchor: date) -> dict:
    """An ERP order-lines file through the real importer with its mapping, as the command
    runs it: read and combine the lines into orders, the units sanity check, write."""
    from squadboard.ingest import apply, formats, units

    con = db.connect(path)
    try:
        started = time.perf_counter()
        data = [(csv_file.name, csv_file.read_bytes())]
        batch, _ = formats.load(data, mapping=order_lines_mapping())
        parsed = time.perf_counter() - started
        warnings = units.check(con, batch)
        counts = apply.write(con, batch, actor="bench", as_of=anchor)
        total = time.perf_counter() - started
    finally:
        con.close()
    return {
        "file_bytes": csv_file.stat().st_size,
        "rows": batch.rows_read,
        "written": counts,
        "units_warnings": [str(w) for w in warnings],
        "read_validate_s": parsed,
        "total_s": total,
    }


def compare(view: str, ours: pl.DataFrame, theirs: pl.DataFrame, key: str) -> dict:
    """Do Squadboard's answer and the pandas answer agree on every shared column?"""
    columns = [c for c in theirs.columns if c != key and c in ours.columns]
    if key not in ours.columns or not columns:
        return {"checked": False, "note": f"{view} has no {key} or no shared columns"}
    numeric = [c for c in columns if ours.schema[c].is_numeric()]
    a = ours.select(key, *[pl.col(c).cast(pl.Float64) for c in numeric])
    b = theirs.select(key, *[pl.col(c).cast(pl.Float64) for c in numeric])
    joined = a.join(b, on=key, how="full", suffix="_pandas", coalesce=True)
    bad = []
    for c in numeric:
        x, y = joined[c], joined[f"{c}_pandas"]
        money = c not in ("attainment", "pace", "coverage", "rank")
        # A row one side leaves out means zero on that side for money, unknown for ratios.
        if money:
            x, y = x.fill_null(0.0), y.fill_null(0.0)
        # Cents for money; ratios to 1e-6 (a decimal division in SQL rounds its last digits).
        tol = (0.011 if money else 1e-6) + 1e-9 * y.abs()
        diff = ((x - y).abs() > tol) | (x.is_null() != y.is_null())
        if diff.any():
            row = joined.filter(diff.fill_null(False)).row(0, named=True)
            bad.append(f"{c}: {int(diff.sum())} rows differ, e.g. {row}")
    return {"checked": True, "columns": numeric, "rows": joined.height, "mismatches": bad}
