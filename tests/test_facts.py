"""The derived tables (squadboard/facts.py) stay exactly what a full rebuild would give after
every way the app writes: imports of each template, claims, kudos, undo and the demo."""

from __future__ import annotations

import threading
from datetime import date, datetime

import polars as pl
import pytest

from squadboard import claims, db, facts, goals, kudos, periods, plan
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest import formats, undo

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, 0)


def _derived(cur) -> dict[str, pl.DataFrame]:
    """Every derived table as the cursor sees it (inside its transaction, if it has one)."""
    return {
        t: cur.sql(f"select * from {t}").pl().sort(pl.all(), nulls_last=True)
        for t in facts.tables()
    }


def assert_derived_match_a_rebuild(con) -> None:
    """What the write paths left in the derived tables equals working them out afresh."""
    kept = _derived(con.cursor())
    cur = con.cursor()
    cur.begin()
    try:
        facts.refresh(cur)
        rebuilt = _derived(cur)
    finally:
        cur.rollback()
    for table in facts.tables():
        assert kept[table].equals(rebuilt[table]), f"{table} is out of step with the deals"


def _import(con, name: str, text: str) -> None:
    batch, _ = formats.load([(name, text.encode())])
    ingest_apply.write(con, batch, actor="maya.chen", as_of=TODAY)


def test_the_demo_load_fills_every_derived_table(demo_con):
    counts = {
        t: demo_con.execute(f"select count(*) from {t}").fetchone()[0] for t in facts.tables()
    }
    assert all(counts.values()), counts
    assert_derived_match_a_rebuild(demo_con)


IMPORTS = {
    "a won deal, an update of a won deal and a new open deal": (
        "deals.csv",
        "deal_id,name,owner_id,status,amount,probability,close_date\n"
        "F1,New win,priya.raman,won,12000,100,2026-11-10\n"
        "F2,New open,tom.becker,open,8000,40,2026-12-10\n",
    ),
    "revenue splits that replace a deal's split": (
        "credits.csv",
        "deal_id,rep_id,credit_type,percent\nF1,priya.raman,revenue,50\nF1,tom.becker,revenue,50\n",
    ),
    "a confirmed overlay": (
        "credits.csv",
        "deal_id,rep_id,credit_type,percent,deal_role,ae_confirmed_at,manager_confirmed_at\n"
        "F1,ravi.iyer,overlay,10,SE,2026-11-11,2026-11-12\n",
    ),
    "activities on a deal": (
        "activities.csv",
        "rep_id,deal_id,kind,activity_date\n"
        "ravi.iyer,F1,demo,2026-11-03\n"
        "ana.souza,F1,call,2026-11-04\n",
    ),
    "a rep moving squads": (
        "memberships.csv",
        "rep_id,squad_id,valid_from,valid_to\n"
        "priya.raman,falcons,2024-10-01,2026-11-01\n"
        "priya.raman,ravens,2026-11-01,\n",
    ),
}


def test_every_import_keeps_the_derived_tables_in_step(demo_con):
    for name, text in IMPORTS.values():
        _import(demo_con, name, text)
        assert_derived_match_a_rebuild(demo_con)
    mover = demo_con.execute(
        "select squad_id from credited_revenue where deal_id = 'F1' and rep_id = 'priya.raman'"
    ).fetchall()
    assert mover == [("ravens",)]  # closed after the move: credited to the new squad
    helpers = demo_con.execute(
        "select rep_id from deal_helpers where deal_id = 'F1' order by 1"
    ).fetchall()
    assert helpers == [("ana.souza",), ("ravi.iyer",), ("tom.becker",)]
    # undoing them all, newest first, leaves the derived tables as the deals are
    while (latest := undo.latest_undoable(demo_con)) is not None:
        undo.undo(demo_con, latest, "maya.chen")
        assert_derived_match_a_rebuild(demo_con)
    assert demo_con.execute(
        "select count(*) from credited_revenue where deal_id like 'F%'"
    ).fetchone() == (0,)


