"""Masterminds: a hard deal or account becomes a small project the team works on together.

Everyone reads every Mastermind; who may write, invite, answer and close is decided by
squadboard.mastermind for the viewer from ui.who(), whatever the buttons send. Text people
typed is shown with st.text or in tables, never as markdown. A link such as
`?deal=demo:D00042&why=Pushed%20twice` (the weekly meeting's "open a Mastermind") opens the
form with the deal picked and the reasons filled in; `?room=ID` opens a Mastermind.
"""

from datetime import timedelta

import polars as pl
import streamlit as st

from squadboard import contribution, display, ui
from squadboard import mastermind as mm
from squadboard import mastermind_views as views
from squadboard.contribution import format_value

viewer = ui.who()
today = ui.today()
state = st.session_state

st.title("Masterminds")
ui.demo_notice()
st.caption(
    "A hard deal or account, worked on as a small project: the owner invites a few helpers, "
    "they trade ideas, log decisions and agree next steps, and the Mastermind closes with an "
    "outcome, a retro and thanks. Helpers who accepted and wrote a note or finished a step "
    "count as assists when the deal is won, and on the Mastermind board."
)

people = ui.active_reps(today)
roster, names = people.frame, people.names


def flash(kind: str, text: str) -> None:
    state["mm_result"] = (kind, text)


def attempt(action, success) -> None:
    """Run a domain write from a button's callback; its refusal becomes a message, not a trace.
    `success` is the message, or a function of what the write returned that makes it."""
    try:
        done = action()
    except contribution.ContributionError as exc:
        flash("error", str(exc))
    else:
        flash("success", success(done) if callable(success) else success)


# The link from the weekly meeting (or any page): ?deal=...&why=... prefills the form once. A
# page may instead set st.session_state["mm_prefill"] = {"deal_id": ..., "why": ...} and
# switch here. Either way the reasons are text in a text box, cut to the longest allowed.
asked_deal = st.query_params.get("deal")
if "mm_prefill_done" not in state and asked_deal is not None:
    state["mm_prefill_done"] = True
    state["mm_prefill"] = {"deal_id": asked_deal, "why": st.query_params.get("why", "")}
if isinstance(state.get("mm_prefill"), dict):
    why = str(state["mm_prefill"].get("why") or "")
    if len(why) > mm.MAX_WHY:
        st.warning(f"The reasons were longer than {mm.MAX_WHY} characters and were cut.")
        state["mm_prefill"]["why"] = why[: mm.MAX_WHY]
prefill = state.get("mm_prefill") if isinstance(state.get("mm_prefill"), dict) else {}

result = state.pop("mm_result", None)
if result:
    getattr(st, result[0])(ui.plain(result[1]))

# Opening one ---------------------------------------------------------------------------------

if prefill and not prefill.get("applied"):
    state["mm_opening"] = True
# The form (and its suggestions, which read a year of deals) is made only when asked for.
opening = st.toggle("Open a new Mastermind", key="mm_opening")


