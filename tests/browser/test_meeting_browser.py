"""The weekly meeting on a wall screen: presentation mode at 1920x1080 in a real Chromium, every
section, nothing clipped, no sideways scroll, type big enough to read across a room."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser

LEADER = "elena.duarte@squadboard.example"  # the admin: every squad
SECTIONS = ["1.", "2.", "3.", "4.", "5.", "6.", "7."]

# Every visible element of the page's main block: how far it reaches and how big its type is.
MEASURE = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const out = {scroll: [document.documentElement.scrollWidth, window.innerWidth,
                          main.scrollWidth, main.clientWidth],
                 outside: [], small: [], sidebar: null, figures: []};
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    out.sidebar = sidebar ? sidebar.getBoundingClientRect().width : 0;
    for (const e of main.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
        if (r.right > window.innerWidth + 1 || r.left < -1) out.outside.push(e.tagName + ' ' + (e.textContent || '').slice(0, 40));
        const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        if (own && parseFloat(getComputedStyle(e).fontSize) < 24) out.small.push(e.tagName + ' ' + e.textContent.trim().slice(0, 40) + ' ' + getComputedStyle(e).fontSize);
    }
    for (const t of main.querySelectorAll('.main-svg text')) {
        if (t.textContent.trim() && parseFloat(getComputedStyle(t).fontSize) < 24) out.small.push('svg ' + t.textContent.slice(0, 30));
    }
    for (const v of main.querySelectorAll('[data-testid="stMetricValue"]')) out.figures.push(parseFloat(getComputedStyle(v.querySelector('*') || v).fontSize));
    return out;
}"""


@pytest.fixture(scope="module")
def wall(browser, app_url):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    visit = sign_in(context, app_url, LEADER)
    yield visit
    context.close()


def _heading(visit) -> str:
    return visit.page.locator('[data-testid="stMain"] h2').first.inner_text()


def test_presentation_mode_fits_the_wall_screen_in_every_section(wall):
    visit = wall.open("/meeting?week=2026-W47&squad=all&section=1&present=1")
    if "Weekly meeting" not in visit.page.title() and not visit.page.locator("h2").count():
        visit = wall.open("/meeting?week=2026-W47&squad=all&section=1&present=1")
    seen = []
    for number in SECTIONS:
        heading = _heading(visit)
        assert heading.startswith(number), heading
        seen.append(number)
        found = visit.page.evaluate(MEASURE)
        doc_width, inner, main_scroll, main_width = found["scroll"]
        assert doc_width <= inner and main_scroll <= main_width, (number, found["scroll"])
        assert found["outside"] == [], (number, found["outside"][:5])
        assert found["small"] == [], (number, found["small"][:5])
        assert found["sidebar"] == 0  # hidden
        assert visit.exceptions() == [] and visit.script_ran() is None
        visit.page.screenshot(path=str(ARTIFACTS / f"meeting_wall_{number.strip('.')}.png"))
        visit.page.locator('[data-testid="stMain"] h2').first.click()  # focus off the widgets
        visit.page.keyboard.press("ArrowRight")
        visit.settle()
    assert seen == SECTIONS
    assert _heading(visit).startswith("1.")  # the arrow key went round


def test_a_squads_figures_are_big_on_the_wall(wall):
    visit = wall.open("/meeting?week=2026-W47&squad=orcas&section=1&present=1")
    found = visit.page.evaluate(MEASURE)
    assert found["figures"] and min(found["figures"]) >= 48


def test_clicking_a_bar_lists_its_deals(wall):
    visit = wall.open("/meeting?week=2026-W47&squad=all&section=2")
    bars = visit.page.locator('[data-testid="stMain"] .waterfalllayer .point path')
    assert bars.count() == 12
    box = bars.nth(8).bounding_box()  # Won
    visit.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    visit.page.wait_for_timeout(500)
    visit.settle()
    picked = visit.page.locator('[data-testid="stButtonGroup"] button[aria-checked="true"]')
    assert picked.inner_text().strip() == "Won"


def test_a_bad_squad_in_the_link_is_ignored_as_plain_text(wall):
    visit = wall.open("/meeting?squad=**orcas**%20%3Cb%3Ex%3C%2Fb%3E&section=2")
    text = visit.text()
    assert "Ignored the link's squad '**orcas** <b>x</b>'" in text
    assert _heading(visit).startswith("2. Pipeline bridge")
