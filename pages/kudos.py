"""Kudos: thank a teammate, read the team feed, see this month's most recognised.

Messages are shown in tables only, which render text as typed: never HTML or markdown.
"""

import uuid
from datetime import timedelta

import polars as pl
import streamlit as st

from squadboard import contribution, kudos, periods, ui, visibility

viewer = ui.who()
period = ui.period_picker()
plan = ui.current_plan()
today = ui.today()

st.title("Kudos")
ui.demo_notice()

people = ui.active_reps(today)  # names made once per data version: 16,000 at the large scale
names = people.names
to_choices = people.frame.filter(pl.col("rep_id") != viewer.rep_id)["rep_id"].to_list()
# A kudos tied to a deal counts in that deal's pod: the deals of the pods the viewer is in or leads.
deals = ui.run("pool_shares", **period.params(), viewer_id=viewer.rep_id)
deals = deals.select("deal_id", "deal").unique().sort("deal")
deal_names = dict(zip(deals["deal_id"], deals["deal"], strict=True))
given_today = ui.run("kudos_feed", period_start=today, period_end=today + timedelta(days=1)).filter(
    pl.col("from_rep") == viewer.rep_id
)
left_today = max(plan.kudos_daily_limit - given_today.height, 0)


# "(no deal)" is a choice of its own: a None value would show the box as "Choose an option".
NO_DEAL = ""


def give() -> None:
    """Runs once per click, before the page: the widgets are cleared only on success."""
    state = st.session_state
    try:
        kudos.give_kudos(
            ui.con(),
            ui.who().rep_id,
            state["kudos_to"],
            state["kudos_category"],
            state["kudos_message"],
            state["kudos_deal"] or None,
            ui.current_plan(),
            contribution.stamp(ui.today()),
            # One key per filled-in form: a request sent twice gives the kudos once.
            request_key=state.setdefault("kudos_request", uuid.uuid4().hex),
        )
    except contribution.ContributionError as exc:
        state["kudos_result"] = ("error", str(exc))
        return
    state["kudos_request"] = uuid.uuid4().hex
    state["kudos_result"] = ("success", f"Kudos sent to {ui.plain(names.get(state['kudos_to']))}.")
    state["kudos_message"] = ""
    state["kudos_deal"] = NO_DEAL  # back to "(no deal)", the box's first choice


with st.container(border=True):
    st.subheader("Give kudos")
    st.caption(f"You can give {left_today} more today (limit {plan.kudos_daily_limit} a day).")
    st.selectbox("To", to_choices, format_func=names.get, key="kudos_to")
    st.selectbox("For", kudos.CATEGORIES, key="kudos_category")
    st.text_area("Message", max_chars=kudos.MAX_MESSAGE, key="kudos_message")
    st.selectbox(
        "Deal (optional; counts as peer validation in the deal's pool)",
        [NO_DEAL, *deal_names],
        format_func=lambda d: "(no deal)" if d == NO_DEAL else deal_names.get(d) or d,
        key="kudos_deal",
    )
    st.button("Give kudos", key="give_kudos", on_click=give, type="primary")
    result = st.session_state.pop("kudos_result", None)
    if result:
        getattr(st, result[0])(result[1])

month = periods.month_of(ui.as_of_for(period))
st.subheader(f"Most recognised · {month.label}")
top = ui.run("most_recognised", **month.params())
top = visibility.hide_names(  # board naming holds here too (the feed below is public thanks)
    top, viewer, plan.board_naming, squads=ui.run("roster", as_of=ui.as_of_for(month))
)
if top.is_empty():
    st.caption("No kudos this month yet.")
else:
    ui.table(
        top.select("rank", "rep", "kudos", "top_category").head(5),
        column_config={"top_category": "Thanked most for"},
    )

st.subheader(f"Team feed · {period.label}")
feed = ui.run("kudos_feed", **period.params()).select(
    "given_at", "from_name", "to_name", "category", "message", "deal"
)
ui.table(
    feed,
    width="stretch",
    column_config={
        "given_at": ui.moment("When"),
        "from_name": "From",
        "to_name": "To",
        "message": st.column_config.TextColumn("Message", width="large"),
    },
)
ui.downloads(feed, f"kudos_{period.label}")
