"""Where the data lives: the embedded DuckDB file, or a shared DuckLake (docs/deploy.md).

A store is named by one string, given as `--db` or SQUADBOARD_DB:

- a file path (`data/squadboard.duckdb`, the default): one DuckDB file, one process;
- `ducklake:postgres:host=... dbname=...`: a DuckLake whose catalog is a PostgreSQL database
  and whose data files sit in SQUADBOARD_DATA_PATH (a folder every process reaches, or an
  object store URL); any number of app processes and CLI runs share it;

A DuckLake with a local catalog (a SQLite or DuckDB file) is refused: its lock starves every
writer while a dashboard reads (measured, docs/deploy.md).

Both run the same SQL. What DuckLake lacks is supplied here, in the application:

- no primary keys, unique or check constraints: `lake_schema` drops them from schema.sql,
  `keys` reads them from it, and `check_keys` proves after a write that no key is held twice;
- no sequences: `next_id` hands out ids from a one-row table per sequence;
- no locks: two transactions that change the same table conflict at commit and one of them
  fails. `lock` makes writers of one kind (imports, kudos ...) touch one row first, so the
  later of two conflicts instead of both writing the same new key; `retrying` runs a write
  again, after a pause that grows, when it lost such a race. Writers re-read what they
  check, so the second run sees the first one's rows (and a request key it already wrote).
- the data version every cache keys on is the lake's newest committed snapshot, so each app
  process notices another process's commit on its next read.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

LAKE_PREFIX = "ducklake:"
SCHEMA_FILE = Path(__file__).with_name("schema.sql")
# Entry points differ from the package names for two of them (see requirements.txt).
EXTENSIONS = {"ducklake": "ducklake", "postgres": "postgres_scanner"}
CATALOG_PREFIX = LAKE_PREFIX + "postgres:"
RETRIES = 20
BACKOFF_S = 0.02  # first pause; doubles (with jitter) up to MAX_BACKOFF_S
MAX_BACKOFF_S = 2.0


class StoreError(RuntimeError):
    """The store cannot be opened as configured: what to set, in words."""


def is_lake_target(target: str | Path) -> bool:
    return str(target).startswith(LAKE_PREFIX)


def describe(target: str | Path) -> str:
    """The store's name for messages, without a password."""
    return re.sub(r"password=\S+", "password=***", str(target))


# Opening a lake ---------------------------------------------------------------------------


def _extension_dir() -> Path:
    """A folder laid out as DuckDB's extension directory, filled from the pip packages
    (duckdb-extension-*), so that DuckLake and its catalogs load without a download."""
    version = duckdb.__version__
    platform = duckdb.sql("pragma platform").fetchone()[0]
    root = Path(tempfile.gettempdir()) / f"squadboard-duckdb-ext-{os.getuid()}"
    target = root / f"v{version}" / platform
    target.mkdir(parents=True, exist_ok=True)
    for package, entry in EXTENSIONS.items():
        try:
            module = __import__(f"duckdb_extension_{package}")
        except ImportError:
            raise StoreError(
                f"the shared store needs the package duckdb-extension-{package}=={version} "
                "(pip install -r requirements.txt)"
            ) from None
        source = (
            Path(module.__file__).parent
            / "extensions"
            / f"v{version}"
            / f"{package}.duckdb_extension"
        )
        dest = target / f"{entry}.duckdb_extension"
        if not dest.exists() or dest.stat().st_size != source.stat().st_size:
            tmp = dest.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(source, tmp)
            tmp.replace(dest)
    return root


def _config() -> dict[str, object]:
    return {
        "extension_directory": str(_extension_dir()),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }


def data_path() -> str | None:
    return os.environ.get("SQUADBOARD_DATA_PATH") or None


