"""Squads: every squad side by side, then one squad's trend, members and the deals behind it."""

from datetime import timedelta

import polars as pl
import streamlit as st

from squadboard import charts, display, metrics, ui, visibility

viewer = ui.who()
period = ui.period_picker()
as_of = ui.as_of_for(period)
squads = ui.run("squad_attainment", **period.params(as_of))
picked = ui.squad_picker(squads, ui.default_squad(viewer))

st.title(f"Squads · {period.label}")
ui.demo_notice()
elapsed = metrics.elapsed(period, as_of, ui.current_plan().pace_basis)
st.caption(
    f"{display.day(period.start)} – {display.day(period.end - timedelta(days=1))} · "
    f"as of {display.day(as_of)} · {display.percent(elapsed)} of the period elapsed · "
    "click a row for the squad's detail"
)

# Squad, attainment and status first: on a phone they are what shows without scrolling.
table = squads.select(
    "squad",
    "attainment",
    "status",
    "pace",
    "credited",
    "quota",
    "expected_to_date",
    "forecast",
    "needed_per_week",
)


def _open_clicked_squad() -> None:
    rows = st.session_state["squads_table"].selection.rows
    if rows:
        ui.select_squad(squads["squad_id"][rows[0]])


ui.table(
    table,
    width="stretch",
    key="squads_table",
    on_select=_open_clicked_squad,
    selection_mode="single-row",
    column_config={
        "squad": "Squad",
        "quota": ui.money("Base quota"),
        "credited": ui.money(
            "Credited", "Σ amount × revenue split % of won deals closed in the period"
        ),
        "attainment": ui.progress("Attainment", "credited ÷ base quota"),
        "expected_to_date": ui.money("Expected to date", "quota × elapsed fraction of the period"),
        "pace": ui.pct("Pace", "attainment ÷ elapsed fraction; ≥100 % ahead, ≥90 % on track"),
        "status": "Status",
        "forecast": ui.money(
            "Forecast", "credited + open deals closing in the period × probability"
        ),
        "needed_per_week": ui.money("Needed / week"),
    },
)
ui.downloads(table.with_columns(pl.col(pl.Decimal).cast(pl.Float64)), f"squads_{period.label}")
if squads["attainment"].is_null().all():
    st.info(
        "No squad has a base quota for this period yet: import a quota sheet to see attainment."
    )
else:
    st.plotly_chart(ui.figure(charts.attainment_bars, squads, elapsed))

if picked is None:
    st.info("There are no squads yet: import reps and squads first (see docs/importing.md).")
    st.stop()
row = squads.filter(pl.col("squad_id") == picked).row(0, named=True)
st.header(f"{ui.plain(row['squad'])} · detail")
cols = st.columns(5)
cols[0].metric("Credited", display.money(row["credited"]))
cols[1].metric(
    "Attainment",
    "no quota" if row["attainment"] is None else display.percent(row["attainment"]),
    help="credited ÷ base quota",
)
ui.pace_metric(cols[2], "Pace", row["pace"], row["status"])
cols[3].metric("Forecast", display.money(row["forecast"]))
cols[4].metric("Needed / week", display.money(row["needed_per_week"]))
trend = ui.run(
    "squad_trend", period_start=period.start, period_end=period.end, squad_id=picked, as_of=as_of
)
st.plotly_chart(ui.figure(charts.squad_trend, trend, as_of, float(row["forecast"])), key="trend")

members = ui.run("rep_attainment", **period.params(as_of)).filter(pl.col("squad_id") == picked)
naming = ui.current_plan().board_naming
members = visibility.hide_names(members, viewer, naming)  # board naming holds here too
st.subheader("Members")
ui.table(
    metrics.mark_managers(members).select(
        "rep", "attainment", "status", "pace", "credited", "stretch_target"
    ),
    width="stretch",
    column_config={
        "rep": "Rep",
        "stretch_target": ui.money("Stretch target"),
        "credited": ui.money("Credited", "all the rep's credit in the period, in any squad"),
        "attainment": ui.progress("Attainment", "credited ÷ stretch target"),
        "pace": ui.pct("Pace"),
        "status": "Status",
    },
)
ui.deals_behind(
    period, as_of, squad_id=picked, name=f"deals_{picked}_{period.label}", viewer=viewer
)

movement = ui.run("pipeline_movement", as_of=as_of).filter(pl.col("squad_id") == picked)
movement = visibility.hide_names(movement, viewer, naming, rep_id="owner_id")
if not movement.is_empty():
    day, before = movement["snapshot_date"][0], movement["before_date"][0]
    st.subheader("Pipeline movement")
    st.caption(
        f"Open pipeline in the snapshot of {display.day(day)}"
        + (f" against the one of {display.day(before)}" if before else " (the first snapshot)")
        + ": added is newly open, removed is no longer open (won, lost or dropped)."
    )
    ui.table(
        movement.select("rep", "pipeline_before", "added", "removed", "pipeline", "net_change"),
        width="stretch",
        column_config={
            "rep": "Owner",
            "pipeline_before": ui.money("Before"),
            "added": ui.money("Added"),
            "removed": ui.money("Removed"),
            "pipeline": ui.money("Open now"),
            "net_change": ui.money("Net change"),
        },
    )
