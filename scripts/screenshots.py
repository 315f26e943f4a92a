"""Screenshots of the running dashboard for the README, taken by Debian's Chromium.

    python scripts/screenshots.py [--url http://localhost:8501] [--out docs/img]

Start the app first (`streamlit run app.py`); pages are visited by their URL path. In demo mode,
`--viewer "Tom Becker"` picks who is looking in the sidebar first and then opens every page by
its link in the sidebar, so that the whole visit is that person's session.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {"my_squad": "/my_squad", "squads": "/squads", "targets": "/targets"}
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _titles() -> dict[str, str]:
    """URL path -> the page's title in the sidebar, from app.py's PAGES table."""
    app = Path(__file__).resolve().parent.parent / "app.py"
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            return {"/" + Path(row[1]).stem: row[2] for row in ast.literal_eval(node.value)}
    raise SystemExit("app.py has no PAGES table")


def _settle(page) -> None:
    # Twice: "/" runs once to send the viewer on to their home page, which then runs.
    for _ in range(2):
        page.wait_for_timeout(500)
        page.wait_for_selector(READY, timeout=60_000)
        page.wait_for_timeout(1500)  # let charts finish drawing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:8501")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--page", action="append", help="name=/path (default: every page)")
    parser.add_argument("--viewer", help="demo mode: the roster name to view as")
    args = parser.parse_args()
    pages = dict(p.split("=", 1) for p in args.page) if args.page else PAGES
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        if args.viewer:
            page.goto(args.url)
            _settle(page)
            picker = page.get_by_role("combobox", name="Viewing as (demo mode)")
            picker.click()
            page.wait_for_timeout(500)
            page.keyboard.type(args.viewer, delay=50)
            page.wait_for_timeout(500)
            page.keyboard.press("Enter")
            _settle(page)
            chosen = picker.input_value()
            if not chosen.startswith(args.viewer):
                raise SystemExit(f"could not pick {args.viewer!r} in the sidebar (got {chosen!r})")
        for name, path in pages.items():
            if args.viewer:
                # by its title in the sidebar, so that the visit stays in this session
                nav = page.get_by_test_id("stSidebarNav")
                nav.get_by_role("link", name=_titles()[path], exact=True).click()
            else:
                page.goto(args.url + path)
            _settle(page)
            # Streamlit scrolls inside its main block: grow the window to the content instead.
            height = page.evaluate(
                "document.querySelector('[data-testid=stMainBlockContainer]')?.scrollHeight"
            )
            page.set_viewport_size({"width": 1400, "height": max(1000, (height or 0) + 120)})
            _settle(page)
            page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
            page.set_viewport_size({"width": 1400, "height": 1000})
            print(args.out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
