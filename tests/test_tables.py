"""tables: records and schema agree, write → read round-trips, writes are atomic and
`validate` catches what it should."""

from __future__ import annotations

import dataclasses
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, process_text

from pipeline import tables
from pipeline.extract import extract
from pipeline.run import document_rows


def test_rows_and_schemas_agree(lex):
    text = "一、主要目标\n到2027年,培养县级骨干教师100名。(责任单位:县教育局)\n"
    rows = document_rows(extract(process_text(text, lex), lex))
    assert rows["targets"], "the example sentence states a target"
    for name in ("documents", "clauses", "targets"):
        for row in rows[name]:
            assert set(row) == set(tables.SCHEMAS[name].names), name
            tables.to_table(name, [row])  # raises if a value does not fit its column type


def test_write_then_read_round_trips(tmp_path, lex):
    rows = document_rows(extract(process_text("一、主要目标\n到2027年,培养县级骨干教师100名。\n", lex), lex))
    rows["documents"][0]["issue_date"] = date(2024, 2, 18)
    for name in ("documents", "clauses"):
        path = tables.write_table(tmp_path, name, rows[name])
        assert pq.read_table(path).to_pylist() == rows[name]
    assert tables.validate(tmp_path, ["documents", "clauses"]) == []


def test_a_failed_write_leaves_the_previous_table_intact(tmp_path, monkeypatch):
    row = {"source_path": "a.txt", "sha256": None, "stage": "read", "error_type": "empty", "message": "empty file"}
    path = tables.write_table(tmp_path, "errors", [row])
    before = path.read_bytes()

    def explode(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half a file")
        raise KeyboardInterrupt  # as if the user pressed ^C mid-write

    monkeypatch.setattr(tables.pq, "write_table", explode)
    with pytest.raises(KeyboardInterrupt):
        tables.write_table(tmp_path, "errors", [row, row])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["errors.parquet"]  # no temporary file left


def test_validate_finds_schema_problems(tmp_path):
    import pyarrow as pa

    pq.write_table(pa.table({"source_path": ["a"], "stage": [1]}), tmp_path / "errors.parquet")
    problems = tables.validate(tmp_path, ["errors"])
    assert any("schema version" in p for p in problems)
    assert any("column stage is int64, expected string" in p for p in problems)
    assert any("column message missing" in p for p in problems)


def test_validate_finds_offsets_that_do_not_match(tmp_path, lex):
    rows = document_rows(extract(process_text("到2027年,培养县级骨干教师100名。\n", lex), lex))
    rows["clauses"][1]["start"] += 1
    tables.write_table(tmp_path, "documents", rows["documents"])
    tables.write_table(tmp_path, "clauses", rows["clauses"])
    assert any("does not match its offsets" in p for p in tables.validate(tmp_path, ["documents", "clauses"]))


def test_records_are_frozen():
    from pipeline import model

    for record in (model.Source, model.Decoded, model.Cleaned, model.Normalized, model.Structured,
                   model.Segmented, model.Clause, model.Metadata, model.Paragraph, model.Heading, model.Tag):
        assert dataclasses.is_dataclass(record) and record.__dataclass_params__.frozen, record


def test_large_tables_are_row_groups_that_readers_skip_by_region_and_year(tmp_path, monkeypatch):
    """Row groups carry min/max statistics: a reader filtering on region or year opens
    only the row groups that can match (here made small, so the seeds span several)."""
    import pyarrow.dataset as ds
    from conftest import CORPUS

    from pipeline.run import run

    monkeypatch.setattr(tables, "ROW_GROUP_SIZE", 10)
    run([CORPUS], tmp_path, progress=False)
    targets = ds.dataset(tmp_path / "targets.parquet")
    (fragment,) = targets.get_fragments()
    groups = fragment.split_by_row_group()
    assert len(groups) >= 4
    region = pq.read_table(tmp_path / "documents.parquet", columns=["region"]).column(0)[0].as_py()
    for condition in (ds.field("region") == region, ds.field("deadline_year") == 2026):
        kept = fragment.split_by_row_group(condition)
        assert 0 < len(kept) < len(groups), condition
        expected = targets.to_table(filter=condition)
        assert ds.dataset(tmp_path / "targets.parquet").to_table(filter=condition).num_rows == expected.num_rows
        assert sum(g.to_table(filter=condition).num_rows for g in kept) == expected.num_rows  # none lost
    clauses = pq.ParquetFile(tmp_path / "clauses.parquet").metadata
    assert clauses.num_row_groups > 1
    assert all(clauses.row_group(i).column(0).statistics.has_min_max for i in range(clauses.num_row_groups))


def test_a_run_failing_midway_leaves_the_previous_tables_and_no_temporary_files(tmp_path, monkeypatch):
    """The disk fills up while the third document is appended: the run fails, and every
    table of the previous run is still there, byte for byte."""
    from conftest import CORPUS

    from pipeline.run import run

    run([CORPUS], tmp_path, progress=False)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.parquet")}
    added = []

    def add(self, table):
        added.append(self.name)
        if len(added) > 12:
            raise OSError(28, "No space left on device")
        return original(self, table)

    original = tables.TableWriter.add
    monkeypatch.setattr(tables.TableWriter, "add", add)
    with pytest.raises(OSError):
        run([CORPUS], tmp_path, full=True, progress=False)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.parquet")} == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_run_uses_the_allocator_that_gives_memory_back(monkeypatch):
    previous = pa.default_memory_pool()
    try:
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
        tables.use_returning_allocator()
        assert pa.default_memory_pool().backend_name == "system"
        pa.set_memory_pool(previous)
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", previous.backend_name)
        tables.use_returning_allocator()  # the user's explicit choice stands
        assert pa.default_memory_pool().backend_name == previous.backend_name
    finally:
        pa.set_memory_pool(previous)


def test_a_result_is_written_from_the_tables_it_was_made_from_but_travels_as_streams():
    """`pack` keeps the Arrow tables it made beside their IPC streams, so the process that
    made them writes them without reading the streams back; a result sent to another
    process (pickled) carries the streams only."""
    import pickle

    from pipeline import run

    packed = run.pack(run.process_source(run.Source.of("one.txt", run.WARM_UP.encode()), run.Options()))
    assert set(packed.made) == set(run.STREAMED)
    assert all(packed.table(name) is packed.made[name][1] for name in run.STREAMED)
    travelled = pickle.loads(pickle.dumps(packed))
    assert travelled.made == {} and travelled.tables == packed.tables
    assert all(travelled.table(name).equals(packed.table(name)) for name in run.STREAMED)


@pytest.mark.parametrize("path", sorted(CORPUS.rglob("*.txt"))[:6], ids=lambda p: p.name)
def test_a_table_counts_the_same_bytes_as_made_or_read_back(path):
    """TableWriter cuts row groups by the bytes of the tables it is given: a notice's tables
    as made here (row by row when short, column by column when long) and as read back from
    their streams (the cache, another worker) must count alike, or the same input would
    give other row groups on a re-run."""
    from pipeline import run
    from pipeline.model import Source

    packed = run.pack(run.process_source(Source.of(path.name, path.read_bytes()), run.Options()))
    for name, (stream, made) in packed.made.items():
        read = tables.ipc_table(stream)
        assert read.equals(made), name
        assert made.get_total_buffer_size() == read.get_total_buffer_size() or not made.num_rows, name
