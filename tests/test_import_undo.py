"""Undo restores exactly the state before an import, newest import first."""

from datetime import date

import pytest

from squadboard import cli, db
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest import formats, undo
from tests.conftest import ADMIN, assert_same_contents, table_contents

DEALS = (
    "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount\n"
    "501,Alpha,Closed Won,2026-11-02,priya.raman,{a}\n"
    "502,Beta,Appointment Scheduled,2026-12-15,tom.becker,2000\n"
)
UNTOUCHED = ("squads", "reps", "squad_members", "quotas", "deals", "deal_credits",
             "activities", "kudos", "pipeline_snapshots")  # fmt: skip


def _import(con, name, text, day=date(2026, 11, 23)):
    batch, _ = formats.load([(name, text.encode())])
    ingest_apply.write(con, batch, actor="maya.chen", as_of=day)
    return undo.latest_undoable(con)


def _data(con):
    contents = table_contents(con)
    return {t: contents[t] for t in UNTOUCHED}


def test_undo_of_new_and_updated_rows_restores_the_state_before(demo_con):
    start = _data(demo_con)
    first = _import(demo_con, "deals.csv", DEALS.format(a=1000))
    after_first = _data(demo_con)
    # A newer export changes Alpha and adds a rep's quota over an existing one.
    second = _import(demo_con, "deals.csv", DEALS.format(a=5000), day=date(2026, 11, 23))
    quota = "Owner,Period,Quota\npriya.raman,2026-Q4,1\n"
    third = _import(demo_con, "q.csv", quota)
    assert (first, second, third) == (first, first + 1, first + 2)
    undo.undo(demo_con, third, "maya.chen")
    undo.undo(demo_con, second, "maya.chen")
    assert_same_contents(after_first, _data(demo_con))
    undo.undo(demo_con, first, "maya.chen")
    assert_same_contents(start, _data(demo_con))
    log = demo_con.execute(
        "select import_id, undone_by from import_log where import_id >= ? order by 1", [first]
    ).fetchall()
    assert log == [(first, "maya.chen"), (second, "maya.chen"), (third, "maya.chen")]
    assert demo_con.execute("select count(*) from import_undo").fetchone()[0] == 0


@pytest.mark.parametrize(
    "which, message",
    [
        ("older", "undo #{latest} first"),
        ("missing", "there is no import #999999"),
        ("twice", "was already undone"),
    ],
)
def test_undo_is_refused_out_of_order(demo_con, which, message):
    first = _import(demo_con, "deals.csv", DEALS.format(a=1000))
    latest = _import(demo_con, "deals.csv", DEALS.format(a=2000))
    target = {"older": first, "missing": 999999, "twice": latest}[which]
    if which == "twice":
        undo.undo(demo_con, latest, "maya.chen")
    before = table_contents(demo_con)
    with pytest.raises(undo.UndoRefused, match=message.format(latest=latest)):
        undo.undo(demo_con, target, "maya.chen")
    assert_same_contents(before, table_contents(demo_con))


def test_cli_undo(demo_copy, tmp_path, capsys):
    path = tmp_path / "deals.csv"
    path.write_text(DEALS.format(a=700))
    assert cli.main(["import", str(path), "--db", str(demo_copy)]) == 0
    con = db.connect(demo_copy)
    latest = undo.latest_undoable(con)
    con.close()
    assert cli.main(["import", "--undo", str(latest), "--db", str(demo_copy)]) == 0
    assert f"undid import #{latest}" in capsys.readouterr().out
    assert cli.main(["import", "--undo", str(latest), "--db", str(demo_copy)]) == 2
    con = db.connect(demo_copy)
    assert con.execute("select count(*) from deals where source = 'hubspot'").fetchone()[0] == 0
    con.close()


def test_undo_is_refused_once_anything_else_was_written_after_the_import(demo_con):
    from squadboard import plan

    imported = _import(demo_con, "deals.csv", DEALS.format(a=1000))
    plan.save(demo_con, plan.Plan(target_bonus=12_000.0), ADMIN)
    before = _data(demo_con)
    with pytest.raises(
        undo.UndoRefused, match=r"save_plan by elena.duarte.*Import a corrected file"
    ):
        undo.undo(demo_con, imported, "maya.chen")
    assert_same_contents(before, _data(demo_con))
