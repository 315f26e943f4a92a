"""Real-browser fixtures: the app and an OpenID Connect provider on free local ports, driven by
Debian's Chromium through Playwright.

- `idp`: oidc-provider-mock (any client id and secret; its login form takes a `sub`, which
  becomes the `email` claim), one per test session.
- `app_url`: `streamlit run app.py` with OIDC sign-in against `idp`, a private copy of the demo
  database and SQUADBOARD_TODAY pinned; one server per session.
- `browser`: headless Chromium; `signed_in(email)`: a browser context signed in as that person
  through the provider's form, kept for the session (contexts are cheap, sign-ins are not).
- `visit(page, path)`: open a URL path, wait until the script has finished, and return the
  console errors seen meanwhile. Screenshots go to test-artifacts/ (gitignored).

Skips, saying why, only when /usr/bin/chromium is missing (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.support import plant_hostile_rows

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _wait_http(url: str, seconds: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {seconds} s")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed: run `sudo apt-get install chromium` once "
            "(README, Tests) to run the browser tests"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def idp(chromium_path) -> str:
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(port=_free_port()) as server:
        yield f"http://localhost:{server.server_port}"


def _private_db(demo_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "squadboard.duckdb"
    shutil.copy(demo_file, path)
    plant_hostile_rows(path)  # every page is also checked for script that must not run
    return path


def _serve(db_path: Path, folder: Path, secrets_text: str, port: int):
    """Start `streamlit run app.py`; returns (url, process, log file)."""
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(secrets_text)  # only this file: never the developer's own
    env = {
        **os.environ,
        "SQUADBOARD_DB": str(db_path),
        "SQUADBOARD_TODAY": "2026-11-23",
        "PYTHONUNBUFFERED": "1",
    }
    log = (folder / "streamlit.log").open("w")
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "localhost", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false", "--secrets.files", str(secrets_file)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        _wait_http(f"{url}/_stcore/health", 60, proc)
    except Exception:
        _stop(proc, log)
        raise
    return url, proc, log


def _stop(proc: subprocess.Popen, log) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    print(Path(log.name).read_text()[-3000:])


@pytest.fixture(scope="session")
def app_url(idp, demo_file, tmp_path_factory) -> str:
    """The app with OpenID Connect sign-in against `idp`."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("oidc-app")
    secrets_text = (
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "squadboard-browser-tests"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n'
    )
    db_path = _private_db(demo_file, tmp_path_factory)
    url, proc, log = _serve(db_path, folder, secrets_text, port)
    yield url
    _stop(proc, log)


@pytest.fixture(scope="session")
def demo_url(chromium_path, demo_file, tmp_path_factory) -> str:
    """The app with no sign-in configured: demo mode."""
    folder = tmp_path_factory.mktemp("demo-app")
    db_path = _private_db(demo_file, tmp_path_factory)
    url, proc, log = _serve(db_path, folder, "# no sign-in: demo mode\n", _free_port())
    yield url
    _stop(proc, log)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(chromium_path), args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Visit:
    """A page and what the browser reported while it loaded."""

    def __init__(self, context, app_url: str):
        self.page = context.new_page()
        self.page.set_default_timeout(60_000)
        self.app_url = app_url
        self.errors: list[str] = []
        self._hrefs: dict[str, str] | None = None
        self.page.on("console", self._console)
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message) -> None:
        url = message.location.get("url") or ""
        # Streamlit's own start-up probe: opened at /<page>, the frontend first asks
        # /<page>/_stcore/health and host-config to find its base path, gets a 404 and
        # falls back to /. Not an error of the app; anything else is.
        probe = url.endswith(("/_stcore/health", "/_stcore/host-config"))
        if message.type == "error" and not (probe and "404" in message.text):
            self.errors.append(f"{message.text} ({url})")

    def open(self, path: str) -> Visit:
        self.errors.clear()
        self.page.goto(self.app_url + path)
        return self.settle()

    def settle(self) -> Visit:
        """Wait until the script has run to its end and stayed there for a moment."""
        for _ in range(2):
            self.page.wait_for_selector(f'{READY} [data-testid="stMainBlockContainer"] > div')
            self.page.wait_for_timeout(700)
        return self

    def nav_href(self, title: str) -> str | None:
        """The URL path of the sidebar's link to a page (its home page's link is /).

        Read once per visitor: the links depend only on who is signed in."""
        if self._hrefs is None:
            self.open("/")
            view_more = self.page.get_by_test_id("stSidebarNavViewButton")
            if view_more.count() and "more" in view_more.inner_text().lower():
                view_more.click()
            self._hrefs = {}
            for link in self.page.get_by_test_id("stSidebarNavLink").all():
                href = link.get_attribute("href") or "/"
                path = "/" + href.removeprefix(self.app_url).lstrip("/")
                self._hrefs[link.inner_text().strip()] = path
        # A link's text starts with its icon's ligature name (e.g. "leaderboard\nSquads").
        found = [path for text, path in self._hrefs.items() if text.split()[-1:] == [title]]
        found += [path for text, path in self._hrefs.items() if text.endswith(title)]
        return found[0] if found else None

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def script_ran(self) -> object:
        """What injected script set, if any ran (tests/browser/support.py HTML)."""
        return self.page.evaluate("window.__xss")

    def exceptions(self) -> list[str]:
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def text(self) -> str:
        return self.page.locator('[data-testid="stApp"]').inner_text()


def sign_in(context, app_url: str, email: str) -> Visit:
    """Sign in through the provider's own login form, as a person would."""
    visit = Visit(context, app_url).open("/")
    visit.page.get_by_role("button", name="Sign in").click()
    visit.page.wait_for_selector('input[name="sub"]')
    visit.page.fill('input[name="sub"]', email)
    visit.page.get_by_role("button", name="Authorize").click()
    visit.page.wait_for_url(f"{app_url}/**")
    return visit.settle()


@pytest.fixture(scope="session")
def signed_in(browser, app_url):
    """signed_in(email) -> a Visit in a browser context signed in as that person."""
    contexts: dict[str, Visit] = {}

    def get(email: str) -> Visit:
        if email not in contexts:
            context = browser.new_context(
                viewport={"width": 1400, "height": 1000}, accept_downloads=True
            )
            contexts[email] = sign_in(context, app_url, email)
        return contexts[email]

    yield get
    for visit in contexts.values():
        visit.page.context.close()


@pytest.fixture(scope="session")
def demo_visit(browser, demo_url):
    """A browser in the demo-mode app (it opens as the first leader of the roster)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield Visit(context, demo_url)
    context.close()
