"""A deterministic demo organisation: the same seed and day always give the same database.

Four squads tell a story a viewer recognises: the Falcons well ahead, the Orcas behind, a
star (Priya Raman), a struggling rep (Tom Becker), a rep who moved squads mid-quarter (Jonas
Weber, Orcas -> Lynx), a rep who helps everyone but closes little (Ana Souza), a most-improved
rep (Leo Martins) and a new hire with no deals yet (Sam Okafor). Data covers the current
fiscal quarter up to `today`, the four quarters before it, and open deals into the next one.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import duckdb
import polars as pl

from squadboard import db, facts, meeting, periods
from squadboard.demo import history
from squadboard.demo.cast import (
    ACCOUNT_A,
    ACCOUNT_B,
    OPEN_STAGES,
    PRODUCTS,
    SQUAD_QUOTA_SHARE,
    SQUADS,
    STRETCH_TARGET,
    Person,
    cast_people,
    deal_amount,
    email_of,
    stable_id,
)
from squadboard.demo.masterminds import mastermind_rows
from squadboard.demo.mentoring import mentoring_rows
from squadboard.demo.parts import confirmations, credit_row, kudos_rows, snapshot_rows


def generate(seed: int = 7, today: date | None = None) -> dict[str, pl.DataFrame]:
    """Build every table's rows as Polars frames; nothing is written here."""
    today = today or date.today()
    rng = random.Random(seed)
    people = cast_people(rng, today)
    by_id = {p.rep_id: p for p in people}
    aes = [p for p in people if p.role == "AE"]
    overlay_people = [p for p in people if p.role in ("SE", "specialist", "CSM")]

    current = periods.quarter_of(today)
    quarters = [current]
    for _ in range(4):
        quarters.insert(0, quarters[0].previous())
    next_q = current.next()
    start_all = quarters[0].start

    # Jonas moves from the Orcas to the Lynx 40 days into the current quarter (or today).
    move_day = min(current.start + timedelta(days=40), today)
    members = []
    for p in people:
        if p.squad is None or p.role == "manager":
            continue
        since = max(p.hire_date, start_all - timedelta(days=365))
        if p.rep_id == "jonas.weber":
            members.append((p.rep_id, "orcas", since, move_day))
            members.append((p.rep_id, "lynx", move_day, None))
        else:
            members.append((p.rep_id, p.squad, since, None))

    def squad_on(rep_id: str, day: date) -> str | None:
        for rid, squad, frm, to in members:
            if rid == rep_id and frm <= day and (to is None or day < to):
                return squad
        return None

    accounts = [a + b for a in ACCOUNT_A for b in ACCOUNT_B]
    rng.shuffle(accounts)
    squad_factor = {sid: f for sid, _, _, f in SQUADS}

    deals, credits, activities = [], [], []
    quotas = []
    deal_no = 0

    def new_deal(owner: Person, status: str, close: date, stage: str, prob: float) -> dict:
        nonlocal deal_no
        deal_no += 1
        product = owner.skill if rng.random() < 0.45 else rng.choice(PRODUCTS)
        amount = deal_amount(rng, product)
        cycle = rng.randint(21, 100)
        created = min(close - timedelta(days=cycle), today - timedelta(days=rng.randint(1, 20)))
        acct = rng.choice(accounts)
        row = {
            "deal_id": f"demo:D{deal_no:05d}",
            "source": "demo",
            "source_id": f"D{deal_no:05d}",
            "name": f"{acct} - {product}",
            "account": acct,
            "product": product,
            "owner_id": owner.rep_id,
            "stage": stage,
            "status": status,
            "amount": amount,
            "probability": prob,
            "created_date": created,
            "close_date": close,
        }
        deals.append(row)
        return row

    for qi, q in enumerate(quarters):
        is_current = q is current
        horizon = min(q.end - timedelta(days=1), today)
        span = (horizon - q.start).days + 1
        if span <= 0:
            continue
        elapsed = periods.elapsed_fraction(q, today)
        for sid, _, _, _ in SQUADS:
            stretch_sum = 0
            for ae in aes:
                if ae.hire_date > q.start or squad_on(ae.rep_id, q.start) != sid:
                    continue
                stretch_sum += STRETCH_TARGET
                quotas.append(("rep_stretch", ae.rep_id, q.start, q.end, STRETCH_TARGET))
            quotas.append(
                ("squad_base", sid, q.start, q.end, round(stretch_sum * SQUAD_QUOTA_SHARE))
            )
        for ae in aes:
            if ae.hire_date > q.start or ae.perf == 0:
                continue
            perf = ae.perf
            if ae.rep_id == "leo.martins":  # most improved: slow start, strong now
                perf = [0.45, 0.5, 0.55, 0.5, 1.3][qi]
            factor = squad_factor[squad_on(ae.rep_id, q.start) or ae.squad]
            goal = STRETCH_TARGET * perf * factor * rng.uniform(0.85, 1.15)
            if is_current:
                goal *= elapsed
            won_sum = 0.0
            while won_sum < goal - 10_000:  # stop near the goal rather than far past it
                close = q.start + timedelta(days=rng.randrange(span))
                d = new_deal(ae, "won", close, "Closed Won", 1.0)
                won_sum += d["amount"]
            for _ in range(rng.randint(2, 6) + (3 if perf < 0.5 else 0)):
                close = q.start + timedelta(days=rng.randrange(span))
                new_deal(ae, "lost", close, "Closed Lost", 0.0)

    # Open pipeline: the rest of this quarter and the next one.
    for ae in aes:
        if ae.perf == 0:  # the new hire has nothing in the pipeline yet
            continue
        for _ in range(rng.randint(4, 9)):
            window_start = today + timedelta(days=1)
            close = window_start + timedelta(days=rng.randrange((next_q.end - window_start).days))
            stage, prob = rng.choice(OPEN_STAGES)
            new_deal(ae, "open", close, stage, prob)
        # A few overdue deals still open: the kind a Monday meeting talks about.
        if rng.random() < 0.3:
            stage, prob = rng.choice(OPEN_STAGES[2:])
            new_deal(ae, "open", today - timedelta(days=rng.randint(3, 20)), stage, prob)

    # Revenue splits, overlays and activities per deal.
    for d in deals:
        owner = by_id[d["owner_id"]]
        close: date = d["close_date"]
        home = squad_on(owner.rep_id, close) or owner.squad
        if d["status"] != "lost" and rng.random() < 0.12:
            peers = [
                a
                for a in aes
                if a is not owner
                and a.perf > 0
                and (squad_on(a.rep_id, close) == home or rng.random() < 0.3)
            ]
            co = rng.choice(peers)
            mine = rng.choice([60, 50, 70])
            for rep, pct in ((owner, mine), (co, 100 - mine)):
                credits.append(credit_row(d, rep.rep_id, "revenue", pct, "AE", None))
        if d["status"] == "won" and d["amount"] >= 15_000 and rng.random() < 0.5:
            helper = rng.choice(overlay_people)
            pct = {"SE": 10, "specialist": 5, "CSM": 5}[helper.role]
            credits.append(
                credit_row(
                    d,
                    helper.rep_id,
                    "overlay",
                    pct,
                    helper.role,
                    confirmations(rng, d, owner, helper, by_id, today, current),
                )
            )
        if (
            d["status"] == "won"
            and owner.rep_id != "ana.souza"
            and home == "ravens"
            and rng.random() < 0.35
        ):
            ana = by_id["ana.souza"]
            credits.append(
                credit_row(
                    d,
                    ana.rep_id,
                    "overlay",
                    5,
                    "helper",
                    confirmations(rng, d, owner, ana, by_id, today, current),
                )
            )
        end = min(close, today)
        days = max((end - d["created_date"]).days, 1)
        for _ in range(rng.randint(3, 10)):
            kind = rng.choices(["call", "email", "meeting", "demo"], [4, 5, 2, 1])[0]
            day = d["created_date"] + timedelta(days=rng.randrange(days))
            activities.append((owner.rep_id, d["deal_id"], kind, day))
        if owner.squad == "ravens" and owner.rep_id != "ana.souza" and rng.random() < 0.4:
            for _ in range(rng.randint(2, 5)):  # Ana helps her squad on their deals
                kind = rng.choice(["call", "meeting", "demo", "solution_doc"])
                activities.append(
                    (
                        "ana.souza",
                        d["deal_id"],
                        kind,
                        d["created_date"] + timedelta(days=rng.randrange(days)),
                    )
                )

    deal_by_id = {d["deal_id"]: d for d in deals}
    for c in credits:
        if c["credit_type"] == "overlay":
            d = deal_by_id[c["deal_id"]]
            days = max((min(d["close_date"], today) - d["created_date"]).days, 1)
            for kind in rng.choices(
                ["demo", "solution_doc", "meeting", "call"], k=rng.randint(1, 4)
            ):
                activities.append(
                    (
                        c["rep_id"],
                        d["deal_id"],
                        kind,
                        d["created_date"] + timedelta(days=rng.randrange(days)),
                    )
                )

    kudos = kudos_rows(rng, people, by_id, deals, start_all, today)

    # Self-set goals: most AEs set one for this quarter, some already for the next.
    for ae in aes:
        if ae.hire_date > current.start:
            continue
        if rng.random() < 0.8:
            goal = round(STRETCH_TARGET * rng.uniform(0.8, 1.3) / 5000) * 5000
            quotas.append(("rep_goal", ae.rep_id, current.start, current.end, goal))
        if rng.random() < 0.4:
            goal = round(STRETCH_TARGET * rng.uniform(0.9, 1.4) / 5000) * 5000
            quotas.append(("rep_goal", ae.rep_id, next_q.start, next_q.end, goal))
    quotas.append(("rep_stretch", "sam.okafor", current.start, current.end, 60_000))

    snapshots = snapshot_rows(deals, start_all, today)
    # The weekly meeting's last weeks: pushes, pull-ins, changes of amount and owner, deletions.
    owners = [(a.rep_id, squad_on(a.rep_id, today)) for a in aes if squad_on(a.rep_id, today)]
    snapshots = history.with_history(snapshots, deals, owners, seed, today)
    # Masterminds, active and closed, and the thanks given when they closed (issue #15).
    masterminds, thanks = mastermind_rows(deals, today, current.start)
    kudos = kudos + thanks

    return {
        "squads": pl.DataFrame(
            [
                {
                    "squad_id": sid,
                    "name": name,
                    "region": region,
                    "manager_id": next(
                        p.rep_id for p in people if p.squad == sid and p.role == "manager"
                    ),
                }
                for sid, name, region, _ in SQUADS
            ]
        ),
        "reps": pl.DataFrame(
            [
                {
                    "rep_id": p.rep_id,
                    "name": p.name,
                    "email": email_of(p.name),
                    "role": p.role,
                    "access": p.access,
                    "hire_date": p.hire_date,
                    "active": True,
                }
                for p in people
            ]
        ),
        "squad_members": pl.DataFrame(
            members, schema=["rep_id", "squad_id", "valid_from", "valid_to"], orient="row"
        ),
        "quotas": pl.DataFrame(
            quotas,
            schema=["kind", "owner_id", "period_start", "period_end", "amount"],
            orient="row",
        ).unique(
            subset=["kind", "owner_id", "period_start", "period_end"],
            keep="last",
            maintain_order=True,
        ),
        "deals": pl.DataFrame(deals, infer_schema_length=None),
        "deal_credits": pl.DataFrame(credits, infer_schema_length=None),
        "activities": pl.DataFrame(
            [(stable_id("a", i, *a), *a) for i, a in enumerate(activities)],
            schema=["activity_id", "rep_id", "deal_id", "kind", "activity_date"],
            orient="row",
        ),
        "kudos": pl.DataFrame(kudos, infer_schema_length=None),
        "pipeline_snapshots": snapshots,
        **mentoring_rows(today),
        **masterminds,
    }


