"""What a page works out is worked out once and shared (issue #19: warm pages against an empty
page): the data version once per page run, figures and lists once per content, the demo
picker and the reps' names once per data version, and named queries through `execute`. Each
shortcut must still give what the long way gives, and must notice a write."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from squadboard import auth, db, display, facts, mastermind_views, ui
from tests.conftest import TODAY

PERIOD = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": TODAY.isoformat()}


def test_once_makes_a_result_once_per_content():
    made = []

    def bars(frame: pl.DataFrame, top: int) -> pl.DataFrame:
        made.append(top)
        return frame.head(top)

    board = pl.DataFrame({"rep": ["a", "b", "c"], "credited": [3.0, 2.0, 1.0]})
    first = ui.once(bars, board, 2)
    assert ui.once(bars, board.clone(), 2) is first  # the same rows: shared, not made again
    assert made == [2]
    ui.once(bars, board, 1)  # another argument
    changed = board.with_columns(pl.when(pl.col("rep") == "c").then(0.5).otherwise("credited"))
    ui.once(bars, changed, 2)  # one value changed
    assert made == [2, 1, 2]
    # a keyword argument is part of the key too
    ui.once(bars, frame=board, top=2)
    ui.once(bars, frame=board, top=2)
    assert made == [2, 1, 2, 2]


def test_once_makes_afresh_what_it_cannot_fingerprint(monkeypatch):
    made = []

    def count(frame):
        made.append(1)
        return frame.height

    monkeypatch.setattr(ui, "fingerprint", lambda frame: None)  # a dtype Polars cannot hash
    frame = pl.DataFrame({"x": [1, 2]})
    assert ui.once(count, frame) == 2 and ui.once(count, frame) == 2
    assert made == [1, 1]


@pytest.mark.embedded_only  # on a lake every commit is a version: tests/test_store.py
def test_a_page_run_reads_the_data_version_once_until_a_write(app_env, monkeypatch):
    reads = []
    real = db.data_version
    monkeypatch.setattr(db, "data_version", lambda con, **kw: reads.append(1) or real(con, **kw))
    monkeypatch.setattr(ui, "get_script_run_ctx", lambda: object())  # as inside a page run
    ui._run_version.__dict__.clear()
    _, version = ui._version()
    assert ui._version()[1] == version and len(reads) == 1  # kept for the rest of the run
    con = ui.con()
    with db.transaction(con) as tx:
        db.audit(tx, "test", "note", "meta", None)
    assert ui._version()[1] == version + 1 and len(reads) == 2  # a commit: read again
    assert ui._version()[1] == version + 1 and len(reads) == 2


def test_outside_a_page_run_the_data_version_is_read_every_time(app_env, monkeypatch):
    reads = []
    real = db.data_version
    monkeypatch.setattr(db, "data_version", lambda con, **kw: reads.append(1) or real(con, **kw))
    ui._version()
    ui._version()
    assert len(reads) == 2


@pytest.mark.embedded_only
def test_a_write_during_a_page_run_is_seen_by_the_next_answer(app_env, monkeypatch):
    monkeypatch.setattr(ui, "get_script_run_ctx", lambda: object())
    ui._run_version.__dict__.clear()
    first = ui.run("squad_attainment", **PERIOD)
    squad_id = first["squad_id"][0]
    con = ui.con()
    cur = con.cursor()
    owner = cur.execute(
        "select rep_id from squad_members where squad_id = ? and valid_to is null limit 1",
        [squad_id],
    ).fetchone()[0]
    with db.transaction(con) as tx:
        tx.execute(
            "insert into deals (deal_id, source, source_id, owner_id, status, amount, "
            "probability, created_date, close_date) values ('RUN-1', 'native', 'RUN-1', ?, "
            "'won', 5000, 1, ?, ?)",
            [owner, TODAY, TODAY],
        )
        facts.refresh(tx)
        db.audit(tx, "test", "add_deal", "deals", "RUN-1")
    after = ui.run("squad_attainment", **PERIOD).filter(pl.col("squad_id") == squad_id)
    before = first.filter(pl.col("squad_id") == squad_id)
    assert float(after["credited"][0]) == float(before["credited"][0]) + 5000


def test_named_queries_answer_the_same_through_execute_as_through_sql(demo_con):
    for name, params in [
        ("rep_attainment", PERIOD),
        ("squad_attainment", PERIOD),
        ("roster", {"as_of": TODAY}),
        ("leaderboard", {**PERIOD, "metric": "credited"}),
    ]:
        query = db.get_query(name)
        params = {k: v for k, v in params.items() if k in {p.name for p in query.params}}
        bound = db.bind(query, params)
        expected = demo_con.cursor().sql(query.sql, params=bound).pl()
        assert db.run(demo_con, name, **params).equals(expected), name


def test_the_demo_picker_labels_everyone_active_as_the_rule_says(demo_con):
    roster = db.run(demo_con, "roster", as_of=TODAY)
    choices = ui._demo_choices(roster)
    active = roster.filter(pl.col("active"))
    assert choices.ids == tuple(active["rep_id"])
    for row in active.iter_rows(named=True):
        shown = row["access"] if row["access"] != "rep" else row["role"]
        squad = f" · {row['squad']}" if row["squad"] else ""
        assert choices.labels[row["rep_id"]] == f"{row['rep']} · {shown}{squad}"
        assert choices.viewer(row["rep_id"]) == auth.viewer_from(row)
    leaders = active.filter(pl.col("access") == "leader")["rep_id"]
    assert choices.first_leader == leaders[0]
    with pytest.raises(TypeError):
        choices.labels["x"] = "shared between sessions: read-only"


def test_active_reps_are_the_rosters_active_rows(app_env):
    roster = ui.run("roster", as_of=TODAY)
    people = ui.active_reps(TODAY)
    active = roster.filter(pl.col("active"))
    assert people.frame.equals(active)
    assert dict(people.names) == dict(zip(active["rep_id"], active["rep"], strict=True))
    assert dict(people.squad_of) == dict(zip(active["rep_id"], active["squad_id"], strict=True))
    assert ui.active_reps(TODAY) is people  # once per data version


def test_mastermind_labels_and_amounts_read_as_before():
    rooms = pl.DataFrame(
        {
            "mastermind_id": ["M1", "M2", "M3"],
            "title": ["Renewal", "New logo", "Expansion"],
            "owner": ["Ada", "Grace", "Linus"],
            "outcome": [None, "won", None],
        }
    )
    roles = pl.DataFrame({"mastermind_id": ["M2", "M3"], "part": ["helper", "owner"]})
    assert dict(mastermind_views.room_labels(rooms, roles)) == {
        "M1": "Renewal · Ada · open",
        "M2": "New logo · Grace · won · you: helper",
        "M3": "Expansion · Linus · open · you: owner",
    }
    amounts = pl.Series([Decimal("1234.50"), None, Decimal("-0.4"), Decimal("1.5")])
    shown = display.as_text(amounts.cast(pl.Float64), "money").to_list()
    assert shown == [display.money(None if a is None else float(a)) for a in amounts]
    assert shown == ["$1,234", display.DASH, "$0", "$2"]


def _table_page():
    from datetime import date
    from decimal import Decimal

    import polars as pl

    from squadboard import ui

    frame = pl.DataFrame(
        {
            "rep": ["Ada", None, "Grace"],
            "credited": [Decimal("1234.50"), None, Decimal("-0.40")],
            "attainment": [0.456, None, 1.2],
            "close_date": [date(2026, 11, 2), None, date(2026, 11, 20)],
        }
    )
    ui.table(frame, column_config={"credited": ui.money("Credited")})


def test_a_table_reaches_the_browser_with_the_same_values():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_table_page, default_timeout=60)
    for _ in range(2):  # made, then sent from what was kept
        at.run()
        assert not at.exception
        shown = at.dataframe[0].value
        assert shown["rep"].tolist() == ["Ada", display.DASH, "Grace"]
        assert shown["credited"].tolist() == ["$1,234", display.DASH, "$0"]
        assert shown["close_date"].tolist()[1] == display.DASH
