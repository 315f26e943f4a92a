"""Trust what the screen says (issue #16), in a real browser: every page of app.py's PAGES
table at its own URL for a rep, a leader and the admin (pages added later are covered too), the
deep links, unknown and forbidden pages, and the first request after a server start.

Fails on: "Page not found", a stack trace, the visible text None / nan / 00:00:00, or a
snake_case column header read from the rendered grid. Screenshots of every page at 1440x900
and 390x844 go to test-artifacts/screen-<page>-<role>-<size>.png.
"""

from __future__ import annotations

import re

import pytest

from squadboard import display
from tests.browser.conftest import Visit, _free_port, _private_db, _serve, _stop
from tests.browser.support import pages_table, url_path

pytestmark = pytest.mark.browser

PEOPLE = {
    "rep": "tom.becker@squadboard.example",
    "leader": "maya.chen@squadboard.example",
    "admin": "elena.duarte@squadboard.example",
}
PAGES = pages_table()
SIZES = [(1440, 900), (390, 844)]
NOBODY_SHOULD_SEE = re.compile(r"\bNone\b|\bnan\b|\bNaN\b|00:00:00")


def _allowed(role: str, audience: str) -> bool:
    """As app.py decides: a page not for "all" is for leaders and admins."""
    return audience == "all" or role in ("leader", "admin")


def _problems(visit: Visit) -> list[str]:
    """What a person should never see on the page now on screen."""
    page = visit.page
    found = []
    text = page.locator('[data-testid="stApp"]').inner_text()
    if "Page not found" in text or page.get_by_text("Page not found").count():
        found.append("Streamlit's 'Page not found'")
    found += [f"exception: {e[:200]}" for e in visit.exceptions()]
    if "Traceback" in text:
        found.append("a stack trace")
    main = page.locator('[data-testid="stMain"]').inner_text()
    found += [f"the text {m!r}" for m in sorted(set(NOBODY_SHOULD_SEE.findall(main)))]
    # The grid draws on a canvas; its header cells are also in an accessible table.
    for header in page.locator('[data-testid="stDataFrame"] th').all_inner_texts():
        label = header.strip()
        if label and display.is_snake_case_header(label):
            found.append(f"column header {label!r}")
    return found


def _screenshots(visit: Visit, name: str) -> None:
    for width, height in SIZES:
        visit.page.set_viewport_size({"width": width, "height": height})
        visit.page.wait_for_timeout(600)  # charts and grids redraw for the new width
        visit.screenshot(f"screen-{name}-{width}x{height}")
    visit.page.set_viewport_size({"width": 1400, "height": 1000})


CASES = [
    pytest.param(role, row, id=f"{url_path(row[1]).strip('/')}-{role}")
    for row in PAGES
    for role in PEOPLE
]


@pytest.mark.parametrize("role, row", CASES)
def test_every_page_at_its_url_for_every_role(signed_in, role, row):
    """Each page's one URL, typed, whoever's home page it is; words if it is not theirs."""
    _section, file, title, _icon, audience = row
    # Each page's deep link: its URL with a period that is not the default one.
    visit = signed_in(PEOPLE[role]).open(url_path(file) + "?period=2026-Q3")
    name = f"{url_path(file).strip('/')}-{role}"
    problems = _problems(visit)
    _screenshots(visit, name)
    assert problems == [], f"{title} as {role}: {problems} (test-artifacts/screen-{name}-*.png)"
    heading = visit.page.locator('[data-testid="stMain"] h1').first.inner_text()
    if _allowed(role, audience):
        assert "Not available to you" not in heading, f"{title} refused to a {role}"
        assert visit.page.url.split("?")[0].endswith(url_path(file)), visit.page.url
        period = visit.page.get_by_test_id("stSidebar").get_by_role("combobox", name="Period")
        if period.count():  # a page with the period picker follows the link's period
            assert period.input_value() == "2026-Q3", f"{title}: {period.input_value()}"
    else:
        assert heading == "Not available to you"
        assert f"{title} (/{url_path(file).strip('/')}) is for" in visit.text()


