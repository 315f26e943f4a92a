"""My squad: the rep's home. Will the squad make it, am I pulling my weight, what is the next
deal worth to me? Leaders pick one of their reps to see the same view."""

import polars as pl
import streamlit as st

from squadboard import charts, display, metrics, ui

viewer = ui.who()
period = ui.period_picker()
as_of = ui.as_of_for(period)
plan = ui.current_plan()
reps = ui.run("rep_attainment", **period.params(as_of))
squads = ui.run("squad_attainment", **period.params(as_of))

rep_id = viewer.rep_id
if viewer.is_leader:
    visible = (
        reps if viewer.access == "admin" else reps.filter(pl.col("squad_id").is_in(viewer.leads))
    )
    choices = ([viewer.rep_id] if viewer.rep_id in reps["rep_id"] else []) + [
        r for r in visible["rep_id"].to_list() if r != viewer.rep_id
    ]
    if choices:
        names = dict(zip(reps["rep_id"].to_list(), reps["rep"].to_list(), strict=True))
        rep_id = st.sidebar.selectbox("Rep", choices, format_func=names.get, key="rep")

mine = reps.filter(pl.col("rep_id") == rep_id)
me = mine.row(0, named=True) if mine.height else None
squad_id = me["squad_id"] if me else viewer.squad_id
squad_rows = squads.filter(pl.col("squad_id") == squad_id) if squad_id else squads.clear()
squad = squad_rows.row(0, named=True) if squad_rows.height else None
own = rep_id == viewer.rep_id
rep_name = me["rep"] if me else rep_id
# Labels name the rep a leader is looking at ("Grace's attainment"), "My" only for oneself.
whose = "My" if own else f"{ui.plain(rep_name)}'s"
first = ui.plain(rep_name.split()[0]) if rep_name.split() else ui.plain(rep_name)
label_whose = "My" if own else f"{first}'s"
squad_name = ui.plain(squad["squad"]) if squad else "no squad"

st.title(f"{whose} squad · {squad_name} · {period.label}")
ui.demo_notice()
elapsed = metrics.elapsed(period, as_of, plan.pace_basis)
st.caption(f"as of {display.day(as_of)} · {display.percent(elapsed)} of the period elapsed")
_pct, _money = display.percent, display.money

if squad is None:
    st.info(
        f"{'You are' if own else ui.plain(rep_name) + ' is'} not in a squad for {period.label}, so "
        "there is no shared quota to show. A leader adds people to squads with a memberships "
        "file on the Import page (see docs/importing.md)."
    )
else:
    st.subheader("The squad")
    if squad["quota"] is None:
        st.info(f"{squad_name} has no base quota for {period.label}: credited revenue only.")
    cols = st.columns(5)
    quota = f"of {_money(squad['quota'])} quota"
    cols[0].metric("Credited", _money(squad["credited"]), quota, "off", delta_arrow="off")
    cols[1].metric("Attainment", _pct(squad["attainment"]), help="credited ÷ base quota")
    ui.pace_metric(cols[2], "Pace", squad["pace"], squad["status"])
    cols[3].metric("Forecast", _money(squad["forecast"]), help="credited + weighted pipeline")
    cols[4].metric("Needed / week", _money(squad["needed_per_week"]))
    if squad["attainment"] is not None:
        st.progress(min(squad["attainment"], 1.0), f"{_pct(squad['attainment'])} of base quota")
    trend = ui.run(
        "squad_trend",
        period_start=period.start,
        period_end=period.end,
        squad_id=squad_id,
        as_of=as_of,
    )
    st.plotly_chart(
        ui.figure(charts.squad_trend, trend, as_of, float(squad["forecast"])), key="trend"
    )

if me is None:
    st.info(f"No stretch target and no credited revenue for {period.label} yet.")
    st.stop()
st.subheader(f"{whose} part")
place = metrics.place_in_squad(reps, rep_id)
cols = st.columns(4)
stretch = f"of {_money(me['stretch_target'])} stretch"
cols[0].metric("Credited", _money(me["credited"]), stretch, "off", delta_arrow="off")
cols[1].metric("Attainment", _pct(me["attainment"]), help="credited ÷ stretch target")
ui.pace_metric(cols[2], "Pace", me["pace"], me["status"])
cols[3].metric(
    "Place in squad", f"{place[0]} of {place[1]}" if place else display.DASH, help="by credited"
)
if me["stretch_target"] is None:
    st.info(
        f"No stretch target for {period.label}: attainment and the personal payout part wait for one."
    )

st.subheader("What if I close one more deal?" if own else f"What if {first} closes one more deal?")
# No bounds on the widget: a browser would keep showing a refused value while the figures
# stayed those of the last accepted one. The amount is checked here and said next to the field.
extra = st.number_input(
    "Deal amount I expect to close ($)" if own else f"Deal amount {first} expects to close ($)",
    value=0.0,
    step=5000.0,
    key="what_if",
)
problem = metrics.what_if_problem(extra)
if problem:
    st.error(f"{problem} The figures below wait for a valid amount.", icon=":material/error:")
    extra = None
now = metrics.outlook(squad, me, plan, period, as_of)
then = metrics.outlook(squad, me, plan, period, as_of, extra or 0.0)
cols = st.columns(3)


def _delta(after, before):
    return (
        None
        if after is None or before is None or after == before
        else display.points(after - before)
    )


def _shown(value):
    return display.DASH if extra is None else value


cols[0].metric(
    "Squad attainment",
    _shown(_pct(then.squad_attainment)),
    None if extra is None else _delta(then.squad_attainment, now.squad_attainment),
)
cols[1].metric(
    f"{label_whose} attainment",
    _shown(_pct(then.my_attainment)),
    None if extra is None else _delta(then.my_attainment, now.my_attainment),
)
if viewer.may_see_payout_of(rep_id, squad_id):
    change = then.payout - now.payout
    cols[2].metric(
        "Payout estimate",
        _shown(display.money(then.payout)),
        display.money_change(change) if change and extra is not None else None,
        help=f"target bonus × ({display.percent(plan.team_weight)} × f(squad) + "
        f"{display.percent(plan.personal_weight)} × f(personal)); f: 0 below "
        f"{display.percent(plan.threshold)}, ×{plan.accelerator:g} above 100%, capped at "
        f"{display.percent(plan.cap)}",
    )
    gaps = [
        f"{who} {display.money(plan.threshold * float(quota) - credited)} more"
        for who, quota, credited in (
            ("the squad", squad and squad["quota"], then.squad_credited),
            ("you" if own else first, me["stretch_target"], then.my_credited),
        )
        if quota is not None and credited < plan.threshold * float(quota)
    ]
    if gaps and extra is not None:
        st.caption(
            f"A part pays nothing below the {display.percent(plan.threshold)} threshold: "
            + ", ".join(gaps)
            + " to reach it."
        )
else:
    cols[2].metric("Payout estimate", "hidden", help="payouts: the rep and their leaders only")
ui.deals_behind(period, as_of, rep_id=rep_id, name=f"deals_{rep_id}_{period.label}", viewer=viewer)
