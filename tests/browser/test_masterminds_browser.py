"""The Masterminds page in a real browser (issue #15): a rep reads a Mastermind they help on,
notes shown as typed (line breaks kept, no markup), a leader opens the form with suggestions,
and the weekly meeting's link arrives with the deal picked and the reasons filled in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

REP = "priya.raman@squadboard.example"  # a helper on Tom's demo Mastermind
LEADER = "rafael.costa@squadboard.example"  # Tom's leader


def _open(visit, path: str = "/masterminds"):
    visit.open(path)
    assert visit.exceptions() == []
    return visit


def test_a_rep_reads_the_mastermind_they_help_on(signed_in):
    visit = _open(signed_in(REP))
    text = visit.text()
    assert "Active Masterminds (3)" in text
    # Priya's own room opens first: the notes thread shows her note with its line break.
    assert "Their CFO cares about payback, not features.\nLead with a 6-month payback" in text
    main = visit.page.locator('[data-testid="stMain"]')
    assert main.locator("a[href^='http']").count() == 0  # no link made of anybody's text
    assert visit.page.get_by_role("button", name="Post").is_visible()  # she is a participant
    assert visit.page.get_by_text("Close the Mastermind").count() == 0  # but does not close it
    visit.page.set_viewport_size({"width": 1440, "height": 900})
    shot = visit.screenshot("masterminds-helper-rep")
    assert not visit.errors, f"console errors (screenshot {shot}): {visit.errors}"


def test_a_leader_opens_the_form_and_sees_suggested_helpers(signed_in):
    visit = _open(signed_in(LEADER))
    assert visit.page.get_by_text("Close the Mastermind").count() == 1  # Tom's leader closes
    visit.page.get_by_text("Open a new Mastermind").click()
    visit.settle()
    assert "Suggested helpers" in visit.text()
    assert "Invite helpers (anyone on the team)" in visit.text()
    visit.page.set_viewport_size({"width": 1920, "height": 1080})
    shot = visit.screenshot("masterminds-leader-form")
    assert visit.exceptions() == [] and not visit.errors, f"screenshot {shot}: {visit.errors}"


def test_the_meeting_link_opens_the_form_prefilled(signed_in, demo_file):
    from squadboard import db

    con = db.connect(demo_file, read_only=True)
    deal_id, deal = con.execute(
        "select deal_id, name from deals where owner_id = 'tom.becker' and status = 'open' "
        "and deal_id not in (select deal_id from masterminds where deal_id is not null) "
        "order by deal_id limit 1"
    ).fetchone()
    con.close()
    visit = _open(signed_in(LEADER), f"/masterminds?deal={deal_id}&why=Pushed%20out%202%20times")
    visit.screenshot("masterminds-prefilled")
    assert (
        visit.page.get_by_role("textbox", name="Why a Mastermind").input_value()
        == "Pushed out 2 times"
    )
    picked = visit.page.locator('[data-testid="stSelectbox"]').first.evaluate("e => e.innerHTML")
    assert f"{deal} · Tom Becker" in picked, picked[:3000]
    visit = _open(visit, "/masterminds?deal=%5Bclick%5D(https://evil.example)")
    assert "is not an open deal you may open a Mastermind for" in visit.text()
    assert visit.page.locator("a[href*='evil.example']").count() == 0
