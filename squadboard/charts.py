"""Pure chart builders: a Polars frame in, a Plotly figure out. No Streamlit here."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl

from squadboard import display


def label(text: object) -> str:
    """Text from the data (a squad's or a rep's name) for a chart: Plotly renders a subset of
    HTML in labels, tick text, hover text, titles and legends (<a href>, <span style>, <br>,
    <b>...), so `&`, `<` and `>` are written as entities, which it shows as the characters."""
    return html.escape("" if text is None else str(text), quote=False)


def labels(values) -> list[str]:
    return [label(v) for v in values]


STATUS_COLOURS = {"ahead": "#2e7d32", "on track": "#f9a825", "behind": "#c62828", None: "#9e9e9e"}


def attainment_bars(
    squads: pl.DataFrame, elapsed: float | None = None, most: int = 30
) -> go.Figure:
    """Attainment per squad as horizontal bars, coloured by status, with the time-elapsed line.

    Over `most` squads (a big organisation has thousands) it shows the furthest behind and the
    furthest ahead, half each, and says so in its title; the table beside it has them all.
    """
    rows = squads.filter(pl.col("attainment").is_not_null()).sort("attainment")
    title = None
    if rows.height > most:
        title = (
            f"The {most // 2} squads furthest behind and the {most - most // 2} furthest ahead, "
            f"of {rows.height:,}"
        )
        rows = pl.concat([rows.head(most // 2), rows.tail(most - most // 2)])
    fig = go.Figure(
        go.Bar(
            x=rows["attainment"].to_list(),
            y=labels(rows["squad"].to_list()),
            orientation="h",
            marker_color=[STATUS_COLOURS.get(s, "#9e9e9e") for s in rows["status"].to_list()],
            text=[display.percent(a) for a in rows["attainment"].to_list()],
            textposition="outside",
            cliponaxis=False,
            customdata=rows.select("credited", "quota").rows(),
            hovertemplate="%{y}: %{x:.1%} (%{customdata[0]:$,.0f} of %{customdata[1]:$,.0f})<extra></extra>",
        )
    )
    if elapsed is not None:
        fig.add_vline(
            x=elapsed,
            line_dash="dash",
            line_color="#555",
            annotation_text=f"time elapsed {display.percent(elapsed)}",
            annotation_position="top",
        )
    # Room on the right of the longest bar for its label, inside the plot: on a phone the
    # figure is narrow and a label past the axis would be cut off.
    longest = max([*rows["attainment"].to_list(), elapsed or 0, 0.01])
    fig.update_layout(
        xaxis=dict(tickformat=".0%", title="attainment of base quota", range=[0, longest * 1.22]),
        yaxis=dict(title=None),
        height=120 + 48 * max(rows.height, 1),
        margin=dict(l=10, r=30, t=70 if title else 40, b=10),
        showlegend=False,
        title=title,
    )
    return fig


def squad_trend(
    trend: pl.DataFrame, as_of, forecast: float | None = None, title: str | None = None
) -> go.Figure:
    """Cumulative credited revenue by week (squad_trend rows) against the base quota line and
    the expected-to-date line, with the forecast band from today's credited to the forecast."""
    end_of_week = trend["last_day"].to_list()
    # Nothing after as-of: the weeks up to it, their points at most at as-of (the query's
    # as_of leaves out credits closed after it).
    done = trend.filter(pl.col("week_start") <= as_of)
    fig = go.Figure()
    quota = trend["quota"][0] if trend.height else None
    if quota is not None:
        fig.add_trace(
            go.Scatter(
                x=end_of_week,
                y=trend["expected_cum"].cast(pl.Float64).to_list(),
                name="expected to date",
                line=dict(dash="dash", color="#555"),
            )
        )
        fig.add_hline(
            y=float(quota),
            line_color="#1565c0",
            annotation_text=f"base quota {display.money(quota)}",
            annotation_position="top left",
        )
    credited = [float(v) for v in done["credited_cum"].to_list()]
    days = [min(d, as_of) for d in done["last_day"].to_list()]
    fig.add_trace(
        go.Scatter(
            x=days,
            y=credited,
            name="credited",
            mode="lines+markers",
            line=dict(color="#2e7d32", width=3),
        )
    )
    if forecast is not None and credited and end_of_week and as_of < end_of_week[-1]:
        # The band: from what is credited today to the forecast at the end of the period. It
        # never slopes down: the forecast is what is credited plus what may still come.
        now, last = credited[-1], end_of_week[-1]
        forecast = max(float(forecast), now)
        fig.add_trace(
            go.Scatter(
                x=[days[-1], last],
                y=[now, now],
                mode="lines",
                line=dict(width=0),
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[days[-1], last],
                y=[now, float(forecast)],
                mode="lines",
                name="forecast band",
                fill="tonexty",
                fillcolor="rgba(46, 125, 50, 0.15)",
                line=dict(color="rgba(46, 125, 50, 0.6)", dash="dot"),
            )
        )
    fig.update_layout(
        title=None if title is None else label(title),
        yaxis=dict(title="cumulative credited revenue", tickformat="$,.0f", rangemode="tozero"),
        xaxis=dict(title=None),
        height=380,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        legend=dict(orientation="h", y=-0.15),
    )
    return fig


