"""A re-import updates rows in place (an upsert): the stored rows become the newest file's,
rows the file does not name stay as they were, and undo still restores the state exactly."""

from datetime import date

import pytest

from squadboard.ingest import ImportFailed, formats, undo
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest.mapping import Mapping
from tests.conftest import assert_same_contents, table_contents

HEADER = (
    "deal_id,name,account,product,owner_id,stage,status,amount,probability,created_date,close_date"
)
FIRST = """
N-1,Acme renewal,Acme,Atlas,priya.raman,Negotiation,open,1000,60,2026-08-01,2026-12-01
N-2,Globex expansion,Globex,Beacon,tom.becker,Proposal,open,2000,40,2026-08-02,2026-12-02
N-3,Initech pilot,Initech,Atlas,priya.raman,Closed Won,won,3000,100,2026-08-03,2026-11-03
N-4,Umbrella,Umbrella,Beacon,tom.becker,Discovery,open,4000,10,2026-08-04,2027-01-04
"""
# N-1's amount and N-2's stage change, N-3 is the same again, N-4 is left out, N-5 and N-6 are new.
SECOND = """
N-1,Acme renewal,Acme,Atlas,priya.raman,Negotiation,open,1500,60,2026-08-01,2026-12-01
N-2,Globex expansion,Globex,Beacon,tom.becker,Closed Won,won,2000,100,2026-08-02,2026-11-20
N-3,Initech pilot,Initech,Atlas,priya.raman,Closed Won,won,3000,100,2026-08-03,2026-11-03
N-5,Hooli,Hooli,Atlas,tom.becker,Discovery,open,5000,,2026-09-05,
N-6,Stark,Stark,Beacon,priya.raman,Closed Lost,lost,6000,0,2026-09-06,2026-11-06
"""


def _import(con, *files, **kw):
    batch, _ = formats.load([(name, text.encode()) for name, text in files], **kw)
    ingest_apply.write(con, batch, actor="maya.chen", as_of=date(2026, 11, 23))
    return batch


def _data(con):
    """Every table but the bookkeeping an import and its undo add to (logs, data version)."""
    contents = table_contents(con)
    return {t: f for t, f in contents.items() if t not in ("import_log", "audit_log", "meta")}


def _deals(con, prefix="N-"):
    return con.execute(
        "select deal_id, source, source_id, stage, status, amount::double, probability, "
        "close_date::varchar from deals where deal_id like ? order by deal_id",
        [prefix + "%"],
    ).fetchall()


def test_a_re_import_updates_changed_deals_adds_new_ones_and_undo_restores_the_first(demo_con):
    _import(demo_con, ("deals.csv", HEADER + FIRST))
    after_first = _data(demo_con)
    batch = _import(demo_con, ("deals.csv", HEADER + SECOND))
    assert batch.changed == {"deals": 4}  # N-1, N-2 changed, N-5, N-6 new
    assert _deals(demo_con) == [
        ("N-1", "native", "N-1", "Negotiation", "open", 1500.0, 0.6, "2026-12-01"),
        ("N-2", "native", "N-2", "Closed Won", "won", 2000.0, 1.0, "2026-11-20"),
        ("N-3", "native", "N-3", "Closed Won", "won", 3000.0, 1.0, "2026-11-03"),
        ("N-4", "native", "N-4", "Discovery", "open", 4000.0, 0.1, "2027-01-04"),
        ("N-5", "native", "N-5", "Discovery", "open", 5000.0, None, None),
        ("N-6", "native", "N-6", "Closed Lost", "lost", 6000.0, 0.0, "2026-11-06"),
    ]
    written = ("N-1", "N-2", "N-5", "N-6")
    untouched = "select * from deals where deal_id not in ? order by all"
    assert (
        demo_con.execute(untouched, [written]).fetchall()
        == after_first["deals"].filter(~after_first["deals"]["deal_id"].is_in(written)).rows()
    )
    second = undo.latest_undoable(demo_con)
    kept = demo_con.execute(
        "select change, count(*) from import_undo "
        "where import_id = ? and table_name = 'deals' group by all order by all",
        [second],
    ).fetchall()
    assert kept == [("added", 4), ("before", 2)]  # a before-image of each replaced deal
    undo.undo(demo_con, second, "maya.chen")
    assert_same_contents(after_first, _data(demo_con))


def test_a_new_deal_colliding_with_a_stored_source_id_is_refused_and_changes_nothing(demo_con):
    _import(demo_con, ("deals.csv", HEADER + FIRST))
    before = table_contents(demo_con)
    # A mapped export that calls itself "native": deal native:N-1 is new, (native, N-1) is not.
    mapping = Mapping(
        kind="deals",
        source="native",
        columns={"source_id": "Ref", "owner": "Seller", "stage": "Phase", "amount": "Value"},
    )
    text = "Ref,Seller,Phase,Value\nN-9,priya.raman,Discovery,10\nN-1,tom.becker,Discovery,20\n"
    with pytest.raises(ImportFailed, match=r"source: native, source_id: N-1"):
        _import(demo_con, ("export.csv", text), fmt="mapped", mapping=mapping)
    assert_same_contents(before, table_contents(demo_con))


