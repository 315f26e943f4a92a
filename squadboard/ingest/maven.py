"""The Maven Analytics "CRM Sales Opportunities" sample, a folder of four CSV files.

- sales_teams.csv: agent -> manager -> regional office. Each manager's team is a squad (named
  after the manager, region = office); every agent is a rep, with or without deals. The sample
  has no manager emails, so managers name their squad rather than join the roster.
- sales_pipeline.csv: one deal per opportunity, keyed `maven:<opportunity_id>` (ids keep
  their leading zeros). Won/Lost are closed; Prospecting/Engaging are open.
- products.csv, accounts.csv: the names deals may use. A product spelt differently
  (`GTXPro` for `GTX Pro`) is normalised to the listed name, with a warning.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from squadboard.ingest import Batch, Problem
from squadboard.ingest.columns import parse_columns, require
from squadboard.ingest.reader import LINE, Table

SOURCE = "maven"
# The sample has no probabilities; these are the usual defaults for its four stages.
STAGE_PROBABILITY = {"Prospecting": 0.1, "Engaging": 0.5, "Won": 1.0, "Lost": 0.0}
STAGE_STATUS = {"Prospecting": "open", "Engaging": "open", "Won": "won", "Lost": "lost"}
# Memberships start before the sample's first engagement (October 2016).
TEAMS_FROM = date(2016, 1, 1)

FILES = {
    "pipeline": {"opportunity_id", "sales_agent", "deal_stage", "close_value"},
    "teams": {"sales_agent", "manager", "regional_office"},
    "products": {"product", "series", "sales_price"},
    "accounts": {"account", "sector", "office_location"},
    "dictionary": {"table", "field", "description"},
}


def role(table: Table) -> str | None:
    cols = {c.strip().lower() for c in table.columns}
    return next((name for name, need in FILES.items() if need <= cols), None)


def slug(name: pl.Expr) -> pl.Expr:
    return name.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", ".").str.strip_chars(".")


def _squeeze(name: pl.Expr) -> pl.Expr:
    return name.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


def parse(tables: list[Table], fy_start_month: int = 1) -> Batch:
    batch = Batch(format="maven", files=[t.name for t in tables])
    by_role = {}
    for table in tables:
        batch.rows_read += table.frame.height
        r = role(table)
        if r in by_role:
            batch.errors.append(Problem(table.name, None, None, f"a second {r} file in the import"))
        by_role[r] = table
    lower = {
        r: t.frame.rename({c: c.strip().lower() for c in t.columns}) for r, t in by_role.items()
    }
    if "teams" in lower:
        _teams(by_role["teams"].name, lower["teams"], batch)
    if "pipeline" in lower:
        _pipeline(by_role["pipeline"].name, lower["pipeline"], lower, batch)
    if "accounts" in lower:
        _sectors(lower["accounts"], batch)
    return batch


def _sectors(f: pl.DataFrame, batch: Batch) -> None:
    """Each account's sector, as accounts.csv spells it (a skill dimension of Find a mentor)."""
    rows = f.select(
        pl.col("account").cast(pl.String).str.strip_chars().str.to_lowercase().alias("account_key"),
        pl.lit("sector").alias("attribute"),
        pl.col("sector").cast(pl.String).str.strip_chars().alias("value"),
    ).filter(
        pl.col("account_key").is_not_null()
        & (pl.col("account_key") != "")
        & pl.col("value").is_not_null()
        & (pl.col("value") != "")
    )
    batch.add("account_attributes", rows.unique("account_key", keep="first", maintain_order=True))


def _teams(file: str, f: pl.DataFrame, batch: Batch) -> None:
    problems = require(file, f, ["sales_agent", "manager", "regional_office"])
    dup = f.filter(pl.col("sales_agent").is_duplicated() & pl.col("sales_agent").is_not_null())
    problems += [Problem(file, line, "sales_agent", "agent listed twice") for line in dup[LINE]]
    batch.errors += problems
    if problems:
        return
    squads = (
        f.group_by("manager", maintain_order=True)
        .agg(pl.col("regional_office").first().alias("region"))
        .select(
            slug(pl.col("manager")).alias("squad_id"), pl.col("manager").alias("name"), "region"
        )
        .with_columns(pl.lit(None, pl.String).alias("manager_id"))
    )
    reps = f.select(
        slug(pl.col("sales_agent")).alias("rep_id"),
        pl.col("sales_agent").alias("name"),
        pl.lit(None, pl.String).alias("email"),
        pl.lit("AE").alias("role"),
        pl.lit("rep").alias("access"),
        pl.lit(None, pl.Date).alias("hire_date"),
        pl.lit(True).alias("active"),
    )
    clash = reps.filter(pl.col("rep_id").is_duplicated())
    batch.errors += [
        Problem(file, None, "sales_agent", f"two agents share the id {rid!r}")
        for rid in clash["rep_id"].unique()
    ]
    members = f.select(
        slug(pl.col("sales_agent")).alias("rep_id"),
        slug(pl.col("manager")).alias("squad_id"),
        pl.lit(TEAMS_FROM).alias("valid_from"),
        pl.lit(None, pl.Date).alias("valid_to"),
    )
    batch.add("squads", squads)
    batch.add("reps", reps)
    batch.add("squad_members", members)


