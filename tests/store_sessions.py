"""One app process of the shared-store concurrency test (tests/test_store_concurrency.py).

Run as `python -m tests.store_sessions PROCESS KUDOS GO_FILE DONE_FILE [SESSIONS]` with
SQUADBOARD_DB set to the lake, or to the DuckDB file (the embedded default: then this process
holds the file and a command-line import runs in it, squadboard/handoff.py): it opens five
(or SESSIONS) Streamlit sessions (AppTest), each signed in as its own rep; when
GO_FILE appears every session gives KUDOS kudos through the Kudos page and saves a goal
through the Targets page. Then it waits for DONE_FILE (the import has committed) and
prints, as JSON, the squad totals this process served before and after, through ui.run and its
cache, so that the test sees whether the process noticed the import.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 5
PERIOD = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": "2026-11-23"}


def total(frame) -> str:
    return str(frame["credited"].sum())


def open_session(viewer: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["viewer_id"] = viewer
    at.run()
    return at.switch_page("pages/kudos.py").run()


def attempt(out: list, viewer: str, what: str, action) -> None:
    """Run one write through a page; what the page showed, or the traceback, goes to out."""
    try:
        ok, errors = action()
    except BaseException:  # reported to the test, which fails on it
        ok, errors = False, [traceback.format_exc()]
    out.append({"viewer": viewer, "what": what, "ok": ok, "errors": errors})


def shown_errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]


def give(at: AppTest, to_rep: str, message: str):
    at.selectbox(key="kudos_to").set_value(to_rep)
    at.selectbox(key="kudos_category").set_value("helped close")
    at.text_area(key="kudos_message").input(message)
    at.button(key="give_kudos").click().run()
    return any("Kudos sent" in s.value for s in at.success), shown_errors(at)


def save_goal(at: AppTest, amount: float):
    at.switch_page("pages/targets.py").run()
    options = at.selectbox(key="goal_period").options
    at.selectbox(key="goal_period").set_value(options[-1])
    at.number_input(key="goal").set_value(amount)
    next(b for b in at.button if b.label == "Save my goal").click().run()
    ok = any("Saved your goal" in s.value for s in at.success)
    errors = shown_errors(at)
    return ok, errors + ([] if ok else [f"no confirmation; shown: {[s.value for s in at.success]}"])


def main() -> None:
    process, kudos = int(sys.argv[1]), int(sys.argv[2])
    go, done = Path(sys.argv[3]), Path(sys.argv[4])
    sessions_count = int(sys.argv[5]) if len(sys.argv) > 5 else SESSIONS
    from squadboard import db, ui

    reps = (
        db.run(ui.con(), "roster", as_of="2026-11-23")
        .filter("active")
        .sort("rep_id")["rep_id"]
        .to_list()
    )
    before = total(ui.run("squad_attainment", **PERIOD))
    out: list[dict] = []
    # Five sessions of this process, open side by side; AppTest is not thread-safe, so they
    # take turns: each round every session makes one write while the import runs.
    viewers = [reps[(process * SESSIONS + n) % len(reps)] for n in range(sessions_count)]
    targets = [reps[(process * SESSIONS + n + 1) % len(reps)] for n in range(sessions_count)]
    sessions = [open_session(v) for v in viewers]
    print(json.dumps({"ready": True}), flush=True)
    while not go.exists():
        time.sleep(0.05)
    for k in range(kudos):
        for n, at in enumerate(sessions):
            message = f"p{process} s{n} k{k}"
            attempt(out, viewers[n], "kudos", lambda: give(at, targets[n], message))  # noqa: B023
    for n, at in enumerate(sessions):
        amount = 100_000.0 + 1_000 * (10 * process + n)
        attempt(out, viewers[n], "goal", lambda: save_goal(at, amount))  # noqa: B023
    while not done.exists():
        time.sleep(0.1)
    deadline = time.monotonic() + 30
    after = total(ui.run("squad_attainment", **PERIOD))
    while after == before and time.monotonic() < deadline:
        time.sleep(0.5)
        after = total(ui.run("squad_attainment", **PERIOD))
    print(json.dumps({"before": before, "after": after, "writes": out}), flush=True)


if __name__ == "__main__":
    main()
