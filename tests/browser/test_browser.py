"""What a person sees in a real browser: signed in through the identity provider's form,
every page of app.py's PAGES table, the role checks, an upload through the real widget."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from tests.browser.conftest import Visit
from tests.browser.support import HTML, MARKDOWN, pages_table, url_path

pytestmark = pytest.mark.browser

REP = "tom.becker@squadboard.example"
LEADER = "maya.chen@squadboard.example"
PAGES = pages_table()


def _page_id(row) -> str:
    return url_path(row[1]).strip("/")


@pytest.mark.parametrize("who", ["leader", "rep", "demo"])
@pytest.mark.parametrize("row", PAGES, ids=_page_id)
def test_every_page_renders_without_an_exception_or_console_error(signed_in, demo_visit, who, row):
    _section, _file, title, _icon, audience = row
    if audience != "all" and who == "rep":
        pytest.skip("not a rep's page (test_a_rep_typing_a_leader_page_url_... covers the rep)")
    visit = demo_visit if who == "demo" else signed_in(LEADER if who == "leader" else REP)
    href = visit.nav_href(title)
    assert href is not None, f"{title} is not in the {who}'s sidebar"
    visit.open(href)
    shot = visit.screenshot(f"{_page_id(row)}-{who}")
    assert visit.exceptions() == [], f"{title}: exception box (screenshot {shot})"
    assert not visit.errors, f"{title}: console errors (screenshot {shot}):\n" + "\n".join(
        visit.errors
    )
    assert visit.script_ran() is None, f"{title} ran script from the data (screenshot {shot})"
    # ui.plain keeps a URL from becoming a link with invisible word joiners.
    sidebar = visit.page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
    if who == "demo":
        assert "Demo mode" in sidebar  # on every page, so nobody mistakes it for real sign-in
    else:
        assert "Signed in as" in sidebar and "Demo mode" not in sidebar


def test_the_sign_in_screen_shows_no_data(browser, app_url):
    context = browser.new_context()
    visit = Visit(context, app_url).open("/imports?period=2026-Q3")
    assert visit.page.get_by_role("button", name="Sign in").is_visible()
    text = visit.text()
    for secret in ("Falcons", "Orcas", "Import history", "Priya"):
        assert secret not in text
    visit.screenshot("sign-in")
    context.close()


def test_a_rep_signs_in_and_sees_themself_without_leader_pages(signed_in):
    visit = signed_in(REP).open("/")
    # ui.plain keeps a URL from becoming a link with invisible word joiners.
    sidebar = visit.page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
    assert "Tom Becker" in sidebar and REP in sidebar
    assert "Viewing as" not in sidebar  # no demo picker once people sign in
    nav = visit.page.locator('[data-testid="stSidebarNav"]').inner_text()
    for _section, _file, title, _icon, audience in PAGES:
        assert (title in nav) == (audience == "all"), title


LEADER_PAGES = [row for row in PAGES if row[4] != "all"]


@pytest.mark.parametrize("row", LEADER_PAGES, ids=_page_id)
def test_a_rep_typing_a_leader_page_url_gets_no_such_page(signed_in, row):
    """The Import page (and every other leader page) typed into the address bar by a rep."""
    _section, file, title, _icon, _audience = row
    visit = signed_in(REP).open(url_path(file))
    visit.screenshot(f"{_page_id(row)}-typed-by-rep")
    assert visit.page.locator('[data-testid="stFileUploader"]').count() == 0
    assert visit.page.locator('[data-testid="stForm"]').count() == 0
    assert "Import history" not in visit.text()
    assert visit.page.locator("h1").first.inner_text() != title
    assert visit.exceptions() == []


def test_a_signed_in_person_can_sign_out(browser, app_url):
    from tests.browser.conftest import sign_in

    context = browser.new_context()
    visit = sign_in(context, app_url, "ana.souza@squadboard.example")
    assert "Ana Souza" in visit.page.locator('[data-testid="stSidebar"]').inner_text()
    visit.page.get_by_role("button", name="Sign out").click()
    # Streamlit ends the session at the provider too (RP-initiated logout); confirm there.
    visit.page.get_by_role("button", name="End session").click()
    visit.page.wait_for_url(f"{app_url}/**")
    visit.settle()
    assert visit.page.get_by_role("button", name="Sign in").is_visible()
    assert "Ana Souza" not in visit.text()
    context.close()


def test_an_unknown_email_is_asked_to_get_added_and_sees_no_data(signed_in):
    visit = signed_in("stranger@elsewhere.example").open("/")
    visit.screenshot("unknown-email")
    text = visit.text()
    assert "Ask your leader to add you" in text
    assert "stranger@elsewhere.example" in text
    for secret in ("Falcons", "Orcas", "Credited", "Priya"):
        assert secret not in text
    assert visit.page.locator('[data-testid="stSidebarNav"]').count() == 0


def _squads_csv(visit) -> list[dict]:
    visit.open("/")
    with visit.page.expect_download() as download:
        visit.page.get_by_role("button", name="Download CSV").first.click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_excel_download_is_made_on_click_and_matches_the_csv(signed_in):
    """The Excel file is made only when asked for (Streamlit's deferred download)."""
    visit = signed_in(LEADER)
    rows = _squads_csv(visit)
    with visit.page.expect_download() as download:
        visit.page.get_by_role("button", name="Download Excel").first.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = pl.read_excel(download.value.path())
    assert sheet["squad"].to_list() == [r["squad"] for r in rows]
    assert sheet["credited"].sum() == pytest.approx(sum(float(r["credited"]) for r in rows))


def test_a_leader_uploads_through_the_widget_and_the_figures_change(signed_in, tmp_path):
    visit = signed_in(LEADER)
    before = sum(float(r["credited"]) for r in _squads_csv(visit))
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "deal_id,name,account,product,owner_id,stage,status,amount,probability,created_date,close_date\n"
        "BROWSER-1,Browser win,Acme,Atlas Core,tom.becker,Closed Won,won,123456,100,2026-10-01,2026-11-02\n"
    )
    visit.open("/imports")
    visit.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(deals)
    visit.page.get_by_text("Valid. Ready to write").wait_for()
    visit.page.get_by_role("button", name="Import now").click()
    visit.page.get_by_text("Imported 1 deals").wait_for()
    visit.settle()
    visit.screenshot("imports-after-upload")
    assert visit.exceptions() == []
    after = sum(float(r["credited"]) for r in _squads_csv(visit))
    assert after - before == pytest.approx(123_456)


def test_a_name_made_of_html_and_markdown_is_shown_as_typed(signed_in):
    """tests/browser/support.py planted a rep whose name is HTML and script."""
    visit = signed_in("hostile.rep@squadboard.example").open("/")
    visit.screenshot("hostile-name")
    # ui.plain keeps a URL from becoming a link with invisible word joiners.
    sidebar = visit.page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
    assert f"Zed {MARKDOWN} {HTML}" in sidebar
    assert visit.script_ran() is None
    assert visit.page.locator('[data-testid="stSidebar"] img[src="x"]').count() == 0
    # A title with the name: the characters as typed, no link, no bold, no heading.
    visit.open("/profile")
    visit.screenshot("hostile-name-title")
    title = visit.page.locator('[data-testid="stMain"] h1').first
    shown = title.inner_text().replace("\u2060", "")
    assert shown.startswith(f"Zed {MARKDOWN} {HTML} · collaboration")
    # Streamlit puts the heading's text in one span, its "link to heading" anchor in another.
    text = title.locator("[data-heading-text]")
    assert text.count() == 1 and text.locator("a, strong, em, code, img").count() == 0
    assert visit.script_ran() is None
