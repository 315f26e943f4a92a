"""Pure chart of a skill profile (issue #13): a Polars frame in, a Plotly figure out.

It draws only the rows it is given: skills.rep_profile has already dropped what the viewer
may not see, so a hidden weakness is not in the figure's JSON either.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from squadboard.mentoring import DIMENSIONS

READING_COLOURS = {
    "strength": "#2e7d32",
    "weakness": "#c62828",
    "too few deals to tell": "#9e9e9e",
}


def cell_label(dimension: str, segment: str) -> str:
    return f"{DIMENSIONS.get(dimension, dimension)} · {segment}"


def profile_chart(cells: pl.DataFrame, title: str | None = None) -> go.Figure:
    """Win rate per cell with its 95 % interval as a bar, and the team median as a tick."""
    rows = cells.reverse()  # the table's first row on top
    labels = [cell_label(d, s) for d, s in zip(rows["dimension"], rows["segment"], strict=True)]
    rate = rows["win_rate"].to_list()
    low, high = rows["rate_low"].to_list(), rows["rate_high"].to_list()
    fig = go.Figure()
    for reading, colour in READING_COLOURS.items():
        keep = [i for i, r in enumerate(rows["reading"].to_list()) if r == reading]
        if not keep:
            continue
        fig.add_trace(
            go.Scatter(
                x=[rate[i] for i in keep],
                y=[labels[i] for i in keep],
                mode="markers",
                name=reading,
                marker=dict(color=colour, size=11),
                error_x=dict(
                    type="data",
                    symmetric=False,
                    array=[high[i] - rate[i] for i in keep],
                    arrayminus=[rate[i] - low[i] for i in keep],
                    color=colour,
                    thickness=2,
                ),
                customdata=[(rows["won"][i], rows["deals"][i], low[i], high[i]) for i in keep],
                hovertemplate="%{y}: won %{customdata[0]} of %{customdata[1]} (%{x:.0%}; "
                "95 %% interval %{customdata[2]:.0%}–%{customdata[3]:.0%})<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=rows["team_median"].to_list(),
            y=labels,
            mode="markers",
            name="team median",
            marker=dict(symbol="line-ns-open", size=18, color="#555", line=dict(width=2)),
            hovertemplate="%{y}: team median %{x:.0%}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis=dict(tickformat=".0%", title="win rate (95 % interval)", range=[0, 1.02]),
        yaxis=dict(title=None, type="category", categoryorder="array", categoryarray=labels),
        height=140 + 30 * max(rows.height, 1),
        margin=dict(l=10, r=20, t=50 if title else 30, b=10),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
        title=title,
    )
    return fig