def connect_lake(target: str, data: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating when new) the DuckLake `target`; the lake is every cursor's default
    database. A new lake needs its data path; an existing one has it in its catalog."""
    if not target.startswith(CATALOG_PREFIX):
        raise StoreError(
            f"{describe(target)} is not a store Squadboard opens: a shared store is a DuckLake "
            "with a PostgreSQL catalog, ducklake:postgres:host=... dbname=... (docs/deploy.md); "
            "anything else is the path of a DuckDB file"
        )
    data = data or data_path()
    config = _config()
    boot = duckdb.connect(config=config)
    try:
        options = ""
        if data:
            if "://" not in data:
                Path(data).mkdir(parents=True, exist_ok=True)
                data = str(Path(data).resolve()) + "/"
            options = f" (data_path '{_quote(data)}')"
        boot.execute(f"attach '{_quote(target)}' as lake{options}")
    except duckdb.Error as exc:
        text = str(exc)
        if "DATA_PATH" in text.upper() and not data:
            raise StoreError(
                f"{describe(target)} is a new DuckLake: set SQUADBOARD_DATA_PATH to the folder "
                "(or object store URL) its data files go to"
            ) from None
        raise StoreError(f"cannot open {describe(target)}: {text}") from None
    finally:
        boot.close()
    try:
        con = duckdb.connect(target, config=config)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open {describe(target)}: {exc}") from None
    _LAKES.add(con.execute("select current_database()").fetchone()[0])
    return con


# The names the lakes opened in this process go by (a lake's default database is named after
# its catalog, e.g. 'postgres:host=db'): is_lake asks only for the current database's name,
# not for the list of databases, which costs a catalog round trip on every write and read.
_LAKES: set[str] = set()


def _quote(text: str) -> str:
    return text.replace("'", "''")


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    return _catalog(con) is not None


def _catalog(con: duckdb.DuckDBPyConnection) -> str | None:
    """The lake's database name when the connection's default database is a DuckLake."""
    cur = con.cursor()
    try:
        name = cur.execute("select current_database()").fetchone()[0]
    finally:
        cur.close()
    return name if name in _LAKES else None


def snapshot_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest committed snapshot of the lake (None for a DuckDB file)."""
    name = _catalog(con)
    if name is None:
        return None
    cur = con.cursor()
    try:
        return cur.execute(
            f"select id from ducklake_last_committed_snapshot('{_quote(name)}')"
        ).fetchone()[0]
    finally:
        cur.close()


# The schema without constraints ------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    primary: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _split_top(body: str) -> list[str]:
    """Split a create table body at its top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return [p.strip() for p in parts if p.strip()]


def _drop_parenthesised(text: str, keyword: str) -> str:
    """Remove every `keyword (...)` (balanced) from text."""
    pattern = re.compile(rf"\b{keyword}\s*\(", re.IGNORECASE)
    while match := pattern.search(text):
        depth, i = 0, match.end() - 1
        for i in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                break
        text = text[: match.start()] + text[i + 1 :]
    return text


_CREATE_TABLE = re.compile(
    r"create table if not exists (\w+) \((.*?)\n\);", re.IGNORECASE | re.DOTALL
)


def _tables(sql: str) -> list[tuple[str, list[str], re.Match]]:
    return [(m.group(1), _split_top(m.group(2)), m) for m in _CREATE_TABLE.finditer(sql)]


def keys(schema: str | None = None) -> dict[str, Keys]:
    """Each table's primary key and unique column sets, as schema.sql declares them."""
    sql = _strip_comments(schema if schema is not None else SCHEMA_FILE.read_text())
    found = {}
    for table, parts, _ in _tables(sql):
        primary: tuple[str, ...] = ()
        unique: list[tuple[str, ...]] = []
        for part in parts:
            words = part.split()
            head = " ".join(words[:2]).lower()
            if head == "primary key":
                primary = tuple(
                    c.strip() for c in part[part.index("(") + 1 : part.rindex(")")].split(",")
                )
            elif words[0].lower() == "unique":
                unique.append(
                    tuple(
                        c.strip() for c in part[part.index("(") + 1 : part.rindex(")")].split(",")
                    )
                )
            elif words[0].lower() != "check":
                rest = _drop_parenthesised(part, "check").lower()
                if re.search(r"\bprimary key\b", rest):
                    primary = (words[0],)
                elif re.search(r"\bunique\b", rest):
                    unique.append((words[0],))
        if primary or unique:
            found[table] = Keys(primary, tuple(unique))
    return found


