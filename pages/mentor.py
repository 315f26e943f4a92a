"""Find a mentor: a skill profile from deal outcomes, mentors matched on your weakest cells
with their evidence, who knows an account, and a one-click ask for help.

What a viewer may see of someone's weaknesses is decided by squadboard/skills.py before
anything is drawn; requests are written by squadboard/mentoring.py, which checks who asks.
"""

from datetime import timedelta

import polars as pl
import streamlit as st

from squadboard import contribution, mentoring, skill_charts, skills, ui

# Up to this many active people every account is listed; beyond, the page asks for part of a
# name first (a list of every account of a large organisation is slow to send and to scroll).
ACCOUNT_LIST_REPS = 500
ACCOUNT_OPTIONS = 1_000

viewer = ui.who()
plan = ui.current_plan()
today = ui.today()
people = ui.active_reps(today)
roster, names, squad_of = people.frame, people.names, people.squad_of

st.title("Find a mentor")
ui.demo_notice()
result = st.session_state.pop("mentor_result", None)
if result:
    getattr(st, result[0])(ui.plain(result[1]))


def ask(mentor_id: str, topic: mentoring.Topic) -> None:
    """One click: a request to `mentor_id` with the page's optional message and deal."""
    state = st.session_state
    try:
        mentoring.ask(
            ui.con(),
            ui.who().rep_id,
            mentor_id,
            topic,
            state.get("mentor_message", ""),
            state.get("mentor_deal"),
            contribution.stamp(ui.today()),
        )
    except contribution.ContributionError as exc:
        state["mentor_result"] = ("error", f"Not sent: {exc}.")
        return
    state["mentor_result"] = (
        "success",
        f"Asked {names.get(mentor_id, mentor_id)} for help with {topic.label()}. "
        "You will find the request on the Mentoring page.",
    )
    state["mentor_message"] = ""
    state["mentor_deal"] = None


def message_and_deal() -> None:
    """What goes with a request: an optional message and one of the asker's open deals."""
    st.text_area(
        "Message to send with a request (optional)",
        max_chars=mentoring.MAX_MESSAGE,
        key="mentor_message",
        placeholder="What you would like to go through together",
        height=80,
    )
    open_deals = ui.run("rep_open_deals", rep_id=viewer.rep_id)
    deal_names = dict(zip(open_deals["deal_id"], open_deals["deal"], strict=True))
    st.selectbox(
        "About one of your open deals (optional)",
        [None, *deal_names],
        format_func=lambda d: "(no deal)" if d is None else deal_names[d] or d,
        key="mentor_deal",
    )


# The window and whose skills -------------------------------------------------------------

first, last = skills.default_window(today)
left, right = st.columns([1, 1])
window = left.date_input(
    "Deals closed from … to",
    value=(first, last - timedelta(days=1)),
    max_value=today,
    format="YYYY-MM-DD",
    key="mentor_window",
    help="The four quarters up to today unless you pick other dates.",
)
if not isinstance(window, tuple) or len(window) != 2:
    st.info("Pick the last day of the window too.")
    st.stop()
span = {"period_start": window[0], "period_end": window[1] + timedelta(days=1)}

# One rep's cells and the team medians of the window, not everyone's cells: at thousands of
# reps that is what keeps the page quick (the same rules as skill_profile).
medians = ui.run("skill_team_medians", min_deals=plan.mentor_min_deals, **span)
# Whoever closes deals sees their own skills first; a leader who sells nothing opens on the
# reps of their squads (their own empty profile last). Anyone may look at anyone's strengths.
sells = not ui.run("skill_rep_profile", rep_id=viewer.rep_id, **span).is_empty()
itself = pl.col("rep_id") == viewer.rep_id
mine_first = roster.sort(  # column-wise: 16,000 reps at the large scale
    ~itself if sells else itself,
    ~pl.col("squad_id").is_in(list(viewer.leads)).fill_null(False),
    "rep",
    "rep_id",
)["rep_id"].to_list()
rep_id = right.selectbox(
    "Whose skills",
    mine_first,
    format_func=lambda r: f"{names[r]} (you)" if r == viewer.rep_id else names[r],
    key="mentor_rep",
)
rep_name = names[rep_id]
sees_all = skills.may_see_weaknesses(viewer, rep_id, squad_of.get(rep_id))

