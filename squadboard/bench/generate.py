"""A deterministic sales organisation of any size, generated inside DuckDB with SQL.

Every value is a function of a row number and a salt through DuckDB's `hash()`, so the same
scale and anchor day always give the same database, whatever the number of threads. Squads have
eight people: a manager (leader), five AEs who own deals, an SE and a CSM who get overlay credit
and log activities. Every tenth squad's first AE moved in from the next squad 45 days ago.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb

from squadboard import db, facts, meeting, periods
from squadboard.ingest import TABLES

SQUAD_SIZE = 8
QUARTERS = 8  # the anchor's quarter and the seven before it carry quotas
HISTORY_DAYS = 730  # deals are created over the two years before the anchor day
WEEKS = 52  # weekly snapshots of the open pipeline
STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")
PROBABILITIES = (0.1, 0.25, 0.5, 0.75)
KUDOS_CATEGORIES = ("helped close", "mentoring", "shared insight", "jumped on a call", "onboarding")
ACTIVITY_KINDS = ("call", "email", "meeting", "demo", "solution_doc")


@dataclass(frozen=True)
class Scale:
    name: str
    squads: int
    deals: int
    activities: int
    kudos: int
    import_deals: int  # rows of the CSV whose import is timed

    @property
    def reps(self) -> int:
        return self.squads * SQUAD_SIZE

    def as_dict(self) -> dict:
        return asdict(self) | {"reps": self.reps, "weekly_snapshots": WEEKS}


SCALES = {
    s.name: s
    for s in [
        Scale("tiny", 6, 3_000, 12_000, 300, 1_000),
        Scale("small", 50, 50_000, 200_000, 2_000, 10_000),
        Scale("medium", 500, 1_000_000, 4_000_000, 40_000, 200_000),
        Scale("large", 2_000, 5_000_000, 20_000_000, 200_000, 1_000_000),
    ]
}

# Closed-form facts about deal d and rep r, shared by every table below. u(i, salt) is a
# uniform number in [0, 1); pick(i, salt, n) an integer in [0, n).
MACROS = """
create or replace temp macro pick(i, salt, n) as (hash(i, salt) % n)::bigint;
create or replace temp macro u(i, salt) as (hash(i, salt) % 1000003) / 1000003.0;
create or replace temp macro rep_key(r) as 'r' || lpad(r::varchar, 6, '0');
create or replace temp macro squad_key(q) as 'S' || lpad(q::varchar, 5, '0');
create or replace temp macro deal_key(d) as 'D' || lpad(d::varchar, 8, '0');
create or replace temp macro deal_squad(d) as pick(d, 1, getvariable('squads'));
create or replace temp macro deal_owner(d) as deal_squad(d) * 8 + 1 + pick(d, 2, 5);
create or replace temp macro deal_created(d) as
    getvariable('anchor')::date - 730 + pick(d, 3, 730)::integer;
create or replace temp macro deal_cycle(d) as 14 + pick(d, 4, 106)::integer;
create or replace temp macro deal_close(d) as deal_created(d) + deal_cycle(d);
create or replace temp macro deal_amount(d) as (1000 + pick(d, 5, 49000) + pick(d, 11, 100) / 100.0)::decimal(18, 2);
create or replace temp macro deal_status(d) as
    case when deal_close(d) > getvariable('anchor')::date then 'open'
         when pick(d, 6, 100) < 45 then 'won' else 'lost' end;
create or replace temp macro open_stage(d) as pick(d, 7, 4)::integer;
"""


def _exec(cur: duckdb.DuckDBPyConnection, sql: str, **params) -> None:
    cur.execute(sql, params or None)


def build(path: str | Path, scale: Scale, anchor: date) -> dict[str, float]:
    """Create the database at `path` (which must not exist); seconds per table back."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; the generator only makes new files")
    con = db.connect(path)
    cur = con.cursor()
    cur.execute(f"set variable anchor = date '{anchor.isoformat()}'")
    cur.execute(f"set variable squads = {int(scale.squads)}")
    cur.execute(MACROS)
    timings: dict[str, float] = {}
    quarters = [periods.quarter_of(anchor)]
    while len(quarters) < QUARTERS:
        quarters.append(quarters[-1].previous())
    steps = _steps(scale, anchor, quarters)
    for table, statements in steps:
        started = time.perf_counter()
        cur.begin()
        for sql in statements:
            cur.execute(sql)
        cur.commit()
        timings[table] = time.perf_counter() - started
    started = time.perf_counter()
    with db.transaction(con) as tx:
        facts.refresh(tx)  # the derived tables every write path keeps in step
    timings["derived tables"] = time.perf_counter() - started
    started = time.perf_counter()
    with db.transaction(con) as tx:
        # the weekly meeting's frozen weeks (issue #14); no audit entry: the file is deterministic
        meeting.freeze(tx, anchor, "bench", audit=False)
    timings["meeting weeks"] = time.perf_counter() - started
    cur.execute("checkpoint")
    con.close()
    return timings


