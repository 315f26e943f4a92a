"""The baselines: the same views computed the way a typical dashboard does — pandas over frames
loaded from the CSV files a CRM export gives — and the way a user who knows Polars or DuckDB
would (baseline_polars.py, baseline_duckdb.py), to check Squadboard's answers and to time them.

Run as a separate process (`python -m squadboard.bench.baseline CSV_DIR OUT_DIR ...`) so that
its memory is not counted against Squadboard's. It writes each view's answer as Parquet and
the timings as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from datetime import date
from pathlib import Path

import pandas as pd

FAR = pd.Timestamp("9999-12-31")
DATES = {
    "deals": ["created_date", "close_date"],
    "squad_members": ["valid_from", "valid_to"],
    "quotas": ["period_start", "period_end"],
    "pipeline_snapshots": ["snapshot_date", "close_date"],
}
# What each view reads.
NEEDS = {
    "squad_attainment": ["squads", "squad_members", "quotas", "deals", "deal_credits"],
    "rep_attainment": ["reps", "squad_members", "quotas", "deals", "deal_credits"],
    "leaderboard": ["reps", "deals", "deal_credits"],
    "pipeline_movement": ["pipeline_snapshots"],
}


def load(csv_dir: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(csv_dir / f"{table}.csv", parse_dates=DATES.get(table, []))


def _quota(quotas: pd.DataFrame, kind: str, ps, pe) -> pd.DataFrame:
    q = quotas[
        (quotas["kind"] == kind) & (quotas["period_start"] < pe) & (quotas["period_end"] > ps)
    ]
    overlap = (
        q["period_end"].where(q["period_end"] < pe, pe)
        - q["period_start"].where(q["period_start"] > ps, ps)
    ).dt.days
    whole = (q["period_end"] - q["period_start"]).dt.days
    share = q.assign(quota=q["amount"] * overlap / whole)
    return share.groupby("owner_id", as_index=False)["quota"].sum().round({"quota": 2})


def _credits(f: dict, status: str, ps, pe, as_of=None) -> pd.DataFrame:
    """Revenue credits (explicit splits, else 100 % to the owner) of deals closing in [ps, pe)."""
    d = f["deals"]
    d = d[(d["status"] == status) & d["amount"].notna() & (d["close_date"] >= ps)]
    d = d[d["close_date"] < pe]
    if as_of is not None:
        d = d[d["close_date"] <= as_of]
    cr = f["deal_credits"]
    splits = cr.loc[cr["credit_type"] == "revenue", ["deal_id", "rep_id", "percent"]]
    has_split = d["deal_id"].isin(splits["deal_id"])
    owner = d.loc[~has_split & d["owner_id"].notna(), ["deal_id", "owner_id"]]
    owner = owner.rename(columns={"owner_id": "rep_id"}).assign(percent=100.0)
    credits = pd.concat([splits, owner]).merge(
        d[["deal_id", "amount", "probability", "close_date"]], on="deal_id"
    )
    exact = credits["amount"] * credits["percent"] / 100
    credits["weighted"] = exact * credits["probability"].fillna(0)
    credits["credit"] = _to_cents(credits.assign(exact=exact))
    return credits


def _to_cents(credits: pd.DataFrame) -> pd.Series:
    """Each credit in whole cents, a deal's leftover cents to its largest remainders (ties:
    the lower rep_id), as Squadboard's credited_revenue has them."""
    cents = (credits["exact"] * 100).round(6)  # 0.6 x 12345 cents is 7406.999999999999
    floor = cents // 1
    c = credits.assign(cents=cents, floor=floor, remainder=cents - floor)
    deal = c.groupby("deal_id")
    spare = deal["cents"].transform("sum").round() - deal["floor"].transform("sum")
    order = c.sort_values(["deal_id", "remainder", "rep_id"], ascending=[True, False, True])
    rank = order.groupby("deal_id").cumcount().reindex(c.index) + 1
    return (floor + (rank <= spare)) / 100