def test_claims_and_kudos_keep_the_derived_tables_in_step(demo_con):
    cur = demo_con.cursor()
    deal_id, owner = cur.execute(
        "select deal_id, owner_id from deals where status = 'won' and owner_id = 'priya.raman' "
        "order by close_date desc limit 1"
    ).fetchone()
    the_plan = plan.load(demo_con)
    credit_id = claims.file_claim(
        demo_con, "ravi.iyer", deal_id, "SE", "built the demo", the_plan, NOW
    )
    assert_derived_match_a_rebuild(demo_con)
    claims.confirm_claim(demo_con, owner, credit_id, NOW)
    claims.confirm_claim(demo_con, "maya.chen", credit_id, NOW)
    assert cur.execute(
        "select count(*) from confirmed_overlay where deal_id = ? and rep_id = 'ravi.iyer'",
        [deal_id],
    ).fetchone() == (1,)
    assert_derived_match_a_rebuild(demo_con)
    kudos.give_kudos(demo_con, "ravi.iyer", owner, "helped close", "thanks", deal_id, the_plan, NOW)
    assert_derived_match_a_rebuild(demo_con)


def test_writes_during_an_import_wait_for_it_and_are_kept(demo_con):
    """Every write bumps the data version; one writer at a time, so none of them fails."""
    rows = "\n".join(
        f"W{i},Deal {i},priya.raman,won,{1000 + i},100,2026-11-{1 + i % 20:02d}"
        for i in range(5000)
    )
    batch, _ = formats.load(
        [
            (
                "deals.csv",
                ("deal_id,name,owner_id,status,amount,probability,close_date\n" + rows).encode(),
            )
        ]
    )
    quarter = periods.quarter_of(TODAY)
    errors: list[BaseException] = []

    def guarded(step):
        def run():
            try:
                step()
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        return threading.Thread(target=run)

    the_plan = plan.load(demo_con)
    threads = [guarded(lambda: ingest_apply.write(demo_con, batch, actor="maya.chen", as_of=TODAY))]
    threads += [
        guarded(
            lambda i=i: kudos.give_kudos(
                demo_con,
                "ravi.iyer",
                "priya.raman",
                "helped close",
                f"k{i}",
                None,
                the_plan,
                datetime(2026, 11, 23, 11, i),
            )
        )
        for i in range(3)
    ]
    threads.append(
        guarded(
            lambda: goals.set_goal(
                demo_con, "tom.becker", "tom.becker", quarter, 123456, today=TODAY
            )
        )
    )
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    cur = demo_con.cursor()
    assert cur.execute("select count(*) from deals where source_id like 'W%'").fetchone() == (5000,)
    assert cur.execute(
        "select count(*) from kudos where from_rep = 'ravi.iyer' and message in ('k0', 'k1', 'k2')"
    ).fetchone() == (3,)
    assert cur.execute(
        "select amount::double from quotas where kind = 'rep_goal' and owner_id = 'tom.becker' "
        "and period_start = ?",
        [quarter.start],
    ).fetchone() == (123456.0,)
    assert_derived_match_a_rebuild(demo_con)


@pytest.mark.parametrize("viewer", ["maya.chen", "priya.raman", "ravi.iyer", "ben.carter"])
def test_the_viewer_filters_return_every_row_the_pages_show(demo_con, viewer):
    """pool_shares and credit_claims asked for one viewer hold every row of theirs."""
    q4 = periods.quarter_of(TODAY).params()
    every_share = db.run(demo_con, "pool_shares", **q4)
    theirs = db.run(demo_con, "pool_shares", **q4, viewer_id=viewer)
    managed = {
        r[0]
        for r in demo_con.execute(
            "select m.rep_id from squad_members m join squads s using (squad_id) "
            "where s.manager_id = ?",
            [viewer],
        ).fetchall()
    } | {viewer}
    pods = every_share.filter(pl.col("rep_id").is_in(list(managed)))["deal_id"].unique()
    expected = every_share.filter(pl.col("deal_id").is_in(pods.to_list()))
    assert theirs.sort("deal_id", "rep_id").equals(expected.sort("deal_id", "rep_id"))
    assert theirs.height > 0

    every_claim = db.run(demo_con, "credit_claims")
    mine = db.run(demo_con, "credit_claims", rep_id=viewer)
    related = every_claim.filter(
        (pl.col("rep_id") == viewer)
        | (pl.col("ae_id") == viewer)
        | (pl.col("manager_id") == viewer)
    )
    assert set(related["credit_id"]) <= set(mine["credit_id"])
    in_q4 = db.run(demo_con, "credit_claims", **q4)
    assert set(in_q4["credit_id"]) == set(
        every_claim.filter(
            (pl.col("close_date") >= q4["period_start"]) & (pl.col("close_date") < q4["period_end"])
        )["credit_id"]
    )
