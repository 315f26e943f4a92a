"""python -m squadboard demo | import | query | bench | maintain — see `python -m squadboard --help`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from pathlib import Path

import duckdb

from squadboard import db, demo, plan, store
from squadboard.ingest import ImportFailed, formats
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest import undo as ingest_undo
from squadboard.ingest.mapping import Mapping

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _store(text: str) -> Path | str:
    """A database file, or a shared store (`ducklake:postgres:...`, docs/deploy.md)."""
    return text if store.is_lake_target(text) else Path(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m squadboard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    db_help = (
        f"database file or shared store, e.g. 'ducklake:postgres:host=db dbname=squadboard' "
        f"(default: $SQUADBOARD_DB or {db.DEFAULT_DB.relative_to(db.ROOT)})"
    )

    p = sub.add_parser("demo", help="(re)create the database with the demo organisation")
    p.add_argument("--db", type=_store, help=db_help)
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--today", type=_iso_date, help="the day the demo is built around (default today)"
    )

    p = sub.add_parser("import", help="import files (all-or-nothing)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders")
    p.add_argument("--db", type=_store, help=db_help)
    p.add_argument(
        "--format", default="auto", help="auto (default) or one of: " + ", ".join(formats.FORMATS)
    )
    p.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
    p.add_argument("--as-of", type=_iso_date, help="date of the pipeline snapshot (default today)")
    p.add_argument("--actor", default=None, help="who is importing (default: your login name)")
    p.add_argument(
        "--mapping", type=Path, help="JSON column mapping for files no format recognises"
    )
    p.add_argument("--locale", help="e.g. de: amounts are written 1.234,50")
    p.add_argument(
        "--undo", type=int, metavar="IMPORT_ID", help="undo that import (the newest first)"
    )

    p = sub.add_parser("query", help="print a named query's rows")
    p.add_argument("name", metavar="NAME", help="query name (a file stem in queries/)")
    p.add_argument("--db", type=_store, help=db_help)
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--format", choices=["csv", "json"], default="csv")

    p = sub.add_parser("bench", help="time queries, pages and imports on a big generated org")
    p.add_argument(
        "--scale",
        choices=["tiny", "small", "medium", "large"],
        default="small",
        help="small (default), medium, large (16,000 reps, 5M deals); tiny is for tests",
    )
    p.add_argument("--out", type=Path, metavar="FILE.json", help="also write the report as JSON")
    p.add_argument("--repeat", type=int, default=5, help="warm runs per measurement (median)")
    p.add_argument(
        "--today", type=_iso_date, help="the day the organisation is built around (default today)"
    )
    p.add_argument("--work-dir", type=Path, help="where to build (default: a new folder in /tmp)")
    p.add_argument("--keep", action="store_true", help="keep the database and CSV files")
    p.add_argument(
        "--store",
        choices=["embedded", "shared"],
        default="embedded",
        help="time the DuckDB file (default) or a shared store: the new, empty DuckLake that "
        "--db or $SQUADBOARD_DB names (docs/deploy.md)",
    )
    p.add_argument("--db", type=_store, help="the shared store for --store shared")

    p = sub.add_parser(
        "maintain",
        help="shared store: merge small files, expire old snapshots, delete unread files",
    )
    p.add_argument("--db", type=_store, help=db_help)
    p.add_argument(
        "--keep-days",
        type=int,
        default=7,
        help="keep the snapshots of the last N days for time travel (default 7)",
    )
    p.add_argument("--dry-run", action="store_true", help="report what would go; change nothing")
    return parser


def _open(path: Path | str | None) -> duckdb.DuckDBPyConnection:
    target = path or db.default_db_path()
    try:
        return db.connect(target)
    except store.StoreError as exc:
        raise SystemExit(f"error: {exc}") from None
    except duckdb.IOException as exc:
        raise SystemExit(
            f"error: cannot open {target}: {exc}\n"
            "(is the dashboard running on it? a DuckDB file has one writer at a time)"
        ) from None


def cmd_demo(args) -> int:
    con = _open(args.db)
    counts = demo.load(con, seed=args.seed, today=args.today)
    print(f"demo data written to {args.db or db.default_db_path()}")
    for table, n in counts.items():
        print(f"  {table:20} {n:>8,}")
    return EXIT_OK


def cmd_import(args) -> int:
    if args.undo is not None:
        return _undo_import(args)
    if not args.paths:
        print("error: give the files or folders to import (or --undo IMPORT_ID)", file=sys.stderr)
        return EXIT_BAD_INPUT
    mapping = None
    if args.mapping:
        try:
            mapping = Mapping.from_json(args.mapping.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"error: mapping {args.mapping}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    con = _open(args.db)
    fy = plan.load(con).fiscal_year_start_month
    batch, chosen = formats.load_paths(
        args.paths, args.format, fy, mapping=mapping, locale=args.locale
    )
    for name, fmt in chosen.items():
        print(f"{name}: {fmt}", file=sys.stderr)
    for w in batch.warnings:
        print(f"warning: {w}", file=sys.stderr)
    try:
        counts = ingest_apply.write(
            con,
            batch,
            actor=args.actor or getpass.getuser(),
            as_of=args.as_of,
            dry_run=args.dry_run,
        )
    except ImportFailed as failed:
        for problem in failed.problems:
            print(problem, file=sys.stderr)
        print(
            f"import refused: {len(failed.problems)} problem(s); nothing was written",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    verb = "would write" if args.dry_run else "imported"
    print(
        f"{verb} "
        + ", ".join(f"{n:,} {t}" for t, n in counts.items())
        + f" from {batch.rows_read:,} rows"
    )
    if not args.dry_run:
        changed = ", ".join(f"{n:,} {t}" for t, n in batch.changed.items())
        print(f"new or changed: {changed or 'nothing'}")
    return EXIT_OK


def _undo_import(args) -> int:
    con = _open(args.db)
    try:
        counts = ingest_undo.undo(con, args.undo, args.actor or getpass.getuser())
    except ingest_undo.UndoRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        f"undid import #{args.undo}: "
        + ", ".join(f"{t} -{r[0]:,} +{r[1]:,}" for t, r in counts.items())
    )
    return EXIT_OK


def cmd_query(args) -> int:
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"error: --param takes KEY=VALUE, got {item!r}", file=sys.stderr)
            return EXIT_BAD_INPUT
        params[key.strip()] = value
    try:
        query = db.get_query(args.name)
        db.bind(query, params)
    except db.QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    con = _open(args.db)
    try:
        frame = db.run(con, args.name, **params)
    except duckdb.InvalidInputException as exc:  # a query's own check of a parameter value
        print(f"error: {str(exc).removeprefix('Invalid Input Error: ')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(json.dumps(frame.to_dicts(), default=str, indent=1))
    else:
        sys.stdout.write(frame.write_csv())
    return EXIT_OK


def cmd_bench(args) -> int:
    from squadboard.bench import run

    if args.repeat < 1:
        print("error: --repeat must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    lake = None
    if args.store == "shared":
        lake = str(args.db or db.default_db_path())
        if not store.is_lake_target(lake):
            print(
                "error: --store shared times a DuckLake: give --db 'ducklake:postgres:...' "
                "(a new, empty catalog) and set SQUADBOARD_DATA_PATH",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
    report = run.run(
        args.scale,
        args.out,
        lake=lake,
        anchor=args.today,
        repeat=args.repeat,
        work_dir=args.work_dir,
        keep=args.keep,
    )
    missed = [v for v in report["verdicts"] if not v["ok"]]
    if args.scale != "large" and missed:
        print("(the budgets are set for the large scale; shown here for information)")
    return EXIT_OK


def cmd_maintain(args) -> int:
    if args.keep_days < 0:
        print("error: --keep-days must be 0 or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    con = _open(args.db)
    try:
        report = store.maintain(con, keep_days=args.keep_days, dry_run=args.dry_run)
    except store.StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    verb = "would expire" if args.dry_run else "expired"
    print(
        f"snapshots: {report['snapshots_before']:,} -> {report['snapshots_after']:,} "
        f"({verb} {report['snapshots_expired']:,} older than {args.keep_days} days)"
    )
    print(
        f"data files: {report['files_before']:,} -> {report['files_after']:,} "
        f"({report['files_deleted']:,} no longer read {'would be ' if args.dry_run else ''}deleted)"
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        "demo": cmd_demo,
        "import": cmd_import,
        "query": cmd_query,
        "bench": cmd_bench,
        "maintain": cmd_maintain,
    }
    return commands[args.command](args)
