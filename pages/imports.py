"""Import: upload CRM exports, quota sheets or templates; see the detected format, map the
columns of an unknown file, read the validation report, then commit or undo (leaders only)."""

import polars as pl
import streamlit as st

from squadboard import ui
from squadboard.ingest import (
    ImportFailed,
    formats,
    mapping,
    preview,
    shown_problems,
    undo,
    units,
)
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest.layouts import LAYOUTS, is_documentation
from squadboard.ingest.quota_sheets import LONG
from squadboard.ingest.reader import Unreadable

who = ui.who()
ui.require_leader(who)  # checked here too, not only in the navigation

st.title("Import")
st.caption(
    "Salesforce and HubSpot exports, the Maven CRM sample, quota sheets and Squadboard "
    "templates. Everything is checked first; nothing is written unless every row is valid. "
    "Formats and examples: docs/importing.md."
)
uploads = st.file_uploader(
    "CSV or XLSX files", type=["csv", "tsv", "txt", "xlsx"], accept_multiple_files=True
)
WRITTEN = {"Found per column": None, "1,234.50": "en", "1.234,50": "de"}
written = st.radio("Amounts are written", list(WRITTEN), key="number_format", horizontal=True)
comma = WRITTEN[written] == "de"


def mapping_step(table, data: bytes) -> mapping.Mapping | None:
    """Columns of a file no layout recognises: pick a saved mapping or map them here."""
    st.warning(
        ui.plain(f"{table.name}: format not recognised. Map its columns once; save the mapping.")
    )
    stored = mapping.saved(ui.con())
    choice = st.selectbox("Saved mapping", ["(map by hand)", *stored], key="saved_mapping")
    if choice in stored:
        return stored[choice]
    kind = st.selectbox("The file holds", list(mapping.FIELDS), key="map_kind")
    header = not st.toggle(
        "The file has no header row (a database dump): name its columns by position",
        key="map_headerless",
    )
    if not header:
        try:
            table = mapping.read_headerless(table.name, data)
        except Unreadable as exc:
            st.error(ui.plain(str(exc.problem)))
            return None
    guess = mapping.guess(table, kind, [*LAYOUTS.values(), LONG]) if header else {}
    options = ["", *table.columns]
    first = table.frame.row(0, named=True) if table.frame.height else {}

    def label(column: str) -> str:
        if header or not column:
            return mapping.shown(column)
        return f"column {column}: {first.get(column) or '(empty)'}"

    columns = {}
    constants = {}
    for field, meaning in mapping.FIELDS[kind].items():
        default = options.index(guess[field]) if guess.get(field) in options else 0
        required = " (required)" if field in mapping.REQUIRED[kind] else ""
        title = field.replace("_", " ").capitalize().replace(" id", " ID")
        picked = st.selectbox(f"{title}{required}", options, default, key=f"map_{kind}_{field}",
                              help=f"{meaning} (`{field}` in a mapping file)",
                              format_func=label)  # fmt: skip
        if picked:
            columns[field] = picked
    lines = False
    if kind == "deals":
        if "stage" not in columns:
            every = st.selectbox(
                "No stage column: every row is",
                ["", "Closed Won", "Closed Lost", "Open"],
                key="map_constant_stage",
                help="an ERP or invoice export has only booked sales: choose Closed Won",
            )
            if every:
                constants["stage"] = every
        lines = st.toggle(
            "Order or invoice lines: rows with the same deal id are one deal (amounts summed)",
            key="map_lines",
        )
    source = st.text_input("Source system (deals are keyed by it)", "mapped", key="map_source")
    unit = st.number_input("Amounts are in units of", 1.0, 1e6, 1.0, key="map_unit")
    date_order = st.selectbox(
        "Dates like 3/1/2026 are", ["mdy", "dmy"], key="map_date_order",
        format_func={"mdy": "month first (1 March)", "dmy": "day first (3 January)"}.get,
    )  # fmt: skip
    owner_is = ""
    if kind == "quotas" and st.toggle(MANAGER_ROWS, key="map_owner_is"):
        owner_is = "squad_manager"
    chosen = mapping.Mapping(kind, columns, source.strip().lower(), comma, unit, lines=lines,
                             constants=constants, header=header, date_order=date_order,
                             owner_is=owner_is)  # fmt: skip
    missing = [f"field {f!r} is required" for f in mapping.REQUIRED[kind]
               if f not in columns and f not in constants]  # fmt: skip
    if chosen.problems() or missing:
        st.info(ui.plain("To go on: " + "; ".join(chosen.problems() or missing)))
        return None
    with st.expander("The mapping as a file, for `import --mapping FILE.json`"):
        st.code(chosen.to_json(), language="json")
    name = st.text_input("Save as", key="map_name")
    if st.button("Save mapping", key="save_mapping") and name:
        try:
            mapping.save(ui.con(), name, chosen, who.rep_id)
            st.success(ui.plain(f"Saved mapping {name!r}."))
        except ValueError as exc:
            st.error(ui.plain(str(exc)))
    return chosen


MANAGER_ROWS = "Rows of squad managers are their squad's base quota, not a personal target"
UNITS = {1.0: "dollars, or as the sheet says", 1000.0: "thousands", 1_000_000.0: "millions"}


def quota_options() -> mapping.Mapping | None:
    """A recognised quota sheet: the unit its amounts are in, and whose targets its rows are."""
    st.markdown("**Quota sheet options**")
    unit = st.selectbox("Quota amounts are in", list(UNITS), format_func=UNITS.get,
                        key="quota_unit")  # fmt: skip
    managers = st.toggle(MANAGER_ROWS, key="quota_owner_is")
    if unit == 1.0 and not managers:
        return None
    return mapping.Mapping("quotas", {}, unit=unit,
                           owner_is="squad_manager" if managers else "")  # fmt: skip


