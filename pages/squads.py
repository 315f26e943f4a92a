"""Squads: every squad's credited revenue against its shared base quota for the period."""

from datetime import timedelta

import polars as pl
import streamlit as st

from squadboard import charts, periods, ui

ui.who()
period = ui.period_picker()
as_of = ui.as_of_for(period)

st.title(f"Squads · {period.label}")
ui.demo_notice()
squads = ui.run("squad_attainment", **period.params(as_of))
elapsed = periods.elapsed_fraction(period, as_of)
st.caption(
    f"{period.start:%-d %b %Y} – {(period.end - timedelta(days=1)):%-d %b %Y} · "
    f"as of {as_of:%-d %b %Y} · {elapsed:.0%} of the period elapsed"
)

table = squads.select(
    "squad",
    "quota",
    "credited",
    "attainment",
    "expected_to_date",
    "pace",
    "status",
    "forecast",
    "needed_per_week",
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "squad": "Squad",
        "quota": ui.money("Base quota"),
        "credited": ui.money(
            "Credited", "Σ amount × revenue split % of won deals closed in the period"
        ),
        "attainment": ui.progress("Attainment", "credited ÷ base quota"),
        "expected_to_date": ui.money("Expected to date", "quota × elapsed fraction of the period"),
        "pace": ui.pct("Pace", "attainment ÷ elapsed fraction; ≥100 % ahead, ≥90 % on track"),
        "status": "Status",
        "forecast": ui.money(
            "Forecast", "credited + open deals closing in the period × probability"
        ),
        "needed_per_week": ui.money("Needed / week"),
    },
)
if squads["attainment"].is_null().all():
    st.info(
        "No squad has a base quota for this period yet: import a quota sheet to see attainment."
    )
else:
    st.plotly_chart(charts.attainment_bars(squads, elapsed))
ui.downloads(table.with_columns(pl.col(pl.Decimal).cast(pl.Float64)), f"squads_{period.label}")
