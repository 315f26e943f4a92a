"""Thirty real browser sessions against one running app on the benchmark organisation, while a
leader imports a deals file through the Import page: no session sees an error, every page
becomes ready, the p95 time to ready is reported, and nothing written meanwhile is lost.

Deselected by default (`-m "not load"` in pyproject.toml): it builds the large organisation
(16,000 reps, 5M deals) and takes several minutes. Run it with

    .venv/bin/python -m pytest -m load -s tests/load

SQUADBOARD_LOAD_SCALE (tiny|small|medium|large, default large), SQUADBOARD_LOAD_SESSIONS
(default 30) and SQUADBOARD_LOAD_DB (an existing bench database to copy instead of building
one) change the set-up. The figures are printed and written to test-artifacts/load-test.json.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from squadboard.bench import generate

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
TODAY = "2026-11-23"
SCALE = os.environ.get("SQUADBOARD_LOAD_SCALE", "large")
SESSIONS = int(os.environ.get("SQUADBOARD_LOAD_SESSIONS", "30"))
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CONTENT = f'{READY} [data-testid="stMainBlockContainer"] > div'
# A page not ready in five minutes under this load is a failure.
WAIT_MS = int(os.environ.get("SQUADBOARD_LOAD_WAIT_S", "300")) * 1000
GOAL_WRITERS, KUDOS_WRITERS = 5, 3  # kudos: a leader may give 5 a day


def _pages() -> list[tuple[str, str, str]]:
    """(file, title, audience) from app.py's PAGES table, read without running Streamlit."""
    tree = ast.parse((ROOT / "app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets
        ):
            return [(row[1], row[2], row[-1]) for row in ast.literal_eval(node.value)]
    raise AssertionError("app.py has no PAGES table")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> dict:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("load")
    path = folder / "bench.duckdb"
    scale = generate.SCALES[SCALE]
    given = os.environ.get("SQUADBOARD_LOAD_DB")
    if given:
        shutil.copy(given, path)
    else:
        generate.build(path, scale, generate.date.fromisoformat(TODAY))
    upload = folder / "deals_export.csv"
    generate.write_import_csv(path, upload, scale, generate.date.fromisoformat(TODAY))
    return {"path": path, "upload": upload, "folder": folder, "scale": scale}


@pytest.fixture(scope="module")
def server(org):
    port = _free_port()
    env = {**os.environ, "SQUADBOARD_DB": str(org["path"]), "SQUADBOARD_TODAY": TODAY}
    log_path = org["folder"] / "streamlit.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "localhost", "--server.headless", "true",
         "--server.maxUploadSize", "1000", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log_path.read_text()[-3000:]) from None
            time.sleep(0.5)
    yield {"url": url, "proc": proc, "log": log_path}
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


class Session:
    """One browser context: visits pages and records how long each took to become ready."""

    def __init__(self, number: int, page, url: str):
        self.number, self.page, self.url = number, page, url
        self.ready_s: list[tuple[str, float]] = []
        self.errors: list[str] = []
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    async def settle(self, what: str, started: float) -> None:
        """Wait until the script has finished and is still finished a moment later."""
        await self.page.wait_for_selector(CONTENT, timeout=WAIT_MS)
        self.ready_s.append((what, time.perf_counter() - started))
        await self.page.wait_for_timeout(700)
        await self.page.wait_for_selector(CONTENT, timeout=WAIT_MS)
        shown = await self.page.locator('[data-testid="stException"]').all_inner_texts()
        self.errors += [f"{what}: {text[:300]}" for text in shown]

    async def open(self) -> None:
        # Count the changes of the app's script state, to know that a run started after a click.
        started = time.perf_counter()
        await self.page.goto(self.url + "/", timeout=WAIT_MS)
        await self.settle("open", started)

    async def go(self, file: str, title: str) -> None:
        started = time.perf_counter()
        nav = self.page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first
        if await nav.get_attribute("aria-current") == "page":
            return  # already on it: a click would not run the page again
        before = await self.page.evaluate("location.pathname")
        await nav.click()
        await self.page.wait_for_function("p => location.pathname !== p", arg=before)
        await self.settle(title, started)


async def _browse(browser, url: str, number: int, pages: list, writes: dict) -> Session:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    session = Session(number, await context.new_page(), url)
    await asyncio.sleep(number * 0.3)  # people arrive over a few seconds, not all at once
    await session.open()
    try:
        await _visit(session, number, pages, writes)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        await session.page.screenshot(
            path=str(ARTIFACTS / f"load-failed-{number}.png"), full_page=True
        )
        raise
    await context.close()
    return session