def open_form(prefill: dict) -> None:
    """Pick a deal or account, say what and why, invite helpers with the suggestions."""
    search = state.get("mm_search") or None
    openable = ui.run("mastermind_openable", rep_id=viewer.rep_id, as_of=today, search=search)
    asked = prefill.get("deal_id") if not prefill.get("applied") else None
    if asked:
        prefill["applied"] = True
        if asked not in set(openable["deal_id"]):  # past the first 500: look it up by its id
            state["mm_search"] = asked
            openable = ui.run(
                "mastermind_openable", rep_id=viewer.rep_id, as_of=today, search=asked
            )
        if asked in set(openable.filter(pl.col("status") == "open")["deal_id"]):
            state["mm_kind"] = "deal"
            state["mm_deal"] = asked
            state["mm_why"] = prefill.get("why", "")
        else:
            state["mm_result"] = (
                "warning",
                f"The link names the deal {asked!r}, which is not an open deal you may open a "
                "Mastermind for (your own, your squads' as a leader, any as an admin). Pick one "
                "below.",
            )
            st.rerun()
    kind = st.radio(
        "For", ["deal", "account"], format_func=str.capitalize, horizontal=True, key="mm_kind"
    )
    st.text_input("Find a deal or account", key="mm_search", placeholder="deal, account or owner")
    if kind == "deal":
        choices = openable.filter(pl.col("status") == "open")
        labels = {
            r["deal_id"]: f"{r['deal']} · {r['owner']} · {r['stage']}"
            for r in choices.iter_rows(named=True)
        }
    else:
        choices = openable.unique(["account", "owner_id"], keep="first").drop_nulls("account")
        labels = {
            f"{r['owner_id']}|{r['account']}": f"{r['account']} · {r['owner']}"
            for r in choices.iter_rows(named=True)
        }
    if not labels:
        st.caption(
            "No deal you may open a Mastermind for matches. Masterminds are opened by a deal's "
            "owner, their leader or an admin; ask one of them, or search for another name."
        )
    else:
        picked = st.selectbox(
            "Deal" if kind == "deal" else "Account",
            list(labels),
            format_func=labels.get,
            key="mm_deal" if kind == "deal" else "mm_account",
        )
        if kind == "deal":
            deal = openable.filter(pl.col("deal_id") == picked).row(0, named=True)
            owner_id, account, deal_id = deal["owner_id"], deal["account"] or "", picked
            default_title = f"Win {deal['deal']}"
        else:
            owner_id, account = picked.split("|", 1)
            deal_id, default_title = None, f"Grow {account}"
        st.text_input("Title", value=default_title, max_chars=mm.MAX_TITLE, key="mm_title")
        left, right = st.columns([3, 1])
        left.text_input(
            "Goal: the outcome you aim for",
            max_chars=mm.MAX_GOAL,
            placeholder="e.g. signed order at list price",
            key="mm_goal",
        )
        right.date_input(
            "Target date", value=today + timedelta(days=30), min_value=today, key="mm_target"
        )
        st.text_area(
            "Why a Mastermind", max_chars=mm.MAX_WHY, key="mm_why", help="What is hard about it"
        )
        found = views.suggest(
            ui.con(),
            account=account,
            deal_id=deal_id,
            exclude={viewer.rep_id, owner_id},
            today=today,
            run=ui.run,
        )
        st.markdown("**Suggested helpers**")
        if found.is_empty():
            st.caption("Nobody stands out for this account, product or deal size yet.")
        else:
            ui.table(  # one reason a row, so that none is cut off
                found.select("rep", pl.col("evidence").str.split("; ")).explode("evidence"),
                hide_index=True,
                width="stretch",
                column_config={
                    "rep": st.column_config.TextColumn("Rep", width="small"),
                    "evidence": st.column_config.TextColumn("Why them", width="large"),
                },
            )
        evidence = dict(zip(found["rep_id"], found["evidence"], strict=True))
        invitable = [r for r in names if r not in (viewer.rep_id, owner_id)]
        invitable.sort(key=lambda r: (r not in evidence, names[r]))
        st.multiselect(
            "Invite helpers (anyone on the team)",
            invitable,
            format_func=lambda r: names[r] + (" · suggested" if r in evidence else ""),
            max_selections=mm.MAX_HELPERS,
            key="mm_helpers",
        )

        def open_it(deal_id=deal_id, account=account, owner_id=owner_id, evidence=evidence):
            def go():
                new = mm.open_mastermind(
                    ui.con(),
                    ui.who().rep_id,
                    title=state["mm_title"],
                    goal=state["mm_goal"],
                    target_date=state["mm_target"],
                    why=state["mm_why"],
                    deal_id=deal_id,
                    account=None if deal_id else account,
                    owner_id=owner_id,
                    helpers=state["mm_helpers"],
                    reasons={h: evidence[h] for h in state["mm_helpers"] if h in evidence},
                    now=contribution.stamp(ui.today()),
                )
                state["mm_room"] = new
                state["mm_opening"] = False
                state.pop("mm_prefill", None)
                for key in ("mm_goal", "mm_why", "mm_helpers"):
                    state.pop(key, None)

            attempt(go, "Mastermind opened; the helpers see their invitation here.")

        st.button("Open the Mastermind", type="primary", on_click=open_it, key="mm_open")


if opening:
    with st.container(border=True):
        open_form(prefill)

# The list ------------------------------------------------------------------------------------

