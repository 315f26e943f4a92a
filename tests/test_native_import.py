"""Native templates: each bad file gets its clear error and the database is untouched."""

from pathlib import Path

import pytest

from squadboard import db
from squadboard.ingest import ImportFailed, formats
from squadboard.ingest import apply as ingest_apply
from tests.conftest import assert_same_contents, table_contents

TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "templates"
DEALS_HEADER = "deal_id,name,account,product,owner_id,stage,status,amount,probability,created_date,close_date\n"


def _import(con, files, **kw):
    batch, _ = formats.load(files)
    return ingest_apply.write(con, batch, actor="test", **kw)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("binary.csv", b"\x00\x01\x02PK\x00" * 50, "binary file"),
        ("unknown.csv", b"foo,bar\n1,2\n", "format not recognised"),
        (
            "deals.csv",
            DEALS_HEADER.encode()
            + b"D1,x,a,p,priya.raman,Closed Won,won,-5,100,2026-01-01,2026-02-01\n",
            "deals.csv:2: amount: must not be negative",
        ),
        (
            "deals.csv",
            DEALS_HEADER.encode()
            + b"D1,x,a,p,priya.raman,,won,12 apples,100,2026-01-01,2026-02-01\n",
            "deals.csv:2: amount: '12 apples' is not an amount",
        ),
        (
            "deals.csv",
            DEALS_HEADER.encode() + b"D1,x,a,p,priya.raman,,won,5,100,2026-02-30,2026-03-01\n",
            "deals.csv:2: created_date: '2026-02-30' is not a date",
        ),
        (
            "deals.csv",
            DEALS_HEADER.encode() + b"D1,x,a,p,nobody.here,,won,5,100,2026-01-01,2026-02-01\n",
            "owner_id: unknown person 'nobody.here'",
        ),
        (
            "deals.csv",
            DEALS_HEADER.encode()
            + b"D1,x,a,p,priya.raman,,won,5,100,,\nD1,y,a,p,priya.raman,,won,5,100,,\n",
            "deals.csv:3: deal_id: duplicate deal_id",
        ),
        (
            "deals.csv",
            DEALS_HEADER.encode() + b'D1,"=HYPERLINK(""http://x"")",a,p,priya.raman,,won,5,100,,\n',
            "deals.csv:2: name: looks like a spreadsheet formula",
        ),
        ("deals.csv", b"deal_id,name\nD1,x\n", "format not recognised"),
        (
            "reps.csv",
            b"rep_id,name,role\nr9,Ray,wizard\n",
            "reps.csv:2: role: 'wizard' is not one of",
        ),
        (
            "credits.csv",
            b"deal_id,rep_id,credit_type,percent\ndemo:D00001,priya.raman,revenue,60\ndemo:D00001,tom.becker,revenue,30\n",
            "revenue splits of deal demo:D00001 total 90 %",
        ),
        (
            "credits.csv",
            b"deal_id,rep_id,credit_type,percent\ndemo:D00001,priya.raman,revenue,60\ndemo:D00001,tom.becker,revenue,50\n",
            "total 110 %",
        ),
        (
            "kudos.csv",
            b"from_rep_id,to_rep_id,category,given_at\nana.souza,ana.souza,mentoring,2026-11-01 10:00\n",
            "kudos.csv:2: to_rep_id: no kudos to yourself",
        ),
        (
            "quotas.csv",
            b"kind,owner_id,period,amount\nsquad_base,falcons,2026-Q5,1000\n",
            "quotas.csv:2: period: not a period",
        ),
        (
            "quotas.csv",
            b"kind,owner_id,period,amount\nsquad_base,pelicans,2026-Q4,1000\n",
            "unknown squad 'pelicans'",
        ),
        (
            "memberships.csv",
            b"rep_id,squad_id,valid_from,valid_to\ntom.becker,lynx,2026-11-01,2026-10-01\n",
            "memberships.csv:2: valid_to: must be after valid_from",
        ),
        ("reps.csv", b"rep_id,name\nr1,\n", "reps.csv:2: name: is required but empty"),
    ],
)
def test_bad_native_files_are_refused_whole(demo_con, name, content, expected):
    before = table_contents(demo_con)
    with pytest.raises(ImportFailed) as failed:
        _import(demo_con, [(name, content)])
    assert expected in str(failed.value)
    assert_same_contents(before, table_contents(demo_con))


def test_one_bad_file_among_good_ones_refuses_them_all(demo_con):
    before = table_contents(demo_con)
    files = [(p.name, p.read_bytes()) for p in sorted(TEMPLATES.glob("*.csv"))]
    files.append(
        (
            "kudos_bad.csv",
            b"from_rep_id,to_rep_id,category,given_at\nkim.lee,kim.lee,mentoring,2026-11-01\n",
        )
    )
    with pytest.raises(ImportFailed):
        _import(demo_con, files)
    assert_same_contents(before, table_contents(demo_con))


@pytest.mark.parametrize(
    "encoding, newline, sep",
    [
        ("utf-8", "\n", ","),
        ("utf-8-sig", "\r\n", ";"),
        ("utf-16", "\r\n", "\t"),
        ("utf-8", "\n", "|"),
    ],
)
def test_encodings_line_endings_and_delimiters(con, encoding, newline, sep):
    text = (
        newline.join(
            [
                f"rep_id{sep}name{sep}hire_date",
                f"r1{sep}Ann Lee{sep}3/7/2024",
                f"r2{sep}Bo{sep}2024-03-08",
            ]
        )
        + newline
    )
    _import(con, [("people.csv", text.encode(encoding))])
    rows = con.execute("select rep_id, name, hire_date::varchar from reps order by 1").fetchall()
    assert rows == [("r1", "Ann Lee", "2024-03-07"), ("r2", "Bo", "2024-03-08")]


def test_line_numbers_stay_true_with_blank_lines_and_quoted_line_breaks(con):
    text = 'rep_id,name,hire_date\nr1,"Ann\nLee",2024-01-01\n\nr2,Bo,not-a-date\n'
    with pytest.raises(ImportFailed, match=r"people.csv:5: hire_date"):
        _import(con, [("people.csv", text.encode())])


def test_every_import_takes_a_snapshot_of_the_open_pipeline(demo_con):
    from datetime import date

    _import(demo_con, [("reps.csv", b"rep_id,name\nnew.rep,New Rep\n")], as_of=date(2026, 11, 24))
    open_deals = demo_con.execute("select count(*) from deals where status = 'open'").fetchone()[0]
    snap = demo_con.execute(
        "select count(*) from pipeline_snapshots where snapshot_date = '2026-11-24'"
    ).fetchone()[0]
    assert snap == open_deals > 0
    audit = db.run(demo_con, "import_history")
    assert audit["actor"][0] == "test"
