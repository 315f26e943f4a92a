"""Which reader handles a file: `--format auto` asks each format whether it recognises the
headers; a named format is used as told. Every format turns tables into one Batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from squadboard.ingest import Batch, Problem, native
from squadboard.ingest.reader import Table, Unreadable, read_bytes


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    recognises: Callable[[Table], bool]
    parse: Callable[[list[Table], int], Batch]  # tables, fiscal year start month


def _native_parse(tables: list[Table], fy_start_month: int) -> Batch:
    batch = Batch(format="native")
    for table in tables:
        batch.merge(native.parse(table, fy_start_month))
    return batch


FORMATS: dict[str, Format] = {
    "native": Format(
        "native",
        "Squadboard templates (reps, squads, memberships, quotas, deals, credits, activities, kudos)",
        lambda t: native.detect(t) is not None,
        _native_parse,
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


def load(
    files: list[tuple[str, bytes]], fmt: str = "auto", fy_start_month: int = 1
) -> tuple[Batch, dict[str, str]]:
    """Read (name, bytes) pairs into one batch; also which format each file was taken as."""
    batch = Batch(format=fmt)
    chosen: dict[str, str] = {}
    groups: dict[str, list[Table]] = {}
    if fmt != "auto" and fmt not in FORMATS:
        batch.errors.append(
            Problem(
                "--format", None, None, f"unknown format {fmt!r}; one of auto, {', '.join(FORMATS)}"
            )
        )
        return batch, chosen
    for name, data in files:
        try:
            table = read_bytes(name, data)
        except Unreadable as exc:
            batch.errors.append(exc.problem)
            batch.files.append(name)
            continue
        found = fmt if fmt != "auto" else detect(table)
        if found is None:
            batch.files.append(name)
            batch.errors.append(
                Problem(
                    name,
                    table.header_line,
                    None,
                    "format not recognised from its header ("
                    + ", ".join(table.columns[:8])
                    + "); see docs/importing.md or give --format",
                )
            )
            continue
        chosen[name] = found
        groups.setdefault(found, []).append(table)
    for name, tables in groups.items():
        batch.merge(FORMATS[name].parse(tables, fy_start_month))
    if len(groups) == 1:
        batch.format = next(iter(groups))
    elif groups:
        batch.format = "+".join(sorted(groups))
    return batch, chosen


def load_paths(paths: list[str | Path], fmt: str = "auto", fy_start_month: int = 1):
    files = []
    missing = []
    for p in expand(paths):
        if not p.is_file():
            missing.append(Problem(str(p), None, None, "no such file"))
            continue
        files.append((p.name, p.read_bytes()))
    batch, chosen = load(files, fmt, fy_start_month)
    batch.errors = missing + batch.errors
    return batch, chosen
