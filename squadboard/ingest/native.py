"""Squadboard's own CSV/XLSX templates: one per entity, recognised by their headers.

The templates, with an example of each, are in data/templates/ and docs/importing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from squadboard import periods
from squadboard.ingest import SPLIT_TOLERANCE, Batch, Problem
from squadboard.ingest.columns import parse_columns, require
from squadboard.ingest.reader import LINE, Table

ROLES = ["AE", "SE", "CSM", "specialist", "manager"]
ACCESS = ["rep", "leader", "admin"]
STATUSES = ["open", "won", "lost"]
ACTIVITY_KINDS = ["call", "email", "meeting", "demo", "solution_doc"]
QUOTA_KINDS = ["squad_base", "rep_stretch", "rep_goal"]
CREDIT_TYPES = ["revenue", "overlay"]


@dataclass(frozen=True)
class Template:
    entity: str  # the template's name, also the example file's stem
    table: str
    columns: dict[str, str]  # column -> kind (see ingest.columns.KINDS)
    required: tuple[str, ...]
    key: tuple[str, ...]  # unique within a file
    choices: dict[str, list[str]]


TEMPLATES = {
    t.entity: t
    for t in [
        Template(
            "squads",
            "squads",
            {"squad_id": "text", "name": "text", "region": "text", "manager_id": "text"},
            ("squad_id", "name"),
            ("squad_id",),
            {},
        ),
        Template(
            "reps",
            "reps",
            {
                "rep_id": "text",
                "name": "text",
                "email": "text",
                "role": "text",
                "access": "text",
                "hire_date": "date",
                "active": "bool",
            },
            ("rep_id", "name"),
            ("rep_id",),
            {"role": ROLES, "access": ACCESS},
        ),
        Template(
            "memberships",
            "squad_members",
            {"rep_id": "text", "squad_id": "text", "valid_from": "date", "valid_to": "date"},
            ("rep_id", "squad_id", "valid_from"),
            ("rep_id", "valid_from"),
            {},
        ),
        Template(
            "quotas",
            "quotas",
            {"kind": "text", "owner_id": "text", "period": "text", "amount": "money"},
            ("kind", "owner_id", "period", "amount"),
            ("kind", "owner_id", "period"),
            {"kind": QUOTA_KINDS},
        ),
        Template(
            "deals",
            "deals",
            {
                "deal_id": "text",
                "name": "text",
                "account": "text",
                "product": "text",
                "owner_id": "text",
                "stage": "text",
                "status": "text",
                "amount": "money",
                "probability": "percent",
                "created_date": "date",
                "close_date": "date",
            },
            ("deal_id", "owner_id"),
            ("deal_id",),
            {"status": STATUSES},
        ),
        Template(
            "credits",
            "deal_credits",
            {
                "deal_id": "text",
                "rep_id": "text",
                "credit_type": "text",
                "percent": "percent",
                "deal_role": "text",
                "ae_confirmed_at": "datetime",
                "manager_confirmed_at": "datetime",
            },
            ("deal_id", "rep_id", "credit_type", "percent"),
            ("deal_id", "rep_id", "credit_type"),
            {"credit_type": CREDIT_TYPES},
        ),
        Template(
            "activities",
            "activities",
            {"rep_id": "text", "deal_id": "text", "kind": "text", "activity_date": "date"},
            ("rep_id", "kind", "activity_date"),
            (),
            {"kind": ACTIVITY_KINDS},
        ),
        Template(
            "kudos",
            "kudos",
            {
                "from_rep_id": "text",
                "to_rep_id": "text",
                "deal_id": "text",
                "category": "text",
                "message": "text",
                "given_at": "datetime",
            },
            ("from_rep_id", "to_rep_id", "category", "given_at"),
            (),
            {},
        ),
    ]
}


def detect(table: Table) -> Template | None:
    """The template whose required columns are all present and that matches most columns."""
    cols = {c.strip().lower() for c in table.columns}
    fits = [t for t in TEMPLATES.values() if set(t.required) <= cols]
    if not fits:
        return None
    return max(fits, key=lambda t: (len(cols & set(t.columns)), t.entity in table.name.lower()))


def parse(table: Table, fy_start_month: int = 1, template: Template | None = None) -> Batch:
    """Validate one native file and turn it into a batch (errors listed, nothing written)."""
    template = template or detect(table)
    batch = Batch(format="native", files=[table.name], rows_read=table.frame.height)
    if template is None:
        batch.errors.append(
            Problem(
                table.name,
                table.header_line,
                None,
                "not a Squadboard template: the header matches none of "
                + ", ".join(TEMPLATES)
                + " (see docs/importing.md)",
            )
        )
        return batch
    frame = table.frame.rename({c: c.strip().lower() for c in table.columns})
    missing = [c for c in template.required if c not in frame.columns]
    if missing:
        batch.errors += [
            Problem(table.name, table.header_line, c, "required column is missing") for c in missing
        ]
        return batch
    for column in template.columns:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
    frame = frame.select(LINE, *template.columns)
    typed, problems = parse_columns(table.name, frame, template.columns)
    problems += require(table.name, typed, list(template.required))
    for column, allowed in template.choices.items():
        bad = typed.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(allowed))
        problems += [
            Problem(table.name, line, column, f"{value!r} is not one of {', '.join(allowed)}")
            for line, value in zip(bad[LINE], bad[column], strict=True)
        ]
    if template.key:
        dup = typed.filter(
            pl.struct(list(template.key)).is_duplicated()
            & pl.all_horizontal(pl.col(k).is_not_null() for k in template.key)
        )
        problems += [
            Problem(
                table.name,
                line,
                template.key[-1],
                "duplicate " + "/".join(template.key) + " (also on another line of this file)",
            )
            for line in dup[LINE]
        ]
    problems += _rules(table.name, template.entity, typed)
    batch.errors += problems
    if problems:
        return batch
    batch.add(template.table, _to_table(template.entity, typed, fy_start_month, table.name, batch))
    return batch


def _rules(file: str, entity: str, f: pl.DataFrame) -> list[Problem]:
    out: list[Problem] = []

    def flag(mask: pl.Expr, column: str, reason: str) -> None:
        bad = f.filter(mask.fill_null(False))
        out.extend(Problem(file, line, column, reason) for line in bad[LINE])

    if entity in ("quotas", "deals"):
        flag(pl.col("amount") < 0, "amount", "must not be negative")
    if entity == "deals":
        flag(
            (pl.col("probability") < 0) | (pl.col("probability") > 100),
            "probability",
            "must be between 0 and 100",
        )
        flag(pl.col("close_date") < pl.col("created_date"), "close_date", "is before created_date")
        flag(
            pl.col("status").is_null() & pl.col("stage").is_null(),
            "status",
            "give a status (open, won, lost) or a stage",
        )
    if entity == "credits":
        flag(
            (pl.col("percent") <= 0) | (pl.col("percent") > 1000),
            "percent",
            "must be above 0 and at most 1000",
        )
        sums = (
            f.filter(pl.col("credit_type") == "revenue")
            .group_by("deal_id")
            .agg(pl.col("percent").sum().alias("total"), pl.col(LINE).min().alias("first"))
        )
        off = (pl.col("total") - 100).abs() > SPLIT_TOLERANCE + 1e-9
        for row in sums.filter(off).iter_rows(named=True):
            out.append(
                Problem(
                    file,
                    row["first"],
                    "percent",
                    f"revenue splits of deal {row['deal_id']} total {row['total']:g} %, not 100 %",
                )
            )
    if entity == "memberships":
        flag(pl.col("valid_to") <= pl.col("valid_from"), "valid_to", "must be after valid_from")
    if entity == "kudos":
        flag(pl.col("from_rep_id") == pl.col("to_rep_id"), "to_rep_id", "no kudos to yourself")
    if entity == "quotas":
        for line, label in zip(f[LINE], f["period"], strict=True):
            if label is None:
                continue
            try:
                periods.parse(label)
            except ValueError as exc:
                out.append(Problem(file, line, "period", str(exc)))
    return out


def _to_table(entity: str, f: pl.DataFrame, fy: int, file: str, batch: Batch) -> pl.DataFrame:
    match entity:
        case "reps":
            return f.select(
                "rep_id",
                "name",
                "email",
                pl.col("role").fill_null("AE"),
                pl.col("access").fill_null("rep"),
                "hire_date",
                pl.col("active").fill_null(True),
            )
        case "squads":
            return f.select("squad_id", "name", "region", "manager_id")
        case "memberships":  # the file and line, to name both rows of an overlap
            return f.select("rep_id", "squad_id", "valid_from", "valid_to", LINE,
                            pl.lit(file).alias("__file"))  # fmt: skip
        case "quotas":
            spans = [periods.parse(p, fy) for p in f["period"]]
            return f.select(
                "kind",
                "owner_id",
                pl.Series("period_start", [p.start for p in spans]),
                pl.Series("period_end", [p.end for p in spans]),
                "amount",
            )
        case "deals":
            stage = pl.col("stage").str.to_lowercase()
            status = pl.coalesce(
                pl.col("status"),
                pl.when(stage.str.contains("won"))
                .then(pl.lit("won"))
                .when(stage.str.contains("lost"))
                .then(pl.lit("lost"))
                .otherwise(pl.lit("open")),
            )
            prob = pl.coalesce(
                pl.col("probability") / 100,
                pl.when(status == "won").then(1.0).when(status == "lost").then(0.0),
            )
            return f.select(
                "deal_id",
                pl.lit("native").alias("source"),
                pl.col("deal_id").alias("source_id"),
                "name",
                "account",
                "product",
                "owner_id",
                "stage",
                status.alias("status"),
                "amount",
                prob.alias("probability"),
                "created_date",
                "close_date",
            )
        case "credits":
            return f.select(
                pl.concat_str(["deal_id", "rep_id", "credit_type"], separator="|").alias(
                    "credit_id"
                ),
                "deal_id",
                "rep_id",
                "credit_type",
                "percent",
                "deal_role",
                "ae_confirmed_at",
                "manager_confirmed_at",
            )
        case "activities":
            keyed = f.with_columns(
                pl.int_range(pl.len()).over("rep_id", "deal_id", "kind", "activity_date").alias("n")
            )
            return keyed.select(
                pl.concat_str(
                    ["rep_id", "deal_id", "kind", "activity_date", "n"],
                    separator="|",
                    ignore_nulls=True,
                ).alias("activity_id"),
                "rep_id",
                "deal_id",
                "kind",
                "activity_date",
            )
        case "kudos":
            return f.select(
                pl.concat_str(
                    ["from_rep_id", "to_rep_id", "given_at", "category"],
                    separator="|",
                    ignore_nulls=True,
                ).alias("kudos_id"),
                pl.col("from_rep_id").alias("from_rep"),
                pl.col("to_rep_id").alias("to_rep"),
                "deal_id",
                "category",
                pl.col("message").fill_null(""),
                "given_at",
            )
    raise AssertionError(entity)
