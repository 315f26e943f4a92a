"""Check a batch against what is stored, then write it in one transaction — or not at all.

Every write records an import_log row, an audit entry, and a snapshot of the open pipeline
dated `as_of`, and bumps the data version that caches key on.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb

from squadboard import db, facts, store
from squadboard.ingest import TABLES, Batch, ImportFailed, Problem, people, undo

# What a table's rows are keyed by: a batch row replaces the stored row with the same key.
KEYS = {
    "squads": ["squad_id"],
    "reps": ["rep_id"],
    "quotas": ["kind", "owner_id", "period_start", "period_end"],
    "deals": ["deal_id"],
    "deal_credits": ["credit_id"],
    "activities": ["activity_id"],
    "kudos": ["kudos_id"],
}

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
    if batch.errors:
        return batch.errors
    cur = con.cursor()
    problems: list[Problem] = []
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
    except duckdb.ConstraintException as exc:
        # A rule the checks above missed: the transaction is rolled back, nothing is written.
        raise ImportFailed([Problem(", ".join(batch.files), None, None, str(exc))]) from None
    return counts


def _refresh_facts(cur: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Bring the derived tables in step with what this import wrote, in its transaction."""
    activities = bool(batch.changed.get("activities"))
    if batch.changed.get("squad_members"):
        facts.refresh(cur)  # a move re-assigns credits to squads: work out everything
    else:
        facts.refresh(cur, "select deal_id from changed_deals", activities=activities)
    cur.execute("drop table changed_deals")


def _upsert(cur, batch: Batch, table: str, columns: list[tuple], cols: list[str]) -> None:
    """Write batch_rows over the stored rows with the same key: each is replaced as a whole.

    An upsert rather than delete + insert: DuckDB re-checks the key index at commit for every
    key deleted and inserted again in one transaction (16 s of commit for 1,000,000 deals).
    """
    keys = KEYS[table]
    lake = store.is_lake(cur)
    twice = cur.execute(
        f"select {', '.join(keys)} from batch_rows group by all having count(*) > 1 limit 1"
    ).fetchone()
    if twice:
        # Two files of one import with the same row, changed: an upsert would keep one silently.
        key = ", ".join(f"{k} {v}" for k, v in zip(keys, twice, strict=True))
        problem = f"{table}: {key} is in the import twice, with different values"
        raise ImportFailed([Problem(", ".join(batch.files), None, None, problem)])
    # Setting a column under a unique constraint (deals.source, reps.email) is slower still than
    # delete + insert, so the update leaves them out; the rare row that changes one is deleted
    # first and inserted anew.
    unique = [(c, d) for c, _, _, key, d, _ in columns if key == "UNI"]
    match = " and ".join(f"t.{k} = b.{k}" for k in keys)
    if lake:
        # A lake has no key for `on conflict`: a MERGE on the key, then the keys checked.
        _merge(cur, batch, table, columns, cols, keys)
        return
    if unique:
        moved = " or ".join(
            f"t.{c} is distinct from {f'b.{c}' if c in cols else (d or 'null')}" for c, d in unique
        )
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
    cur.execute(
        f"insert into {table} by name "
        f"select b.* from batch_rows as b left join {table} as t on {match} order by t.rowid "
        f"on conflict ({', '.join(keys)}) {update}"
    )


def _merge(cur, batch: Batch, table: str, columns: list[tuple], cols: list[str], keys) -> None:
    """The upsert on a shared store (no key constraints): MERGE on the key; a column the
    batch does not have gets its default. Then no key of the table may be held twice (a
    unique column such as reps.email): what a constraint refuses on a DuckDB file."""
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
    twice = store.check_keys(cur, table)
    if twice:
        raise ImportFailed([Problem(", ".join(batch.files), None, None, twice)])


def _snapshot(cur: duckdb.DuckDBPyConnection, day: date) -> None:
    """Make the snapshot of `day` the deals open now. Rows no longer open go, rows that differ
    are upserted in storage order, equal rows are left alone: deleting and re-inserting the
    day's 500,000 rows made DuckDB re-check every key at commit (5 s at the large scale)."""
    cur.execute(
        """
        delete from pipeline_snapshots as t
        where t.snapshot_date = $day
            and not exists (select 1 from deals as d where d.deal_id = t.deal_id and d.status = 'open')
        """,
        {"day": day},
    )
    cur.execute(
        """
        create or replace temp table snapshot_rows as
        select $day::date as snapshot_date, deal_id, owner_id, stage, amount, probability, close_date
        from deals where status = 'open'
        except
        select snapshot_date, deal_id, owner_id, stage, amount, probability, close_date
        from pipeline_snapshots where snapshot_date = $day
        """,
        {"day": day},
    )
    if store.is_lake(cur):
        cur.execute(
            """
            merge into pipeline_snapshots as t using snapshot_rows as s
                on t.snapshot_date = s.snapshot_date and t.deal_id = s.deal_id
            when matched then update set
                owner_id = s.owner_id, stage = s.stage, amount = s.amount,
                probability = s.probability, close_date = s.close_date
            when not matched then insert by name
            """
        )
        cur.execute("drop table snapshot_rows")
        return
    cur.execute(
        """
        insert into pipeline_snapshots by name
        select s.* from snapshot_rows as s
        left join pipeline_snapshots as t
            on t.snapshot_date = s.snapshot_date and t.deal_id = s.deal_id
        order by t.rowid
        on conflict (snapshot_date, deal_id) do update set
            owner_id = excluded.owner_id, stage = excluded.stage, amount = excluded.amount,
            probability = excluded.probability, close_date = excluded.close_date
        """
    )
    cur.execute("drop table snapshot_rows")


