"""Screenshots of the running dashboard for the README, taken by Debian's Chromium.

    python scripts/screenshots.py [--url http://localhost:8501] [--out docs/img]

Start the app first (`streamlit run app.py`); pages are visited by their URL path.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {"squads": "/squads"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:8501")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--page", action="append", help="name=/path (default: every page)")
    args = parser.parse_args()
    pages = dict(p.split("=", 1) for p in args.page) if args.page else PAGES
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for name, path in pages.items():
            page.goto(args.url + path)
            page.wait_for_selector(
                '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=30_000
            )
            page.wait_for_timeout(1500)  # let charts finish drawing
            page.screenshot(path=str(args.out / f"{name}.png"), full_page=True)
            print(args.out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
