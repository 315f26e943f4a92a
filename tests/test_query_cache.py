"""ui.run shares a named query's answer between sessions until the data version changes; every
write that goes through db.audit bumps it, so no session is ever shown a stale figure."""

from __future__ import annotations

import pytest

from squadboard import db, facts, ui
from tests.conftest import TODAY

PERIOD = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": TODAY.isoformat()}


def _credited(frame, squad_id: str) -> float:
    row = frame.filter(frame["squad_id"] == squad_id).row(0, named=True)
    return float(row["credited"])


def _won_deal(cur, deal_id: str, owner: str, amount: int) -> None:
    cur.execute(
        "insert into deals (deal_id, source, source_id, owner_id, status, amount, probability, "
        "created_date, close_date) values (?, 'native', ?, ?, 'won', ?, 1, ?, ?)",
        [deal_id, deal_id, owner, amount, TODAY, TODAY],
    )


# On the shared store every commit is a new version (tests/test_store.py checks that).
@pytest.mark.embedded_only
def test_answers_are_shared_until_a_write_bumps_the_data_version(app_env):
    con = ui.con()
    first = ui.run("squad_attainment", **PERIOD)
    squad_id = first["squad_id"][0]
    cur = con.cursor()
    owner = cur.execute(
        "select rep_id from squad_members where squad_id = ? and valid_to is null limit 1",
        [squad_id],
    ).fetchone()[0]
    before = db.data_version(con)

    # A row written behind the app's back (no audit) is not seen: the answer is shared.
    with db.transaction(con) as tx:
        _won_deal(tx, "CACHE-1", owner, 1000)
    assert db.data_version(con) == before
    assert _credited(ui.run("squad_attainment", **PERIOD), squad_id) == _credited(first, squad_id)
    # The same answer for other parameters is computed afresh.
    assert ui.run("squad_attainment", **(PERIOD | {"as_of": "2026-11-22"})).height == first.height

    # A write the way the app writes (with its audit entry) bumps the version: fresh figures.
    with db.transaction(con) as tx:
        _won_deal(tx, "CACHE-2", owner, 2000)
        facts.refresh(tx)  # as every write path does: the derived credits follow the deals
        db.audit(tx, "test", "add_deal", "deals", "CACHE-2")
    assert db.data_version(con) == before + 1
    after = ui.run("squad_attainment", **PERIOD)
    assert _credited(after, squad_id) == _credited(first, squad_id) + 3000


def test_download_files_are_made_once_per_table_content(monkeypatch):
    import polars as pl
    import streamlit as st

    st.cache_data.clear()
    made = []
    real = ui.csv_file
    monkeypatch.setattr(ui, "csv_file", lambda f: made.append("board") or real(f))
    big = pl.DataFrame({"rep": [f"r{i}" for i in range(150_000)], "credited": range(150_000)})
    ui.downloads(big, "board")
    ui.downloads(big.clone(), "board")
    assert made == ["board"]
    # One changed row among 150,000 (Streamlit's own hash would only sample them) is a new file.
    changed = big.with_columns(
        pl.when(pl.col("rep") == "r149999").then(0).otherwise(pl.col("credited")).alias("credited")
    )
    ui.downloads(changed, "board")
    assert made == ["board", "board"]
    st.cache_data.clear()
