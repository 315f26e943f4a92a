"""Walk pages the way an attacker reads them: every table on screen and every download a page
made, as rows. Shared by the board-naming and pool-money tests (tests/test_visibility.py,
tests/test_pools.py); new pages are covered as soon as they are in app.py's PAGES table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tests.browser.support import pages_table

ROOT = Path(__file__).resolve().parent.parent


def capture_downloads(monkeypatch) -> list[bytes]:
    """Every file a page hands to a download button from now on (the CSV is made with the
    page; the Excel file only on a click, and holds the same rows)."""
    blobs: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes) and mimetype == "text/csv":
            blobs.append(path_or_data)
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return blobs


def csv_rows(blob: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(blob.decode("utf-8-sig"))))


def open_page(viewer_id: str, page: str, **query: str) -> AppTest:
    """`page` (a file of app.py's PAGES) through app.py, as the demo picker's `viewer_id`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["viewer_id"] = viewer_id
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(page).run()


def page_files() -> list[str]:
    return [row[1] for row in pages_table()]


def tables(at: AppTest, blobs: list[bytes]) -> list[pl.DataFrame]:
    """Every table on the page and in its downloads, every cell as text."""
    found = []
    for frame in at.dataframe:
        found.append(pl.from_pandas(frame.value.reset_index(drop=True).astype(str)))
    for blob in blobs:
        rows = csv_rows(blob)
        if rows:
            found.append(pl.DataFrame(rows).cast(pl.String))
    return found
