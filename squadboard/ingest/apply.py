"""Check a batch against what is stored, then write it in one transaction — or not at all.

Every write records an import_log row, an audit entry, and a snapshot of the open pipeline
dated `as_of`, and bumps the data version that caches key on.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb

from squadboard import db, facts, meeting, store
from squadboard.ingest import TABLES, Batch, ImportFailed, Problem, people, undo, validate

# What a table's rows are keyed by: a batch row replaces the stored row with the same key.
KEYS = {
    "squads": ["squad_id"],
    "reps": ["rep_id"],
    # A membership row replaces the stored one of the same rep and start (to close it, say);
    # the other stored rows of the rep stay, and none may overlap (validate.memberships).
    "squad_members": ["rep_id", "valid_from"],
    "quotas": ["kind", "owner_id", "period_start", "period_end"],
    "deals": ["deal_id"],
    "deal_credits": ["credit_id"],
    "activities": ["activity_id"],
    "kudos": ["kudos_id"],
    "account_attributes": ["account_key", "attribute"],
}

# Columns _changes adds to a table's changed rows: the rowid of the stored row each replaces
# (null for a new row), and whether it changes a column under a unique constraint.
STORED, MOVED = "__stored_rowid", "__moves_unique"

# Tables whose rows feed the derived tables (each row names its deal in deal_id).
DEAL_FACTS = ("deals", "deal_credits", "activities")

# (table, column, referenced table, referenced key) checked before anything is written.
REFERENCES = [
    ("squads", "manager_id", "reps", "rep_id"),
    ("squad_members", "rep_id", "reps", "rep_id"),
    ("squad_members", "squad_id", "squads", "squad_id"),
    ("deals", "owner_id", "reps", "rep_id"),
    ("deal_credits", "deal_id", "deals", "deal_id"),
    ("deal_credits", "rep_id", "reps", "rep_id"),
    ("activities", "rep_id", "reps", "rep_id"),
    ("activities", "deal_id", "deals", "deal_id"),
    ("kudos", "from_rep", "reps", "rep_id"),
    ("kudos", "to_rep", "reps", "rep_id"),
    ("kudos", "deal_id", "deals", "deal_id"),
]


def _known(cur: duckdb.DuckDBPyConnection, batch: Batch, table: str, key: str) -> set[str]:
    stored = {r[0] for r in cur.execute(f"select {key} from {table}").fetchall()}
    if table in batch.frames and key in batch.frames[table].columns:
        stored |= set(batch.frames[table][key].drop_nulls().to_list())
    return stored


def check(con: duckdb.DuckDBPyConnection, batch: Batch) -> list[Problem]:
    """Problems that need the database to see: references to people, squads and deals."""
    if not batch.errors:
        people.resolve(con, batch)  # owners written as ids, emails or names
    if not batch.errors:
        batch.errors += validate.ranges(batch)
    if batch.errors:
        return batch.errors
    cur = con.cursor()
    problems: list[Problem] = validate.memberships(cur, batch)
    file = ", ".join(batch.files)
    for table, column, ref_table, ref_key in REFERENCES:
        frame = batch.frames.get(table)
        if frame is None or column not in frame.columns:
            continue
        known = _known(cur, batch, ref_table, ref_key)
        unknown = sorted(set(frame[column].drop_nulls().unique().to_list()) - known)
        noun = {"reps": "person", "squads": "squad", "deals": "deal"}[ref_table]
        problems += [
            Problem(
                file,
                None,
                column,
                f"unknown {noun} {value!r}: add them first (or in the same import)",
            )
            for value in unknown[:50]
        ]
        if len(unknown) > 50:
            problems.append(
                Problem(file, None, column, f"... and {len(unknown) - 50} more unknown")
            )
    quota = batch.frames.get("quotas")
    if quota is not None:
        squads = _known(cur, batch, "squads", "squad_id")
        reps = _known(cur, batch, "reps", "rep_id")
        for kind, owner in quota.select("kind", "owner_id").unique().iter_rows():
            if owner not in (squads if kind == "squad_base" else reps):
                noun = "squad" if kind == "squad_base" else "person"
                problems.append(
                    Problem(file, None, "owner_id", f"unknown {noun} {owner!r} for a {kind} quota")
                )
    return problems


def write(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    *,
    actor: str,
    as_of: date | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Write the batch; raise ImportFailed (nothing written) on any problem. Rows per table back."""
    problems = batch.errors or check(con, batch)
    if problems:
        raise ImportFailed(problems)
    counts = {t: batch.frames[t].height for t in TABLES if t in batch.frames}
    if dry_run:
        return counts
    as_of = as_of or date.today()
    try:
        # On a shared store a commit that lost a race with another import runs again.
        store.retrying(_write)(con, batch, counts, actor, as_of)
    except (
        duckdb.ConstraintException,
        duckdb.ConversionException,
        duckdb.OutOfRangeException,
    ) as exc:
        # A rule the checks above missed: the transaction is rolled back, nothing is written.
        why = str(exc).splitlines()[0]
        raise ImportFailed([Problem(", ".join(batch.files), None, None, why)]) from None
    return counts


