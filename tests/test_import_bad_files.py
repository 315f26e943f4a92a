"""A corpus of bad files: each gets its clear error, and the database is identical after.

Rows name people of the demo organisation (priya.raman, tom.becker, ...), so a file is bad
only for the reason its case says.
"""

from pathlib import Path

import pytest

from squadboard.ingest import ImportFailed, formats, reader
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest.mapping import Mapping
from tests.conftest import assert_same_contents, table_contents

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HS = "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date,Deal probability\n"
SF = "Opportunity Owner,Opportunity Name,Stage,Amount,Close Date,Created Date,Opportunity ID\n"
SPLIT = "OpportunityId,SplitOwnerId,SplitPercentage,SplitTypeId\n"
HSPLIT = "Deal ID,hubspot_owner_id,hs_deal_split_percentage\n"
QUOTA = "Owner,Period,Quota\n"
WIDE = "Year,EmployeeID,Unit,M01,M02\n"
MAVEN = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
GOOD_DEAL = "501,Alpha,Closed Won,2026-11-02,priya.raman,1000,2026-10-01,1\n"
PD_MAPPING = Mapping(
    "deals", {"source_id": "Deal ID", "owner": "Owner", "stage": "Status"}, "pipedrive"
)


def _b(text: str) -> bytes:
    return text.encode()