def show_preview(batch) -> None:
    """The first rows of each table as mapped, and their totals, before anything is written."""
    for item in preview.preview(batch):
        st.markdown(ui.plain(f"{item.noun.capitalize()}: {item.count:,} rows") + (
            f" (the first {len(item.rows)})" if item.count > len(item.rows) else ""))  # fmt: skip
        if item.totals:
            totals = "; ".join(f"{k} ${v:,.2f}" for k, v in item.totals.items())
            st.caption(ui.plain("Totals: " + totals).replace("$", "\\$"))
        config = {c: ui.money(c) for c in item.rows.columns if c in ("Amount", "Quota")}
        config |= {c: st.column_config.DateColumn(c, format="D MMM YYYY")
                   for c in item.rows.columns if c in preview.DATES}  # fmt: skip
        st.dataframe(item.rows, hide_index=True, width="stretch", column_config=config,
                     key=f"preview_{item.table}")  # fmt: skip


if uploads:
    files = [(u.name, u.getvalue()) for u in uploads]
    tables, unreadable = formats.read_all(files)  # each upload read once per rerun
    unknown = [t for t in tables if formats.detect(t) is None and not (
        len(tables) > 1 and is_documentation(t))]  # fmt: skip
    chosen_mapping = mapping_step(unknown[0], dict(files)[unknown[0].name]) if unknown else None
    if chosen_mapping is None and any(
        formats.detect(t) in ("quota_sheet", "quota_sheet_wide") for t in tables
    ):
        chosen_mapping = quota_options()
    if chosen_mapping is not None and not chosen_mapping.header:
        # A headerless dump: read again by position (the bytes are in memory already).
        tables, unreadable = formats.read_with(files, chosen_mapping)
    batch, chosen = formats.parse_read(
        files,
        tables,
        unreadable,
        ui.current_plan().fiscal_year_start_month,
        mapping=chosen_mapping,
        locale=WRITTEN[written],
    )
    for name, fmt in chosen.items():
        st.write(f"**{ui.plain(name)}** — recognised as `{fmt}`")
    problems = batch.errors or ingest_apply.check(ui.con(), batch)
    unit_warnings = [] if problems else units.check(ui.con(), batch)
    for w in batch.warnings:
        st.warning(ui.plain(str(w)))
    for note in batch.notes:
        st.caption(ui.plain(note))
    for w in unit_warnings:
        st.warning(ui.plain(str(w)), icon=":material/straighten:")
    if problems:
        shown = shown_problems(problems)
        count = (
            f"showing {len(shown)} of {len(problems):,} problems"
            if len(problems) > len(shown)
            else f"{len(problems)} problem(s)"
        )
        st.error(f"{count} — nothing will be written. Fix the file and upload again.")
        ui.table(
            pl.DataFrame(
                [
                    {"file": p.file, "line": p.line, "column": p.column, "reason": p.reason}
                    for p in shown
                ],
                schema={
                    "file": pl.String,
                    "line": pl.Int64,
                    "column": pl.String,
                    "reason": pl.String,
                },
            ),
            width="stretch",
            column_config={
                "line": st.column_config.NumberColumn("Line", width="small"),
                "column": st.column_config.Column("Column", width="small"),
            },
        )
    else:
        counts = {t: f.height for t, f in batch.frames.items()}
        st.success("Valid. Ready to write: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
        show_preview(batch)
        sure = True
        if unit_warnings:
            sure = st.checkbox("The units are right: import anyway", key="units_confirmed")
        if st.button("Import now", type="primary", key="commit", disabled=not sure):
            progress = st.progress(0.3, "Writing in one transaction…")
            try:
                ingest_apply.write(ui.con(), batch, actor=who.rep_id, as_of=ui.today())
            except ImportFailed as failed:
                progress.empty()
                st.error(
                    ui.plain("Nothing was written: " + "; ".join(map(str, failed.problems[:5])))
                )
            else:
                progress.progress(1.0, "Done")
                if batch.import_id is None:
                    st.info("Nothing changed: every row is stored as it is in the files. "
                            "Nothing was written.")  # fmt: skip
                else:
                    changed = ", ".join(f"{n:,} {t}" for t, n in batch.changed.items() if n)
                    st.success(f"Imported {changed or 'the pipeline snapshot'} "
                               f"(import #{batch.import_id}).")  # fmt: skip

st.subheader("Import history")
latest = undo.latest_undoable(ui.con())
if latest is not None:
    sure = st.checkbox(f"Undo import #{latest}: restore everything as it was before it")
    if st.button(f"Undo import #{latest}", key="undo", disabled=not sure):
        try:
            undone = undo.undo(ui.con(), latest, who.rep_id)
            st.success(f"Undid import #{latest}: " + ", ".join(
                f"{t} −{r[0]:,} +{r[1]:,}" for t, r in undone.items()))  # fmt: skip
        except undo.UndoRefused as exc:
            st.info(ui.plain(exc))
history = ui.run("import_history")
if history.is_empty():
    st.caption("Nothing imported yet.")
else:
    ui.table(
        history,
        width="stretch",
        column_config={
            "import_id": "Import",
            "imported_at": ui.moment("Imported"),
            "actor": "By",
            "rows_read": ui.count("Rows read"),
            "rows_written": ui.count("Rows written"),
            "undone_at": ui.moment("Undone"),
            "undone_by": "Undone by",
        },
    )
