"""Targets: every rep's stretch target, attainment, pipeline coverage and self-set goal; a rep
sets their own goal; leaders see the reps' goals against each squad's base quota."""

import polars as pl
import streamlit as st

from squadboard import charts, display, goals, metrics, ui, visibility

viewer = ui.who()
period = ui.period_picker()
as_of = ui.as_of_for(period)
fy = ui.current_plan().fiscal_year_start_month
reps = ui.run("rep_attainment", **period.params(as_of))
# Board naming holds here too: names the viewer may not see are hidden before the table.
reps = visibility.hide_names(reps, viewer, ui.current_plan().board_naming)

st.title(f"Targets · {period.label}")
ui.demo_notice()
# Who, attainment and status first: on a phone they are what shows without scrolling.
table = metrics.mark_managers(reps).select(
    "rep",
    "attainment",
    "status",
    "squad",
    "pace",
    "credited",
    "stretch_target",
    "self_goal",
    "weighted_pipeline",
    "coverage",
)
picked = ui.table(
    table,
    width="stretch",
    key="targets_table",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "rep": "Rep",
        "squad": "Squad",
        "stretch_target": ui.money("Stretch target", "allocated individual target"),
        "self_goal": ui.money("Own goal", "the goal the rep set for themself"),
        "credited": ui.money("Credited"),
        "attainment": ui.progress("Attainment", "credited ÷ stretch target"),
        "pace": ui.pct("Pace", "attainment ÷ elapsed fraction of the period"),
        "status": "Status",
        "weighted_pipeline": ui.money(
            "Weighted pipeline", "open deals in the period × probability"
        ),
        "coverage": ui.ratio("Coverage", "weighted pipeline ÷ what is left of the stretch target"),
    },
)
ui.downloads(table.with_columns(pl.col(pl.Decimal).cast(pl.Float64)), f"targets_{period.label}")
rows = picked.selection.rows if picked else []
rep = reps.row(rows[0], named=True) if rows else None
if rep is not None and rep["rep_id"] is not None:
    st.markdown(f"**{ui.plain(rep['rep'])}**")
    ui.deals_behind(
        period, as_of, rep_id=rep["rep_id"], name=f"deals_{rep['rep_id']}", viewer=viewer
    )
elif rep is not None:
    st.caption("The board naming hides this rep's name, and with it the deals behind it.")
else:
    st.caption("Click a rep's row to see the deals behind their figures.")

st.subheader("My own goal")
choices = goals.open_periods(ui.today(), period.kind, fy)
with st.form("goal"):
    target = st.selectbox("Period", choices, format_func=lambda p: p.label, key="goal_period")
    mine = reps.filter(pl.col("rep_id") == viewer.rep_id)["self_goal"].drop_nulls()
    current = float(mine[0]) if len(mine) else 0.0
    # No bounds on the widget (a browser refuses an out-of-range value without a word):
    # goals.set_goal checks the amount and the reason shows right under the field.
    amount = st.number_input("My goal ($)", value=current, step=5000.0, key="goal")
    under_the_field = st.empty()
    if st.form_submit_button("Save my goal", icon=":material/flag:"):
        try:
            before = goals.set_goal(
                ui.con(),
                viewer.rep_id,
                viewer.rep_id,
                target,
                amount,
                today=ui.today(),
                fy_start_month=fy,
            )
            was = "" if before is None else f" (was {display.money(before)})"
            st.success(f"Saved your goal for {target.label}: {display.money(amount)}{was}.")
        except goals.GoalError as exc:
            under_the_field.error(ui.plain(f"Not saved: {exc}."), icon=":material/error:")

if viewer.is_leader:
    st.subheader("Bottom-up vs top-down")
    st.caption(
        "The sum of the reps' own goals against each squad's base quota; the gap is goals − quota."
    )
    budget = ui.run("goals_by_squad", **period.params(as_of))
    shown = budget.select(
        "squad", "base_quota", "goals_sum", "gap", "goals_to_quota", "reps_with_goal", "reps"
    )
    ui.table(
        shown,
        width="stretch",
        column_config={
            "squad": "Squad",
            "base_quota": ui.money("Base quota (top-down)"),
            "goals_sum": ui.money("Sum of goals (bottom-up)"),
            "gap": ui.money("Gap", "goals − base quota; negative: the goals fall short"),
            "goals_to_quota": ui.progress("Goals ÷ quota"),
            "reps_with_goal": "Reps with a goal",
            "reps": "Reps",
        },
    )
    ui.downloads(shown.with_columns(pl.col(pl.Decimal).cast(pl.Float64)), f"goals_{period.label}")
    st.plotly_chart(ui.figure(charts.goals_vs_quota, budget), key="goals_chart")
