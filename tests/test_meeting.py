"""Frozen weeks and the pipeline bridge, on weeks built by hand (squadboard/meeting.py,
queries/pipeline_bridge.sql, queries/deal_movements.sql)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from squadboard import db, meeting
from squadboard.plan import Plan

W45, W46, W47, W48 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)
ORDER = ["start", "new", "pulled_in", "moved_in", "grown", "shrunk", "moved_out", "pushed_out"]
ORDER += ["won", "lost", "removed", "end"]

# deal: owner, amount, close date at the end of W45 (a Wednesday import)
START = {
    "D1": ("ann", 1000, "2026-12-01"),  # grows to 1500
    "D2": ("ann", 2000, "2026-12-10"),  # shrinks to 1200
    "D3": ("ann", 3000, "2026-12-15"),  # pushed to January, and grown: pushed out 3000
    "D4": ("ann", 4000, "2027-02-01"),  # pulled into December at 4100
    "D5": ("bob", 500, "2026-12-05"),  # won
    "D6": ("bob", 600, "2026-12-05"),  # lost
    "D7": ("bob", 700, "2026-12-05"),  # no longer in the export
    "D8": ("ann", 800, "2026-12-05"),  # handed to cat (lynx): moved out of orcas
    "D9": ("cat", 900, "2026-12-07"),  # handed to ann (orcas): moved in
    "D10": ("cat", 1000, "2026-12-08"),  # unchanged
    "D12": ("ann", 1200, "2026-12-09"),  # won, after growing: won counts the start amount
    "D13": ("ann", 1300, "2026-12-12"),  # pushed out and handed to cat: pushed out wins
}
# the last import of W47 (Friday); nothing imported in W46
END = {
    "D1": ("ann", 1500, "2026-12-01"),
    "D2": ("ann", 1200, "2026-12-10"),
    "D3": ("ann", 3500, "2027-01-15"),
    "D4": ("ann", 4100, "2026-12-20"),
    "D8": ("cat", 800, "2026-12-05"),
    "D9": ("ann", 900, "2026-12-07"),
    "D10": ("cat", 1000, "2026-12-08"),
    "D11": ("ann", 1100, "2026-12-22"),  # new
    "D13": ("cat", 1300, "2027-01-05"),
}
STATUS = {"D5": "won", "D6": "lost", "D12": "won"}


def _snapshot(cur, day: str, rows: dict, stage: str = "Proposal") -> None:
    for deal_id, (owner, amount, close) in rows.items():
        # delete and insert: a shared store has no key for `insert or replace`
        cur.execute(
            "delete from pipeline_snapshots where snapshot_date = ? and deal_id = ?", [day, deal_id]
        )
        cur.execute(
            "insert into pipeline_snapshots values (?, ?, ?, ?, ?, 0.5, ?)",
            [day, deal_id, owner, stage, amount, close],
        )


@pytest.fixture
def weeks(con):
    cur = con.cursor()
    cur.execute(
        "insert into squads values ('orcas', 'Orcas', null, null), ('lynx', 'Lynx', null, null)"
    )
    for rep, name, squad in (
        ("ann", "Ann", "orcas"),
        ("bob", "Bob", "orcas"),
        ("cat", "Cat", "lynx"),
    ):
        cur.execute("insert into reps (rep_id, name) values (?, ?)", [rep, name])
        cur.execute("insert into squad_members values (?, ?, '2026-01-01', null)", [rep, squad])
    for deal_id in {**START, **END}:
        owner, amount, close = END.get(deal_id) or START[deal_id]
        cur.execute(
            "insert into deals (deal_id, source, source_id, name, account, owner_id, stage, "
            "status, amount, close_date) values (?, 'native', ?, ?, 'Acme', ?, 'Proposal', ?, ?, ?)",
            [
                deal_id,
                deal_id,
                f"Deal {deal_id}",
                owner,
                STATUS.get(deal_id, "open"),
                amount,
                close,
            ],
        )
    cur.execute("delete from deals where deal_id = 'D7'")  # gone from the CRM
    _snapshot(cur, "2026-11-04", START)
    _snapshot(cur, "2026-11-16", {"D1": ("ann", 99_999, "2026-12-01")})  # not the last of W47
    _snapshot(cur, "2026-11-20", END)
    with db.transaction(con) as tx:
        meeting.freeze(tx, W48)
    return con


def bridge(con, week, squad=None) -> dict[str, tuple[int, Decimal]]:
    rows = db.run(con, "pipeline_bridge", week_start=week, squad_id=squad)
    assert rows["category"].to_list() == ORDER
    return {r["category"]: (r["deals"], r["amount"]) for r in rows.iter_rows(named=True)}


def test_every_category_by_hand(weeks):
    got = bridge(weeks, W47, "orcas")
    expected = {
        "start": (9, 11100),
        "new": (1, 1100),
        "pulled_in": (1, 4100),
        "moved_in": (1, 900),
        "grown": (1, 500),
        "shrunk": (1, -800),
        "moved_out": (1, -800),
        "pushed_out": (2, -4300),
        "won": (2, -1700),
        "lost": (1, -600),
        "removed": (1, -700),
        "end": (5, 8800),
    }
    assert {k: (d, int(a)) for k, (d, a) in got.items()} == expected


def test_precedence_one_category_per_deal(weeks):
    moves = db.run(weeks, "deal_movements", week_start=W47, squad_id="orcas")
    by_deal = dict(zip(moves["deal_id"], moves["category"], strict=True))
    assert by_deal["D12"] == "won"  # won although its amount changed
    assert by_deal["D13"] == "pushed_out"  # pushed out although it also changed squad
    assert by_deal["D3"] == "pushed_out"
    assert moves.filter(pl.col("deal_id") == "D3")["change"].item() == -3000  # start amount
    assert by_deal["D4"] == "pulled_in" and by_deal["D11"] == "new"
    assert "D10" not in by_deal  # unchanged deals did not move
    assert moves["deal_id"].n_unique() == moves.height
    lynx = db.run(weeks, "deal_movements", week_start=W47, squad_id="lynx")
    assert dict(zip(lynx["deal_id"], lynx["category"], strict=True)) == {
        "D8": "moved_in",
        "D9": "moved_out",
    }
    assert moves.columns == [
        "deal_id", "deal", "account", "owner", "category", "amount_start", "amount_end",
        "change", "close_date_start", "close_date_end", "stage_start", "stage_end",
    ]  # fmt: skip


@pytest.mark.parametrize("squad", ["orcas", "lynx", None])
@pytest.mark.parametrize("week", [W46, W47])
def test_start_plus_changes_is_end_and_movements_sum_to_the_bridge(weeks, week, squad):
    rows = db.run(weeks, "pipeline_bridge", week_start=week, squad_id=squad)
    assert meeting.bridge_balances(rows)
    moves = db.run(weeks, "deal_movements", week_start=week, squad_id=squad)
    sums = moves.group_by("category").agg(pl.col("change").sum(), pl.len())
    for r in sums.iter_rows(named=True):
        got = rows.filter(pl.col("category") == r["category"]).row(0, named=True)
        assert (got["amount"], got["deals"]) == (r["change"], r["len"])
    changes = rows.filter(~pl.col("category").is_in(["start", "end"]))
    assert changes.filter(pl.col("deals") > 0).height == sums.height


def test_all_squads_moves_between_squads_cancel(weeks):
    everyone = bridge(weeks, W47)
    assert everyone["moved_in"] == (0, 0) and everyone["moved_out"] == (0, 0)
    orcas, lynx = bridge(weeks, W47, "orcas"), bridge(weeks, W47, "lynx")
    assert everyone["end"][1] == orcas["end"][1] + lynx["end"][1]


def test_a_week_without_an_import_is_carried_forward(weeks):
    w46 = next(w for w in meeting.frozen_weeks(weeks) if w.monday == W46)
    assert w46.source_date is None and w46.as_of == date(2026, 11, 4)
    assert "carried forward" in w46.describe()
    got = bridge(weeks, W46, "orcas")
    assert got["start"] == got["end"] == (9, 11100)
    assert all(got[c][0] == 0 for c in meeting.CHANGES)
    w47 = next(w for w in meeting.frozen_weeks(weeks) if w.monday == W47)
    assert w47.source_date == date(2026, 11, 20)  # the last import of the week


def test_a_later_import_leaves_an_ended_week_unchanged(weeks):
    before = {
        w: (
            db.run(weeks, "pipeline_bridge", week_start=w, squad_id="orcas"),
            db.run(weeks, "deal_movements", week_start=w, squad_id="orcas"),
        )
        for w in (W46, W47)
    }
    # A correction imported with the date of W47's last import: D1 was really 5000, D2 won.
    from squadboard.ingest import Batch
    from squadboard.ingest.apply import write

    deals = pl.DataFrame(
        {
            "deal_id": ["D1", "D2"],
            "source": ["native"] * 2,
            "source_id": ["D1", "D2"],
            "name": ["Deal D1", "Deal D2"],
            "owner_id": ["ann", "ann"],
            "status": ["open", "won"],
            "amount": [5000.0, 1200.0],
            "close_date": [date(2026, 12, 1), date(2026, 11, 19)],
        }
    )
    write(weeks, Batch(format="native", files=["fix.csv"], frames={"deals": deals}),
          actor="ann", as_of=date(2026, 11, 20))  # fmt: skip
    assert meeting.freeze_ended_weeks(weeks, date(2026, 12, 1)) == [W48]
    for w, (b, m) in before.items():
        assert db.run(weeks, "pipeline_bridge", week_start=w, squad_id="orcas").equals(b)
        assert db.run(weeks, "deal_movements", week_start=w, squad_id="orcas").equals(m)
    # ... and the correction shows in the next week.
    w48 = bridge(weeks, W48, "orcas")
    assert w48["grown"] == (1, 3500) and w48["won"] == (1, -1200)
    assert meeting.freeze_ended_weeks(weeks, date(2026, 12, 1)) == []  # frozen once


def test_freezing_waits_for_the_week_to_end(weeks):
    cur = weeks.cursor()
    assert meeting.weeks_to_freeze(cur, W48) == []
    assert meeting.weeks_to_freeze(cur, date(2026, 11, 30)) == [W48]
    frozen = [
        r[0] for r in cur.execute("select week_start from meeting_weeks order by 1").fetchall()
    ]
    assert frozen == [W45, W46, W47]


def test_weeks_parse_from_iso_labels():
    assert meeting.parse_week("2026-W47") == W47
    assert meeting.week_label(W47) == "2026-W47"
    for bad in ("2026-W54", "47", "", "2026-13", "<b>x</b>"):
        with pytest.raises(meeting.MeetingError, match="ISO week like 2026-W47"):
            meeting.parse_week(bad)


def test_quarter_of_a_week_is_that_of_its_thursday(con):
    cur = con.cursor()
    # Mon 28 Sep 2026: Thursday 1 Oct is in Q4.
    assert cur.execute("select meeting_quarter_start(date '2026-09-28')").fetchone()[0] == date(
        2026, 10, 1
    )
    assert meeting.quarter_of_week(date(2026, 9, 28)).label == "2026-Q4"
    cur.execute("insert into plan_settings values ('fiscal_year_start_month', '2')")
    assert cur.execute("select meeting_quarter_start(date '2026-11-16')").fetchone()[0] == date(
        2026, 11, 1
    )
    assert meeting.quarter_of_week(date(2026, 11, 16), 2).start == date(2026, 11, 1)


def _health(**over):
    row = {
        "deal_id": "D", "deal": "D", "stage": "Proposal", "amount": 1000.0, "days_overdue": None,
        "pushes": 0, "days_in_stage": 10, "stage_median_days": 10.0, "days_unchanged": 5,
        "large_from": 5000.0,
    }  # fmt: skip
    row.update(over)
    return pl.DataFrame([row])


@pytest.mark.parametrize(
    "over, reason",
    [
        ({"days_overdue": 3}, "overdue 3 days"),
        ({"pushes": 2}, "pushed out 2 times"),
        ({"days_in_stage": 21}, "stalled: 21 days in Proposal (the org's median is 10)"),
        ({"amount": 9000.0, "days_unchanged": 21}, "large and unchanged for 21 days"),
    ],
)
def test_deals_that_need_help_say_why(over, reason):
    assert meeting.needs_help(_health(**over), Plan())["reasons"].to_list() == [reason]


@pytest.mark.parametrize(
    "over",
    [
        {"days_overdue": 0},
        {"pushes": 1},
        {"days_in_stage": 20},
        {"amount": 9000.0, "days_unchanged": 20},
    ],
)
def test_deals_just_inside_the_rules_do_not_need_help(over):
    assert meeting.needs_help(_health(**over), Plan()).is_empty()


def test_stall_factor_and_stale_days_are_plan_settings():
    assert (Plan().stall_factor, Plan().stale_days) == (2.0, 21)
    assert meeting.needs_help(_health(days_in_stage=16), Plan(stall_factor=1.5)).height == 1
    assert Plan(stall_factor=0).validate() == ["stall factor must be above 0"]
    assert Plan(stale_days=0).validate() == ["stale days must be at least 1"]


def test_the_demo_has_eight_frozen_weeks_with_every_category(demo_con):
    weeks = meeting.frozen_weeks(demo_con)
    last_eight = [w.monday for w in weeks[:8]]
    assert last_eight[0] == W47 and len(last_eight) == 8
    seen: dict[str, int] = {}
    for week in last_eight:
        for squad in ("falcons", "lynx", "orcas", "ravens", None):
            rows = db.run(demo_con, "pipeline_bridge", week_start=week, squad_id=squad)
            assert meeting.bridge_balances(rows), (week, squad)
            for category, deals in zip(rows["category"], rows["deals"], strict=True):
                seen[category] = seen.get(category, 0) + deals
    assert all(seen[c] > 0 for c in ORDER), seen
    help_ = meeting.needs_help(
        db.run(demo_con, "meeting_deal_health", week_start=W47, squad_id=None), Plan()
    )
    reasons = " ".join(help_["reasons"])
    for kind in ("overdue", "pushed out 2 times", "stalled", "large and unchanged"):
        assert kind in reasons, kind


def test_the_waterfall_bars_are_the_bridge(weeks):
    from squadboard import meeting_charts

    rows = db.run(weeks, "pipeline_bridge", week_start=W47, squad_id="orcas")
    bars = meeting_charts.bridge_waterfall(rows).data[0]
    assert list(bars.y) == [float(a) for a in rows["amount"]]
    assert list(bars.measure) == ["absolute"] + ["relative"] * 10 + ["total"]
    assert list(bars.x)[0] == "Start" and list(bars.x)[-1] == "End"


@pytest.mark.parametrize(
    "params, expected, note",
    [
        ({}, ("2026-11-16", "all", 1, None), None),
        ({"week": "2026-W46", "squad": "orcas", "section": "2", "present": "1"},
         ("2026-11-09", "orcas", 2, True), None),
        ({"week": "2026-W45"}, ("2026-11-16", "all", 1, None), "it is not a frozen week"),
        ({"week": "W46"}, ("2026-11-16", "all", 1, None), "use an ISO week like 2026-W47"),
        ({"squad": "falcons"}, ("2026-11-16", "all", 1, None), "not a squad you can open here"),
        ({"section": "6"}, ("2026-11-16", "all", 1, None), "use one of 1, 2, 3, 4, 5, 7"),
        ({"section": "<b>2</b>"}, ("2026-11-16", "all", 1, None), "'<b>2</b>'"),
        ({"present": "yes"}, ("2026-11-16", "all", 1, None), "use 1 (wall screen) or 0"),
    ],
)  # fmt: skip
def test_a_link_opens_what_it_names_and_ignores_the_rest_with_a_note(params, expected, note):
    link = meeting.read_link(
        params, ["2026-11-16", "2026-11-09"], ["all", "orcas", "lynx"], [1, 2, 3, 4, 5, 7]
    )
    assert (link.week, link.squad, link.section, link.present) == expected
    assert (note is None and link.notes == []) or (len(link.notes) == 1 and note in link.notes[0])
