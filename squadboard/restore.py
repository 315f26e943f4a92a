"""Carry a database over from an export (`python -m squadboard restore FOLDER`).

Squadboard moved from DuckDB 2.0 to DuckDB 1.5.5 with the shared store (issue #18; DuckLake
exists for 1.5.5 only), and a file DuckDB 2.0 wrote cannot be opened by 1.5.5. Its data comes
over through an export any DuckDB version writes and reads, Parquet files, one per table:

    # with the earlier Squadboard's DuckDB (pip install duckdb==2.0.0, in a scratch venv)
    python -c "import duckdb; duckdb.connect('data/squadboard.duckdb', read_only=True)
               .execute(\"export database 'squadboard-export' (format parquet)\")"
    # with this Squadboard
    python -m squadboard restore squadboard-export --db data/squadboard-new.duckdb

DuckDB's own IMPORT DATABASE cannot read such an export back (it re-creates the views before
the macros they call), so `restore` makes the schema of this version and loads every table it
keeps from the files by column name; the derived tables are worked out anew, and the id
counters continue after the highest id restored. The same loads a shared store (`--db
ducklake:...`) from a file store's export.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from squadboard import db, facts, store

SEQUENCES = {
    "import_id_seq": ("import_log", "import_id"),
    "audit_id_seq": ("audit_log", "audit_id"),
}
KEPT_META = ("demo", "data_version")  # the rest of meta describes the schema, made anew


class RestoreRefused(ValueError):
    """The folder is not an export of a Squadboard database; the message says why."""


def restore(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Load every table of the export in `folder` into the empty Squadboard store `con`, in
    one transaction; rows per table back. Refuses a store that has data already."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RestoreRefused(f"{folder} is not a folder (give the folder EXPORT DATABASE wrote)")
    cur = con.cursor()
    tables = [
        t
        for (t,) in cur.execute(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_catalog = current_database() and table_schema = 'main' "
            "and table_name not like 'store\\_%' escape '\\' order by table_name"
        ).fetchall()
        if t not in facts.tables()
    ]
    files = {t: folder / f"{t}.parquet" for t in tables}
    if not files["reps"].exists() or not files["deals"].exists():
        raise RestoreRefused(
            f"{folder} has no reps.parquet and deals.parquet: not a Squadboard export in "
            "Parquet (EXPORT DATABASE ... (format parquet))"
        )
    if cur.execute("select count(*) from reps").fetchone()[0]:
        raise RestoreRefused("the target store has data already; restore into a new one")
    counts: dict[str, int] = {}
    with db.transaction(con, "import") as cur:
        for table, path in files.items():
            if not path.exists():
                continue  # a table the earlier version did not have yet: it stays empty
            stored = {
                c for (c,) in cur.execute(f"select column_name from (describe {table})").fetchall()
            }
            found = {
                c for (c,) in cur.execute("select column_name from (describe select * from read_parquet(?))", [str(path)]).fetchall()
            }  # fmt: skip
            cols = sorted(stored & found)
            where = f"where key in {KEPT_META}" if table == "meta" else ""
            if table == "meta":
                cur.execute(f"delete from meta where key in {KEPT_META}")
            counts[table] = cur.execute(
                f"insert into {table} ({', '.join(cols)}) select {', '.join(cols)} "
                f"from read_parquet(?) {where}",
                [str(path)],
            ).fetchone()[0]
        for sequence, (table, column) in SEQUENCES.items():
            top = cur.execute(f"select coalesce(max({column}), 0) from {table}").fetchone()[0]
            if store.is_lake(cur):
                cur.execute(f"update store_seq_{sequence} set last_id = ?", [top])
            elif top:
                # a sequence cannot be moved on: take its values up to the highest id
                cur.execute(f"select max(nextval('{sequence}')) from range(?)", [top])
        facts.refresh(cur)
        db.bump_data_version(cur)
    return counts
