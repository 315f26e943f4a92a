"""Downloads of tables: CSV and Excel files that a spreadsheet cannot run as formulas. Pure."""

from __future__ import annotations

import hashlib
import io
import re

import polars as pl

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe.

    Categorical and enum columns are text too; other types cannot hold a formula.
    """
    pattern = "^[" + "".join("\\" + c if c == "-" else c for c in FORMULA_STARTS) + "]"
    text = [
        c
        for c, t in frame.schema.items()
        if t in (pl.String, pl.Categorical) or isinstance(t, pl.Enum)
    ]
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(pattern))
        .then(pl.lit("'") + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in text
    )


def file_stem(name: str, most: int = 80) -> str:
    """A download's file name (without extension) that is safe everywhere: the ids and labels
    it is made of come from imported data, which may hold path separators, quotes, control
    characters or the characters an Excel sheet name cannot have ([]:*?/\\). Letters, digits
    (any script), `-` and `_` stay; any run of anything else becomes one `_`."""
    stem = re.sub(r"_{2,}", "_", re.sub(r"[^\w\-]+", "_", str(name))).strip("_")
    return stem[:most] or "table"


def csv_file(frame: pl.DataFrame) -> bytes:
    """The table as CSV (UTF-8 with a BOM, so Excel reads accents right), formulas neutralised."""
    return neutralise_formulas(frame).write_csv().encode("utf-8-sig")


def excel_file(frame: pl.DataFrame, name: str) -> bytes:
    """The table as an Excel workbook with one sheet named `name`, formulas neutralised."""
    buffer = io.BytesIO()
    neutralise_formulas(frame).write_excel(buffer, worksheet=name[:31])
    return buffer.getvalue()


def export_files(frame: pl.DataFrame, name: str) -> dict[str, bytes]:
    """The CSV and Excel files of a table, formulas neutralised: {file name: bytes}."""
    name = file_stem(name)
    return {f"{name}.csv": csv_file(frame), f"{name}.xlsx": excel_file(frame, name)}


def fingerprint(frame: pl.DataFrame) -> str | None:
    """A fingerprint of every row (Streamlit's own hash samples big frames)."""
    try:
        rows = frame.hash_rows(seed=0).to_numpy().tobytes()
    except (pl.exceptions.PolarsError, TypeError):
        return None
    return hashlib.sha256(str(frame.schema).encode() + rows).hexdigest()
