"""`python -m squadboard bench`: build the organisation, time everything, compare with pandas,
check the budgets, print a table and write JSON."""

from __future__ import annotations

import json
import logging
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
    "pandas_ratio": 10.0,
    "peak_memory_bytes": 4 * GIB,
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
        "notes": [],
    }
    for view, (name, _, _) in VIEWS.items():
        if view not in views:
            report["notes"].append(f"view {view}: no named query {name!r}; not compared")
    try:
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
        report["pages"] = measure.pages(target, anchor, str(ctx["viewer_id"]), repeat)
        echo("computing the views with pandas over the CSV files …")
        report["views"] = _views(target, work, ctx, views, report["queries"], repeat)
        echo("importing the deals file through the real importer …")
        report["import"] = measure.import_file(target, work / "import_deals.csv", anchor)
        if lake:
            echo("many kudos writers at once …")
            report["kudos_writers"] = kudos_writers(lake, anchor)
        else:
            report["db_bytes_after_import"] = _file_bytes(path)
        report["peak_memory_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    report["verdicts"] = verdicts(report)
    for line in table(report):
        echo(line)
    if out:
        Path(out).write_text(json.dumps(report, indent=1, default=str))
    return report


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
    if not views:
        return {}
    period = {k: str(ctx[k]) for k in ("period_start", "period_end", "as_of")}
    answers = work / "answers"
    answers.mkdir(exist_ok=True)
    base = _subprocess(
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
        ]
    )
    warm = {row["query"]: row for row in timed}
    con = db.connect(path, read_only=True)
    out = {"pandas_peak_memory_bytes": base["peak_memory_bytes"]}
    try:
        for view, (name, fixed, key) in views.items():
            theirs = pl.read_parquet(answers / f"{view}.parquet")
            pandas = base["views"][view]
            query = db.get_query(name)
            params = {p.name: ctx[p.name] for p in query.params if p.name in ctx} | fixed
            label = name + "".join(f"[{k}={v}]" for k, v in fixed.items())
            ours = db.run(con, name, **params)
            ours_s = warm.get(label, {}).get("warm_s")
            out[view] = {
                "query": label,
                "squadboard_warm_s": ours_s,
                "pandas_compute_s": pandas["compute_s"],
                "pandas_load_s": pandas["load_s"],
                "ratio": pandas["compute_s"] / ours_s if ours_s else None,
                "ratio_with_load": (pandas["compute_s"] + pandas["load_s"]) / ours_s
                if ours_s
                else None,
                "agreement": measure.compare(view, ours, theirs, key),
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
    for view, v in report.get("views", {}).items():
        if isinstance(v, dict):
            r = v["ratio"] or 0.0
            agree = v["agreement"].get("checked") and not v["agreement"].get("mismatches")
            add(f"view {view} vs pandas", r, BUDGETS["pandas_ratio"],
                r >= BUDGETS["pandas_ratio"] and bool(agree))  # fmt: skip
    if "peak_memory_bytes" in report:
        m = report["peak_memory_bytes"]
        add("peak memory", m, BUDGETS["peak_memory_bytes"], m <= BUDGETS["peak_memory_bytes"])
    for q in report.get("queries", []):
        if "error" in q:
            add(f"query {q['query']}", q["error"], "runs", False)
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
    views = {k: v for k, v in report.get("views", {}).items() if isinstance(v, dict)}
    if views:
        lines += [
            "",
            f"{'view':20} {'squadboard':>11} {'pandas':>10} {'ratio':>7} {'+CSV load':>10}  answers",
        ]
    for view, v in views.items():
        a = v["agreement"]
        agree = (
            "agree"
            if a.get("checked") and not a["mismatches"]
            else (a.get("note") or "; ".join(a["mismatches"])[:200])
        )
        ratio = f"{v['ratio']:.1f}x" if v["ratio"] else "—"
        with_load = f"{v['ratio_with_load']:.0f}x" if v["ratio_with_load"] else "—"
        lines.append(
            f"{view:20} {_ms(v['squadboard_warm_s']):>11} {_ms(v['pandas_compute_s']):>10} {ratio:>7} {with_load:>10}  {agree}"
        )
    imp = report.get("import")
    if imp:
        lines += ["", f"import of {imp['rows']:,} deals ({imp['file_bytes'] / 2**20:.0f} MiB CSV): "
                  f"{imp['total_s']:.1f} s (read and validate {imp['read_validate_s']:.1f} s)"]  # fmt: skip
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
    lines += ["", "budgets:"]
    for v in report.get("verdicts", []):
        reached = v["reached"]
        if isinstance(reached, float) and v["what"].startswith(("page", "deals")):
            reached = _ms(reached)
        elif v["what"] == "peak memory":
            reached = f"{reached / GIB:.2f} GiB"
        elif isinstance(reached, float):
            reached = f"{reached:.1f}x"
        lines.append(f"  {'ok  ' if v['ok'] else 'MISS'} {v['what']}: {reached}")
    lines += [f"note: {n}" for n in report.get("notes", [])]
    return lines