def _with_squad(credits: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    m = credits.merge(members, on="rep_id", how="left")
    valid_to = m["valid_to"].fillna(FAR)
    return m[(m["close_date"] >= m["valid_from"]) & (m["close_date"] < valid_to)]


def squad_attainment(f: dict, ps, pe, as_of) -> pd.DataFrame:
    won = _with_squad(_credits(f, "won", ps, pe, as_of), f["squad_members"])
    credited = won.groupby("squad_id", as_index=False)["credit"].sum()
    open_ = _with_squad(_credits(f, "open", ps, pe), f["squad_members"])
    pipeline = open_.groupby("squad_id", as_index=False)["weighted"].sum()
    quota = _quota(f["quotas"], "squad_base", ps, pe).rename(columns={"owner_id": "squad_id"})
    out = (
        f["squads"][["squad_id"]]
        .merge(quota, on="squad_id", how="left")
        .merge(credited, on="squad_id", how="left")
        .merge(pipeline, on="squad_id", how="left")
        .fillna({"credit": 0.0, "weighted": 0.0})
    )
    out["credited"] = out["credit"].round(2)
    out["attainment"] = out["credited"] / out["quota"].where(out["quota"] != 0)
    out["forecast"] = (out["credit"] + out["weighted"]).round(2)
    return out[["squad_id", "quota", "credited", "attainment", "forecast"]]


def rep_attainment(f: dict, ps, pe, as_of) -> pd.DataFrame:
    won = _credits(f, "won", ps, pe, as_of)
    credited = won.groupby("rep_id", as_index=False)["credit"].sum()
    target = _quota(f["quotas"], "rep_stretch", ps, pe).rename(
        columns={"owner_id": "rep_id", "quota": "stretch_target"}
    )
    out = (
        f["reps"][["rep_id"]]
        .merge(target, on="rep_id", how="left")
        .merge(credited, on="rep_id", how="left")
        .fillna({"credit": 0.0})
    )
    out["credited"] = out["credit"].round(2)
    out["attainment"] = out["credited"] / out["stretch_target"].where(out["stretch_target"] != 0)
    return out[["rep_id", "stretch_target", "credited", "attainment"]]


def leaderboard(f: dict, ps, pe, as_of) -> pd.DataFrame:
    won = _credits(f, "won", ps, pe)
    board = won.groupby("rep_id", as_index=False)["credit"].sum()
    board["value"] = board["credit"].round(2)
    board["rank"] = board["value"].rank(method="min", ascending=False).astype(int)
    # Ranks are not compared: a board may also list the reps with nothing, at the bottom.
    return board.sort_values(["rank", "rep_id"])[["rep_id", "value"]]


def pipeline_movement(f: dict, ps, pe, as_of) -> pd.DataFrame:
    """Open pipeline by owner in the latest snapshot against the one a week before."""
    s = f["pipeline_snapshots"]
    days = sorted(s.loc[s["snapshot_date"] <= as_of, "snapshot_date"].unique())[-2:]
    before, now = (s[s["snapshot_date"] == day] for day in days)
    both = now.merge(before, on="deal_id", how="outer", suffixes=("", "_before"), indicator=True)
    both["owner_id"] = both["owner_id"].fillna(both["owner_id_before"])
    both["added"] = both["amount"].where(both["_merge"] == "left_only", 0.0)
    both["removed"] = both["amount_before"].where(both["_merge"] == "right_only", 0.0)
    out = both.groupby("owner_id", as_index=False).agg(
        pipeline=("amount", "sum"),
        pipeline_before=("amount_before", "sum"),
        added=("added", "sum"),
        removed=("removed", "sum"),
    )
    return out.round(2)


VIEWS = {
    "squad_attainment": squad_attainment,
    "rep_attainment": rep_attainment,
    "leaderboard": leaderboard,
    "pipeline_movement": pipeline_movement,
}


def _engine(name: str):
    """(load a table, the views, write an answer as Parquet, a date parameter) of an engine:
    pandas here; Polars (lazy over frames in memory) and DuckDB (SQL over the raw tables in
    memory) in their own modules (issue #19)."""
    if name == "pandas":
        return load, VIEWS, lambda a, path: a.to_parquet(path, index=False), pd.Timestamp
    if name == "polars":
        from squadboard.bench import baseline_polars as m
    elif name == "duckdb":
        from squadboard.bench import baseline_duckdb as m
    else:
        raise ValueError(f"unknown engine {name!r}")
    return m.load, m.VIEWS, lambda a, path: a.write_parquet(path), date.fromisoformat


def measure(
    csv_dir: Path,
    out_dir: Path,
    views: list[str],
    params: dict,
    repeat: int,
    engine: str = "pandas",
) -> dict:
    """Time loading the CSVs each view reads and computing it (median of `repeat`)."""
    load_table, compute, write, day = _engine(engine)
    ps, pe, as_of = (day(params[k]) for k in ("period_start", "period_end", "as_of"))
    frames: dict[str, object] = {}
    result: dict[str, dict] = {}
    for view in views:
        started = time.perf_counter()
        for table in NEEDS[view]:
            if table not in frames:
                frames[table] = load_table(csv_dir, table)
        load_s = time.perf_counter() - started
        load_all = 0.0
        for table in NEEDS[view]:  # what this view alone costs to load from scratch
            t = time.perf_counter()
            load_table(csv_dir, table)
            load_all += time.perf_counter() - t
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            answer = compute[view](frames, ps, pe, as_of)
            runs.append(time.perf_counter() - t)
        write(answer, out_dir / f"{view}.parquet")
        result[view] = {
            "load_s": round(load_all, 4),
            "first_load_s": round(load_s, 4),
            "compute_s": round(statistics.median(runs), 4),
            "rows": len(answer),
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"engine": engine, "views": result, "peak_memory_bytes": peak}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m squadboard.bench.baseline")
    p.add_argument("csv_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--views", required=True, help="comma separated")
    p.add_argument("--params", required=True, help="JSON: period_start, period_end, as_of")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--engine", choices=["pandas", "polars", "duckdb"], default="pandas")
    args = p.parse_args(argv)
    found = measure(
        args.csv_dir,
        args.out_dir,
        args.views.split(","),
        json.loads(args.params),
        args.repeat,
        args.engine,
    )
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