def goals_vs_quota(budget: pl.DataFrame, most: int = 30) -> go.Figure:
    """Per squad: the sum of the reps' own goals (bottom-up) next to the base quota (top-down).

    Over `most` squads it shows the first `most` rows as given (goals_by_squad puts the largest
    shortfall first) and says so in its title.
    """
    title = None
    if budget.height > most:
        title = f"The first {most} of {budget.height:,} squads, largest shortfall first"
        budget = budget.head(most)
    squads = labels(budget["squad"].to_list())
    fig = go.Figure(
        [
            go.Bar(
                x=squads,
                y=budget["base_quota"].cast(pl.Float64).to_list(),
                name="base quota (top-down)",
                marker_color="#1565c0",
            ),
            go.Bar(
                x=squads,
                y=budget["goals_sum"].cast(pl.Float64).to_list(),
                name="sum of reps' goals (bottom-up)",
                marker_color="#2e7d32",
            ),
        ]
    )
    fig.update_layout(
        barmode="group",
        yaxis=dict(tickformat="$,.0f", title=None),
        height=340,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        legend=dict(orientation="h", y=-0.15),
        title=title,
    )
    return fig


# A board's kind (contribution.BOARDS) -> (d3 format of its values, unit after them).
BOARD_FORMATS = {
    "money": ("$,.0f", ""),
    "percent": (".0%", ""),
    "points": ("+.1f", " pts"),
    "count": (",d", ""),
    "score": (",.1f", ""),
}


def board_bars(board: pl.DataFrame, value_format: str = ",.0f", top: int = 15) -> go.Figure:
    """A leaderboard as horizontal bars, best on top; the viewer's own bar highlighted.

    Takes the board as the viewer may see it (names already hidden where the plan says so).
    `value_format` is a board kind (money, percent, points...) or a d3 format.
    """
    value_format, unit = BOARD_FORMATS.get(value_format, (value_format, ""))
    rows = board.sort("rank").head(top)
    you = rows["you"].to_list() if "you" in rows.columns else [False] * rows.height
    # Positions on the axis, names only as tick text: tied anonymous rows share a label.
    names = [
        label(name) if name.startswith("#") else f"#{rank} {label(name)}"
        for rank, name in zip(rows["rank"], rows["rep"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=rows["value"].to_list(),
            y=list(range(rows.height)),
            customdata=names,
            orientation="h",
            cliponaxis=False,
            marker_color=["#1565c0" if y else "#90a4ae" for y in you],
            texttemplate=f"%{{x:{value_format}}}{unit}",
            textposition="outside",
            hovertemplate=f"%{{customdata}}: %{{x:{value_format}}}{unit}<extra></extra>",
        )
    )
    # Room beyond the longest bar (either side) for its label, inside the plot.
    values = [float(v) for v in rows["value"].to_list() if v is not None] or [0.0]
    low, high = min(0.0, *values), max(0.0, *values)
    pad = 0.3 * ((high - low) or 1.0)
    fig.update_layout(
        yaxis=dict(
            autorange="reversed",
            title=None,
            tickmode="array",
            tickvals=list(range(rows.height)),
            ticktext=names,
        ),
        xaxis=dict(
            title=None,
            tickformat=value_format,
            range=[low - pad if low < 0 else 0, high + pad],
        ),
        height=80 + 28 * max(rows.height, 1),
        margin=dict(l=10, r=10, t=10, b=10),
        showlegend=False,
    )
    return fig
