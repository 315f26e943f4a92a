"""Two app processes behind nginx (deploy/nginx.conf.template, issue #19), in a real browser:
a leader signs in through the identity provider by the proxy's address, uploads a file through
the Import page's widget, imports it and downloads the Squads table as CSV and Excel. Streamlit
keeps an upload and a download in the memory of one process, so every request of the browser
must reach that process: the test reads the proxy's X-Squadboard-Upstream header on every
response and checks that the import landed in that process's database alone."""

from __future__ import annotations

import csv
import io
import secrets
import shutil
from contextlib import contextmanager

import duckdb
import polars as pl
import pytest

from squadboard import db, demo
from squadboard.bench import load, replicas
from tests.browser.conftest import Visit, sign_in
from tests.conftest import TODAY

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed"),
]

LEADER = "maya.chen@squadboard.example"
AMOUNT = 123_456


@contextmanager
def two_processes(idp, demo_file, folder):
    """Two processes, each on its own copy of the demo organisation, behind nginx, with
    sign-in whose redirect address is the proxy's; stopped on leaving."""
    copies = []
    for n in range(2):
        copies.append(folder / f"app-{n}.duckdb")
        shutil.copyfile(demo_file, copies[-1])
    port = replicas.free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "squadboard-replica-tests"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n'
    )
    with replicas.serve(
        copies,
        port=port,
        env={"SQUADBOARD_TODAY": TODAY.isoformat()},
        log_dir=folder / "logs",
        options={"secrets.files": str(secrets_file)},
    ) as served:
        assert served.proxy is not None and served.url == f"http://127.0.0.1:{port}"
        yield served, copies


def _squads_csv(visit: Visit) -> tuple[bytes, list[dict]]:
    visit.open("/")
    with visit.page.expect_download() as download:
        visit.page.get_by_role("button", name="Download CSV").first.click()
    data = download.value.path().read_bytes()
    return data, list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _upload_import_and_download(browser, url: str, tmp_path) -> list[tuple[str, str, str]]:
    """Sign in, download the Squads CSV, upload and import a won deal, download the CSV and
    the Excel file again; returns (method, url, X-Squadboard-Upstream) of every response."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    answered: list[tuple[str, str, str]] = []
    context.on(
        "response",
        lambda r: (
            answered.append(
                (r.request.method, r.url, r.headers.get("x-squadboard-upstream", "none"))
            )
            if r.url.startswith(url)
            else None
        ),
    )
    try:
        visit = sign_in(context, url, LEADER)
        route = {c["name"]: c["value"] for c in context.cookies()}[load.ROUTE_COOKIE]
        raw_before, before = _squads_csv(visit)
        assert raw_before.startswith(b"\xef\xbb\xbf") and before  # a spreadsheet's CSV, rows

        deals = tmp_path / "deals.csv"
        deals.write_text(
            "deal_id,name,account,product,owner_id,stage,status,amount,probability,"
            "created_date,close_date\n"
            f"PROXY-1,Proxy win,Acme,Atlas Core,tom.becker,Closed Won,won,{AMOUNT},100,"
            "2026-10-01,2026-11-02\n"
        )
        visit.open("/imports")
        uploader = visit.page.locator('[data-testid="stFileUploader"] input[type="file"]')
        uploader.set_input_files(deals)
        visit.page.get_by_text("Valid. Ready to write").wait_for()
        visit.page.get_by_role("button", name="Import now").click()
        visit.page.get_by_text("Imported 1 deals").wait_for()
        visit.settle()
        visit.screenshot("imports-behind-nginx")
        assert visit.exceptions() == [] and visit.errors == []

        # the downloads, made by the process that holds the session, carry the import
        _raw, after = _squads_csv(visit)
        assert [r["squad"] for r in after] == [r["squad"] for r in before]
        total_before = sum(float(r["credited"]) for r in before)
        assert sum(float(r["credited"]) for r in after) - total_before == pytest.approx(AMOUNT)
        with visit.page.expect_download() as download:  # Excel: made on the click, then fetched
            visit.page.get_by_role("button", name="Download Excel").first.click()
        assert download.value.suggested_filename.endswith(".xlsx")
        sheet = pl.read_excel(download.value.path())
        assert sheet["squad"].to_list() == [r["squad"] for r in after]
        assert sheet["credited"].sum() == pytest.approx(sum(float(r["credited"]) for r in after))
        assert {c["name"]: c["value"] for c in context.cookies()}[load.ROUTE_COOKIE] == route
    finally:
        context.close()
    return answered


def test_a_leader_uploads_imports_and_downloads_through_nginx_on_one_process(
    browser, idp, tmp_path
):
    demo_file = tmp_path / "demo.duckdb"  # a file each process copies, whatever the suite's store
    connection = db.connect(demo_file)
    demo.load(connection, seed=7, today=TODAY)
    connection.close()
    with two_processes(idp, demo_file, tmp_path) as (served, copies):
        answered = _upload_import_and_download(browser, served.url, tmp_path)
        processes = [f"127.0.0.1:{p}" for p in served.ports]

    # every response came from one process, the upload and the downloads' files among them
    upstreams = {upstream for _method, _url, upstream in answered}
    assert len(upstreams) == 1 and upstreams <= set(processes), upstreams
    assert any(m == "PUT" and "/_stcore/upload_file/" in u for m, u, _ in answered), answered
    assert sum("/media/" in u for _m, u, _ in answered) >= 3, answered  # CSV twice, Excel

    # and that process wrote the import into its own database; the other one saw nothing
    written = {}
    for process, copy in zip(processes, copies, strict=True):
        with duckdb.connect(str(copy), read_only=True) as con:
            query = "select count(*) from deals where source_id = 'PROXY-1'"
            written[process] = con.execute(query).fetchone()[0]
    assert written == {process: int(process in upstreams) for process in processes}
