"""Every CRM layout in tests/fixtures/ is recognised by its headers and lands as it should.

Expected rows are written out by hand from the fixture files (see make_fixtures.py).
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from squadboard.ingest import apply as ingest_apply
from squadboard.ingest import formats
from squadboard.ingest.mapping import Mapping

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _files(*names):
    return [(n, (FIXTURES / n).read_bytes()) for n in names]


def _import(con, names, **kw):
    batch, chosen = formats.load(_files(*names), **kw)
    ingest_apply.write(con, batch, actor="test", as_of=date(2026, 3, 31))
    return chosen, batch


@pytest.fixture
def roster(con):
    files = [(p.name, p.read_bytes()) for p in sorted((FIXTURES / "roster").glob("*.csv"))]
    batch, _ = formats.load(files)
    ingest_apply.write(con, batch, actor="test")
    return con


def _deals(con, source):
    return con.execute(
        "select source_id, owner_id, status, amount::double, probability, close_date::varchar "
        "from deals where source = ? order by source_id",
        [source],
    ).fetchall()


@pytest.mark.parametrize(
    "names, detected, source, expected",
    [
        (
            ["salesforce_report.csv"],
            ["salesforce_report"],
            "salesforce",
            [
                ("0065g00000AbCdEAAV", "ann.lee", "won", 12500.0, 1.0, "2026-01-15"),
                ("0065g00000AbCdFAAV", "bo.chen", "lost", 8000.0, 0.0, "2026-02-20"),
                ("0065g00000AbCdGAAV", "ann.lee", "open", 4250.5, 0.6, "2026-04-30"),
                ("0065g00000AbCdHAAV", "cy.diaz", "won", 20000.0, 1.0, "2026-03-31"),
            ],
        ),
        (
            ["salesforce_report.xlsx"],
            ["salesforce_report"],
            "salesforce",
            [
                ("0065g00000AbCdEAAV", "ann.lee", "won", 13000.0, 1.0, "2026-01-15"),
                ("0065g00000AbCdJAAV", "dee.evans", "won", 2500.0, 1.0, "2026-02-01"),
                ("0065g00000AbCdKAAV", "bo.chen", "open", 6000.0, 0.1, "2026-06-01"),
            ],
        ),
        (
            ["Opportunity.csv", "User.csv"],
            ["salesforce_data_loader", "salesforce_users"],
            "salesforce",
            [
                ("0065g00000XyZaAAAQ", "ann.lee", "won", 30000.0, 1.0, "2026-02-10"),
                ("0065g00000XyZaBAAQ", "bo.chen", "open", 15000.0, 0.9, "2026-06-15"),
                ("0065g00000XyZaCAAQ", "cy.diaz", "lost", 9000.0, 0.0, "2026-01-31"),
            ],
        ),
        (
            ["hubspot_deals.csv"],
            ["hubspot_deals"],
            "hubspot",
            [
                ("9876543201", "ann.lee", "won", 7500.0, 1.0, "2026-03-02"),
                ("9876543202", "bo.chen", "open", 2400.5, 0.9, "2026-05-20"),
                ("9876543203", "cy.diaz", "lost", 1200.0, 0.0, "2026-02-14"),
            ],
        ),
        (
            ["hubspot_deals_internal.csv", "hubspot_owners.csv"],
            ["hubspot_deals", "hubspot_owners"],
            "hubspot",
            [
                ("11223301", "ann.lee", "won", 5000.0, 1.0, "2026-03-20"),
                ("11223302", "bo.chen", "open", 3000.0, None, "2026-06-01"),
            ],
        ),
    ],
)
def test_deal_exports_are_detected_and_read(roster, names, detected, source, expected):
    chosen, _ = _import(roster, names)
    assert [chosen[n] for n in names] == detected
    assert _deals(roster, source) == expected


def test_reimporting_an_export_updates_instead_of_duplicating(roster):
    _import(roster, ["salesforce_report.csv"])
    _import(roster, ["salesforce_report.csv"])
    assert roster.execute("select count(*) from deals").fetchone()[0] == 4
    # The XLSX is a newer export of the same report: Globex grew from 12,500 to 13,000.
    _import(roster, ["salesforce_report.xlsx"])
    rows = roster.execute(
        "select amount::double from deals where source_id = '0065g00000AbCdEAAV'"
    ).fetchall()
    assert rows == [(13000.0,)]
    assert roster.execute("select count(*) from deals").fetchone()[0] == 6


def test_salesforce_splits_with_split_types_and_users(roster):
    _import(roster, ["Opportunity.csv", "User.csv"])
    chosen, _ = _import(roster, ["OpportunitySplitType.csv", "OpportunitySplit.csv", "User.csv"])
    assert chosen["OpportunitySplit.csv"] == "salesforce_splits"
    assert chosen["OpportunitySplitType.csv"] == "salesforce_split_types"
    _import(roster, ["opportunity_splits_report.csv"])
    rows = roster.execute(
        "select deal_id, rep_id, credit_type, percent::double from deal_credits order by all"
    ).fetchall()
    assert rows == [
        ("salesforce:0065g00000XyZaAAAQ", "ann.lee", "revenue", 70.0),
        ("salesforce:0065g00000XyZaAAAQ", "cy.diaz", "revenue", 30.0),
        ("salesforce:0065g00000XyZaAAAQ", "dee.evans", "overlay", 20.0),
        ("salesforce:0065g00000XyZaBAAQ", "ann.lee", "revenue", 50.0),
        ("salesforce:0065g00000XyZaBAAQ", "bo.chen", "revenue", 50.0),
        ("salesforce:0065g00000XyZaBAAQ", "dee.evans", "overlay", 15.0),
    ]
    # Revenue splits conserve the deal; the overlay never reaches a squad total.
    credited = roster.execute(
        "select squad_id, sum(amount)::double from credited_revenue group by 1 order by 1"
    ).fetchall()
    assert credited == [("north", 30000 * 0.7), ("south", 30000 * 0.3)]


def test_hubspot_splits_are_fractions_of_one(roster):
    _import(roster, ["hubspot_deals_internal.csv", "hubspot_owners.csv"])
    _import(roster, ["hubspot_deal_splits.csv", "hubspot_owners.csv"])
    rows = roster.execute(
        "select rep_id, credit_type, percent::double from deal_credits order by 1"
    ).fetchall()
    assert rows == [("ann.lee", "revenue", 75.0), ("bo.chen", "revenue", 25.0)]


def test_long_quota_sheet_in_thousands_for_squads_and_people(roster):
    chosen, _ = _import(roster, ["quota_long.csv"])
    assert chosen == {"quota_long.csv": "quota_sheet"}
    rows = roster.execute(
        "select kind, owner_id, period_start::varchar, period_end::varchar, amount::double "
        "from quotas order by all"
    ).fetchall()
    assert rows == [  # Bo Chen's '-' means no target
        ("rep_stretch", "ann.lee", "2026-01-01", "2026-04-01", 40000.0),
        ("squad_base", "north", "2026-01-01", "2026-04-01", 100000.0),
        ("squad_base", "south", "2026-01-01", "2026-04-01", 80000.0),
    ]


def test_wide_utf16_quota_sheet_skips_dash_null_and_blank_cells(roster):
    chosen, _ = _import(roster, ["quota_wide_utf16.txt"])
    assert chosen == {"quota_wide_utf16.txt": "quota_sheet_wide"}
    rows = roster.execute(
        "select owner_id, month(period_start), amount::double from quotas order by all"
    ).fetchall()
    ann = [(m, a) for o, m, a in rows if o == "ann.lee"]
    bo = [(m, a) for o, m, a in rows if o == "bo.chen"]
    assert ann == [(1, 10e3), (2, 10e3), (3, 12e3)] + [(m, 8e3) for m in range(8, 13)]
    assert bo == [(m, 5e3) for m in range(1, 12)] + [(12, 5.5e3)]


def test_unrecognised_file_imports_with_a_saved_mapping_and_decimal_commas(roster):
    mapping = Mapping.from_json((FIXTURES / "pipedrive_mapping.json").read_text())
    chosen, _ = _import(roster, ["pipedrive_deals.csv"], mapping=mapping)
    assert chosen == {"pipedrive_deals.csv": "mapped"}
    assert _deals(roster, "pipedrive") == [
        ("PD-1", "ann.lee", "won", 1234.5, 1.0, "2026-02-03"),
        ("PD-2", "bo.chen", "open", 10000.0, None, "2026-07-01"),
    ]
    assert Mapping.from_json(mapping.to_json()) == mapping


def test_locale_turns_on_decimal_commas(roster):
    text = b"Owner;Period;Quota\nNorth;2026-Q2;1.234,50\n"
    batch, _ = formats.load([("q.csv", text)], locale="de_DE")
    ingest_apply.write(roster, batch, actor="test")
    assert roster.execute("select amount::double from quotas").fetchall() == [(1234.5,)]


def test_people_resolve_by_id_email_and_name_in_any_case(roster):
    text = (
        b"Owner,Period,Quota\nANN.LEE,2026-Q3,1\n bo.chen@ACME.example ,2026-Q3,2\n"
        b"cy  diaz,2026-Q3,3\n"
    )
    batch, _ = formats.load([("q.csv", text)])
    ingest_apply.write(roster, batch, actor="test")
    rows = roster.execute("select owner_id, amount::double from quotas order by 1").fetchall()
    assert rows == [("ann.lee", 1.0), ("bo.chen", 2.0), ("cy.diaz", 3.0)]


def test_a_snapshot_of_open_deals_is_dated_as_of(roster):
    _import(roster, ["hubspot_deals.csv"])
    snap = roster.execute(
        "select snapshot_date::varchar, deal_id, amount::double from pipeline_snapshots"
    ).fetchall()
    assert snap == [("2026-03-31", "hubspot:9876543202", 2400.5)]


def test_dry_run_writes_nothing(roster):
    batch, _ = formats.load(_files("hubspot_deals.csv"))
    counts = ingest_apply.write(roster, batch, actor="test", dry_run=True)
    assert counts == {"deals": 3}
    assert roster.execute("select count(*) from deals").fetchone()[0] == 0
    assert Decimal(0) == roster.execute("select coalesce(sum(amount), 0) from deals").fetchone()[0]


def test_a_newer_split_export_replaces_the_deals_splits_whole(roster):
    _import(roster, ["hubspot_deals_internal.csv", "hubspot_owners.csv"])
    _import(roster, ["hubspot_deal_splits.csv", "hubspot_owners.csv"])
    newer = "Deal ID,hubspot_owner_id,hs_deal_split_percentage\n11223301,52001,0.75\n"
    newer += "11223301,cy.diaz,0.25\n"
    batch, _ = formats.load(_files("hubspot_owners.csv") + [("splits.csv", newer.encode())])
    ingest_apply.write(roster, batch, actor="test")
    rows = roster.execute("select rep_id, percent::double from deal_credits order by 1").fetchall()
    assert rows == [("ann.lee", 75.0), ("cy.diaz", 25.0)]
