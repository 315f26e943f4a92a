"""A dashboard started while another process holds the database (a CLI import, a second app):
in a real browser, a plain "busy" page with no server path and no page links (issue #11)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.browser.conftest import Visit, _free_port, _serve, _stop

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def busy_url(chromium_path, demo_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("busy-app")
    path = folder / "squadboard.duckdb"
    shutil.copy(demo_file, path)
    hold = (
        "import duckdb, time\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "print('holding', flush=True)\n"
        "time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    try:
        url, proc, log = _serve(path, folder, "# demo mode\n", _free_port())
        yield url, str(folder)
        _stop(proc, log)
    finally:
        holder.kill()
        holder.wait(10)


@pytest.mark.parametrize("path", ["/", "/squads?squad=falcons", "/imports"])
def test_a_locked_database_shows_a_busy_page_without_paths_or_pages(browser, busy_url, path):
    url, folder = busy_url
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    visit = Visit(context, url).open(path)
    text = visit.text()
    shot = visit.screenshot(f"busy{path.split('?')[0].replace('/', '-') or '-home'}")
    assert "The database is busy, try again in a minute" in text, shot
    for leak in (folder, "squadboard.duckdb", "Traceback", "PID", "lock"):
        assert leak not in text, f"{leak!r} on the page ({shot})"
    assert visit.exceptions() == []
    assert visit.page.get_by_test_id("stSidebarNavLink").count() == 0, shot
    for title in ("My squad", "Squads", "Targets", "Import", "Plan settings"):
        assert visit.page.get_by_role("link", name=title).count() == 0
    context.close()