rooms = ui.run("masterminds")
rooms = rooms.join(ui.run("mastermind_next_steps", as_of=today), on="mastermind_id", how="left")
rooms = rooms.join(ui.run("mastermind_deals"), on="mastermind_id", how="left")
roles = ui.run("mastermind_roles", rep_id=viewer.rep_id)
invited = roles.filter(pl.col("part") == "invited")["mastermind_id"].to_list()
LIST_CONFIG = {
    "title": "Mastermind",
    "deal": "Deal",
    "amount": st.column_config.TextColumn("Deal amount"),
    "account": "Account",
    "owner": "Owner",
    "helpers": "Helpers",
    "target_date": st.column_config.DateColumn("Target date", format="D MMM YYYY"),
    "next_step": "Next step",
    "next_due": "Next step due",
    "steps": "Steps",
    "outcome": "Outcome",
    "closed_at": st.column_config.DatetimeColumn("Closed", format="D MMM YYYY"),
    "part": "Your part",
}
active = ui.once(views.present_list, rooms.filter(pl.col("status") == "open"), roles)
st.subheader(f"Active Masterminds ({active.height})")
if active.is_empty():
    st.caption("No Mastermind is open. Open one for a deal that needs the team.")
else:
    ui.table(
        active.select(
            "title", "deal", "amount", "owner", "next_step", "next_due", "steps", "helpers"
        ),
        hide_index=True,
        width="stretch",
        column_config=LIST_CONFIG,
    )
closed = ui.once(views.present_list, rooms.filter(pl.col("status") == "closed"), roles)
with st.expander(f"Closed Masterminds ({closed.height})"):
    ui.table(
        closed.select(
            "title", "deal", "account", "owner", "helpers", "outcome", "closed_at", "part"
        ),
        hide_index=True,
        width="stretch",
        column_config=LIST_CONFIG,
    )

# One Mastermind ------------------------------------------------------------------------------

ids = rooms["mastermind_id"].to_list()
if not ids:
    st.stop()
room_labels = ui.once(views.room_labels, rooms, roles)
asked_room = st.query_params.get("room")
if "mm_room_link" not in state:  # the link counts on the first run only
    state["mm_room_link"] = True
    if asked_room is None:
        pass
    elif asked_room in room_labels:
        state["mm_room"] = asked_room
    else:
        st.warning(ui.plain(f"Ignored the link's Mastermind {asked_room!r}: there is no such one."))
if state.get("mm_room") not in room_labels:
    mine = roles.filter(pl.col("part").is_in(["owner", "helper"]))["mastermind_id"].to_list()
    # The first open one the viewer is invited to, takes part in, or leads; else the first.
    team = roster.filter(pl.col("squad_id").is_in(list(viewer.leads)))["rep_id"].to_list()
    led = set(rooms.filter(pl.col("owner_id").is_in(team))["mastermind_id"])
    open_now = dict(zip(rooms["mastermind_id"], rooms["status"] == "open", strict=True))
    invited_set, mine_set = set(invited), set(mine)  # thousands of rooms: no list scans
    position = {r: i for i, r in enumerate(ids)}
    state["mm_room"] = min(
        ids,
        key=lambda r: (
            not open_now[r],
            r not in invited_set,
            r not in mine_set,
            r not in led,
            position[r],
        ),
    )
room_id = st.selectbox("Open a Mastermind", ids, format_func=room_labels.get, key="mm_room")
st.query_params["room"] = room_id

room = ui.run("mastermind_room", mastermind_id=room_id).row(0, named=True)
helpers = ui.run("mastermind_room_helpers", mastermind_id=room_id)
my_status = dict(zip(helpers["rep_id"], helpers["status"], strict=True)).get(viewer.rep_id)
accepted = helpers.filter(pl.col("status") == "accepted")
participants = [room["owner_id"], *accepted["rep_id"].to_list()]
is_participant = viewer.rep_id in participants
manages = views.viewer_manages(ui.con(), viewer.rep_id, room["owner_id"], today)
is_open = room["status"] == "open"

