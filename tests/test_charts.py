"""Charts are pure functions of a frame: what they draw is checked on the figure itself."""

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