def lake_schema(schema: str) -> str:
    """schema.sql as DuckLake takes it: no primary key, unique or check constraint, no
    sequence (ids come from `next_id`). Keys stay in the application (`keys`)."""
    sql = _strip_comments(schema)
    sql = re.sub(r"create sequence if not exists \w+[^;]*;", "", sql, flags=re.IGNORECASE)

    def table(match: re.Match) -> str:
        kept = []
        for part in _split_top(match.group(2)):
            first = part.split()[0].lower()
            if first in ("primary", "unique", "check"):
                continue
            part = _drop_parenthesised(part, "check")
            part = re.sub(r"\bdefault\s+nextval\s*\('[^']*'\)", "", part, flags=re.IGNORECASE)
            part = re.sub(r"\bprimary key\b|\bunique\b", "", part, flags=re.IGNORECASE)
            kept.append(" ".join(part.split()))
        body = ",\n    ".join(kept)
        return f"create table if not exists {match.group(1)} (\n    {body}\n);"

    return _CREATE_TABLE.sub(table, sql)


def sequences(schema: str | None = None) -> list[str]:
    sql = schema if schema is not None else SCHEMA_FILE.read_text()
    return re.findall(r"create sequence if not exists (\w+)", sql, flags=re.IGNORECASE)


def lake_setup(cur: duckdb.DuckDBPyConnection, schema: str) -> None:
    """The bookkeeping tables a lake needs besides the schema: one per sequence (the last id
    handed out) and one per writer lock. Created empty-safe in the caller's transaction."""
    for seq in sequences(schema):
        cur.execute(f"create table if not exists store_seq_{seq} (last_id bigint not null)")
        if not cur.execute(f"select count(*) from store_seq_{seq}").fetchone()[0]:
            table = _sequence_table(schema, seq)
            start = 0
            if table:
                start = cur.execute(
                    f"select coalesce(max({table[1]}), 0) from {table[0]}"
                ).fetchone()[0]
            cur.execute(f"insert into store_seq_{seq} values (?)", [start])
    for name in LOCKS:
        cur.execute(f"create table if not exists store_lock_{name} (turns bigint not null)")
        if not cur.execute(f"select count(*) from store_lock_{name}").fetchone()[0]:
            cur.execute(f"insert into store_lock_{name} values (0)")


def _sequence_table(schema: str, seq: str) -> tuple[str, str] | None:
    """The (table, column) whose default is nextval(seq)."""
    for table, parts, _ in _tables(_strip_comments(schema)):
        for part in parts:
            if f"nextval('{seq}')" in part:
                return table, part.split()[0]
    return None


# Ids, locks and retries -----------------------------------------------------------------

# A lock per kind of writer. Writers of one kind exclude each other (the later one retries);
# writers of different kinds run side by side unless they change the same table.
LOCKS = ("write", "import", "kudos", "goals", "claims")


_PROCESS_LOCKS = {name: threading.RLock() for name in LOCKS}


def process_lock(name: str) -> threading.RLock:
    """The lock writers of kind `name` in this process take turns at: two of them would
    conflict at commit anyway, and retrying costs more than waiting."""
    if name not in _PROCESS_LOCKS:
        raise ValueError(f"unknown lock {name!r}")
    return _PROCESS_LOCKS[name]


