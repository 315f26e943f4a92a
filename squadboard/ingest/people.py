"""Who a file means: owners written as a rep id, an email, a name or a CRM user id.

A directory of keys -> rep id is built from the roster (and the reps in the same import);
a CRM users file adds its user ids, matched to the roster by email, then name. A reference
that matches nobody, or several people, is an error naming the file, line and value.
Everything is a join, so a million deals resolve in well under a second.
"""

from __future__ import annotations

import duckdb
import polars as pl

from squadboard.ingest import Batch, Problem
from squadboard.ingest.reader import LINE


def key(expr: pl.Expr) -> pl.Expr:
    """How names and emails are compared: case and spacing do not matter."""
    return expr.str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")


def _roster(cur: duckdb.DuckDBPyConnection, batch: Batch) -> pl.DataFrame:
    stored = cur.sql("select rep_id, name, email from reps").pl()
    new = batch.frames.get("reps")
    if new is not None:
        stored = pl.concat(
            [stored, new.select("rep_id", "name", pl.col("email").cast(pl.String))],
            how="vertical_relaxed",
        ).unique("rep_id", keep="last", maintain_order=True)
    return stored


def _directory(roster: pl.DataFrame, id_col: str = "rep_id") -> pl.DataFrame:
    """key -> rep id; a key shared by two people maps to null with both names for the message."""
    keys = pl.concat(
        [
            roster.select(key(pl.col(id_col)).alias("key"), pl.col(id_col).alias("id"), pl.lit(0)),
            roster.select(key(pl.col("email")).alias("key"), pl.col(id_col).alias("id"), pl.lit(1)),
            roster.select(key(pl.col("name")).alias("key"), pl.col(id_col).alias("id"), pl.lit(2)),
        ]
    ).drop_nulls(["key", "id"])
    # An id or email beats a name; only equally strong matches can be ambiguous.
    best = keys.group_by("key").agg(pl.col("literal").min().alias("rank"))
    keys = (
        keys.join(best, on="key").filter(pl.col("literal") == pl.col("rank")).unique(["key", "id"])
    )
    return keys.group_by("key").agg(
        pl.when(pl.col("id").n_unique() == 1).then(pl.col("id").first()).alias("id"),
        pl.col("id").sort().str.join(", ").alias("candidates"),
    )


def _users(batch: Batch, directory: pl.DataFrame) -> pl.DataFrame:
    """CRM user id -> rep id, through the users files in the batch (email first, then name)."""
    users = batch.lookups.get("users")
    if users is None or users.is_empty():
        return pl.DataFrame(schema={"ref": pl.String, "id": pl.String, "who": pl.String})
    lookup = directory.select("key", "id")
    return (
        users.with_columns(key(pl.col("email")).alias("ek"), key(pl.col("name")).alias("nk"))
        .join(lookup.rename({"id": "by_email"}), left_on="ek", right_on="key", how="left")
        .join(lookup.rename({"id": "by_name"}), left_on="nk", right_on="key", how="left")
        .select(
            "ref",
            pl.coalesce("by_email", "by_name").alias("id"),
            pl.concat_str(["name", "email"], separator=", ", ignore_nulls=True).alias("who"),
        )
        .unique("ref", keep="first")
    )


def lookup(
    frame: pl.DataFrame, ref: str, directory: pl.DataFrame, users: pl.DataFrame, noun: str
) -> tuple[pl.Series, list[Problem]]:
    """The id for every row's reference, and a problem for each reference nobody answers to."""
    work = frame.select(pl.col(ref).alias("ref"), LINE, "__file").with_row_index("__row")
    work = (
        work.join(users.rename({"id": "by_user"}), on="ref", how="left")
        .with_columns(key(pl.col("ref")).alias("key"))
        .join(directory, on="key", how="left")
        .sort("__row")
    )
    ids = pl.coalesce(work["by_user"], work["id"]).alias("id")
    bad = work.with_columns(ids).filter(pl.col("ref").is_not_null() & pl.col("id").is_null())
    problems = []
    grouped = bad.group_by("ref", maintain_order=True).agg(
        pl.col(LINE).first(), pl.col("__file").first(), pl.len(), pl.col("candidates").first(),
        pl.col("who").first(),
    )  # fmt: skip
    for row in grouped.head(30).iter_rows(named=True):
        if row["candidates"]:
            why = f"{row['ref']!r} matches several people ({row['candidates']}); use an id or email"
        else:
            who = f" ({row['who']})" if row["who"] else ""
            why = f"unknown {noun} {row['ref']!r}{who}: add them to the roster first"
        if row["len"] > 1:
            why += f" [{row['len']} rows]"
        problems.append(Problem(row["__file"], row[LINE], ref, why))
    if grouped.height > 30:
        problems.append(
            Problem(
                bad["__file"][0], None, ref, f"showing 30 of {grouped.height:,} unknown {noun}s"
            )
        )
    return ids, problems