def _steps(scale: Scale, anchor: date, quarters: list[periods.Period]) -> list[tuple[str, list]]:
    r, q, d = scale.reps, scale.squads, scale.deals
    moved_at = f"(date '{anchor.isoformat()}' - 45)"
    since = f"(date '{anchor.isoformat()}' - 1000)"
    # Per squad and quarter: deals closing in a quarter x won share x mean amount.
    squad_quarter = d / q * 91 / HISTORY_DAYS * 0.45 * 25_500
    quarter_rows = ", ".join(
        f"(date '{p.start.isoformat()}', date '{p.end.isoformat()}', {i})"
        for i, p in enumerate(quarters)
    )
    stages = "['" + "', '".join(STAGES) + "']"
    probs = "[" + ", ".join(map(str, PROBABILITIES)) + "]"
    kinds = "['" + "', '".join(ACTIVITY_KINDS) + "']"
    categories = "['" + "', '".join(KUDOS_CATEGORIES) + "']"
    return [
        (
            "squads",
            [
                f"""insert into squads
                select squad_key(i), 'Squad ' || lpad(i::varchar, 5, '0'),
                    ['North', 'South', 'East', 'West', 'Central', 'Online'][1 + i % 6],
                    rep_key(i * 8)
                from range({q}) t(i)"""
            ],
        ),
        (
            "reps",
            [
                f"""insert into reps
                select rep_key(i), 'Rep ' || lpad(i::varchar, 6, '0'),
                    rep_key(i) || '@bench.example',
                    case i % 8 when 0 then 'manager' when 6 then 'SE' when 7 then 'CSM' else 'AE' end,
                    case when i = 0 then 'admin' when i % 8 = 0 then 'leader' else 'rep' end,
                    {since}, true
                from range({r}) t(i)"""
            ],
        ),
        (
            "squad_members",
            [
                f"""insert into squad_members
                select rep_key(i), squad_key(i // 8),
                    case when i % 80 = 1 then {moved_at} else {since} end, null
                from range({r}) t(i)
                union all
                select rep_key(i), squad_key((i // 8 + 1) % {q}), {since}, {moved_at}
                from range({r}) t(i) where i % 80 = 1 and {q} > 1"""
            ],
        ),
        (
            "quotas",
            [
                f"""insert into quotas (kind, owner_id, period_start, period_end, amount, set_by)
                select 'squad_base', squad_key(s.i), p.ps, p.pe,
                    round({squad_quarter} * (0.8 + 0.5 * u(s.i * 16 + p.n, 12)), -3), 'bench'
                from range({q}) s(i) cross join (values {quarter_rows}) p(ps, pe, n)""",
                f"""insert into quotas (kind, owner_id, period_start, period_end, amount, set_by)
                select 'rep_stretch', rep_key(a.i), p.ps, p.pe,
                    round({squad_quarter} / 5 * 1.1 * (0.8 + 0.5 * u(a.i * 16 + p.n, 13)), -3), 'bench'
                from range({r}) a(i) cross join (values {quarter_rows}) p(ps, pe, n)
                where a.i % 8 between 1 and 5""",
                f"""insert into quotas (kind, owner_id, period_start, period_end, amount, set_by)
                select 'rep_goal', rep_key(a.i), p.ps, p.pe,
                    round({squad_quarter} / 5 * (0.9 + 0.4 * u(a.i, 14)), -3), rep_key(a.i)
                from range({r}) a(i) cross join (values {quarter_rows}) p(ps, pe, n)
                where a.i % 8 between 1 and 5 and p.n = 0 and pick(a.i, 15, 3) = 0""",
            ],
        ),
        (
            "deals",
            [
                f"""insert into deals (deal_id, source, source_id, name, account, product,
                    owner_id, stage, status, amount, probability, created_date, close_date)
                select deal_key(i), 'native', deal_key(i), 'Deal ' || i,
                    'Account ' || pick(i, 8, {max(d // 20, 1)}),
                    ['Atlas Core', 'Atlas Pro', 'Beacon', 'Compass', 'Drift'][1 + pick(i, 9, 5)],
                    rep_key(deal_owner(i)),
                    case deal_status(i) when 'won' then 'Closed Won' when 'lost' then 'Closed Lost'
                        else {stages}[1 + open_stage(i)] end,
                    deal_status(i), deal_amount(i),
                    case deal_status(i) when 'won' then 1.0 when 'lost' then 0.0
                        else {probs}[1 + open_stage(i)] end,
                    deal_created(i), deal_close(i)
                from range({d}) t(i)"""
            ],
        ),
        (
            "deal_credits",
            [
                # A fifth of the deals split revenue 60/40 with the next AE of the squad.
                f"""insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent, deal_role)
                select deal_key(i) || '|' || rep_key(x.rep) || '|revenue', deal_key(i),
                    rep_key(x.rep), 'revenue', x.pct, 'AE'
                from range({d}) t(i), lateral (
                    select deal_owner(i) as rep, 60.0 as pct
                    union all
                    select deal_squad(i) * 8 + 1 + (pick(i, 2, 5) + 1) % 5, 40.0
                ) x
                where pick(i, 10, 5) = 0""",
                # The squad's SE claims 10 % overlay on a third of the won deals; two thirds confirmed.
                f"""insert into deal_credits (credit_id, deal_id, rep_id, credit_type, percent,
                    deal_role, claimed_by, claimed_at, ae_confirmed_by, ae_confirmed_at,
                    manager_confirmed_by, manager_confirmed_at)
                select deal_key(i) || '|' || rep_key(deal_squad(i) * 8 + 6) || '|overlay', deal_key(i),
                    rep_key(deal_squad(i) * 8 + 6), 'overlay', 10.0, 'SE',
                    rep_key(deal_squad(i) * 8 + 6), deal_close(i)::timestamp,
                    case when pick(i, 16, 3) > 0 then rep_key(deal_owner(i)) end,
                    case when pick(i, 16, 3) > 0 then deal_close(i) + interval 1 day end,
                    case when pick(i, 16, 3) > 0 then rep_key(deal_squad(i) * 8) end,
                    case when pick(i, 16, 3) > 0 then deal_close(i) + interval 2 day end
                from range({d}) t(i)
                where deal_status(i) = 'won' and pick(i, 17, 3) = 0""",
            ],
        ),
        (
            "activities",
            [
                f"""insert into activities
                with a as (select i, pick(i, 1, {d}) as d from range({scale.activities}) t(i))
                select 'A' || lpad(i::varchar, 9, '0'),
                    case when pick(i, 2, 10) < 7 then rep_key(deal_owner(d))
                         when pick(i, 2, 10) < 9 then rep_key(deal_squad(d) * 8 + 6)
                         else rep_key(deal_squad(d) * 8 + 7) end,
                    deal_key(d), {kinds}[1 + pick(i, 3, 5)],
                    least(deal_created(d) + pick(i, 4, deal_cycle(d) + 1)::integer,
                          getvariable('anchor')::date)
                from a"""
            ],
        ),
        (
            "kudos",
            [
                f"""insert into kudos
                select 'K' || lpad(i::varchar, 8, '0'), rep_key(f), rep_key(f // 8 * 8 + (f % 8 + 1 + pick(i, 2, 7)) % 8),
                    null, {categories}[1 + pick(i, 3, 5)], 'Thanks for the help!',
                    getvariable('anchor')::date - pick(i, 4, 365)::integer + interval 10 hour
                from (select i, pick(i, 1, {r}) as f from range({scale.kudos}) t(i))"""
            ],
        ),
        (
            "pipeline_snapshots",
            [
                # What was open on each of the last 52 weekly snapshot days, at the stage it had.
                f"""insert into pipeline_snapshots
                with w as (select getvariable('anchor')::date - (7 * n)::integer as day from range({WEEKS}) t(n)),
                deal as (select i, deal_created(i) as created, deal_close(i) as closes,
                    deal_cycle(i) as cycle from range({d}) t(i)
                    where deal_close(i) > getvariable('anchor')::date - {7 * WEEKS})
                select w.day, deal_key(deal.i), rep_key(deal_owner(deal.i)),
                    {stages}[1 + least(3, (4 * (w.day - deal.created)) // deal.cycle)],
                    deal_amount(deal.i),
                    {probs}[1 + least(3, (4 * (w.day - deal.created)) // deal.cycle)],
                    deal.closes
                from deal inner join w on deal.created <= w.day and deal.closes > w.day"""
            ],
        ),
        (
            # Two Masterminds per squad (issue #15): an open one on the squad's first open deal
            # and one closed as won on its first deal won in the last 60 days. The squad's SE
            # accepted and wrote notes, the CSM is invited; three steps each (one done by the
            # SE, one overdue, one to do).
            "masterminds",
            [
                f"""create temp table bench_rooms as
                with picked as (
                    select deal_squad(i) as q,
                        min(i) filter (where deal_status(i) = 'open') as open_d,
                        min(i) filter (where deal_status(i) = 'won'
                            and deal_close(i) >= getvariable('anchor')::date - 60) as won_d
                    from range({d}) t(i)
                    group by all
                )
                select 'MMO' || q as id, q, open_d as d, 'open' as status from picked
                where open_d is not null
                union all
                select 'MMW' || q, q, won_d, 'closed' from picked where won_d is not null""",
                """insert into masterminds
                select id, 'Win ' || deal_key(d), deal_key(d), 'Account ' || d,
                    rep_key(deal_owner(d)), rep_key(deal_owner(d)), 'Signed order',
                    deal_close(d), 'Stalled in legal', status,
                    case when status = 'closed' then 'won' end,
                    case when status = 'closed' then 'The SE''s demo' end,
                    getvariable('anchor')::date - 20 + interval 9 hour,
                    case when status = 'closed' then deal_close(d) + interval 17 hour end,
                    case when status = 'closed' then rep_key(deal_owner(d)) end
                from bench_rooms""",
                """insert into mastermind_helpers
                select id, rep_key(q * 8 + 6), 'accepted', rep_key(deal_owner(d)),
                    getvariable('anchor')::date - 20 + interval 9 hour,
                    getvariable('anchor')::date - 19 + interval 9 hour, 'the squad''s SE'
                from bench_rooms
                union all
                select id, rep_key(q * 8 + 7), 'invited', rep_key(deal_owner(d)),
                    getvariable('anchor')::date - 20 + interval 9 hour, null, null
                from bench_rooms""",
                """insert into mastermind_notes
                select id || '-N' || n, id, case when n = 2 then 'decision' else 'note' end,
                    case when n = 2 then rep_key(deal_owner(d)) else rep_key(q * 8 + 6) end,
                    'Idea number ' || n, getvariable('anchor')::date - 19 + n * interval 1 hour
                from bench_rooms, range(3) t(n)""",
                """insert into mastermind_steps
                select id || '-S' || n, id, 'Step ' || n,
                    case when n = 0 then rep_key(q * 8 + 6) else rep_key(deal_owner(d)) end,
                    getvariable('anchor')::date - 10 + (n * 7)::integer,
                    case when n = 0 then 'done' else 'to do' end,
                    rep_key(deal_owner(d)), getvariable('anchor')::date - 19 + interval 9 hour,
                    getvariable('anchor')::date - 12 + interval 9 hour,
                    case when n = 0 then getvariable('anchor')::date - 12 + interval 9 hour end
                from bench_rooms, range(3) t(n)""",
                "drop table bench_rooms",
            ],
        ),
        (
            "meta",
            [
                "merge into meta as t using (select 'data_version' as key, '1' as value) as s "
                "on t.key = s.key when matched then update set value = s.value "
                "when not matched then insert values (s.key, s.value)",
                f"merge into meta as t using (select 'bench_scale' as key, '{scale.name}' as value) "
                "as s on t.key = s.key when matched then update set value = s.value "
                "when not matched then insert values (s.key, s.value)",
            ],
        ),
    ]


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    cur = con.cursor()
    tables = [*TABLES, "pipeline_snapshots"]
    return {t: cur.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def write_import_csv(db_path: str | Path, out: str | Path, scale: Scale, anchor: date) -> int:
    """A native deals CSV as a CRM re-export would give it: the first `import_deals` deals,
    a tenth of the open ones moved one stage on, plus as many rows again as new deals."""
    con = duckdb.connect(str(db_path), read_only=True)
    cur = con.cursor()
    cur.execute(f"set variable anchor = date '{anchor.isoformat()}'")
    cur.execute(f"set variable squads = {int(scale.squads)}")
    cur.execute(MACROS)
    half = scale.import_deals // 2
    stages = "['" + "', '".join(STAGES) + "']"
    probs = "[" + ", ".join(str(int(p * 100)) for p in PROBABILITIES) + "]"
    cur.execute(
        f"""copy (
            select deal_id, name, account, product, owner_id,
                case when status = 'open' and pick(i, 20, 10) = 0
                    then {stages}[least(4, 2 + open_stage(i))] else stage end as stage,
                status, amount,
                case when status = 'open' and pick(i, 20, 10) = 0
                    then {probs}[least(4, 2 + open_stage(i))]
                    else round(probability * 100) end::integer as probability,
                created_date, close_date
            from (select *, substr(deal_id, 2)::bigint as i from deals
                  where deal_id < deal_key({half}))
            union all
            select 'N' || lpad(i::varchar, 8, '0'), 'New deal ' || i, 'Account ' || pick(i, 8, 1000),
                'Beacon', rep_key(deal_owner(i)), {stages}[1 + open_stage(i)], 'open',
                deal_amount(i), {probs}[1 + open_stage(i)],
                getvariable('anchor')::date - pick(i, 3, 30)::integer,
                getvariable('anchor')::date + pick(i, 4, 90)::integer + 1
            from range({scale.import_deals - half}) t(i)
        ) to '{Path(out).as_posix()}' (header, delimiter ',')"""
    )
    con.close()
    return scale.import_deals


LINES_PER_ORDER = 4


def write_order_lines_csv(db_path: str | Path, out: str | Path, scale: Scale, anchor: date) -> int:
    """An ERP order-lines export (issue #17): `import_deals` lines, LINES_PER_ORDER per order,
    each with its line amount and no stage column; owners by rep id. All invoiced by anchor."""
    con = duckdb.connect(str(db_path), read_only=True)
    cur = con.cursor()
    cur.execute(f"set variable anchor = date '{anchor.isoformat()}'")
    cur.execute(f"set variable squads = {int(scale.squads)}")
    cur.execute(MACROS)
    n = LINES_PER_ORDER
    cur.execute(
        f"""copy (
            select 'SO' || lpad((i // {n})::varchar, 8, '0') as SalesOrderNumber,
                i % {n} + 1 as SalesOrderLineNumber,
                getvariable('anchor')::date - {n} - pick(i // {n}, 3, 60)::integer as OrderDate,
                getvariable('anchor')::date - {n} - pick(i // {n}, 3, 60)::integer + (i % {n})::integer
                    as InvoiceDate,
                rep_key(deal_owner(i // {n})) as SalesPerson,
                'Account ' || pick(i // {n}, 8, 1000) as CustomerName,
                'Beacon' as ProductName,
                round(deal_amount(i) / {n}, 2) as LineTotal
            from range({scale.import_deals}) t(i)
        ) to '{Path(out).as_posix()}' (header, delimiter ',')"""
    )
    con.close()
    return scale.import_deals


EXPORTED = ("squads", "reps", "squad_members", "quotas", "deals", "deal_credits")


def export_csvs(db_path: str | Path, csv_dir: str | Path, tables=EXPORTED) -> dict[str, int]:
    """The tables as CSV files, the way a CRM or a spreadsheet hands them to a dashboard."""
    csv_dir = Path(csv_dir)
    csv_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path), read_only=True)
    sizes = {}
    for table in tables:
        target = csv_dir / f"{table}.csv"
        con.execute(f"copy {table} to '{target.as_posix()}' (header, delimiter ',')")
        sizes[table] = target.stat().st_size
    con.close()
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Subprocess entry: build, export the CSVs and the import file; JSON on stdout."""
    import argparse
    import json
    import resource

    p = argparse.ArgumentParser(prog="python -m squadboard.bench.generate")
    p.add_argument("db_path", type=Path)
    p.add_argument("work_dir", type=Path)
    p.add_argument("--scale", choices=list(SCALES), default="small")
    p.add_argument("--anchor", type=date.fromisoformat, required=True)
    p.add_argument("--snapshots-csv", action="store_true", help="also export pipeline_snapshots")
    args = p.parse_args(argv)
    scale = SCALES[args.scale]
    started = time.perf_counter()
    timings = build(args.db_path, scale, args.anchor)
    build_s = time.perf_counter() - started
    con = duckdb.connect(str(args.db_path), read_only=True)
    found = counts(con)
    con.close()
    started = time.perf_counter()
    tables = EXPORTED + (("pipeline_snapshots",) if args.snapshots_csv else ())
    sizes = export_csvs(args.db_path, args.work_dir / "csv", tables)
    write_import_csv(args.db_path, args.work_dir / "import_deals.csv", scale, args.anchor)
    write_order_lines_csv(args.db_path, args.work_dir / "order_lines.csv", scale, args.anchor)
    report = {
        "build_s": round(build_s, 2),
        "build_steps_s": {k: round(v, 2) for k, v in timings.items()},
        "export_s": round(time.perf_counter() - started, 2),
        "rows": found,
        "csv_bytes": sizes,
        "peak_memory_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
