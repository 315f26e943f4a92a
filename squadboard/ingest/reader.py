"""Read a CSV or XLSX file as it comes: every cell as text, plus the file line of each row.

Encodings: UTF-8 (with or without BOM), UTF-16 with BOM; other single-byte encodings via
charset-normalizer. Delimiters: , ; | and tab, sniffed by the standard library's csv.Sniffer.

What no reader lets through (each refused as `file:line: column: reason`): a file that mixes
two encodings, more than MAX_COLUMNS columns (checked on the header line, before any row is
parsed), the same header twice (also when the two differ only by case, spacing or
punctuation), a NUL byte or a cell over MAX_CELL_CHARS characters, and an XLSX formula cell
with no value saved by a spreadsheet.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import polars as pl

from squadboard.ingest import Problem

MAX_BYTES = 200 * 1024 * 1024  # the same limit as the app's upload widget
LINE = "__line"  # column holding the file line of each row
MISSING = ["", "NULL", "null", "Null", "-", "N/A", "n/a", "#N/A"]
MAX_COLUMNS = 1000  # no export Squadboard reads has more; a file with more is not one of them
MAX_CELL_CHARS = 32_767  # the most a spreadsheet cell holds: more is a quote left open
MAX_CELL_PROBLEMS = 50  # bad cells listed per file before "... and N more"
DELIMITERS = ",;|\t"


class Unreadable(Exception):
    """The file cannot be read as a table; `problems` says why (at least one)."""

    def __init__(self, problem: Problem | list[Problem]):
        self.problems = problem if isinstance(problem, list) else [problem]
        self.problem = self.problems[0]
        super().__init__("\n".join(map(str, self.problems)))


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
        head = data[:4096]
        if head.count(0) > max(2, len(head) // 50):  # a stray NUL in a name: checked per cell
            raise Unreadable(
                Problem(name, None, None, "this is a binary file, not CSV or XLSX text")
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            _refuse_mixed(name, data, exc.start)
            from charset_normalizer import from_bytes

            best = from_bytes(data[:200_000]).best()
            if best is None:
                raise Unreadable(
                    Problem(name, None, None, "cannot tell the text encoding; save it as UTF-8")
                ) from None
            try:
                text = data.decode(best.encoding)
            except UnicodeDecodeError as bad:
                line = data[: bad.start].count(b"\n") + 1
                raise Unreadable(
                    Problem(name, line, None,
                            f"this line is not {best.encoding} like the lines before it; "
                            "save the whole file as UTF-8")
                ) from None  # fmt: skip
    return text.replace("\r\n", "\n").replace("\r", "\n")


# A UTF-8 encoded letter beyond ASCII: a lead byte and its continuation bytes.
_UTF8_LETTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _refuse_mixed(name: str, data: bytes, not_utf8_at: int) -> None:
    """A file with UTF-8 lines and lines in another encoding (say Latin-1) would be read
    garbled whichever encoding is picked ("JosÃ©"): refuse it, naming the first line that does
    not fit the encoding of the lines before it."""
    found = _UTF8_LETTER.search(data)
    if found is None:
        return  # no UTF-8 letter anywhere: one single-byte encoding throughout
    utf8_line = data[: found.start()].count(b"\n") + 1
    other_line = data[:not_utf8_at].count(b"\n") + 1
    if found.start() < not_utf8_at:
        reason = (f"this line is not UTF-8, but line {utf8_line} is: the file mixes two "
                  "encodings; save the whole file as UTF-8")  # fmt: skip
        raise Unreadable(Problem(name, other_line, None, reason))
    reason = (f"this line is UTF-8, but line {other_line} is in another encoding (such as "
              "Latin-1): the file mixes two encodings; save the whole file as UTF-8")  # fmt: skip
    raise Unreadable(Problem(name, utf8_line, None, reason))


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


def _first_line(raw: bytes | str) -> str:
    end = raw.find(b"\n" if isinstance(raw, bytes) else "\n")
    line = raw[: end if end >= 0 else None]
    return line.decode("utf-8", "replace") if isinstance(line, bytes) else line


def _refuse_wide(name: str, header: str, header_line: int) -> None:
    """More than MAX_COLUMNS columns: refused on the header line alone, before the sniffer or
    Polars look at it (a million columns took Polars minutes and gigabytes)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    sep = max(counts, key=counts.get)
    if counts[sep] < MAX_COLUMNS:
        return
    # Without quotes every delimiter separates two columns; with them, the csv module counts.
    quoted = '"' in header
    width = len(next(csv.reader([header], delimiter=sep), [])) if quoted else counts[sep] + 1
    if width > MAX_COLUMNS:
        raise Unreadable(
            Problem(name, header_line, None,
                    f"the header has {width:,} columns, more than the {MAX_COLUMNS:,} a file may "
                    "have: is this the right file?")
        )  # fmt: skip


