"""Leaderboards: who contributed, not only who closed; where you stand on every board.

Names are hidden (anonymous / bottom N) by contribution.present_board before anything is
handed to Streamlit, so a hidden name is in no table, chart, download or page source.
"""

import polars as pl
import streamlit as st

from squadboard import charts, contribution, ui

viewer = ui.who()
period = ui.period_picker()
plan = ui.current_plan()

st.title(f"Leaderboards · {period.label}")
ui.demo_notice()

roster = ui.run("roster", as_of=ui.as_of_for(period))
squads = sorted(roster["squad"].drop_nulls().unique())
squad = st.selectbox(
    "Squad", [None, *squads], format_func=lambda s: s or "All squads", key="lb_squad"
)
metric = st.radio(
    "Board",
    list(contribution.BOARDS),
    format_func=lambda m: contribution.BOARDS[m][0],
    horizontal=True,
    key="lb_metric",
)
title, kind, meaning = contribution.BOARDS[metric]

board = contribution.within_squad(ui.run("leaderboard", **period.params(), metric=metric), squad)
shown = contribution.present_board(
    board, viewer, plan.board_naming, plan.hide_bottom_n, squads=roster
)

yours = (
    " As an admin you see every row and name."
    if viewer.is_admin
    else " As their leader you see your squads' rows and names."
    if viewer.is_leader
    else ""
)
naming = {
    "named": "Names shown.",
    "anonymous": "Anonymous board: everyone else is shown by rank only." + yours,
    "hide_bottom": f"The bottom {plan.hide_bottom_n} places are not shown (your own always is)."
    + yours,
}[plan.board_naming]
st.caption(f"**{title}**: {meaning}. {naming}")

value_column = {
    "money": ui.money(title),
    "percent": ui.pct(title),
    "points": ui.points(title),
    "count": ui.count(title),
    "score": ui.decimal(title),
}[kind]
table = shown.select("rank", "rep", "squad", "value")
if kind == "points":
    table = table.with_columns(pl.col("value") * 100)

left, right = st.columns([3, 1])
with left:
    if table.is_empty():
        st.info("Nobody is on this board for the period yet.")
    else:
        ui.table(
            table,
            width="stretch",
            column_config={"rank": "Rank", "rep": "Rep", "squad": "Squad", "value": value_column},
        )
        st.plotly_chart(ui.figure(charts.board_bars, table.with_columns(you=shown["you"]), kind))
with right:
    st.markdown("**Contribution weights**")
    ui.table(
        pl.DataFrame(
            {
                "board": [contribution.BOARDS[m][0] for m in contribution.CONTRIBUTION_PARTS],
                "weight": [
                    getattr(plan, f"contribution_{m}") for m in contribution.CONTRIBUTION_PARTS
                ],
            }
        ),
        column_config={"board": "Board", "weight": ui.pct("Weight")},
    )
    st.markdown("**Activity points**")
    ui.table(
        pl.DataFrame(
            {
                "activity": [k.replace("_", " ") for k in contribution.ACTIVITY_KINDS],
                "points": [getattr(plan, f"weight_{k}") for k in contribution.ACTIVITY_KINDS],
            }
        ),
        column_config={"activity": "Activity", "points": ui.decimal("Points")},
    )
ui.downloads(table, f"leaderboard_{metric}_{period.label}")

st.subheader("Where you stand")
mine = contribution.standing(
    {m: ui.run("leaderboard", **period.params(), metric=m) for m in contribution.BOARDS},
    viewer.rep_id,
    squad,
)
if mine.is_empty():
    st.caption("You are not on the boards for this period (boards rank squad members).")
else:
    ui.table(
        mine,
        width="stretch",
        column_config={"board": "Board", "rank": "Your rank", "of": "Of", "value": "Your value"},
    )
