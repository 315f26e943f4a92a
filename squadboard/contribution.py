"""Contribution rules shared by the boards and the pools: board naming, the cent-exact
pool split, and the helpers the claim and kudos rules write with (squadboard/claims.py,
squadboard/kudos.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

import duckdb
import polars as pl

from squadboard import db, display, visibility
from squadboard.auth import Viewer

CENT = Decimal("0.01")

# The boards of queries/leaderboard.sql: metric -> (title, how the value reads, what it is).
BOARDS = {
    "credited": ("Credited revenue", "money", "Σ amount × revenue split % of won deals"),
    "pct_to_target": ("% of stretch target", "percent", "credited ÷ individual stretch target"),
    "most_improved": (
        "Most improved",
        "points",
        "% to target now minus % to target in the period before (percentage points)",
    ),
    "assists": (
        "Assists",
        "count",
        "won deals you do not own with your credit, logged activity or Mastermind help",
    ),
    "overlay": ("Overlay credit", "money", "confirmed overlay credit (AE and manager both)"),
    "activity": ("Activity score", "score", "calls, emails, meetings, demos, docs × weights"),
    "kudos": ("Kudos received", "count", "kudos from teammates in the period"),
    "mastermind": (
        "Mastermind help",
        "count",
        "Masterminds you helped on: accepted, and a note written or a step finished",
    ),
    "contribution": (
        "Contribution score",
        "score",
        "0-100: each board scaled to its best rep, weighted by the plan settings",
    ),
    # Find a mentor (issue #13): requests for help seen through to done, as the mentor.
    "mentoring": ("Mentoring", "count", "requests for help you mentored to done"),
}


CONTRIBUTION_PARTS = (
    "credited",
    "assists",
    "overlay",
    "activity",
    "kudos",
    "mentoring",
    "mastermind",
)
ACTIVITY_KINDS = ("call", "email", "meeting", "demo", "solution_doc")


class ContributionError(ValueError):
    """A claim, confirmation or kudos that the rules refuse; the message says why."""


def stamp(day: date) -> datetime:
    """The moment a write happens: `day` (the app's today, pinnable) at the current time."""
    return datetime.combine(day, datetime.now().time().replace(microsecond=0))


def fetch_one(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> dict | None:
    rel = cur.execute(sql, params)
    row = rel.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in rel.description], row, strict=True))


def active_person(cur: duckdb.DuckDBPyConnection, rep_id: str) -> dict:
    person = fetch_one(
        cur, "select rep_id, name, access, active from reps where rep_id = ?", [rep_id]
    )
    if person is None or not person["active"]:
        raise ContributionError(f"{rep_id!r} is not an active person in the roster")
    return person


def deal_row(cur: duckdb.DuckDBPyConnection, deal_id: str) -> dict:
    deal = fetch_one(
        cur,
        "select deal_id, name, owner_id, status, close_date from deals where deal_id = ?",
        [deal_id],
    )
    if deal is None:
        raise ContributionError(f"there is no deal {deal_id!r}")
    return deal


def write_step(con: duckdb.DuckDBPyConnection, step, lock: str = "claims"):
    """Run step(cur) in one transaction (on a shared store again, after a pause, when another
    writer won a race); a write that still loses is a message, not a trace."""
    try:
        return db.write(con, step, lock)
    except duckdb.TransactionException as exc:
        raise ContributionError(
            "someone changed this at the same moment; reload the page and try again"
        ) from exc


# Pools ---------------------------------------------------------------------------------


def split_to_cents(pool: Decimal, points: list[Decimal | float]) -> list[Decimal]:
    """Divide a pool in proportion to points, whole cents, adding up to the pool exactly.

    Largest remainder: everyone gets their share rounded down to the cent; the cents left
    over go one each to the largest remainders (ties: earlier member first). With no points
    at all the pool is divided equally. queries/pool_shares.sql does the same in SQL.
    """
    pool = Decimal(pool).quantize(CENT)
    if not points:
        return []
    weights = [Decimal(str(p)) for p in points]
    if any(w < 0 for w in weights):
        raise ValueError("points must not be negative")
    total = sum(weights)
    if total == 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [pool * w / total for w in weights]
    floors = [e.quantize(CENT, rounding=ROUND_FLOOR) for e in exact]
    left = int((pool - sum(floors)) / CENT)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += CENT
    return floors