async def _visit(session: Session, number: int, pages: list, writes: dict) -> None:
    # Writers are the default demo viewer, a leader: goals overwrite one another (the last one
    # stays, every one is in the audit log), each kudos is a row of its own.
    if number < GOAL_WRITERS:
        amount = 100_000 + 1_000 * number
        await session.go("pages/targets.py", "Targets")
        await session.page.get_by_label("My goal ($)").fill(str(amount))
        started = time.perf_counter()
        await session.page.get_by_label("My goal ($)").press("Enter")  # submits the form
        await session.page.get_by_text(f"${amount:,.0f}").first.wait_for(timeout=WAIT_MS)
        await session.settle("save goal", started)
        writes["goals"].append(float(amount))
    elif number < GOAL_WRITERS + KUDOS_WRITERS:
        message = f"load test thanks from session {number}"
        await session.go("pages/kudos.py", "Kudos")
        await session.page.get_by_label("Message").fill(message)
        await session.page.keyboard.press("Tab")
        await session.settle("type message", time.perf_counter())
        started = time.perf_counter()
        await session.page.get_by_role("button", name="Give kudos").click()
        await session.page.get_by_text("Kudos sent to").wait_for(timeout=WAIT_MS)
        await session.settle("give kudos", started)
        writes["kudos"].append(message)
    for file, title in pages:
        await session.go(file, title)


async def _import(browser, url: str, upload: Path) -> dict:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    session = Session(-1, await context.new_page(), url)
    await session.open()  # the default viewer is a leader
    await session.go("pages/imports.py", "Import")
    started = time.perf_counter()
    await session.page.locator('input[type="file"]').set_input_files(str(upload))
    await session.page.get_by_role("button", name="Import now").click(timeout=WAIT_MS)
    await session.page.get_by_text("Imported", exact=False).first.wait_for(timeout=WAIT_MS)
    took = time.perf_counter() - started
    await session.settle("import", started)
    await context.close()
    return {"upload_to_imported_s": took, "errors": session.errors}


async def _load(url: str, upload: Path) -> tuple[list[Session], dict, dict]:
    from playwright.async_api import async_playwright

    main = [(f, t) for f, t, who in _pages() if who == "all" and (ROOT / f).is_file()]
    writes: dict = {"goals": [], "kudos": []}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            leader = asyncio.create_task(_import(browser, url, upload))
            sessions = await asyncio.gather(
                *(_browse(browser, url, n, main, writes) for n in range(SESSIONS))
            )
            imported = await leader
        finally:
            await browser.close()
    return list(sessions), imported, writes


def test_thirty_sessions_while_a_leader_imports(org, server):
    started = time.perf_counter()
    sessions, imported, writes = asyncio.run(_load(server["url"], org["upload"]))
    wall = time.perf_counter() - started
    server["proc"].terminate()
    server["proc"].wait(60)

    errors = [e for s in sessions for e in s.errors] + imported["errors"]
    times = sorted(t for s in sessions for _, t in s.ready_s)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    con = duckdb.connect(str(org["path"]), read_only=True)
    try:
        goal_writes = con.execute(
            "select actor, count(*) from audit_log where action = 'set_goal' group by actor"
        ).fetchall()
        final_goal = con.execute(
            "select amount::double from quotas where kind = 'rep_goal' and owner_id = ? "
            "order by set_at desc limit 1",
            [goal_writes[0][0] if goal_writes else None],
        ).fetchone()
        kudos = {
            r[0]
            for r in con.execute(
                "select message from kudos where message like 'load test thanks%'"
            ).fetchall()
        }
        imported_rows = con.execute(
            "select rows_written from import_log order by import_id desc limit 1"
        ).fetchone()
    finally:
        con.close()
    report = {
        "scale": org["scale"].as_dict(),
        "sessions": len(sessions),
        "page_visits": len(times),
        "ready_p50_s": statistics.median(times),
        "ready_p95_s": p95,
        "ready_max_s": times[-1],
        "import_s": imported["upload_to_imported_s"],
        "wall_s": wall,
        "goals_saved": len(writes["goals"]),
        "kudos_written": len(writes["kudos"]),
        "errors": errors[:20],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-test.json").write_text(json.dumps(report, indent=1))
    print("\nload test:", json.dumps(report, indent=1))

    assert errors == []
    assert len(times) >= SESSIONS * 2
    assert [n for _, n in goal_writes] == [len(writes["goals"])]
    assert final_goal is not None and final_goal[0] in writes["goals"]
    assert kudos == set(writes["kudos"])
    assert imported_rows is not None and imported_rows[0] >= org["scale"].import_deals
