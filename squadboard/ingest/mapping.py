"""Columns found by their header label: each CRM layout is a set of fields with the labels
(aliases) they go by; an unknown layout is mapped by hand and the mapping saved as JSON.

A header label is compared after `label_key`: case, quotes, punctuation and spacing do not
matter, so `Probability (%)`, `probability %` and `PROBABILITY (%)` are the same label, and
HubSpot's `Date entered "Closed Won (Sales Pipeline)"` survives its embedded quotes.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field, replace

import duckdb
import polars as pl

from squadboard import db
from squadboard.ingest import Problem
from squadboard.ingest.reader import (
    LINE,
    Table,
    Unreadable,
    decode,
    read_csv_text,
    sniff_delimiter,
)

# The fields a mapped file can fill, per kind of file, with what they mean (shown in the app).
FIELDS: dict[str, dict[str, str]] = {
    "deals": {
        "source_id": "the deal's id in the source system (re-imports update by it)",
        "name": "deal name",
        "account": "account / company",
        "product": "product",
        "owner": "owner: a person's id, email or name",
        "stage": "stage (closed won / closed lost / anything else = open)",
        "amount": "amount",
        "probability": "probability in percent (0-100)",
        "created_date": "created date",
        "close_date": "close date",
        "is_won": "won flag (true/false)",
        "is_closed": "closed flag (true/false)",
        "team": "the squad or territory named on the deal (credited to it under the "
        "deal_team rule)",
    },
    "splits": {
        "deal": "the deal's id in the source system",
        "owner": "split owner: a person's id, email or name",
        "percent": "split percentage (60 = 60 %)",
        "split_type": "split type: revenue or overlay",
        "note": "note",
    },
    "users": {
        "user_id": "the user's id in the source system",
        "email": "email",
        "name": "full name",
        "first_name": "first name",
        "last_name": "last name",
    },
    "quotas": {
        "owner": "a squad or person: id, email or name",
        "kind": "squad_base, rep_stretch or rep_goal (default: squad if the owner is a squad)",
        "period": "period such as 2026-Q1, 2026-03 or 2026",
        "amount": "quota amount",
    },
}

REQUIRED = {
    "deals": ("source_id", "owner", "stage"),
    "splits": ("deal", "owner", "percent"),
    "users": ("user_id",),
    "quotas": ("owner", "period", "amount"),
}


DATE_ORDERS = ("mdy", "dmy")
OWNER_IS = ("", "person", "squad_manager")


def label_key(label: str) -> str:
    """How a header label is compared: lower case, letters, digits and % only."""
    return re.sub(r"[^a-z0-9%]+", " ", label.lower()).strip()


def label_key_expr(values):
    """label_key as a Polars expression or Series (no Python callback on Polars' thread pool,
    which deadlocks with other sessions' Polars work in the app's threads)."""
    return (
        values.cast(pl.String)
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9%]+", " ")
        .str.strip_chars(" ")
    )


@dataclass
class Mapping:
    """Which header holds which field. Saved as JSON for `--mapping FILE.json` and the app."""

    kind: str  # deals, splits, users, quotas
    columns: dict[str, str]  # field -> header label as it appears in the file
    source: str = "mapped"  # the source system; deals are keyed by (source, source_id)
    decimal_comma: bool = False  # amounts written 1.234,50
    unit: float = 1.0  # amounts are in this unit (1000 = thousands)
    probability_scale: float = 1.0  # 100 when probabilities are fractions (0.6)
    percent_scale: float = 1.0  # 100 when split percentages are fractions (0.6)
    split_types: dict[str, str] = field(default_factory=dict)  # type id/label -> revenue/overlay
    # Import shapes (issue #17).
    lines: bool = False  # order/invoice lines: rows sharing a source_id are one deal
    constants: dict[str, str] = field(default_factory=dict)  # field -> value the file lacks
    header: bool = True  # false: no header row, columns are named by 1-based position
    date_order: str = "mdy"  # how a slashed date reads: mdy (3/1/2026 = 1 March) or dmy
    owner_is: str = ""  # quotas: "squad_manager" makes a manager's row their squad's base quota

    def problems(self) -> list[str]:
        out = []
        if self.kind not in FIELDS:
            return [f"kind must be one of {', '.join(FIELDS)}, not {self.kind!r}"]
        out += [
            f"unknown field {f!r} for {self.kind}"
            for f in self.columns
            if f not in FIELDS[self.kind]
        ]
        out += [
            f"unknown field {f!r} in constants for {self.kind}"
            for f in self.constants
            if f not in FIELDS[self.kind]
        ]
        out += [
            f"field {f!r} is both a column and a constant; keep one"
            for f in self.constants
            if self.columns.get(f)
        ]
        if self.columns:  # a mapping without columns only sets options for a recognised file
            out += [
                f"field {f!r} is required"
                for f in REQUIRED[self.kind]
                if not self.columns.get(f) and f not in self.constants
            ]
        if not self.header:
            out += [
                f"without a header row, name the column of {f!r} by its position (1, 2, ...), "
                f"not {c!r}"
                for f, c in self.columns.items()
                if not re.fullmatch(r"[1-9][0-9]{0,3}", str(c).strip())
            ]
        for name in ("lines", "header", "decimal_comma"):
            if not isinstance(getattr(self, name), bool):
                out.append(f'"{name}" must be true or false')
        out += [
            f"constant for {f!r} must be text or a number"
            for f, v in self.constants.items()
            if isinstance(v, bool) or not isinstance(v, (str, int, float))
        ]
        if self.lines and self.kind != "deals":
            out.append('"lines": true is for deal files (order or invoice lines)')
        if self.date_order not in DATE_ORDERS:
            out.append(f"date_order must be one of {', '.join(DATE_ORDERS)}")
        if self.owner_is not in OWNER_IS:
            out.append(f"owner_is must be one of {', '.join(o for o in OWNER_IS if o)}")
        if self.owner_is and self.kind != "quotas":
            out.append('"owner_is" is for quota sheets')
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", self.source):
            out.append("source must be a short lowercase name such as 'pipedrive'")
        if isinstance(self.unit, bool) or not isinstance(self.unit, (int, float)):
            out.append('"unit" must be a number such as 1000')
        elif self.unit <= 0:
            out.append("unit must be above 0")
        return out

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """Read a saved mapping; ValueError says what is wrong with it."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
            raise ValueError('a mapping is a JSON object with "kind" and "columns"')
        if "kind" not in data:
            raise ValueError('a mapping names the "kind" of file: ' + ", ".join(FIELDS))
        data.setdefault("columns", {})
        for key in ("constants", "split_types"):
            if not isinstance(data.get(key, {}), dict):
                raise ValueError(f'"{key}" is a JSON object of field: value')
        known = set(cls.__dataclass_fields__)
        extra = set(data) - known
        if extra:
            raise ValueError(f"unknown keys {', '.join(sorted(extra))}")
        try:
            mapping = cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        if mapping.problems():
            raise ValueError("; ".join(mapping.problems()))
        return mapping


