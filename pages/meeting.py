"""Weekly meeting: one half-hour meeting on frozen figures, a section per screen.

Leaders run it for one squad or all; reps open it read-only for their own squad. Every
section is a function in SECTIONS (number -> title, render, pack part), so a section can be
added without touching the others. `?week=2026-W47&squad=orcas&section=2` reopens exactly
that week, squad and section; presentation mode is the wall screen."""

import contextlib
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial

import duckdb
import polars as pl
import streamlit as st

from squadboard import contribution, meeting, meeting_actions, meeting_charts, meeting_report, ui
from squadboard.contribution import ContributionError

viewer = ui.who()
plan = ui.current_plan()
# The weeks that ended since the last visit. A read-only or busy database shows the weeks
# frozen so far; the next visit freezes the rest.
with contextlib.suppress(duckdb.Error):
    meeting.freeze_ended_weeks(ui.con(), ui.today())
weeks = ui.run("meeting_weeks")
roster = ui.run("roster", as_of=ui.today())
squad_names = dict(
    roster.select("squad_id", "squad").drop_nulls().unique().sort("squad").iter_rows()
)
ALL = "all"


@dataclass(frozen=True)
class Meeting:
    week: date  # the Monday
    label: str
    squad_id: str | None  # None: every squad
    squad: str
    describe: str  # the two frozen states compared, in words
    presenting: bool
    may_write: bool


WALL_ROWS = 8  # rows of a table that fit the wall screen under a section's heading


def _show_table(m: Meeting, words: pl.DataFrame, empty: str) -> None:
    """A table in words: big HTML on the wall screen (its first rows), a data grid otherwise."""
    if m.presenting:
        st.html(meeting_report.html_table(words.head(WALL_ROWS), empty))
        if words.height > WALL_ROWS:
            st.caption(f"… and {words.height - WALL_ROWS} more (leave presentation mode or "
                       "download the meeting pack for all of them).")  # fmt: skip
    elif words.is_empty():
        st.write(empty)
    else:
        ui.table(words, hide_index=True, width="stretch")


# 1. Where each squad stands ------------------------------------------------------------------


def _standings(m: Meeting) -> pl.DataFrame:
    return ui.run("meeting_standings", week_start=m.week, squad_id=m.squad_id)


def standings_section(m: Meeting) -> None:
    rows = _standings(m)
    if rows.is_empty():
        st.write("No squad was frozen with this week.")
        return
    quarter = rows["quarter"][0]
    st.caption(ui.plain(f"{quarter} attainment of base quota at the end of {m.label}, "
                        "against a week before; pace = attainment ÷ time elapsed"))  # fmt: skip
    if m.squad_id is not None:
        r = rows.row(0, named=True)
        cols = st.columns(4)
        change = r["change"] if r["change"] else None  # no arrow for no change
        cols[0].metric("Attainment", meeting_report.pct(r["attainment"]),
                       None if change is None else meeting_report.points(change))  # fmt: skip
        cols[1].metric("A week before", meeting_report.pct(r["attainment_week_ago"]))
        cols[2].metric("Credited this week", meeting_report.money(r["credited_this_week"]))
        ui.pace_metric(cols[3], "Pace", r["pace"], r["status"])
    else:
        st.plotly_chart(
            ui.figure(meeting_charts.standings_bars, rows, m.presenting), key="standings"
        )
    _show_table(m, ui.once(meeting_report.standings, rows), "No squad has a quota this quarter.")


# 2. The bridge ------------------------------------------------------------------------------


def _bridge(m: Meeting) -> pl.DataFrame:
    return ui.run("pipeline_bridge", week_start=m.week, squad_id=m.squad_id)


def _movements(m: Meeting) -> pl.DataFrame:
    return ui.run("deal_movements", week_start=m.week, squad_id=m.squad_id)


BRIDGE_HELP = "\n".join(f"- **{t}**: {d}" for t, d in meeting.CATEGORIES.values())


