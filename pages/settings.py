"""Plan settings: payout, pace, contribution, pools and boards, each field explained in one line.

Leaders see the plan in force; only admins change it. Every field of squadboard.plan.Plan
appears here (a field no group names shows under "Other settings"); saving validates the whole
plan and writes it with an audit entry (plan.save)."""

import calendar
from dataclasses import fields, replace

import streamlit as st

from squadboard import display, plan, ui

viewer = ui.who()
ui.require_leader(viewer)
current = ui.current_plan()
editable = viewer.is_admin

st.title("Plan settings")
ui.demo_notice()
st.caption(
    "Payout estimate = target bonus × (team weight × f(squad attainment) + personal weight × "
    "f(personal attainment)); f is 0 below the threshold, equal to attainment up to 100%, "
    "accelerated above it and capped."
)
if not editable:
    st.info(
        "Only admins change plan settings: these are the values every page uses now. Ask an "
        "admin if one should change.",
        icon=":material/lock:",
    )

# field -> (label, one-line explanation, how it is entered). Kinds: percent (a fraction shown
# as %), percent100 (stored as 0-100), money, multiple, number, int, month, or a choice list.
FIELDS = {
    "team_weight": ("Team weight", "Share of the bonus paid on squad attainment.", "percent"),
    "personal_weight": ("Personal weight", "Share paid on the rep's own attainment.", "percent"),
    "threshold": (
        "Threshold",
        "Below this attainment a part of the bonus pays nothing.",
        "percent",
    ),
    "accelerator": ("Accelerator", "Each point above 100% pays this many points.", "multiple"),
    "cap": ("Cap", "The payout factor never goes above this.", "percent"),
    "target_bonus": ("Target bonus", "Paid per quarter at 100% on both parts.", "money"),
    "fiscal_year_start_month": ("Fiscal year starts in", "Quarters count from it.", "month"),
    "pace_basis": ("Pace counts", "Time elapsed in calendar days or in Mon-Fri days.", "choice"),
    "weight_call": ("Call", "Points per logged call.", "number"),
    "weight_email": ("Email", "Points per logged email.", "number"),
    "weight_meeting": ("Meeting", "Points per logged meeting.", "number"),
    "weight_demo": ("Demo", "Points per logged demo.", "number"),
    "weight_solution_doc": ("Solution document", "Points per solution document.", "number"),
    "contribution_credited": (
        "Credited revenue",
        "Weight of the credited-revenue board in the contribution score.",
        "percent",
    ),
    "contribution_assists": ("Assists", "Weight of the assists board in the score.", "percent"),
    "contribution_overlay": ("Overlay", "Weight of the overlay-credit board.", "percent"),
    "contribution_activity": ("Activity", "Weight of the activity board.", "percent"),
    "contribution_kudos": ("Kudos", "Weight of the kudos board.", "percent"),
    "contribution_mentoring": ("Mentoring", "Weight of the mentoring board.", "percent"),
    "contribution_mastermind": ("Mastermind", "Weight of the Mastermind board.", "percent"),
    "mentor_min_deals": (
        "Fewest deals for a skill",
        "Closed deals in a skill before its win rate counts (seeker and mentor).",
        "int",
    ),
    "stall_factor": (
        "Stalled after",
        "A deal is stalled after this many times the median days in its stage.",
        "multiple",
    ),
    "stale_days": ("Large deal stale after (days)", "Days without any change.", "int"),
    "overlay_pct_se": ("Sales engineer", "Overlay credit of an SE claim, % of the deal.", "pct100"),
    "overlay_pct_csm": ("Customer success", "Overlay credit of a CSM claim.", "pct100"),
    "overlay_pct_specialist": ("Specialist", "Overlay credit of a specialist claim.", "pct100"),
    "overlay_pct_helper": ("Helper", "Overlay credit of a helper claim.", "pct100"),
    "kudos_daily_limit": ("Kudos a day", "How many kudos one person may give a day.", "int"),
    "pool_rule": ("Pool of a won deal", "A percentage of its amount, or a fixed band.", "choice"),
    "pool_percent": ("Pool percentage", "With the percentage rule: % of the won amount.", "pct100"),
    "pool_band_edges": (
        "Band edges ($)",
        "With bands: the amounts where the next band starts, comma-separated.",
        "text",
    ),
    "pool_band_amounts": (
        "Band pools ($)",
        "With bands: the pool of each band, one more than edges, comma-separated.",
        "text",
    ),
    "pool_kudos_points": ("Kudos points", "Points per kudos tied to the deal.", "number"),
    "board_naming": ("Board names", "Who is named on the leaderboards.", "choice"),
    "hide_bottom_n": ("Places hidden", "With the bottom hidden: how many last places.", "int"),
    "squad_credit_rule": (
        "Squad of a won deal",
        "The rep's squad on the close date, or the squad or territory the deal names.",
        "choice",
    ),
}
CHOICES = {
    "pace_basis": {"days": "Calendar days", "business_days": "Business days (Mon-Fri)"},
    "board_naming": {
        "named": "Everyone named",
        "anonymous": "Anonymous (only you are named)",
        "hide_bottom": "Named, bottom places hidden",
    },
    "pool_rule": {"percent": "A percentage of the amount", "band": "A fixed amount by deal size"},
    "squad_credit_rule": {
        "rep_squad": "The rep's squad on the close date",
        "deal_team": "The squad or territory named on the deal",
    },
}


