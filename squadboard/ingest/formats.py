"""Which reader handles a file: `--format auto` asks each format whether it recognises the
headers; a named format is used as told; a file nobody recognises needs a mapping (a saved
JSON file or the app's mapping step). People are resolved against the roster at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import polars as pl

from squadboard.ingest import (
    Batch,
    Problem,
    columns,
    crm,
    maven,
    native,
    people,
    quota_sheets,
    validate,
)
from squadboard.ingest.layouts import LAYOUTS, is_documentation, is_documentation_name
from squadboard.ingest.mapping import (
    REQUIRED,
    Layout,
    Mapping,
    overridden,
    read_headerless,
    shown,
)
from squadboard.ingest.reader import Table, Unreadable, read_bytes, too_big

# Locales that write amounts as 1.234,50.
DECIMAL_COMMA_LOCALES = {"de", "fr", "es", "it", "nl", "pt", "da", "sv", "nb", "fi", "pl", "cs"}


@dataclass
class Options:
    fy_start_month: int = 1
    decimal_comma: bool = False
    mapping: Mapping | None = None  # for files no format recognises
    # How amounts are written: columns.POINT or columns.COMMA, or None to decide per column.
    number_format: str | None = None


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    recognises: Callable[[Table], bool]
    parse: Callable[[list[Table], Options], Batch]
    options: dict = field(default_factory=dict)


def decimal_comma(locale: str | None) -> bool:
    return bool(locale) and locale.replace("-", "_").split("_")[0].lower() in DECIMAL_COMMA_LOCALES


def number_format(locale: str | None) -> str | None:
    """The way amounts are written in a locale; None (no locale): found per column."""
    if not locale:
        return None
    return columns.COMMA if decimal_comma(locale) else columns.POINT


def _native(tables: list[Table], opts: Options) -> Batch:
    batch = Batch(format="native")
    for table in tables:
        batch.merge(native.parse(table, opts.fy_start_month))
    return batch


def _mapped(table: Table, mapping: Mapping, fmt: str, opts: Options) -> Batch:
    if fmt != "mapped":  # a recognised layout: a mapping file given with it sets its options
        mapping = overridden(mapping, opts.mapping)
    mapping = replace(mapping, decimal_comma=mapping.decimal_comma or opts.decimal_comma)
    if mapping.kind == "deals":
        return crm.parse_deals(table, mapping, fmt)
    if mapping.kind == "splits":
        return crm.parse_splits(table, mapping, fmt)
    if mapping.kind == "users":
        return crm.parse_users(table, mapping, fmt)
    return quota_sheets.parse_long(table, mapping, opts.fy_start_month)


def _layout_parser(layout: Layout) -> Callable[[list[Table], Options], Batch]:
    def parse(tables: list[Table], opts: Options) -> Batch:
        batch = Batch(format=layout.name)
        for table in tables:
            mapping = layout.mapping(table)
            missing = [f for f in layout.signature if f not in mapping.columns]
            if missing:
                batch.errors += [
                    Problem(table.name, table.header_line, " / ".join(layout.aliases[f]),
                            f"column for {f} is missing: not a {layout.name} file?")
                    for f in missing
                ]  # fmt: skip
                continue
            if layout.kind == "deals" and "source_id" not in mapping.columns:
                # A report without its Opportunity ID column: account + name stand in for it.
                key = pl.concat_str(
                    [pl.col(mapping.columns.get("account", mapping.columns["name"])),
                     pl.col(mapping.columns["name"])], separator=" / ", ignore_nulls=True,
                )  # fmt: skip
                table = Table(table.name, table.frame.with_columns(key.alias("__derived_id")),
                              table.header_line)  # fmt: skip
                mapping.columns["source_id"] = "__derived_id"
                batch.warnings.append(
                    Problem(table.name, table.header_line, None,
                            "no Opportunity ID column: deals are matched by account and name; "
                            "add the ID column to the report to be safe from renames")
                )  # fmt: skip
            batch.merge(_mapped(table, mapping, layout.name, opts))
        batch.format = layout.name
        return batch

    return parse


def _each(tables: list[Table], parse: Callable[[Table], Batch]) -> Batch:
    batch = Batch(format="")
    for table in tables:
        batch.merge(parse(table))
    return batch


def _maven(tables: list[Table], opts: Options) -> Batch:
    return maven.parse(tables, opts.fy_start_month)


def _quota_wide(tables: list[Table], opts: Options) -> Batch:
    batch = Batch(format="quota_sheet_wide")
    mapping = overridden(Mapping("quotas", {}, decimal_comma=opts.decimal_comma), opts.mapping)
    for table in tables:
        batch.merge(quota_sheets.parse_wide(table, mapping))
    return batch


def _quota_long(tables: list[Table], opts: Options) -> Batch:
    batch = Batch(format="quota_sheet")
    for table in tables:
        batch.merge(_mapped(table, quota_sheets.LONG.mapping(table), "quota_sheet", opts))
    return batch


FORMATS: dict[str, Format] = {
    "native": Format(
        "native",
        "Squadboard templates (reps, squads, memberships, quotas, deals, credits, activities, kudos)",
        lambda t: native.detect(t) is not None,
        _native,
    ),
    "maven": Format(
        "maven",
        "Maven CRM sample: sales_pipeline, sales_teams, accounts, products",
        lambda t: maven.role(t) is not None,
        _maven,
    ),
    **{
        name: Format(
            name, f"{layout.source} {layout.kind}", layout.recognises, _layout_parser(layout)
        )
        for name, layout in LAYOUTS.items()
    },
    "salesforce_split_types": Format(
        "salesforce_split_types",
        "Salesforce OpportunitySplitType export (which split types are revenue)",
        crm.is_split_types,
        lambda tables, opts: _each(tables, lambda t: crm.parse_split_types(t, "salesforce")),
    ),
    "quota_sheet_wide": Format(
        "quota_sheet_wide",
        "wide quota sheet: Year, owner, M01 .. M12",
        quota_sheets.is_wide,
        _quota_wide,
    ),
    "quota_sheet": Format(
        "quota_sheet",
        "long quota sheet: owner, period, amount",
        quota_sheets.LONG.recognises,
        _quota_long,
    ),
}


def detect(table: Table) -> str | None:
    for name, fmt in FORMATS.items():
        if fmt.recognises(table):
            return name
    return None


def expand(paths: list[str | Path]) -> list[Path]:
    """Files as given; a folder stands for the CSV/XLSX files in it."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                x for x in p.iterdir() if x.suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx")
            )
        else:
            out.append(p)
    return out


