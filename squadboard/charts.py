"""Pure chart builders: a Polars frame in, a Plotly figure out. No Streamlit here."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

STATUS_COLOURS = {"ahead": "#2e7d32", "on track": "#f9a825", "behind": "#c62828", None: "#9e9e9e"}


def attainment_bars(squads: pl.DataFrame, elapsed: float | None = None) -> go.Figure:
    """Attainment per squad as horizontal bars, coloured by status, with the time-elapsed line."""
    rows = squads.filter(pl.col("attainment").is_not_null()).sort("attainment")
    fig = go.Figure(
        go.Bar(
            x=rows["attainment"].to_list(),
            y=rows["squad"].to_list(),
            orientation="h",
            marker_color=[STATUS_COLOURS.get(s, "#9e9e9e") for s in rows["status"].to_list()],
            text=[f"{a:.0%}" for a in rows["attainment"].to_list()],
            textposition="outside",
            customdata=rows.select("credited", "quota").rows(),
            hovertemplate="%{y}: %{x:.1%} (%{customdata[0]:$,.0f} of %{customdata[1]:$,.0f})<extra></extra>",
        )
    )
    if elapsed is not None:
        fig.add_vline(
            x=elapsed,
            line_dash="dash",
            line_color="#555",
            annotation_text=f"time elapsed {elapsed:.0%}",
            annotation_position="top",
        )
    fig.update_layout(
        xaxis=dict(tickformat=".0%", title="attainment of base quota", rangemode="tozero"),
        yaxis=dict(title=None),
        height=120 + 48 * max(rows.height, 1),
        margin=dict(l=10, r=30, t=40, b=10),
        showlegend=False,
    )
    return fig
