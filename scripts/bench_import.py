"""Time the import of a 1,000,000-deal CRM export through the real importer.

Builds a roster of 2,000 reps, writes a Salesforce-report-style CSV (owners by name, US dates,
`$1,234.50` amounts, CRLF, the report footer), then times each step of
`formats.load` + `apply.write` into a fresh DuckDB file, and the re-import of the same file,
which changes nothing and so must write nothing: no import log row, no undo rows, no snapshot
rows (the figures printed after each run say what was written).

    .venv/bin/python scripts/bench_import.py [--deals 1000000] [--dir /tmp/bench_import]

With `--order-lines N` it times an ERP order-lines export of N lines instead (four lines per
order, no stage column) imported with the order-lines mapping of docs/importing.md
(`"lines": true`, `"constants": {"stage": "Closed Won"}`), units sanity check included.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from squadboard import db  # noqa: E402
from squadboard.bench.generate import LINES_PER_ORDER  # noqa: E402
from squadboard.bench.measure import order_lines_mapping  # noqa: E402
from squadboard.ingest import apply as ingest_apply  # noqa: E402
from squadboard.ingest import formats, units  # noqa: E402

REPS = 2_000
FOOTER = (
    '\r\n"Grand Totals ({n} records)"\r\n\r\n"Confidential Information - Do Not Distribute"\r\n'
    '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\r\n'
)


def roster(con) -> None:
    reps = pl.DataFrame({"i": range(REPS)}).select(
        pl.format("rep.{}", "i").alias("rep_id"),
        pl.format("Rep Number {}", "i").alias("name"),
        pl.format("rep.{}@bench.example", "i").alias("email"),
    )
    squads = pl.DataFrame({"i": range(REPS // 8)}).select(
        pl.format("s{}", "i").alias("squad_id"), pl.format("Squad {}", "i").alias("name")
    )
    members = reps.select(
        "rep_id",
        pl.format("s{}", pl.int_range(pl.len()) // 8).alias("squad_id"),
        pl.lit(date(2020, 1, 1)).alias("valid_from"),
    )
    for table, frame in (("reps", reps), ("squads", squads), ("squad_members", members)):
        con.register("f", frame)
        con.execute(f"insert into {table} by name select * from f")
        con.unregister("f")


def export(path: Path, n: int) -> None:
    i = pl.int_range(n, eager=True)
    stage = pl.Series(["Closed Won", "Closed Lost", "Prospecting", "Negotiation/Review"])
    frame = pl.DataFrame({"i": i}).select(
        pl.format("Rep Number {}", pl.col("i") % REPS).alias("Opportunity Owner"),
        pl.format("Account {}", pl.col("i") % 50_000).alias("Account Name"),
        pl.format("Deal {}", "i").alias("Opportunity Name"),
        pl.col("i").map_batches(lambda s: stage.gather(s % 4)).alias("Stage"),
        pl.format("${}.50", (pl.col("i") * 37) % 90_000 + 500).alias("Amount"),
        ((pl.col("i") % 4).replace_strict([0, 1, 2, 3], [100, 0, 10, 80])).alias("Probability (%)"),
        pl.format("{}/{}/2026", pl.col("i") % 12 + 1, pl.col("i") % 28 + 1).alias("Close Date"),
        pl.format("{}/{}/2025", pl.col("i") % 12 + 1, pl.col("i") % 28 + 1).alias("Created Date"),
        pl.format("006{}", pl.col("i").cast(pl.String).str.zfill(12)).alias("Opportunity ID"),
    )
    body = frame.write_csv(line_terminator="\r\n", quote_style="always")
    path.write_bytes(b"\xef\xbb\xbf" + (body + FOOTER.format(n=n)).encode())


ORDER_LINES_MAPPING = order_lines_mapping()  # the mapping of docs/importing.md


def export_order_lines(path: Path, n: int) -> None:
    """An ERP order-lines export: n lines, LINES_PER_ORDER per order, line amounts."""
    i = pl.int_range(n, eager=True)
    order = pl.col("i") // LINES_PER_ORDER
    frame = pl.DataFrame({"i": i}).select(
        pl.format("SO{}", order.cast(pl.String).str.zfill(8)).alias("SalesOrderNumber"),
        (pl.col("i") % LINES_PER_ORDER + 1).alias("SalesOrderLineNumber"),
        pl.format("2026-{}-{}", (order % 12 + 1).cast(pl.String).str.zfill(2),
                  (order % 25 + 1).cast(pl.String).str.zfill(2)).alias("OrderDate"),
        pl.format("2026-{}-{}", (order % 12 + 1).cast(pl.String).str.zfill(2),
                  (order % 25 + 1 + pl.col("i") % LINES_PER_ORDER).cast(pl.String)
                  .str.zfill(2)).alias("InvoiceDate"),
        pl.format("Rep Number {}", order % REPS).alias("SalesPerson"),
        pl.format("Account {}", order % 50_000).alias("CustomerName"),
        pl.format("Product {}", pl.col("i") % 40).alias("ProductName"),
        pl.format("{}.25", (pl.col("i") * 37) % 9_000 + 10).alias("LineTotal"),
    )  # fmt: skip
    path.write_bytes(frame.write_csv(line_terminator="\r\n").encode())


def timed(label: str, fn, timings: dict):
    """Wall-clock seconds (what a user waits) and this process's CPU seconds (all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    timings[label] = time.perf_counter() - start
    print(f"  {label:28} {timings[label]:6.2f} s  (cpu {time.process_time() - cpu:5.2f} s)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--order-lines", type=int, metavar="N", help="time N order lines instead")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench_import"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    mapping = None
    db_path = args.dir / "bench.duckdb"
    db_path.unlink(missing_ok=True)
    if args.order_lines:
        csv_path, mapping = args.dir / "order_lines.csv", ORDER_LINES_MAPPING
        export_order_lines(csv_path, args.order_lines)
        what = f"{args.order_lines:,} order lines ({args.order_lines // LINES_PER_ORDER:,} orders)"
    else:
        csv_path = args.dir / "opportunities.csv"
        export(csv_path, args.deals)
        what = f"{args.deals:,} deals"
    print(f"{what}, {csv_path.stat().st_size / 2**20:.0f} MB, {REPS:,} reps")
    con = db.connect(db_path)
    roster(con)
    for run in ("first import", "re-import"):
        print(run)
        t: dict[str, float] = {}
        data = timed("read file", csv_path.read_bytes, t)
        batch, _ = timed("parse + validate", lambda d=data: formats.load(
            [(csv_path.name, d)], mapping=mapping), t)  # fmt: skip
        assert not batch.errors, batch.errors[:5]
        undo_rows = con.execute("select count(*) from import_undo").fetchone()[0]
        if mapping is not None:  # the command runs it before writing
            timed("units sanity check", lambda b=batch: units.check(con, b), t)
        timed("resolve people + write", lambda b=batch: ingest_apply.write(
            con, b, actor="bench", as_of=date(2026, 6, 1)), t)  # fmt: skip
        print(f"  {'total':28} {sum(t.values()):6.2f} s")
        undo_rows = con.execute("select count(*) from import_undo").fetchone()[0] - undo_rows
        changed = sum(batch.changed.values())
        print(f"  import #{batch.import_id}: {changed:,} rows new or changed, {undo_rows:,} undo rows"
              if batch.import_id else
              f"  nothing changed: nothing written ({undo_rows:,} undo rows)")  # fmt: skip
    deals = con.execute("select count(*) from deals").fetchone()[0]
    print(f"deals stored: {deals:,}")


if __name__ == "__main__":
    main()
