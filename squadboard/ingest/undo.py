"""Undo an import exactly: every row it replaced comes back as it was, every row it added goes.

While an import writes, `keep_before` stores each row it is about to delete or replace (as
JSON) and `keep_added` the key of each row it inserts, in the import's own transaction.
Undo deletes the added rows and re-inserts the before-images, again in one transaction.
Only the most recent import that is not undone yet can be undone, so imports peel off in
reverse order and no later import's rows are ever lost.
"""

from __future__ import annotations

import json

import duckdb

from squadboard import db, facts, store

# The tables whose rows the per-deal derived tables are made from (as ingest.apply.DEAL_FACTS).
DEAL_FACTS = ("deals", "deal_credits", "activities")

# The key of each table's rows, for deleting what an import added.
ROW_KEYS = {
    "squads": ["squad_id"],
    "reps": ["rep_id"],
    "squad_members": ["rep_id", "valid_from"],
    "quotas": ["kind", "owner_id", "period_start", "period_end"],
    "deals": ["deal_id"],
    "deal_credits": ["credit_id"],
    "activities": ["activity_id"],
    "kudos": ["kudos_id"],
    "account_attributes": ["account_key", "attribute"],
    # The rows of its day's snapshot an import wrote (imports before this version kept only
    # the day: their deal_id is null, and the whole day is theirs).
    "pipeline_snapshots": ["snapshot_date", "deal_id"],
}


class UndoRefused(Exception):
    """The import cannot be undone; the message says why."""


def keep_before(
    cur: duckdb.DuckDBPyConnection, import_id: int, table: str, where: str, params: tuple = ()
) -> None:
    """Store the rows of `table` (alias t) matching `where`, before the import changes them."""
    cur.execute(
        f"insert into import_undo select ?, ?, 'before', to_json(t) from {table} as t where {where}",
        [import_id, table, *params],
    )


def keep_added(
    cur: duckdb.DuckDBPyConnection,
    import_id: int,
    table: str,
    rows: str = "batch_rows",
    params: tuple = (),
) -> None:
    """Store the key of every row in `rows` that the import inserts into `table`."""
    pairs = ", ".join(f"'{k}', {k}" for k in ROW_KEYS[table])
    cur.execute(
        f"insert into import_undo select ?, ?, 'added', json_object({pairs}) from {rows}",
        [import_id, table, *params],
    )


def _structure(cur: duckdb.DuckDBPyConnection, table: str, only: list[str] | None = None) -> str:
    """The JSON structure of a table's rows, for json_transform (column -> type)."""
    cols = cur.execute(f"describe {table}").fetchall()
    spec = {name: kind for name, kind, *_ in cols if only is None or name in only}
    return json.dumps(spec).replace("'", "''")


def latest_undoable(con: duckdb.DuckDBPyConnection) -> int | None:
    cur = con.cursor()
    row = cur.execute("select max(import_id) from import_log where undone_at is null").fetchone()
    return row[0] if row else None


@store.retrying  # on a shared store: again, checks and all, when another write won a race
def undo(con: duckdb.DuckDBPyConnection, import_id: int, actor: str) -> dict[str, list[int]]:
    """Restore the state before import `import_id`; [rows removed, rows restored] per table."""
    cur = con.cursor()
    found = cur.execute(
        "select undone_at from import_log where import_id = ?", [import_id]
    ).fetchone()
    if found is None:
        raise UndoRefused(f"there is no import #{import_id}")
    if found[0] is not None:
        raise UndoRefused(f"import #{import_id} was already undone")
    latest = latest_undoable(con)
    if latest != import_id:
        raise UndoRefused(
            f"import #{latest} came after #{import_id}: undo #{latest} first, newest first"
        )
    later = cur.execute(
        """
        select a.action, a.actor, a.at_time
        from audit_log as a
        where a.audit_id > (
                select max(audit_id) from audit_log where action = 'import' and entity_id = ?
            )
            and a.action <> 'undo_import'
            and not (
                a.action = 'import'
                and a.entity_id in (select import_id::varchar from import_log where undone_at is not null)
            )
        order by a.audit_id
        """,
        [str(import_id)],
    ).fetchall()
    if later:
        action, who, at = later[0]
        raise UndoRefused(
            f"{len(later)} change(s) were made after import #{import_id} (first: {action} by {who} "
            f"at {at:%Y-%m-%d %H:%M}); undoing it could overwrite them. Import a corrected file instead."
        )
    counts: dict[str, list[int]] = {}
    with db.transaction(con, "import") as cur:
        # The deals whose derived rows change: those of the rows removed and restored.
        cur.execute("create or replace temp table undo_scope (deal_id varchar)")
        days = [
            d
            for (d,) in cur.execute(
                "select distinct json_extract_string(row, '$.snapshot_date')::date from "
                "import_undo where import_id = ? and table_name = 'pipeline_snapshots'",
                [import_id],
            ).fetchall()
            if d is not None
        ]
        for table in reversed(list(ROW_KEYS)):
            keys = ROW_KEYS[table]
            match = " and ".join(f"t.{k} = a.{k}" for k in keys)
            if table == "pipeline_snapshots":
                match = (
                    "t.snapshot_date = a.snapshot_date and coalesce(a.deal_id = t.deal_id, true)"
                )
            added = (
                f"select unnest(json_transform(row, '{_structure(cur, table, keys)}')) "
                f"from import_undo where import_id = ? and table_name = ? and change = 'added'"
            )
            gone = f"exists (select 1 from ({added}) as a where {match})"
            if table in DEAL_FACTS:
                cur.execute(
                    f"insert into undo_scope select t.deal_id from {table} as t where {gone}",
                    [import_id, table],
                )
            removed = cur.execute(
                f"delete from {table} as t where {gone}", [import_id, table]
            ).fetchone()[0]
            restored = cur.execute(
                f"insert into {table} by name "
                f"select unnest(json_transform(row, '{_structure(cur, table)}')) "
                "from import_undo where import_id = ? and table_name = ? and change = 'before'",
                [import_id, table],
            ).fetchone()[0]
            if removed or restored:
                counts[table] = [removed, restored]
            if table in DEAL_FACTS and restored:
                cur.execute(
                    "insert into undo_scope select json_extract_string(row, '$.deal_id') "
                    "from import_undo where import_id = ? and table_name = ? and change = 'before'",
                    [import_id, table],
                )
        cur.execute("delete from import_undo where import_id = ?", [import_id])
        cur.execute(
            "update import_log set undone_at = now()::timestamp, undone_by = ? where import_id = ?",
            [actor, import_id],
        )
        if "squad_members" in counts:
            facts.refresh(cur)  # memberships move credits between squads: everything
        else:
            # The deals it touched, as the import refreshed them (a whole refresh of a table
            # just filled by a large import also made DuckDB 1.5.5 lose the table's rows from
            # view until the file was reopened: tests/test_import_large_batch.py).
            facts.refresh(cur, "select deal_id from undo_scope", activities="activities" in counts)
            for day in days:
                facts.refresh_snapshots(cur, day)
        cur.execute("drop table undo_scope")
        db.audit(cur, actor, "undo_import", "import_log", str(import_id), json.dumps(counts))
    return counts
