"""`policy-pipeline export`: the tables as CSV (with a BOM), JSON Lines and one Excel
workbook — same rows, same order as the Parquet files."""

from __future__ import annotations

import csv
import json
import zipfile

import pyarrow.parquet as pq
import pytest
from conftest import cli

from pipeline.cli import TABLE_NAMES
from pipeline.export import EXCEL_MAX_CHARS, flat
from pipeline.output import LIST_SEPARATOR
from pipeline.tables import SCHEMAS


def test_the_command_knows_every_table():
    assert set(TABLE_NAMES) == set(SCHEMAS)


def test_csv_has_a_bom_and_the_parquet_rows_in_order(corpus_run, tmp_path):
    result = cli("export", "-o", str(corpus_run), "-f", "csv", "--to", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for table in ("documents", "targets", "responsibilities"):
        data = (tmp_path / f"{table}.csv").read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 Chinese only with it
        written = list(csv.DictReader(data.decode("utf-8-sig").splitlines(keepends=True)))
        parquet = pq.read_table(corpus_run / f"{table}.parquet").to_pylist()
        assert len(written) == len(parquet)
        assert [list(r) for r in written[:1]] == [SCHEMAS[table].names]
        assert written == [{k: "" if flat(v) == "" else str(flat(v)) for k, v in row.items()} for row in parquet]
    units = next(r for r in csv.DictReader((tmp_path / "targets.csv").read_text(encoding="utf-8-sig").splitlines())
                 if LIST_SEPARATOR.strip() in r["units"])
    assert units["units"].split(LIST_SEPARATOR)[0] == units["lead_unit"]


def test_jsonl_is_one_object_a_row(corpus_run, tmp_path):
    assert cli("export", "-o", str(corpus_run), "-f", "jsonl", "--table", "clauses", "--table", "documents",
               "--to", str(tmp_path)).returncode == 0
    for table in ("clauses", "documents"):
        lines = (tmp_path / f"{table}.jsonl").read_text(encoding="utf-8").splitlines()
        parquet = pq.read_table(corpus_run / f"{table}.parquet").to_pylist()
        assert [json.loads(line)[SCHEMAS[table].names[0]] for line in lines] == \
            [row[SCHEMAS[table].names[0]] for row in parquet]
    assert not (tmp_path / "targets.jsonl").exists()
    doc = json.loads((tmp_path / "documents.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert isinstance(doc["issuers"], list)


def test_xlsx_has_a_sheet_a_table_and_long_texts_cut(corpus_run, tmp_path):
    assert cli("export", "-o", str(corpus_run), "-f", "xlsx", "--to", str(tmp_path)).returncode == 0
    with zipfile.ZipFile(tmp_path / "tables.xlsx") as book:
        workbook = book.read("xl/workbook.xml").decode()
        for table in TABLE_NAMES:
            assert f'name="{table}"' in workbook
        strings = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
        sheets = "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))
    assert "西吉县" in strings + sheets
    longest = max(len(t) for t in pq.read_table(corpus_run / "documents.parquet").column("text").to_pylist())
    if longest > EXCEL_MAX_CHARS:
        assert "…" in strings + sheets


def test_export_of_a_folder_without_tables_is_one_clear_error(tmp_path):
    result = cli("export", "-o", str(tmp_path), "-f", "csv")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"error: {tmp_path}: no documents.parquet")


@pytest.mark.parametrize("value, cell", [(None, ""), (["a", "b"], "a | b"), ([{"text": "〔责任单位:县教育局〕"}],
                                          '[{"text": "〔责任单位:县教育局〕"}]')])
def test_cells(value, cell):
    assert flat(value) == cell
