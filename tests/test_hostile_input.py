"""Hostile input: SQL injection through every URL and query parameter, HTML and script in names,
deal names and kudos messages, spreadsheet formulas in downloads. Nothing may run, crash, or
change data; what was typed is shown as text."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from squadboard import claims, db, exports, facts, kudos, plan, ui
from squadboard.contribution import ContributionError
from tests.browser.support import HTML, MARKDOWN, pages_table, plant_hostile_rows
from tests.conftest import assert_same_contents, table_contents

ROOT = Path(__file__).resolve().parent.parent
SQL = [
    "'; drop table deals; --",
    "x' or '1'='1",
    "falcons'); delete from reps; --",
    "2026-Q4'; update quotas set amount = 0; --",
    '" or 1=1 --',
    "$period_start",
    "\x00",
    "%' union select * from reps --",
]
# A won deal Ana has no credit on yet (one claim per person and deal).
UNCLAIMED = """select deal_id from deals where status = 'won' and owner_id <> 'ana.souza'
    and deal_id not in (select deal_id from deal_credits where rep_id = 'ana.souza')
    order by deal_id limit 1"""


def url_parameters() -> list[str]:
    """Every query parameter a page or ui.py reads from the URL."""
    names = set()
    for path in [ROOT / "squadboard" / "ui.py", ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        names |= set(re.findall(r"query_params(?:\.get\(|\[)\"(\w+)\"", path.read_text()))
    return sorted(names)


def test_the_url_parameters_are_found():
    assert {"period", "squad"} <= set(url_parameters())


# SQL injection ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", db.query_names())
def test_every_query_parameter_binds_hostile_text_as_a_value(demo_con, name):
    query = db.get_query(name)
    good = {"DATE": "2026-10-01", "VARCHAR": "falcons", "INTEGER": "1", "DOUBLE": "0.5"}
    good["BOOLEAN"] = "true"
    base = {p.name: good[p.type] for p in query.params}
    if "period_end" in base:
        base["period_end"] = "2027-01-01"
    before = table_contents(demo_con)
    for param in query.params:
        for payload in SQL:
            try:
                db.run(demo_con, name, **{**base, param.name: payload})
            except db.QueryError as refused:  # a typed parameter refuses text: clearly
                assert param.name in str(refused)
            except duckdb.InvalidInputException as refused:  # the query's own value check
                assert param.name in str(refused), f"{name}.{param.name}: {refused}"
    assert_same_contents(before, table_contents(demo_con))


def page_files() -> list[str]:
    return [row[1] for row in pages_table()]


@pytest.mark.parametrize("page", page_files())
def test_hostile_url_parameters_on_every_page(app_env, page):
    """Each page opened first (a shared link), as the admin, who may see everything."""
    con = db.connect(app_env)
    before = table_contents(con)
    con.close()
    for payload in [*SQL[:3], HTML]:
        at = AppTest.from_file(str(ROOT / page), default_timeout=60)
        at.session_state["viewer_id"] = "elena.duarte"
        for param in url_parameters():
            at.query_params[param] = payload
        at.run()
        assert not at.exception, f"{page} with {payload!r}: {at.exception}"
        assert_no_html_from(at, payload)
    con = db.connect(app_env)
    assert_same_contents(before, table_contents(con))
    con.close()


def assert_no_html_from(at: AppTest, payload: str) -> None:
    """Wherever hostile text is shown, it is shown as text, not HTML."""
    for element in [*at.markdown, *at.caption, *at.title, *at.header, *at.subheader]:
        if "<script" in element.value or "onerror" in element.value:
            assert not getattr(element.proto, "allow_html", False), f"as HTML: {element.value!r}"
    assert payload not in "".join(h.proto.body for h in at.get("html"))


@pytest.mark.parametrize(
    "give, field",
    [
        (
            lambda con, text: kudos.give_kudos(
                con,
                "tom.becker",
                "priya.raman",
                "mentoring",
                text,
                None,
                plan.load(con),
                datetime(2026, 11, 23, 9),
            ),
            ("kudos", "message"),
        ),
        (
            lambda con, text: claims.file_claim(
                con,
                "ana.souza",
                con.execute(UNCLAIMED).fetchone()[0],
                "helper",
                text,
                plan.load(con),
                datetime(2026, 11, 23, 9),
            ),
            ("deal_credits", "note"),
        ),
    ],
    ids=["kudos message", "claim note"],
)
def test_free_text_widgets_store_what_was_typed_and_nothing_else(demo_con, give, field):
    table, column = field
    counts = {t: len(f) for t, f in table_contents(demo_con).items()}
    stored = 0
    for payload in [*SQL[:4], HTML]:
        try:
            give(demo_con, payload)
        except ContributionError:
            continue  # e.g. the daily kudos limit: refused with a reason, nothing written
        found = demo_con.execute(f"select {column} from {table} where {column} = ?", [payload])
        assert found.fetchall() == [(payload.strip(),)]
        stored += 1
    assert stored >= 3
    after = {t: len(f) for t, f in table_contents(demo_con).items()}
    changed = {t for t in counts if after[t] != counts[t]}
    assert changed <= {table, "audit_log", "meta"}
    assert after["reps"] == counts["reps"] and after["deals"] == counts["deals"]


# Script and HTML in names, deal names and kudos messages --------------------------------------


@pytest.mark.parametrize("page", page_files())
def test_html_in_names_deal_names_and_kudos_is_never_rendered_as_html(app_env, page):
    plant_hostile_rows(app_env)
    for viewer in ["elena.duarte", "hostile.rep"]:
        at = AppTest.from_file(str(ROOT / page), default_timeout=60)
        at.session_state["viewer_id"] = viewer
        at.run()
        if viewer == "hostile.rep" and any("for sales leaders" in e.value for e in at.error):
            continue
        assert not at.exception, f"{page} as {viewer}: {at.exception}"
        assert_no_html_from(at, HTML)


# Spreadsheet formulas in downloads -----------------------------------------------------------


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("Acme = best", "Acme = best"),
        ("a@b.example", "a@b.example"),
        ("", ""),
        (None, None),
    ],
)
def test_neutralise_formulas(cell, expected):
    frame = pl.DataFrame({"text": [cell]}, schema={"text": pl.String})
    assert exports.neutralise_formulas(frame)["text"][0] == expected


def test_neutralise_formulas_covers_categorical_and_leaves_numbers_alone():
    frame = pl.DataFrame(
        {
            "cat": pl.Series(["=1", "ok"], dtype=pl.Categorical),
            "enum": pl.Series(["@x", "ok"], dtype=pl.Enum(["@x", "ok"])),
            "n": [-1, 2],
            "d": [date(2026, 1, 1), None],
        }
    )
    safe = exports.neutralise_formulas(frame)
    assert safe["cat"].to_list() == ["'=1", "ok"]
    assert safe["enum"].to_list() == ["'@x", "ok"]
    assert safe["n"].to_list() == [-1, 2] and safe["d"].to_list() == [date(2026, 1, 1), None]


def test_both_download_files_are_neutralised():
    hostile = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1)"]
    frame = pl.DataFrame({"deal": hostile, "amount": [1.0, 2.0, 3.0, 4.0]})
    files = exports.export_files(frame, "deals")
    rows = pl.read_csv(io.BytesIO(files["deals.csv"]))["deal"].to_list()
    assert rows == ["'" + h for h in hostile]
    with zipfile.ZipFile(io.BytesIO(files["deals.xlsx"])) as xlsx:
        sheet = xlsx.read("xl/worksheets/sheet1.xml").decode()
        strings = xlsx.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet  # no cell is a formula
    assert "&apos;=HYPERLINK" in strings or "'=HYPERLINK" in strings
    assert pl.read_excel(io.BytesIO(files["deals.xlsx"]))["deal"].to_list() == rows


def test_every_download_goes_through_ui_downloads():
    """Pages offer files only through ui.downloads, which neutralises formulas."""
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        assert "download_button" not in path.read_text(), f"{path.name} bypasses ui.downloads"


# Markdown in names ----------------------------------------------------------------------------


def test_markdown_in_names_is_shown_as_typed_on_titles(app_env):
    """A rep, a squad and a deal named with markdown: every title, caption and text shows the
    characters as typed (escaped), never bold, a link or a heading."""
    con = db.connect(app_env)
    rep = con.execute(
        "select rep_id from squad_members where squad_id = 'falcons' and valid_to is null "
        "and rep_id <> (select manager_id from squads where squad_id = 'falcons') order by 1"
    ).fetchone()[0]
    con.execute("update reps set name = ? where rep_id = ?", [f"Rep {MARKDOWN}", rep])
    con.execute("update squads set name = ? where squad_id = 'falcons'", [f"Squad {MARKDOWN}"])
    con.execute(
        "update deals set name = ? where deal_id in (select deal_id from credited_revenue "
        "where rep_id = ? and close_date >= '2026-10-01')",
        [f"Deal {MARKDOWN}", rep],
    )
    facts.refresh(con)
    con.close()
    visits = [("my_squad", rep, {}), ("profile", "elena.duarte", {"profile_rep": rep})]
    visits += [("pods", rep, {})]
    for page, viewer, picks in visits:
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
        at.session_state["viewer_id"] = viewer
        at.run()
        for key, value in picks.items():
            at.selectbox(key=key).set_value(value).run()
        assert not at.exception, f"{page}: {at.exception}"
        shown = [*at.markdown, *at.caption, *at.title, *at.header, *at.subheader, *at.info]
        assert any(ui.plain(MARKDOWN) in e.value for e in shown), f"{page}: no name shown"
        raw = [e.value for e in shown if MARKDOWN in e.value]
        assert not raw, f"{page} renders markdown from a name: {raw}"


def test_find_a_mentor_buttons_show_a_name_as_typed(app_env):
    """A button's label is markdown (links and images too): "Ask <name> about it" on Find a
    mentor shows a rep's markdown name escaped, never as a link."""
    con = db.connect(app_env)
    account, rep = con.execute(
        "select account, owner_id from deals where owner_id <> 'tom.becker' and account is not"
        " null order by account, owner_id limit 1"
    ).fetchone()
    con.execute("update reps set name = ? where rep_id = ?", [f"Rep {MARKDOWN}", rep])
    facts.refresh(con)
    con.close()
    at = AppTest.from_file(str(ROOT / "pages" / "mentor.py"), default_timeout=60)
    at.session_state["viewer_id"] = "tom.becker"
    at.run()
    at.selectbox(key="mentor_account").set_value(account).run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert any(ui.plain(MARKDOWN) in label for label in labels), labels
    assert not [label for label in labels if MARKDOWN in label]