with st.container(border=True):
    st.subheader(ui.plain(room["title"]))
    st.caption(ui.plain(views.room_summary(room)))
    a, b, c, d = st.columns(4)
    a.metric("Target date", display.day(room["target_date"]))
    b.metric("Status", (room["outcome"] or "open").capitalize())
    c.metric("Helpers", f"{accepted.height} of {helpers.height}", help="accepted of invited")
    d.metric("Deal amount", format_value("money", room["amount"] and float(room["amount"])))
    st.markdown("**Goal**")
    st.text(room["goal"])
    if room["why"]:
        st.markdown("**Why**")
        st.text(room["why"])
    if room["retro"]:
        st.markdown("**Retro: what helped**")
        st.text(room["retro"])

    if my_status == "invited" and is_open:
        st.info("You are invited to help on this Mastermind.", icon=":material/mail:")
        yes, no = st.columns(2)
        for col, answer, label in ((yes, "accept", "Accept"), (no, "decline", "Decline")):
            col.button(
                label,
                key=f"mm_{answer}",
                type="primary" if answer == "accept" else "secondary",
                on_click=attempt,
                args=(
                    lambda a=answer: mm.respond(
                        ui.con(), ui.who().rep_id, room_id, a, contribution.stamp(ui.today())
                    ),
                    "Thank you: you are in." if answer == "accept" else "Declined.",
                ),
            )

    st.markdown("**Helpers**")
    if helpers.is_empty():
        st.caption("Nobody invited yet.")
    else:
        ui.table(
            helpers.select("rep", "status", "notes", "steps_done", "reason"),
            hide_index=True,
            width="stretch",
            column_config={
                "rep": "Helper",
                "status": "Answer",
                "notes": "Notes",
                "steps_done": "Steps done",
                "reason": st.column_config.TextColumn("Suggested because", width="large"),
            },
        )
    if manages and is_open:
        taken = {*participants, *helpers["rep_id"].to_list(), viewer.rep_id}  # once, not per rep
        more = [r for r in names if r not in taken]
        st.multiselect("Invite more helpers", more, format_func=names.get, key="mm_more")
        st.button(
            "Invite",
            key="mm_invite",
            on_click=attempt,
            args=(
                lambda: mm.invite(
                    ui.con(),
                    ui.who().rep_id,
                    room_id,
                    state.get("mm_more") or [],
                    contribution.stamp(ui.today()),
                ),
                lambda new: f"Invited {len(new)}." if new else "They were invited already.",
            ),
        )

steps = ui.run("mastermind_room_steps", mastermind_id=room_id, as_of=today)
st.subheader("Next steps")
if steps.is_empty():
    st.caption("No next steps yet.")
else:
    ui.table(
        views.present_steps(steps),
        hide_index=True,
        width="stretch",
        column_config={
            "title": st.column_config.TextColumn("Step", width="large"),
            "owner": "Owner",
            "due_date": st.column_config.DateColumn("Due", format="D MMM YYYY"),
            "status": "Status",
        },
    )
if is_participant and is_open:
    add, change = st.columns([1, 3], vertical_alignment="bottom")
    with add.popover("Add a step", icon=":material/add_task:", width="stretch"):
        st.text_input("Step", max_chars=mm.MAX_STEP, key="mm_step_title")
        st.selectbox("Owner", participants, format_func=names.get, key="mm_step_owner")
        st.date_input("Due", value=today + timedelta(days=7), key="mm_step_due")
        st.button(
            "Add step",
            key="mm_add_step",
            on_click=attempt,
            args=(
                lambda: mm.add_step(
                    ui.con(),
                    ui.who().rep_id,
                    room_id,
                    state.get("mm_step_title", ""),
                    state.get("mm_step_owner"),
                    state.get("mm_step_due"),
                    contribution.stamp(ui.today()),
                ),
                "Step added.",
            ),
        )
    if not steps.is_empty():
        with change:
            pick, status, go = st.columns([3, 1, 1], vertical_alignment="bottom")
            step_labels = dict(zip(steps["step_id"], views.step_labels(steps), strict=True))
            pick.selectbox("Step", list(step_labels), format_func=step_labels.get, key="mm_step")
            status.selectbox("New status", mm.STEP_STATUSES, key="mm_step_status")
            go.button(
                "Update step",
                key="mm_update_step",
                width="stretch",
                on_click=attempt,
                args=(
                    lambda: mm.set_step_status(
                        ui.con(),
                        ui.who().rep_id,
                        state.get("mm_step"),
                        state.get("mm_step_status"),
                        contribution.stamp(ui.today()),
                    ),
                    "Step updated.",
                ),
            )

