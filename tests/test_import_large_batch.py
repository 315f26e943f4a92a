"""An import of more than 245,760 rows (two DuckDB row groups, which DuckDB writes straight to
the file): every row it adds is in the derived tables and undo removes them all.

DuckDB 2.0 loses such an insert from a table's statistics when an insert that appended no
row went before it in the same transaction (count(*) says 0, filtered reads find nothing,
until the file is reopened): the 1,000,000-line order-lines import of the large bench
(250,000 orders, none stored before) then left every order out of credited revenue.
"""

from datetime import date

import polars as pl

from squadboard.ingest import apply as ingest_apply
from squadboard.ingest import formats, undo

DEALS = 250_000


def _won_deals_csv() -> bytes:
    i = pl.int_range(DEALS, eager=True)
    return (
        pl.DataFrame({"i": i})
        .select(
            pl.format("BIG-{}", "i").alias("deal_id"),
            pl.lit("priya.raman").alias("owner_id"),
            pl.lit("Closed Won").alias("stage"),
            pl.lit("won").alias("status"),
            (pl.col("i") % 900 + 100).alias("amount"),
            pl.lit("2026-10-01").alias("created_date"),
            pl.lit("2026-11-02").alias("close_date"),
        )
        .write_csv()
        .encode()
    )


def test_a_quarter_million_new_won_deals_are_all_credited_and_undone(demo_con):
    before = demo_con.execute(
        "select (select count(*) from deals), (select count(*) from credited_revenue)"
    ).fetchone()
    batch, _ = formats.load([("deals.csv", _won_deals_csv())])
    assert not batch.errors
    ingest_apply.write(demo_con, batch, actor="maya.chen", as_of=date(2026, 11, 23))
    assert batch.changed == {"deals": DEALS}
    cur = demo_con.cursor()
    credited = cur.execute(
        "select count(*), sum(amount)::bigint from credited_revenue where deal_id like 'BIG-%'"
    ).fetchone()
    expected = sum(i % 900 + 100 for i in range(DEALS))
    assert credited == (DEALS, expected)
    assert cur.execute("select count(*) from deals where deal_id like 'BIG-%'").fetchone() == (
        DEALS,
    )
    undo.undo(demo_con, batch.import_id, "maya.chen")
    after = demo_con.execute(
        "select (select count(*) from deals), (select count(*) from credited_revenue)"
    ).fetchone()
    assert after == before
