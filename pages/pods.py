"""Deal pods: the pool of each won deal, each member's share and the arithmetic behind it.

Pool money is payout: a rep sees the pods they are in, who else is in them (as the board
naming allows) and the pool, but the points, share and amount of their own row only; a leader
also those of their squads' people; an admin everyone's (Viewer.may_see_payout_of).
"""

import polars as pl
import streamlit as st

from squadboard import display, ui, visibility

viewer = ui.who()
period = ui.period_picker()
plan = ui.current_plan()

st.title(f"Deal pods · {period.label}")
ui.demo_notice()
if plan.pool_rule == "percent":
    rule = f"{plan.pool_percent:g}% of the won amount"
else:
    edges = [display.money(float(x)) for x in plan.pool_band_edges.split(",") if x.strip()]
    amounts = [display.money(float(x)) for x in plan.pool_band_amounts.split(",") if x.strip()]
    starts = ["$0", *edges]
    rule = "a fixed amount by deal size: " + ", ".join(
        f"{amount} from {start}" for start, amount in zip(starts, amounts, strict=False)
    )
st.caption(
    f"Pool per won deal: {rule}. Divided among the pod (owner, revenue splits, confirmed "
    f"overlays) by points on the deal: call {plan.weight_call:g}, email {plan.weight_email:g}, "
    f"meeting {plan.weight_meeting:g}, demo {plan.weight_demo:g}, solution doc "
    f"{plan.weight_solution_doc:g}, each kudos tied to the deal {plan.pool_kudos_points:g}. "
    "Shares are rounded down to the cent; the cents left go to the largest remainders, so "
    "every deal's shares add up to its pool exactly."
)

squad_id = ui.admin_squad_picker(viewer, ui.as_of_for(period))
if squad_id is None:
    shares = ui.run("pool_shares", **period.params(), viewer_id=viewer.rep_id)
else:
    shares = ui.run("pool_shares", **period.params(), squad_id=squad_id)
squad_of = ui.run("roster", as_of=ui.as_of_for(period)).select("rep_id", "squad_id")
shares = shares.join(squad_of, on="rep_id", how="left")
shares = shares.with_columns(
    visible=pl.Series(
        [
            viewer.may_see_payout_of(r["rep_id"], r["squad_id"])
            for r in shares.iter_rows(named=True)
        ],
        dtype=pl.Boolean,
    )
)
pods = shares.filter(pl.col("visible").any().over("deal_id"))
# The pod's total points, before anyone's own are blanked out below.
pods = pods.with_columns(pod_points=pl.col("points").sum().over("deal_id"))
# Someone else's pool money (and the points it is worked out from) stays with them, their
# leaders and admins; their name follows the board naming (visibility.py).
MONEY = ["activities", "activity_points", "kudos", "points", "share", "amount"]
pods = pods.with_columns(
    pl.when(pl.col("visible")).then(pl.col(c)).otherwise(pl.lit(None)).alias(c) for c in MONEY
)
pods = visibility.hide_names(pods, viewer, plan.board_naming)

if pods.is_empty():
    st.info("You are in no deal pod with a won deal in this period.")
    st.stop()

deals = (
    pods.group_by("deal_id", "deal", "close_date", "deal_amount", "pool")
    .agg(members=pl.len(), points=pl.col("pod_points").first())
    .sort("close_date", "deal_id", descending=[True, False])
)
# Pool money in cents: every deal's shares add up to its pool exactly.
st.subheader(f"Pools ({deals.height} deals, {display.cents(deals['pool'].sum())})")
ui.table(
    deals.drop("deal_id"),
    width="stretch",
    column_config={
        "deal": "Deal",
        "close_date": ui.day("Closed"),
        "deal_amount": ui.money("Deal amount"),
        "pool": ui.cents("Pool"),
        "members": "Pod members",
        "points": ui.decimal("Points"),
    },
)

labels = {
    r["deal_id"]: f"{r['deal']} · pool {display.cents(r['pool'])}"
    for r in deals.iter_rows(named=True)
}
pick = st.selectbox("Deal", list(labels), format_func=labels.get, key="pod_deal")
pod = pods.filter(pl.col("deal_id") == pick)
total = float(pod["pod_points"][0])
st.markdown(f"**The arithmetic** · {ui.plain(pod['deal'][0])}")
ui.table(
    pod.select(
        "rep",
        "pod_role",
        "activities",
        "activity_points",
        "kudos",
        (pl.col("kudos") * plan.pool_kudos_points).alias("kudos_points"),
        "points",
        "share",
        "amount",
    ),
    width="stretch",
    column_config={
        "rep": "Rep",
        "pod_role": "On the pod as",
        "activities": "Activities",
        "kudos": "Kudos on the deal",
        "activity_points": ui.decimal("Activity points"),
        "kudos_points": ui.decimal("Kudos points"),
        "points": ui.decimal("Points"),
        "share": ui.pct("Share", "member's points ÷ the pod's points"),
        "amount": ui.cents("Amount", "pool × share, in whole cents"),
    },
)
pool = float(pod["pool"][0])
st.caption(
    f"Each member: pool {display.cents(pool)} × their points ÷ {total:g} pod points, rounded "
    "down to the cent; the cents left over go one each to the largest remainders."
    if total
    else f"Nobody has points on this deal: the pool {display.cents(pool)} is split equally."
)
if not pod["visible"].all():
    st.caption(
        "A blank row is another member's: their points and pool share are shown to them, "
        "their leader and admins only."
    )

by_rep = (
    pods.filter("visible")
    .group_by("rep")
    .agg(deals=pl.len(), points=pl.col("points").sum(), amount=pl.col("amount").sum())
    .sort("amount", descending=True)
)
st.subheader("Per rep")
ui.table(
    by_rep,
    column_config={
        "rep": "Rep",
        "deals": "Deals",
        "points": ui.decimal("Points"),
        "amount": ui.cents("Pool shares"),
    },
)
ui.downloads(
    pods.drop("squad_id", "visible", "pod_points").with_columns(
        pl.col(pl.Decimal).cast(pl.Float64)
    ),
    f"pool_shares_{period.label}",
)