def _pipeline(file: str, f: pl.DataFrame, others: dict, batch: Batch) -> None:
    kinds = {"engage_date": "date", "close_date": "date", "close_value": "money"}
    typed, problems = parse_columns(file, f, kinds | {"account": "text", "product": "text"})
    problems += require(file, typed, ["opportunity_id", "sales_agent", "deal_stage"])
    bad = typed.filter(
        ~pl.col("deal_stage").is_in(list(STAGE_STATUS)) & pl.col("deal_stage").is_not_null()
    )
    problems += [
        Problem(file, line, "deal_stage", f"{s!r} is not one of {', '.join(STAGE_STATUS)}")
        for line, s in zip(bad[LINE], bad["deal_stage"], strict=True)
    ]
    dup = typed.filter(pl.col("opportunity_id").is_duplicated())
    problems += [Problem(file, line, "opportunity_id", "duplicate id") for line in dup[LINE]]
    bad = typed.filter(pl.col("close_value") < 0)
    problems += [Problem(file, line, "close_value", "must not be negative") for line in bad[LINE]]
    bad = typed.filter((pl.col("deal_stage") == "Won") & pl.col("close_date").is_null())
    problems += [
        Problem(file, line, "close_date", "a won deal needs a close date") for line in bad[LINE]
    ]
    bad = typed.filter(pl.col("close_date") < pl.col("engage_date"))
    problems += [Problem(file, line, "close_date", "is before engage_date") for line in bad[LINE]]
    batch.errors += problems
    if problems:
        return
    typed = typed.with_columns(_products(file, typed, others.get("products"), batch))
    _check_accounts(file, typed, others.get("accounts"), batch)
    deals = typed.select(
        pl.concat_str(pl.lit(SOURCE + ":"), "opportunity_id").alias("deal_id"),
        pl.lit(SOURCE).alias("source"),
        pl.col("opportunity_id").alias("source_id"),
        pl.concat_str(["account", "product"], separator=" · ", ignore_nulls=True).alias("name"),
        "account",
        "product",
        pl.col("sales_agent").alias("owner_ref"),
        pl.col("deal_stage").alias("stage"),
        pl.col("deal_stage").replace_strict(STAGE_STATUS).alias("status"),
        pl.col("close_value").alias("amount"),
        pl.col("deal_stage").replace_strict(STAGE_PROBABILITY).alias("probability"),
        pl.col("engage_date").alias("created_date"),
        "close_date",
        LINE,
        pl.lit(file).alias("__file"),
    )
    batch.add("deals", deals)


def _products(file: str, typed: pl.DataFrame, products: pl.DataFrame | None, batch: Batch):
    if products is None:
        return pl.col("product")
    listed = products.select("product", _squeeze(pl.col("product")).alias("k")).drop_nulls()
    used = typed.group_by("product").len().drop_nulls("product")
    used = used.with_columns(_squeeze(pl.col("product")).alias("k")).join(
        listed.rename({"product": "listed"}), on="k", how="left"
    )
    fixes = {}
    for row in used.sort("product").iter_rows(named=True):
        if row["listed"] is None:
            batch.warnings.append(
                Problem(file, None, "product", f"{row['product']!r} is not in products.csv")
            )
        elif row["listed"] != row["product"]:
            fixes[row["product"]] = row["listed"]
            batch.warnings.append(
                Problem(
                    file,
                    None,
                    "product",
                    f"{row['product']!r} read as {row['listed']!r} ({row['len']:,} deals)",
                )
            )
    return pl.col("product").replace(fixes)


def _check_accounts(file: str, typed: pl.DataFrame, accounts: pl.DataFrame | None, batch: Batch):
    no_account = typed.filter(pl.col("account").is_null())
    if no_account.height:
        open_ = no_account.filter(pl.col("deal_stage").is_in(["Prospecting", "Engaging"])).height
        batch.warnings.append(
            Problem(
                file,
                None,
                "account",
                f"{no_account.height:,} deals have no account ({open_:,} of them open)",
            )
        )
    if accounts is not None:
        known = set(accounts["account"].drop_nulls())
        unknown = sorted(set(typed["account"].drop_nulls()) - known)
        if unknown:
            batch.warnings.append(
                Problem(file, None, "account", "not in accounts.csv: " + ", ".join(unknown[:10]))
            )