def header_key(label: str) -> str:
    """Two headers are the same if they differ only by case, spacing or punctuation
    (`Close_Value` and `close value`): the comparison of mapping.label_key."""
    return re.sub(r"[^a-z0-9%]+", " ", label.lower()).strip()


def _refuse_duplicate_headers(name: str, header: list[str], header_line: int) -> None:
    seen: dict[str, int] = {}
    for i, label in enumerate(header):
        k = header_key(label)
        if not k:
            continue  # unnamed columns are named by position
        if k in seen:
            first = header[seen[k]].strip()
            raise Unreadable(
                Problem(name, header_line, label.strip(),
                        f"the same header as column {seen[k] + 1} ({first!r}): which one holds "
                        "the data? Rename or delete one of the two columns")
            )  # fmt: skip
        seen[k] = i


def _named(header: list[str]) -> list[str]:
    """Header labels as column names: trimmed; a blank one is named by its position."""
    out = []
    for i, label in enumerate(header):
        label = label.strip().strip('"').strip()
        out.append(label or f"column_{i + 1}")
    return out


def _read_body(name: str, raw: bytes, body: str | None, header_line: int) -> Table:
    """Polars reads `raw`; `body` is its text, decoded only when the slow path needs it."""
    _refuse_wide(name, _first_line(body if body is not None else raw), header_line)
    sample = body[:100_000] if body is not None else raw[:100_000].decode("utf-8", "ignore")
    sep = sniff_delimiter(sample.replace("\r\n", "\n"))
    header = next(csv.reader([_first_line(sample).rstrip("\r")], delimiter=sep), [])
    _refuse_duplicate_headers(name, header, header_line)
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
    if len(header) == frame.width:
        frame.columns = _named(header)
    _refuse_bad_cells(name, frame, line, header_line)
    frame = _tidy(frame).with_columns(line)
    # Polars reads a blank line as a row of nulls, which keeps the line numbers true.
    frame = frame.filter(~pl.all_horizontal(pl.exclude(LINE).is_null()))
    return Table(name, frame, header_line)


