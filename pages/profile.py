"""Collaboration profile: the deals a rep helped on, confirmed overlay credit, kudos given
and received by category; the record a leader can bring to a promotion discussion.

A rep sees their own profile; leaders and admins pick anyone.
"""

import polars as pl
import streamlit as st

from squadboard import display, mentoring, skills, ui, visibility

viewer = ui.who()
period = ui.period_picker()

people = ui.active_reps(ui.as_of_for(period))
roster, names = people.frame, people.names
rep_id = viewer.rep_id
if viewer.is_leader:
    # Board naming holds here too: with names hidden, a leader opens their squads' profiles.
    open_to = visibility.visible_reps(viewer, ui.current_plan().board_naming, roster)
    # themself first, then by name (sorted column-wise: a leader may open 16,000 profiles)
    ids = (
        roster.filter(pl.col("rep_id").is_in([*open_to, viewer.rep_id]))
        .sort(pl.col("rep_id") != viewer.rep_id, "rep", "rep_id")["rep_id"]
        .to_list()
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
            "mastermind": st.column_config.CheckboxColumn("Mastermind help"),
        },
    )
ui.downloads(
    helped.with_columns(pl.col(pl.Decimal).cast(pl.Float64)),
    f"deals_helped_{rep_id}_{period.label}",
)

# Mentoring (issue #13): requests this rep mentored to done, and how their mentees did after.
st.subheader("Mentoring")
mentored = mentoring.visible_requests(
    ui.run("help_requests", as_of=ui.today(), rep_id=rep_id), viewer
).filter((pl.col("mentor_id") == rep_id) & (pl.col("status") == "done"))
room = ui.run("mentor_roster").filter(pl.col("rep_id") == rep_id)
if room.height:
    r = room.row(0, named=True)
    st.caption(
        ui.plain(
            ("Available as a mentor" if r["available"] else "Not taking mentees now")
            + f" · {r['mentees']} of {r['mentee_limit']} mentees"
            + (f" · glad to help with: {r['topics']}" if r["topics"] else "")
        )
    )
if mentored.is_empty():
    st.caption("No mentoring marked done yet.")
else:
    ui.table(
        mentored.select("asker", "topic", "done_at"),
        hide_index=True,
        width="stretch",
        column_config={
            "asker": "Mentee",
            "topic": "Topic",
            "done_at": st.column_config.DateColumn("Done", format="D MMM YYYY"),
        },
    )
change, n = skills.mentees_change(ui.run("mentoring_follow_up", as_of=ui.today()), rep_id)
if n:
    st.caption(
        f"Mentees' win rate in the topic, 90 days after against 90 days before: "
        f"{change * 100:+.0f} points on average over {n} "
        f"{'request' if n == 1 else 'requests'}. {skills.NOT_PROOF}"
    )

# Masterminds (issue #15): the ones this rep took part in while they were open in the period.
st.subheader("Masterminds")
rooms = ui.run("mastermind_participation", rep_id=rep_id, **period.params())
helped = rooms.filter(pl.col("role") == "helper")
a, b, c = st.columns(3)
a.metric("Masterminds joined as a helper", helped.height)
b.metric("Steps done", int(rooms["steps_done"].sum()))
outcomes = helped.filter(pl.col("outcome").is_not_null())["outcome"].value_counts(sort=True)
c.metric(
    "Outcomes of those helped on",
    ", ".join(f"{n} {o}" for o, n in outcomes.iter_rows()) or "–",
)
if rooms.is_empty():
    st.caption("No Mastermind in this period.")
else:
    ui.table(
        rooms.select(
            "title", "account", "owner", "role", "status", "outcome", "notes"
        ).with_columns(steps_done=rooms["steps_done"], counted=rooms["counted"]),
        hide_index=True,
        width="stretch",
        column_config={
            "title": "Mastermind",
            "account": "Account",
            "owner": "Owner",
            "role": "Part",
            "status": "Status",
            "outcome": "Outcome",
            "notes": "Notes written",
            "steps_done": "Steps done",
            "counted": st.column_config.CheckboxColumn(
                "Counts as help", help="a helper who accepted and wrote a note or finished a step"
            ),
        },
    )
