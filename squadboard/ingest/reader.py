"""Read a CSV or XLSX file as it comes: every cell as text, plus the file line of each row.

Encodings: UTF-8 (with or without BOM), UTF-16 with BOM; other single-byte encodings via
charset-normalizer. Delimiters: , ; | and tab, sniffed by the standard library's csv.Sniffer.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from squadboard.ingest import Problem

MAX_BYTES = 200 * 1024 * 1024  # the same limit as the app's upload widget
LINE = "__line"  # column holding the file line of each row
MISSING = ["", "NULL", "null", "Null", "-", "N/A", "n/a", "#N/A"]


class Unreadable(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class Table:
    name: str  # file name as the user knows it
    frame: pl.DataFrame  # all columns Utf8, plus LINE
    header_line: int = 1

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != LINE]


def decode(name: str, data: bytes) -> str:
    if not data.strip():
        raise Unreadable(Problem(name, None, None, "the file is empty"))
    if data.startswith(codecs.BOM_UTF8):
        try:
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise Unreadable(
                Problem(
                    name,
                    line,
                    None,
                    "the file says UTF-8 (BOM) but this line is not UTF-8; save it again as UTF-8",
                )  # fmt: skip
            ) from None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            # UTF-16 of a spreadsheet export is mostly Latin text: every other byte is zero.
            if data.count(0) < len(data) // 8:
                raise UnicodeDecodeError("utf-16", data, 0, 2, "no zero bytes")
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise Unreadable(
                Problem(name, None, None, "the file says UTF-16 but is not valid UTF-16")
            ) from None
    else:
        if b"\x00" in data[:4096]:
            raise Unreadable(
                Problem(name, None, None, "this is a binary file, not CSV or XLSX text")
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(data[:200_000]).best()
            if best is None:
                raise Unreadable(
                    Problem(name, None, None, "cannot tell the text encoding; save it as UTF-8")
                ) from None
            text = data.decode(best.encoding, errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.split("\n", 20)[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;|\t").delimiter
    except csv.Error:
        return ","


def read_csv_text(name: str, text: str, header_line: int = 1) -> Table:
    """Parse text whose header is on `header_line` (1-based) into a text-only frame.

    Polars reads the table; each row's file line is exact even with blank lines, or with
    quoted line breaks inside cells (then the standard csv module, which counts lines, reads it).
    """
    lines = text.split("\n")
    body = "\n".join(lines[header_line - 1 :]).rstrip("\n")
    return _read_body(name, body.encode(), body, header_line)


def _read_body(name: str, raw: bytes, body: str | None, header_line: int) -> Table:
    """Polars reads `raw`; `body` is its text, decoded only when the slow path needs it."""
    sample = body[:100_000] if body is not None else raw[:100_000].decode("utf-8", "ignore")
    sep = sniff_delimiter(sample.replace("\r\n", "\n"))
    try:
        frame = pl.read_csv(
            raw,
            separator=sep,
            infer_schema=False,
            null_values=MISSING,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if (body.count('"') if body is not None else raw.count(b'"')) % 2:
            first = "a quoted cell is never closed: is the file cut off?"
        raise Unreadable(Problem(name, None, None, f"not a readable CSV table ({first})")) from None
    multiline = any(frame[c].str.contains("\n", literal=True).any() for c in frame.columns)
    if multiline:
        if body is None:
            body = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        reader = csv.reader(io.StringIO(body), delimiter=sep)
        header = next(reader)
        rows, numbers = [], []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows.append(row + [""] * (len(header) - len(row)))
            numbers.append(reader.line_num + header_line - 1)
        frame = (
            pl.DataFrame(
                [[r[i] if i < len(r) else "" for r in rows] for i in range(len(header))],
                schema=_unique(header),
                orient="col",
            )
            if rows
            else pl.DataFrame(schema=dict.fromkeys(_unique(header), pl.String))
        )
        line = pl.Series(LINE, numbers, dtype=pl.Int64)
    else:
        line = pl.int_range(
            header_line + 1, header_line + 1 + frame.height, dtype=pl.Int64, eager=True
        ).alias(LINE)
    frame = _tidy(frame).with_columns(line)
    # Polars reads a blank line as a row of nulls, which keeps the line numbers true.
    frame = frame.filter(~pl.all_horizontal(pl.exclude(LINE).is_null()))
    return Table(name, frame, header_line)


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim names and cells; the usual spellings of 'missing' become null."""
    frame = frame.rename({c: c.strip().strip('"').strip() for c in frame.columns})
    stripped = frame.with_columns(pl.all().str.strip_chars())
    return stripped.with_columns(
        pl.when(pl.col(c).is_in(MISSING)).then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
    )


def read_excel_bytes(name: str, data: bytes) -> Table:
    try:
        raw = pl.read_excel(
            io.BytesIO(data), has_header=False, infer_schema_length=0, drop_empty_rows=False
        )
    except Exception as exc:  # fastexcel raises its own error types for broken workbooks
        raise Unreadable(
            Problem(name, None, None, f"not a readable XLSX workbook ({exc})")
        ) from None
    raw = raw.with_columns(pl.all().cast(pl.String))
    # The header is the first row with at least two filled cells (title rows above it are skipped).
    header_idx = 0
    for i, row in enumerate(raw.iter_rows()):
        if sum(1 for v in row if v not in (None, "")) >= 2:
            header_idx = i
            break
    header = [
        str(v).strip() if v is not None else f"column_{j + 1}"
        for j, v in enumerate(raw.row(header_idx))
    ]
    body = raw.slice(header_idx + 1)
    body.columns = _unique(header)
    line = pl.int_range(header_idx + 2, header_idx + 2 + body.height, dtype=pl.Int64, eager=True)
    body = _tidy(body).with_columns(line.alias(LINE))
    body = body.filter(~pl.all_horizontal(pl.exclude(LINE).is_null()))  # blank rows
    return Table(name, body, header_idx + 1)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def read_bytes(name: str, data: bytes) -> Table:
    if len(data) > MAX_BYTES:
        raise Unreadable(
            Problem(
                name, None, None, f"the file is over the {MAX_BYTES // 2**20} MB limit; split it"
            )
        )
    if data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm")):
        return read_excel_bytes(name, data)
    raw = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    crlf = raw.count(b"\r\n")
    plain = raw.strip() and b"\x00" not in raw[:4096] and raw.count(b"\r") == crlf
    if plain and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Fast path: UTF-8 bytes straight to Polars, no decoding round trip in Python.
        try:
            pl.read_csv(raw[: raw.find(b"\n") + 1 or None], infer_schema=False, n_rows=0)
            return _read_body(name, raw.rstrip(b"\r\n"), None, 1)
        except (pl.exceptions.ComputeError, Unreadable):
            pass  # not UTF-8, or not parseable: the careful path below says why
    return read_csv_text(name, decode(name, data))


def read_path(path: str | Path) -> Table:
    p = Path(path)
    if p.stat().st_size > MAX_BYTES:
        raise Unreadable(
            Problem(
                p.name, None, None, f"the file is over the {MAX_BYTES // 2**20} MB limit; split it"
            )
        )
    return read_bytes(p.name, p.read_bytes())
