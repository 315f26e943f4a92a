"""Mentoring: requests for help asked of you and by you (a leader also sees their squads'),
each step one click, the 90-day follow-up, and for leaders Suggest pairs: a mentor for every
rep behind target, chosen as an optimal assignment within every mentor's limit.

squadboard/mentoring.py decides who may take which step and who sees which request;
squadboard/skills.py makes the pairs. Messages and notes are shown as typed, never as markup.
"""

from datetime import timedelta

import polars as pl
import streamlit as st

from squadboard import contribution, display, mentoring, skills, ui

viewer = ui.who()
plan = ui.current_plan()
today = ui.today()

st.title("Mentoring")
ui.demo_notice()
result = st.session_state.pop("mentoring_result", None)
if result:
    getattr(st, result[0])(ui.plain(result[1]))

STEPS = {
    "accept": ("Accept", ":material/check:"),
    "decline": ("Decline", ":material/close:"),
    "done": ("Mark done", ":material/task_alt:"),
    "withdraw": ("Withdraw", ":material/undo:"),
    "thank": ("Thank with kudos", ":material/volunteer_activism:"),
}
DONE_TEXT = {
    "accept": "Accepted: you are now mentoring {asker}.",
    "decline": "Declined.",
    "done": "Marked done. Thank you for helping.",
    "withdraw": "Withdrawn.",
    "thank": "Thank-you kudos sent to {mentor}.",
}


def step(action: str, row: dict) -> None:
    """Runs once per click, before the page."""
    state, who, now = st.session_state, ui.who().rep_id, contribution.stamp(ui.today())
    note = state.get(f"note_{row['request_id']}")
    try:
        match action:
            case "accept":
                mentoring.accept(ui.con(), who, row["request_id"], now, note)
            case "decline":
                mentoring.decline(ui.con(), who, row["request_id"], now, note)
            case "done":
                mentoring.mark_done(ui.con(), who, row["request_id"], now)
            case "withdraw":
                mentoring.withdraw(ui.con(), who, row["request_id"], now)
            case "thank":
                mentoring.thank(ui.con(), who, row["request_id"], ui.current_plan(), now)
    except contribution.ContributionError as exc:
        state["mentoring_result"] = ("error", f"Nothing changed: {exc}.")
        return
    state["mentoring_result"] = ("success", DONE_TEXT[action].format(**row))


requests = mentoring.visible_requests(ui.run("help_requests", as_of=today), viewer)
follow = ui.run("mentoring_follow_up", as_of=today)
follow_by_id = {r["request_id"]: r for r in follow.iter_rows(named=True)}


def when(row: dict) -> str:
    latest = max(
        t
        for t in (row["asked_at"], row["accepted_at"], row["declined_at"])
        + (row["withdrawn_at"], row["done_at"])
        if t is not None
    )
    return latest.strftime("%-d %b %Y")


def show(row: dict) -> None:
    with st.container(border=True):
        head, status = st.columns([3, 1])
        head.markdown(
            f"**{ui.plain(row['asker'])}** asked **{ui.plain(row['mentor'])}** · "
            f"{ui.plain(row['topic'])}"
        )
        status.markdown(f"**{row['status']}** · {when(row)}")
        if row["message"]:
            st.text(row["message"])
        details = []
        if row["deal"]:
            details.append(f"Deal: {row['deal']}")
        if row["note"]:
            details.append(f"{row['mentor']}'s note: {row['note']}")
        if row["thanked_kudos_id"]:
            details.append(f"{row['asker']} thanked {row['mentor']} with kudos.")
        if details:
            st.caption(ui.plain(" · ".join(details)))
        later = follow_by_id.get(row["request_id"])
        if later:
            st.caption(
                ui.plain(
                    f"Follow-up, {row['asker']}'s {row['topic']}: "
                    f"{skills.follow_up_text(later)} {skills.NOT_PROOF}"
                )
            )
        actions = mentoring.actions_for(row, viewer.rep_id)
        if "accept" in actions:
            st.text_input(
                "Note to go with your answer (optional)",
                key=f"note_{row['request_id']}",
                max_chars=mentoring.MAX_MESSAGE,
            )
        if actions:
            for column, action in zip(st.columns(len(actions) + 2), actions, strict=False):
                label, icon = STEPS[action]
                column.button(
                    label,
                    key=f"{action}_{row['request_id']}",
                    on_click=step,
                    args=(action, row),
                    icon=icon,
                    type="primary" if action in ("accept", "thank") else "secondary",
                )


asked_of_me = requests.filter(pl.col("mentor_id") == viewer.rep_id)
asked_by_me = requests.filter(pl.col("asker_id") == viewer.rep_id)
others = requests.filter(
    (pl.col("mentor_id") != viewer.rep_id) & (pl.col("asker_id") != viewer.rep_id)
)
active = ["open", "accepted"]

