"""My squad: the rep's home. Will the squad make it, am I pulling my weight, what is the next
deal worth to me? Leaders pick one of their reps to see the same view."""

import polars as pl
import streamlit as st

from squadboard import charts, metrics, ui

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
whose = "My" if rep_id == viewer.rep_id else f"{ui.plain(me['rep'] if me else rep_id)}'s"
squad_name = ui.plain(squad["squad"]) if squad else "no squad"

st.title(f"{whose} squad · {squad_name} · {period.label}")
ui.demo_notice()
elapsed = metrics.elapsed(period, as_of, plan.pace_basis)
st.caption(f"as of {as_of:%-d %b %Y} · {elapsed:.0%} of the period elapsed")


def _pct(value):
    return "–" if value is None else f"{value:.0%}"


def _money(value):
    return "–" if value is None else f"${float(value):,.0f}"


if squad is None:
    st.info(
        f"{'You are' if whose == 'My' else 'This rep is'} not in a squad for {period.label}, so "
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
    st.plotly_chart(charts.squad_trend(trend, as_of, float(squad["forecast"])), key="trend")

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
cols[3].metric("Place in squad", f"{place[0]} of {place[1]}" if place else "–", help="by credited")
if me["stretch_target"] is None:
    st.info(
        f"No stretch target for {period.label}: attainment and the personal payout part wait for one."
    )

st.subheader("What if I close one more deal?")
extra = st.number_input("Deal amount I expect to close ($)", 0.0, 1e9, 0.0, 5000.0, key="what_if")
now = metrics.outlook(squad, me, plan, period, as_of)
then = metrics.outlook(squad, me, plan, period, as_of, extra)
cols = st.columns(3)


def _delta(after, before):
    return None if after is None or before is None or after == before else f"{after - before:+.1%}"


cols[0].metric(
    "Squad attainment",
    _pct(then.squad_attainment),
    _delta(then.squad_attainment, now.squad_attainment),
)
cols[1].metric(
    "My attainment", _pct(then.my_attainment), _delta(then.my_attainment, now.my_attainment)
)
if viewer.may_see_payout_of(rep_id, squad_id):
    change = then.payout - now.payout
    cols[2].metric(
        "Payout estimate",
        f"${then.payout:,.0f}",
        f"{change:+,.0f}" if change else None,
        help=f"target bonus × ({plan.team_weight:.0%} × f(squad) + {plan.personal_weight:.0%} "
        f"× f(personal)); f: 0 below {plan.threshold:.0%}, ×{plan.accelerator:g} above 100 %, "
        f"capped at {plan.cap:.0%}",
    )
    gaps = [
        f"{who} ${plan.threshold * float(quota) - credited:,.0f} more"
        for who, quota, credited in (
            ("the squad", squad and squad["quota"], then.squad_credited),
            ("you", me["stretch_target"], then.my_credited),
        )
        if quota is not None and credited < plan.threshold * float(quota)
    ]
    if gaps:
        st.caption(
            f"A part pays nothing below the {plan.threshold:.0%} threshold: "
            + ", ".join(gaps)
            + " to reach it."
        )
else:
    cols[2].metric("Payout estimate", "hidden", help="payouts: the rep and their leaders only")
ui.deals_behind(period, as_of, rep_id=rep_id, name=f"deals_{rep_id}_{period.label}", viewer=viewer)
