"""Database access: open (and upgrade) a Squadboard store, run named queries.

The store is a DuckDB file (the default) or a shared DuckLake (squadboard/store.py,
docs/deploy.md); the same SQL runs on both.

One root connection per process; every query takes its own cursor, because DuckDB results
stream and a connection cannot serve two threads at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from squadboard import facts, store

ROOT = Path(__file__).resolve().parent.parent
QUERY_DIR = ROOT / "queries"
SCHEMA_FILE = Path(__file__).with_name("schema.sql")
DEFAULT_DB = ROOT / "data" / "squadboard.duckdb"

# The schema version that schema.sql describes. An older file is brought up to it by running
# MIGRATIONS[v] for every v above the file's version, in order, in one transaction.
SCHEMA_VERSION = 2
MIGRATIONS: dict[int, str] = {
    # Credits, overlays and pipeline were views worked out on every read; they are derived
    # tables now (squadboard/facts.py), filled when the file is opened after the upgrade.
    2: """
    drop view if exists credited_revenue;
    drop view if exists confirmed_overlay;
    drop view if exists open_pipeline_credits;
    """,
}

# One writer at a time in this process. Every write bumps the data version (one row of
# `meta`), so two write transactions running at once would conflict at commit and one would
# fail; queued behind a lock, a kudos given during a long import simply waits for it.
WRITE_LOCK = threading.RLock()

# Write transactions committed by this process, counted: the dashboard reads the data version
# once per page run and again only when this count moved (ui._version).
_COMMITS_LOCK = threading.Lock()
_commits = 0


def commits() -> int:
    """How many write transactions this process has committed (db.transaction)."""
    return _commits


def _committed() -> None:
    global _commits
    with _COMMITS_LOCK:
        _commits += 1


class NewerDatabase(RuntimeError):
    """The file was made by a newer Squadboard: this one must not read or change it."""


class QueryError(ValueError):
    """A named query was asked for wrongly: unknown name, missing or mistyped parameter."""


class NotSquadboard(ValueError):
    """An existing file that is not a Squadboard database (a CSV, someone else's DuckDB file)."""


def check_database_file(path: str | Path, *, tables: bool = True) -> None:
    """Refuse to open an existing file that is not a Squadboard database: a CSV passed as
    --db would otherwise be opened (and read) as a throw-away database, and someone else's
    DuckDB file would get Squadboard's tables written into it. A path that does not exist
    yet, or an empty DuckDB file, is fine: connect() creates the schema in it. `tables=False`
    checks only that it is a DuckDB file (no second connection: for a process that may have
    the file open already)."""
    if store.is_lake_target(path):
        return  # a shared store is opened by its catalog (squadboard/store.py)
    target = Path(path)
    if str(path) == ":memory:" or not target.exists():
        return
    if not target.is_file():
        raise NotSquadboard(f"{target} is not a file")
    with target.open("rb") as f:
        header = f.read(12)
    if len(header) < 12 or header[8:12] != b"DUCK":
        raise NotSquadboard(
            f"{target} is not a Squadboard database (not a DuckDB file). Give the database "
            "file, e.g. data/squadboard.duckdb, or a new file name; to read a CSV file into "
            "it, use: python -m squadboard import FILE --db DATABASE"
        )
    if not tables:
        return
    con = open_file(target, read_only=True)
    try:
        found = con.execute("select table_name from information_schema.tables").fetchall()
    finally:
        con.close()
    if found and ("meta",) not in found:
        raise NotSquadboard(
            f"{target} is a DuckDB database, but not a Squadboard one; Squadboard will not "
            "write its tables into it. Give a Squadboard database or a new file name."
        )


def default_db_path() -> Path | str:
    """`SQUADBOARD_DB` when set, else data/squadboard.duckdb beside the code. A shared store
    (`ducklake:...`) is returned as the text it is."""
    env = os.environ.get("SQUADBOARD_DB")
    if env and store.is_lake_target(env):
        return env
    return Path(env) if env else DEFAULT_DB


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a store, creating or upgrading its schema unless it is opened read-only."""
    if store.is_lake_target(path):
        con = store.connect_lake(str(path))
        if not read_only:
            store.run_retrying(con, _ensure_lake_schema)
        return con
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = open_file(path, read_only=read_only)
    if not read_only:
        ensure_schema(con)
    return con


def open_file(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, with a file that a newer DuckDB wrote named as such: Squadboard before
    the shared store used DuckDB 2.0, whose files DuckDB 1.5.5 cannot read."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "newer version of duckdb" not in str(exc).lower():
            raise
        raise NewerDatabase(
            f"{Path(path).name} was written by a newer DuckDB (Squadboard before the shared store "
            f"used DuckDB 2.0; this one uses DuckDB {duckdb.__version__}, which cannot read it). "
            'Carry its data over with an export: see docs/deploy.md, "A database from an '
            'earlier Squadboard"; or move the file aside to start afresh'
        ) from None


def _ensure_lake_schema(cur: duckdb.DuckDBPyConnection) -> None:
    """ensure_schema inside a transaction the caller retries (two processes opening a new
    lake at once both create its tables; the later one runs again and finds them made)."""
    _upgrade(cur)


def _has_locks(cur: duckdb.DuckDBPyConnection) -> bool:
    found = cur.execute(
        "select count(*) from information_schema.tables where table_name = 'store_lock_write' "
        "and table_catalog = current_database()"
    ).fetchone()[0]
    return bool(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The version recorded in the file, or None for a file with no Squadboard schema."""
    cur = con.cursor()
    has_meta = cur.execute(
        "select count(*) from information_schema.tables where table_name = 'meta'"
    ).fetchone()[0]
    if not has_meta:
        return None
    row = cur.execute("select value from meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema in an empty file; upgrade an older file in place."""
    found = schema_version(con)
    if found is not None and found > SCHEMA_VERSION:
        raise NewerDatabase(
            f"this database is from a newer version of Squadboard (schema version {found}; "
            f"this one reads up to {SCHEMA_VERSION}): upgrade Squadboard to open it"
        )
    if store.is_lake(con):
        store.run_retrying(con, _ensure_lake_schema)
        return
    with WRITE_LOCK:
        cur = con.cursor()
        cur.begin()
        try:
            _upgrade(cur)
            cur.commit()
        except BaseException:
            cur.rollback()
            raise


def _upgrade(cur: duckdb.DuckDBPyConnection) -> None:
    """Create or upgrade the schema in the caller's transaction."""
    found = schema_version(cur)
    if found is not None and found > SCHEMA_VERSION:
        raise NewerDatabase(
            f"this database is from a newer version of Squadboard (schema version {found}; "
            f"this one reads up to {SCHEMA_VERSION}): upgrade Squadboard to open it"
        )
    schema = SCHEMA_FILE.read_text()
    digest = hashlib.sha256(schema.encode()).hexdigest()
    stored = {}
    if found is not None:
        hashes = "select key, value from meta where key in ('schema_sha256', 'facts_sha256')"
        stored = dict(cur.execute(hashes).fetchall())
    if (
        found == SCHEMA_VERSION
        and stored.get("schema_sha256") == digest
        and stored.get("facts_sha256") == facts.digest()
    ):
        return
    lake = store.is_lake(cur)
    if lake and _has_locks(cur):
        store.lock(cur, "write")
    if found is not None:
        for version in range(found + 1, SCHEMA_VERSION + 1):
            cur.execute(MIGRATIONS[version])
    rebuild = found != SCHEMA_VERSION or stored.get("facts_sha256") != facts.digest()
    if rebuild and found is not None:
        # What the derived tables hold changed: they are made anew, with their columns.
        for table in facts.tables():
            cur.execute(f"drop table if exists {table}")
    # Tables are created if missing; views and macros are re-created, so that a file
    # always matches the code that opens it (schema.sql is idempotent). A lake takes the
    # schema without constraints and sequences (squadboard/store.py keeps them instead).
    cur.execute(store.lake_schema(schema) if lake else schema)
    if lake:
        store.lake_setup(cur, schema)
    if rebuild:
        facts.refresh(cur)
    for key, value in (
        ("schema_version", str(SCHEMA_VERSION)),
        ("schema_sha256", digest),
        ("facts_sha256", facts.digest()),
    ):
        set_meta(cur, key, value)


def set_meta(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Write one `meta` row (an upsert that needs no key constraint, so a lake runs it too)."""
    upsert(cur, "meta", {"key": key}, {"value": value})


def upsert(
    cur: duckdb.DuckDBPyConnection, table: str, key: dict[str, object], values: dict[str, object]
) -> None:
    """Insert the row `key` + `values`, or update the row with that key: one MERGE, the same
    SQL on a DuckDB file and on a lake (which has no keys for `insert or replace`)."""
    cols = list(key) + list(values)
    source = ", ".join(f"?::{_column_type(cur, table, c)} as {c}" for c in cols)
    match = " and ".join(f"t.{c} = s.{c}" for c in key)
    sets = ", ".join(f"{c} = s.{c}" for c in values)
    matched = f"when matched then update set {sets} " if values else ""
    cur.execute(
        f"merge into {table} as t using (select {source}) as s on {match} "
        f"{matched}when not matched then insert ({', '.join(cols)}) "
        f"values ({', '.join(f's.{c}' for c in cols)})",
        [*key.values(), *values.values()],
    )


def _column_type(cur: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    row = cur.execute(
        "select data_type from information_schema.columns where table_name = ? "
        "and column_name = ? and table_catalog = current_database() and table_schema = 'main'",
        [table, column],
    ).fetchone()
    if row is None:
        raise ValueError(f"no column {table}.{column}")
    return row[0]


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, lock: str = "write"
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside one write transaction: committed on success, rolled back on any error.
    On a DuckDB file writers in this process take turns (WRITE_LOCK). On a lake they run side
    by side, each holding its writer lock `lock` (store.LOCKS): a commit that lost a race
    raises, and the caller runs again (`write`, or a function decorated store.retrying)."""
    lake = store.is_lake(con)
    # On a lake, writers of one kind in this process queue here (they would only conflict);
    # writers of other kinds and other processes run side by side.
    with store.process_lock(lock) if lake else WRITE_LOCK:
        cur = con.cursor()
        cur.begin()
        try:
            if lake:
                store.lock(cur, lock)
            yield cur
            cur.commit()
            _committed()
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed commit rolled back already
                cur.rollback()
            raise
        finally:
            cur.close()


def write(con: duckdb.DuckDBPyConnection, step, lock: str = "write"):
    """Run step(cur) in one write transaction; on a lake, again (after a growing pause) when
    its commit lost a race with another writer. step must re-read what it checks."""
    return store.retrying(_write_once)(con, step, lock)


def _write_once(con, step, lock):
    with transaction(con, lock) as cur:
        return step(cur)


# Named queries ------------------------------------------------------------------------

_HEADER_PARAM = re.compile(r"\$(\w+)\s+([A-Z]+)(\s*\(([^)]*)\))?")
_BODY_PARAM = re.compile(r"(?<![\w$])\$([a-z_][a-z0-9_]*)")
_TYPES = {"DATE", "VARCHAR", "INTEGER", "DOUBLE", "BOOLEAN"}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    optional: bool
    description: str


@dataclass(frozen=True)
class Query:
    name: str
    summary: str
    grain: str
    params: tuple[Param, ...]
    sql: str

    def body_params(self) -> set[str]:
        """The $names the SQL body (not the header comments) uses."""
        body = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        return set(_BODY_PARAM.findall(body))


def parse_query(name: str, text: str) -> Query:
    """Read the header of a query file: `-- name: summary`, `-- grain: ...`, `-- params: ...`."""
    summary = grain = ""
    params: list[Param] = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        content = line[2:].strip()
        if content.startswith(f"{name}:"):
            summary = content[len(name) + 1 :].strip()
        elif content.startswith("grain:"):
            grain = content[len("grain:") :].strip()
        elif content.startswith("params:"):
            spec = content[len("params:") :].strip()
            if spec.lower() in ("", "none"):
                continue
            for match in _HEADER_PARAM.finditer(spec):
                pname, ptype, _, desc = match.groups()
                if ptype not in _TYPES:
                    raise QueryError(f"query {name}: parameter ${pname} has unknown type {ptype}")
                desc = (desc or "").strip()
                params.append(Param(pname, ptype, desc.startswith("optional"), desc))
    if not summary:
        raise QueryError(f"query {name}: the first line must be '-- {name}: what it returns'")
    return Query(name, summary, grain, tuple(params), text)


@cache
def _load(name: str, mtime: float) -> Query:
    return parse_query(name, (QUERY_DIR / f"{name}.sql").read_text())


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def get_query(name: str) -> Query:
    path = QUERY_DIR / f"{name}.sql"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not path.is_file():
        known = ", ".join(query_names())
        raise QueryError(f"unknown query {name!r}; known queries: {known}")
    return _load(name, path.stat().st_mtime)


def _coerce(query: Query, param: Param, value: object) -> object:
    if value is None:
        if param.optional:
            return None
        raise QueryError(f"query {query.name}: parameter {param.name} must not be empty")
    try:
        match param.type:
            case "DATE":
                if isinstance(value, datetime):
                    return value.date()
                if isinstance(value, date):
                    return value
                return date.fromisoformat(str(value).strip())
            case "INTEGER":
                if isinstance(value, bool):
                    raise ValueError
                return int(str(value).strip()) if not isinstance(value, int) else value
            case "DOUBLE":
                return float(value)
            case "BOOLEAN":
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text not in ("true", "false", "1", "0"):
                    raise ValueError
                return text in ("true", "1")
            case _:
                text = str(value)
                if "\x00" in text:
                    # No name, id or label holds one; the shared store's catalog (PostgreSQL)
                    # cannot even be asked about one (DuckLake writes the value into its query).
                    raise QueryError(
                        f"query {query.name}: parameter {param.name} must not contain a NUL "
                        "character"
                    )
                return text
    except (TypeError, ValueError):
        example = {"DATE": "2026-10-01", "INTEGER": "3", "DOUBLE": "0.5", "BOOLEAN": "true"}
        raise QueryError(
            f"query {query.name}: parameter {param.name} must be a {param.type} "
            f"(e.g. {example.get(param.type, 'text')}), got {value!r}"
        ) from None


def bind(query: Query, params: dict[str, object]) -> dict[str, object]:
    """Check params against the header and convert them to their declared types."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        expected = ", ".join(declared) or "none"
        raise QueryError(
            f"query {query.name}: unknown parameter {unknown[0]}; it takes: {expected}"
        )
    bound = {}
    for p in query.params:
        if p.name not in params:
            if p.optional:
                bound[p.name] = None
                continue
            raise QueryError(f"query {query.name}: missing parameter {p.name} ({p.type})")
        bound[p.name] = _coerce(query, p, params[p.name])
    return bound


def run(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pl.DataFrame:
    """Run the named query with bound parameters on its own cursor; a Polars frame back.

    `execute`, not `sql`: DuckDB 1.5.5 runs a query given to `sql` with parameters about
    twice as long (rep_attainment at the large scale: 160 ms against 90 ms; issue #19)."""
    query = get_query(name)
    bound = bind(query, params)
    cur = con.cursor()
    try:
        return cur.execute(query.sql, bound).pl()
    finally:
        cur.close()


def data_version(con: duckdb.DuckDBPyConnection, *, lake: bool | None = None) -> int:
    """A counter every write bumps; caches key on it. On a lake it is the newest committed
    snapshot, so a process notices what another process committed. `lake`, when the caller
    knows it from the store's name, spares a query (the dashboard asks on every answer)."""
    snapshot = store.snapshot_id(con) if lake is not False else None
    if snapshot is not None:
        return snapshot
    cur = con.cursor()
    row = cur.execute("select value from meta where key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(cur: duckdb.DuckDBPyConnection) -> None:
    if store.is_lake(cur):
        return  # every commit is a new snapshot already; a shared counter row would make
        # every two writers conflict
    cur.execute(
        """
        insert or replace into meta
        select 'data_version', (coalesce(max(value::bigint), 0) + 1)::varchar
        from meta where key = 'data_version'
        """
    )


def audit(
    cur: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Record one write in the audit log (inside the caller's transaction) and bump the data version."""
    cur.execute(
        "insert into audit_log (audit_id, at_time, actor, action, entity, entity_id, detail) "
        "values (?, now()::timestamp, ?, ?, ?, ?, ?)",
        [store.next_id(cur, "audit_id_seq"), actor, action, entity, entity_id, detail],
    )
    bump_data_version(cur)
