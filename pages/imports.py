"""Import: upload Squadboard templates, see the validation report, then commit (leaders only)."""

import streamlit as st

from squadboard import ui
from squadboard.ingest import ImportFailed, formats
from squadboard.ingest import apply as ingest_apply

who = ui.who()
ui.require_leader(who)  # checked here too, not only in the navigation

st.title("Import")
st.caption(
    "Upload one or more files. Everything is checked first; nothing is written unless every "
    "row is valid. Templates and examples: docs/importing.md."
)
uploads = st.file_uploader(
    "CSV or XLSX files", type=["csv", "tsv", "txt", "xlsx"], accept_multiple_files=True
)
if uploads:
    files = [(u.name, u.getvalue()) for u in uploads]
    batch, chosen = formats.load(files, "auto", ui.current_plan().fiscal_year_start_month)
    for name, fmt in chosen.items():
        st.write(f"**{name}** — recognised as `{fmt}`")
    problems = batch.errors or ingest_apply.check(ui.con(), batch)
    for w in batch.warnings:
        st.warning(str(w))
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
            try:
                with st.spinner("Writing…"):
                    written = ingest_apply.write(ui.con(), batch, actor=who.rep_id)
            except ImportFailed as failed:
                st.error("Nothing was written: " + "; ".join(map(str, failed.problems[:5])))
            else:
                st.success("Imported " + ", ".join(f"{n:,} {t}" for t, n in written.items()))

st.subheader("Import history")
history = ui.run("import_history")
if history.is_empty():
    st.caption("Nothing imported yet.")
else:
    st.dataframe(history, hide_index=True, width="stretch")
