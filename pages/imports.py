"""Import: upload CRM exports, quota sheets or templates; see the detected format, map the
columns of an unknown file, read the validation report, then commit or undo (leaders only)."""

import streamlit as st

from squadboard import ui
from squadboard.ingest import ImportFailed, formats, mapping, undo
from squadboard.ingest import apply as ingest_apply
from squadboard.ingest.layouts import LAYOUTS
from squadboard.ingest.quota_sheets import LONG

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


def mapping_step(table) -> mapping.Mapping | None:
    """Columns of a file no layout recognises: pick a saved mapping or map them here."""
    st.warning(
        f"**{ui.plain(table.name)}**: format not recognised. Map its columns once; save the mapping."
    )
    stored = mapping.saved(ui.con())
    choice = st.selectbox("Saved mapping", ["(map by hand)", *stored], key="saved_mapping")
    if choice in stored:
        return stored[choice]
    kind = st.selectbox("The file holds", list(mapping.FIELDS), key="map_kind")
    guess = mapping.guess(table, kind, [*LAYOUTS.values(), LONG])
    options = ["", *table.columns]
    columns = {}
    for field, meaning in mapping.FIELDS[kind].items():
        default = options.index(guess[field]) if guess.get(field) in options else 0
        required = " (required)" if field in mapping.REQUIRED[kind] else ""
        picked = st.selectbox(f"{field}{required}", options, default, key=f"map_{kind}_{field}",
                              help=meaning)  # fmt: skip
        if picked:
            columns[field] = picked
    source = st.text_input("Source system (deals are keyed by it)", "mapped", key="map_source")
    unit = st.number_input("Amounts are in units of", 1.0, 1e6, 1.0, key="map_unit")
    chosen = mapping.Mapping(kind, columns, source.strip().lower(), comma, unit)
    if chosen.problems():
        st.info("To go on: " + "; ".join(chosen.problems()))
        return None
    with st.expander("The mapping as a file, for `import --mapping FILE.json`"):
        st.code(chosen.to_json(), language="json")
    name = st.text_input("Save as", key="map_name")
    if st.button("Save mapping", key="save_mapping") and name:
        try:
            mapping.save(ui.con(), name, chosen, who.rep_id)
            st.success(f"Saved mapping {name!r}.")
        except ValueError as exc:
            st.error(str(exc))
    return chosen


if uploads:
    files = [(u.name, u.getvalue()) for u in uploads]
    tables, unreadable = formats.read_all(files)  # each upload read once per rerun
    unknown = [t for t in tables if formats.detect(t) is None]
    chosen_mapping = mapping_step(unknown[0]) if unknown else None
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
    for w in batch.warnings:
        st.warning(str(w))
    for note in batch.notes:
        st.caption(ui.plain(note))
    if problems:
        st.error(
            f"{len(problems)} problem(s) — nothing will be written. Fix the file and upload again."
        )
        st.dataframe(
            [
                {"file": p.file, "line": p.line, "column": p.column, "reason": p.reason}
                for p in problems
            ],
            hide_index=True,
        )
    else:
        counts = {t: f.height for t, f in batch.frames.items()}
        st.success("Valid. Ready to write: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
        if st.button("Import now", type="primary", key="commit"):
            progress = st.progress(0.3, "Writing in one transaction…")
            try:
                ingest_apply.write(ui.con(), batch, actor=who.rep_id, as_of=ui.today())
            except ImportFailed as failed:
                progress.empty()
                st.error("Nothing was written: " + "; ".join(map(str, failed.problems[:5])))
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
            st.info(str(exc))
history = ui.run("import_history")
if history.is_empty():
    st.caption("Nothing imported yet.")
else:
    st.dataframe(history, hide_index=True, width="stretch")