def _named(prefix: str) -> list[str]:
    return [f.name for f in fields(plan.Plan) if f.name.startswith(prefix)]


# (group, what it is for, [(sub-heading, fields)]): three fields to a row.
GROUPS = [
    (
        "Payout",
        "The bonus estimate on My squad.",
        [
            ("", ["team_weight", "personal_weight", "threshold"]),
            ("", ["accelerator", "cap", "target_bonus"]),
        ],
    ),
    (
        "Pace",
        "Periods, time elapsed, and which squad a won deal counts for.",
        [("", ["fiscal_year_start_month", "pace_basis", "squad_credit_rule"])],
    ),
    (
        "Contribution",
        "The contribution boards, overlay claims and kudos.",
        [
            ("Activity points", _named("weight_")),
            ("Contribution score: weight of each board", _named("contribution_")),
            ("Standard overlay credit per claim role", _named("overlay_pct_")),
            ("Kudos", ["kudos_daily_limit"]),
        ],
    ),
    (
        "Pools",
        "Deal-pod bonus pools.",
        [
            ("", ["pool_rule", "pool_percent", "pool_kudos_points"]),
            ("", ["pool_band_edges", "pool_band_amounts"]),
        ],
    ),
    ("Boards", "What the leaderboards show.", [("", ["board_naming", "hide_bottom_n"])]),
    (
        "Mentoring and the weekly meeting",
        "Find a mentor, and which deals the meeting lists as needing help.",
        [("", ["mentor_min_deals", "stall_factor", "stale_days"])],
    ),
]
listed = {name for _, _, parts in GROUPS for _, names in parts for name in names}
others = [f.name for f in fields(plan.Plan) if f.name not in listed]
if others:  # settings added by other capabilities: shown and saved, in words
    GROUPS.append(("Other settings", "", [("", others)]))


def field(name: str) -> object:
    """The widget of one setting, its explanation under it; returns the value to store."""
    now = getattr(current, name)
    label, explain, kind = FIELDS.get(name, (display.header(name), "", ""))
    common = {"key": name, "disabled": not editable}
    if kind == "month":
        value = st.selectbox(
            label, range(1, 13), index=now - 1, format_func=calendar.month_name.__getitem__,
            **common,
        )  # fmt: skip
    elif name in CHOICES:
        options = CHOICES[name]
        value = st.selectbox(
            label, list(options), index=list(options).index(now), format_func=options.get,
            **common,
        )  # fmt: skip
    elif kind == "percent":
        shown = st.number_input(
            f"{label} (%)", value=round(now * 100, 4), step=5.0, format="%.1f", **common
        )
        value = round(shown / 100, 6)
    elif kind == "pct100":
        value = st.number_input(f"{label} (%)", value=float(now), step=1.0, format="%.1f", **common)
    elif kind == "money":
        value = st.number_input(
            f"{label} ($)", value=float(now), step=500.0, format="%.0f", **common
        )
    elif kind == "multiple":
        value = st.number_input(f"{label} (×)", value=float(now), step=0.1, format="%.2f", **common)
    elif isinstance(now, bool):
        value = st.checkbox(label, now, **common)
    elif isinstance(now, str):
        value = st.text_input(label, now, **common)
    elif isinstance(now, int):
        value = int(st.number_input(label, value=now, step=1, **common))
    else:
        value = st.number_input(label, value=float(now), step=0.5, format="%.2f", **common)
    if explain:
        st.caption(explain)
    return value


values: dict[str, object] = {}
with st.form("plan", border=False):
    for title, about, parts in GROUPS:
        st.subheader(title)
        if about:
            st.caption(about)
        for sub, names in parts:
            if sub:
                st.markdown(f"**{sub}**")
            for row in range(0, len(names), 3):  # three to a row
                for column, name in zip(st.columns(3), names[row : row + 3], strict=False):
                    with column:
                        values[name] = field(name)
    submitted = st.form_submit_button(
        "Save plan settings", icon=":material/save:", disabled=not editable
    )

if submitted:
    changed = replace(current, **values)
    problems = changed.validate()
    if not viewer.is_admin:
        st.error("Not saved: only admins change plan settings.")
    elif problems:
        st.error("Not saved: " + "; ".join(problems) + ".")
    elif changed == current:
        st.info("Nothing changed.")
    else:
        try:
            plan.save(ui.con(), changed, viewer)
            st.success("Saved. Every page now uses these settings.")
        except plan.PlanPermissionError:
            st.error("Not saved: only an admin may change the plan settings.")
