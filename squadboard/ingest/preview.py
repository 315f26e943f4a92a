"""What an import would write, before it writes: the first rows of each table as mapped, and
their totals (the Import page's mapping step shows them; nothing here touches the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from squadboard.ingest import Batch

ROWS = 20
# Columns shown per table, in order, with their headers in words. A column the batch does not
# have (yet: owners are resolved to ids only when the import is checked) is left out.
COLUMNS: dict[str, dict[str, str]] = {
    "deals": {
        "source_id": "Deal id",
        "name": "Deal",
        "account": "Account",
        "product": "Product",
        "owner_id": "Owner",
        "owner_ref": "Owner",
        "team_squad_id": "Team",
        "team_ref": "Team",
        "stage": "Stage",
        "status": "Status",
        "amount": "Amount",
        "created_date": "Created",
        "close_date": "Close date",
    },
    "quotas": {
        "kind": "Kind",
        "owner_id": "Owner",
        "owner_ref": "Owner",
        "period_start": "From",
        "period_end": "Until (exclusive)",
        "amount": "Quota",
    },
    "deal_credits": {
        "deal_id": "Deal",
        "rep_id": "Split owner",
        "rep_ref": "Split owner",
        "credit_type": "Type",
        "percent": "Percent",
    },
}
DATES = ("Created", "Close date", "From", "Until (exclusive)")
NOUNS = {"deal_credits": "splits", "squad_members": "memberships"}
KINDS = {"squad_base": "squad base quota", "rep_stretch": "stretch target", "rep_goal": "own goal"}


@dataclass
class Preview:
    table: str
    rows: pl.DataFrame  # the first ROWS rows, headers in words
    count: int
    totals: dict[str, float] = field(default_factory=dict)  # label -> amount

    @property
    def noun(self) -> str:
        return NOUNS.get(self.table, self.table)


def preview(batch: Batch, rows: int = ROWS) -> list[Preview]:
    out = []
    for table, frame in batch.frames.items():
        shown = COLUMNS.get(table)
        if shown:
            cols = {c: label for c, label in shown.items() if c in frame.columns}
            # owner_id wins over owner_ref once resolved; a label is used once
            picked: dict[str, str] = {}
            for c, label in cols.items():
                if label not in picked.values():
                    picked[c] = label
            head = frame.head(rows).select(pl.col(c).alias(label) for c, label in picked.items())
        else:
            head = frame.head(rows).select(
                pl.col(c).alias(c.replace("_", " ").capitalize())
                for c in frame.columns
                if not c.startswith("__")
            )
        # Columns the file leaves empty are not shown; an empty cell shows a dash.
        head = head.select(c.name for c in head.iter_columns() if c.null_count() < head.height)
        head = head.with_columns(pl.col(pl.String).fill_null("–"))
        if "Kind" in head.columns:
            head = head.with_columns(pl.col("Kind").replace(KINDS))
        out.append(Preview(table, head, frame.height, _totals(table, frame)))
    return out


def _totals(table: str, frame: pl.DataFrame) -> dict[str, float]:
    if "amount" not in frame.columns or frame.is_empty():
        return {}
    amount = pl.col("amount").cast(pl.Float64)
    if table == "deals":
        sums = frame.group_by("status").agg(amount.sum().alias("total"), pl.len())
        by = {s: (t or 0.0, n) for s, t, n in sums.iter_rows()}
        return {
            f"{status} ({by[status][1]:,} deals)": round(by[status][0], 2)
            for status in ("won", "open", "lost")
            if status in by
        }
    if table == "quotas":
        sums = frame.group_by("kind").agg(amount.sum().alias("total"), pl.len())
        return {
            f"{KINDS.get(kind, 'quota')} ({n:,} rows)": round(t or 0.0, 2)
            for kind, t, n in sums.sort("kind", nulls_last=True).iter_rows()
        }
    return {"amount": round(frame["amount"].cast(pl.Float64).sum(), 2)}
