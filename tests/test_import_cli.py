"""The import command with CRM files: named formats, --mapping, --locale, --dry-run."""

from pathlib import Path

import pytest

from squadboard import cli, db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def roster_db(tmp_path):
    path = tmp_path / "s.duckdb"
    assert cli.main(["import", str(FIXTURES / "roster"), "--db", str(path)]) == 0
    return path


def _deals(path):
    con = db.connect(path)
    try:
        return con.execute("select deal_id, amount::double from deals order by 1").fetchall()
    finally:
        con.close()


def test_mapping_file_imports_an_unknown_layout(roster_db, capsys):
    args = ["import", str(FIXTURES / "pipedrive_deals.csv"), "--db", str(roster_db)]
    assert cli.main(args) == 2
    assert "format not recognised" in capsys.readouterr().err
    assert cli.main([*args, "--mapping", str(FIXTURES / "pipedrive_mapping.json")]) == 0
    assert "pipedrive_deals.csv: mapped" in capsys.readouterr().err
    assert _deals(roster_db) == [("pipedrive:PD-1", 1234.5), ("pipedrive:PD-2", 10000.0)]


def test_a_broken_mapping_file_is_refused(roster_db, tmp_path, capsys):
    bad = tmp_path / "m.json"
    bad.write_text('{"kind": "deals", "columns": {}}')
    args = ["import", str(FIXTURES / "pipedrive_deals.csv"), "--db", str(roster_db)]
    assert cli.main([*args, "--mapping", str(bad)]) == 2
    assert "field 'source_id' is required" in capsys.readouterr().err


def test_locale_reads_decimal_commas(roster_db, tmp_path):
    sheet = tmp_path / "q.csv"
    sheet.write_text("Owner;Period;Quota\nSouth;2026-Q2;2.500,75\n")
    assert cli.main(["import", str(sheet), "--db", str(roster_db), "--locale", "fr_FR"]) == 0
    con = db.connect(roster_db)
    assert con.execute("select amount::double from quotas").fetchall() == [(2500.75,)]
    con.close()


@pytest.mark.parametrize(
    "fmt, code, message",
    [
        ("hubspot_deals", 0, "hubspot_deals.csv: hubspot_deals"),
        ("salesforce_report", 2, "Opportunity Name: column for name is missing: not a salesforce"),
        ("pipedrive", 2, "unknown format 'pipedrive'"),
    ],
)
def test_named_formats(roster_db, capsys, fmt, code, message):
    args = ["import", str(FIXTURES / "hubspot_deals.csv"), "--db", str(roster_db)]
    assert cli.main([*args, "--format", fmt, "--dry-run"]) == code
    captured = capsys.readouterr()
    assert message in captured.err + captured.out
    assert _deals(roster_db) == []