def bridge_section(m: Meeting) -> None:
    bridge = _bridge(m)
    st.caption(ui.plain(m.describe), help=BRIDGE_HELP)
    event = st.plotly_chart(
        ui.figure(meeting_charts.bridge_waterfall, bridge, big=m.presenting),
        key="bridge_chart",
        on_select="rerun",
        selection_mode="points",
    )
    moved = [c for c, n in zip(bridge["category"], bridge["deals"], strict=True)
             if c in meeting.CHANGES and n > 0]  # fmt: skip
    clicked = [p.get("customdata") for p in (event.selection.points if event else [])]
    if clicked and clicked[0] in moved:
        st.session_state["meeting_category"] = clicked[0]
    if not moved:
        st.write("Nothing moved this week: start and end are the same deals.")
        return
    if st.session_state.get("meeting_category") not in moved:
        st.session_state["meeting_category"] = moved[0]
    picked = st.segmented_control(
        "Click a bar, or pick a category, to list its deals",
        moved,
        format_func=lambda c: meeting.CATEGORIES[c][0],
        key="meeting_category",
    )
    deals = _movements(m).filter(pl.col("category") == picked)
    _show_table(m, ui.once(meeting_report.movements, deals), "No deals.")


# 3. Wins --------------------------------------------------------------------------------------


def wins_section(m: Meeting) -> None:
    wins = ui.run("meeting_wins", week_start=m.week, squad_id=m.squad_id)
    total = sum(float(a) for a in wins["amount"].to_list())
    st.metric(f"Won in {m.label}", meeting_report.money(total), f"{wins.height} deals",
              delta_color="off", delta_arrow="off")  # fmt: skip
    _show_table(m, ui.once(meeting_report.wins, wins), "No deal was won this week.")


# 4. Deals that need help ----------------------------------------------------------------------


SCREEN_ROWS = 500  # deals that need help listed on screen


def _largest_needing_help(health: pl.DataFrame, stall_factor: float, stale_days: int):
    """The SCREEN_ROWS largest deals that need help, and how many need it."""
    rules = replace(plan, stall_factor=stall_factor, stale_days=stale_days)
    everything = meeting.needs_help(health, rules)
    return everything.head(SCREEN_ROWS), everything.height


def _needing_help(m: Meeting) -> tuple[pl.DataFrame, int]:
    # Every squad's week is 458,000 open deals at the large scale: reduced once per data
    # version to what the screen shows, so a warm run does not read them all back.
    return ui.derived(
        "meeting_deal_health",
        partial(_largest_needing_help, stall_factor=plan.stall_factor, stale_days=plan.stale_days),
        week_start=m.week,
        squad_id=m.squad_id,
    )


def help_section(m: Meeting) -> None:
    st.caption(
        f"Open at the end of {m.label}: overdue (past the close date), pushed out two or more "
        f"times, stalled (over {plan.stall_factor:g} × the org's median days in the stage) or "
        f"large and unchanged for {plan.stale_days} days or more."
    )
    # Largest first; a whole organisation's week can be tens of thousands of deals, which no
    # one reads on a screen (and which cost seconds to send): the meeting pack has them all.
    deals, total = _needing_help(m)
    _show_table(m, ui.once(meeting_report.needing_help, deals), "No deal needs help.")
    if total > deals.height and not m.presenting:
        st.caption(f"The {deals.height:,} largest of {total:,} deals that need help; download "
                   "the meeting pack for all of them.")  # fmt: skip
    if m.may_write and not m.presenting and deals.height:
        # One click opens a Mastermind on the deal with the meeting's reasons filled in (the
        # Masterminds page checks again who may open one).
        labels = dict(zip(deals["deal_id"].to_list(), deals["deal"].to_list(), strict=True))
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        picked = left.selectbox("Deal to work on together", list(labels),
                                format_func=lambda d: labels.get(d) or d,
                                key="meeting_mm_deal")  # fmt: skip
        if right.button("Open a Mastermind", icon=":material/groups:", key="meeting_open_mm"):
            why = deals.filter(pl.col("deal_id") == picked)["reasons"][0]
            st.switch_page(
                "pages/masterminds.py",
                query_params={"deal": picked, "why": f"Weekly meeting, {m.label}: {why}"},
            )
    rooms = ui.run("mastermind_week", week_start=m.week, squad_id=m.squad_id)
    st.subheader("Masterminds")
    st.caption(ui.plain(ui.once(meeting_report.masterminds_summary, rooms)))
    _show_table(
        m, ui.once(meeting_report.masterminds, rooms), "No Mastermind was active this week."
    )


