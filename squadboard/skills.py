"""Skill profiles and mentor matching from deal outcomes (issue #13): who may see a rep's
weaknesses, the cells with too few deals to tell, Suggest pairs as an optimal assignment,
and the 90-day follow-up as people read it.

A weakness is a cell where the rep's win rate is below the team median (the median win rate
of the reps with at least `mentor_min_deals` deals in the cell, of every rep in it when nobody
has that many; queries/mentor_suggestions.sql works it out the same way). Only the rep, their leaders and admins
see weaknesses; everyone else gets the strengths alone. That is decided here, on the frames,
before anything reaches Streamlit: a hidden cell is in no table, chart, download or page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment

from squadboard.auth import Viewer

CELL = ["dimension", "segment"]
PROFILE_COLUMNS = [
    "dimension",
    "segment",
    "deals",
    "won",
    "win_rate",
    "rate_low",
    "rate_high",
    "team_median",
    "median_cycle_days",
    "avg_won_amount",
    "reading",
]


def team_medians(profile: pl.DataFrame, min_deals: int) -> pl.DataFrame:
    """dimension, segment, team_median over a whole skill_profile frame (as mentor_suggestions)."""
    return profile.group_by(CELL).agg(
        pl.coalesce(
            pl.col("win_rate").filter(pl.col("deals") >= min_deals).median(),
            pl.col("win_rate").median(),
        ).alias("team_median")
    )


def may_see_weaknesses(viewer: Viewer, rep_id: str, squad_id: str | None) -> bool:
    """The rep themselves, the leaders of their squad, admins."""
    return viewer.may_see_payout_of(rep_id, squad_id)


def rep_profile(
    profile: pl.DataFrame,
    viewer: Viewer,
    rep_id: str,
    squad_id: str | None,
    min_deals: int,
) -> pl.DataFrame:
    """One rep's cells (PROFILE_COLUMNS) as `viewer` may see them.

    reading: "strength" (at or above the team median), "weakness" (below it) or "too few
    deals to tell" (fewer than min_deals; shown to others only when at or above the median).
    Weaknesses and low small cells are dropped unless may_see_weaknesses."""
    return rep_cells(
        profile.filter(pl.col("rep_id") == rep_id),
        team_medians(profile, min_deals),
        viewer,
        rep_id,
        squad_id,
        min_deals,
    )


def rep_cells(
    cells: pl.DataFrame,
    medians: pl.DataFrame,
    viewer: Viewer,
    rep_id: str,
    squad_id: str | None,
    min_deals: int,
) -> pl.DataFrame:
    """rep_profile from the rep's own rows of skill_profile (skill_rep_profile) and the team
    medians of the window (skill_team_medians, or team_medians): what a page reads instead of
    everyone's cells."""
    mine = cells.filter(pl.col("rep_id") == rep_id).join(
        medians.select(*CELL, "team_median"), on=CELL, how="left"
    )
    below = pl.col("win_rate") < pl.col("team_median")
    mine = mine.with_columns(
        reading=pl.when(pl.col("deals") < min_deals)
        .then(pl.lit("too few deals to tell"))
        .when(below)
        .then(pl.lit("weakness"))
        .otherwise(pl.lit("strength"))
    )
    if not may_see_weaknesses(viewer, rep_id, squad_id):
        mine = mine.filter(~below.fill_null(False))
    return mine.select(PROFILE_COLUMNS)


def too_few(cells: pl.DataFrame) -> pl.DataFrame:
    """The cells of rep_profile with too few deals to tell, apart from the rest."""
    return cells.filter(
        (pl.col("reading") == "too few deals to tell") & (pl.col("dimension") != "overall")
    )


def suggestions(
    run: Callable[..., pl.DataFrame],
    viewer: Viewer,
    seeker_id: str,
    seeker_squad_id: str | None,
    period: dict,
) -> pl.DataFrame:
    """mentor_suggestions for the seeker, only for who may see the seeker's weaknesses (the
    suggestions name them). `run` runs a named query (ui.run on a page, db.run in tests)."""
    if not may_see_weaknesses(viewer, seeker_id, seeker_squad_id):
        raise PermissionError("a rep's suggestions show their weaknesses: theirs and leaders' only")
    return run("mentor_suggestions", rep_id=seeker_id, **period)


# Suggest pairs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """The best a mentor can do for a seeker: the cell and how much of the gap it closes."""

    gain: float
    dimension: str
    segment: str


