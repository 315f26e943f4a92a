"""Find a mentor and Mentoring in a real browser (issue #13): a rep sees their weakest cells
with evidence and asks with one click; a leader sees the squad's requests and Suggest pairs;
the rep asking about someone else's skills sees their strengths only."""

from __future__ import annotations

import pytest

from tests.browser.test_browser import LEADER, REP

pytestmark = pytest.mark.browser


def test_a_rep_finds_a_mentor_with_evidence_and_asks_with_one_click(signed_in):
    visit = signed_in(REP)
    visit.open(visit.nav_href("Find a mentor"))
    visit.page.get_by_text("Who to learn from").wait_for()
    text = visit.text()
    assert "Tom Becker · skills from closed deals" in text
    assert "team median" in text and "you won" in text
    visit.screenshot("mentor-rep")
    asks = visit.page.get_by_role("button", name="Ask Owen")
    if asks.count() == 0:
        asks = visit.page.get_by_role("button", name="Ask Diego")
    asks.first.click()
    visit.page.get_by_text("You will find the request on the Mentoring page").wait_for()
    visit.settle()
    assert visit.exceptions() == [] and not visit.errors

    visit.open(visit.nav_href("Mentoring"))
    visit.page.get_by_text("Asked by you").click()
    visit.settle()
    visit.screenshot("mentoring-rep")
    assert "Tom Becker asked" in visit.text()
    assert visit.exceptions() == [] and not visit.errors


def test_a_leader_sees_their_squads_requests_and_suggested_pairs(signed_in):
    visit = signed_in(LEADER)
    visit.open(visit.nav_href("Mentoring"))
    visit.page.get_by_text("Suggest pairs").wait_for()
    visit.settle()
    visit.screenshot("mentoring-leader")
    text = visit.text()
    assert "behind target" in text
    assert visit.exceptions() == [] and not visit.errors
    visit.open(visit.nav_href("Find a mentor"))
    visit.settle()
    visit.screenshot("mentor-leader")
    assert visit.exceptions() == [] and not visit.errors
