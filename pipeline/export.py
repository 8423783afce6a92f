"""Export: the Parquet tables of an output folder → CSV, JSON Lines or one Excel workbook,
for people and tools that do not read Parquet. Same rows, same order as the Parquet files;
read a row group at a time, so a table of any size is exported in bounded memory.

- CSV: UTF-8 with a byte-order mark (Excel then opens Chinese text correctly); list
  columns joined with `LIST_SEPARATOR`; the clause tags (a list of structs) as JSON.
- JSON Lines: one JSON object per row, lists as lists, dates as `YYYY-MM-DD`.
- xlsx: one sheet per table. Excel holds at most 32,767 characters in a cell (a notice's
  full text is longer: cut, ending in `…`) and 1,048,576 rows in a sheet (more is an error:
  export that table as CSV).
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterator
from pathlib import Path

from .errors import PipelineError
from .output import LIST_SEPARATOR
from .tables import SCHEMAS, atomic_write, open_parquet

EXCEL_MAX_CHARS = 32767
EXCEL_MAX_ROWS = 1_048_576


def rows(directory: Path, table: str) -> Iterator[dict]:
    """The rows of `directory/table.parquet`, in file order, a row group at a time."""
    parquet = open_parquet(directory / f"{table}.parquet")
    for group in range(parquet.num_row_groups):
        yield from parquet.read_row_group(group).to_pylist()


def export(directory: Path, fmt: str, tables: list[str], target: Path) -> list[Path]:
    """Write the tables of `directory` in `fmt` into the folder `target`; returns the files."""
    missing = [t for t in tables if not (directory / f"{t}.parquet").exists()]
    if missing:
        raise PipelineError(f"{directory}: no {missing[0]}.parquet (run `policy-pipeline run … -o {directory}` first)")
    target.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = target / "tables.xlsx"
        atomic_write(path, lambda tmp: _xlsx(directory, tables, tmp))
        return [path]
    written = []
    for table in tables:
        path = target / f"{table}.{fmt}"
        atomic_write(path, lambda tmp, table=table: (_csv if fmt == "csv" else _jsonl)(directory, table, tmp))
        written.append(path)
    return written


def flat(value) -> str | int | float | bool:
    """A cell of CSV or Excel: lists joined with LIST_SEPARATOR (structs as JSON), dates ISO."""
    if value is None:
        return ""
    if isinstance(value, list):
        if any(isinstance(v, dict) for v in value):
            return json.dumps(value, ensure_ascii=False)
        return LIST_SEPARATOR.join("" if v is None else str(v) for v in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _csv(directory: Path, table: str, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SCHEMAS[table].names)
        for row in rows(directory, table):
            writer.writerow([flat(v) for v in row.values()])


def _jsonl(directory: Path, table: str, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows(directory, table):
            handle.write(json.dumps(row, ensure_ascii=False, default=_iso) + "\n")


def _iso(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _xlsx(directory: Path, tables: list[str], path: Path) -> None:
    import xlsxwriter  # only for this format

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    try:
        for table in tables:
            sheet = book.add_worksheet(table[:31])
            sheet.write_row(0, 0, SCHEMAS[table].names)
            for i, row in enumerate(rows(directory, table), start=1):
                if i >= EXCEL_MAX_ROWS:
                    raise PipelineError(f"{table} has more rows than an Excel sheet holds; export it with --format csv")
                sheet.write_row(i, 0, [_excel_cell(flat(v)) for v in row.values()])
    finally:
        book.close()


def _excel_cell(value):
    if isinstance(value, str) and len(value) > EXCEL_MAX_CHARS:
        return value[:EXCEL_MAX_CHARS - 1] + "…"
    return value

