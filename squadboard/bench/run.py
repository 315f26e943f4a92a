"""`python -m squadboard bench`: build the organisation, time everything, compare with pandas,
check the budgets, print a table and write JSON."""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import polars as pl

from squadboard import db, store
from squadboard.bench import measure
from squadboard.bench.generate import SCALES

GIB = 2**30
BUDGETS = {
    "page_warm_s": 0.3,
    "page_cold_s": 1.5,
    "import_s": 15.0,
    "order_lines_import_s": 15.0,  # an ERP export of as many order lines (issue #17)
    "pandas_ratio": 10.0,
    "best_baseline_ratio": 1.0,  # no slower than the best of pandas, Polars and raw DuckDB
    "peak_memory_bytes": 4 * GIB,
    "wide_refusal_s": 1.0,  # a 1,000,000-column CSV refused on its header (issue 12)
}
# Budgets as ratios to references timed in the same run on the same machine (issue #19), so
# that they carry from one machine (and one load average) to the next.
RATIOS = {
    "page_warm_x_empty": 1.5,  # a page's warm run against an empty page's warm run
    "page_cold_x_empty": 3.0,  # a page's cold run against an empty page's cold run
    "import_x_bare_load": 4.0,  # an import against DuckDB loading the same file bare
}
# View -> (named query, fixed params, key column) compared with the pandas baseline.
VIEWS = {
    "squad_attainment": ("squad_attainment", {}, "squad_id"),
    "rep_attainment": ("rep_attainment", {}, "rep_id"),
    "leaderboard": ("leaderboard", {"metric": "credited"}, "rep_id"),
    "pipeline_movement": ("pipeline_movement", {}, "owner_id"),
}