def _refresh_facts(
    cur: duckdb.DuckDBPyConnection, batch: Batch, changed: list[str], fresh: bool
) -> None:
    """Bring the derived tables in step with what this import wrote, in its transaction.
    `changed`: the temp tables that hold the deal ids it touched (one per table written);
    `fresh`: temp table fresh_deals holds the deals it added to the database."""
    activities = bool(batch.changed.get("activities"))
    if batch.changed.get("squad_members"):
        facts.refresh(cur)  # a move re-assigns credits to squads: work out everything
    elif changed:
        deals = " union all ".join(f"select deal_id from {name}" for name in changed)
        new = "select deal_id from fresh_deals" if fresh else None
        facts.refresh(cur, deals, activities=activities, fresh=new)
    for name in changed + (["fresh_deals"] if fresh else []):
        cur.execute(f"drop table {name}")


def _insert(cur: duckdb.DuckDBPyConnection, rows: int, sql: str, params=()) -> None:
    """Run an insert of `rows` rows (known beforehand), none when there are none.

    An insert that appends no row, followed in the same transaction by one of 250,000 rows or
    more into the same table, leaves DuckDB 2.0 (1,000,000 order lines at the large scale)
    with wrong statistics for that table until it is reopened: count(*) says 0 and filtered
    reads find nothing, so the derived tables missed every imported order and undo could not
    find the rows to remove. Every insert here that may be empty is skipped instead.
    """
    if rows:
        cur.execute(sql, list(params))