def _write(con, batch: Batch, counts: dict[str, int], actor: str, as_of: date) -> None:
    with db.transaction(con, "import") as cur:
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
                sum(counts.values()),
                json.dumps(counts),
            ],
        )
        # The deals whose derived rows (squadboard/facts.py) this import changes.
        cur.execute("create or replace temp table changed_deals (deal_id varchar)")
        for table in TABLES:
            frame = batch.frames.get(table)
            if frame is None or frame.is_empty():
                continue
            columns = cur.execute(f"describe {table}").fetchall()
            types = dict(r[:2] for r in columns)
            cur.register("batch_frame", frame.select(c for c in frame.columns if c in types))
            cols = [c for c in frame.columns if c in types]
            typed = ", ".join(f"{c}::{types[c]} as {c}" for c in cols)
            whole = table == "deal_credits" and batch.replace_credits_of_deals
            if table in KEYS and not whole:
                # Only rows that are new or differ from what is stored are written (and kept
                # for undo): re-importing the same export touches nothing.
                cur.execute(
                    f"create or replace temp table batch_rows as select {typed} from batch_frame "
                    f"except select {', '.join(cols)} from {table}"
                )
            else:
                cur.execute(
                    f"create or replace temp table batch_rows as select {typed} from batch_frame"
                )
            cur.unregister("batch_frame")
            if table == "squad_members":
                # A file of memberships is the whole history of the reps it names.
                where = "t.rep_id in (select rep_id from batch_rows)"
            elif table == "deal_credits" and batch.replace_credits_of_deals:
                where = (
                    "t.deal_id in (select deal_id from batch_rows) "
                    "and t.credit_type in (select credit_type from batch_rows)"
                )
            elif table in KEYS:
                match = " and ".join(f"t.{k} = b.{k}" for k in KEYS[table])
                where = f"exists (select 1 from batch_rows as b where {match})"
            else:
                where = "false"
            if table == "squad_members" or whole:
                # A whole set replaced by the very same set is left alone.
                stored = f"select {', '.join(cols)} from {table} as t where {where}"
                same = cur.execute(
                    f"select not exists ({stored} except select * from batch_rows) "
                    f"and not exists (select * from batch_rows except {stored})"
                ).fetchone()[0]
                if same:
                    cur.execute("delete from batch_rows")
            undo.keep_before(cur, import_id, table, where)
            if table in DEAL_FACTS:
                # the deals the replaced rows named, and the deals the new rows name
                cur.execute(
                    f"insert into changed_deals select deal_id from {table} as t where {where}"
                )
                cur.execute("insert into changed_deals select deal_id from batch_rows")
            if table in KEYS and not whole:
                _upsert(cur, batch, table, columns, cols)
            else:
                cur.execute(f"delete from {table} as t where {where}")
                cur.execute(f"insert into {table} by name select * from batch_rows")
                twice = store.check_keys(cur, table)
                if twice:
                    raise ImportFailed([Problem(", ".join(batch.files), None, None, twice)])
            undo.keep_added(cur, import_id, table)
            batch.changed[table] = cur.execute("select count(*) from batch_rows").fetchone()[0]
            cur.execute("drop table batch_rows")
        _refresh_facts(cur, batch)
        undo.keep_before(cur, import_id, "pipeline_snapshots", "t.snapshot_date = ?", (as_of,))
        _snapshot(cur, as_of)
        facts.refresh_snapshots(cur, as_of)  # this day's pipeline movement, and the next's
        undo.keep_added(
            cur,
            import_id,
            "pipeline_snapshots",
            "(select ?::date as snapshot_date)",
            (as_of,),
        )
        db.audit(
            cur,
            actor,
            "import",
            "import_log",
            str(import_id),
            json.dumps({"files": batch.files, "rows": counts}),
        )