def _read_headerless(files, fmt: str) -> tuple[list[Table], list[Problem]]:
    """With a mapping that says `"header": false`: a file no format recognises from its first
    row is read again without a header, its columns named by position."""
    tables, problems = read_all(files)
    data = dict(files)
    out = []
    for table in tables:
        if fmt == "auto" and detect(table) is not None:
            out.append(table)
            continue
        if table.name.lower().endswith((".xlsx", ".xlsm")):
            problems.append(Problem(table.name, None, None, '"header": false is for delimited '
                                    "text dumps (CSV, tab or pipe); give the workbook a header "
                                    "row"))  # fmt: skip
            continue
        try:
            out.append(read_headerless(table.name, data[table.name]))
        except Unreadable as exc:
            problems += exc.problems
    return out, problems


def _documentation_unread(problems: list[Problem], readable: int):
    """An unreadable file named like documentation (README.txt) is skipped with a note when
    the import has data files; (notes, problems left)."""
    notes, left = [], []
    for p in problems:
        if readable and p.line is None and is_documentation_name(p.file):
            notes.append(Problem(p.file, None, None, "skipped: documentation, not data"))
        else:
            left.append(p)
    return notes, left


def _looks_headerless(table: Table) -> bool:
    """A first row of numbers and dates is data, not a header."""
    data = re.compile(r"^[$€£]?-?[\d.,/: -]+$")
    return sum(bool(data.match(shown(c))) for c in table.columns) >= max(2, len(table.columns) // 3)


def read_all(files: list[tuple[str, bytes]]) -> tuple[list[Table], list[Problem]]:
    tables, problems = [], []
    for name, data in files:
        try:
            tables.append(read_bytes(name, data))
        except Unreadable as exc:
            problems += exc.problems
    return tables, problems


def read_with(
    files: list[tuple[str, bytes]], mapping: Mapping | None, fmt: str = "auto"
) -> tuple[list[Table], list[Problem]]:
    """The files read as tables: by their header row, or by position where the mapping says
    `"header": false`."""
    if mapping is not None and not mapping.header:
        return _read_headerless(files, fmt)
    return read_all(files)


def load(
    files: list[tuple[str, bytes]],
    fmt: str = "auto",
    fy_start_month: int = 1,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    mapping: Mapping | None = None,
    locale: str | None = None,
) -> tuple[Batch, dict[str, str]]:
    """Read (name, bytes) pairs into one batch; also which format each file was taken as.

    With `con`, owners and split owners are resolved to rep ids (else they stay references).
    """
    tables, problems = read_with(files, mapping, fmt)
    return parse_read(files, tables, problems, fy_start_month, fmt, con=con, mapping=mapping,
                      locale=locale)  # fmt: skip


def parse_read(
    files: list[tuple[str, bytes]],
    tables: list[Table],
    unreadable: list[Problem],
    fy_start_month: int = 1,
    fmt: str = "auto",
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    mapping: Mapping | None = None,
    locale: str | None = None,
) -> tuple[Batch, dict[str, str]]:
    """`load` for files already read (read_all, or _read_headerless for a mapping with
    `"header": false`): the Import page reads each upload once."""
    notes, problems = _documentation_unread(list(unreadable), len(tables))
    batch = Batch(format=fmt, files=[n for n, _ in files], errors=problems, warnings=notes)
    opts = Options(fy_start_month, decimal_comma(locale), mapping, number_format(locale))
    return parse_tables(tables, batch, fmt, opts, con)


def parse_tables(tables, batch, fmt, opts, con=None) -> tuple[Batch, dict[str, str]]:
    chosen: dict[str, str] = {}
    groups: dict[str, list[Table]] = {}
    if fmt not in ("auto", "mapped") and fmt not in FORMATS:
        batch.errors.append(
            Problem("--format", None, None,
                    f"unknown format {fmt!r}; one of auto, mapped, {', '.join(FORMATS)}")
        )  # fmt: skip
        return batch, chosen
    mapped = opts.mapping is not None and bool(opts.mapping.columns)
    for table in tables:
        found = fmt if fmt not in ("auto", "mapped") else None
        if fmt == "auto":
            found = detect(table)
        if found is None and len(tables) > 1 and is_documentation(table):
            batch.warnings.append(
                Problem(table.name, None, None,
                        "skipped: a data dictionary or readme (it describes fields, it holds "
                        "no data)")
            )  # fmt: skip
            continue
        if found is None and mapped:
            found = "mapped"
        if found is None:
            labels = ", ".join(shown(c) for c in table.columns[:8])
            hint = "; map its columns (--mapping FILE.json, or the Import page)"
            if opts.mapping is not None and not mapped:
                need = [f"field {f!r} is required" for f in REQUIRED[opts.mapping.kind]
                        if f not in opts.mapping.constants]  # fmt: skip
                hint = (
                    "; the mapping names no columns, so it only sets options for recognised "
                    "files; to map this one: " + "; ".join(need)
                )
            elif _looks_headerless(table):
                hint = (
                    "; the first row looks like data, not a header: for a file without a "
                    'header row give a mapping with "header": false and columns by position'
                )
            batch.errors.append(
                Problem(table.name, table.header_line, None,
                        f"format not recognised from its header ({labels}){hint}")
            )  # fmt: skip
            continue
        chosen[table.name] = found
        groups.setdefault(found, []).append(table)
    files, rows_read = list(batch.files), batch.rows_read
    with columns.number_format(opts.number_format) as notes:
        for name, group in groups.items():
            if name == "mapped":
                for table in group:
                    batch.merge(_mapped(table, opts.mapping, "mapped", opts))
            else:
                batch.merge(FORMATS[name].parse(group, opts))
    batch.notes += notes
    batch.errors += validate.ranges(batch)
    batch.files, batch.rows_read = files, sum(t.frame.height for t in tables) or rows_read
    batch.format = "+".join(sorted(groups)) if groups else fmt
    if not batch.errors:
        crm.finish_splits(batch)
    if con is not None and not batch.errors:
        people.resolve(con, batch)
    return batch, chosen


def load_paths(paths: list[str | Path], fmt: str = "auto", fy_start_month: int = 1, **kw):
    files = []
    missing = []
    for p in expand(paths):
        if not p.is_file():
            missing.append(Problem(str(p), None, None, "no such file"))
            continue
        if big := too_big(p.name, p.stat().st_size):
            missing.append(big)  # refused before a byte of it is read
            continue
        files.append((p.name, p.read_bytes()))
    batch, chosen = load(files, fmt, fy_start_month, **kw)
    batch.errors = missing + batch.errors
    return batch, chosen
