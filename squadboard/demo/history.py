"""The demo's pipeline history for the weekly meeting: in the last weeks some deals were pushed
out of the quarter (one of them twice), pulled in, grew, shrank, changed hands between squads,
or vanished from the CRM, so that every bridge category has deals behind it.

It rewrites the weekly snapshots before the change (the deals keep their final values) with a
random generator of its own, so the rest of the demo stays exactly as it was.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import polars as pl

from squadboard import periods

WEEKS = 9  # the frozen weeks with movement in them


def _before(snaps: pl.DataFrame, deal_id: str, until: date, **values) -> pl.DataFrame:
    """Give a deal's snapshots before `until` other values (what it was before a change)."""
    hit = (pl.col("deal_id") == deal_id) & (pl.col("snapshot_date") < until)
    return snaps.with_columns(
        [pl.when(hit).then(pl.lit(v)).otherwise(pl.col(k)).alias(k) for k, v in values.items()]
    )


def with_history(
    snaps: pl.DataFrame, deals: list[dict], owners: list[tuple[str, str]], seed: int, today: date
) -> pl.DataFrame:
    """The snapshots with the last weeks' movements; owners are (AE, squad) pairs."""
    rng = random.Random(seed * 1000 + 14)
    this_monday = today - timedelta(days=today.weekday())
    open_deals = sorted(
        (d for d in deals if d["status"] == "open" and d["amount"]), key=lambda d: d["deal_id"]
    )
    used: set[str] = set()
    removed_rows = []

    def pick(test) -> dict | None:
        found = [d for d in open_deals if d["deal_id"] not in used and test(d)]
        if not found:
            return None
        d = rng.choice(found)
        used.add(d["deal_id"])
        return d

    for k in range(1, WEEKS + 1):
        snaps = _week(
            rng, snaps, this_monday - timedelta(days=7 * k), k, pick, owners, removed_rows
        )
    removed = pl.DataFrame(removed_rows, schema=snaps.schema, orient="row")
    return pl.concat([snaps, removed]).sort("snapshot_date", "deal_id")


def _week(rng, snaps, monday, k, pick, owners, removed_rows) -> pl.DataFrame:
    """The movements of the week starting `monday` (k weeks ago)."""
    q = periods.quarter_of(monday + timedelta(days=3))
    seen = monday - timedelta(days=7)  # open at the week before's end already

    def in_q(day: date) -> bool:
        return q.start <= day < q.end

    def there(d: dict) -> bool:
        return d["created_date"] <= seen

    days_left = max((q.end - max(monday, q.start)).days, 1)

    def day_in_q(offset: int) -> date:
        return max(monday, q.start) + timedelta(days=offset % days_left)

    # pushed out of the quarter: its close date was inside it; one deal twice
    for n in range(2):
        d = pick(lambda d: there(d) and d["close_date"] >= q.end)
        if d is None:
            continue
        second = day_in_q(rng.randrange(14, 60))
        snaps = _before(snaps, d["deal_id"], monday, close_date=second)
        if n == 0 and d["created_date"] <= seen - timedelta(days=14):
            first = second - timedelta(days=rng.randint(7, 20))
            snaps = _before(snaps, d["deal_id"], monday - timedelta(days=14), close_date=first)
    # pulled in: its close date was in the next quarter
    d = pick(lambda d: there(d) and in_q(d["close_date"]))
    if d is not None:
        later = q.end + timedelta(days=rng.randint(10, 40))
        snaps = _before(snaps, d["deal_id"], monday, close_date=later)
    # grew and shrank
    for factor in (0.8, 1.25):
        d = pick(lambda d: there(d) and in_q(d["close_date"]))
        if d is not None:
            was = round(float(d["amount"]) * factor / 100) * 100
            snaps = _before(snaps, d["deal_id"], monday, amount=float(was))
    # changed hands: it was another squad's
    d = pick(lambda d: there(d) and in_q(d["close_date"]))
    if d is not None:
        squad = dict(owners).get(d["owner_id"])
        others = [rep for rep, s in owners if s != squad]
        if others:
            snaps = _before(snaps, d["deal_id"], monday, owner_id=rng.choice(others))
    # gone from the CRM (a duplicate merged away): open for a few weeks, then not exported
    rep, _ = rng.choice(owners)
    amount = float(rng.randrange(40, 400) * 100)
    close = day_in_q(rng.randrange(7, 50))
    for week in range(1, 4):
        removed_rows.append(
            (
                monday - timedelta(days=7 * week),
                f"demo:X{k:04d}",
                rep,
                "Qualification",
                amount,
                0.2,
                close,
            )
        )
    return snaps


def action_items(last_week: date) -> list[tuple]:
    """Meeting items of the last two frozen weeks (`last_week` is the latest Monday): one
    action still open from the week before, so the latest meeting opens with it."""
    from squadboard.meeting_actions import item_id  # the same ids as items recorded on the page

    before = last_week - timedelta(days=7)
    rows = [
        (before, "orcas", "action", "Re-qualify the overdue Compass Suite deals", "tom.becker",
         before + timedelta(days=11), "rafael.costa", None),
        (before, "orcas", "decision", "Deal reviews move to Tuesday mornings", None, None,
         "rafael.costa", None),
        (before, None, "action", "Share the pricing playbook with every squad", "ana.souza",
         before + timedelta(days=7), "elena.duarte", before + timedelta(days=10)),
        (before, None, "action", "Book a discovery-call workshop for new hires", "priya.raman",
         before + timedelta(days=14), "elena.duarte", None),
        (last_week, None, "decision", "Overdue deals get a new close date or are closed lost",
         None, None, "elena.duarte", None),
    ]  # fmt: skip
    out = []
    for week, squad, kind, text, owner, due, by, done in rows:
        created = datetime.combine(week + timedelta(days=7), datetime.min.time()).replace(hour=9)
        done_at = datetime.combine(done, datetime.min.time()).replace(hour=12) if done else None
        out.append(
            (
                item_id(week, squad, kind, text, owner, due),
                week,
                squad,
                kind,
                text,
                owner,
                due,
                by,
                created,
                done_at,
                by if done else None,
            )  # fmt: skip
        )
    return out
