"""Sales exports as leaders have them (issue #17): each shape in tests/fixtures/shapes/ imports
with at most one mapping file and no edit, and the attainment it gives is checked against a
hand calculation; re-importing changes nothing.

The organisation (tests/fixtures/shapes/roster/): North (Ann Lee, Bo Chen; managed by Nora
North), South (Cy Diaz, Dee Evans; managed by Sam South) and East, a territory with no members.
Quarter: 2026-Q1. Dollar targets (quotas_dollars.csv): Ann 10,000, Bo 20,000, Cy 8,000,
Dee 2,000, North 40,000, South 20,000.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from squadboard import charts, cli, db, plan
from squadboard.ingest import ImportFailed, formats, units
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest.mapping import Mapping
from tests.conftest import ADMIN

SHAPES = Path(__file__).resolve().parent / "fixtures" / "shapes"
Q1 = {"period_start": "2026-01-01", "period_end": "2026-04-01", "as_of": "2026-03-31"}


def _mapping(name: str | None) -> Mapping | None:
    return Mapping.from_json((SHAPES / name).read_text()) if name else None


def _load(con, *names, mapping=None):
    return formats.load_paths([SHAPES / n for n in names], con=con, mapping=_mapping(mapping))


def _import(con, *names, mapping=None):
    batch, chosen = _load(con, *names, mapping=mapping)
    ingest_apply.write(con, batch, actor="test", as_of=date(2026, 3, 31))
    return batch, chosen


@pytest.fixture
def org(con):
    _import(con, "roster")
    return con


def _reps(con) -> dict[str, tuple]:
    rows = db.run(con, "rep_attainment", **Q1)
    return {
        r["rep_id"]: (r["credited"], r["attainment"], r["manages_squad"])
        for r in rows.iter_rows(named=True)
    }


def _squads(con) -> dict[str, tuple]:
    rows = db.run(con, "squad_attainment", **Q1)
    return {r["squad_id"]: (r["credited"], r["attainment"]) for r in rows.iter_rows(named=True)}


def _reimport_changes_nothing(con, *names, mapping=None):
    before = {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}
    batch, _ = _import(con, *names, mapping=mapping)
    assert sum(batch.changed.values()) == 0, batch.changed
    after = {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}
    assert after == before


TABLES = ["squads", "reps", "squad_members", "quotas", "deals", "deal_credits", "credited_revenue"]


# Order lines ---------------------------------------------------------------------------------


def test_order_lines_are_one_deal_per_order_and_attainment_is_by_hand(org):
    _import(org, "quotas_dollars.csv")
    batch, chosen = _import(org, "order_lines.csv", mapping="order_lines.json")
    assert chosen == {"order_lines.csv": "mapped"}
    deals = org.execute(
        "select source_id, owner_id, status, amount, created_date::varchar, close_date::varchar "
        "from deals order by source_id"
    ).fetchall()
    # SO-1001: 2,500.00 + 999.99 - 100.00 (a credit line) over three lines, the first ordered
    # on 5 January, the last invoiced on 20 January. SO-1004 is invoiced in Q2.
    assert deals == [
        ("SO-1001", "ann.lee", "won", Decimal("3399.99"), "2026-01-05", "2026-01-20"),
        ("SO-1002", "bo.chen", "won", Decimal("15000.50"), "2026-02-01", "2026-02-10"),
        ("SO-1003", "cy.diaz", "won", Decimal("7777.77"), "2026-03-02", "2026-03-15"),
        ("SO-1004", "ann.lee", "won", Decimal("4000.00"), "2026-03-20", "2026-04-02"),
        ("SO-1005", "dee.evans", "won", Decimal("1235.00"), "2026-02-14", "2026-02-20"),
    ]
    reps = _reps(org)
    assert reps["ann.lee"][:2] == (Decimal("3399.99"), pytest.approx(3399.99 / 10_000))
    assert reps["bo.chen"][:2] == (Decimal("15000.50"), pytest.approx(15000.50 / 20_000))
    assert reps["dee.evans"][:2] == (Decimal("1235.00"), pytest.approx(1235.00 / 2_000))
    squads = _squads(org)
    assert squads["north"] == (Decimal("18400.49"), pytest.approx(18400.49 / 40_000))
    assert squads["south"] == (Decimal("9012.77"), pytest.approx(9012.77 / 20_000))
    _reimport_changes_nothing(org, "order_lines.csv", mapping="order_lines.json")


def test_an_order_whose_lines_name_two_owners_is_refused_naming_both_lines(org, tmp_path):
    text = (SHAPES / "order_lines.csv").read_text()
    text = text.replace(
        "SO-1001,2,2026-01-06,2026-01-20,Ann Lee", "SO-1001,2,2026-01-06,2026-01-20,Bo Chen"
    )
    (tmp_path / "lines.csv").write_text(text)
    batch, _ = formats.load_paths([tmp_path / "lines.csv"], mapping=_mapping("order_lines.json"))
    reasons = [str(p) for p in batch.errors]
    assert reasons == [
        "lines.csv:3: SalesPerson: order 'SO-1001' has two owners: 'Ann Lee' on line 2 and "
        "'Bo Chen' on line 3; one order is one deal with one owner"
    ]
    with pytest.raises(ImportFailed):
        ingest_apply.write(org, batch, actor="test")
    assert org.execute("select count(*) from deals").fetchone()[0] == 0


def test_without_lines_a_repeated_id_points_at_its_first_line(org):
    mapping = _mapping("order_lines.json")
    mapping.lines = False
    batch, _ = formats.load_paths([SHAPES / "order_lines.csv"], mapping=mapping)
    first = next(str(p) for p in batch.errors if "duplicate" in p.reason)
    assert first.startswith("order_lines.csv:3: SalesOrderNumber: duplicate deal id 'SO-1001': ")
    assert "first on line 2" in first and '"lines": true' in first


def test_a_long_error_list_says_how_many_it_shows(tmp_path):
    rows = "\n".join(f"D-{i % 10},Ann Lee,Open,100" for i in range(310))
    (tmp_path / "many.csv").write_text("Id,Owner,Stage,Amount\n" + rows + "\n")
    mapping = Mapping("deals", {"source_id": "Id", "owner": "Owner", "stage": "Stage",
                                "amount": "Amount"})  # fmt: skip
    batch, _ = formats.load_paths([tmp_path / "many.csv"], mapping=mapping)
    assert len(batch.errors) == 201
    assert str(batch.errors[0]) == "many.csv:12: Id: duplicate deal id 'D-0': first on line 2" + (
        ' (order lines? say "lines": true in the mapping)'
    )
    assert str(batch.errors[-1]) == "many.csv: Id: showing 200 of 300 duplicate deal ids"


# Units ---------------------------------------------------------------------------------------


def test_a_thousands_sheet_warns_and_a_dollar_sheet_does_not(org):
    _import(org, "order_lines.csv", mapping="order_lines.json")
    batch, chosen = _load(org, "quotas_thousands.csv")
    assert chosen == {"quotas_thousands.csv": "quota_sheet"}
    [warning] = units.check(org, batch)
    assert "targets look 1,000× too small: were they kept in thousands?" in warning.reason
    batch, _ = _load(org, "quotas_dollars.csv")
    assert units.check(org, batch) == []
    # The mapping file that says "unit": 1000 goes with the recognised sheet: no warning, and
    # the targets are the dollar ones.
    batch, _ = _load(org, "quotas_thousands.csv", mapping="quotas_thousands.json")
    assert units.check(org, batch) == []
    ingest_apply.write(org, batch, actor="test")
    assert _reps(org)["ann.lee"][:2] == (Decimal("3399.99"), pytest.approx(0.339999))
    assert _squads(org)["north"][1] == pytest.approx(18400.49 / 40_000)
    _reimport_changes_nothing(org, "quotas_thousands.csv", mapping="quotas_thousands.json")


def test_deal_amounts_in_thousands_warn_against_stored_targets(org, tmp_path):
    _import(org, "quotas_dollars.csv")
    header = (SHAPES / "order_lines.csv").read_text().splitlines()[0]
    (tmp_path / "k.csv").write_text(header + "\n" + "\n".join(
        f"K-{i},1,2026-01-05,2026-02-0{i},{who},Contoso,Widget,1,{k},{k}"
        for i, (who, k) in enumerate([("Ann Lee", 3.4), ("Bo Chen", 15), ("Cy Diaz", 7.8),
                                      ("Dee Evans", 1.2)], start=1)
    ) + "\n")  # fmt: skip
    batch, _ = formats.load_paths([tmp_path / "k.csv"], mapping=_mapping("order_lines.json"))
    [warning] = units.check(org, batch)
    assert "deal amounts look 1,000× too small: were they kept in thousands?" in warning.reason


def test_the_dry_run_prints_the_units_warning(org, tmp_path, capsys):
    path = tmp_path / "org.duckdb"
    disk = db.connect(path)
    _import(disk, "roster")
    _import(disk, "order_lines.csv", mapping="order_lines.json")
    disk.close()
    code = cli.main(["import", str(SHAPES / "quotas_thousands.csv"), "--db", str(path),
                     "--dry-run"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: quotas_thousands.csv: targets look 1,000× too small" in err
    code = cli.main(["import", str(SHAPES / "quotas_dollars.csv"), "--db", str(path), "--dry-run"])
    assert "too small" not in capsys.readouterr().err


# Headerless dumps ----------------------------------------------------------------------------


def test_a_headerless_pipe_dump_imports_with_positions(org):
    _import(org, "quotas_dollars.csv")
    batch, chosen = _import(org, "deals_dump.txt", mapping="deals_dump.json")
    assert chosen == {"deals_dump.txt": "mapped"}
    deals = org.execute(
        "select deal_id, owner_id, status, amount::double, close_date::varchar from deals "
        "order by deal_id"
    ).fetchall()
    assert deals == [
        ("dump:D-1", "ann.lee", "won", 12500.0, "2026-01-15"),
        ("dump:D-2", "bo.chen", "lost", 8000.0, "2026-02-20"),
        ("dump:D-3", "cy.diaz", "won", 4250.5, "2026-03-31"),  # 31/03/2026, day first
        ("dump:D-4", "ann.lee", "open", 9000.0, "2026-04-30"),
    ]
    reps = _reps(org)
    assert reps["ann.lee"][1] == pytest.approx(12500 / 10_000)
    assert reps["cy.diaz"][1] == pytest.approx(4250.50 / 8_000)
    assert _squads(org)["south"][1] == pytest.approx(4250.50 / 20_000)
    _reimport_changes_nothing(org, "deals_dump.txt", mapping="deals_dump.json")


def test_a_headerless_dump_without_a_mapping_says_how_to_map_it(org):
    batch, _ = _load(org, "deals_dump.txt")
    [problem] = batch.errors
    assert problem.file == "deals_dump.txt"
    assert "the first row looks like data, not a header" in problem.reason
    assert '"header": false' in problem.reason


def test_a_headerless_position_past_the_last_column_is_named(tmp_path):
    mapping = _mapping("deals_dump.json")
    mapping.columns["account"] = "9"
    batch, _ = formats.load_paths([SHAPES / "deals_dump.txt"], mapping=mapping)
    assert [p.reason for p in batch.errors] == ["the file has 7 columns; there is no column 9"]


def test_a_row_error_in_a_dump_names_its_true_file_line(tmp_path):
    text = (SHAPES / "deals_dump.txt").read_text().replace("9000|", "nine thousand|")
    (tmp_path / "dump.txt").write_text(text)
    batch, _ = formats.load_paths([tmp_path / "dump.txt"], mapping=_mapping("deals_dump.json"))
    assert [str(p) for p in batch.errors] == [
        "dump.txt:5: amount: 'nine thousand' is not an amount; use digits like 1234.50 or $1,234.50"
    ]


# Manager-level targets -----------------------------------------------------------------------


def test_manager_rows_are_their_squads_base_quota(org):
    _import(org, "order_lines.csv", mapping="order_lines.json")
    batch, chosen = _import(org, "manager_targets.csv", mapping="manager_targets.json")
    assert chosen == {"manager_targets.csv": "quota_sheet"}
    quotas = org.execute(
        "select kind, owner_id, period_start::varchar, amount::double from quotas order by all"
    ).fetchall()
    assert quotas == [
        ("squad_base", "north", "2026-01-01", 40000.0),
        ("squad_base", "south", "2026-01-01", 20000.0),
    ]
    assert _squads(org)["north"] == (Decimal("18400.49"), pytest.approx(18400.49 / 40_000))
    assert "nora.north" not in _reps(org)  # no personal target compared with no deals
    _reimport_changes_nothing(org, "manager_targets.csv", mapping="manager_targets.json")


def test_without_the_option_a_manager_row_is_a_personal_target(org):
    _import(org, "manager_targets.csv")
    kinds = org.execute("select kind, owner_id from quotas order by all").fetchall()
    assert kinds == [("rep_stretch", "nora.north"), ("rep_stretch", "sam.south")]


def test_a_manager_row_of_someone_who_manages_no_squad_is_refused(org, tmp_path):
    (tmp_path / "m.csv").write_text("Manager,Quarter,Target\nAnn Lee,2026-Q1,100\n")
    batch, _ = formats.load_paths([tmp_path / "m.csv"], con=org,
                                  mapping=_mapping("manager_targets.json"))  # fmt: skip
    assert [str(p) for p in batch.errors] == [
        "m.csv:2: owner: 'Ann Lee' manages no squad, so their row cannot be a squad's base "
        "quota; set the squad's manager first"
    ]


def test_managers_show_in_rep_tables_only_when_they_own_deals(org, tmp_path):
    (tmp_path / "t.csv").write_text("Owner,Period,Quota\nNora North,2026-Q1,5000\n")
    _import_path(org, tmp_path / "t.csv")
    assert "nora.north" not in _reps(org)
    (tmp_path / "d.csv").write_text(
        "Deal Id,Owner,Stage,Amount,Close Date\nN-1,Nora North,Closed Won,500,2026-02-01\n"
    )
    _import_path(org, tmp_path / "d.csv", Mapping("deals", {
        "source_id": "Deal Id", "owner": "Owner", "stage": "Stage", "amount": "Amount",
        "close_date": "Close Date"}))  # fmt: skip
    nora = _reps(org)["nora.north"]
    assert nora == (Decimal("500.00"), pytest.approx(0.1), True)
    assert _reps(org)["ann.lee"][2] is False


def _import_path(con, path, mapping=None):
    batch, _ = formats.load_paths([path], con=con, mapping=mapping)
    ingest_apply.write(con, batch, actor="test")


# Territory crediting -------------------------------------------------------------------------


def test_deal_team_credits_the_squad_on_the_deal_and_totals_stay_exact(org):
    _import(org, "quotas_dollars.csv")
    batch, _ = _import(org, "territory_deals.csv", mapping="territory_deals.json")
    teams = org.execute("select source_id, team_squad_id from deals order by 1").fetchall()
    assert teams == [("T-1", "east"), ("T-2", None), ("T-3", "east"), ("T-4", "east")]
    by_rep_squad = _squads(org)
    assert by_rep_squad["north"][0] == Decimal("3000.03")
    assert by_rep_squad["south"][0] == Decimal("333.33")
    assert by_rep_squad["east"][0] == Decimal("0.00")
    reps_before = _reps(org)
    plan.save(org, plan.Plan(squad_credit_rule="deal_team"), ADMIN)
    by_team = _squads(org)
    assert by_team["east"][0] == Decimal("1333.34")  # T-1 1,000.01 + T-3 333.33
    assert by_team["north"][0] == Decimal("2000.02")
    assert by_team["south"][0] == Decimal("0.00")
    assert by_team["north"][1] == pytest.approx(2000.02 / 40_000)  # quotas_dollars.csv
    total = sum(v[0] for v in by_team.values())
    assert total == sum(v[0] for v in by_rep_squad.values()) == Decimal("3333.36")
    assert _reps(org) == reps_before  # a rep's own credit does not move
    # The open deal's pipeline goes to East too.
    pipeline = org.execute("select squad_id from open_pipeline_credits").fetchall()
    assert pipeline == [("east",)]
    plan.save(org, plan.Plan(), ADMIN)
    assert _squads(org) == by_rep_squad
    _reimport_changes_nothing(org, "territory_deals.csv", mapping="territory_deals.json")


def test_an_unknown_team_is_named_with_its_line(org, tmp_path):
    text = (SHAPES / "territory_deals.csv").read_text().replace(",East\n", ",Atlantis\n", 1)
    (tmp_path / "t.csv").write_text(text)
    batch, _ = formats.load_paths([tmp_path / "t.csv"], con=org,
                                  mapping=_mapping("territory_deals.json"))  # fmt: skip
    assert [str(p) for p in batch.errors] == [
        "t.csv:2: team: unknown squad 'Atlantis': add them as a squad first"
    ]


def test_the_plan_checks_the_squad_credit_rule():
    assert plan.Plan(squad_credit_rule="by_mood").validate() == [
        "squad credit rule must be rep_squad or deal_team"
    ]


# Folders with extra files --------------------------------------------------------------------


def test_a_folder_with_a_data_dictionary_and_readme_imports_its_data(org):
    batch, chosen = _import(org, "folder")
    assert chosen == {"opportunities.csv": "salesforce_report"}
    notes = sorted(str(w) for w in batch.warnings)
    assert "README.txt: skipped: documentation, not data" in notes[0] or any(
        w.startswith("README.txt: skipped") for w in notes
    )
    assert any(w.startswith("data_dictionary.csv: skipped: a data dictionary") for w in notes)
    assert org.execute("select count(*) from deals").fetchone()[0] == 4
    _import(org, "quotas_dollars.csv")
    # Won in Q1: Ann's Globex 12,500 (of 10,000), Cy's Hooli 20,000 (of 8,000).
    reps = _reps(org)
    assert reps["ann.lee"][:2] == (Decimal("12500.00"), pytest.approx(1.25))
    assert reps["cy.diaz"][:2] == (Decimal("20000.00"), pytest.approx(2.5))
    assert _squads(org)["south"][1] == pytest.approx(20_000 / 20_000)
    _reimport_changes_nothing(org, "folder")


def test_a_repeated_header_is_shown_as_written(tmp_path):
    (tmp_path / "x.csv").write_text("Ref,Worth,Worth,When\nA,1,2,2026-01-01\n")
    batch, _ = formats.load_paths([tmp_path / "x.csv"])
    text = " ".join(str(p) for p in batch.errors)
    assert "x.csv:1: Worth: the same header as column 2 ('Worth')" in text
    assert "_duplicated_" not in text


def test_an_options_only_mapping_needs_a_kind():
    with pytest.raises(ValueError, match='"kind"'):
        Mapping.from_json('{"unit": 1000}')
    assert Mapping.from_json('{"kind": "quotas", "unit": 1000}').columns == {}


# The squad trend and its forecast band stop at as-of ----------------------------------------


def test_the_trend_never_counts_a_deal_after_as_of(org, tmp_path):
    (tmp_path / "d.csv").write_text(
        "Deal Id,Owner,Stage,Amount,Close Date\n"
        "A,Ann Lee,Closed Won,1000,2026-03-02\n"
        "B,Ann Lee,Closed Won,5000,2026-03-05\n"  # closed after as-of (Wednesday 4 March)
        "C,Ann Lee,Proposal,2000,2026-03-20\n"
    )
    _import_path(org, tmp_path / "d.csv", Mapping("deals", {
        "source_id": "Deal Id", "owner": "Owner", "stage": "Stage", "amount": "Amount",
        "close_date": "Close Date"}))  # fmt: skip
    as_of = date(2026, 3, 4)
    params = {"period_start": "2026-01-01", "period_end": "2026-04-01", "squad_id": "north"}
    trend = db.run(org, "squad_trend", **params, as_of=as_of)
    week = trend.filter(pl.col("week_start") == date(2026, 3, 2))
    assert float(week["credited_cum"][0]) == 1000.0
    assert float(trend["credited_cum"].max()) == 1000.0
    squad = db.run(org, "squad_attainment", period_start="2026-01-01",
                   period_end="2026-04-01", as_of=as_of).filter(pl.col("squad_id") == "north")  # fmt: skip
    assert float(squad["credited"][0]) == 1000.0
    fig = charts.squad_trend(trend, as_of, float(squad["forecast"][0]))
    credited = next(t for t in fig.data if t.name == "credited")
    assert max(credited.y) == 1000.0 and max(credited.x) <= as_of
    band = next(t for t in fig.data if t.name == "forecast band")
    assert band.y[1] >= band.y[0] == 1000.0
    # Without as_of (the old call) the week's point counted B, above the credited figure.
    old = db.run(org, "squad_trend", **params)
    assert float(old["credited_cum"].max()) == 6000.0


def test_the_band_never_slopes_down():
    trend = pl.DataFrame({
        "week_start": [date(2026, 3, 2), date(2026, 3, 9)],
        "credited_cum": [500.0, 500.0],
        "expected_cum": [10.0, 20.0],
        "quota": [100.0, 100.0],
        "last_day": [date(2026, 3, 8), date(2026, 3, 15)],
    })  # fmt: skip
    fig = charts.squad_trend(trend, date(2026, 3, 4), forecast=100.0)
    band = next(t for t in fig.data if t.name == "forecast band")
    assert list(band.y) == [500.0, 500.0]


@pytest.mark.parametrize(
    "text, reason",
    [
        ('{"kind": "deals", "lines": "yes"}', '"lines" must be true or false'),
        ('{"kind": "deals", "constants": {"stage": ["won"]}}', "constant for 'stage' must be text"),
        ('{"kind": "deals", "constants": ["stage"]}', '"constants" is a JSON object'),
        ('{"kind": "quotas", "unit": "k"}', '"unit" must be a number such as 1000'),
        ('{"kind": "quotas", "owner_is": "boss"}', "owner_is must be one of person, squad_manager"),
        ('{"kind": "deals", "owner_is": "squad_manager"}', '"owner_is" is for quota sheets'),
        ('{"kind": "quotas", "lines": true}', '"lines": true is for deal files'),
        ('{"kind": "deals", "date_order": "ymd"}', "date_order must be one of mdy, dmy"),
        (
            '{"kind": "deals", "header": false, "columns": {"source_id": "Id", "owner": "2", '
            '"stage": "3"}}',
            "name the column of 'source_id' by its position",
        ),  # fmt: skip
        (
            '{"kind": "deals", "columns": {"source_id": "1", "owner": "2", "stage": "3"}, '
            '"constants": {"stage": "Won"}}',
            "field 'stage' is both a column and a constant",
        ),  # fmt: skip
    ],
)
def test_a_wrong_mapping_says_what_to_fix(text, reason):
    with pytest.raises(ValueError, match=None) as caught:
        Mapping.from_json(text)
    assert reason in str(caught.value)


def test_a_headerless_workbook_is_refused_in_words(tmp_path):
    book = tmp_path / "dump.xlsx"
    pl.DataFrame({"D-1": ["D-2"], "Ann Lee": ["Bo Chen"], "Closed Won": ["Open"]}).write_excel(book)
    batch, _ = formats.load([("dump.xlsx", book.read_bytes())], mapping=_mapping("deals_dump.json"))
    assert [p.reason for p in batch.errors] == [
        '"header": false is for delimited text dumps (CSV, tab or pipe); give the workbook a '
        "header row"
    ]


def test_a_mapping_unit_replaces_the_unit_a_wide_utf16_sheet_gives_itself(roster_basic):
    # The sheet says "k" in its Unit column; a mapping that says 1,000,000 replaces it.
    wide = SHAPES.parent / "quota_wide_utf16.txt"
    batch, chosen = formats.load_paths([wide], con=roster_basic,
                                       mapping=Mapping("quotas", {}, unit=1_000_000))  # fmt: skip
    assert chosen == {"quota_wide_utf16.txt": "quota_sheet_wide"}
    ann = batch.frames["quotas"].filter(pl.col("owner_id") == "ann.lee").sort("period_start")
    assert ann["amount"].to_list()[:3] == [10e6, 10e6, 12e6]
    plain, _ = formats.load_paths([wide], con=roster_basic)
    ann = plain.frames["quotas"].filter(pl.col("owner_id") == "ann.lee").sort("period_start")
    assert ann["amount"].to_list()[:3] == [10e3, 10e3, 12e3]


@pytest.fixture
def roster_basic(con):
    files = sorted((SHAPES.parent / "roster").glob("*.csv"))
    batch, _ = formats.load_paths(files)
    ingest_apply.write(con, batch, actor="test")
    return con


def test_the_command_lists_200_problems_and_says_how_many(org, tmp_path, capsys):
    rows = "".join(f"E-{i},Ann Lee,Open,-1,150\n" for i in range(300))
    (tmp_path / "bad.csv").write_text("Id,Owner,Stage,Amount,Probability\n" + rows)
    (tmp_path / "m.json").write_text(
        '{"kind": "deals", "columns": {"source_id": "Id", "owner": "Owner", "stage": "Stage", '
        '"amount": "Amount", "probability": "Probability"}}'
    )
    path = tmp_path / "org.duckdb"
    db.connect(path).close()
    args = ["import", str(tmp_path / "bad.csv"), "--db", str(path), "--mapping"]
    assert cli.main([*args, str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "bad.csv: amount: showing 200 of 300 rows: must not be negative" in err
    assert "bad.csv: probability: showing 200 of 300 rows: must be between 0 and 100 %" in err
    assert "showing 202 of 402 problems" in err
    assert len([e for e in err if re.match(r"bad\.csv:\d+: ", e)]) == 200  # lines of rows


def test_a_full_mapping_does_not_change_a_recognised_file_in_the_same_import(org):
    # The order-lines mapping (columns, constant stage, source erp) is for order_lines.csv; the
    # Salesforce report beside it keeps its own stages and source.
    batch, chosen = _import(org, "order_lines.csv", "folder/opportunities.csv",
                            mapping="order_lines.json")  # fmt: skip
    assert chosen == {"order_lines.csv": "mapped", "opportunities.csv": "salesforce_report"}
    stages = org.execute(
        "select source, status, count(*) from deals group by all order by all"
    ).fetchall()
    assert stages == [("erp", "won", 5), ("salesforce", "lost", 1), ("salesforce", "open", 1),
                      ("salesforce", "won", 2)]  # fmt: skip