cells = skills.rep_cells(
    ui.run("skill_rep_profile", rep_id=rep_id, **span),
    medians,
    viewer,
    rep_id,
    squad_of.get(rep_id),
    plan.mentor_min_deals,
)

st.subheader(f"{ui.plain(rep_name)} · skills from closed deals")
if not sees_all:
    st.caption(
        f"Strengths only: where {ui.plain(rep_name)} wins at or above the team median. "
        "Weaknesses are shown to the rep, their leaders and admins."
    )
overall = cells.filter(pl.col("dimension") == "overall")
if overall.height:
    o = overall.row(0, named=True)
    a, b, c, d = st.columns(4)
    a.metric("Closed deals", f"{o['deals']:,}")
    b.metric("Won", f"{o['won']:,}")
    c.metric("Win rate", skills.percent(o["win_rate"]))
    d.metric(
        "95 % interval",
        f"{skills.percent(o['rate_low'])} – {skills.percent(o['rate_high'])}",
        help="Wilson score interval: the fewer the deals, the wider it is.",
    )
if cells.is_empty():
    st.info(
        f"{ui.plain(rep_name)} closed no deals in this window to learn from."
        if sees_all
        else f"No strength of {ui.plain(rep_name)}'s to show in this window."
    )
else:
    # A cell with no win has no cycle or won amount: a dash, as text. Formatted in Python, not
    # in a Polars map_elements: Python callbacks on Polars' thread pool deadlock with other
    # sessions' Polars work under load (issue #19's load driver found it).
    cycle = ["–" if d is None else f"{d:,.0f}" for d in cells["median_cycle_days"].to_list()]
    won = ["–" if a is None else f"${float(a):,.0f}" for a in cells["avg_won_amount"].to_list()]
    table = cells.with_columns(
        pl.col("dimension").replace_strict(mentoring.DIMENSIONS, default=pl.col("dimension")),
        pl.Series("median_cycle_days", cycle, dtype=pl.String),
        pl.Series("avg_won_amount", won, dtype=pl.String),
    ).select("dimension", "segment", "reading", *skills.PROFILE_COLUMNS[2:-1])
    ui.table(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "dimension": "Dimension",
            "segment": "Segment",
            "deals": "Closed deals",
            "won": "Won",
            "win_rate": ui.pct("Win rate"),
            "rate_low": ui.pct("At least", "lower bound of the 95 % Wilson interval"),
            "rate_high": ui.pct("At most", "upper bound of the 95 % Wilson interval"),
            "team_median": ui.pct("Team median"),
            "median_cycle_days": st.column_config.TextColumn(
                "Median days to win", help="created to close, of the won deals"
            ),
            "avg_won_amount": st.column_config.TextColumn("Average won deal"),
            "reading": "Reading",
        },
    )
    shown = cells.filter(pl.col("dimension") != "overall")
    if shown.height:
        st.plotly_chart(ui.figure(skill_charts.profile_chart, shown), key="mentor_profile_chart")
    ui.downloads(table, f"skills_{rep_id}_{window[0]}_{window[1]}")

# Suggestions: only for whom the viewer may see the weaknesses of ----------------------------

