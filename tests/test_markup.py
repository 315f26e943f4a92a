"""User text stays text (issue #11): what a URL, a file or an import supplied is shown as typed
in warnings, errors and infos (never as a markdown link or image), and download file names made
of data are safe file names."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from squadboard import exports, ui
from tests.test_pages import ROOT, open_app

LINK = "[Session expired - click here](https://evil.example/login)"
IMAGE = "![x](https://evil.example/x.png)"


def _unescaped(markdown: str) -> list[str]:
    """Markdown link or image syntax that is not backslash-escaped (what would render)."""
    return re.findall(r"(?<!\\)!?(?<!\\)\[[^\]]*(?<!\\)\]\((?<!\\)[^)]*\)", markdown)


def _alerts(at) -> list[str]:
    return [e.value for e in [*at.warning, *at.error, *at.info, *at.success, *at.caption]]


def test_the_pattern_finds_a_link_and_not_an_escaped_one():
    assert _unescaped(f"Ignored {LINK}") and _unescaped(IMAGE)
    assert not _unescaped(ui.plain(f"Ignored {LINK} {IMAGE}"))


@pytest.mark.parametrize(
    "query, shown",
    [
        ({"squad": LINK}, "Ignored the link's squad"),
        ({"period": IMAGE}, "Ignored the link's period"),
    ],
)
def test_a_url_parameter_echoed_in_a_warning_is_text(app_env, query, shown):
    at = AppTest.from_file(str(ROOT / "pages" / "squads.py"), default_timeout=60)
    at.session_state["viewer_id"] = "tom.becker"  # a shared link, opened first
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    warnings = [w for w in _alerts(at) if shown in w]
    assert warnings, _alerts(at)
    for text in warnings:
        assert not _unescaped(text), text
        assert "evil" in text  # still said, as typed


def test_an_import_warning_with_a_file_name_is_text(app_env):
    at = open_app("maya.chen")
    at.switch_page("pages/imports.py").run()
    hubspot = (
        "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount\n"
        "7101,No amount,Closed Won,2026-11-03,Priya Raman,\n"
    )
    at.get("file_uploader")[0].upload(f"{LINK}.csv", hubspot.encode(), "text/csv").run()
    assert not at.exception
    said = [w for w in _alerts(at) if "evil" in w]
    assert any("won deals have no amount" in w for w in said), _alerts(at)
    for text in said:
        assert not _unescaped(text), text


@pytest.mark.parametrize(
    "name, stem",
    [
        ("deals_falcons_2026-Q4", "deals_falcons_2026-Q4"),
        ("deals_../../etc/passwd", "deals_etc_passwd"),
        ('deals_a"b\r\nSet-Cookie: x=1', "deals_a_b_Set-Cookie_x_1"),
        ("deals_[x]:*?/\\", "deals_x"),
        ("pool_shares_Zoë", "pool_shares_Zoë"),
        ("", "table"),
    ],
)
def test_a_download_name_made_of_data_is_a_safe_file_name(name, stem):
    assert exports.file_stem(name) == stem


def test_the_excel_download_of_a_table_named_by_hostile_data_opens():
    import polars as pl

    files = exports.export_files(pl.DataFrame({"x": [1]}), "deals_[squad]:a/b?*")
    assert set(files) == {"deals_squad_a_b.csv", "deals_squad_a_b.xlsx"}
    book = zipfile.ZipFile(io.BytesIO(files["deals_squad_a_b.xlsx"]))
    assert 'name="deals_squad_a_b"' in book.read("xl/workbook.xml").decode()


def test_a_kudos_confirmation_with_a_hostile_name_is_text(app_env):
    from tests.browser.support import plant_hostile_rows

    plant_hostile_rows(app_env)  # hostile.rep is named with markdown links and HTML
    at = open_app("tom.becker")
    at.switch_page("pages/kudos.py").run()
    at.selectbox(key="kudos_to").set_value("hostile.rep")
    at.text_area(key="kudos_message").set_value("Thanks for the demo")
    at.button(key="give_kudos").click().run()
    assert not at.exception
    sent = [s.value for s in at.success if "Kudos sent" in s.value]
    assert sent and "evil" in sent[0]
    assert not _unescaped(sent[0]), sent[0]