# Board naming --------------------------------------------------------------------------


def within_squad(board: pl.DataFrame, squad: str | None) -> pl.DataFrame:
    """One squad's part of a board, ranked again among themselves (ties share a rank)."""
    if squad is None:
        return board
    return (
        board.filter(pl.col("squad") == squad)
        .with_columns(rank=pl.col("value").round(6).rank("min", descending=True).cast(pl.Int32))
        .sort("rank", "rep")
    )


def present_board(
    board: pl.DataFrame,
    viewer: str | Viewer,
    naming: str,
    hide_bottom_n: int,
    squads: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """What a viewer may see of a leaderboard (rank, rep, squad, value, you).

    named: everyone. anonymous: others become "#rank" and lose their rep_id; you keep your
    name. hide_bottom: the bottom N ranks are left out, except your own row. Done here,
    before anything reaches Streamlit, so no name is on screen, in a download or in the page.
    A Viewer (with `squads`: rep_id, squad_id rows) also sees the rows visibility.sees allows
    (a leader their squads' reps, an admin everyone) as if the board were named; a bare
    rep_id sees only their own.
    """
    viewer_id = viewer if isinstance(viewer, str) else viewer.rep_id
    board = board.sort("rank", "rep_id").with_columns(you=pl.col("rep_id") == viewer_id)
    if isinstance(viewer, Viewer) and viewer.is_admin:
        board = board.with_columns(seen=pl.lit(True))
    elif isinstance(viewer, Viewer) and naming != "named":
        people = (
            squads.select("rep_id", "squad_id").unique("rep_id", keep="first")
            if squads is not None
            else pl.DataFrame(schema={"rep_id": pl.String, "squad_id": pl.String})
        )
        seen_ids = visibility.visible_reps(viewer, naming, people)
        board = board.with_columns(seen=pl.col("you") | pl.col("rep_id").is_in(seen_ids))
    else:
        board = board.with_columns(seen=pl.col("you"))
    if naming == "anonymous":
        board = board.with_columns(
            rep=pl.when(pl.col("you"))
            .then(pl.col("rep") + " (you)")
            .when(pl.col("seen"))
            .then(pl.col("rep"))
            .otherwise(pl.lit("#") + pl.col("rank").cast(pl.String)),
            rep_id=pl.when(pl.col("seen")).then(pl.col("rep_id")).otherwise(pl.lit(None)),
        )
    elif naming == "hide_bottom" and hide_bottom_n > 0:
        # the last N places; a rep tied with someone above the cut stays on the board
        board = board.filter((pl.col("rank") <= board.height - hide_bottom_n) | pl.col("seen"))
    return board.select("rank", "rep_id", "rep", "squad", "value", "you")


def format_value(kind: str, value: float | None) -> str:
    """A board value as a person reads it (used where boards of different units share a table)."""
    shown = {
        "money": display.money,
        "percent": display.percent,
        "points": display.points,
        "count": display.count,
    }
    return shown.get(kind, display.decimal)(value)


def standing(boards: dict[str, pl.DataFrame], rep_id: str, squad: str | None) -> pl.DataFrame:
    """The viewer's own place on every board: board, rank, of how many, value. Nobody else's."""
    rows = []
    for metric, board in boards.items():
        ranked = within_squad(board, squad)
        mine = ranked.filter(pl.col("rep_id") == rep_id)
        if mine.height:
            title, kind, _ = BOARDS[metric]
            rows.append(
                {
                    "board": title,
                    "rank": int(mine["rank"][0]),
                    "of": ranked.height,
                    "value": format_value(kind, mine["value"][0]),
                }
            )
    schema = {"board": pl.String, "rank": pl.Int64, "of": pl.Int64, "value": pl.String}
    return pl.DataFrame(rows, schema=schema)