if sees_all:
    seeker_is_me = rep_id == viewer.rep_id
    st.subheader(
        "Who to learn from" if seeker_is_me else f"Who {ui.plain(rep_name)} could learn from"
    )
    suggested = skills.suggestions(ui.run, viewer, rep_id, squad_of.get(rep_id), span)
    few = skills.too_few(cells)
    # Requests the viewer already has going: (mentor, topic) -> status, instead of a button.
    asked = {
        (r["mentor_id"], r["topic"]): r["status"]
        for r in ui.run("help_requests", as_of=today, rep_id=viewer.rep_id)
        .filter(
            (pl.col("asker_id") == viewer.rep_id) & pl.col("status").is_in(["open", "accepted"])
        )
        .iter_rows(named=True)
    }
    if suggested.is_empty() and not cells.is_empty():  # no deals: said once, above
        st.info(
            f"No cell with at least {plan.mentor_min_deals} closed deals is below the team "
            "median in this window, or nobody with room to mentor is stronger there."
        )
    if seeker_is_me and suggested.height:
        message_and_deal()
    for (dimension, segment), group in suggested.group_by(
        ["dimension", "segment"], maintain_order=True
    ):
        top = group.row(0, named=True)
        with st.container(border=True):
            st.markdown(
                f"**{ui.plain(mentoring.DIMENSIONS.get(dimension, dimension))}: "
                f"{ui.plain(segment)}** · won {top['seeker_won']} of {top['seeker_deals']} "
                f"({skills.percent(top['seeker_rate'])}); team median "
                f"{skills.percent(top['team_median'])}"
            )
            for row in group.iter_rows(named=True):
                text, button = st.columns([5, 1])
                badge = "most improved · " if row["kind"] == "most_improved" else ""
                # the query speaks to the seeker ("you won"); a leader reads the rep's name
                evidence = row["evidence"]
                if not seeker_is_me:
                    evidence = evidence.replace("; you won ", f"; {rep_name} won ")
                text.markdown(ui.plain(badge + evidence))
                topic = mentoring.cell(dimension, segment)
                already = asked.get((row["mentor_id"], topic.label()))
                if seeker_is_me and already:
                    button.caption(f"Asked · {already}")
                elif seeker_is_me:
                    button.button(
                        ui.plain(f"Ask {row['mentor'].split(' ')[0]}"),  # labels are markdown
                        key=f"ask_{dimension}_{segment}_{row['mentor_id']}",
                        on_click=ask,
                        args=(row["mentor_id"], topic),
                        icon=":material/front_hand:",
                    )
    if few.height:
        st.caption(
            f"Too few deals to tell (fewer than {plan.mentor_min_deals}): "
            + ui.plain(
                "; ".join(
                    f"{mentoring.DIMENSIONS.get(r['dimension'], r['dimension'])} "
                    f"{r['segment']} ({r['won']} of {r['deals']})"
                    for r in few.iter_rows(named=True)
                )
            )
        )
elif rep_id != viewer.rep_id:
    with st.container(border=True):
        st.markdown(f"**Ask {ui.plain(rep_name)} for help**")
        topic_text = st.text_input(
            "About", max_chars=mentoring.MAX_FREE_TOPIC, key="mentor_free_topic"
        )
        message_and_deal()
        st.button(
            ui.plain(f"Ask {rep_name.split(' ')[0]}"),
            key="ask_free",
            on_click=lambda: ask(rep_id, mentoring.free(st.session_state["mentor_free_topic"])),
            type="primary",
        )

# Who knows this account --------------------------------------------------------------------

st.subheader("Who knows this account")
# A small organisation lists every account to pick from as you type; a large one (hundreds of
# thousands of accounts) asks for part of the name first and lists what matches.
search = ""
if len(names) > ACCOUNT_LIST_REPS:
    search = st.text_input(
        "Search accounts",
        key="mentor_account_search",
        max_chars=100,
        placeholder="Type part of the account's name",
    ).strip()
if search or len(names) <= ACCOUNT_LIST_REPS:
    accounts = ui.run("account_search", search=search or None, rep_id=viewer.rep_id)
    found = accounts["account"].to_list()
    my_accounts = accounts.filter(pl.col("my_open") > 0)["account"].to_list()