@pytest.mark.parametrize("role", list(PEOPLE))
def test_the_readmes_deep_link_works_for_every_role(signed_in, role):
    visit = signed_in(PEOPLE[role]).open("/squads?period=2026-Q3&squad=orcas")
    assert _problems(visit) == []
    main = visit.page.locator('[data-testid="stMain"]')
    assert main.locator("h1").first.inner_text() == "Squads · 2026-Q3"
    assert main.get_by_role("heading", name="Orcas · detail").count() == 1
    visit.screenshot(f"screen-deep-link-{role}")


@pytest.mark.parametrize("role, home", [("rep", "/my_squad"), ("leader", "/squads")])
def test_the_root_url_sends_each_role_home_with_the_link_kept(signed_in, role, home):
    visit = signed_in(PEOPLE[role]).open("/?period=2026-Q3")
    assert _problems(visit) == []
    assert visit.page.url.split("?")[0].endswith(home)
    assert "period=2026-Q3" in visit.page.url
    assert "2026-Q3" in visit.page.locator('[data-testid="stMain"] h1').first.inner_text()


def test_an_unknown_page_says_so_in_words(signed_in):
    visit = signed_in(PEOPLE["leader"]).open("/no_such_thing")
    visit.screenshot("screen-unknown-page")
    assert _problems(visit) == []
    assert visit.page.locator('[data-testid="stMain"] h1').first.inner_text() == "No such page"
    assert "Squadboard has no page /no_such_thing" in visit.text()


@pytest.fixture(scope="module")
def fresh_demo_server(chromium_path, demo_file, tmp_path_factory):
    """A demo-mode server nobody has opened yet: its first request is the test's."""
    folder = tmp_path_factory.mktemp("fresh-demo")
    db_path = _private_db(demo_file, tmp_path_factory)
    url, proc, log = _serve(db_path, folder, "# no sign-in: demo mode\n", _free_port())
    yield url
    _stop(proc, log)


def test_the_first_request_after_a_start_keeps_its_page_link_and_viewer(browser, fresh_demo_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    visit = Visit(context, fresh_demo_server).open("/squads?period=2026-Q3&squad=orcas")
    visit.screenshot("screen-first-request")
    assert _problems(visit) == []
    main = visit.page.locator('[data-testid="stMain"]')
    assert main.locator("h1").first.inner_text() == "Squads · 2026-Q3"
    assert main.get_by_role("heading", name="Orcas · detail").count() == 1
    picker = visit.page.get_by_role("combobox", name="Viewing as (demo mode)")
    viewer = picker.input_value()
    assert "leader" in viewer
    # The next click keeps the same viewer (it used to turn the leader into a rep).
    visit.page.get_by_test_id("stSidebarNav").get_by_role("link", name="Targets").click()
    visit.settle()
    assert picker.input_value() == viewer
    assert main.locator("h1").first.inner_text() == "Targets · 2026-Q3"
    context.close()


def test_switching_the_demo_viewer_moves_the_squad_to_theirs(browser, demo_url):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    visit = Visit(context, demo_url).open("/squads?squad=ravens")
    main = visit.page.locator('[data-testid="stMain"]')
    assert main.get_by_role("heading", name="Ravens · detail").count() == 1
    picker = visit.page.get_by_role("combobox", name="Viewing as (demo mode)")
    picker.click()
    visit.page.keyboard.type("Tom Becker", delay=30)
    visit.page.keyboard.press("Enter")
    visit.settle()
    assert picker.input_value().startswith("Tom Becker")
    # Tom's own squad (Orcas), not the previous viewer's pick; the URL follows.
    assert main.get_by_role("heading", name="Orcas · detail").count() == 1
    assert "squad=orcas" in visit.page.url
    context.close()
