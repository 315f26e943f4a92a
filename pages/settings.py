"""Plan settings: payout weights, threshold, accelerator, cap, fiscal year; leaders and admins.

Every field of squadboard.plan.Plan appears here; saving validates the whole plan and writes
it with an audit entry (plan.save)."""

import calendar
from dataclasses import fields, replace

import streamlit as st

from squadboard import plan, ui

viewer = ui.who()
ui.require_leader(viewer)
current = ui.current_plan()

st.title("Plan settings")
ui.demo_notice()
st.caption(
    "Payout estimate = target bonus × (team weight × f(squad attainment) + personal weight × "
    "f(personal attainment)); f is 0 below the threshold, equal to attainment up to 100 %, "
    "accelerated above it and capped."
)

LABELS = {
    "team_weight": ("Team weight", "share of the bonus paid on squad attainment", "percent"),
    "personal_weight": ("Personal weight", "share paid on personal attainment", "percent"),
    "threshold": ("Threshold", "below this attainment a component pays nothing", "percent"),
    "accelerator": ("Accelerator", "each point above 100 % pays this many points", "x"),
    "cap": ("Cap", "the payout factor never exceeds this", "percent"),
    "target_bonus": ("Target bonus ($ per quarter)", "paid at 100 % on both parts", "money"),
    "pace_basis": ("Pace basis", "elapsed time in calendar days or Mon-Fri business days", ""),
    "hide_bottom_n": ("Hide bottom N", "on boards named with the bottom hidden", "int"),
    "squad_credit_rule": (
        "Squad credit rule",
        "which squad a won deal counts for: the rep's squad on the close date (rep_squad) or "
        "the squad or territory named on the deal, when it names one (deal_team)",
        "",
    ),
}
CHOICES = {
    "board_naming": ["named", "anonymous", "hide_bottom"],
    "pace_basis": ["days", "business_days"],
    "squad_credit_rule": list(plan.SQUAD_CREDIT_RULES),
}

values: dict[str, object] = {}
with st.form("plan"):
    for f in fields(plan.Plan):
        now = getattr(current, f.name)
        label, help_, unit = LABELS.get(f.name, (f.name.replace("_", " ").capitalize(), None, ""))
        if f.name == "fiscal_year_start_month":
            values[f.name] = st.selectbox(
                "Fiscal year starts in",
                range(1, 13),
                index=now - 1,
                format_func=lambda m: calendar.month_name[m],
                key=f.name,
            )
        elif f.name in CHOICES:
            options = CHOICES[f.name]
            values[f.name] = st.selectbox(
                label, options, options.index(now), help=help_, key=f.name
            )
        elif isinstance(now, (bool, str)):
            values[f.name] = st.text_input(label, now, help=help_, key=f.name)
        elif isinstance(now, int):
            values[f.name] = int(st.number_input(label, value=now, step=1, help=help_, key=f.name))
        else:
            fmt = {"percent": "%.2f", "money": "%.0f"}.get(unit, "%.2f")
            values[f.name] = st.number_input(
                label, value=float(now), step=0.05, format=fmt, help=help_, key=f.name
            )
    submitted = st.form_submit_button("Save plan settings", icon=":material/save:")

if submitted:
    changed = replace(current, **values)
    problems = changed.validate()
    if problems:
        st.error("Not saved: " + "; ".join(problems) + ".")
    elif changed == current:
        st.info("Nothing changed.")
    else:
        try:
            plan.save(ui.con(), changed, viewer)
            st.success("Saved. Every page now uses these settings.")
        except plan.PlanPermissionError:
            st.error("Not saved: only an admin may change the plan settings.")