@dataclass(frozen=True)
class Layout:
    """A known export layout: field -> the labels it goes by, and which fields identify it."""

    name: str
    kind: str
    aliases: dict[str, tuple[str, ...]]
    signature: tuple[str, ...]  # fields whose labels must all be present
    source: str
    probability_scale: float = 1.0
    percent_scale: float = 1.0
    forbid: tuple[str, ...] = ()  # labels that rule this layout out

    def find(self, table: Table) -> dict[str, str]:
        """field -> header of the table, for every field whose label is present."""
        by_key = {label_key(c): c for c in table.columns}
        out = {}
        for fld, labels in self.aliases.items():
            for label in labels:
                if label_key(label) in by_key:
                    out[fld] = by_key[label_key(label)]
                    break
        return out

    def recognises(self, table: Table) -> bool:
        keys = {label_key(c) for c in table.columns}
        if any(label_key(f) in keys for f in self.forbid):
            return False
        return set(self.signature) <= set(self.find(table))

    def mapping(self, table: Table) -> Mapping:
        return Mapping(
            self.kind,
            self.find(table),
            self.source,
            probability_scale=self.probability_scale,
            percent_scale=self.percent_scale,
        )


def overridden(found: Mapping, given: Mapping | None) -> Mapping:
    """The mapping of a recognised layout with the options a mapping file sets for files of
    its kind: unit, decimal comma, date order, owner_is, split types and the scales; a mapping
    without columns (one made only to go with recognised files) also sets `lines` and
    `constants`. Only options set away from their default override; columns and the source
    never do (a mapping with columns is for the files nobody recognises)."""
    if given is None or given.kind != found.kind:
        return found
    out = replace(found, columns=dict(found.columns), constants=dict(found.constants))
    out.split_types = {**found.split_types, **given.split_types}
    defaults = Mapping(found.kind, {})
    options = ["unit", "decimal_comma", "date_order", "owner_is", "probability_scale",
               "percent_scale"]  # fmt: skip
    if not given.columns:
        options.append("lines")
        out.constants |= given.constants
        for fld in given.constants:
            out.columns.pop(fld, None)
    for option in options:
        if getattr(given, option) != getattr(defaults, option):
            setattr(out, option, getattr(given, option))
    return out