# 5. Kudos ------------------------------------------------------------------------------------


def _recognised(m: Meeting, kudos: pl.DataFrame) -> pl.DataFrame:
    """The most recognised of the week as a board, named as the plan says; on the wall screen
    the top three only (never the bottom of a board)."""
    counts = kudos.group_by("to_rep", "to_name").len("kudos").rename(
        {"to_rep": "rep_id", "to_name": "rep"})  # fmt: skip
    board = counts.with_columns(
        value=pl.col("kudos").cast(pl.Float64),
        rank=pl.col("kudos").rank("min", descending=True).cast(pl.Int32),
        squad=pl.lit(None, pl.String),
    )
    shown = contribution.present_board(board, viewer.rep_id, plan.board_naming, plan.hide_bottom_n)
    shown = shown.with_columns(kudos=pl.col("value").cast(pl.Int64))
    return shown.filter(pl.col("rank") <= 3) if m.presenting else shown


def kudos_section(m: Meeting) -> None:
    kudos = ui.run("meeting_kudos", week_start=m.week, squad_id=m.squad_id)
    left, right = st.columns([1, 2])
    with left:
        st.subheader("Most recognised")
        _show_table(
            m, ui.once(meeting_report.recognised, _recognised(m, kudos)), "No kudos this week."
        )
    with right:
        st.subheader(f"{kudos.height} kudos")
        _show_table(m, ui.once(meeting_report.kudos, kudos), "No kudos this week.")


# 6. Mentoring --------------------------------------------------------------------------------


def mentoring_section(m: Meeting) -> None:
    rows = ui.run("mentoring_week", week_start=m.week, squad_id=m.squad_id)
    counts = dict(rows.group_by("event").len().iter_rows()) if rows.height else {}
    cols = st.columns(3)
    for col, (event, label) in zip(
        cols, (("asked", "Asked for help"), ("accepted", "Started"), ("done", "Done")), strict=True
    ):
        col.metric(label, counts.get(event, 0))
    _show_table(m, ui.once(meeting_report.mentoring, rows), "No request for help moved this week.")


# 7. Action items -----------------------------------------------------------------------------


def _actions(m: Meeting) -> pl.DataFrame:
    return ui.run("meeting_actions", week_start=m.week, squad_id=m.squad_id)


def actions_section(m: Meeting) -> None:
    items = _actions(m)
    carried = items.filter(pl.col("carried"))
    if carried.height:
        still = carried.filter(~pl.col("done")).height
        st.caption(f"First the actions of earlier meetings ({still} still open), then this "
                   "meeting's decisions and actions.")  # fmt: skip
    _show_table(m, ui.once(meeting_report.actions, items), "No decisions or actions recorded yet.")
    if not m.may_write:
        return
    open_items = items.filter(~pl.col("done") & (pl.col("kind") == "action"))
    for r in open_items.iter_rows(named=True):
        label = f"Done: {r['text'][:60]}"
        if st.button(ui.plain(label), key=f"tick_{r['action_id']}", icon=":material/check:"):
            try:
                meeting_actions.tick_off(ui.con(), viewer, r["action_id"],
                                         contribution.stamp(ui.today()))  # fmt: skip
                st.rerun()
            except ContributionError as exc:
                st.error(ui.plain(exc))
    people = roster.filter(pl.col("active"))
    # rep_id -> name once: the picker names 16,000 reps at the large scale
    names = dict(zip(people["rep_id"].to_list(), people["rep"].to_list(), strict=True))
    with st.form("meeting_item", clear_on_submit=True):
        kind = st.radio("Record", meeting_actions.KINDS, horizontal=True,
                        format_func=str.capitalize)  # fmt: skip
        text = st.text_input("What was decided, or what is to be done", max_chars=500)
        owner = st.selectbox("Owner (actions)", [None, *names],
                             format_func=lambda r: "–" if r is None else names[r])  # fmt: skip
        due = st.date_input("Due (actions)", ui.today() + timedelta(days=7), format="YYYY-MM-DD")
        if st.form_submit_button("Record", icon=":material/add:"):
            try:
                _, new = meeting_actions.record(ui.con(), viewer, m.week, m.squad_id, kind, text,
                                                owner, due if kind == "action" or owner else None,
                                                contribution.stamp(ui.today()))  # fmt: skip
                st.session_state["meeting_flash"] = "Recorded." if new else "Already recorded."
                st.rerun()
            except ContributionError as exc:
                st.error(ui.plain(f"Not recorded: {exc}."))
    if flash := st.session_state.pop("meeting_flash", None):
        st.success(flash)


