"""Nothing silently wrong on import (issue 12): files read right, or refused the same way on the
command line (exit 2, `file:line: column: reason`) and on the Import page (no traceback), with
every table unchanged. The corpus of refused files is tests/test_import_bad_files.py."""

from __future__ import annotations

import time
from datetime import date

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squadboard import cli, db, facts, store
from squadboard.ingest import ImportFailed, formats, reader
from squadboard.ingest import apply as ingest_apply
from tests.conftest import TODAY, assert_same_contents, table_contents
from tests.test_import_bad_files import HS, MAVEN, MORE
from tests.test_import_page import _leader_on_imports

LOGS = ["import_log", "import_undo", "audit_log", "meta", "pipeline_snapshots"]


def _load_and_write(con, files, **kw):
    batch, _ = formats.load(files, **kw)
    ingest_apply.write(con, batch, actor="test", as_of=TODAY)
    return batch


# Number formats read right -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, amounts, found",
    [
        (
            "hubspot.csv",
            HS.replace(",", ";")
            + "601;A;Closed Won;2026-11-02;priya.raman;1500,00;;\n"
            + "602;B;Closed Won;2026-11-02;priya.raman;1.234,50;;\n"
            + '603;C;Closed Won;2026-11-02;priya.raman;"1,5";;\n',
            [("hubspot:601", 1500.0), ("hubspot:602", 1234.5), ("hubspot:603", 1.5)],
            "hubspot.csv: amount: amounts read as written 1.234,50 (decimal comma)",
        ),
        (
            "sales_pipeline.csv",
            MAVEN + '0Z1,Priya Raman,GTX Pro,Acme,Won,2026-10-01,2026-11-02,"1,5"\n'
            "0Z2,Priya Raman,GTX Pro,Acme,Won,2026-10-01,2026-11-02,1500\n",
            [("maven:0Z1", 1.5), ("maven:0Z2", 1500.0)],
            "sales_pipeline.csv: close_value: amounts read as written 1.234,50 (decimal comma)",
        ),
        (
            "hubspot.csv",
            HS + '601,A,Closed Won,2026-11-02,priya.raman,"$1,234.50",,\n'
            '602,B,Closed Won,2026-11-02,priya.raman,"1,500",,\n',
            [("hubspot:601", 1234.5), ("hubspot:602", 1500.0)],
            "hubspot.csv: amount: amounts read as written 1,234.50 (decimal point)",
        ),
    ],
    ids=["hubspot decimal comma", "maven decimal comma", "us amounts"],
)
def test_a_columns_number_format_is_found_from_all_its_values_and_said(
    demo_con, name, text, amounts, found
):
    batch = _load_and_write(demo_con, [(name, text.encode())])
    assert any(str(n).startswith(found) for n in batch.notes), batch.notes
    ids = [a[0] for a in amounts]
    stored = demo_con.execute(
        "select deal_id, amount::double from deals where deal_id in ? order by 1", [ids]
    ).fetchall()
    assert stored == amounts


def test_the_locale_settles_an_ambiguous_column(demo_con):
    text = HS + '601,A,Closed Won,2026-11-02,priya.raman,"1,500",,\n'
    with pytest.raises(ImportFailed, match="could be 1,500 or 1.5"):
        _load_and_write(demo_con, [("h.csv", text.encode())])
    _load_and_write(demo_con, [("h.csv", text.encode())], locale="de")
    amount = "select amount::double from deals where deal_id = 'hubspot:601'"
    assert demo_con.execute(amount).fetchone() == (1.5,)
    _load_and_write(demo_con, [("h.csv", text.encode())], locale="en_US")
    assert demo_con.execute(amount).fetchone() == (1500.0,)


# Splits: one tolerance, credits adding up to the deal ------------------------------------------


@pytest.mark.parametrize("second", ["39.995", "40.005"])
def test_splits_within_the_tolerance_share_out_the_whole_amount(demo_con, second):
    deal = "deal_id,name,owner_id,status,amount,close_date\nT1,T,priya.raman,won,1000,2026-11-02\n"
    credits = f"deal_id,rep_id,credit_type,percent\nT1,priya.raman,revenue,60\nT1,tom.becker,revenue,{second}\n"
    _load_and_write(demo_con, [("deals.csv", deal.encode()), ("credits.csv", credits.encode())])
    total = demo_con.execute(
        "select sum(amount)::double, count(*) from credited_revenue where deal_id = 'T1'"
    ).fetchone()
    assert total == (1000.0, 2)


