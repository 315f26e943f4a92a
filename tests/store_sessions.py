"""One app process of the shared-store concurrency test (tests/test_store_concurrency.py).

Run as `python -m tests.store_sessions PROCESS KUDOS GO_FILE DONE_FILE` with SQUADBOARD_DB set
to the lake: it opens five Streamlit sessions (AppTest, one thread each), each signed in as its
own rep; when GO_FILE appears every session gives KUDOS kudos through the Kudos page and saves
a goal through the Targets page. Then it waits for DONE_FILE (the import has committed) and
prints, as JSON, the squad totals this process served before and after, through ui.run and its
cache, so that the test sees whether the process noticed the import.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 5
PERIOD = {"period_start": "2026-10-01", "period_end": "2027-01-01", "as_of": "2026-11-23"}


def total(frame) -> str:
    return str(frame["credited"].sum())


def session(process: int, n: int, viewer: str, to_rep: str, kudos: int, go: Path, out: list):
    try:
        _session(process, n, viewer, to_rep, kudos, go, out)
    except BaseException:  # reported to the test, which fails on it
        out.append({"viewer": viewer, "what": "session", "ok": False,
                    "errors": [traceback.format_exc()]})


def _session(process: int, n: int, viewer: str, to_rep: str, kudos: int, go: Path, out: list):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["viewer_id"] = viewer
    at.run()
    at.switch_page("pages/kudos.py").run()
    while not go.exists():
        time.sleep(0.05)
    for k in range(kudos):
        at.selectbox(key="kudos_to").set_value(to_rep)
        at.selectbox(key="kudos_category").set_value("helped close")
        at.text_area(key="kudos_message").input(f"p{process} s{n} k{k}")
        at.button(key="give_kudos").click().run()
        errors = [e.value for e in at.error] + [str(e.value) for e in at.exception]
        ok = any("Kudos sent" in s.value for s in at.success)
        out.append({"viewer": viewer, "what": "kudos", "ok": ok, "errors": errors})
    at.switch_page("pages/targets.py").run()
    options = at.selectbox(key="goal_period").options
    at.selectbox(key="goal_period").set_value(options[-1])
    at.number_input(key="goal").set_value(100_000.0 + 1_000 * (10 * process + n))
    at.button[0].click().run()
    errors = [e.value for e in at.error] + [str(e.value) for e in at.exception]
    ok = any("Saved your goal" in s.value for s in at.success)
    out.append({"viewer": viewer, "what": "goal", "ok": ok, "errors": errors})


def main() -> None:
    process, kudos = int(sys.argv[1]), int(sys.argv[2])
    go, done = Path(sys.argv[3]), Path(sys.argv[4])
    from squadboard import db, ui

    reps = (
        db.run(ui.con(), "roster", as_of="2026-11-23")
        .filter("active")
        .sort("rep_id")["rep_id"]
        .to_list()
    )
    before = total(ui.run("squad_attainment", **PERIOD))
    out: list[dict] = []
    threads = []
    for n in range(SESSIONS):
        i = process * SESSIONS + n
        viewer, to_rep = reps[i % len(reps)], reps[(i + 1) % len(reps)]
        t = threading.Thread(target=session, args=(process, n, viewer, to_rep, kudos, go, out))
        t.start()
        threads.append(t)
    print(json.dumps({"ready": True}), flush=True)
    for t in threads:
        t.join()
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
