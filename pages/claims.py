"""Credit claims: record your part in a deal; the deal's AE and the AE's manager confirm it.

Who may do what is decided server side by squadboard.claims for the viewer from ui.who();
the buttons here only ask.
"""

import polars as pl
import streamlit as st

from squadboard import claims, contribution, ui

viewer = ui.who()
period = ui.period_picker()
plan = ui.current_plan()

st.title("Credit claims")
ui.demo_notice()
st.caption(
    "An overlay claim counts only once the deal's primary AE **and** the AE's manager both "
    "confirmed it. Overlay credit is extra: it never adds to a squad's total."
)

squad_id = ui.admin_squad_picker(viewer, ui.as_of_for(period))
if squad_id is None:
    all_claims = ui.run("credit_claims", rep_id=viewer.rep_id)
else:
    # An admin stands in for every manager, one squad and period at a time.
    all_claims = ui.run("credit_claims", squad_id=squad_id, **period.params())
    st.caption(
        f"As an admin you see the claims of the squad picked in the sidebar on deals closing in "
        f"{period.label}."
    )
COLUMNS = ["deal", "rep", "deal_role", "percent", "overlay_amount", "status", "claimed_at"]
CONFIG = {
    "deal_role": "Role",
    "percent": ui.pct100("Overlay %"),
    "overlay_amount": ui.money("Overlay credit"),
    "claimed_at": ui.day("Filed"),
    "ae": "Deal AE",
    "manager": "AE's manager",
    "rejected_reason": "Reason",
}


def act(step: str) -> None:
    state = st.session_state
    credit_id = state.get("claim_pick")
    now = contribution.stamp(ui.today())
    try:
        if step in ("confirm", "reject") and credit_id is None:
            raise contribution.ContributionError("pick a claim first")
        if step == "confirm":
            status = claims.confirm_claim(ui.con(), ui.who().rep_id, credit_id, now)
            state["claims_result"] = ("success", f"Confirmed. The claim is now {status}.")
        elif step == "reject":
            claims.reject_claim(ui.con(), ui.who().rep_id, credit_id, state["reject_reason"], now)
            state["claims_result"] = ("success", "Rejected; the claimant sees your reason.")
            state["reject_reason"] = ""
        else:
            claims.file_claim(
                ui.con(),
                ui.who().rep_id,
                state["claim_deal"],
                state["claim_role"],
                state["claim_note"],
                ui.current_plan(),
                now,
            )
            state["claims_result"] = ("success", "Claim filed: waiting for the AE and the manager.")
            state["claim_note"] = ""
    except contribution.ContributionError as exc:
        state["claims_result"] = ("error", str(exc))


result = st.session_state.pop("claims_result", None)
if result:
    getattr(st, result[0])(result[1])

waiting = all_claims.filter(
    pl.col("status").is_in(["pending", "half-confirmed"])
    & (pl.col("rep_id") != viewer.rep_id)
    & (
        ((pl.col("ae_id") == viewer.rep_id) & pl.col("ae_confirmed_at").is_null())
        | (
            ((pl.col("manager_id") == viewer.rep_id) | pl.lit(viewer.access == "admin"))
            & pl.col("manager_confirmed_at").is_null()
        )
    )
)
st.subheader(f"Waiting for you ({waiting.height})")
if waiting.is_empty():
    st.caption("Nothing to confirm.")
else:
    ui.table(waiting.select(*COLUMNS, "note"), column_config=CONFIG)
    labels = {
        r["credit_id"]: f"{r['rep']} · {r['deal_role']} on {r['deal']}"
        for r in waiting.iter_rows(named=True)
    }
    st.selectbox("Claim", list(labels), format_func=labels.get, key="claim_pick")
    st.text_input("Reason (to reject)", key="reject_reason")
    left, right = st.columns(2)
    left.button("Confirm", key="confirm", on_click=act, args=("confirm",), type="primary")
    right.button("Reject", key="reject", on_click=act, args=("reject",))

st.subheader("File a claim")
search = st.text_input(
    "Find a deal outside your squad",
    key="claim_search",
    placeholder="deal or account name",
    help="Without a search, the list holds your squad's won and open deals of the period.",
)
deals = ui.run("claimable_deals", rep_id=viewer.rep_id, search=search or None, **period.params())
if deals.is_empty():
    st.caption(
        f"No won or open deal of the period matches “{ui.plain(search)}” that you could claim."
        if search
        else "No won or open deals of your squad in this period that you could claim."
    )
else:
    deal_labels = {
        r["deal_id"]: f"{r['deal']} · {r['owner']} · {r['status']}"
        for r in deals.iter_rows(named=True)
    }
    st.selectbox("Deal", list(deal_labels), format_func=deal_labels.get, key="claim_deal")
    st.selectbox(
        "Your role on the deal",
        claims.CLAIM_ROLES,
        format_func=lambda r: f"{r} ({claims.standard_overlay_pct(plan, r):g} % overlay)",
        key="claim_role",
    )
    st.text_area("What you did", max_chars=claims.MAX_NOTE, key="claim_note")
    st.button("File claim", key="file_claim", on_click=act, args=("file",))

mine = all_claims.filter(pl.col("rep_id") == viewer.rep_id)
st.subheader(f"My claims ({mine.height})")
ui.table(mine.select(*COLUMNS, "ae", "manager", "rejected_reason"), column_config=CONFIG)

theirs = all_claims.filter(
    (pl.col("ae_id") == viewer.rep_id) | (pl.col("manager_id") == viewer.rep_id)
)
st.subheader(f"Claims on my deals and squads ({theirs.height})")
ui.table(theirs.select(*COLUMNS, "ae", "manager", "rejected_reason"), column_config=CONFIG)

related = pl.concat([mine, theirs]).unique("credit_id", maintain_order=True)
if related.height:
    labels = {
        r["credit_id"]: f"{r['rep']} · {r['deal']} · {r['status']}"
        for r in related.iter_rows(named=True)
    }
    with st.expander("History of a claim"):
        pick = st.selectbox("Claim", list(labels), format_func=labels.get, key="history_pick")
        ui.table(
            ui.run("claim_history", credit_id=pick).select(
                "at_time", "actor_name", "action", "detail"
            ),
            column_config={"at_time": ui.moment("When"), "actor_name": "By"},
        )