def test_the_same_split_is_judged_alike_in_every_format(demo_con):
    native = "deal_id,rep_id,credit_type,percent\ndemo:D00001,priya.raman,revenue,99.98\n"
    crm = "OpportunityId,SplitOwnerId,SplitPercentage,SplitTypeId\nD1,priya.raman,99.98,Revenue\n"
    for name, text in (("credits.csv", native), ("s.csv", crm)):
        batch, _ = formats.load([(name, text.encode())])
        assert any("total 99.98 %, not 100 %" in str(p) for p in batch.errors), name
    for name, text in (("credits.csv", native), ("s.csv", crm)):
        batch, _ = formats.load([(name, text.replace("99.98", "99.995").encode())])
        assert not any("not 100 %" in str(p) for p in batch.errors), name


# A no-op re-import writes nothing ------------------------------------------------------------


def test_re_importing_an_unchanged_file_writes_and_reports_nothing(demo_copy, tmp_path, capsys):
    deals = tmp_path / "deals.csv"
    deals.write_text(
        HS + "".join(f"{700 + i},D{i},Appointment Scheduled,2026-12-0{i % 9 + 1},priya.raman,"
                     f"{100 * i},2026-10-01,0.2\n" for i in range(40))
    )  # fmt: skip
    args = ["import", str(deals), "--db", str(demo_copy), "--as-of", TODAY.isoformat()]
    assert cli.main(args) == 0
    assert "new or changed: 40 deals" in capsys.readouterr().out
    con = db.connect(demo_copy)
    before = table_contents(con)
    logs = {t: con.execute(f"select * from {t} order by all").fetchall() for t in LOGS}
    con.close()
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert (
        "nothing changed: 40 deals from 40 rows are stored as they are; nothing was written" in out
    )
    con = db.connect(demo_copy)
    assert_same_contents(before, table_contents(con))
    for table, rows in logs.items():
        assert con.execute(f"select * from {table} order by all").fetchall() == rows, table
    con.close()


def test_an_import_keeps_for_undo_only_the_snapshot_rows_it_changed(demo_con):
    text = HS + "801,One,Appointment Scheduled,2026-12-01,priya.raman,100,2026-10-01,0.2\n"
    first = _load_and_write(demo_con, [("h.csv", text.encode())])
    second = _load_and_write(demo_con, [("h.csv", text.replace(",100,", ",150,").encode())])
    kept = demo_con.execute(
        "select import_id, change, count(*) from import_undo where table_name = 'pipeline_snapshots' "
        "group by all order by all"
    ).fetchall()
    open_deals = demo_con.execute("select count(*) from deals where status = 'open'").fetchone()[0]
    assert open_deals > 20
    # The demo has a snapshot of the day already: the first import adds its one new open deal,
    # the second changes it: one before-image and one key each, never the whole day.
    assert kept == [
        (first.import_id, "added", 1),
        (second.import_id, "added", 1),
        (second.import_id, "before", 1),
    ]
    before_second = demo_con.execute(
        "select amount::double from pipeline_snapshots where deal_id = 'hubspot:801'"
    ).fetchall()
    assert before_second == [(150.0,)]
    from squadboard.ingest import undo

    undo.undo(demo_con, second.import_id, "test")
    assert demo_con.execute(
        "select amount::double from pipeline_snapshots where deal_id = 'hubspot:801'"
    ).fetchall() == [(100.0,)]
    assert demo_con.execute(
        "select count(*) from pipeline_snapshots where snapshot_date = ?", [TODAY]
    ).fetchone() == (open_deals,)


# Resource limits -----------------------------------------------------------------------------


def test_a_million_columns_are_refused_within_a_second(demo_con):
    data = (",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1," * 999_999 + "1\n").encode()
    assert len(data) > 7_000_000
    started = time.perf_counter()
    batch, _ = formats.load([("wide.csv", data)])
    assert time.perf_counter() - started < 1.0
    assert [str(p) for p in batch.errors] == [
        "wide.csv:1: the header has 1,000,000 columns, more than the 1,000 a file may have: "
        "is this the right file?"
    ]