def _subprocess(args: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=db.ROOT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def _check_reusable(path: Path, work: Path, scale: str) -> None:
    """A kept organisation may be timed again only as it was built: no import run on it yet
    (the bench's imports change it) and every file the bench reads still there."""
    needed = [path, work / "import_deals.csv", work / "order_lines.csv", work / "csv"]
    missing = [p.name for p in needed if not p.exists()]
    if missing:
        raise ValueError(f"--reuse: {work} has no {', '.join(missing)}; build afresh")
    con = db.connect(path, read_only=True)
    try:
        reps = con.execute("select count(*) from reps").fetchone()[0]
        imported = con.execute("select count(*) from import_log").fetchone()[0]
    finally:
        con.close()
    if reps != SCALES[scale].reps:
        raise ValueError(f"--reuse: {path} has {reps:,} reps, not the {scale} scale's")
    if imported:
        raise ValueError(f"--reuse: {path} has had imports run on it; build afresh")


def _file_bytes(path: Path) -> int:
    wal = path.with_name(path.name + ".wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def run(
    scale_name: str = "small",
    out: Path | None = None,
    *,
    anchor: date | None = None,
    repeat: int = 5,
    work_dir: Path | None = None,
    keep: bool = False,
    reuse: bool = False,
    echo: Callable[[str], None] = print,
    lake: str | None = None,
) -> dict:
    """The whole benchmark at one scale; the report (also written to `out` as JSON) back.
    With `lake` (a new, empty `ducklake:...` store) the organisation is copied into it and
    everything is timed there, with the kudos many concurrent writers sustain."""
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    scale = SCALES[scale_name]
    anchor = anchor or date.today()
    work = Path(work_dir or tempfile.mkdtemp(prefix="squadboard-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "bench.duckdb"
    known = set(db.query_names())
    views = {v: spec for v, spec in VIEWS.items() if spec[0] in known}
    report: dict = {
        "scale": scale.as_dict(),
        "anchor": anchor.isoformat(),
        "repeat": repeat,
        "budgets": BUDGETS,
        "ratio_budgets": RATIOS,
        "load_average": {"start": os.getloadavg()},
        "notes": [],
    }
    for view, (name, _, _) in VIEWS.items():
        if view not in views:
            report["notes"].append(f"view {view}: no named query {name!r}; not compared")
    try:
        if reuse:
            _check_reusable(path, work, scale.name)
            echo(f"timing the {scale.name} organisation a kept run left in {work} …")
            report["notes"].append(f"reused the organisation kept in {work}; not built again")
        else:
            echo(f"building the {scale.name} organisation in {path} …")
            gen = [str(path), str(work), "--scale", scale.name, "--anchor", anchor.isoformat()]
            if "pipeline_movement" in views:
                gen.append("--snapshots-csv")
            report["generate"] = _subprocess(["squadboard.bench.generate", *gen])
        report["db_bytes"] = _file_bytes(path)
        target: Path | str = path
        if lake:
            echo(f"copying it into the shared store {store.describe(lake)} …")
            report["store"] = store.describe(lake)
            report["copy_to_lake_s"] = copy_to_lake(path, lake)
            target = lake
        ctx = measure.context(target, anchor)
        echo("timing the named queries …")
        report["queries"] = measure.queries(target, ctx, repeat)
        echo("timing the pages …")
        report["empty_page"] = measure.empty_page(work, repeat)
        report["pages"] = measure.pages(target, anchor, str(ctx["viewer_id"]), repeat)
        # Find a mentor, Mentoring (issue #13) and Masterminds (issue #15) as the rep they are
        # for, beside the leader's run.
        mentor_pages = ("pages/mentor.py", "pages/mentoring.py", "pages/masterminds.py")
        for row in measure.pages(target, anchor, str(ctx["seeker_id"]), repeat, mentor_pages):
            report["pages"].append(row | {"page": f"{row['page']} (as a rep)"})
        # The weekly meeting (issue #14): as a rep opens it (read-only, their squad), and its
        # two heaviest sections for every squad: the bridge and the deals that need help.
        meeting_page = ("pages/meeting.py",)
        for row in measure.pages(target, anchor, str(ctx["seeker_id"]), repeat, meeting_page):
            report["pages"].append(row | {"page": f"{row['page']} (as a rep)"})
        for section in ("2", "4"):
            for row in measure.pages(target, anchor, str(ctx["viewer_id"]), repeat, meeting_page,
                                     {"section": section}):  # fmt: skip
                report["pages"].append(row | {"page": f"{row['page']}?section={section}"})
        echo("computing the views with pandas over the CSV files …")
        report["views"] = _views(path, work, ctx, views, report["queries"], repeat)
        report["notes"] += report["views"].pop("notes", [])
        echo("importing the deals file through the real importer …")
        report["bare_load"] = measure.bare_load(work / "import_deals.csv", work)
        report["import"] = measure.import_file(target, work / "import_deals.csv", anchor)
        echo("refusing a 1,000,000-column file …")
        report["wide_file"] = measure.refuse_wide()
        echo("importing the order-lines file with its mapping …")
        report["order_lines_bare_load"] = measure.bare_load(work / "order_lines.csv", work)
        report["order_lines_import"] = measure.import_order_lines(
            target, work / "order_lines.csv", anchor
        )
        if lake:
            echo("many kudos writers at once …")
            report["kudos_writers"] = kudos_writers(lake, anchor)
        else:
            report["db_bytes_after_import"] = _file_bytes(path)
        report["peak_memory_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        report["load_average"]["end"] = os.getloadavg()
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    report["verdicts"] = verdicts(report)
    for line in table(report):
        echo(line)
    if out:
        Path(out).write_text(json.dumps(report, indent=1, default=str))
    return report


ENGINES = ("pandas", "polars", "duckdb")  # the baselines, each in a process of its own


def copy_to_lake(path: Path, lake: str) -> float:
    """Copy every table of the benchmark file into the new lake, in one commit; seconds back."""
    started = time.perf_counter()
    con = db.connect(lake)
    cur = con.cursor()
    cur.execute(f"attach '{path}' as bench_file (read_only)")
    tables = [
        r[0]
        for r in cur.execute(
            "select table_name from duckdb_tables() where database_name = 'bench_file'"
        ).fetchall()
    ]
    cur.begin()
    for table in tables:
        cur.execute(f"delete from {table}")
        cur.execute(f"insert into {table} by name select * from bench_file.main.{table}")
    for seq, (table, column) in (
        ("import_id_seq", ("import_log", "import_id")),
        ("audit_id_seq", ("audit_log", "audit_id")),
    ):
        cur.execute(
            f"update store_seq_{seq} set last_id = (select coalesce(max({column}), 0) from {table})"
        )
    cur.commit()
    cur.execute("detach bench_file")
    con.close()
    return time.perf_counter() - started


def kudos_writers(lake: str, anchor: date, writers: int = 8, each: int = 10) -> dict:
    """`writers` threads, each with a connection of its own (as app processes have), give
    `each` kudos as fast as they can; kudos per second and whether every one was kept."""
    from squadboard import kudos, plan

    con = db.connect(lake)
    reps = [
        r[0]
        for r in con.cursor()
        .execute("select rep_id from reps where active order by rep_id limit ?", [writers + 1])
        .fetchall()
    ]
    roomy = plan.Plan(kudos_daily_limit=10**6)
    errors: list[str] = []
    cons = [db.connect(lake) for _ in range(writers)]

    def write(w: int) -> None:
        for n in range(each):
            try:
                kudos.give_kudos(
                    cons[w],
                    reps[w],
                    reps[w + 1],
                    kudos.CATEGORIES[0],
                    f"bench {w}-{n}",
                    None,
                    roomy,
                    datetime.combine(anchor, datetime.min.time()),
                    request_key=f"bench-{w}-{n}",
                )
            except Exception as exc:  # counted as lost below
                errors.append(str(exc))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    kept = (
        con.cursor()
        .execute(
            "select count(*), count(distinct kudos_id) from kudos where kudos_id like 'kudos:bench-%'"
        )
        .fetchone()
    )
    for c in [con, *cons]:
        c.close()
    return {
        "writers": writers,
        "given": writers * each,
        "kept": kept[0],
        "distinct": kept[1],
        "errors": errors[:5],
        "seconds": seconds,
        "kudos_per_s": writers * each / seconds,
    }


def _views(path: Path, work: Path, ctx: dict, views: dict, timed: list, repeat: int) -> dict:
    """Each view from every baseline engine (pandas, Polars lazy over frames in memory, DuckDB
    over the raw tables in memory; issue #19), compared with the named query's answer."""
    if not views:
        return {}
    period = {k: str(ctx[k]) for k in ("period_start", "period_end", "as_of")}
    base = {}
    notes: list[str] = []
    for engine in ENGINES:
        answers = work / "answers" / engine
        answers.mkdir(parents=True, exist_ok=True)
        try:
            base[engine] = _subprocess(
                [
                    "squadboard.bench.baseline",
                    str(work / "csv"),
                    str(answers),
                    "--views",
                    ",".join(views),
                    "--params",
                    json.dumps(period),
                    "--repeat",
                    str(max(1, min(repeat, 3))),
                    "--engine",
                    engine,
                ]
            )
        except RuntimeError as failed:  # one engine failing loses no other figure
            lines = str(failed).splitlines()
            said = next((x for x in reversed(lines) if "Error" in x), lines[-1])
            notes.append(f"baseline {engine} failed: {said.strip()[:300]}")
    warm = {row["query"]: row for row in timed}
    con = db.connect(path, read_only=True)
    out: dict = {"notes": notes}
    if "pandas" in base:
        out["pandas_peak_memory_bytes"] = base["pandas"]["peak_memory_bytes"]
    try:
        for view, (name, fixed, key) in views.items():
            query = db.get_query(name)
            params = {p.name: ctx[p.name] for p in query.params if p.name in ctx} | fixed
            label = name + "".join(f"[{k}={v}]" for k, v in fixed.items())
            ours = db.run(con, name, **params)
            ours_s = warm.get(label, {}).get("warm_s")
            engines = {}
            for engine in base:
                theirs = pl.read_parquet(work / "answers" / engine / f"{view}.parquet")
                found = base[engine]["views"][view]
                engines[engine] = {
                    "compute_s": found["compute_s"],
                    "load_s": found["load_s"],
                    "ratio": found["compute_s"] / ours_s if ours_s else None,
                    "agreement": measure.compare(view, ours, theirs, key),
                }
            if "pandas" not in engines:
                continue
            best = min(engines, key=lambda e: engines[e]["compute_s"])
            pandas = engines["pandas"]
            out[view] = {
                "query": label,
                "squadboard_warm_s": ours_s,
                "pandas_compute_s": pandas["compute_s"],
                "pandas_load_s": pandas["load_s"],
                "ratio": pandas["ratio"],
                "ratio_with_load": (pandas["compute_s"] + pandas["load_s"]) / ours_s
                if ours_s
                else None,
                "agreement": pandas["agreement"],
                "engines": engines,
                "best": best,
                "ratio_to_best": engines[best]["ratio"],
            }
    finally:
        con.close()
    return out


def verdicts(report: dict) -> list[dict]:
    """Every budget with what was reached; `ok` False where it is missed."""
    found = []

    def add(what: str, reached, limit, ok: bool) -> None:
        found.append({"what": what, "reached": reached, "limit": limit, "ok": ok})

    for page in report.get("pages", []):
        if page["warm_s"] is None:
            add(f"page {page['page']}", "; ".join(page["problems"]), "runs", False)
            continue
        add(f"page {page['page']} warm", page["warm_s"], BUDGETS["page_warm_s"],
            page["warm_s"] <= BUDGETS["page_warm_s"] and "problems" not in page)  # fmt: skip
        add(f"page {page['page']} cold", page["cold_s"], BUDGETS["page_cold_s"],
            page["cold_s"] <= BUDGETS["page_cold_s"] and "problems" not in page)  # fmt: skip
    if "import" in report:
        s = report["import"]["total_s"]
        add("deals import", s, BUDGETS["import_s"], s <= BUDGETS["import_s"])
        if "reimport_rows_kept" in report["import"]:
            kept = report["import"]["reimport_rows_kept"] + report["import"]["reimport_changed"]
            add("deals re-import writes nothing", kept, 0, kept == 0)
    if "wide_file" in report:
        w = report["wide_file"]
        add("wide file refused", w["refused_s"], BUDGETS["wide_refusal_s"],
            w["refused"] and w["refused_s"] <= BUDGETS["wide_refusal_s"])  # fmt: skip
    if "order_lines_import" in report:
        s = report["order_lines_import"]["total_s"]
        budget = BUDGETS["order_lines_import_s"]
        add("order lines import", s, budget, s <= budget)
    for view, v in report.get("views", {}).items():
        if isinstance(v, dict):
            r = v["ratio"] or 0.0
            agree = v["agreement"].get("checked") and not v["agreement"].get("mismatches")
            add(f"view {view} vs pandas", r, BUDGETS["pandas_ratio"],
                r >= BUDGETS["pandas_ratio"] and bool(agree))  # fmt: skip
            for engine, e in v.get("engines", {}).items():
                if engine == "pandas":
                    continue
                ok = e["agreement"].get("checked") and not e["agreement"].get("mismatches")
                add(f"view {view} answers agree with {engine}", "agree" if ok else "differ",
                    "agree", bool(ok))  # fmt: skip
            if v.get("ratio_to_best") is not None:
                r = v["ratio_to_best"]
                add(f"view {view} vs the best baseline ({v['best']})", r,
                    BUDGETS["best_baseline_ratio"], r >= BUDGETS["best_baseline_ratio"])  # fmt: skip
    if "peak_memory_bytes" in report:
        m = report["peak_memory_bytes"]
        add("peak memory", m, BUDGETS["peak_memory_bytes"], m <= BUDGETS["peak_memory_bytes"])
    for q in report.get("queries", []):
        if "error" in q:
            add(f"query {q['query']}", q["error"], "runs", False)
    for note in report.get("notes", []):
        if note.startswith("baseline "):
            add(note, "failed", "runs", False)
    return found + ratio_verdicts(report)


def ratio_verdicts(report: dict) -> list[dict]:
    """The ratio budgets (issue #19): each page against the empty page, each import against
    the bare load of its own file. `reached` is the ratio."""
    found = []

    def add(what: str, ours, reference, limit: float) -> None:
        if ours is None or not reference:
            return
        ratio = ours / reference
        found.append({"what": what, "reached": ratio, "limit": limit, "ok": ratio <= limit,
                      "ratio": True})  # fmt: skip

    empty = report.get("empty_page")
    if empty:
        for page in report.get("pages", []):
            if page["warm_s"] is None:
                continue
            add(f"page {page['page']} warm ÷ empty page", page["warm_s"], empty["warm_s"],
                RATIOS["page_warm_x_empty"])  # fmt: skip
            add(f"page {page['page']} cold ÷ empty page", page["cold_s"], empty["cold_s"],
                RATIOS["page_cold_x_empty"])  # fmt: skip
    for key, reference, what in (
        ("import", "bare_load", "deals import ÷ bare load"),
        ("order_lines_import", "order_lines_bare_load", "order lines import ÷ bare load"),
    ):
        if key in report and reference in report:
            add(what, report[key]["total_s"], report[reference]["load_s"],
                RATIOS["import_x_bare_load"])  # fmt: skip
    return found


def _ms(seconds) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f} ms"


def table(report: dict) -> list[str]:
    s = report["scale"]
    lines = [
        f"Squadboard bench · {s['name']}: {s['reps']:,} reps, {s['squads']:,} squads, "
        f"{s['deals']:,} deals, {s['activities']:,} activities, {s['kudos']:,} kudos, "
        f"{s['weekly_snapshots']} weekly snapshots · anchor {report['anchor']}",
    ]
    gen = report.get("generate", {})
    if gen:
        lines.append(f"generated in {gen['build_s']:.1f} s; rows: {gen['rows']}")
    lines.append(f"database on disk: {report.get('db_bytes', 0) / GIB:.2f} GiB")
    load = report.get("load_average")
    if load:
        said = ", ".join(
            f"{when} {' / '.join(f'{x:.2f}' for x in load[when])}" for when in ("start", "end")
            if when in load
        )  # fmt: skip
        lines.append(f"load average (1 / 5 / 15 min) on {os.cpu_count()} cores: {said}")
    lines += ["", f"{'named query':44} {'cold':>10} {'warm':>10} {'rows':>9}"]
    for q in report.get("queries", []):
        if "error" in q:
            lines.append(f"{q['query']:44} ERROR {q['error']}")
        else:
            lines.append(
                f"{q['query']:44} {_ms(q['cold_s']):>10} {_ms(q['warm_s']):>10} {q['rows']:>9,}"
            )
    lines += ["", f"{'page (AppTest, full server-side run)':44} {'cold':>10} {'warm':>10}"]
    for p in report.get("pages", []):
        flag = "  " + "; ".join(p["problems"]) if "problems" in p else ""
        lines.append(f"{p['page']:44} {_ms(p['cold_s']):>10} {_ms(p['warm_s']):>10}{flag}")
    empty = report.get("empty_page")
    if empty:
        lines.append(
            f"{'(reference: an empty page)':44} {_ms(empty['cold_s']):>10} {_ms(empty['warm_s']):>10}"
        )
    views = {k: v for k, v in report.get("views", {}).items() if isinstance(v, dict)}
    if views:
        lines += [
            "",
            f"{'view':18} {'squadboard':>10} {'pandas':>9} {'polars':>9} {'duckdb':>9}"
            f" {'÷ pandas':>9} {'÷ best':>7} {'+CSV load':>9}  answers",
        ]
    for view, v in views.items():
        engines = v.get("engines", {"pandas": {"compute_s": v["pandas_compute_s"],
                                               "agreement": v["agreement"]}})  # fmt: skip
        bad = [
            f"{e}: " + (a.get("note") or "; ".join(a.get("mismatches", [])))[:120]
            for e, found in engines.items()
            if not ((a := found["agreement"]).get("checked") and not a.get("mismatches"))
        ]
        times = " ".join(
            f"{_ms(engines[e]['compute_s']) if e in engines else '—':>9}" for e in ENGINES
        )
        ratio = f"{v['ratio']:.1f}x" if v["ratio"] else "—"
        best = f"{v['ratio_to_best']:.1f}x" if v.get("ratio_to_best") else "—"
        with_load = f"{v['ratio_with_load']:.0f}x" if v["ratio_with_load"] else "—"
        lines.append(
            f"{view:18} {_ms(v['squadboard_warm_s']):>10} {times} {ratio:>9} {best:>7}"
            f" {with_load:>9}  {'; '.join(bad) or 'all agree'}"
        )
    imp = report.get("import")
    if imp:
        lines += ["", f"import of {imp['rows']:,} deals ({imp['file_bytes'] / 2**20:.0f} MiB CSV): "
                  f"{imp['total_s']:.1f} s (read and validate {imp['read_validate_s']:.1f} s)"]  # fmt: skip
        if "reimport_s" in imp:
            lines.append(f"re-import of the same file: {imp['reimport_s']:.1f} s, "
                         f"{imp['reimport_changed']:,} rows changed, "
                         f"{imp['reimport_rows_kept']:,} log and undo rows written")  # fmt: skip
    for key in ("bare_load", "order_lines_bare_load"):
        bare = report.get(key)
        if bare:
            lines.append(f"(reference: DuckDB loading {bare['file']} into a bare table: "
                         f"{bare['rows']:,} rows in {bare['load_s']:.1f} s)")  # fmt: skip
    wide = report.get("wide_file")
    if wide:
        lines.append(f"a {wide['columns']:,}-column file ({wide['file_bytes'] / 2**20:.0f} MiB) "
                     f"refused in {_ms(wide['refused_s'])}")  # fmt: skip
    lines_imp = report.get("order_lines_import")
    if lines_imp:
        lines.append(
            f"import of {lines_imp['rows']:,} order lines "
            f"({lines_imp['written'].get('deals', 0):,} orders, "
            f"{lines_imp['file_bytes'] / 2**20:.0f} MiB CSV): {lines_imp['total_s']:.1f} s "
            f"(read, combine and validate {lines_imp['read_validate_s']:.1f} s)"
        )
    kw = report.get("kudos_writers")
    if kw:
        lines.append(
            f"{kw['writers']} concurrent kudos writers: {kw['kudos_per_s']:.1f} kudos/s; "
            f"{kw['kept']} of {kw['given']} kept ({kw['distinct']} distinct)"
            + (f"; errors: {kw['errors']}" if kw["errors"] else "")
        )
    if "store" in report:
        lines.append(f"store: {report['store']} (copied in {report['copy_to_lake_s']:.1f} s)")
    if "peak_memory_bytes" in report:
        lines.append(
            f"peak memory of the measuring process: {report['peak_memory_bytes'] / GIB:.2f} GiB"
        )
    verdicts_ = report.get("verdicts", [])
    lines += ["", "budgets (absolute, set for the large scale):"]
    for v in (v for v in verdicts_ if not v.get("ratio")):
        reached = v["reached"]
        if isinstance(reached, float) and v["what"].startswith(("page", "deals", "wide", "order")):
            reached = _ms(reached)
        elif v["what"] == "peak memory":
            reached = f"{reached / GIB:.2f} GiB"
        elif isinstance(reached, float):
            reached = f"{reached:.1f}x"
        lines.append(f"  {'ok  ' if v['ok'] else 'MISS'} {v['what']}: {reached}")
    ratios = [v for v in verdicts_ if v.get("ratio")]
    if ratios:
        lines += ["", "budgets as ratios to the references timed in this run:"]
    for v in ratios:
        lines.append(
            f"  {'ok  ' if v['ok'] else 'MISS'} {v['what']}: {v['reached']:.2f}× "
            f"(limit {v['limit']}×)"
        )
    lines += [f"note: {n}" for n in report.get("notes", [])]
    return lines
