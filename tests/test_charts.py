"""Charts are pure functions of a frame: what they draw is checked on the figure itself."""

import html
from datetime import date

import polars as pl
import pytest

from squadboard import charts


def _squads(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "squad": [f"Squad {i:04d}" for i in range(n)],
            "attainment": [i / n for i in range(n)],
            "status": ["behind"] * n,
            "credited": [float(i) for i in range(n)],
            "quota": [float(n)] * n,
        }
    )


@pytest.mark.parametrize("n", [1, 4, 30])
def test_a_small_organisation_shows_every_squad(n):
    fig = charts.attainment_bars(_squads(n), elapsed=0.5)
    assert sorted(fig.data[0].y) == sorted(_squads(n)["squad"].to_list())
    assert fig.layout.title.text is None


def test_a_big_organisation_shows_the_furthest_behind_and_ahead_and_says_so():
    fig = charts.attainment_bars(_squads(2000), elapsed=0.5)
    shown = list(fig.data[0].y)
    assert len(shown) == 30
    assert shown[:15] == [f"Squad {i:04d}" for i in range(15)]  # lowest attainment first
    assert shown[15:] == [f"Squad {i:04d}" for i in range(1985, 2000)]
    assert "of 2,000" in fig.layout.title.text
    assert fig.layout.height < 2000  # not 96,000 pixels of bars


def test_goals_against_quota_shows_the_largest_shortfalls_of_a_big_organisation():
    budget = pl.DataFrame(
        {
            "squad": [f"Squad {i:04d}" for i in range(500)],
            "base_quota": [100.0] * 500,
            "goals_sum": [float(i) for i in range(500)],
        }
    )
    fig = charts.goals_vs_quota(budget)
    assert list(fig.data[0].x) == [f"Squad {i:04d}" for i in range(30)]
    assert "of 500" in fig.layout.title.text
    small = charts.goals_vs_quota(budget.head(4))
    assert len(small.data[0].x) == 4 and small.layout.title.text is None


# Issue #11: Plotly renders <a>, <span style>, <br>... in labels, hover text and titles.

HOSTILE = (
    'Priya <a href="https://evil.example/login">Raman</a> '
    '<span style="font-size:40px;color:red">BIG</span><br>& co'
)


def _strings(value) -> list[str]:
    """Every string anywhere in a figure's JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _figures():
    squads = _squads(3).with_columns(squad=pl.lit(HOSTILE) + pl.col("squad"))
    board = pl.DataFrame(
        {"rank": [1, 2], "rep": [HOSTILE, "#2"], "value": [3.0, 1.0], "you": [True, False]}
    )
    budget = pl.DataFrame(
        {"squad": [HOSTILE], "base_quota": [100.0], "goals_sum": [80.0]},
    )
    trend = pl.DataFrame(
        {
            "week_start": [date(2026, 10, 5)],
            "last_day": [date(2026, 10, 11)],
            "quota": [100.0],
            "expected_cum": [10.0],
            "credited_cum": [5.0],
        }
    )
    return {
        "attainment_bars": charts.attainment_bars(squads, 0.5),
        "board_bars": charts.board_bars(board),
        "goals_vs_quota": charts.goals_vs_quota(budget),
        "squad_trend": charts.squad_trend(trend, trend["last_day"][0], 20.0, title=HOSTILE),
    }


@pytest.mark.parametrize("name", ["attainment_bars", "board_bars", "goals_vs_quota", "squad_trend"])
def test_a_name_made_of_html_is_text_in_every_chart(name):
    fig = _figures()[name]
    texts = _strings(fig.to_plotly_json())
    assert not [t for t in texts if "<a" in t or "<span" in t or "<br" in t], name
    # shown as typed: Plotly turns the entities back into the characters
    assert any(HOSTILE in html.unescape(t) for t in texts), name


def test_label_escapes_only_what_plotly_reads_as_markup():
    assert charts.label("Ana & Bo <b>") == "Ana &amp; Bo &lt;b&gt;"
    assert charts.label('O\'Neil "Jr" · Zoë') == 'O\'Neil "Jr" · Zoë'
    assert charts.label(None) == ""