EMPTY = {
    "of": "Nobody has asked you yet. Whether you are available as a mentor is in your mentor "
    "settings on Find a mentor.",
    "by": "You have not asked anyone yet. Find a mentor suggests whom to ask, from your deal "
    "outcomes.",
    "squads": "No requests in your squads yet.",
}
groups = [("of", "Asked of you", asked_of_me), ("by", "Asked by you", asked_by_me)]
if viewer.is_leader:
    groups.append(("squads", "Your squads'" if not viewer.is_admin else "Everyone else's", others))
groups.sort(key=lambda g: g[2].is_empty())  # open on the requests there are
tabs = st.tabs([f"{label} ({frame.height})" for _, label, frame in groups])
for tab, (kind, _, frame) in zip(tabs, groups, strict=True):
    with tab:
        if frame.is_empty():
            st.caption(EMPTY[kind])
        for row in frame.filter(pl.col("status").is_in(active)).iter_rows(named=True):
            show(row)
        closed = frame.filter(~pl.col("status").is_in(active))
        if closed.height:
            st.markdown(f"**Closed requests** ({closed.height})")
            for row in closed.iter_rows(named=True):
                show(row)

# Suggest pairs (leaders and admins) ---------------------------------------------------------

if viewer.is_leader:
    st.subheader("Suggest pairs")
    period = ui.period_picker()
    roster = ui.run("roster", as_of=today).filter(pl.col("active"))
    squads = roster.select("squad_id", "squad").drop_nulls().unique().sort("squad")
    if not viewer.is_admin:
        squads = squads.filter(pl.col("squad_id").is_in(list(viewer.leads)))
    # the whole organisation (admins) last: at thousands of reps it takes seconds, not a blink
    scopes = squads["squad_id"].to_list() + ([None] if viewer.is_admin else [])
    labels = dict(zip(squads["squad_id"], squads["squad"], strict=True)) | {None: "Whole org"}
    if not scopes:
        st.caption("You lead no squad yet: pairs are suggested for a leader's own squads.")
    else:
        scope = st.selectbox("For", scopes, format_func=labels.get, key="pairs_scope")
        first, last = skills.default_window(today)
        # the counts of skill_profile (no cycle or amount medians): what the pairs compare
        profile = ui.run("skill_counts", period_start=first, period_end=last)
        attainment = ui.run("rep_attainment", **period.params(ui.as_of_for(period)))
        in_scope = roster if scope is None else roster.filter(pl.col("squad_id") == scope)
        scope_ids = set(in_scope["rep_id"].to_list())
        below = ui.once(skills.seekers_below_target, attainment, profile, plan.mentor_min_deals)
        seekers = [s for s in below if s in scope_ids]
        room = ui.run("mentor_roster")
        # an optimal assignment over the org's skill cells: once per data version and scope
        pairs = ui.once(skills.suggest_pairs, profile, seekers, room, plan.mentor_min_deals)
        st.caption(
            f"{len(seekers)} {'rep' if len(seekers) == 1 else 'reps'} behind target in "
            f"{period.label}; deals closed {display.day(first)} to "
            f"{display.day(last - timedelta(days=1))}. Each mentor takes no more than their free slots (mentee limit minus "
            "current mentees); the pairs together close as much of the gap to the team median "
            "as any choice could."
        )
        if pairs.is_empty():
            st.info(
                "No pair to suggest: nobody behind target has a cell a mentor with room is "
                "clearly stronger in."
            )
        else:
            table = pairs.select(
                "seeker",
                "mentor",
                pl.col("dimension").replace_strict(mentoring.DIMENSIONS, default=None),
                "segment",
                "gap_closed",
                "evidence",
            )
            for row in table.iter_rows(named=True):
                with st.container(border=True):
                    st.markdown(
                        ui.plain(f"{row['seeker']} ← {row['mentor']}")
                        + f" · {ui.plain(row['dimension'])}: {ui.plain(row['segment'])} · "
                        + f"closes {row['gap_closed'] * 100:.0f} points of the gap"
                    )
                    st.caption(ui.plain(row["evidence"]))
            ui.downloads(table, f"mentor_pairs_{labels[scope]}_{period.label}")
        unmatched = sorted(set(seekers) - set(pairs["seeker_id"]))
        if unmatched:
            names = dict(zip(roster["rep_id"], roster["rep"], strict=True))
            st.caption(
                ui.plain(
                    "No mentor found for: "
                    + ", ".join(names.get(r, r) for r in unmatched)
                    + " (no cell with enough deals below the team median, or no free mentor "
                    "stronger there)."
                )
            )
