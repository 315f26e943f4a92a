"""python -m squadboard demo | import | query | bench | maintain — see `python -m squadboard --help`."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import shutil
import sys
import threading
import weakref
from datetime import date
from pathlib import Path

import duckdb

from squadboard import db, demo, exports, handoff, plan, store
from squadboard.ingest import ImportFailed, formats, shown_problems, units
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
        "--mapping",
        type=Path,
        help="JSON column mapping for files no format recognises; with a recognised file, "
        "its options (unit, decimal_comma, date_order, owner_is, lines, constants) apply",
    )
    p.add_argument("--locale", help="e.g. de: amounts are written 1.234,50")
    p.add_argument(
        "--undo", type=int, metavar="IMPORT_ID", help="undo that import (the newest first)"
    )

    p = sub.add_parser(
        "restore",
        help="load a new, empty store from a database export (e.g. one DuckDB 2.0 wrote)",
    )
    p.add_argument("folder", type=Path, metavar="FOLDER", help="the EXPORT DATABASE folder")
    p.add_argument("--db", type=_store, help=db_help)

    p = sub.add_parser("query", help="print a named query's rows")
    p.add_argument("name", metavar="NAME", help="query name (a file stem in queries/)")
    p.add_argument("--db", type=_store, help=db_help)
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--format", choices=["csv", "json"], default="csv")

    p = sub.add_parser(
        "capacity",
        help="page views per second app processes sustain (p95 ready ≤ 2 s), 1 and N behind nginx",
    )
    p.add_argument("--db", type=Path, help="a Squadboard database to serve (copied per process)")
    p.add_argument(
        "--scale",
        choices=["tiny", "small", "medium", "large"],
        default="small",
        help="without --db: the organisation to build (default small)",
    )
    p.add_argument("--today", type=_iso_date, help="the app's today (default today)")
    p.add_argument(
        "--processes", default="1,2", help="app process counts to measure, e.g. 1,2 (default)"
    )
    p.add_argument(
        "--levels", default="1,2,4,8,16,32", help="busy tabs to try in turn (default 1,2,4,8,16,32)"
    )
    p.add_argument("--duration", type=float, default=20.0, help="seconds per level (default 20)")
    p.add_argument("--pages", help="comma-separated URL paths (default: the Monday pages)")
    p.add_argument("--work-dir", type=Path, help="where the copies go (default: a temp folder)")
    p.add_argument("--out", type=Path, metavar="FILE.json", help="also write the report as JSON")

    p = sub.add_parser(
        "serve",
        help="run the dashboard: N app processes, nginx in front of several (README, "
        "'Several app processes behind nginx'); Ctrl-C stops them",
    )
    p.add_argument("--processes", type=int, default=1, help="app processes (default 1)")
    p.add_argument("--port", type=int, default=8080, help="the port people open (default 8080)")
    p.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1; "
        "0.0.0.0 for every interface)"
    )  # fmt: skip
    p.add_argument(
        "--db",
        help="a database file (one process) or the shared store 'ducklake:...' (docs/deploy.md); "
        f"default: $SQUADBOARD_DB or {db.DEFAULT_DB.relative_to(db.ROOT)}",
    )
    p.add_argument("--log-dir", type=Path, help="where the logs go (default: a new temp folder)")

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
    p.add_argument(
        "--reuse",
        action="store_true",
        help="time the organisation a --keep run left in --work-dir (before its imports ran)",
    )
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
    given = getattr(_given, "con", None)
    if given is not None:  # a command a running dashboard runs for the command line
        return given
    target = path or db.default_db_path()
    try:
        db.check_database_file(target)
        return db.connect(target)
    except db.NewerDatabase as exc:
        raise SystemExit(f"error: {target}: {exc}") from None
    except db.NotSquadboard as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None
    except store.StoreError as exc:
        raise SystemExit(f"error: {exc}") from None
    except duckdb.IOException as exc:
        raise SystemExit(
            f"error: cannot open {target}: {exc}\n"
            "(another process has it open, say a second import; a DuckDB file has one process "
            "at a time. A running dashboard takes imports and queries over unless it runs "
            "with SQUADBOARD_HANDOFF=0)"
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
    batch.warnings += units.check(con, batch)  # targets kept in thousands, and the like
    for w in batch.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for note in batch.notes:
        print(f"note: {note}", file=sys.stderr)
    try:
        counts = ingest_apply.write(
            con,
            batch,
            actor=args.actor or getpass.getuser(),
            as_of=args.as_of,
            dry_run=args.dry_run,
        )
    except ImportFailed as failed:
        shown = shown_problems(failed.problems)
        for problem in shown:
            print(problem, file=sys.stderr)
        if len(failed.problems) > len(shown):
            print(f"showing {len(shown)} of {len(failed.problems):,} problems", file=sys.stderr)
        print(
            f"import refused: {len(failed.problems)} problem(s); nothing was written",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    rows = ", ".join(f"{n:,} {t}" for t, n in counts.items())
    if args.dry_run:
        print(f"would write {rows} from {batch.rows_read:,} rows (--dry-run: nothing written)")
    elif batch.import_id is None:
        print(f"nothing changed: {rows} from {batch.rows_read:,} rows are stored as they are; "
              "nothing was written")  # fmt: skip
    else:
        changed = ", ".join(f"{n:,} {t}" for t, n in batch.changed.items() if n)
        print(f"import #{batch.import_id}: {rows} from {batch.rows_read:,} rows read; "
              f"new or changed: {changed or 'the pipeline snapshot only'}")  # fmt: skip
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
        # the same CSV as the app's downloads: a cell a spreadsheet would run is neutralised
        sys.stdout.write(exports.neutralise_formulas(frame).write_csv())
    return EXIT_OK


def cmd_restore(args) -> int:
    from squadboard import restore

    target = args.db or db.default_db_path()
    con = _open(target)
    try:
        counts = restore.restore(con, args.folder)
    except restore.RestoreRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except duckdb.Error as exc:
        print(f"error: {args.folder}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"restored into {store.describe(target)}:")
    for table, n in counts.items():
        print(f"  {table:24} {n:>10,}")
    return EXIT_OK


def cmd_bench(args) -> int:
    from squadboard.bench import run

    if args.repeat < 1:
        print("error: --repeat must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.reuse and args.work_dir is None:
        print("error: --reuse needs the --work-dir a --keep run left", file=sys.stderr)
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
    try:
        report = run.run(
            args.scale,
            args.out,
            lake=lake,
            anchor=args.today,
            repeat=args.repeat,
            work_dir=args.work_dir,
            keep=args.keep or args.reuse,
            reuse=args.reuse,
        )
    except ValueError as refused:
        print(f"error: {refused}", file=sys.stderr)
        return EXIT_BAD_INPUT
    missed = [v for v in report["verdicts"] if not v["ok"]]
    if args.scale != "large" and missed:
        print("(the budgets are set for the large scale; shown here for information)")
    return EXIT_OK


def cmd_capacity(args) -> int:
    from squadboard.bench import capacity

    try:
        processes = [int(x) for x in args.processes.split(",")]
        levels = tuple(int(x) for x in args.levels.split(","))
    except ValueError:
        print("error: --processes and --levels are comma-separated whole numbers", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not processes or min(processes) < 1 or max(processes) > 16 or min(levels) < 1:
        print("error: 1 to 16 processes, and at least 1 busy tab per level", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.db is not None and not args.db.is_file():
        print(f"error: no database file at {args.db}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if max(processes) > 1 and shutil.which("nginx") is None:
        print("error: several processes need nginx (apt-get install nginx)", file=sys.stderr)
        return EXIT_BAD_INPUT
    pages = args.pages.split(",") if args.pages else capacity.PAGES
    capacity.run(
        database=args.db,
        scale=args.scale,
        today=args.today or date.today(),
        processes=processes,
        levels=levels,
        duration_s=args.duration,
        pages=pages,
        work_dir=args.work_dir,
        out=args.out,
    )
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


def cmd_serve(args) -> int:
    from squadboard import deploy

    try:
        databases = deploy.plan(args.processes, args.db, args.host, args.port)
    except deploy.Refused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return deploy.run(databases, host=args.host, port=args.port, log_dir=args.log_dir)


COMMANDS = {
    "demo": cmd_demo,
    "import": cmd_import,
    "query": cmd_query,
    "bench": cmd_bench,
    "capacity": cmd_capacity,
    "maintain": cmd_maintain,
    "serve": cmd_serve,
    "restore": cmd_restore,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if args.command in handoff.COMMANDS:
        target = args.db or db.default_db_path()
        if not store.is_lake_target(target) and str(target) != ":memory:":
            # A dashboard holding the file runs the command for us (squadboard/handoff.py).
            handed = handoff.forward(target, argv, os.getcwd())
            if handed is not None:
                return handed
    return COMMANDS[args.command](args)


# Commands a running dashboard takes over (squadboard/handoff.py) -----------------------------

_given = threading.local()  # the dashboard's connection, in the thread that runs a handed command


def handed_runner(con: duckdb.DuckDBPyConnection, database: str | Path):
    """What the dashboard holding `database` on `con` runs for a handed command line: the
    command, on `con`, its output to the caller; paths resolved against the caller's folder."""
    served = os.path.realpath(str(database))
    # Held weakly: a dashboard that lets the file go (its cache cleared) must close it, and a
    # command then opens the file itself (handoff.Gone).
    held = weakref.ref(con)

    def run(argv: list[str], cwd: str, out, err) -> int:
        con = held()
        if con is None:
            raise handoff.Gone(database)
        with handoff.redirected(out, err):
            try:
                args = build_parser().parse_args(argv)
            except SystemExit as exc:  # argparse said what is wrong, on the caller's stderr
                return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
            if args.command not in handoff.COMMANDS:
                print(f"error: the dashboard does not run {args.command!r}", file=sys.stderr)
                return EXIT_BAD_INPUT
            base = Path(cwd)
            if getattr(args, "paths", None):
                args.paths = [str(base / p) for p in args.paths]
            for name, value in vars(args).items():
                if isinstance(value, Path) and not value.is_absolute():
                    setattr(args, name, base / value)
            if args.db is not None and os.path.realpath(str(args.db)) != served:
                print(f"error: this dashboard serves {database}, not {args.db}", file=sys.stderr)
                return EXIT_BAD_INPUT
            _given.con = con
            try:
                return COMMANDS[args.command](args)
            except SystemExit as exc:  # _open's and the commands' own refusals
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
                    return EXIT_ERROR
                return exc.code or EXIT_OK
            finally:
                _given.con = None

    return run
