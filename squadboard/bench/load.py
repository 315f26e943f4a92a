"""A load driver that costs the server, not the client (issue #19).

Each simulated session speaks Streamlit's own websocket protocol, with the protobuf messages the
`streamlit` package ships: it connects to `/_stcore/stream` as a browser tab does, asks for a
page (a `rerun_script` back message naming the page's URL path), changes a widget the page drew
(a select box to its next option) and waits until the script run has finished. Time to ready is
from the request to the `script_finished` message; a run that drew an exception, or a page the
server did not find, is a failed view. A session costs the client a few milliseconds of parsing
per view, so one driver process can keep many app processes busy on the same machine.

Localhost only, bounded in sessions and time: `run_sessions` refuses anything but a loopback
host and gives up after `deadline_s`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
ROUTE_COOKIE = "squadboard_route"  # the proxy's sticky-session cookie (deploy/nginx.conf)
MAX_SESSIONS = 2_000
FINISHED = ForwardMsg.ScriptFinishedStatus
# The Monday mix (issue #19): what people open on a Monday morning, by weight.
MONDAY_MIX = {
    "my_squad": 4,
    "squads": 2,
    "targets": 2,
    "leaderboards": 2,
    "meeting": 1,
    "mentor": 1,
}


@dataclass
class View:
    """One page view: what was asked, how long until the run finished, what it drew."""

    session: int
    page: str
    action: str  # "open" or "widget"
    started: float  # seconds since the run began
    ready_s: float | None = None
    elements: int = 0
    title: str | None = None  # the page's first heading, to compare with a real browser
    error: str | None = None


@dataclass
class _Page:
    """What a finished run drew that a later request needs: the select boxes to change."""

    selectboxes: list = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    elements: int = 0
    error: str | None = None


def _rerun(page: str, widgets: list[WidgetState], base: str) -> bytes:
    msg = BackMsg(
        rerun_script=ClientState(
            query_string="",
            page_name=page,
            page_script_hash="",
            widget_states=WidgetStates(widgets=widgets),
            context_info=ContextInfo(
                timezone="UTC", timezone_offset=0, locale="en-GB", url=f"{base}/{page}"
            ),
        )
    )
    return msg.SerializeToString()


async def _until_finished(ws, timeout: float) -> _Page:
    """Read forward messages until the script run ends; what it drew back."""
    drawn = _Page()
    while True:
        data = await asyncio.wait_for(ws.recv(), timeout)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            drawn.elements += 1
            what = element.WhichOneof("type")
            if what == "exception":
                drawn.error = f"{element.exception.type}: {element.exception.message}"[:300]
            elif what == "heading":
                drawn.headings.append(element.heading.body)
            elif what == "selectbox" and len(element.selectbox.options) > 1:
                if msg.metadata.delta_path[:1] == [1]:
                    continue  # the sidebar's (demo mode: who is looking): not the page's own
                drawn.selectboxes.append(element.selectbox)
        elif kind == "page_not_found":
            drawn.error = f"page not found: {msg.page_not_found.page_name}"
        elif kind == "script_finished":
            status = msg.script_finished
            if status == FINISHED.FINISHED_EARLY_FOR_RERUN:
                continue  # a rerun the page asked for itself: the next run's end counts
            if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                drawn.error = drawn.error or "the page failed to compile"
            return drawn


def _next_option(box) -> WidgetState:
    options = list(box.options)
    current = box.raw_value if box.HasField("raw_value") else None
    if current is None and box.default:
        current = options[box.default[0]] if box.default[0] < len(options) else None
    later = [o for o in options if o != current]
    return WidgetState(id=box.id, string_value=later[0])


async def session(
    n: int,
    url: str,
    pages: list[str],
    *,
    change_widget: bool,
    clock: float,
    timeout: float,
    views: list[View],
    until: float | None = None,
    stop: threading.Event | None = None,
) -> None:
    """One browser tab: each page in turn, then (optionally) its first select box changed;
    with `until` (a perf_counter time), round the pages again until then."""
    base = url.rstrip("/")
    parts = urlsplit(base)
    stream = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}{parts.path}"
    stream += "/_stcore/stream"
    # A browser behind the proxy carries the route cookie the proxy set on its first request;
    # a simulated tab sets its own, so that its websocket sticks to one app process.
    cookie = {"Cookie": f"{ROUTE_COOKIE}=load-{n}-{random.getrandbits(32):08x}"}
    async with websockets.connect(
        stream,
        subprotocols=["streamlit"],
        max_size=None,
        additional_headers=cookie,
        open_timeout=timeout,
        # No keepalive pings: a browser sends none, and a server busy for 20 s (the large
        # scale, an import running) would have the tab drop the connection as dead
        # ("keepalive ping timeout"), which no user sees. Every wait below is bounded.
        ping_interval=None,
    ) as ws:
        for page in pages if until is None else itertools.cycle(pages):
            if until is not None and time.perf_counter() >= until:
                return
            if stop is not None and stop.is_set():
                return
            widgets: list[WidgetState] = []
            drawn = _Page()
            actions = ["open", "widget"] if change_widget else ["open"]
            for action in actions:
                if action == "widget":
                    if not drawn.selectboxes:
                        break
                    widgets = [_next_option(drawn.selectboxes[0])]
                view = View(n, page, action, time.perf_counter() - clock)
                started = time.perf_counter()
                try:
                    await ws.send(_rerun(page, widgets, base))
                    drawn = await _until_finished(ws, timeout)
                    view.ready_s = time.perf_counter() - started
                    view.elements, view.error = drawn.elements, drawn.error
                    view.title = drawn.headings[0] if drawn.headings else None
                except (TimeoutError, websockets.ConnectionClosed) as exc:
                    # which page, and how long it waited: a timeout says nothing by itself
                    said = str(exc) or f"no message from the server for {timeout:.0f} s"
                    waited = time.perf_counter() - started
                    view.error = (
                        f"{type(exc).__name__}: {said} ({page}, {action}, asked "
                        f"{view.started:.0f} s into the run, after {waited:.0f} s)"
                    )[:300]
                    drawn = _Page()
                views.append(view)
                if view.error and view.ready_s is None:
                    return


def _local_only(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"the load driver runs against this machine only, not {host!r}")


def monday_pages(count: int, seed: int, mix: dict[str, int] = MONDAY_MIX) -> list[str]:
    """`count` pages drawn from the Monday mix (deterministic for a seed)."""
    pick = random.Random(seed)
    return pick.choices(list(mix), weights=list(mix.values()), k=count)


async def _run(
    url: str,
    sessions: int,
    pages_of: list[list[str]],
    *,
    change_widget: bool,
    arrival_s: float,
    timeout: float,
    deadline_s: float,
) -> list[View]:
    views: list[View] = []
    clock = time.perf_counter()

    async def start(n: int) -> None:
        await asyncio.sleep(arrival_s * n / max(sessions, 1))  # arrivals spread evenly
        await session(n, url, pages_of[n], change_widget=change_widget, clock=clock,
                      timeout=timeout, views=views)  # fmt: skip

    tasks = [asyncio.create_task(start(n)) for n in range(sessions)]
    done, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            views.append(View(-1, "?", "connect", 0.0, error=repr(task.exception())[:300]))
    return views


def run_sessions(
    url: str,
    sessions: int,
    pages: list[str] | None = None,
    *,
    views_per_session: int = 3,
    change_widget: bool = True,
    arrival_s: float = 0.0,
    timeout: float = 120.0,
    deadline_s: float = 900.0,
    seed: int = 1,
) -> list[View]:
    """`sessions` simulated tabs against the app at `url` (loopback only). Each opens `pages`
    in turn, or `views_per_session` pages of the Monday mix; arrivals spread over `arrival_s`."""
    _local_only(url)
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS:,}")
    pages_of = [list(pages) if pages else monday_pages(views_per_session, seed + n)
                for n in range(sessions)]  # fmt: skip
    return asyncio.run(
        _run(
            url,
            sessions,
            pages_of,
            change_widget=change_widget,
            arrival_s=arrival_s,
            timeout=timeout,
            deadline_s=deadline_s,
        )  # fmt: skip
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes (and their finished children) have used."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def level(
    url: str,
    concurrency: int,
    duration_s: float,
    pages: list[str] | None,
    pids: list[int],
    *,
    seed: int = 1,
    timeout: float = 60.0,
    stop: threading.Event | None = None,
) -> dict:
    """`concurrency` tabs, each viewing pages back to back (open, then a widget change) for
    `duration_s` or until `stop` is set: views per second, time to ready, the servers' CPU
    seconds per view."""
    _local_only(url)
    pages_of = [list(pages) if pages else monday_pages(50, seed + n) for n in range(concurrency)]
    cpu = cpu_seconds(pids)

    async def go() -> list[View]:
        views: list[View] = []
        clock = time.perf_counter()
        until = clock + duration_s
        await asyncio.wait(
            [
                asyncio.create_task(
                    session(
                        n,
                        url,
                        pages_of[n],
                        change_widget=True,
                        clock=clock,
                        timeout=timeout,
                        views=views,
                        until=until,
                    )  # fmt: skip
                )
                for n in range(concurrency)
            ],
            timeout=duration_s + timeout,
        )
        return views

    started = time.perf_counter()
    views = asyncio.run(go())
    wall = time.perf_counter() - started
    used = cpu_seconds(pids) - cpu
    found = summary(views, wall)
    found |= {"concurrency": concurrency, "cpu_s": used,
              "cpu_s_per_view": used / found["ok"] if found["ok"] else None}  # fmt: skip
    return found


def capacity(
    url: str,
    pids: list[int],
    pages: list[str] | None = None,
    *,
    levels: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64),
    duration_s: float = 30.0,
    p95_limit_s: float = 2.0,
    echo=print,
) -> dict:
    """Raise the number of busy tabs until the p95 time to ready passes `p95_limit_s`: the
    capacity is the most views per second seen within it."""
    steps = []
    for concurrency in levels:
        found = level(url, concurrency, duration_s, pages, pids)
        steps.append(found)
        p95 = found["p95_s"]
        echo(
            f"  {concurrency:>3} busy tabs: {found['ok']:>5} views, "
            f"{found['views_per_s'] or 0:6.2f} views/s, p95 {p95 or float('nan'):6.2f} s, "
            f"{found['cpu_s_per_view'] or float('nan'):.3f} CPU s per view, {found['failed']} failed"
        )
        if found["failed"] or p95 is None or p95 > p95_limit_s:
            break
    within = [s for s in steps if not s["failed"] and s["p95_s"] is not None
              and s["p95_s"] <= p95_limit_s]  # fmt: skip
    best = max(within, key=lambda s: s["views_per_s"], default=None)
    return {
        "url": url,
        "pages": pages or "monday mix",
        "p95_limit_s": p95_limit_s,
        "steps": steps,
        "views_per_s": best["views_per_s"] if best else 0.0,
        "at_concurrency": best["concurrency"] if best else None,
        "cpu_s_per_view": best["cpu_s_per_view"] if best else None,
    }


def summary(views: list[View], wall_s: float) -> dict:
    """Views per second, time to ready (median, p95, max), failures; per page too."""

    def stats(rows: list[View]) -> dict:
        ready = sorted(v.ready_s for v in rows if v.ready_s is not None and not v.error)
        return {
            "views": len(rows),
            "ok": len(ready),
            "failed": len(rows) - len(ready),
            "median_s": statistics.median(ready) if ready else None,
            "p95_s": ready[max(0, round(0.95 * len(ready)) - 1)] if ready else None,
            "max_s": ready[-1] if ready else None,
        }

    out = stats(views) | {"wall_s": wall_s}
    out["views_per_s"] = out["ok"] / wall_s if wall_s else None
    out["pages"] = {
        p: stats([v for v in views if v.page == p]) for p in sorted({v.page for v in views})
    }
    out["errors"] = sorted({v.error for v in views if v.error})[:10]
    out["titles"] = {v.page: v.title for v in views if v.title and v.action == "open"}
    return out