def test_the_cli_refuses_a_huge_file_by_its_size_before_reading_it(demo_copy, tmp_path, capsys):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:
        f.write(HS.encode())
        f.truncate(3 * 2**30)  # 3 GB, sparse: reading it would take seconds and gigabytes
    started = time.perf_counter()
    assert cli.main(["import", str(huge), "--db", str(demo_copy)]) == 2
    assert time.perf_counter() - started < 5
    err = capsys.readouterr().err
    assert "huge.csv: the file is over the 200 MB limit; split it" in err
    assert reader.too_big("x", reader.MAX_BYTES) is None


# The command line: exit 2, file:line: column: reason, nothing written ------------------------


CLI_CASES = [
    "decimal comma and point in one column",
    "thousands or decimals: 1,500",
    "amount 1e16",
    "amount NaN",
    "quota 1e20",
    "headers differing by case",
    "maven close_value and Close_Value",
    "utf-8 then latin-1 rows",
    "NUL in a name",
    "xlsx formula with no saved value",
    "membership overlapping a stored one",
    "crm splits 99.98 %",
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_the_cli_refuses_each_with_exit_2_and_the_reason(demo_copy, tmp_path, capsys, case):
    files, expected, options = next(c[1:] for c in MORE if c[0] == case)
    for name, data in files:
        (tmp_path / name).write_bytes(data)
    con = db.connect(demo_copy)
    before = table_contents(con)
    con.close()
    args = ["import", *(str(tmp_path / n) for n, _ in files), "--db", str(demo_copy)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err and "nothing was written" in err
    con = db.connect(demo_copy)
    assert_same_contents(before, table_contents(con))
    con.close()


# A database from a newer Squadboard ----------------------------------------------------------


def _from_the_future(path):
    con = store.connect_lake(path) if store.is_lake_target(path) else duckdb.connect(str(path))
    con.execute(
        "update meta set value = ? where key = 'schema_version'", [str(db.SCHEMA_VERSION + 1)]
    )
    con.close()


def test_a_newer_database_is_named_not_a_traceback(demo_copy, tmp_path, capsys):
    _from_the_future(demo_copy)
    with pytest.raises(db.NewerDatabase, match="this database is from a newer version"):
        db.connect(demo_copy)
    sheet = tmp_path / "q.csv"
    sheet.write_text("Owner,Period,Quota\npriya.raman,2026-Q4,100\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["import", str(sheet), "--db", str(demo_copy)])
    assert "this database is from a newer version of Squadboard" in str(exit_.value.code)
    assert "upgrade Squadboard" in str(exit_.value.code)


def test_the_app_says_the_database_is_newer(app_env):
    _from_the_future(app_env)
    from tests.test_pages import open_app

    at = open_app()
    assert not at.exception
    assert any("this database is from a newer version of Squadboard" in e.value for e in at.error)


# The Import page: the same reasons, never a traceback, never "Valid" -------------------------


PAGE_CASES = [
    "thousands or decimals: 1,500",
    "amount 1e16",
    "amount inf",
    "quota 1e20",
    "headers differing by a space",
    "NUL in a name",
    "xlsx formula with no saved value",
    "overlapping memberships in one file",
]


def test_the_import_page_shows_the_same_reasons_and_never_says_valid(app_env):
    for case in PAGE_CASES:
        files, expected, _ = next(c[1:] for c in MORE if c[0] == case)
        ((name, data),) = files
        at = _leader_on_imports()
        at.get("file_uploader")[0].upload(name, data, "text/csv").run()
        assert not at.exception, case
        assert not any("Valid" in s.value for s in at.success), case
        shown = [
            str(formats.Problem(r["file"], r["line"], r["column"], r["reason"]))
            for r in at.dataframe[0].value.replace({float("nan"): None}).to_dict("records")
        ]
        assert any(expected in p for p in shown), (case, shown)
        assert all(b.key != "commit" for b in at.button), case


def test_the_import_page_reads_each_upload_once_per_rerun(app_env, monkeypatch):
    calls = []
    real = formats.read_bytes

    def counting(name, data):
        calls.append(name)
        return real(name, data)

    monkeypatch.setattr(formats, "read_bytes", counting)
    at = _leader_on_imports()
    text = HS + "901,Once,Closed Won,2026-11-02,priya.raman,10,2026-10-01,1\n"
    at.get("file_uploader")[0].upload("deals.csv", text.encode(), "text/csv").run()
    assert not at.exception
    assert calls == ["deals.csv"]


# Squad totals add up to the organisation's credited revenue (property) -----------------------

REPS = ["r1", "r2", "r3"]
SQUADS = ["s1", "s2"]
DAYS = [date(2026, 1, 1), date(2026, 3, 1), date(2026, 5, 1), date(2026, 7, 1), date(2026, 9, 1)]
DEALS = [(f"d{i}", REPS[i % 3], date(2026, 1 + i % 10, 10), 100 + 37 * i) for i in range(12)]


@pytest.fixture(scope="module")
def small_org(tmp_path_factory):
    path = tmp_path_factory.mktemp("prop") / "org.duckdb"
    con = db.connect(path)
    con.execute("insert into squads values ('s1', 'One', null, null), ('s2', 'Two', null, null)")
    for rep in REPS:
        con.execute("insert into reps (rep_id, name) values (?, ?)", [rep, rep.upper()])
    for deal_id, owner, closed, amount in DEALS:
        con.execute(
            "insert into deals (deal_id, source, source_id, owner_id, status, amount, close_date) "
            "values (?, 'native', ?, ?, 'won', ?, ?)",
            [deal_id, deal_id, owner, amount, closed],
        )
    facts.refresh(con)
    con.close()
    return path


def _overlap(rows) -> bool:
    far = date(9999, 1, 1)
    for i, (rep, _, start, end) in enumerate(rows):
        for rep2, _, start2, end2 in rows[:i]:
            if rep == rep2 and start < (end2 or far) and start2 < (end or far):
                return True
    return False


membership = st.tuples(
    st.sampled_from(REPS),
    st.sampled_from(SQUADS),
    st.sampled_from(DAYS[:-1]),
    st.sampled_from([None, *DAYS[1:]]),
).filter(lambda m: m[3] is None or m[3] > m[2])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(membership, max_size=6, unique_by=lambda m: (m[0], m[2])))
def test_squad_totals_add_up_to_the_credited_revenue_of_reps_in_a_squad(small_org, tmp_path, rows):
    path = tmp_path / f"p{abs(hash(tuple(rows)))}.duckdb"
    path.write_bytes(small_org.read_bytes())
    con = db.connect(path)
    try:
        text = "rep_id,squad_id,valid_from,valid_to\n" + "".join(
            f"{r},{s},{a},{b or ''}\n" for r, s, a, b in rows
        )
        batch, _ = formats.load([("m.csv", text.encode())])
        try:
            ingest_apply.write(con, batch, actor="test", as_of=TODAY)
        except ImportFailed as failed:
            assert _overlap(rows), str(failed)  # refused only for an overlap
            assert "at the same time" in str(failed)
            return
        assert not _overlap(rows)
        # Each won deal counts once for the squad its owner was in on the close date, or none.
        expected = {s: 0.0 for s in SQUADS}
        for _, owner, closed, amount in DEALS:
            squads = [
                s for r, s, a, b in rows if r == owner and a <= closed and (b is None or closed < b)
            ]
            assert len(squads) <= 1
            if squads:
                expected[squads[0]] += amount
        shown = db.run(
            con, "squad_attainment",
            period_start=date(2026, 1, 1), period_end=date(2027, 1, 1), as_of=date(2026, 12, 31),
        )  # fmt: skip
        got = {r["squad_id"]: float(r["credited"] or 0) for r in shown.iter_rows(named=True)}
        assert got == expected
        credited = con.execute(
            "select coalesce(sum(amount), 0)::double from credited_revenue where squad_id is not null"
        ).fetchone()[0]
        assert sum(got.values()) == pytest.approx(credited)
        assert credited <= sum(d[3] for d in DEALS)
    finally:
        con.close()


def test_the_import_page_says_when_an_import_changed_nothing(app_env):
    text = HS + "902,Twice,Closed Won,2026-11-02,priya.raman,10,2026-10-01,1\n"
    for expected in ("Imported 1 deals (import #", "Nothing changed"):
        at = _leader_on_imports()
        at.get("file_uploader")[0].upload("deals.csv", text.encode(), "text/csv").run()
        at.button(key="commit").click().run()
        assert not at.exception
        shown = [m.value for m in (*at.success, *at.info)]
        assert any(expected in m for m in shown), shown