def _upsert(
    cur, batch: Batch, table: str, columns: list[tuple], cols: list[str], joined: bool
) -> None:
    """Write batch_rows over the stored rows with the same key: each is replaced as a whole.

    An upsert rather than delete + insert: DuckDB re-checks the key index at commit for every
    key deleted and inserted again in one transaction (16 s of commit for 1,000,000 deals).
    `joined`: batch_rows carries the stored row's rowid (STORED) and whether it changes a
    unique column (MOVED), found by _changes, so the stored table is not joined again.
    """
    keys = KEYS[table]
    twice = cur.execute(
        f"select {', '.join(keys)} from batch_rows group by all having count(*) > 1 limit 1"
    ).fetchone()
    if twice:
        # Two files of one import with the same row, changed: an upsert would keep one silently.
        key = ", ".join(f"{k} {v}" for k, v in zip(keys, twice, strict=True))
        problem = f"{table}: {key} is in the import twice, with different values"
        raise ImportFailed([Problem(", ".join(batch.files), None, None, problem)])
    if store.is_lake(cur):
        _lake_upsert(cur, batch, table, columns, cols, joined)
        return
    # Setting a column under a unique constraint (deals.source, reps.email) is slower still than
    # delete + insert, so the update leaves them out; the rare row that changes one is deleted
    # first and inserted anew.
    match = " and ".join(f"t.{k} = b.{k}" for k in keys)
    if joined:
        if cur.execute(f"select count(*) from batch_rows where {MOVED}").fetchone()[0]:
            cur.execute(
                f"delete from {table} as t "
                f"where t.rowid in (select {STORED} from batch_rows where {MOVED})"
            )
    elif moved := _moved(columns, cols):
        cur.execute(
            f"delete from {table} as t "
            f"where exists (select 1 from batch_rows as b where {match} and ({moved}))"
        )
    # A column the batch does not have gets its default, as a deleted and re-inserted row would.
    sets = ", ".join(
        f"{c} = excluded.{c}" if c in cols else f"{c} = default"
        for c, _, _, key, _, _ in columns
        if c not in keys and key != "UNI"
    )
    update = f"do update set {sets}" if sets else "do nothing"
    # In the order the stored rows are kept in: rows updated all over the table are slow to
    # update (duckdb/duckdb#11275; 200,000 deals in random order: 70 s, in this order: 0.3 s).
    on_conflict = f"on conflict ({', '.join(keys)}) {update}"
    if joined:
        # New rows (no stored row had their key) are a plain insert: `on conflict` joins
        # them to the stored table for nothing (1 s of 2 for 500,000 new deals).
        new, replaced = cur.execute(
            f"select count(*) filter ({STORED} is null), count({STORED}) from batch_rows"
        ).fetchone()
        rows = f"select b.* exclude ({STORED}, {MOVED}) from batch_rows as b"
        _insert(cur, new, f"insert into {table} by name {rows} where b.{STORED} is null")
        _insert(
            cur,
            replaced,
            f"insert into {table} by name {rows} where b.{STORED} is not null "
            f"order by b.{STORED} {on_conflict}",
        )
    else:
        rows = f"select b.* from batch_rows as b left join {table} as t on {match} order by t.rowid"
        cur.execute(f"insert into {table} by name {rows} {on_conflict}")


def _lake_upsert(
    cur, batch: Batch, table: str, columns: list[tuple], cols: list[str], joined: bool
) -> None:
    """The upsert on a shared store, which has no keys for `on conflict`. `joined`: the stored
    rows replaced are deleted by their rowid and the batch rows inserted (a lake keeps row ids
    and has no index to re-check); otherwise one MERGE on the key. A column the batch does not
    have gets its default either way. Then no key of the table may be held twice (a unique
    column such as reps.email): what a constraint refuses on a DuckDB file."""
    keys = KEYS[table]
    if joined:
        replaced = cur.execute(f"select count({STORED}) from batch_rows").fetchone()[0]
        if replaced:
            cur.execute(
                f"delete from {table} as t "
                f"where t.rowid in (select {STORED} from batch_rows where {STORED} is not null)"
            )
        cur.execute(
            f"insert into {table} by name select b.* exclude ({STORED}, {MOVED}) from batch_rows as b"
        )
    else:
        match = " and ".join(f"t.{k} = b.{k}" for k in keys)
        sets = ", ".join(
            f"{c} = b.{c}" if c in cols else f"{c} = {d or 'null'}"
            for c, _, _, _, d, _ in columns
            if c not in keys
        )
        matched = f"when matched then update set {sets} " if sets else ""
        cur.execute(
            f"merge into {table} as t using batch_rows as b on {match} "
            f"{matched}when not matched then insert ({', '.join(cols)}) "
            f"values ({', '.join(f'b.{c}' for c in cols)})"
        )
    _check_keys(cur, batch, table)


def _check_keys(cur, batch: Batch, table: str) -> None:
    """On a shared store, refuse the import when it left a key of `table` held twice."""
    twice = store.check_keys(cur, table)
    if twice:
        raise ImportFailed([Problem(", ".join(batch.files), None, None, twice)])


