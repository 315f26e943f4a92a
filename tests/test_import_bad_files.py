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


# Files that were accepted and stored wrong, or crashed the importer (issue 12) ----------------

NATIVE_DEALS = "deal_id,name,owner_id,status,amount,close_date\n"
MEMBERS = "rep_id,squad_id,valid_from,valid_to\n"
CREDITS = "deal_id,rep_id,credit_type,percent\n"
HS_SEMI = HS.replace(",", ";")


def _hs(amount: str, sep: str = ",") -> str:
    return f"501{sep}Alpha{sep}Closed Won{sep}2026-11-02{sep}priya.raman{sep}{amount}{sep}{sep}\n"


def _xlsx(rows: list[list], formulas: dict[str, tuple[str, object]]) -> bytes:
    """A workbook as a program (not a spreadsheet) writes it: formulas with a given saved value
    ('' for none); xlsxwriter marks the workbook to be recalculated on opening."""
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for i, row in enumerate(rows):
        sheet.write_row(i, 0, row)
    for cell, (formula, value) in formulas.items():
        sheet.write_formula(cell, formula, None, value)
    book.close()
    return out.getvalue()


def _no_recalc(data: bytes) -> bytes:
    """The same workbook as if a spreadsheet had saved it: no 'recalculate on opening' flag."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                body = body.replace(b' fullCalcOnLoad="1"', b"")
            dst.writestr(item, body)
    return out.getvalue()


XLSX_HEAD = ["Record ID", "Deal Name", "Deal Stage", "Deal owner", "Amount"]
MORE = [
    # Decimal commas and points: decided per column, refused when mixed or undecidable.
    (
        "decimal comma and point in one column",
        [("hs.csv", _b(HS + _hs('"1,234.50"') + _hs('"1.234,50"').replace("501", "502")))],
        "hs.csv:3: amount: '1.234,50' is written with a decimal comma, but '1,234.50' on line 2",
        {},
    ),
    (
        "thousands or decimals: 1,500",
        [("hs.csv", _b(HS + _hs('"1,500"') + _hs('"2,000"').replace("501", "502")))],
        "hs.csv:2: amount: '1,500' could be 1,500 or 1.5 and no amount in the column tells which",
        {},
    ),
    (
        "thousands or decimals: maven 1.234",
        [("p.csv", _b(MAVEN + "0A1,Priya Raman,GTX,Acme,Won,2017-01-01,2017-02-01,1.234\n"))],
        "p.csv:2: close_value: '1.234' could be 1.234 or 1,234",
        {},
    ),
    (
        "thousands or decimals: quota 2,500",
        [("q.csv", _b('Owner,Period,Quota\npriya.raman,2026-Q4,"2,500"\n'))],
        "q.csv:2: amount: '2,500' could be 2,500 or 2.5",
        {},
    ),
    (
        "semicolon export mixing formats",
        [
            (
                "hs.csv",
                _b(HS_SEMI + _hs("1500,00", ";") + _hs("1,234.50", ";").replace("501", "502")),
            )
        ],
        "hs.csv:3: amount: '1,234.50' is written with a decimal point, but '1500,00' on line 2",
        {},
    ),
    (
        "points under --locale de",
        [("hs.csv", _b(HS + _hs('"1,234.50"')))],
        "hs.csv:2: amount: '1,234.50' is not an amount",
        {"locale": "de"},
    ),
    # Numbers that do not fit: refused before the import is called valid.
    (
        "amount 1e16",
        [("hs.csv", _b(HS + _hs("1e16")))],
        "hs.csv:2: amount: '1e16' is too large",
        {},
    ),
    (
        "amount 1e308",
        [("hs.csv", _b(HS + _hs("1e308")))],
        "hs.csv:2: amount: '1e308' is too large",
        {},
    ),
    (
        "amount NaN",
        [("hs.csv", _b(HS + _hs("NaN")))],
        "hs.csv:2: amount: 'NaN' is not an amount",
        {},
    ),
    (
        "amount inf",
        [("hs.csv", _b(HS + _hs("inf")))],
        "hs.csv:2: amount: 'inf' is not an amount",
        {},
    ),
    ("amount 1e400", [("hs.csv", _b(HS + _hs("1e400")))], "'1e400' is not a finite amount", {}),
    (
        "quota 1e20",
        [("q.csv", _b(QUOTA + "priya.raman,2026-Q4,1e20\n"))],
        "q.csv:2: amount: '1e20' is too large",
        {},
    ),
    (
        "wide quota sheet 1e20",
        [("w.csv", _b(WIDE + "2026,priya.raman,,1e20,2\n"))],
        "w.csv:2: M01: '1e20' is too large",
        {},
    ),
    (
        "wide quota sheet in thousands over the limit",
        [("w.csv", _b(WIDE + "2026,priya.raman,k,20000000000000,2\n"))],
        "w.csv:2: amount: '2e+16' is too large",
        {},
    ),
    (
        "native deal 1e17",
        [("deals.csv", _b(NATIVE_DEALS + "X1,A,priya.raman,won,1e17,2026-11-02\n"))],
        "deals.csv:2: amount: '1e17' is too large",
        {},
    ),
    (
        "mapping unit NaN",
        [("pd.csv", b"Deal ID,Owner,Status,Value\nPD-1,priya.raman,open,10\n")],
        "pd.csv:2: amount: 'nan' is not a finite amount",
        {
            "mapping": Mapping(
                "deals", {**PD_MAPPING.columns, "amount": "Value"}, "pipedrive", unit=float("nan")
            )
        },
    ),  # fmt: skip
    (
        "mapping unit Infinity",
        [("pd.csv", b"Deal ID,Owner,Status,Value\nPD-1,priya.raman,open,10\n")],
        "pd.csv:2: amount: 'inf' is not a finite amount",
        {
            "mapping": Mapping(
                "deals", {**PD_MAPPING.columns, "amount": "Value"}, "pipedrive", unit=float("inf")
            )
        },
    ),  # fmt: skip
    (
        "mapping unit making amounts too large",
        [("pd.csv", b"Deal ID,Owner,Status,Value\nPD-1,priya.raman,open,100000\n")],
        "pd.csv:2: amount: '1e+17' is too large",
        {
            "mapping": Mapping(
                "deals", {**PD_MAPPING.columns, "amount": "Value"}, "pipedrive", unit=1e12
            )
        },
    ),  # fmt: skip
    (
        "native split percent NaN",
        [("credits.csv", _b(CREDITS + "demo:D00001,priya.raman,overlay,NaN\n"))],
        "credits.csv:2: percent:",
        {},
    ),
    (
        "native probability inf",
        [("deals.csv", _b("deal_id,owner_id,status,probability\nX1,priya.raman,open,inf\n"))],
        "deals.csv:2: probability: must be between 0 and 100",
        {},
    ),
    # Headers.
    (
        "the same header twice",
        [("hs.csv", _b(HS.replace("Amount", "Amount,Amount") + _hs("5,6")))],
        "hs.csv:1: Amount: the same header as column 6 ('Amount')",
        {},
    ),
    (
        "headers differing by case",
        [("deals.csv", _b("deal_id,owner_id,status,amount,Amount\nX1,priya.raman,won,1,2\n"))],
        "deals.csv:1: Amount: the same header as column 4 ('amount')",
        {},
    ),
    (
        "headers differing by a space",
        [("deals.csv", _b("deal_id,owner_id,status,amount, amount\nX1,priya.raman,won,1,2\n"))],
        "deals.csv:1: amount: the same header as column 4 ('amount')",
        {},
    ),
    (
        "maven close_value and Close_Value",
        [
            (
                "p.csv",
                _b(
                    MAVEN.replace("\n", ",Close_Value\n")
                    + "0A1,Priya Raman,GTX,Acme,Won,2017-01-01,2017-02-01,10,20\n"
                ),
            )
        ],
        "p.csv:1: Close_Value: the same header as column 8 ('close_value')",
        {},
    ),  # fmt: skip
    (
        "xlsx with the same header twice",
        [
            (
                "r.xlsx",
                _xlsx([XLSX_HEAD + ["amount"], [501, "A", "Closed Won", "priya.raman", 5, 6]], {}),
            )
        ],
        "r.xlsx:1: amount: the same header as column 5 ('Amount')",
        {},
    ),  # fmt: skip
    (
        "1,001 columns",
        [("wide.csv", _b(",".join(f"c{i}" for i in range(1001)) + "\n" + "1," * 1000 + "1\n"))],
        "wide.csv:1: the header has 1,001 columns, more than the 1,000 a file may have",
        {},
    ),
    (
        "xlsx with 1,001 columns",
        [("wide.xlsx", _xlsx([[f"c{i}" for i in range(1001)], list(range(1001))], {}))],
        "wide.xlsx: the sheet has 1,001 columns",
        {},
    ),
    # Encodings.
    (
        "utf-8 then latin-1 rows",
        [
            (
                "hs.csv",
                _b(HS)
                + "501,José,Closed Won,2026-11-02,priya.raman,5,,\n".encode()
                + "502,Zoë,Closed Won,2026-11-02,priya.raman,5,,\n".encode("latin-1"),
            )
        ],
        "hs.csv:3: this line is not UTF-8, but line 2 is: the file mixes two encodings",
        {},
    ),  # fmt: skip
    (
        "latin-1 then utf-8 rows",
        [
            (
                "hs.csv",
                _b(HS)
                + "501,Zoë,Closed Won,2026-11-02,priya.raman,5,,\n".encode("latin-1")
                + "502,José,Closed Won,2026-11-02,priya.raman,5,,\n".encode(),
            )
        ],
        "hs.csv:3: this line is UTF-8, but line 2 is in another encoding",
        {},
    ),  # fmt: skip
    # NUL bytes and oversized cells.
    (
        "NUL in a name",
        [("hs.csv", _b(HS + "501,Al\x00pha,Closed Won,2026-11-02,priya.raman,5,,\n"))],
        "hs.csv:2: Deal Name: contains a NUL byte",
        {},
    ),
    (
        "NUL in an id",
        [("reps.csv", b"rep_id,name\nnew.rep\x00,New Rep\n")],
        "reps.csv:2: rep_id: contains a NUL byte",
        {},
    ),
    (
        "NUL in an id far down the file",
        [
            (
                "deals.csv",
                _b(
                    NATIVE_DEALS
                    + "".join(f"X{i},A,priya.raman,open,1,\n" for i in range(300))
                    + "Y\x00,A,priya.raman,open,1,\n"
                ),
            )
        ],
        "deals.csv:302: deal_id: contains a NUL byte",
        {},
    ),  # fmt: skip
    (
        "a cell of 40,000 characters",
        [("hs.csv", _b(HS + "501," + "x" * 40_000 + ",Closed Won,2026-11-02,priya.raman,5,,\n"))],
        "hs.csv:2: Deal Name: a cell of 40,000 characters, over the 32,767",
        {},
    ),
    # Formulas with no value a spreadsheet saved.
    (
        "xlsx formula with no saved value",
        [
            (
                "r.xlsx",
                _no_recalc(
                    _xlsx(
                        [XLSX_HEAD, [501, "A", "Closed Won", "priya.raman"]], {"E2": ("=100*2", "")}
                    )
                ),
            )
        ],
        "r.xlsx:2: Amount: cell E2 is a formula with no saved value: open and save the file in Excel",
        {},
    ),  # fmt: skip
    (
        "xlsx formula with a placeholder value",
        [
            (
                "r.xlsx",
                _xlsx([XLSX_HEAD, [501, "A", "Closed Won", "priya.raman"]], {"E2": ("=100*2", 0)}),
            )
        ],
        "r.xlsx:2: Amount: cell E2 is a formula whose saved value is a placeholder",
        {},
    ),  # fmt: skip
    # A rep in two squads at once.
    (
        "overlapping memberships in one file",
        [
            (
                "m.csv",
                _b(MEMBERS + "priya.raman,falcons,2024-10-01,\npriya.raman,orcas,2026-10-01,\n"),
            )
        ],
        "m.csv:3: valid_from: priya.raman would be in orcas (2026-10-01 on) and in falcons "
        "(2024-10-01 on), m.csv:2, at the same time",
        {},
    ),  # fmt: skip
    (
        "membership overlapping a stored one",
        [("m.csv", _b(MEMBERS + "priya.raman,orcas,2026-10-01,\n"))],
        "m.csv:2: valid_from: priya.raman would be in orcas (2026-10-01 on) and in falcons "
        "(2024-10-01 on), stored, at the same time: to close the stored one, add the row "
        "priya.raman,falcons,2024-10-01,2026-10-01",
        {},
    ),
    (
        "overlapping memberships in two files",
        [
            ("m1.csv", _b(MEMBERS + "priya.raman,falcons,2024-10-01,2026-12-01\n")),
            ("m2.csv", _b(MEMBERS + "priya.raman,orcas,2026-11-01,\n")),
        ],
        "priya.raman would be in orcas (2026-11-01 on) and in falcons (2024-10-01 to 2026-12-01)",
        {},
    ),
    # Splits outside the one tolerance (0.01 percentage points) of every format.
    (
        "crm splits 99.98 %",
        [("s.csv", _b(SPLIT + "D1,priya.raman,60,Revenue\nD1,tom.becker,39.98,Revenue\n"))],
        "s.csv:2: percent: revenue splits of deal salesforce:D1 total 99.98 %, not 100 %",
        {},
    ),
    (
        "native splits 100.02 %",
        [
            (
                "credits.csv",
                _b(
                    CREDITS + "demo:D00001,priya.raman,revenue,60.02\n"
                    "demo:D00001,tom.becker,revenue,40\n"
                ),
            )
        ],
        "credits.csv:2: percent: revenue splits of deal demo:D00001 total 100.02 %, not 100 %",
        {},
    ),  # fmt: skip
]


@pytest.mark.parametrize(
    "files, expected, options", [c[1:] for c in MORE], ids=[c[0] for c in MORE]
)
def test_a_file_once_stored_wrong_is_refused_and_nothing_changes(
    demo_con, files, expected, options
):
    before = table_contents(demo_con)
    batch, _ = formats.load(files, **options)
    with pytest.raises(ImportFailed) as failed:
        ingest_apply.write(demo_con, batch, actor="test")
    assert expected in str(failed.value)
    assert_same_contents(before, table_contents(demo_con))


def test_corpus_is_at_least_seventy_files():
    # CASES, MORE and the file over the upload limit (tests/test_import_safety.py adds a
    # million-column file and a 3 GB one)
    assert len(CASES) + len(MORE) + 1 >= 70
