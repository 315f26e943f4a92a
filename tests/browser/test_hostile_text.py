"""Hostile text stays text, in a real browser (issue #11).

For a rep, a leader and the admin, every page of app.py's PAGES table (pages added later are
covered as they are added) is opened with hostile text in every query parameter, then every
free-text input on it gets hostile text typed in, and a leader's Import page gets a file with a
hostile name. The data already holds hostile names, squads, deal names, accounts, kudos and
claim notes (support.plant_markup_rows). Nothing the text says may become an element: no link,
no image, no styled or bold element, no request to the attacker's host, no script run."""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

import pytest

from tests.browser.support import MARKUP, pages_table, url_parameters, url_path

pytestmark = pytest.mark.browser

PEOPLE = {
    "rep": "tom.becker@squadboard.example",
    "leader": "maya.chen@squadboard.example",
    "admin": "elena.duarte@squadboard.example",
}
# Markup that, rendered, makes an element whose whole text is one of these words.
MADE_BY_TEXT = ["BIG", "bold", "Raman", "Session expired"]

FIND = """(words) => {
  const found = [];
  for (const el of document.querySelectorAll('[href*="evil"], [src*="evil"]'))
    found.push('link or image: <' + el.tagName + '>');
  for (const el of document.querySelectorAll('*')) {
    const href = el.getAttribute('xlink:href') || '';
    if (href.includes('evil')) found.push('svg link: <' + el.tagName + '>');
    const style = (el.getAttribute('style') || '').replace(/\\s/g, '');
    if (style.includes('font-size:40px')) found.push('styled: <' + el.tagName + '>');
    if (words.includes((el.textContent || '').trim()) && el.children.length === 0)
      found.push('element made of the text: <' + el.tagName + '> ' + el.textContent.trim());
  }
  return found;
}"""


def _evil(url: str) -> bool:
    return (urlparse(url).hostname or "").endswith("evil.example")


def _created(visit) -> list[str]:
    found = visit.page.evaluate(FIND, MADE_BY_TEXT)
    if visit.script_ran() is not None:
        found.append("script ran")
    return found


def _free_text_inputs(visit):
    """Text inputs and text areas of the page itself (not the select boxes' search fields)."""
    main = visit.page.locator('[data-testid="stMain"]')
    fields = main.locator('input[type="text"]:not([role="combobox"]), textarea')
    return [fields.nth(i) for i in range(fields.count())]


CASES = [(who, row) for who in PEOPLE for row in pages_table() if row[4] == "all" or who != "rep"]


@pytest.fixture(scope="module")
def evil_requests():
    return []


@pytest.mark.parametrize(
    "who, row", CASES, ids=[f"{w}-{url_path(r[1]).strip('/')}" for w, r in CASES]
)
def test_hostile_text_creates_no_element_on_any_page(signed_in, evil_requests, who, row):
    _section, file, title, _icon, _audience = row
    visit = signed_in(PEOPLE[who])
    if not getattr(visit, "_watching_evil", False):
        visit.page.on("request", lambda r: _evil(r.url) and evil_requests.append(r.url))
        visit._watching_evil = True
    href = visit.nav_href(title)
    assert href is not None, f"{title} is not in the {who}'s sidebar"
    query = urlencode({name: MARKUP for name in url_parameters()})
    visit.open(f"{href}?{query}")
    shot = f"hostile-{who}-{url_path(file).strip('/')}"
    assert visit.exceptions() == [], f"{title}: exception (screenshot {visit.screenshot(shot)})"
    created = _created(visit)
    assert not created, f"{title} as {who}, hostile URL: {created} ({visit.screenshot(shot)})"

    for i, field in enumerate(_free_text_inputs(visit)):
        if not field.is_visible() or not field.is_editable():
            continue
        field.fill(MARKUP)
        field.press("Tab")  # a text area takes its value on leaving it, an input too
        visit.settle()
        created = _created(visit)
        assert not created, f"{title} as {who}, typed into field {i}: {created}"
        assert visit.exceptions() == []

    if who != "rep" and file == "pages/imports.py":
        name = MARKUP.replace("/", "\u2215") + ".csv"  # a file name holds no slash
        hubspot = (
            "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount\n"
            "7201,No amount,Closed Won,2026-11-03,Priya Raman,\n"
        )
        uploader = visit.page.locator('[data-testid="stFileUploader"] input[type="file"]')
        uploader.set_input_files({"name": name, "mimeType": "text/csv", "buffer": hubspot.encode()})
        visit.settle()
        assert "won deals have no amount" in visit.text()
        created = _created(visit)
        assert not created, f"Import as {who}, hostile file name: {created}"
        visit.screenshot(f"{shot}-upload")
    assert not evil_requests, f"the browser fetched {evil_requests[:3]}"


@pytest.mark.parametrize("title", ["Leaderboards", "Squads"])
def test_a_chart_shows_hostile_names_as_typed(signed_in, title):
    """The planted squad and rep are on these charts: their names are text in the SVG."""
    visit = signed_in(PEOPLE["admin"])
    visit.open(visit.nav_href(title))
    chart = visit.page.locator(".js-plotly-plot").first
    chart.wait_for()
    text = chart.evaluate("el => el.textContent")
    assert '<span style="font-size:40px;color:red">BIG</span>' in text
    assert _created(visit) == []
    visit.screenshot(f"hostile-chart-{title.lower()}")