def _moved(columns: list[tuple], cols: list[str]) -> str | None:
    """SQL true when stored row t and batch row b differ in a column under a unique
    constraint (a column the batch does not have counts as its default); None: no such column."""
    unique = [(c, d) for c, _, _, key, d, _ in columns if key == "UNI"]
    if not unique:
        return None
    return " or ".join(
        f"t.{c} is distinct from {f'b.{c}' if c in cols else (d or 'null')}" for c, d in unique
    )


def _snapshot_diff(cur: duckdb.DuckDBPyConnection, day: date) -> int:
    """What making the snapshot of `day` the deals open now changes: `snapshot_rows` (rows new
    or different) and `snapshot_gone` (rows of deals no longer open); how many rows in all.
    Both carry the rowid of the stored snapshot row they replace or remove (null: a new row),
    so that _snapshot does not look the day's rows up again among 24,000,000."""
    cur.execute(
        f"""
        create or replace temp table snapshot_gone as
        select t.deal_id, t.rowid as {STORED} from pipeline_snapshots as t
        where t.snapshot_date = $day
            and not exists (select 1 from deals as d where d.deal_id = t.deal_id and d.status = 'open')
        """,
        {"day": day},
    )
    # The open deals joined to their row of the day's snapshot: what `except` gives (a deal
    # has one row in a day's snapshot), without hashing the day's rows on all their columns.
    cur.execute(
        f"""
        create or replace temp table snapshot_rows as
        select $day::date as snapshot_date, d.deal_id, d.owner_id, d.stage, d.amount,
            d.probability, d.close_date, t.rowid as {STORED}
        from deals as d
        left join pipeline_snapshots as t on t.snapshot_date = $day and t.deal_id = d.deal_id
        where d.status = 'open'
            and (t.deal_id is null
                or t.owner_id is distinct from d.owner_id
                or t.stage is distinct from d.stage
                or t.amount is distinct from d.amount
                or t.probability is distinct from d.probability
                or t.close_date is distinct from d.close_date)
        """,
        {"day": day},
    )
    return cur.execute(
        "select (select count(*) from snapshot_gone) + (select count(*) from snapshot_rows)"
    ).fetchone()[0]


def _snapshot(cur: duckdb.DuckDBPyConnection, import_id: int, day: date) -> None:
    """Make the snapshot of `day` the deals open now (_snapshot_diff). Rows no longer open go,
    rows that differ are upserted in storage order, equal rows are left alone (deleting and
    re-inserting the day's 500,000 rows made DuckDB re-check every key at commit: 5 s at the
    large scale); undo keeps the rows changed or removed and the keys of the rows written,
    not the whole day."""
    gone, new, replaced = cur.execute(
        f"select (select count(*) from snapshot_gone), count(*) filter ({STORED} is null), "
        f"count({STORED}) from snapshot_rows"
    ).fetchone()
    if gone or replaced:
        undo.keep_before(
            cur,
            import_id,
            "pipeline_snapshots",
            f"t.rowid in (select {STORED} from snapshot_gone "
            f"union all select {STORED} from snapshot_rows where {STORED} is not null)",
        )
    if gone:
        cur.execute(
            f"delete from pipeline_snapshots as t "
            f"where t.rowid in (select {STORED} from snapshot_gone)"
        )
    if replaced and store.is_lake(cur):
        # A lake has no key for `on conflict`: the rows replaced go, and come back below.
        cur.execute(
            f"delete from pipeline_snapshots as t "
            f"where t.rowid in (select {STORED} from snapshot_rows where {STORED} is not null)"
        )
        cur.execute(f"update snapshot_rows set {STORED} = null")
        new, replaced = new + replaced, 0
    # Rows of deals the day's snapshot did not have are a plain insert (see _upsert).
    _insert(
        cur,
        new,
        f"insert into pipeline_snapshots by name select s.* exclude ({STORED}) "
        f"from snapshot_rows as s where s.{STORED} is null",
    )
    _insert(
        cur,
        replaced,
        f"""
        insert into pipeline_snapshots by name
        select s.* exclude ({STORED}) from snapshot_rows as s
        where s.{STORED} is not null
        order by s.{STORED}
        on conflict (snapshot_date, deal_id) do update set
            owner_id = excluded.owner_id, stage = excluded.stage, amount = excluded.amount,
            probability = excluded.probability, close_date = excluded.close_date
        """,
    )
    if new or replaced:
        undo.keep_added(cur, import_id, "pipeline_snapshots", "snapshot_rows")
    cur.execute("drop table snapshot_rows")
    cur.execute("drop table snapshot_gone")


