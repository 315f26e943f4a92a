"""Everything pages share: the database connection, who is looking, the period picker,
downloads. The only module besides app.py and pages/ that imports streamlit.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from squadboard import db, demo, periods, plan

LEADERS = ("leader", "admin")


@st.cache_resource(show_spinner="Opening the database…")
def _root(path: str) -> duckdb.DuckDBPyConnection:
    con = db.connect(path)
    cur = con.cursor()
    if cur.execute("select count(*) from reps").fetchone()[0] == 0:
        # A fresh checkout opens on the demo organisation, never on an empty screen.
        demo.load(con, today=today())
    return con


def con() -> duckdb.DuckDBPyConnection:
    return _root(str(db.default_db_path()))


def run(name: str, **params: object) -> pl.DataFrame:
    """Run a named query (a cursor of its own; safe across browser sessions)."""
    return db.run(con(), name, **params)


def today() -> date:
    """Today, or SQUADBOARD_TODAY (YYYY-MM-DD) to pin the clock for demos and tests."""
    pinned = os.environ.get("SQUADBOARD_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def current_plan() -> plan.Plan:
    return plan.load(con())


def is_demo() -> bool:
    return demo.is_demo(con())


# Who is looking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    rep_id: str
    name: str
    access: str  # rep | leader | admin
    role: str
    squad_id: str | None
    leads: tuple[str, ...]  # squads this person leads

    @property
    def is_leader(self) -> bool:
        return self.access in LEADERS

    def may_see_payout_of(self, rep_id: str, squad_id: str | None) -> bool:
        """Payouts: your own; a leader's squads; an admin everything."""
        return (
            rep_id == self.rep_id
            or self.access == "admin"
            or (self.access == "leader" and squad_id in self.leads)
        )


def _viewer_from(row: dict) -> Viewer:
    leads = tuple((row.get("leads_squads") or "").split(",")) if row.get("leads_squads") else ()
    return Viewer(row["rep_id"], row["rep"], row["access"], row["role"], row["squad_id"], leads)


def viewer() -> Viewer:
    """Demo mode: the viewer picks who they are from the roster (real sign-in replaces this)."""
    roster = run("roster", as_of=today()).filter(pl.col("active"))
    if roster.is_empty():
        st.error("The roster is empty: import reps and squads first (see docs/importing.md).")
        st.stop()
    labels = {
        r["rep_id"]: f"{r['rep']} · {r['access'] if r['access'] != 'rep' else r['role']}"
        + (f" · {r['squad']}" if r["squad"] else "")
        for r in roster.iter_rows(named=True)
    }
    ids = list(labels)
    if st.session_state.get("viewer_id") not in labels:
        leaders = roster.filter(pl.col("access") == "leader")["rep_id"]
        st.session_state["viewer_id"] = leaders[0] if len(leaders) else ids[0]
    st.sidebar.selectbox(
        "Viewing as (demo mode)",
        ids,
        format_func=labels.get,
        key="viewer_id",
        help="Demo mode: pick anyone in the roster to see their view. Real sign-in replaces this.",
    )
    row = roster.filter(pl.col("rep_id") == st.session_state["viewer_id"]).row(0, named=True)
    return _viewer_from(row)


def who() -> Viewer:
    """The viewer app.py identified for this session (identified here if a page runs alone)."""
    found = st.session_state.get("viewer")
    if PagesManager.uses_pages_directory and not isinstance(found, Viewer):
        # The first request after a server start that names a page URL is served the
        # pages/ folder's way (Streamlit's multipage v1), without app.py. Send it through
        # app.py, which declares the navigation and so switches Streamlit to it for good.
        st.switch_page("app.py")
    return found if isinstance(found, Viewer) else viewer()


def require_leader(who: Viewer) -> None:
    """Server-side check for pages that write: stop here unless leader or admin."""
    if not who.is_leader:
        st.error("This page is for sales leaders and admins. Ask your leader if you need access.")
        st.stop()


def demo_notice() -> None:
    if is_demo():
        st.info(
            "**Demo data.** Everyone here is made up. To see your own team, import your CRM "
            "export and quota sheet (Import page, or `python -m squadboard import`).",
            icon=":material/science:",
        )


# The period and the deep link ---------------------------------------------------------------


def period_picker() -> periods.Period:
    """Fiscal quarters and months; `?period=2026-Q4` in the URL selects and shares it."""
    fy = current_plan().fiscal_year_start_month
    options = periods.recent_quarters(today(), 8, fy) + periods.recent_months(today(), 12)
    labels = [p.label for p in options]
    default = periods.quarter_of(today(), fy).label
    asked = st.query_params.get("period")
    if asked is not None and "period" not in st.session_state:
        try:
            picked = periods.parse(asked, fy)
            if picked.label not in labels:
                options.append(picked)
                labels.append(picked.label)
            st.session_state["period"] = picked.label
        except ValueError as exc:
            st.warning(f"Ignored the link's period: {exc}")
    if st.session_state.get("period") not in labels:
        st.session_state["period"] = default
    label = st.sidebar.selectbox("Period", labels, key="period")
    st.query_params["period"] = label
    return options[labels.index(label)]


def as_of_for(period: periods.Period) -> date:
    """Figures for a past period are final; for the current one they are as of today."""
    return min(today(), period.end - timedelta(days=1))


# Tables and downloads ---------------------------------------------------------------------


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c, t in frame.schema.items()
        if t == pl.String
    )


def downloads(frame: pl.DataFrame, name: str) -> None:
    """CSV and Excel downloads of exactly what the table shows."""
    safe = neutralise_formulas(frame)
    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        safe.write_csv().encode("utf-8-sig"),
        f"{name}.csv",
        "text/csv",
        key=f"csv_{name}",
        icon=":material/download:",
    )
    buffer = io.BytesIO()
    safe.write_excel(buffer, worksheet=name[:31])
    right.download_button(
        "Download Excel",
        buffer.getvalue(),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{name}",
        icon=":material/download:",
    )


def progress(label: str, help: str | None = None):
    return st.column_config.ProgressColumn(
        label, help=help, format="percent", min_value=0, max_value=1
    )


def money(label: str, help: str | None = None):
    return st.column_config.NumberColumn(label, help=help, format="dollar")


def pct(label: str, help: str | None = None):
    return st.column_config.NumberColumn(label, help=help, format="percent")