def next_id(cur: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """The next id of `sequence`: nextval on a DuckDB file; on a lake, taken from its counter
    table in a short transaction of its own (retried on a race), so that two processes never
    get the same id and the caller's long transaction does not hold the counter."""
    if not is_lake(cur):
        return cur.execute(f"select nextval('{sequence}')").fetchone()[0]

    def take(c):
        c.execute(f"update store_seq_{sequence} set last_id = last_id + 1")
        return c.execute(f"select last_id from store_seq_{sequence}").fetchone()[0]

    return run_retrying(cur, take)


def lock(cur: duckdb.DuckDBPyConnection, name: str = "write") -> None:
    """Take the writer lock `name` inside the caller's transaction on a lake (the caller knows
    it is one: on a DuckDB file db.WRITE_LOCK and the file's single writer serialise writes)."""
    if name not in LOCKS:
        raise ValueError(f"unknown lock {name!r}")
    cur.execute(f"update store_lock_{name} set turns = turns + 1")


def is_conflict(exc: BaseException) -> bool:
    """A write that lost a race with another process's commit (and may simply run again)."""
    if not isinstance(exc, duckdb.TransactionException | duckdb.IOException | duckdb.Error):
        return False
    text = str(exc).lower()
    return any(
        s in text
        for s in (
            "transaction conflict",
            "database is locked",
            "conflict on tuple",
            "write-write conflict",
            "could not serialize",
        )
    )


def _pause(attempt: int) -> None:
    delay = min(MAX_BACKOFF_S, BACKOFF_S * 2**attempt)
    time.sleep(delay * (0.5 + random.random()))


def run_retrying(con: duckdb.DuckDBPyConnection, step, retries: int = RETRIES):
    """Run step(cur) in a transaction of its own cursor; on a conflict run it again after a
    growing pause. The last conflict is raised when every retry lost."""
    for attempt in range(retries + 1):
        cur = con.cursor()
        try:
            cur.begin()
            result = step(cur)
            cur.commit()
            return result
        except Exception as exc:
            with contextlib.suppress(duckdb.Error):
                cur.rollback()
            if not is_conflict(exc) or attempt == retries:
                raise
            _pause(attempt)
        finally:
            cur.close()
    raise AssertionError("unreachable")


def retrying(fn):
    """Decorate a write function whose first argument is the connection: when it fails on a
    commit conflict it runs again (it re-reads what it checks), up to RETRIES times with a
    growing pause. The user never sees the race, only a slower answer."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(RETRIES + 1):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                cause = exc if is_conflict(exc) else exc.__cause__
                if cause is None or not is_conflict(cause) or attempt == RETRIES:
                    raise
                _pause(attempt)
        raise AssertionError("unreachable")

    return wrapper


def check_keys(cur: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """On a lake, the first key of `table` held by two rows, in words (None when none is):
    what a primary key or unique constraint refuses on a DuckDB file."""
    if not is_lake(cur):
        return None
    spec = keys().get(table)
    if spec is None:
        return None
    for cols in ([spec.primary] if spec.primary else []) + list(spec.unique):
        where = " and ".join(f"{c} is not null" for c in cols)
        row = cur.execute(
            f"select {', '.join(cols)} from {table} where {where} "
            f"group by all having count(*) > 1 limit 1"
        ).fetchone()
        if row:
            pairs = ", ".join(f"{c}: {v}" for c, v in zip(cols, row, strict=True))
            return f'{table}: duplicate key "{pairs}": two rows would hold it'
    return None


# Maintenance --------------------------------------------------------------------------------


def maintain(con: duckdb.DuckDBPyConnection, keep_days: int = 7, dry_run: bool = False) -> dict:
    """Merge small data files, expire snapshots older than keep_days and delete the files no
    snapshot reads any more. Undo and every other feature read tables, never old snapshots
    (an import's before-images are rows of import_undo), so the window is only for looking
    back with time travel and for readers still on an old snapshot."""
    name = _catalog(con)
    if name is None:
        raise StoreError("maintain works on a shared store (a DuckLake); a DuckDB file needs none")
    cur = con.cursor()
    q = _quote(name)
    before = cur.execute(f"select count(*) from ducklake_snapshots('{q}')").fetchone()[0]
    files_before = _file_count(cur, q)
    report = {"snapshots_before": before, "files_before": files_before}
    if not dry_run:
        cur.execute(f"call ducklake_flush_inlined_data('{q}')")
        cur.execute(f"call ducklake_merge_adjacent_files('{q}')")
    older = f"now() - interval {int(keep_days)} day"
    dry = "true" if dry_run else "false"
    expired = cur.execute(
        f"select count(*) from ducklake_expire_snapshots('{q}', older_than => {older}, dry_run => {dry})"
    ).fetchone()[0]
    removed = cur.execute(
        f"select count(*) from ducklake_cleanup_old_files('{q}', cleanup_all => true, dry_run => {dry})"
    ).fetchone()[0]
    report.update(
        snapshots_expired=expired,
        files_deleted=removed,
        snapshots_after=cur.execute(f"select count(*) from ducklake_snapshots('{q}')").fetchone()[
            0
        ],
        files_after=_file_count(cur, q),
    )
    return report


def _file_count(cur: duckdb.DuckDBPyConnection, q: str) -> int:
    tables = cur.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and not temporary"
    ).fetchall()
    total = 0
    for (table,) in tables:
        total += cur.execute(
            f"select count(*) from ducklake_list_files('{q}', '{table}')"
        ).fetchone()[0]
    return total