# Number -> (title, render, the section's part of the meeting pack: (run, week, squad_id, plan)
# -> (note, figure, table)).
SECTIONS = {
    1: ("Where each squad stands", standings_section, meeting_report.standings_part),
    2: ("Pipeline bridge", bridge_section, meeting_report.bridge_part),
    3: ("Wins of the week", wins_section, meeting_report.wins_part),
    4: ("Deals that need help", help_section, meeting_report.help_part),
    5: ("Kudos of the week", kudos_section, meeting_report.kudos_part),
    6: ("Mentoring", mentoring_section, meeting_report.mentoring_part),
    7: ("Action items", actions_section, meeting_report.actions_part),
}
NUMBERS = list(SECTIONS)

# The link ----------------------------------------------------------------------------------

if weeks.is_empty():
    st.title("Weekly meeting")
    st.info("No week is frozen yet: a week is frozen once it has ended and something was "
            "imported by then (Import page, or python -m squadboard import).")  # fmt: skip
    st.stop()
week_ids = [w.isoformat() for w in weeks["week_start"].to_list()]
if viewer.is_leader:
    squad_ids = [ALL, *squad_names]
elif viewer.squad_id in squad_names:
    squad_ids = [viewer.squad_id]
else:
    st.title("Weekly meeting")
    st.info("You are in no squad yet, so there is no meeting of yours to open.")
    st.stop()

if "meeting_week" not in st.session_state:  # the first run: read the link once
    link = meeting.read_link(st.query_params.to_dict(), week_ids, squad_ids, NUMBERS)
    st.session_state.update(
        meeting_week=link.week, meeting_squad=link.squad, meeting_section=link.section
    )
    if link.present is not None:
        st.session_state["meeting_present"] = link.present
    st.session_state["meeting_notes"] = link.notes
if not st.session_state.get("meeting_present"):  # the wall screen keeps its room for figures
    st.title("Weekly meeting")
for note in st.session_state.pop("meeting_notes", []):
    st.warning(ui.plain(note))
if st.session_state.get("meeting_squad") not in squad_ids:
    st.session_state["meeting_squad"] = squad_ids[0]
if st.session_state.get("meeting_section") not in SECTIONS:
    st.session_state["meeting_section"] = NUMBERS[0]


def _step(by: int) -> None:
    at = NUMBERS.index(st.session_state["meeting_section"])
    st.session_state["meeting_section"] = NUMBERS[(at + by) % len(NUMBERS)]
    st.session_state["meeting_advanced_at"] = time.monotonic()


# Controls, presentation mode and the section ------------------------------------------------

labels = {w.isoformat(): meeting.week_label(w) + f" · {w:%-d %b} – {w + timedelta(6):%-d %b %Y}"
          for w in weeks["week_start"].to_list()}  # fmt: skip
top = st.columns([3, 2, 2, 2])
week_id = top[0].selectbox("Week", week_ids, format_func=labels.get, key="meeting_week")
squad_pick = top[1].selectbox("Squad", squad_ids, key="meeting_squad",
                              format_func=lambda s: "All squads" if s == ALL else squad_names[s])  # fmt: skip
presenting = top[2].toggle("Presentation mode", key="meeting_present",
                           help="Full screen for the wall: no sidebar, big type.")  # fmt: skip
auto = top[3].number_input("Auto-advance (seconds, 0 = off)", 0, 600, 0, 5, key="meeting_auto")

row = weeks.filter(pl.col("week_start") == date.fromisoformat(week_id)).row(0, named=True)
week = row["week_start"]
squad_id = None if squad_pick == ALL else squad_pick
end_state = meeting.FrozenWeek(week, row["source_date"], row["as_of"]).describe()
if row["has_start"]:
    before = meeting.FrozenWeek(week - timedelta(7), None, row["start_as_of"]).label
    describe = f"Compares the frozen end of {before} (import of {row['start_as_of']:%-d %b %Y}) with the frozen end of {end_state}."  # noqa: E501