def select(table: Table, mapping: Mapping) -> tuple[pl.DataFrame, list[Problem]]:
    """The table's mapped columns renamed to their fields (missing optional fields are null);
    a field the mapping sets as a constant holds that value on every row."""
    by_key = {label_key(c): c for c in table.columns}
    problems = []
    exprs = [pl.col(LINE)]
    for fld in FIELDS[mapping.kind]:
        if fld in mapping.constants:
            exprs.append(pl.lit(str(mapping.constants[fld]), pl.String).alias(fld))
            continue
        label = mapping.columns.get(fld)
        header = by_key.get(label_key(label)) if label else None
        if label and header is None:
            why = f"column for {fld} is missing"
            if not mapping.header:
                why = f"the file has {len(table.columns)} columns; there is no column {label}"
            problems.append(Problem(table.name, table.header_line, shown(label), why))
        if header is None and fld in REQUIRED[mapping.kind]:
            if not label:
                problems.append(
                    Problem(table.name, table.header_line, fld, "required column is missing")
                )
            continue
        exprs.append(pl.col(header).alias(fld) if header else pl.lit(None, pl.String).alias(fld))
    if problems:
        return pl.DataFrame(), problems
    return table.frame.select(exprs), []


def shown(label: str) -> str:
    """A header label as the person wrote it: the reader's suffix for a repeated header
    (`Amount_duplicated_0`) is an internal name and never shown."""
    return re.sub(r"_duplicated_\d+$", "", label)


def read_headerless(name: str, data: bytes) -> Table:
    """A delimited dump without a header row (a database export): its columns are named by
    1-based position, "1", "2", ..., and each row keeps its true file line."""
    text = decode(name, data)
    first = next((ln for ln in text.split("\n") if ln.strip()), "")
    sep = sniff_delimiter(text[:100_000])
    width = max(
        (len(row) for row in csv.reader(text.split("\n", 50)[:50], delimiter=sep)), default=1
    )
    if not first:
        raise Unreadable(Problem(name, None, None, "the file is empty"))
    header = sep.join(str(i) for i in range(1, width + 1))
    table = read_csv_text(name, header + "\n" + text)
    frame = table.frame.with_columns(pl.col(LINE) - 1)
    return Table(name, frame, header_line=1)


def guess(table: Table, kind: str, layouts: list[Layout]) -> dict[str, str]:
    """A first mapping for the app to show: every field whose known label is in the header."""
    found: dict[str, str] = {}
    for layout in layouts:
        if layout.kind == kind:
            for fld, header in layout.find(table).items():
                found.setdefault(fld, header)
    by_key = {label_key(c): c for c in table.columns}
    for fld in FIELDS[kind]:
        found.setdefault(fld, by_key.get(label_key(fld), ""))
    return {f: h for f, h in found.items() if h}


def saved(con: duckdb.DuckDBPyConnection) -> dict[str, Mapping]:
    cur = con.cursor()
    rows = cur.execute("select name, mapping from import_mappings order by name").fetchall()
    return {name: Mapping.from_json(text) for name, text in rows}


def save(con: duckdb.DuckDBPyConnection, name: str, mapping: Mapping, actor: str) -> None:
    """Keep a mapping under a name (replacing one of the same name), with an audit entry."""
    if not re.fullmatch(r"[\w .-]{1,60}", name):
        raise ValueError("name the mapping with letters, digits, spaces, dots or dashes")
    if mapping.problems():
        raise ValueError("; ".join(mapping.problems()))
    with db.transaction(con) as cur:
        saved_at = cur.sql("select now()::timestamp").fetchone()[0]
        db.upsert(
            cur,
            "import_mappings",
            {"name": name},
            {"mapping": mapping.to_json(), "saved_by": actor, "saved_at": saved_at},
        )
        db.audit(cur, actor, "save_mapping", "import_mappings", name, mapping.to_json())
