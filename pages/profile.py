"""Collaboration profile: the deals a rep helped on, confirmed overlay credit, kudos given
and received by category; the record a leader can bring to a promotion discussion.

A rep sees their own profile; leaders and admins pick anyone.
"""

import polars as pl
import streamlit as st

from squadboard import display, ui, visibility

viewer = ui.who()
period = ui.period_picker()

roster = ui.run("roster", as_of=ui.as_of_for(period)).filter(pl.col("active"))
names = dict(zip(roster["rep_id"], roster["rep"], strict=True))
rep_id = viewer.rep_id
if viewer.is_leader:
    # Board naming holds here too: with names hidden, a leader opens their squads' profiles.
    open_to = set(visibility.visible_reps(viewer, ui.current_plan().board_naming, roster))
    ids = sorted(
        names.keys() & (open_to | {viewer.rep_id}), key=lambda r: (r != viewer.rep_id, names[r])
    )
    rep_id = st.selectbox("Rep", ids, format_func=names.get, key="profile_rep")

st.title(f"{ui.plain(names.get(rep_id, viewer.name))} · collaboration · {period.label}")
ui.demo_notice()

helped = ui.run("rep_deals_helped", rep_id=rep_id, **period.params())
kudos = ui.run("rep_kudos_by_category", rep_id=rep_id, **period.params())

a, b, c, d = st.columns(4)
a.metric("Deals helped on", helped.height)
b.metric("Overlay credit confirmed", display.money(helped["overlay_confirmed"].sum()))
c.metric("Kudos received", int(kudos["received"].sum()))
d.metric("Kudos given", int(kudos["given"].sum()))

st.subheader("Kudos by category")
ui.table(
    kudos,
    column_config={"category": "Category", "received": "Received", "given": "Given"},
)

st.subheader("Deals helped on")
if helped.is_empty():
    st.caption("No help on other people's deals recorded in this period.")
else:
    ui.table(
        helped.drop("deal_id"),
        width="stretch",
        column_config={
            "amount": ui.money("Deal amount"),
            "revenue_pct": ui.pct100("Revenue split %"),
            "overlay_role": "Overlay role",
            "overlay_status": "Claim",
            "overlay_confirmed": ui.money("Overlay confirmed"),
            "activities": "Activities logged",
        },
    )
ui.downloads(
    helped.with_columns(pl.col(pl.Decimal).cast(pl.Float64)),
    f"deals_helped_{rep_id}_{period.label}",
)