def _changes(
    cur, batch: Batch, table: str, frame
) -> tuple[str, list[tuple], list[str], bool, bool]:
    """Fill temp table `rows_<table>` with the batch rows that change what is stored; return
    the `where` that picks the stored rows they replace, the table's columns, the batch's
    columns, whether the table's rows are replaced as whole sets (a deal's credits) and
    whether the rows carry the stored row they replace (STORED, MOVED: see _upsert)."""
    columns = cur.execute(f"describe {table}").fetchall()
    types = dict(r[:2] for r in columns)
    cols = [c for c in frame.columns if c in types]
    cur.register("batch_frame", frame.select(cols))
    typed = ", ".join(f"{c}::{types[c]} as {c}" for c in cols)
    whole = table == "deal_credits" and batch.replace_credits_of_deals
    rows = f"rows_{table}"
    joined = table in KEYS and not whole and set(KEYS[table]) <= set(cols)
    if joined:
        # Only rows that are new or differ from what is stored are written (and kept for
        # undo): re-importing the same export touches nothing. The batch's distinct rows
        # joined to the stored row of the same key (there is at most one): what `except`
        # gives, without hashing every stored row on all its columns (5,000,000 deals). The
        # stored row's rowid comes along, so that undo, the upsert and the derived tables
        # find the rows replaced without joining the stored table again.
        keys = KEYS[table]
        match = " and ".join(f"t.{k} = b.{k}" for k in keys)
        differs = " or ".join(
            [f"t.{keys[0]} is null"]
            + [f"t.{c} is distinct from b.{c}" for c in cols if c not in keys]
        )
        moved = _moved(columns, cols)
        moved = f"t.{keys[0]} is not null and ({moved})" if moved else "false"
        cur.execute(
            f"create or replace temp table {rows} as select distinct b.*, "
            f"t.rowid as {STORED}, ({moved}) as {MOVED} "
            f"from (select {typed} from batch_frame) as b left join {table} as t on {match} "
            f"where {differs}"
        )
    elif table in KEYS and not whole:
        cur.execute(
            f"create or replace temp table {rows} as select {typed} from batch_frame "
            f"except select {', '.join(cols)} from {table}"
        )
    else:
        cur.execute(f"create or replace temp table {rows} as select {typed} from batch_frame")
    cur.unregister("batch_frame")
    if whole:
        where = (
            f"t.deal_id in (select deal_id from {rows}) "
            f"and t.credit_type in (select credit_type from {rows})"
        )
        # A whole set replaced by the very same set is left alone.
        stored = f"select {', '.join(cols)} from {table} as t where {where}"
        same = cur.execute(
            f"select not exists ({stored} except select * from {rows}) "
            f"and not exists (select * from {rows} except {stored})"
        ).fetchone()[0]
        if same:
            cur.execute(f"delete from {rows}")
    elif joined:
        where = f"t.rowid in (select {STORED} from {rows})"
    elif table in KEYS:
        match = " and ".join(f"t.{k} = b.{k}" for k in KEYS[table])
        where = f"exists (select 1 from {rows} as b where {match})"
    else:
        where = "false"
    return where, columns, cols, whole, joined