def pair_options(
    profile: pl.DataFrame, seekers: list[str], mentors: list[str], min_deals: int
) -> pl.DataFrame:
    """seeker_id, mentor_id, dimension, segment, gain: for each pair the cell where the
    mentor closes most of the seeker's gap.

    A seeker's cells: at least min_deals deals, below the team median, not overall. A mentor
    there: at least min_deals deals, above the team median; the gap closed is the mentor's
    lower bound minus the seeker's rate (only when positive)."""
    cells = profile.filter(pl.col("dimension") != "overall").join(
        team_medians(profile, min_deals), on=CELL
    )
    weak = cells.filter(
        pl.col("rep_id").is_in(seekers)
        & (pl.col("deals") >= min_deals)
        & (pl.col("win_rate") < pl.col("team_median"))
    ).select(pl.col("rep_id").alias("seeker_id"), *CELL, pl.col("win_rate").alias("seeker_rate"))
    strong = cells.filter(
        pl.col("rep_id").is_in(mentors)
        & (pl.col("deals") >= min_deals)
        & (pl.col("win_rate") > pl.col("team_median"))
    ).select(pl.col("rep_id").alias("mentor_id"), *CELL, "rate_low")
    joined = (
        weak.join(strong, on=CELL)
        .filter(pl.col("seeker_id") != pl.col("mentor_id"))
        .with_columns(gain=pl.col("rate_low") - pl.col("seeker_rate"))
        .filter(pl.col("gain") > 0)
        .sort(["gain", "dimension", "segment"], descending=[True, False, False])
        .unique(["seeker_id", "mentor_id"], keep="first", maintain_order=True)
    )
    return joined


def assign(
    options: dict[tuple[str, str], Option] | pl.DataFrame,
    seekers: list[str],
    slots: dict[str, int],
) -> list[tuple[str, str]]:
    """An optimal assignment: every seeker at most one mentor, no mentor more than their
    slots, the total gap closed as large as it can be (scipy's linear_sum_assignment over one
    column per free slot). Seekers nobody can help are left out. `options` is pair_options'
    frame, or {(seeker, mentor): Option}.

    Only seekers someone can help get rows and only pairs with a positive gain count; each
    seeker keeps only their best mentors (_best_options), no mentor gets more columns than
    there are seekers: the optimum is the same, the matrix much smaller for a whole
    organisation."""
    if isinstance(options, dict):
        options = pl.DataFrame(
            [(s, m, o.gain) for (s, m), o in options.items()],
            schema={"seeker_id": pl.String, "mentor_id": pl.String, "gain": pl.Float64},
            orient="row",
        )
    room = {m: n for m, n in slots.items() if n > 0}
    options = options.filter(
        pl.col("seeker_id").is_in(seekers)
        & pl.col("mentor_id").is_in(list(room))
        & (pl.col("gain") > 0)
    )
    helped = set(options["seeker_id"].to_list())
    seekers = [s for s in dict.fromkeys(seekers) if s in helped]
    options = _best_options(options, room, len(seekers))
    mentors = sorted(set(options["mentor_id"].to_list()))
    if not seekers or not mentors:
        return []
    row_of = {s: i for i, s in enumerate(seekers)}
    col_of = {m: j for j, m in enumerate(mentors)}
    by_mentor = np.zeros((len(seekers), len(mentors)))
    rows_idx = np.array([row_of[s] for s in options["seeker_id"].to_list()], dtype=int)
    cols_idx = np.array([col_of[m] for m in options["mentor_id"].to_list()], dtype=int)
    by_mentor[rows_idx, cols_idx] = options["gain"].to_numpy()
    columns = np.repeat(np.arange(len(mentors)), [min(room[m], len(seekers)) for m in mentors])
    gain = by_mentor[:, columns]
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return [
        (seekers[i], mentors[columns[j]]) for i, j in zip(rows, cols, strict=True) if gain[i, j] > 0
    ]


def _best_options(options: pl.DataFrame, room: dict[str, int], seekers: int) -> pl.DataFrame:
    """Each seeker's options by gain, largest first, up to the first ones whose mentors
    together have a slot for every seeker. An optimal assignment never needs the others: were
    a seeker paired outside them, one of these mentors would have a slot left over (the other
    seekers fill fewer than all of them) with a gain at least as large. So the matrix stays
    small for a whole organisation, with the same total gain."""
    if options.is_empty():
        return options
    slots = pl.DataFrame(
        {"mentor_id": list(room), "slots": [min(n, seekers) for n in room.values()]},
        schema={"mentor_id": pl.String, "slots": pl.Int64},
    )
    return (
        options.join(slots, on="mentor_id")
        .sort(["seeker_id", "gain", "mentor_id"], descending=[False, True, False])
        .with_columns(before=pl.col("slots").cum_sum().over("seeker_id") - pl.col("slots"))
        .filter(pl.col("before") < seekers)
        .drop("slots", "before")
    )