CASES = [
    ("empty", [("deals.csv", b"")], "deals.csv: the file is empty"),
    ("blank lines only", [("deals.csv", b"\n \r\n\n")], "deals.csv: the file is empty"),
    ("binary", [("deals.csv", b"\x00\x01\x02\x03" * 64)], "binary file"),
    ("png named csv", [("deals.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 9)], "binary file"),
    (
        "truncated xlsx",
        [("report.xlsx", (FIXTURES / "salesforce_report.xlsx").read_bytes()[:700])],
        "report.xlsx: not a readable XLSX workbook",
    ),
    ("truncated csv", [("deals.csv", _b(HS + '501,"Alpha'))], "is the file cut off?"),
    (
        "utf-16 declared, utf-8 inside",
        [("deals.csv", b"\xff\xfe" + _b(HS + GOOD_DEAL + "x"))],
        "the file says UTF-16 but is not valid UTF-16",
    ),
    (
        "utf-8 bom, latin-1 inside",
        [("deals.csv", b"\xef\xbb\xbf" + _b(HS) + "502,Café,Closed Won".encode("latin-1"))],
        "deals.csv:2: the file says UTF-8 (BOM) but this line is not UTF-8",
    ),
    ("unknown header", [("deals.csv", b"foo,bar\n1,2\n")], "format not recognised"),
    (
        "mapped column missing",
        [("pd.csv", b"Deal ID,Status\nPD-1,won\n")],
        "pd.csv:1: Owner: column for owner is missing",
    ),
    (
        "duplicate ids",
        [("hs.csv", _b(HS + GOOD_DEAL + GOOD_DEAL))],
        "hs.csv:3: Record ID: duplicate deal id '501'",
    ),
    (
        "duplicate maven ids",
        [("p.csv", _b(MAVEN + "0A1,Priya Raman,GTX,Acme,Won,2017-01-01,2017-02-01,10\n" * 2))],
        "p.csv:3: opportunity_id: duplicate id",
    ),
    (
        "revenue splits 90 %",
        [("s.csv", _b(SPLIT + "demo:X,priya.raman,60,Revenue\ndemo:X,tom.becker,30,Revenue\n"))],
        "revenue splits of deal salesforce:demo:X total 90 %, not 100 %",
    ),
    (
        "revenue splits 110 %",
        [("s.csv", _b(SPLIT + "D1,priya.raman,60,Revenue\nD1,tom.becker,50,Revenue\n"))],
        "s.csv:2: percent: revenue splits of deal salesforce:D1 total 110 %, not 100 %",
    ),
    (
        "hubspot fractions 0.9",
        [("h.csv", _b(HSPLIT + "501,priya.raman,0.5\n501,tom.becker,0.4\n"))],
        "revenue splits of deal hubspot:501 total 90 %",
    ),
    (
        "overlay over 1000 %",
        [("s.csv", _b(SPLIT + "D1,priya.raman,600,Overlay\nD1,tom.becker,600,Overlay\n"))],
        "overlay splits of deal salesforce:D1 total 1200 %, over 1000 %",
    ),
    (
        "zero split",
        [("s.csv", _b(SPLIT + "D1,priya.raman,0,Overlay\n"))],
        "s.csv:2: percent: must be above 0 %",
    ),
    (
        "unknown split type id",
        [("s.csv", _b(SPLIT + "D1,priya.raman,100,1495g000000ZzzAAA\n"))],
        "s.csv:2: split_type: '1495g000000ZzzAAA' is neither revenue nor overlay",
    ),
    (
        "negative amount",
        [("hs.csv", _b(HS + "501,Alpha,Closed Won,2026-11-02,priya.raman,-5,2026-10-01,1\n"))],
        "hs.csv:2: amount: must not be negative",
    ),
    (
        "negative quota",
        [("q.csv", _b(QUOTA + "priya.raman,2026-Q4,-100\n"))],
        "q.csv:2: amount: must not be negative",
    ),
    (
        "impossible iso date",
        [("hs.csv", _b(HS + "501,Alpha,Closed Won,2026-02-30,priya.raman,5,2026-01-01,1\n"))],
        "hs.csv:2: close_date: '2026-02-30' is not a date",
    ),
    (
        "impossible us date",
        [
            (
                "sf.csv",
                _b(SF + "priya.raman,Alpha,Closed Won,5,13/45/2026,1/1/2026,0065g00000AbCdE\n"),
            )
        ],
        "sf.csv:2: close_date: '13/45/2026' is not a date",
    ),
    (
        "closed before created",
        [("hs.csv", _b(HS + "501,Alpha,Closed Won,2026-01-02,priya.raman,5,2026-03-01,1\n"))],
        "hs.csv:2: close_date: is before the created date",
    ),
    (
        "won without close date",
        [("hs.csv", _b(HS + "501,Alpha,Closed Won,,priya.raman,5,2026-03-01,1\n"))],
        "hs.csv:2: close_date: a won deal needs a close date",
    ),
    (
        "probability over 100 %",
        [
            (
                "sf.csv",
                _b(
                    SF.replace("Amount", "Amount,Probability (%)")
                    + "priya.raman,A,Prospecting,5,150,6/1/2026,1/1/2026,0065g00000AbCdE\n"
                ),
            )
        ],
        "sf.csv:2: probability: must be between 0 and 100 %",
    ),  # fmt: skip
    (
        "amount is not a number",
        [("hs.csv", _b(HS + "501,Alpha,Closed Won,2026-11-02,priya.raman,12 apples,,\n"))],
        "hs.csv:2: amount: '12 apples' is not an amount",
    ),
    (
        "unknown owner",
        [("hs.csv", _b(HS + "501,Alpha,Closed Won,2026-11-02,nobody@example.com,5,,\n"))],
        "hs.csv:2: owner_ref: unknown owner 'nobody@example.com'",
    ),
    (
        "owner name shared by two people",
        [
            ("reps.csv", b"rep_id,name\npriya.r2,Priya Raman\n"),
            ("hs.csv", _b(HS + "501,Alpha,Closed Won,2026-11-02,Priya Raman,5,,\n")),
        ],
        "'Priya Raman' matches several people (priya.r2, priya.raman)",
    ),
    (
        "unknown split owner",
        [("h.csv", _b(HSPLIT + "501,ghost,1.0\n"))],
        "h.csv:2: rep_ref: unknown split owner 'ghost'",
    ),
    (
        "splits of an unknown deal",
        [("h.csv", _b(HSPLIT + "999,priya.raman,1.0\n"))],
        "unknown deal 'hubspot:999'",
    ),
    (
        "hyperlink formula",
        [
            (
                "hs.csv",
                _b(
                    HS
                    + '501,"=HYPERLINK(""http://x"",""y"")",Closed Won,2026-11-02,priya.raman,5,,\n'
                ),
            )
        ],
        "hs.csv:2: name: looks like a spreadsheet formula",
    ),  # fmt: skip
    (
        "formula as owner",
        [("q.csv", _b(QUOTA + "@SUM(A1),2026-Q4,100\n"))],
        "q.csv:2: owner: looks like a spreadsheet formula",
    ),
    (
        "unknown quota owner",
        [("q.csv", _b(QUOTA + "Nobody Atall,2026-Q4,100\n"))],
        "q.csv:2: owner: unknown person 'Nobody Atall'",
    ),
    ("bad period", [("q.csv", _b(QUOTA + "priya.raman,2026-Q5,100\n"))], "q.csv:2: period:"),
    (
        "two quotas for one owner and period",
        [("q.csv", _b(QUOTA + "priya.raman,2026-Q4,1\nPriya.Raman,2026-Q4,2\n"))],
        "q.csv:3: owner: a second quota for 'Priya.Raman' in the same period",
    ),
    (
        "wide sheet without a year",
        [("w.csv", _b(WIDE + ",priya.raman,,1,2\n"))],
        "w.csv:2: Year: a year is required",
    ),
    (
        "wide sheet with an unknown unit",
        [("w.csv", _b(WIDE + "2026,priya.raman,bananas,1,2\n"))],
        "w.csv:2: Unit: 'bananas' is not a unit",
    ),
    (
        "maven stage",
        [("p.csv", _b(MAVEN + "0A1,Priya Raman,GTX,Acme,Negotiating,2017-01-01,,\n"))],
        "p.csv:2: deal_stage: 'Negotiating' is not one of Prospecting, Engaging, Won, Lost",
    ),
    (
        "one bad file among good ones",
        [
            ("hs.csv", _b(HS + GOOD_DEAL)),
            ("q.csv", _b(QUOTA + "priya.raman,2026-Q4,-1\n")),
        ],
        "q.csv:2: amount: must not be negative",
    ),
]


@pytest.mark.parametrize("files, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_file_is_refused_with_a_clear_error_and_nothing_changes(demo_con, files, expected):
    before = table_contents(demo_con)
    batch, _ = formats.load(files, mapping=PD_MAPPING if files[0][0] == "pd.csv" else None)
    with pytest.raises(ImportFailed) as failed:
        ingest_apply.write(demo_con, batch, actor="test")
    assert expected in str(failed.value)
    assert_same_contents(before, table_contents(demo_con))


def test_a_file_over_the_upload_limit_is_refused_before_it_is_parsed(demo_con):
    row = b"501,Alpha,Closed Won,2026-11-02,priya.raman,1000,2026-10-01,1\n"
    data = HS.encode() + row * (reader.MAX_BYTES // len(row) + 1)
    assert len(data) > reader.MAX_BYTES
    before = table_contents(demo_con)
    batch, _ = formats.load([("huge.csv", data)])
    with pytest.raises(ImportFailed, match=r"huge.csv: the file is over the 200 MB limit"):
        ingest_apply.write(demo_con, batch, actor="test")
    assert_same_contents(before, table_contents(demo_con))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{", "not valid JSON"),
        ("[]", 'a mapping is a JSON object with "kind" and "columns"'),
        ('{"kind": "deals", "columns": {"owner": "Owner"}}', "field 'source_id' is required"),
        ('{"kind": "tasks", "columns": {}}', "kind must be one of"),
        (
            '{"kind": "deals", "columns": {"source_id": "a", "owner": "b", "stage": "c"}, '
            '"colour": 1}',
            "unknown keys colour",
        ),  # fmt: skip
    ],
)
def test_bad_mapping_files_say_what_is_wrong(text, expected):
    with pytest.raises(ValueError, match=expected):
        Mapping.from_json(text)


def test_corpus_is_at_least_thirty_files():
    assert len(CASES) + 1 >= 30