else:
    describe = f"The first frozen week: nothing frozen before it, so everything open is new. End: {end_state}."  # noqa: E501
ctx = Meeting(
    week,
    meeting.week_label(week),
    squad_id,
    "All squads" if squad_id is None else squad_names[squad_id],
    describe,
    presenting,
    meeting_actions.may_record(viewer, squad_id),
)
section = st.session_state["meeting_section"]
st.query_params.update(week=ctx.label, squad=squad_pick, section=str(section))
if presenting:
    st.query_params["present"] = "1"
else:
    st.query_params.pop("present", None)

if presenting:
    st.html(
        """<style>
        section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
        header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
        .stApp { background: #ffffff; color: #000000; }
        .block-container { max-width: 100% !important; padding: 1rem 2.5rem !important; }
        .stApp, .stMarkdown p, .stMarkdown li, [data-testid="stCaptionContainer"] p,
        label p, .stButton button p, [data-testid="stWidgetLabel"] p,
        [data-testid="stSelectbox"] *, .stNumberInput input, [data-testid="stMarkdownContainer"] p
            { font-size: 26px !important; color: #000000 !important; }
        [data-testid="stCaptionContainer"] { opacity: 1 !important; }
        [data-testid="stMain"] button *, [data-testid="stMain"] input,
        [data-testid="stMain"] [data-testid="stForm"] * { font-size: 26px !important; }
        h1 { font-size: 60px !important; } h2, h3 { font-size: 44px !important; }
        [data-testid="stMetric"] [data-testid="stMetricValue"] *
            { font-size: 72px !important; line-height: 1.2 !important; }
        [data-testid="stMetric"] [data-testid="stMetricLabel"] *,
        [data-testid="stMetric"] [data-testid="stMetricDelta"] *,
        [data-testid="stButtonGroup"] button * { font-size: 28px !important; }
        .meeting-table { border-collapse: collapse; width: 100%; font-size: 26px;
            table-layout: auto; overflow-wrap: anywhere; color: #000000; }
        .meeting-table th, .meeting-table td { border-bottom: 2px solid #424242;
            padding: 10px 14px; text-align: left; vertical-align: top; }
        .meeting-table th { background: #e0e0e0; }
        .meeting-empty { font-size: 28px; }
        html, body, .stApp, [data-testid="stAppViewContainer"] { overflow-x: hidden; }
        </style>"""
    )
title, render, _ = SECTIONS[section]
nav = st.columns([1.4, 6, 1.4], vertical_alignment="center")
# No arrow icon: the key's badge (←, →) already shows one.
nav[0].button("Previous", on_click=_step, args=(-1,),
              shortcut="Left", key="meeting_prev", width="stretch")  # fmt: skip
nav[1].markdown(f"## {section}. {title} · {ui.plain(ctx.squad)} · {ctx.label}")
nav[2].button("Next", on_click=_step, args=(1,),
              shortcut="Right", key="meeting_next", width="stretch")  # fmt: skip
if presenting:
    if ui.is_demo():
        st.caption("Demo data: everyone here is made up.")
else:
    ui.demo_notice()
if section != 2:  # the bridge says it with its definitions beside it
    st.caption(ui.plain(ctx.describe))
render(ctx)

if auto:
    st.session_state.setdefault("meeting_advanced_at", time.monotonic())

    @st.fragment(run_every=1)
    def _auto_advance() -> None:
        if time.monotonic() - st.session_state["meeting_advanced_at"] >= auto:
            _step(1)
            st.rerun(scope="app")

    _auto_advance()

if not presenting:
    with st.sidebar:
        st.subheader("Meeting pack")
        st.caption("The whole week as one HTML file (charts included, opens offline).")
        ui.html_download(
            "Download the meeting pack",
            lambda: meeting_report.pack(
                f"Weekly meeting · {ctx.squad} · {ctx.label}",
                ctx.describe,
                [
                    (f"{n}. {t}", *part(ui.run, ctx.week, ctx.squad_id, plan))
                    for n, (t, _, part) in SECTIONS.items()
                ],
            ),
            f"meeting_{ctx.label}_{squad_pick}.html",
            key="meeting_pack",
        )
        with st.expander("What the bridge categories mean"):
            st.markdown(BRIDGE_HELP)