def suggest_pairs(
    profile: pl.DataFrame,
    seekers: list[str],
    room: pl.DataFrame,
    min_deals: int,
) -> pl.DataFrame:
    """Suggest pairs: a mentor for every seeker who can be helped, with the evidence.

    `room` has rep_id and slots (mentee limit minus current mentees, of available reps)."""
    slots = {r: int(n) for r, n in zip(room["rep_id"], room["slots"], strict=True) if n > 0}
    options = pair_options(profile, seekers, list(slots), min_deals)
    pairs = assign(options, seekers, slots)
    best = (
        {
            (r["seeker_id"], r["mentor_id"]): Option(r["gain"], r["dimension"], r["segment"])
            for r in options.filter(
                pl.struct("seeker_id", "mentor_id").is_in(
                    pl.DataFrame(pairs, schema=["seeker_id", "mentor_id"], orient="row")
                    .to_struct()
                    .implode()
                )
            ).iter_rows(named=True)
        }
        if pairs
        else {}
    )
    medians = {(d, g): m for d, g, m in team_medians(profile, min_deals).iter_rows()}
    people = {s for s, _ in pairs} | {m for _, m in pairs}
    cells = {
        (r["rep_id"], r["dimension"], r["segment"]): r
        for r in profile.filter(pl.col("rep_id").is_in(list(people))).iter_rows(named=True)
    }
    rows = []
    for seeker, mentor in pairs:
        o = best[(seeker, mentor)]
        s = cells[(seeker, o.dimension, o.segment)]
        m = cells[(mentor, o.dimension, o.segment)]
        rows.append(
            {
                "seeker_id": seeker,
                "seeker": s["rep"],
                "mentor_id": mentor,
                "mentor": m["rep"],
                "dimension": o.dimension,
                "segment": o.segment,
                "gap_closed": o.gain,
                "evidence": evidence(m, s, medians[(o.dimension, o.segment)]),
            }
        )
    schema = {
        "seeker_id": pl.String,
        "seeker": pl.String,
        "mentor_id": pl.String,
        "mentor": pl.String,
        "dimension": pl.String,
        "segment": pl.String,
        "gap_closed": pl.Float64,
        "evidence": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).sort("gap_closed", descending=True)


def percent(x: float | None) -> str:
    return "–" if x is None else f"{round(100 * x)} %"


def cell_phrase(dimension: str, segment: str) -> str:
    """Mirror of the cell_phrase macro in schema.sql: what "won 9 of 31 ..." is about."""
    if dimension == "overall":
        return "deals"
    if dimension == "size_band":
        money = segment.split(" (")[0]
        return f"deals {money}" if money.startswith("under ") else f"deals of {money}"
    if dimension == "sector":
        return f"deals with {segment} accounts"
    if dimension == "stage":
        return f"deals that reached {segment}"
    return f"{segment} deals"


def evidence(mentor: dict, seeker: dict, median: float) -> str:
    """'Darcel Schlecht won 42 of 55 GTX Pro deals (76 %, at least 64 %); Tom Becker won 9 of
    31 (29 %); team median 52 %.' (mentor_suggestions says "you" to the seeker)."""
    return (
        f"{mentor['rep']} won {mentor['won']} of {mentor['deals']} "
        f"{cell_phrase(mentor['dimension'], mentor['segment'])} ({percent(mentor['win_rate'])}, "
        f"at least {percent(mentor['rate_low'])}); {seeker['rep']} won {seeker['won']} of "
        f"{seeker['deals']} ({percent(seeker['win_rate'])}); team median {percent(median)}."
    )


def seekers_below_target(
    attainment: pl.DataFrame, profile: pl.DataFrame, min_deals: int
) -> list[str]:
    """Who needs a mentor: reps behind pace on their stretch target in the period; where
    nobody has a target (an import without quotas), reps whose overall win rate is below the
    team median."""
    with_target = attainment.filter(pl.col("stretch_target").is_not_null())
    if with_target.height:
        return with_target.filter(pl.col("pace").fill_null(0) < 1.0)["rep_id"].to_list()
    overall = profile.filter(pl.col("dimension") == "overall")
    if overall.is_empty():
        return []
    median = team_medians(overall, min_deals)["team_median"][0]
    return overall.filter(pl.col("win_rate") < median).sort("win_rate")["rep_id"].to_list()


# Follow-up ---------------------------------------------------------------------------------

NOT_PROOF = (
    "Before and after are the asker's own closed deals in the cell, 90 days either side of "
    "the day the request was accepted. Not proof of cause: territory, season and luck change too."
)


def follow_up_text(row: dict) -> str:
    """'GTX Pro: 4 of 12 (33 %) before, 7 of 11 (64 %) after.'"""

    def part(won: int, deals: int) -> str:
        return f"{won} of {deals} ({percent(won / deals)})" if deals else "no closed deals"

    return (
        f"{part(row['before_won'], row['before_deals'])} in the 90 days before, "
        f"{part(row['after_won'], row['after_deals'])} in the 90 days after."
    )


def mentees_change(follow_up: pl.DataFrame, mentor_id: str) -> tuple[float | None, int]:
    """A mentor's mentees' average change of win rate in the cell (requests with closed deals
    both before and after) and how many requests that average rests on."""
    rows = follow_up.filter((pl.col("mentor_id") == mentor_id) & pl.col("change").is_not_null())
    if rows.is_empty():
        return None, 0
    return float(rows["change"].mean()), rows.height


def default_window(today: date) -> tuple[date, date]:
    """The four quarters up to today: [a year before tomorrow, tomorrow)."""
    from datetime import timedelta

    end = today + timedelta(days=1)
    try:
        start = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 1, day=28)
    return start, end