notes_col, decisions_col = st.columns([3, 2], gap="large")
notes = ui.run("mastermind_room_notes", mastermind_id=room_id)
with notes_col:
    st.subheader("Notes")
    thread = notes.filter(pl.col("kind") == "note")
    if thread.is_empty():
        st.caption("No notes yet: the participants' ideas appear here.")
    for note in thread.iter_rows(named=True):
        with st.container(border=True):
            st.caption(ui.plain(f"{note['author']} · {display.moment(note['written_at'])}"))
            st.text(note["body"])
    if is_participant and is_open:
        st.text_area("Write a note or a decision", max_chars=mm.MAX_NOTE, key="mm_note")
        kind_col, post_col = st.columns([3, 1], vertical_alignment="bottom")
        kind_col.radio(
            "As",
            mm.NOTE_KINDS,
            format_func=lambda k: {"note": "a note (an idea)", "decision": "a decision"}[k],
            horizontal=True,
            key="mm_note_kind",
        )

        def post():
            def go():
                mm.write_note(
                    ui.con(),
                    ui.who().rep_id,
                    room_id,
                    state.get("mm_note", ""),
                    contribution.stamp(ui.today()),
                    kind=state.get("mm_note_kind", "note"),
                )
                state["mm_note"] = ""

            attempt(go, "Posted.")

        post_col.button("Post", key="mm_post", on_click=post, type="primary", width="stretch")
    elif is_open:
        st.caption("Only the owner and the helpers who accepted write here; everyone reads.")
with decisions_col:
    st.subheader("Decision log")
    decisions = notes.filter(pl.col("kind") == "decision")
    if decisions.is_empty():
        st.caption("No decisions logged yet.")
    for note in decisions.iter_rows(named=True):
        with st.container(border=True):
            st.caption(ui.plain(f"{note['author']} · {display.day(note['written_at'])}"))
            st.text(note["body"])

if my_status == "accepted" and room["deal_id"] and room["deal_status"] != "lost":
    with st.expander("Claim overlay credit on the deal"):
        st.caption(
            "Your claim goes to the deal's AE and the AE's manager, who both confirm it (Credit "
            "claims page). Overlay credit never adds to a squad's total."
        )
        st.text_input("What you did (optional)", max_chars=300, key="mm_claim_note")
        st.button(
            "Claim overlay credit",
            key="mm_claim",
            on_click=attempt,
            args=(
                lambda: mm.claim_credit(
                    ui.con(),
                    ui.who().rep_id,
                    room_id,
                    state.get("mm_claim_note", ""),
                    ui.current_plan(),
                    contribution.stamp(ui.today()),
                ),
                "Claim filed: waiting for the AE and the manager.",
            ),
        )

if manages and is_open:
    with st.expander("Close the Mastermind", icon=":material/flag:"):
        st.selectbox("Outcome", mm.OUTCOMES, key="mm_outcome")
        st.text_area("Retro: what helped", max_chars=mm.MAX_RETRO, key="mm_retro")
        st.multiselect(
            "Thank with kudos (tied to the deal)",
            accepted["rep_id"].to_list(),
            default=[r for r in accepted["rep_id"].to_list() if r != viewer.rep_id],
            format_func=names.get,
            key=f"mm_thank_{room_id}",  # its default: this Mastermind's helpers
        )
        st.text_input("Thank-you message (optional)", max_chars=400, key="mm_thanks_message")
        st.button(
            "Close and thank",
            key="mm_close",
            type="primary",
            on_click=attempt,
            args=(
                lambda: mm.close(
                    ui.con(),
                    ui.who().rep_id,
                    room_id,
                    state.get("mm_outcome"),
                    state.get("mm_retro", ""),
                    contribution.stamp(ui.today()),
                    ui.current_plan(),
                    thank=state.get(f"mm_thank_{room_id}") or [],
                    message=state.get("mm_thanks_message", ""),
                ),
                "Closed. The thanks are in the kudos feed.",
            ),
        )

with st.expander("History of this Mastermind"):
    history = ui.run("mastermind_history", mastermind_id=room_id)
    if history.is_empty():
        st.caption("No change recorded since this Mastermind was loaded.")
    else:
        ui.table(
            history.select("at_time", "actor_name", "action", "detail"),
            hide_index=True,
            width="stretch",
            column_config={
                "at_time": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
                "actor_name": "Who",
                "action": "What",
                "detail": "Detail",
            },
        )