def _refuse_bad_cells(name: str, frame: pl.DataFrame, line: pl.Series, header_line: int) -> None:
    """NUL bytes (in a header or a cell) and cells longer than a spreadsheet cell can be."""
    problems = [
        Problem(name, header_line, repr(c), "the header contains a NUL byte: the file is damaged")
        for c in frame.columns
        if "\x00" in c
    ]
    for column in frame.columns:
        if "\x00" in column:
            continue
        cells = frame[column]
        nul = cells.str.contains("\x00", literal=True).fill_null(False)
        long = (cells.str.len_bytes() > MAX_CELL_CHARS).fill_null(False)
        if long.any():
            long = long & (cells.str.len_chars() > MAX_CELL_CHARS).fill_null(False)
        if not (nul.any() or long.any()):
            continue
        for row in (
            pl.DataFrame(
                [line.alias("line"), nul.alias("nul"), cells.alias("cell"), long.alias("long")]
            )
            .filter(pl.col("nul") | pl.col("long"))
            .head(MAX_CELL_PROBLEMS)
            .iter_rows(named=True)
        ):
            if row["nul"]:
                why = "contains a NUL byte (\\0): the file is damaged or not text; remove it"
            else:
                why = (f"a cell of {len(row['cell']):,} characters, over the {MAX_CELL_CHARS:,} "
                       "a spreadsheet cell holds: is a quote left open above it?")  # fmt: skip
            problems.append(Problem(name, row["line"], column, why))
    if problems:
        raise Unreadable(problems[:MAX_CELL_PROBLEMS])


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim names and cells; the usual spellings of 'missing' become null."""
    frame = frame.rename({c: c.strip().strip('"').strip() for c in frame.columns})
    stripped = frame.with_columns(pl.all().str.strip_chars())
    return stripped.with_columns(
        pl.when(pl.col(c).is_in(MISSING)).then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
    )


def read_excel_bytes(name: str, data: bytes) -> Table:
    sheet = _inspect_xlsx(name, data)
    try:
        raw = pl.read_excel(
            io.BytesIO(data), has_header=False, infer_schema_length=0, drop_empty_rows=False
        )
    except Exception as exc:  # fastexcel raises its own error types for broken workbooks
        raise Unreadable(
            Problem(name, None, None, f"not a readable XLSX workbook ({exc})")
        ) from None
    if raw.width > MAX_COLUMNS:
        raise Unreadable(
            Problem(name, None, None, f"the sheet has {raw.width:,} columns, more than the "
                    f"{MAX_COLUMNS:,} a file may have: is this the right file?")
        )  # fmt: skip
    raw = raw.with_columns(pl.all().cast(pl.String))
    # The header is the first row with at least two filled cells (title rows above it are skipped).
    header_idx = 0
    for i, row in enumerate(raw.iter_rows()):
        if sum(1 for v in row if v not in (None, "")) >= 2:
            header_idx = i
            break
    # The sheet's rows as numbered in the spreadsheet: the read starts at its first used row.
    header_line = sheet.first_row + header_idx
    raw_header = ["" if v is None else str(v) for v in raw.row(header_idx)] if raw.height else []
    _refuse_duplicate_headers(name, raw_header, header_line)
    header = _named(raw_header)
    if sheet.formulas:
        problems = []
        for ref, row_number, col_number, why in sheet.formulas[:MAX_CELL_PROBLEMS]:
            i = col_number - sheet.first_col
            column = header[i] if 0 <= i < len(header) and row_number > header_line else None
            problems.append(Problem(name, row_number, column, f"cell {ref} {why}"))
        raise Unreadable(problems)
    body = raw.slice(header_idx + 1)
    body.columns = header
    line = pl.int_range(header_line + 1, header_line + 1 + body.height, dtype=pl.Int64, eager=True)
    _refuse_bad_cells(name, body, line, header_line)
    body = _tidy(body).with_columns(line.alias(LINE))
    body = body.filter(~pl.all_horizontal(pl.exclude(LINE).is_null()))  # blank rows
    return Table(name, body, header_line)


@dataclass
class _Sheet:
    first_row: int = 1
    first_col: int = 1
    # (cell, row, column number, reason) of each formula whose value cannot be trusted
    formulas: list[tuple[str, int, int, str]] = None


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _inspect_xlsx(name: str, data: bytes) -> _Sheet:
    """What fastexcel does not tell: where the first sheet starts (for true line numbers) and
    which formula cells have no value saved by a spreadsheet (fastexcel would read them as
    empty or 0). A workbook that asks to be recalculated on opening (`fullCalcOnLoad`, as
    written by libraries that cannot calculate) holds placeholders, not values."""
    sheet = _Sheet(formulas=[])
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        first = workbook.find(f"{_NS}sheets/{_NS}sheet")
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        target = next(
            r.get("Target") for r in rels if first is not None and r.get("Id") == first.get(_REL)
        )
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        calc = workbook.find(f"{_NS}calcPr")
        placeholders = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
        with book.open(path) as xml:
            head = xml.read(4096)
            dim = re.search(rb'<(?:\w+:)?dimension ref="([A-Z]+)([0-9]+)(?::([A-Z]+))?', head)
            if dim:
                sheet.first_col, sheet.first_row = _col_number(dim[1].decode()), int(dim[2])
                width = _col_number(dim[3].decode()) - sheet.first_col + 1 if dim[3] else 1
                if width > MAX_COLUMNS:  # refused before fastexcel reads a cell of it
                    raise Unreadable(
                        Problem(name, None, None, f"the sheet has {width:,} columns, more than "
                                f"the {MAX_COLUMNS:,} a file may have: is this the right file?")
                    )  # fmt: skip
            has_formula = re.search(rb"<(?:\w+:)?f[ >/]", head) is not None
            while not has_formula and (chunk := xml.read(1 << 20)):
                has_formula = re.search(rb"<(?:\w+:)?f[ >/]", head[-16:] + chunk) is not None
                head = chunk
        if not has_formula:
            return sheet
        with book.open(path) as xml:
            for _, cell in ElementTree.iterparse(xml):
                if cell.tag != f"{_NS}c":
                    continue
                formula = cell.find(f"{_NS}f")
                if formula is not None:
                    value = cell.find(f"{_NS}v")
                    ref = cell.get("r") or ""
                    if value is None or not (value.text or "").strip():
                        why = "is a formula with no saved value: open and save the file in Excel"
                    elif placeholders:
                        why = ("is a formula whose saved value is a placeholder (the file was "
                               "written by a program that does not calculate): open and save "
                               "the file in Excel")  # fmt: skip
                    else:
                        why = None
                    if why and (m := _CELL.fullmatch(ref)):
                        sheet.formulas.append((ref, int(m[2]), _col_number(m[1]), why))
                cell.clear()
    except (KeyError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        pass  # not a regular workbook: fastexcel says what is wrong with it
    return sheet


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def too_big(name: str, size: int) -> Problem | None:
    if size <= MAX_BYTES:
        return None
    return Problem(
        name, None, None, f"the file is over the {MAX_BYTES // 2**20} MB limit; split it"
    )


def read_bytes(name: str, data: bytes) -> Table:
    if problem := too_big(name, len(data)):
        raise Unreadable(problem)
    if data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm")):
        return read_excel_bytes(name, data)
    raw = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    crlf = raw.count(b"\r\n")
    # Not only whitespace (what `raw.strip()` tells, without copying 100 MB to tell it).
    plain = raw and not raw.isspace() and b"\x00" not in raw[:4096] and raw.count(b"\r") == crlf
    if plain and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _refuse_wide(name, _first_line(raw), 1)
        # Fast path: UTF-8 bytes straight to Polars, no decoding round trip in Python.
        try:
            pl.read_csv(raw[: raw.find(b"\n") + 1 or None], infer_schema=False, n_rows=0)
            return _read_body(name, raw.rstrip(b"\r\n"), None, 1)
        except (pl.exceptions.ComputeError, Unreadable) as exc:
            if isinstance(exc, Unreadable) and exc.problem.line is not None:
                raise  # a header or cell problem: the careful path would say the same
            # else not UTF-8, or not parseable: the careful path below says why
    return read_csv_text(name, decode(name, data))


def read_path(path: str | Path) -> Table:
    """Read a file from disk; its size is checked before a byte of it is read."""
    p = Path(path)
    if problem := too_big(p.name, p.stat().st_size):
        raise Unreadable(problem)
    return read_bytes(p.name, p.read_bytes())