def load(
    con: duckdb.DuckDBPyConnection, seed: int = 7, today: date | None = None
) -> dict[str, int]:
    """Replace everything in the database with the demo organisation; rows per table back."""
    frames = generate(seed, today)
    counts = {}
    with db.transaction(con) as cur:
        for table in ["import_log", "import_undo", "audit_log", "plan_settings", *frames]:
            cur.execute(f"delete from {table}")
        for table, frame in frames.items():
            cur.register("frame", frame)
            cur.execute(f"insert into {table} by name select * from frame")
            cur.unregister("frame")
            counts[table] = frame.height
        db.set_meta(cur, "demo", json.dumps({"seed": seed, "today": str(today or date.today())}))
        facts.refresh(cur)
        for table in ("meeting_weeks", "meeting_week_deals", "meeting_week_squads"):
            cur.execute(f"delete from {table}")
        cur.execute("delete from meeting_actions")
        frozen = meeting.freeze(cur, today or date.today(), "demo")
        if frozen:  # a meeting that opens with last week's open action
            cur.executemany(
                "insert into meeting_actions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                history.action_items(frozen[-1]),
            )
        db.audit(cur, "demo", "load_demo", "database", None, json.dumps(counts))
    return counts


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    cur = con.cursor()
    return cur.execute("select count(*) from meta where key = 'demo'").fetchone()[0] > 0