def test_a_deal_that_changes_source_is_replaced_whole_and_undo_restores_it(demo_con):
    before = _data(demo_con)
    stored = _deals(demo_con, "demo:D00001")
    line = "\ndemo:D00001,Renamed,Acme,Atlas,priya.raman,Discovery,open,10,10,2026-08-01,\n"
    batch = _import(demo_con, ("deals.csv", HEADER + line))
    assert batch.changed == {"deals": 1}
    assert _deals(demo_con, "demo:D00001") == [
        ("demo:D00001", "native", "demo:D00001", "Discovery", "open", 10.0, 0.1, None)
    ]
    undo.undo(demo_con, undo.latest_undoable(demo_con), "maya.chen")
    assert _deals(demo_con, "demo:D00001") == stored
    assert_same_contents(before, _data(demo_con))


REPS = "rep_id,name,email\n"


@pytest.mark.parametrize(
    "rows, expected",
    [
        # two people swap addresses in one file: each row is replaced whole, as before
        ("ann,Ann,bob@example.com\nbob,Bob,ann@example.com\n", None),
        # one person takes an address another keeps: the unique email refuses it
        ("ann,Ann,bob@example.com\n", "email: bob@example.com"),
    ],
)
def test_emails_move_between_reps_only_when_no_two_keep_the_same(demo_con, rows, expected):
    _import(demo_con, ("reps.csv", REPS + "ann,Ann,ann@example.com\nbob,Bob,bob@example.com\n"))
    before = table_contents(demo_con)
    if expected:
        with pytest.raises(ImportFailed, match=expected):
            _import(demo_con, ("reps.csv", REPS + rows))
        assert_same_contents(before, table_contents(demo_con))
        return
    _import(demo_con, ("reps.csv", REPS + rows))
    emails = demo_con.execute(
        "select rep_id, email from reps where rep_id in ('ann', 'bob') order by 1"
    ).fetchall()
    assert emails == [("ann", "bob@example.com"), ("bob", "ann@example.com")]


def test_one_deal_changed_differently_in_two_files_of_one_import_is_refused(demo_con):
    _import(demo_con, ("deals.csv", HEADER + FIRST))
    before = table_contents(demo_con)
    one = HEADER + "\nN-1,Acme renewal,Acme,Atlas,priya.raman,Negotiation,open,1100,60,,\n"
    other = HEADER + "\nN-1,Acme renewal,Acme,Atlas,priya.raman,Negotiation,open,1200,60,,\n"
    with pytest.raises(ImportFailed, match="N-1"):
        _import(demo_con, ("deals.csv", one), ("deals_b.csv", other))
    assert_same_contents(before, table_contents(demo_con))


def test_a_quota_import_over_a_goal_set_in_the_app_clears_who_set_it(demo_con):
    # Columns a file does not have are reset on the rows it replaces (as delete + insert did).
    from squadboard import goals, periods

    q1 = periods.parse("2027-Q1")
    goals.set_goal(demo_con, "priya.raman", "priya.raman", q1, 90_000, today=date(2026, 11, 23))
    _import(
        demo_con,
        ("quotas.csv", "kind,owner_id,period,amount\nrep_goal,priya.raman,2027-Q1,95000\n"),
    )
    row = demo_con.execute(
        "select amount::double, set_by, set_at from quotas "
        "where kind = 'rep_goal' and owner_id = 'priya.raman' and period_start = ?",
        [q1.start],
    ).fetchone()
    assert row == (95_000.0, None, None)


def test_the_days_snapshot_is_the_open_pipeline_after_each_import_of_the_day(demo_con):
    """The snapshot of the import's day is rewritten in place: changed rows updated, closed
    deals gone, new open deals added, and undo gives back the day's snapshot as it was."""
    day = date(2026, 11, 23)

    def snapshot():
        return demo_con.execute(
            "select deal_id, owner_id, stage, amount::double, probability, close_date "
            "from pipeline_snapshots where snapshot_date = ? order by deal_id",
            [day],
        ).fetchall()

    def open_deals():
        return demo_con.execute(
            "select deal_id, owner_id, stage, amount::double, probability, close_date "
            "from deals where status = 'open' order by deal_id"
        ).fetchall()

    before = snapshot()
    _import(demo_con, ("deals.csv", HEADER + FIRST))
    after_first = snapshot()
    assert after_first == open_deals()
    _import(demo_con, ("deals.csv", HEADER + SECOND))
    assert snapshot() == open_deals()
    ids = {row[0] for row in snapshot()}
    assert "N-2" not in ids and {"N-1", "N-4", "N-5"} <= ids  # N-2 was won the same day
    assert next(r for r in snapshot() if r[0] == "N-1")[3] == 1500.0
    undo.undo(demo_con, undo.latest_undoable(demo_con), "maya.chen")
    assert snapshot() == after_first
    undo.undo(demo_con, undo.latest_undoable(demo_con), "maya.chen")
    assert snapshot() == before
