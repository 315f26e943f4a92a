"""The load driver (issue #19) against a real `streamlit run app.py`: simulated tabs speak
Streamlit's websocket protocol, open pages, change a widget and see the pages a browser sees;
N app processes behind nginx keep each tab on one process.

One app process on a tiny bench organisation for the module; nginx tests start their own pair
and need Debian's nginx (.ci/run installs it)."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest

from squadboard.bench import generate, load, replicas
from tests.conftest import TODAY

ENV = {"SQUADBOARD_TODAY": TODAY.isoformat()}
needs_nginx = pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)"
)


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("load") / "org.duckdb"
    generate.build(path, generate.SCALES["tiny"], TODAY)
    return path


@pytest.fixture(scope="module")
def app(org, tmp_path_factory):
    copy = tmp_path_factory.mktemp("app") / "app.duckdb"
    shutil.copyfile(org, copy)
    with replicas.serve([copy], env=ENV, log_dir=copy.parent / "logs") as served:
        yield served


def test_a_simulated_tab_opens_every_monday_page_and_changes_a_widget(app):
    pages = list(load.MONDAY_MIX)
    views = load.run_sessions(app.url, 2, pages, timeout=120)
    assert [v.error for v in views if v.error] == []
    opened = {(v.session, v.page) for v in views if v.action == "open"}
    assert opened == {(s, p) for s in (0, 1) for p in pages}
    # what a browser sees: each page's own title (the Squads page names the quarter)
    titles = {v.page: v.title for v in views if v.action == "open"}
    assert titles["squads"].startswith("Squads") and titles["leaderboards"]
    assert all(v.elements > 3 for v in views)
    # a select box of the page itself was changed, and the page ran again with it
    assert any(v.action == "widget" and v.ready_s is not None for v in views)


def test_an_unknown_page_is_a_page_of_its_own_not_a_hang(app):
    [view, *_] = load.run_sessions(app.url, 1, ["no_such_page"], change_widget=False)
    assert view.ready_s is not None and view.error is None
    assert view.elements >= 1  # the app's "no page at this address" message


def test_four_tabs_on_find_a_mentor_at_once_do_not_deadlock_the_server(app):
    # Before the fix, Polars map_elements callbacks in the page deadlocked the server's
    # threads within seconds under exactly this (every tab then timed out).
    found = load.level(app.url, 4, 8.0, ["mentor"], app.pids, timeout=45)
    assert found["failed"] == 0, found["errors"]
    assert found["ok"] >= 8
    after = load.run_sessions(app.url, 1, ["squads"], change_widget=False, timeout=45)
    assert after[0].error is None and after[0].ready_s is not None
    assert found["cpu_s_per_view"] > 0


def test_the_driver_refuses_any_host_but_this_machine():
    with pytest.raises(ValueError, match="this machine only"):
        load.run_sessions("http://example.com:8501", 1, ["squads"])
    with pytest.raises(ValueError, match="sessions"):
        load.run_sessions("http://127.0.0.1:1", 0, ["squads"])


def test_the_summary_reports_views_per_second_and_the_p95():
    views = [load.View(0, "a", "open", 0.0, ready_s=t / 10) for t in range(1, 21)]
    views.append(load.View(1, "b", "open", 0.0, error="boom"))
    found = load.summary(views, wall_s=10.0)
    assert (found["ok"], found["failed"], found["views_per_s"]) == (20, 1, 2.0)
    assert found["p95_s"] == pytest.approx(1.9) and found["max_s"] == pytest.approx(2.0)
    assert found["pages"]["b"]["failed"] == 1 and found["errors"] == ["boom"]


def _upstream(url: str, cookie: str | None) -> str:
    request = urllib.request.Request(f"{url}/_stcore/health")
    if cookie:
        request.add_header("Cookie", f"{load.ROUTE_COOKIE}={cookie}")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.headers["X-Squadboard-Upstream"]


@needs_nginx
def test_behind_nginx_a_tab_sticks_to_one_process_and_tabs_spread(org, tmp_path):
    copies = []
    for n in range(2):
        copies.append(tmp_path / f"app-{n}.duckdb")
        shutil.copyfile(org, copies[-1])
    with replicas.serve(copies, env=ENV, log_dir=tmp_path / "logs") as served:
        assert served.proxy is not None
        # a first request gets its route cookie; the same cookie always reaches one process
        with urllib.request.urlopen(f"{served.url}/", timeout=10) as first:
            set_cookie = first.headers["Set-Cookie"]
        assert set_cookie.startswith(f"{load.ROUTE_COOKIE}=")
        route = set_cookie.split(";")[0].split("=", 1)[1]
        assert len({_upstream(served.url, route) for _ in range(10)}) == 1
        # different tabs reach both processes
        reached = {_upstream(served.url, f"tab-{n}") for n in range(40)}
        assert reached == {f"127.0.0.1:{p}" for p in served.ports}
        # simulated tabs through the proxy (websocket upgrade) see every page, on both processes
        before = [load.cpu_seconds([pid]) for pid in served.app_pids]
        views = load.run_sessions(served.url, 6, ["squads", "targets"], timeout=120)
        assert [v.error for v in views if v.error] == []
        used = [load.cpu_seconds([pid]) - b for pid, b in zip(served.app_pids, before, strict=True)]
        assert min(used) > 0.2, used


def test_a_fresh_server_takes_many_first_views_at_once(org, tmp_path):
    # The first views of a new process import pandas, pyarrow and plotly: made by several
    # sessions' threads at once, Python once handed one of them a partly initialised pandas.
    copy = tmp_path / "fresh.duckdb"
    shutil.copyfile(org, copy)
    with replicas.serve([copy], env=ENV, log_dir=tmp_path / "logs") as served:
        found = load.level(served.url, 10, 1.0, None, served.pids, timeout=120)
    assert found["errors"] == [] and found["ok"] >= 10
