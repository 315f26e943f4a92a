"""Pure chart builders of the weekly meeting: a Polars frame in, a Plotly figure out.

`big` is the wall-screen size (presentation mode at 1920x1080): type of at least 24 px,
figures at least 48 px high, black on white."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from squadboard.meeting import CATEGORIES

UP, DOWN, TOTAL = "#1b5e20", "#b71c1c", "#0d47a1"
INK = "#000000"


def _money(value: float) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def _layout(fig: go.Figure, big: bool, height: int, title: str | None) -> go.Figure:
    size = 26 if big else 14
    fig.update_layout(
        title=dict(text=title, font=dict(size=size + 4, color=INK)) if title else None,
        font=dict(size=size, color=INK),
        height=height,
        margin=dict(l=10, r=20, t=70 if title else 20, b=10),
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        showlegend=False,
    )
    fig.update_xaxes(tickfont=dict(size=size, color=INK), automargin=True)
    fig.update_yaxes(tickfont=dict(size=size, color=INK), automargin=True, gridcolor="#bdbdbd")
    return fig


def bridge_waterfall(bridge: pl.DataFrame, title: str | None = None, big: bool = False):
    """pipeline_bridge's twelve rows as a waterfall: start and end are totals, every change a
    step; each bar is exactly its row's amount (customdata holds the category key)."""
    keys = bridge["category"].to_list()
    amounts = [float(a) for a in bridge["amount"].to_list()]
    deals = bridge["deals"].to_list()
    measure = ["absolute"] + ["relative"] * (len(keys) - 2) + ["total"]
    fig = go.Figure(
        go.Waterfall(
            x=[CATEGORIES[k][0] for k in keys],
            y=amounts,
            measure=measure,
            customdata=keys,
            text=[_money(a) for a in amounts],
            textposition="outside",
            textfont=dict(size=24 if big else 12, color=INK),
            hovertext=[f"{n} deals" for n in deals],
            hovertemplate="%{x}: %{text} (%{hovertext})<extra></extra>",
            increasing=dict(marker=dict(color=UP)),
            decreasing=dict(marker=dict(color=DOWN)),
            totals=dict(marker=dict(color=TOTAL)),
            connector=dict(line=dict(color="#616161", width=1)),
            cliponaxis=False,
        )
    )
    # The axis spans the levels the pipeline went through, so that a week's changes show as
    # steps rather than slivers on two tall bars (the labels give every bar's exact amount).
    levels, level = [], 0.0
    for m, a in zip(measure, amounts, strict=True):
        level = a if m != "relative" else level + a
        levels.append(level)
    low, high = min(levels), max(max(levels), 0.0)
    pad = max((high - low) * 0.2, abs(high) * 0.02, 1.0)
    floor = low - pad
    if low >= 0 and floor < high * 0.25:
        floor = 0.0  # close to zero anyway: start at zero
    fig.update_yaxes(tickprefix="$", tickformat="~s", range=[floor, high + pad * 0.6])
    return _layout(fig, big, 560 if big else 460, title)


def standings_bars(standings: pl.DataFrame, big: bool = False) -> go.Figure:
    """Attainment of each squad at the week's end (bars) against a week before (markers)."""
    rows = standings.filter(pl.col("attainment").is_not_null()).sort("attainment")
    squads = rows["squad"].to_list()
    fig = go.Figure(
        [
            go.Bar(
                x=rows["attainment"].to_list(),
                y=squads,
                orientation="h",
                name="at the week's end",
                marker_color=TOTAL,
                text=[f"{a:.0%}" for a in rows["attainment"].to_list()],
                textposition="outside",
                textfont=dict(size=24 if big else 12, color=INK),
                cliponaxis=False,
            ),
            go.Scatter(
                x=rows["attainment_week_ago"].to_list(),
                y=squads,
                mode="markers",
                name="a week before",
                marker=dict(
                    symbol="line-ns",
                    size=36 if big else 18,
                    color=INK,
                    line=dict(width=4, color=INK),
                ),  # fmt: skip
            ),
        ]
    )
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    per_row = 72 if big else 44
    fig = _layout(fig, big, 120 + per_row * max(rows.height, 1), None)
    fig.update_layout(
        showlegend=True,
        legend=dict(orientation="h", y=-0.2, font=dict(size=24 if big else 12, color=INK)),
    )
    return fig
