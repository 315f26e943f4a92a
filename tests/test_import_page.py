"""The Import page through AppTest: detected format, mapping step, commit, history, undo."""

from squadboard import ui
from tests.test_pages import open_app

HUBSPOT = (
    "Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount\n"
    "7001,Page win,Closed Won,2026-11-03,Priya Raman,4200\n"
    "7002,Page open,Appointment Scheduled,2026-12-10,tom.becker@squadboard.example,900\n"
)
ODD = "Ref;Who;Where we are;Worth;Closed\nX-1;priya.raman;won;1.250,00;2026-11-05\n"


def _leader_on_imports():
    at = open_app("maya.chen")
    at.switch_page("pages/imports.py").run()
    assert not at.exception
    return at


def _count(path, sql):
    # The app's own connection: a second one to the same file would clash in this process.
    assert ui.db.default_db_path() == path
    return ui.con().cursor().execute(sql).fetchone()[0]


def test_a_hubspot_export_is_detected_committed_and_undone(app_env):
    at = _leader_on_imports()
    at.get("file_uploader")[0].upload("deals.csv", HUBSPOT.encode(), "text/csv").run()
    assert any("recognised as `hubspot_deals`" in m.value for m in at.markdown)
    assert any("Valid. Ready to write: 2 deals" in s.value for s in at.success)
    at.button(key="commit").click().run()
    assert any("Imported 2 deals" in s.value for s in at.success)
    assert _count(app_env, "select count(*) from deals where source = 'hubspot'") == 2
    history = at.dataframe[-1].value
    assert history.iloc[0]["format"] == "hubspot_deals"
    assert history.iloc[0]["actor"] == "maya.chen"
    # Undo needs the confirmation first; then the deals are gone and the history says so.
    assert at.button(key="undo").disabled
    at.checkbox[0].check().run()
    at.button(key="undo").click().run()
    assert any("Undid import" in s.value for s in at.success)
    assert _count(app_env, "select count(*) from deals where source = 'hubspot'") == 0
    assert at.dataframe[-1].value.iloc[0]["undone_by"] == "maya.chen"


def test_an_unknown_file_is_mapped_saved_and_reused(app_env):
    at = _leader_on_imports()
    at.radio(key="number_format").set_value("1.234,50").run()
    at.get("file_uploader")[0].upload("odd.csv", ODD.encode(), "text/csv").run()
    assert any("format not recognised" in w.value for w in at.warning)
    at.selectbox(key="map_deals_source_id").set_value("Ref")
    at.selectbox(key="map_deals_owner").set_value("Who")
    at.selectbox(key="map_deals_stage").set_value("Where we are")
    at.selectbox(key="map_deals_close_date").set_value("Closed")
    at.selectbox(key="map_deals_is_closed").set_value("")  # guessed from the label "Closed"
    at.selectbox(key="map_deals_amount").set_value("Worth").run()
    assert any("Valid. Ready to write: 1 deals" in s.value for s in at.success)
    at.text_input(key="map_source").set_value("sheetcrm")
    at.text_input(key="map_name").set_value("Sheet CRM").run()
    at.button(key="save_mapping").click().run()
    assert any("Saved mapping 'Sheet CRM'" in s.value for s in at.success)
    at.button(key="commit").click().run()
    assert (
        _count(app_env, "select amount::double from deals where deal_id = 'sheetcrm:X-1'") == 1250.0
    )

    again = _leader_on_imports()
    again.get("file_uploader")[0].upload("odd.csv", ODD.encode(), "text/csv").run()
    assert "Sheet CRM" in again.selectbox(key="saved_mapping").options
    again.selectbox(key="saved_mapping").set_value("Sheet CRM").run()
    assert any("recognised as `mapped`" in m.value for m in again.markdown)
    assert any("Valid. Ready to write: 1 deals" in s.value for s in again.success)


def test_a_bad_crm_file_shows_file_line_column_and_no_commit(app_env):
    at = _leader_on_imports()
    bad = HUBSPOT.replace("4200", "-4200")
    at.get("file_uploader")[0].upload("deals.csv", bad.encode(), "text/csv").run()
    problems = at.dataframe[0].value
    assert (problems.iloc[0]["line"], problems.iloc[0]["column"]) == (2, "amount")
    assert all(b.key != "commit" for b in at.button)
