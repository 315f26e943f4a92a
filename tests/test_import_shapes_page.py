"""The Import page's side of issue #17 through AppTest: the unit of a quota sheet, the units
warning that needs a confirmation, and the mapping step for order lines and headerless dumps
with the first 20 mapped rows and the totals shown before anything is written."""

from __future__ import annotations

from squadboard import ui
from tests.test_pages import open_app


def _leader_on_imports():
    at = open_app("maya.chen")
    at.switch_page("pages/imports.py").run()
    assert not at.exception
    return at


def _cur():
    return ui.con().cursor()


def _thousands_sheet() -> str:
    """The demo squads' Q4 base quotas, written in thousands of dollars."""
    rows = (
        _cur()
        .execute(
            "select s.name, q.amount / 1000 from quotas as q join squads as s on s.squad_id = q.owner_id "
            "where q.kind = 'squad_base' and q.period_start = date '2026-10-01' order by 1"
        )
        .fetchall()
    )
    assert len(rows) >= 3
    return "Owner,Period,Quota\n" + "".join(f"{n},2026-Q4,{a:g}\n" for n, a in rows)


def test_a_thousands_quota_sheet_asks_for_a_confirmation_or_its_unit(app_env):
    at = _leader_on_imports()
    sheet = _thousands_sheet()
    before = _cur().execute("select sum(amount) from quotas").fetchone()[0]
    at.get("file_uploader")[0].upload("targets.csv", sheet.encode(), "text/csv").run()
    assert not at.exception
    assert any("targets look 1,000× too small" in w.value for w in at.warning)
    assert at.button(key="commit").disabled
    assert at.checkbox(key="units_confirmed").label == "The units are right: import anyway"
    # The page offers the unit: in thousands, the warning goes and the targets are dollars.
    at.selectbox(key="quota_unit").set_value(1000.0).run()
    assert not any("too small" in w.value for w in at.warning)
    assert not at.button(key="commit").disabled
    assert any("Quotas: " in m.value for m in at.markdown)
    at.button(key="commit").click().run()
    assert _cur().execute("select sum(amount) from quotas").fetchone()[0] == before


ORDER_LINES = (
    "Order No,Line,Order Date,Invoice Date,Sales Rep,Customer,Line Total\n"
    'SO-9,1,2026-11-02,2026-11-03,Priya Raman,Acme,"1,000.10"\n'
    "SO-9,2,2026-11-02,2026-11-05,Priya Raman,Acme,200.20\n"
    + "".join(f"SO-{i},1,2026-11-02,2026-11-04,Priya Raman,Acme,10\n" for i in range(10, 40))
)


def test_order_lines_are_mapped_and_previewed_before_writing(app_env):
    at = _leader_on_imports()
    at.get("file_uploader")[0].upload("orders.csv", ORDER_LINES.encode(), "text/csv").run()
    at.selectbox(key="map_deals_source_id").set_value("Order No")
    at.selectbox(key="map_deals_owner").set_value("Sales Rep")
    at.selectbox(key="map_deals_amount").set_value("Line Total")
    at.selectbox(key="map_deals_created_date").set_value("Order Date")
    at.selectbox(key="map_deals_close_date").set_value("Invoice Date").run()
    at.selectbox(key="map_constant_stage").set_value("Closed Won").run()
    # Without "lines" the second line of SO-9 is a duplicate pointing at the first.
    problems = at.dataframe[0].value
    assert "first on line 2" in problems.iloc[0]["reason"]
    at.toggle(key="map_lines").set_value(True).run()
    assert not at.exception
    assert any("Valid. Ready to write: 31 deals" in s.value for s in at.success)
    preview = at.dataframe[0].value
    assert len(preview) == 20
    first = preview.iloc[0]
    assert (first["Deal id"], float(first["Amount"]), first["Stage"]) == (
        "SO-9",
        1200.30,
        "Closed Won",
    )
    totals = [c.value.replace("\\", "") for c in at.caption]
    assert "Totals: won (31 deals) $1,500.30" in totals
    assert _cur().execute("select count(*) from deals where source = 'mapped'").fetchone()[0] == 0
    at.button(key="commit").click().run()
    assert any("Imported 31 deals" in s.value for s in at.success)
    amount = _cur().execute("select amount from deals where deal_id = 'mapped:SO-9'").fetchone()
    assert float(amount[0]) == 1200.30


def test_a_headerless_dump_is_mapped_by_position(app_env):
    dump = "X-1|priya.raman|Closed Won|2500|2026-11-05\nX-2|priya.raman|Open|100|2026-12-01\n"
    at = _leader_on_imports()
    at.get("file_uploader")[0].upload("dump.txt", dump.encode(), "text/plain").run()
    reasons = list(at.dataframe[0].value["reason"])
    assert any("first row looks like data" in str(r) for r in reasons), reasons
    at.toggle(key="map_headerless").set_value(True).run()
    box = at.selectbox(key="map_deals_source_id")
    assert "column 1: X-1" in box.options
    box.set_value("1")
    at.selectbox(key="map_deals_owner").set_value("2")
    at.selectbox(key="map_deals_stage").set_value("3")
    at.selectbox(key="map_deals_amount").set_value("4")
    at.selectbox(key="map_deals_close_date").set_value("5").run()
    assert not at.exception
    assert any("Valid. Ready to write: 2 deals" in s.value for s in at.success)
    assert '"header": false' in at.get("code")[0].value