else:  # the accounts of my open deals only, without counting every account's deals
    found = []
    my_accounts = list(
        {
            a.lower(): a
            for a in ui.run("rep_open_deals", rep_id=viewer.rep_id)["account"].to_list()
            if a
        }.values()
    )
kept = st.session_state.get("mentor_account")  # the account picked stays, whatever is typed
kept = [kept] if kept else []
options = list({a.lower(): a for a in my_accounts + kept + found}.values())
if search and len(found) > ACCOUNT_OPTIONS:
    st.caption(
        f"{len(found):,} accounts match; the {ACCOUNT_OPTIONS:,} with the most deals are "
        "listed. Type more of the name to narrow it down."
    )
    options = list({a.lower(): a for a in my_accounts + kept + found[:ACCOUNT_OPTIONS]}.values())
elif search and found:
    st.caption(f"{len(found):,} {'account matches' if len(found) == 1 else 'accounts match'}.")
elif search and not found:
    st.caption(ui.plain(f"No account's name contains “{search}”."))


def pick_mine() -> None:
    st.session_state["mentor_account"] = st.session_state["mentor_my_accounts"]


if my_accounts:
    st.pills(
        "Accounts of your open deals",
        my_accounts,
        format_func=ui.plain,  # a pill shows its option as markdown: the name as typed
        key="mentor_my_accounts",
        on_change=pick_mine,
    )
picked = st.selectbox(
    "Account",
    options,
    index=None,
    placeholder=(
        "Type part of the account's name"
        if len(names) <= ACCOUNT_LIST_REPS
        else "Pick a matching account, or one of yours"
    ),
    key="mentor_account",
)
if picked:
    known = ui.run("account_experience", account=picked)
    if known.is_empty():
        st.info(f"Nobody has worked on {ui.plain(picked)} yet.")
    else:
        ui.table(
            known.drop("rep_id"),
            hide_index=True,
            width="stretch",
            column_config={
                "rep": "Rep",
                "deals": "Deals",
                "won": "Won",
                "lost": "Lost",
                "open": "Open",
                "last_close_date": st.column_config.DateColumn("Last closed", format="D MMM YYYY"),
                "products": "Products",
            },
        )
        others = known.filter(pl.col("rep_id") != viewer.rep_id).head(6)
        if others.height:
            columns = st.columns(min(others.height, 3))
            for i, row in enumerate(others.iter_rows(named=True)):
                columns[i % len(columns)].button(
                    ui.plain(f"Ask {row['rep']} about it"),
                    key=f"ask_account_{row['rep_id']}",
                    on_click=ask,
                    args=(row["rep_id"], mentoring.account(picked)),
                    icon=":material/front_hand:",
                    width="stretch",
                )

# Your mentor settings ---------------------------------------------------------------------

mine = mentoring.settings_of(ui.con(), viewer.rep_id)
with st.expander("Your mentor settings", icon=":material/school:"), st.form("mentor_settings"):
    available = st.checkbox("Available as a mentor", mine.available)
    limit = st.number_input(
        "Mentee limit",
        0,
        mentoring.MAX_LIMIT,
        mine.mentee_limit,
        step=1,
        help="How many people you mentor at once (accepted requests not yet done).",
    )
    topics = st.text_input(
        "Topics you are glad to help with", mine.topics, max_chars=mentoring.MAX_TOPICS
    )
    if st.form_submit_button("Save mentor settings", icon=":material/save:"):
        try:
            changed = mentoring.save_settings(
                ui.con(),
                viewer.rep_id,
                viewer.rep_id,
                mentoring.Settings(available, int(limit), topics),
                contribution.stamp(today),
            )
        except contribution.ContributionError as exc:
            st.error(ui.plain(f"Not saved: {exc}."))
        else:
            st.success("Saved." if changed else "Nothing changed.")