def _write(con, batch: Batch, counts: dict[str, int], actor: str, as_of: date) -> None:
    """Work out first what the batch changes; write nothing at all (no log, no undo rows, no
    snapshot) when it changes nothing, else every change in one transaction."""
    with db.transaction(con, "import") as cur:
        plans = {}
        for table in TABLES:
            frame = batch.frames.get(table)
            if frame is None or frame.is_empty():
                continue
            plans[table] = _changes(cur, batch, table, frame)
            batch.changed[table] = cur.execute(f"select count(*) from rows_{table}").fetchone()[0]
        if not any(batch.changed.values()) and not _snapshot_diff(cur, as_of):
            for table in plans:
                cur.execute(f"drop table rows_{table}")
            cur.execute("drop table if exists snapshot_rows")
            cur.execute("drop table if exists snapshot_gone")
            batch.import_id = None
            return
        import_id = store.next_id(cur, "import_id_seq")
        cur.execute(
            "insert into import_log (import_id, imported_at, actor, format, files, rows_read, "
            "rows_written, details) values (?, now()::timestamp, ?, ?, ?, ?, ?, ?)",
            [
                import_id,
                actor,
                batch.format,
                ", ".join(batch.files),
                batch.rows_read,
                sum(batch.changed.values()),
                json.dumps(batch.changed),
            ],
        )
        batch.import_id = import_id
        # Weeks that ended before this import's day are frozen as they stood without it.
        meeting.freeze(cur, as_of, actor)
        # The deals whose derived rows (squadboard/facts.py) this import changes, a temp
        # table per table written (each made by one statement: see _insert).
        changed, fresh = [], False
        for table, (where, columns, cols, whole, joined) in plans.items():
            cur.execute(f"alter table rows_{table} rename to batch_rows")
            where = where.replace(f"rows_{table}", "batch_rows")
            rows = cur.execute("select count(*) from batch_rows").fetchone()[0]
            if joined:  # the stored rows replaced are those the batch rows found
                replaced = cur.execute(f"select count({STORED}) from batch_rows").fetchone()[0]
            elif where == "false":
                replaced = 0
            else:
                count = f"select count(*) from {table} as t where {where}"
                replaced = cur.execute(count).fetchone()[0]
            if replaced:
                undo.keep_before(cur, import_id, table, where)
            if table in DEAL_FACTS and (rows or replaced):
                # the deals the replaced rows named, and the deals the new rows name
                changed.append(f"changed_{table}")
                cur.execute(
                    f"create or replace temp table changed_{table} as "
                    f"select deal_id from {table} as t where {where} "
                    "union all select deal_id from batch_rows"
                )
            if table == "deals" and joined and rows > replaced:
                # deals new to the database: none of them has derived rows to delete yet
                fresh = True
                cur.execute(
                    "create or replace temp table fresh_deals as "
                    f"select deal_id from batch_rows where {STORED} is null"
                )
            if table in KEYS and not whole:
                _upsert(cur, batch, table, columns, cols, joined)
            else:
                if replaced:
                    cur.execute(f"delete from {table} as t where {where}")
                _insert(cur, rows, f"insert into {table} by name select * from batch_rows")
                _check_keys(cur, batch, table)
            if rows:
                undo.keep_added(cur, import_id, table)
            cur.execute("drop table batch_rows")
        _refresh_facts(cur, batch, changed, fresh)
        _snapshot_diff(cur, as_of)  # again: the deals are as this import left them
        _snapshot(cur, import_id, as_of)
        facts.refresh_snapshots(cur, as_of)  # this day's pipeline movement, and the next's
        db.audit(
            cur,
            actor,
            "import",
            "import_log",
            str(import_id),
            json.dumps({"files": batch.files, "rows": counts, "changed": batch.changed}),
        )
