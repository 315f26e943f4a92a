"""Masterminds as the page shows them: whom to invite (with the evidence in words) and the
lists, labels and summaries of the Masterminds page. The rules and writes are in
squadboard/mastermind.py; nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType

import duckdb
import polars as pl

from squadboard import db, display
from squadboard.contribution import ContributionError
from squadboard.mastermind import may_manage

# Invite suggestions ------------------------------------------------------------------------


def _product_key(product: object) -> str:
    return re.sub(r"\s+", "", str(product or "")).lower()


def product_key(names: pl.Expr) -> pl.Expr:
    """_product_key as a Polars expression (no Python callback on Polars' thread pool)."""
    return names.fill_null("").str.replace_all(r"\s+", "").str.to_lowercase()


def size_band_of(profile: pl.DataFrame, band_index: int | None) -> str | None:
    """The `size_band` segment at position band_index (0 = smallest) of skill_profile's
    bands, which are ordered here by the amounts won in them (their labels are for people)."""
    bands = profile.filter(pl.col("dimension") == "size_band")
    if band_index is None or bands.is_empty():
        return None
    order = (
        bands.group_by("segment")
        .agg(pl.col("avg_won_amount").median().alias("typical"))
        .sort("typical", nulls_last=True)["segment"]
        .to_list()
    )
    return order[min(max(band_index, 0), len(order) - 1)]


def suggestions(
    knows: pl.DataFrame,
    profile: pl.DataFrame,
    *,
    product: str | None,
    band_index: int | None,
    exclude: set[str],
    limit: int = 8,
    per_kind: int = 3,
) -> pl.DataFrame:
    """Whom to invite, with the evidence in words: reps who know the account (the
    account_experience query) and the strongest reps in the deal's product and size band
    (skill_profile cells ranked by the lower bound of the win rate, never the raw rate).
    One row per rep: rep_id, rep, evidence; people in `exclude` are left out."""
    found: dict[str, dict] = {}

    def add(rep_id: str, rep: str, text: str, score: float) -> None:
        if rep_id in exclude:
            return
        entry = found.setdefault(rep_id, {"rep_id": rep_id, "rep": rep, "why": [], "score": 0.0})
        entry["why"].append(text)
        entry["score"] += score

    knows = knows.filter(~pl.col("rep_id").is_in(list(exclude)))
    for r in knows.head(per_kind).iter_rows(named=True):
        last = f", last closed {display.day(r['last_close_date'])}" if r["last_close_date"] else ""
        add(
            r["rep_id"],
            r["rep"],
            f"knows the account: {r['won']} won, {r['lost']} lost, {r['open']} open of "
            f"{r['deals']} deal{'s' if r['deals'] != 1 else ''}{last}",
            100 + r["won"],
        )
    cells = []
    if product:
        key = _product_key(product)
        cells.append(
            (
                "product",
                profile.filter(
                    (pl.col("dimension") == "product") & (product_key(pl.col("segment")) == key)
                ),
            )
        )
    band = size_band_of(profile, band_index)
    if band is not None:
        cells.append(
            (
                "deals of this size",
                profile.filter((pl.col("dimension") == "size_band") & (pl.col("segment") == band)),
            )
        )
    for label, cell in cells:
        ranked = cell.filter(~pl.col("rep_id").is_in(list(exclude)) & (pl.col("won") > 0))
        for r in ranked.sort("rate_low", descending=True).head(per_kind).iter_rows(named=True):
            what = r["segment"] if label == "product" else f"{r['segment']} deals"
            add(
                r["rep_id"],
                r["rep"],
                f"strong in {what}: won {r['won']} of {r['deals']} "
                f"({r['win_rate']:.0%}, at least {r['rate_low']:.0%})",
                10 * r["rate_low"],
            )
    rows = sorted(found.values(), key=lambda e: (-e["score"], e["rep"]))[:limit]
    return pl.DataFrame(
        [{"rep_id": e["rep_id"], "rep": e["rep"], "evidence": "; ".join(e["why"])} for e in rows],
        schema={"rep_id": pl.String, "rep": pl.String, "evidence": pl.String},
    )


def band_index(cur: duckdb.DuckDBPyConnection, amount, period_start: date, period_end: date):
    """Which quartile (0-3) of the org's won amounts in the window a deal amount falls in."""
    if amount is None:
        return None
    row = cur.execute(
        "select quantile_cont(amount, [0.25, 0.5, 0.75]) from deals "
        "where status = 'won' and close_date >= ? and close_date < ?",
        [period_start, period_end],
    ).fetchone()
    edges = row[0] if row else None
    if not edges:
        return None
    return sum(float(amount) >= float(e) for e in edges)


def suggest(
    con: duckdb.DuckDBPyConnection,
    *,
    account: str,
    deal_id: str | None,
    exclude: set[str],
    today: date,
    run=None,
) -> pl.DataFrame:
    """Suggestions for a Mastermind on `account` (and its deal), over the four quarters up to
    today. `run(name, **params)` runs a named query (ui.run on a page, db.run by default)."""
    run = run or (lambda name, **p: db.run(con, name, **p))
    window = {"period_start": today - timedelta(days=365), "period_end": today + timedelta(days=1)}
    product = amount = None
    cur = con.cursor()
    try:
        if deal_id:
            row = cur.execute(
                "select product, amount from deals where deal_id = ?", [deal_id]
            ).fetchone()
            if row:
                product, amount = row
        index = band_index(cur, amount, **window)
    finally:
        cur.close()
    inactive = set(run("roster", as_of=today).filter(~pl.col("active"))["rep_id"].to_list())
    return suggestions(
        run("account_experience", account=account),
        run("skill_profile", **window),
        product=product,
        band_index=index,
        exclude=exclude | inactive,
    )


# What the page shows ---------------------------------------------------------------------------

PARTS = {"owner": "owner", "helper": "helper", "invited": "invited", "declined": "declined"}


def viewer_manages(con: duckdb.DuckDBPyConnection, rep_id: str, owner_id: str, day: date) -> bool:
    """Whether the viewer may invite to and close a Mastermind of owner_id (buttons only: every
    write checks again)."""
    cur = con.cursor()
    try:
        return may_manage(cur, rep_id, owner_id, day)
    except ContributionError:
        return False
    finally:
        cur.close()


def present_list(rooms: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """The list (the masterminds query joined with mastermind_next_steps) as people read it:
    steps in words, overdue as of the app's today, and the viewer's part in each Mastermind."""
    overdue = pl.col("overdue_as_of").fill_null(0)
    # each distinct amount written out once, not row by row: a leader lists 4,000 (issue #19)
    rooms = rooms.with_columns(amount=display.as_text(rooms["amount"].cast(pl.Float64), "money"))
    return rooms.join(roles, on="mastermind_id", how="left").with_columns(
        steps=pl.format("{} open", pl.col("open_steps"))
        + pl.when(overdue > 0).then(pl.format(", {} overdue", overdue)).otherwise(pl.lit("")),
        part=pl.col("part").fill_null(""),
        helpers=pl.when(pl.col("helpers") == "").then(pl.lit("–")).otherwise(pl.col("helpers")),
        next_step=pl.col("next_step").fill_null("–"),
        deal=pl.col("deal").fill_null(pl.format("(account) {}", pl.col("account"))),
    )


def room_labels(rooms: pl.DataFrame, roles: pl.DataFrame) -> Mapping[str, str]:
    """Each Mastermind's label in the picker: title · owner · open or its outcome, and the
    viewer's part in it. Made column-wise: a leader picks among thousands (issue #19)."""
    part = dict(zip(roles["mastermind_id"], roles["part"], strict=True))
    mine = pl.col("mastermind_id").replace_strict(part, default=None, return_dtype=pl.String)
    state = pl.col("outcome").fill_null("open")
    state = pl.when(state == "").then(pl.lit("open")).otherwise(state)
    label = pl.concat_str(
        pl.col("title").fill_null(display.DASH),
        pl.lit(" · "),
        pl.col("owner").fill_null(display.DASH),
        pl.lit(" · "),
        state,
        pl.when(mine.is_not_null() & (mine != ""))
        .then(pl.lit(" · you: ") + mine)
        .otherwise(pl.lit("")),
    )
    shown = rooms.select(label)[:, 0].to_list()
    # read-only: the page shares it between sessions (ui.once)
    return MappingProxyType(dict(zip(rooms["mastermind_id"].to_list(), shown, strict=True)))


def room_summary(room: dict) -> str:
    what = (
        f"Deal {room['deal']} ({room['stage'] or room['deal_status']}) · account {room['account']}"
        if room["deal_id"]
        else f"Account {room['account']}"
    )
    opened = f"opened {display.day(room['opened_at'])} by {room['opened_by_name']}"
    closed = (
        f" · closed {display.day(room['closed_at'])} by {room['closed_by_name']}"
        if room["closed_at"]
        else ""
    )
    return f"{what} · owner {room['owner']} · {opened}{closed}"


def present_steps(steps: pl.DataFrame) -> pl.DataFrame:
    return steps.select(
        "title",
        "owner",
        "due_date",
        status=pl.when(pl.col("overdue"))
        .then(pl.col("status") + pl.lit(" · overdue"))
        .otherwise(pl.col("status")),
    )


def step_labels(steps: pl.DataFrame) -> list[str]:
    return [f"{r['title']} · {r['owner']} · {r['status']}" for r in steps.iter_rows(named=True)]