def resolve(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Replace owner and rep references by rep ids (errors added to the batch)."""
    cur = con.cursor()
    roster = _roster(cur, batch)
    directory = _directory(roster)
    users = _users(batch, directory)
    deals = batch.frames.get("deals")
    if deals is not None and "team_ref" in deals.columns:
        deals = batch.frames["deals"] = _deal_teams(cur, batch, deals)
    if deals is not None and "owner_ref" in deals.columns:
        ids, problems = lookup(deals, "owner_ref", directory, users, "owner")
        batch.errors += problems
        batch.frames["deals"] = deals.with_columns(ids.alias("owner_id")).drop(
            "owner_ref", LINE, "__file"
        )
    credits = batch.frames.get("deal_credits")
    if credits is not None and "rep_ref" in credits.columns:
        ids, problems = lookup(credits, "rep_ref", directory, users, "split owner")
        batch.errors += problems
        credits = credits.with_columns(ids.alias("rep_id"))
        dup = credits.filter(pl.struct("deal_id", "rep_id", "credit_type").is_duplicated())
        batch.errors += [
            Problem(f, line, "owner", f"{r} has two {t} splits on deal {d}")
            for f, line, r, t, d in dup.select("__file", LINE, "rep_id", "credit_type", "deal_id")
            .drop_nulls()
            .head(50)
            .iter_rows()
        ]
        batch.frames["deal_credits"] = credits.with_columns(
            pl.concat_str(["deal_id", "rep_id", "credit_type"], separator="|").alias("credit_id")
        ).drop("rep_ref", LINE, "__file")
    quotas = batch.frames.get("quotas")
    if quotas is not None and "owner_ref" in quotas.columns:
        batch.frames["quotas"] = _quota_owners(cur, batch, quotas, directory, users)


def _quota_owners(cur, batch, quotas, directory, users) -> pl.DataFrame:
    """A quota owner is a squad (squad_base) or a person (rep_stretch unless a kind is given)."""
    squads = cur.sql("select squad_id, name from squads").pl()
    if "squads" in batch.frames:
        squads = pl.concat([squads, batch.frames["squads"].select("squad_id", "name")]).unique(
            "squad_id", keep="last"
        )
    squad_dir = _directory(squads.with_columns(pl.lit(None, pl.String).alias("email")), "squad_id")
    if "__owner_is" in quotas.columns:
        quotas = _manager_targets(cur, batch, quotas, directory, users)
    empty = users.clear()
    squad_ids, _ = lookup(quotas, "owner_ref", squad_dir, empty, "squad")
    rep_ids, _ = lookup(quotas, "owner_ref", directory, users, "person")
    kind = pl.coalesce(
        pl.col("kind"), pl.when(pl.col("squad").is_not_null()).then(pl.lit("squad_base"))
    ).fill_null("rep_stretch")
    out = quotas.with_columns(squad_ids.alias("squad"), rep_ids.alias("rep")).with_columns(
        kind.alias("kind")
    )
    out = out.with_columns(
        pl.when(pl.col("kind") == "squad_base")
        .then(pl.col("squad"))
        .otherwise(pl.col("rep"))
        .alias("owner_id")
    )
    bad = out.filter(pl.col("owner_id").is_null())
    for row in (
        bad.unique("owner_ref", keep="first", maintain_order=True).head(30).iter_rows(named=True)
    ):
        noun = "squad" if row["kind"] == "squad_base" else "person"
        batch.errors.append(
            Problem(row["__file"], row[LINE], "owner", f"unknown {noun} {row['owner_ref']!r}")
        )
    dup = out.filter(
        pl.struct("kind", "owner_id", "period_start", "period_end").is_duplicated()
        & pl.col("owner_id").is_not_null()
    )
    batch.errors += [
        Problem(f, line, "owner", f"a second quota for {o!r} in the same period")
        for f, line, o in dup.select("__file", LINE, "owner_ref").tail(-1).head(30).iter_rows()
    ]
    return out.drop("squad", "rep", "owner_ref", LINE, "__file", "__owner_is", strict=False)


# Import shapes (issue #17) --------------------------------------------------------------


def _squads(cur: duckdb.DuckDBPyConnection, batch: Batch) -> pl.DataFrame:
    """squad_id, name, manager_id of the stored squads and those in the same import."""
    squads = cur.sql("select squad_id, name, manager_id from squads").pl()
    if "squads" in batch.frames:
        new = batch.frames["squads"].select("squad_id", "name", "manager_id")
        squads = pl.concat([squads, new], how="vertical_relaxed").unique(
            "squad_id", keep="last", maintain_order=True
        )
    return squads


def _deal_teams(cur: duckdb.DuckDBPyConnection, batch: Batch, deals: pl.DataFrame):
    """The squad named on each deal (its team or territory, by squad id or name) -> team_squad_id."""
    squads = _squads(cur, batch).with_columns(pl.lit(None, pl.String).alias("email"))
    ids, problems = lookup(deals, "team_ref", _directory(squads, "squad_id"),
                           pl.DataFrame(schema={"ref": pl.String, "id": pl.String,
                                                "who": pl.String}), "squad")  # fmt: skip
    batch.errors += [
        Problem(p.file, p.line, "team", p.reason.replace("to the roster", "as a squad"))
        for p in problems
    ]
    return deals.with_columns(ids.alias("team_squad_id")).drop("team_ref")


def _manager_targets(cur, batch: Batch, quotas: pl.DataFrame, directory, users) -> pl.DataFrame:
    """Rows of a sheet whose owners are squad managers (`"owner_is": "squad_manager"`): each is
    the base quota of the one squad its owner manages, not a personal target."""
    rows = quotas.filter(pl.col("__owner_is") == "squad_manager")
    if rows.is_empty():
        return quotas
    reps, problems = lookup(rows, "owner_ref", directory, users, "person")
    batch.errors += problems
    managed = (
        _squads(cur, batch)
        .drop_nulls("manager_id")
        .group_by("manager_id")
        .agg(pl.col("squad_id").sort().alias("squads"))
    )
    found = rows.with_columns(reps.alias("__rep")).join(
        managed, left_on="__rep", right_on="manager_id", how="left"
    )
    count = pl.col("squads").list.len().fill_null(0)
    for row in (
        found.filter(pl.col("__rep").is_not_null() & (count != 1))
        .unique("__rep", keep="first", maintain_order=True)
        .head(30)
        .iter_rows(named=True)
    ):
        squads = row["squads"] or []
        why = (
            f"{row['owner_ref']!r} manages no squad, so their row cannot be a squad's base "
            "quota; set the squad's manager first"
            if not squads
            else f"{row['owner_ref']!r} manages {len(squads)} squads ({', '.join(squads)}); "
            "give those squads' quotas by squad instead"
        )
        batch.errors.append(Problem(row["__file"], row[LINE], "owner", why))
    squad = pl.when(count == 1).then(pl.col("squads").list.first())
    found = found.with_columns(
        pl.coalesce(squad, pl.col("owner_ref")).alias("owner_ref"),
        pl.when(count == 1).then(pl.lit("squad_base")).otherwise(pl.col("kind")).alias("kind"),
    ).drop("__rep", "squads")
    others = quotas.filter(pl.col("__owner_is").fill_null("") != "squad_manager")
    return pl.concat([others, found.select(quotas.columns)], how="vertical_relaxed")
