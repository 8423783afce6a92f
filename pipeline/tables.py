"""Stage 7, write: table schemas (declared once) and the only code that writes files.

Takes columns or row dicts, gives Parquet files. Each table's pyarrow schema is
declared here and used both to write and to `validate`. `TableWriter` appends a batch's
documents a row group at a time; files are written to a temporary name in the output
folder and renamed into place, so an interrupted run never leaves a half-written table:
the previous one stays intact until the new one is complete.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA_VERSION = "3"  # 2: clauses.page, targets.page; 3: review_status of targets and responsibilities
_META_KEY = b"policy_pipeline.schema_version"
RUN_KEY = b"policy_pipeline.run_key"

TAG = pa.struct([("text", pa.string()), ("start", pa.int32()), ("end", pa.int32())])

SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema([
        ("doc_id", pa.string()), ("source_path", pa.string()), ("sha256", pa.string()),
        ("encoding", pa.string()), ("script", pa.string()), ("title", pa.string()),
        ("title_original", pa.string()), ("doc_number", pa.string()), ("issuers", pa.list_(pa.string())),
        ("issue_date", pa.date32()), ("publish_date", pa.date32()), ("region", pa.string()),
        ("province", pa.string()), ("prefecture", pa.string()), ("county", pa.string()),
        ("admin_code", pa.string()), ("admin_level", pa.string()), ("plan_start_year", pa.int32()),
        ("plan_end_year", pa.int32()), ("n_chars", pa.int32()), ("n_clauses", pa.int32()),
        ("n_targets", pa.int32()), ("text", pa.string()), ("text_original", pa.string()),
        ("pipeline_version", pa.string()),
    ]),
    "clauses": pa.schema([
        ("clause_id", pa.string()), ("doc_id", pa.string()), ("seq", pa.int32()),
        ("paragraph_seq", pa.int32()), ("sentence_seq", pa.int32()), ("section_path", pa.string()),
        ("section_level", pa.int32()), ("is_heading", pa.bool_()), ("text", pa.string()),
        ("text_original", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
        ("categories", pa.list_(pa.string())),
        # Extensions beyond SPEC §5.2: offsets into the decoded source file, and the
        # responsibility tags cut out of this clause (text and offsets in documents.text).
        ("raw_start", pa.int32()), ("raw_end", pa.int32()), ("tags", pa.list_(TAG)),
        ("page", pa.int32()),
    ]),
    "targets": pa.schema([
        ("target_id", pa.string()), ("doc_id", pa.string()), ("clause_id", pa.string()), ("region", pa.string()),
        ("section_path", pa.string()), ("indicator", pa.string()), ("indicator_id", pa.string()),
        ("quantity_kind", pa.string()), ("value", pa.float64()), ("value_max", pa.float64()),
        ("comparator", pa.string()), ("unit", pa.string()), ("per", pa.string()), ("within", pa.string()),
        ("level", pa.string()), ("level_text", pa.string()), ("deadline_year", pa.int32()),
        ("deadline_text", pa.string()), ("deadline_source", pa.string()), ("mention", pa.string()),
        ("start", pa.int32()), ("end", pa.int32()), ("text", pa.string()), ("text_original", pa.string()),
        ("lead_unit", pa.string()), ("units", pa.list_(pa.string())), ("categories", pa.list_(pa.string())),
        ("rule", pa.string()),
        # Extension beyond SPEC §5.3: who the amount is for, so nobody sums across scopes.
        ("scope", pa.string()),
        ("page", pa.int32()),
        ("review_status", pa.string()),
    ]),
    "responsibilities": pa.schema([
        ("doc_id", pa.string()), ("clause_id", pa.string()), ("section_path", pa.string()),
        ("scope", pa.list_(pa.string())), ("unit_raw", pa.string()), ("unit", pa.string()),
        ("unit_type", pa.string()), ("unit_level", pa.string()), ("role", pa.string()), ("rank", pa.int32()),
        ("lead_rule", pa.string()), ("source", pa.string()), ("review_status", pa.string()),
    ]),
    "categories": pa.schema([
        ("doc_id", pa.string()), ("clause_id", pa.string()), ("codebook", pa.string()), ("category", pa.string()),
        ("score", pa.float64()), ("evidence", pa.list_(pa.string())),
    ]),
    "region_category": pa.schema([
        ("region", pa.string()), ("codebook", pa.string()), ("category", pa.string()), ("clauses", pa.int32()),
        ("targets", pa.int32()), ("quantified_targets", pa.int32()), ("targets_with_deadline", pa.int32()),
        ("targets_with_lead_unit", pa.int32()),
    ]),
    "region_indicator": pa.schema([
        ("indicator_id", pa.string()), ("region", pa.string()), ("value", pa.float64()), ("value_max", pa.float64()),
        ("unit", pa.string()), ("comparator", pa.string()), ("level", pa.string()), ("scope", pa.string()),
        ("deadline_year", pa.int32()), ("mention", pa.string()), ("indicator", pa.string()),
        ("target_id", pa.string()),
    ]),
    "errors": pa.schema([
        ("source_path", pa.string()), ("sha256", pa.string()), ("stage", pa.string()),
        ("error_type", pa.string()), ("message", pa.string()),
    ]),
}
# Columns that must never be null (checked by `validate`).
REQUIRED = {
    "documents": {"doc_id", "source_path", "sha256", "encoding", "script", "n_chars", "n_clauses", "text",
                  "text_original", "pipeline_version"},
    "clauses": {"clause_id", "doc_id", "seq", "paragraph_seq", "sentence_seq", "section_path", "section_level",
                "is_heading", "text", "text_original", "start", "end"},
    "targets": {"target_id", "doc_id", "clause_id", "section_path", "quantity_kind", "deadline_source", "mention",
                "start", "end", "text", "text_original", "rule"},
    "responsibilities": {"doc_id", "clause_id", "section_path", "scope", "unit_raw", "unit", "role", "rank",
                         "source"},
    "categories": {"doc_id", "clause_id", "codebook", "category", "score", "evidence"},
    "region_category": {"region", "codebook", "category", "clauses", "targets", "quantified_targets",
                        "targets_with_deadline", "targets_with_lead_unit"},
    "region_indicator": {"indicator_id", "region", "mention", "target_id"},
    "errors": {"source_path", "stage", "error_type", "message"},
}
# A row group closes at whichever comes first: readers skip row groups by their
# statistics, and the writer holds at most one open row group per table in memory.
ROW_GROUP_SIZE = 64 * 1024
ROW_GROUP_BYTES = 8 * 1024 * 1024
SHARED_MIN_CHARS = 1 << 20
FEW_ROWS = 64  # up to this many rows, columns_table converts row by row (see there)
MAX_PENDING_PIECES = 256  # pieces held before they are compacted into one table
RELEASE_INTERVAL = 1.0  # seconds between heap trims while tables are written
PARQUET_OPTIONS = {"compression": "zstd", "write_statistics": True, "write_page_index": True}
# A part of a dataset holds a few notices (about ten): a dictionary per column finds few
# repeats there that zstd does not, and building it is much of what a small file costs.
# Parts of the 100 MB benchmark without it: 10 % less time to write, 8 % smaller. A whole
# table in one file keeps it (the same notice text repeated across a corpus: 35 % smaller).
PART_OPTIONS = {**PARQUET_OPTIONS, "use_dictionary": False}


def use_returning_allocator() -> None:
    """Arrow's default allocator (mimalloc) keeps the memory it frees for reuse, and a
    batch run allocates in waves (a row group, then the region_indicator sort): the sort
    of 1 GB of targets peaked 175 MB over its base with it, 125 MB with the C library's
    allocator, which gives freed memory back on `release_memory()`. For this process
    only; an explicit ARROW_DEFAULT_MEMORY_POOL is respected."""
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


_last_release = 0.0


def release_memory(every: float = 0.0) -> None:
    """Hand memory Arrow freed back to the operating system (between phases of a run);
    with `every`, only if that many seconds have passed since the last time."""
    global _last_release
    now = time.monotonic()
    if now - _last_release >= every:
        pa.default_memory_pool().release_unused()
        _last_release = now


def schema_of(name: str, run_key: str | None = None) -> pa.Schema:
    """The declared schema with its version, and the run that wrote the table (`validate`
    checks that every table of a folder comes from the same run)."""
    metadata = {_META_KEY: SCHEMA_VERSION.encode()}
    if run_key:
        metadata[RUN_KEY] = run_key.encode()
    return SCHEMAS[name].with_metadata(metadata)


def to_table(name: str, rows: list[dict[str, Any]], shared: tuple[str, ...] = ()) -> pa.Table:
    """Rows (dicts) → table `name`; a value that does not fit its column raises."""
    return columns_table(name, columns_of(name, rows), shared)


def columns_of(name: str, rows: list[dict[str, Any]]) -> dict[str, list]:
    """Rows → the columns of table `name` (a key a row lacks is null)."""
    return {f.name: [row.get(f.name) for row in rows] for f in SCHEMAS[name]}


def columns_table(name: str, columns: dict[str, Any], shared: tuple[str, ...] = ()) -> pa.Table:
    """Columns (name → values) → table `name`; a value that does not fit its column raises.

    Columns named in `shared` repeat a few long values (each target carries its clause's
    text): they are dictionary-encoded, so 20,000 targets of one 100,000-character clause
    hold that text once, not 20,000 times; `TableWriter` decodes them a row group at a time.
    Below SHARED_MIN_CHARS in all, plain strings are cheaper to write."""
    schema = _declared(name)
    given = [columns[f.name] for f in schema]
    built = [isinstance(values, pa.Array) for values in given]  # as Arrow already (core.py: slices, numbered)
    encode = [not arrow and f.name in shared and sum(len(v) for v in values if v) > SHARED_MIN_CHARS
              for f, values, arrow in zip(schema, given, built, strict=True)]
    rows = len(given[0]) if given else 0
    if 0 < rows <= FEW_ROWS and not any(built) and not any(encode):
        # A document's row, its responsibilities, most notices' targets: converted row by row
        # in one call. Converting a column costs ~3 µs however short it is, more than these
        # few values do (documents, targets and responsibilities of the 5 MB sample: 20.2
        # -> 13.4 ms a MB).
        table = pa.Table.from_struct_array(pa.array(list(zip(*given, strict=True)), _row_type(name)))
        return table.replace_schema_metadata(schema.metadata)
    arrays = []
    for f, values, arrow, encoded in zip(schema, given, built, encode, strict=True):
        if arrow:
            arrays.append(values)
        elif encoded:
            index: dict[Any, int] = {}
            codes = [index.setdefault(v, len(index)) for v in values]
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(list(index), f.type)))
        else:
            arrays.append(pa.array(values, f.type))  # chunked when a column passes 2 GB
    if any(encode):
        schema = pa.schema([f.with_type(a.type) for f, a in zip(schema, arrays, strict=True)], metadata=schema.metadata)
    return pa.Table.from_arrays(arrays, schema=schema)


@cache
def _declared(name: str) -> pa.Schema:
    """schema_of(name), made once: columns_table runs five times a document."""
    return schema_of(name)


@cache
def _row_type(name: str) -> pa.StructType:
    """A row of table `name` as one struct (columns_table's few rows)."""
    return pa.struct(list(_declared(name)))


def repeated(value: str, n: int) -> pa.Array:
    """`value` n times as a string column, made in C: a notice's doc_id on each of its
    clauses and codes (converting the list of the same string n times cost 2 ms a MB)."""
    return pa.repeat(pa.scalar(value, pa.string()), n)


def counted(n: int) -> pa.Array:
    """0, 1, … n - 1 as an int32 column (a notice's clause seqs)."""
    return pa.array(np.arange(n, dtype=np.int32))


# The format's defaults, made once: without options pyarrow reads two environment variables
# and builds its options for every stream, five a notice (4 % of packing a notice's tables).
# The cache's bytes then do not depend on a variable meant for readers of 0.14 and older.
_IPC_OPTIONS = pa.ipc.IpcWriteOptions()


def ipc_bytes(table: pa.Table) -> bytes:
    """A table as an Arrow IPC stream (how results travel and are cached). Uncompressed:
    compressing buffer by buffer cost 3 ms a document; the cache compresses whole entries."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_IPC_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def ipc_table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


class TableWriter:
    """One table written batch by batch into a temporary file, in row groups of about
    ROW_GROUP_SIZE rows or ROW_GROUP_BYTES, then renamed into place by `commit`.

    Memory stays at one open row group whatever the size of the batch; an interrupted
    run leaves the previous table untouched (the temporary file is removed by `abort`
    or by the next run)."""

    def __init__(self, directory: Path, name: str, run_key: str | None = None, file: str | None = None) -> None:
        self.name = name
        self.path = directory / f"{file or name}.parquet"  # file: a part's name in a dataset folder
        self.schema = schema_of(name, run_key)
        self.tmp = _temporary(self.path)
        self.writer = pq.ParquetWriter(self.tmp, self.schema, **(PARQUET_OPTIONS if file is None else PART_OPTIONS))
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = self.pending_bytes = 0
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        for piece in _decoded(table, self.schema):
            self.pending.append(piece)
            self.pending_rows += piece.num_rows
            # nbytes walks every buffer to allow for slicing (30 µs a call, 7 % of a run
            # rewritten from the cache); a table as it came has nothing sliced to allow for.
            self.pending_bytes += piece.get_total_buffer_size() if piece is table else piece.nbytes
            self.rows += piece.num_rows
            if self.pending_rows >= ROW_GROUP_SIZE or self.pending_bytes >= ROW_GROUP_BYTES:
                self._flush()
            elif len(self.pending) >= MAX_PENDING_PIECES:
                self._compact()

    def _compact(self) -> None:
        """The pending pieces as one contiguous table. Each piece of a small document keeps
        the whole Arrow stream it came in alive (kilobytes of headers and padding for a row),
        so 20,000 one-line notices held 1.5 GB before their row group was full."""
        table = pa.concat_tables(self.pending).combine_chunks()
        self.pending, self.pending_bytes = [table], table.nbytes

    def _flush(self) -> None:
        if self.pending:
            table = pa.concat_tables(self.pending)
            self.writer.write_table(table, row_group_size=2 * ROW_GROUP_SIZE)
        self.pending, self.pending_rows, self.pending_bytes = [], 0, 0
        # The row group's buffers are free now; the C library keeps freed memory in its
        # heap unless asked, and a long run's heap grew ~4 KB a document that way. Once a
        # second at most: every trim costs page faults when the heap grows again.
        release_memory(every=RELEASE_INTERVAL)

    def close(self) -> None:
        """Finish the temporary file (all row groups and the footer), not yet in place."""
        self._flush()
        self.writer.close()
        _seal(self.tmp)

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        except Exception:  # already closed, or the disk is full: the file goes anyway
            pass
        self.tmp.unlink(missing_ok=True)


class TableWriters(dict):
    """TableWriters by table name, finished together or not at all: used as a context,
    every one is closed and renamed into place when the block ends normally, and every
    one is removed when it raises or calls `discard`."""

    discarded = False

    def __enter__(self) -> TableWriters:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None and not self.discarded:
            try:
                for writer in self.values():
                    writer.close()
            except BaseException:
                self._abort()
                raise
            for writer in self.values():
                writer.commit()
        else:
            self._abort()

    def discard(self) -> None:
        self.discarded = True

    def _abort(self) -> None:
        for writer in self.values():
            writer.abort()


def atomic_write(path: Path, write: callable) -> None:
    """Call write(tmp_path), then rename tmp_path to path (same folder, same filesystem)."""
    tmp = _temporary(path)
    try:
        write(tmp)
        _seal(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temporary(path: Path) -> Path:
    """An empty temporary file beside `path` (same filesystem, so renaming is atomic);
    its name starts with a dot and ends in .tmp, which the next run cleans up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _seal(tmp: Path) -> None:
    """On disk before it is renamed into place, readable like any file the user writes."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; tables are meant to be shared


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _decoded(table: pa.Table, schema: pa.Schema) -> Iterator[pa.Table]:
    """`table` in the writer's schema: dictionary-encoded columns decoded in slices of at
    most about ROW_GROUP_BYTES, so decoding never materialises more than a row group."""
    if table.schema.equals(schema):
        yield table
        return
    import pyarrow.compute as pc  # 50 ms to import: only for the rare encoded table

    encoded = [i for i, f in enumerate(table.schema) if pa.types.is_dictionary(f.type)]
    sizes = np.zeros(table.num_rows, dtype=np.int64)
    for i in encoded:
        column = table.column(i).combine_chunks()
        if not len(column.dictionary):  # every value null: nothing to decode, nothing to count
            continue
        lengths = pc.fill_null(pc.binary_length(column.dictionary), 0).to_numpy()
        sizes += lengths[pc.fill_null(column.indices, 0).to_numpy()]  # a null counts as the first value: a bound
    ends = np.cumsum(sizes)
    start = 0
    while start < table.num_rows:
        budget = (ends[start - 1] if start else 0) + ROW_GROUP_BYTES
        stop = max(start + 1, int(np.searchsorted(ends, budget, side="right")))
        yield table.slice(start, stop - start).cast(schema)
        start = stop


# --- the dataset layout: a table as a folder of part files ---------------------------
#
# `run --layout dataset` (the default on a cluster, pipeline/dataset.py) writes each table as
# a folder named like the file it replaces, `targets.parquet/part-00000.parquet` …: DuckDB
# (`FROM 'outputs/targets.parquet'`), pandas and pyarrow read the folder with the same
# call as the file, and so does everything here through `open_parquet`.

PART_PATTERN = "part-*.parquet"


def part_name(index: int) -> str:
    return f"part-{index:05d}"


def table_files(path: Path) -> list[Path]:
    """The Parquet files of a table: the file itself, or a dataset folder's parts in order
    (by name: comparing thousands of paths part by part took longer than listing them)."""
    return sorted(path.glob(PART_PATTERN), key=lambda part: part.name) if path.is_dir() else [path]


class _Parts:
    """A dataset folder read like one `pq.ParquetFile`: the row groups of each part in turn.
    One part is open at a time (a folder may hold thousands); `filesystem` reads parts that
    are not on the local disk."""

    def __init__(self, files: list, filesystem: Any = None, **options: Any) -> None:
        if not files:
            raise ValueError("a dataset folder without part files")
        self.options, self.filesystem = options, filesystem
        self.groups = [(f, g) for f in files
                       for g in range(pq.read_metadata(f, filesystem=filesystem).num_row_groups)]
        self.num_row_groups = len(self.groups)
        self.schema_arrow = pq.read_schema(files[0], filesystem=filesystem)
        self._open: tuple[Any, pq.ParquetFile] | None = None

    def read_row_group(self, i: int, **options: Any) -> pa.Table:
        path, group = self.groups[i]
        if self._open is None or self._open[0] != path:
            self._open = (path, pq.ParquetFile(path, filesystem=self.filesystem, **self.options))
        return self._open[1].read_row_group(group, **options)


def open_parquet(path: Path | str, **options: Any) -> pq.ParquetFile | _Parts:
    """A table file, or a dataset folder of parts (local, or at an fsspec URL), for reading
    a row group at a time."""
    if isinstance(path, str):  # a URL (pipeline/storage.py)
        from .storage import parts

        files, filesystem = parts(path)
        return _Parts(files, filesystem, **options)
    return _Parts(table_files(path), **options) if path.is_dir() else pq.ParquetFile(path, **options)


def write_table(directory: Path, name: str, rows: list[dict[str, Any]], run_key: str | None = None) -> Path:
    return write_arrow(directory, name, to_table(name, rows), run_key)


def write_arrow(directory: Path, name: str, table: pa.Table, run_key: str | None = None) -> Path:
    path = directory / f"{name}.parquet"
    table = table.replace_schema_metadata(schema_of(name, run_key).metadata)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, row_group_size=ROW_GROUP_SIZE, **PARQUET_OPTIONS))
    return path


def json_text(data: Any) -> str:
    """How the manifest and other JSON files are written: stable key order, readable."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_json(path: Path, data: Any) -> None:
    text = json_text(data)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def validate(directory: Path, names: Iterable[str] | None = None) -> list[str]:
    """Problems found in the tables of `directory` (empty list: all valid). Reads one row
    group at a time, so tables of any size are checked in bounded memory."""
    problems: list[str] = []
    found = set()
    run_keys: dict[str, str] = {}  # table → the run key in its metadata, as each footer is read
    for name in names or SCHEMAS:
        path = directory / f"{name}.parquet"
        if not path.exists():
            problems.append(f"{path}: missing")
            continue
        try:
            table_problems = _check_table(path, name, run_keys)
        except Exception as exc:  # unreadable or truncated file
            problems.append(f"{path}: unreadable Parquet ({exc.__class__.__name__}: {exc})")
            continue
        problems.extend(table_problems)
        if not table_problems:
            found.add(name)
    problems.extend(_check_one_run(directory, run_keys))
    problems.extend(_check_parts(directory))
    if {"documents", "clauses"} <= found:
        problems.extend(_check_spans(directory, "clauses", "clause_id",
                                     {"text": "text", "text_original": "text_original"}, "text"))
    if {"documents", "targets"} <= found:
        problems.extend(_check_spans(directory, "targets", "target_id", {"mention": "text"}, "mention"))
    return problems


def _check_one_run(directory: Path, keys: dict[str, str]) -> list[str]:
    """Every table carries the run key of the run that wrote it (`keys`: table → key); in
    a folder written by `run`, all of them must be the manifest's (a table left over from
    another run is stale, whatever its schema)."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8")).get("run_key")
    except (OSError, ValueError, AttributeError):
        manifest = None
    expected = manifest or next(iter(sorted(set(keys.values()) - {""})), None)
    if expected is None:
        return []  # tables written one by one (not by `run`): nothing to compare
    return [f"{directory / name}.parquet: from another run (run key {key[:12] or 'none'}, the set's is "
            f"{expected[:12]}): a stale table" for name, key in keys.items() if key != expected]


def _check_parts(directory: Path) -> list[str]:
    """In the dataset layout, each table folder holds exactly the parts its manifest lists:
    a part left by a worker of an unfinished run, or one gone, is a problem."""
    try:
        parts = json.loads((directory / "manifest.json").read_text(encoding="utf-8")).get("parts") or {}
    except (OSError, ValueError, AttributeError):
        return []
    problems = []
    for name, listed in sorted(parts.items()):
        found = {str(p.relative_to(directory)) for p in table_files(directory / f"{name}.parquet")}
        problems += [f"{directory / p}: a part the manifest does not list" for p in sorted(found - set(listed))]
        problems += [f"{directory / p}: listed in the manifest, missing" for p in sorted(set(listed) - found)]
    return problems


def _check_table(path: Path, name: str, run_keys: dict[str, str]) -> list[str]:
    """Schema version, column types, and nulls in required columns of one table (each
    part of a dataset folder); its run key goes into `run_keys` (for `_check_one_run`)."""
    files = table_files(path)
    if not files:
        return [f"{path}: a dataset folder without part files"]
    problems = []
    for file in files:
        problems += _check_file(file, name, run_keys)
    return problems


def _check_file(path: Path, name: str, run_keys: dict[str, str]) -> list[str]:
    problems = []
    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    expected = SCHEMAS[name]
    key = (schema.metadata or {}).get(RUN_KEY, b"").decode()
    if run_keys.setdefault(name, key) != key:
        problems.append(f"{path}: from another run than the other parts (run key {key[:12] or 'none'})")
    version = (schema.metadata or {}).get(_META_KEY, b"?").decode()
    if version != SCHEMA_VERSION:
        problems.append(f"{path}: schema version {version}, expected {SCHEMA_VERSION}")
    actual = {f.name: f.type for f in schema}
    for field in expected:
        if field.name not in actual:
            problems.append(f"{path}: column {field.name} missing")
        elif actual[field.name] != field.type:
            problems.append(f"{path}: column {field.name} is {actual[field.name]}, expected {field.type}")
    for extra in sorted(set(actual) - set(expected.names)):
        problems.append(f"{path}: unexpected column {extra}")
    required = sorted(c for c in REQUIRED.get(name, ()) if c in actual)
    nulls = dict.fromkeys(required, 0)
    for group in range(parquet.num_row_groups):  # each is read: a truncated file fails here
        batch = parquet.read_row_group(group, columns=required or None, use_threads=False)
        for column in required:
            nulls[column] += batch.column(column).null_count
    problems += [f"{path}: column {c} has {n} nulls" for c, n in nulls.items() if n]
    return problems


class _DocumentTexts:
    """Texts of documents.parquet by doc_id, one row group in memory at a time (rows of
    the other tables come in document order, so each row group is read about once)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.file = open_parquet(path)
        self.columns = columns
        self.group_of: dict[str, int] = {}
        for g in range(self.file.num_row_groups):
            for doc_id in self.file.read_row_group(g, columns=["doc_id"]).column(0).to_pylist():
                self.group_of[doc_id] = g
        self.loaded: int | None = None
        self.texts: dict[str, dict[str, str]] = {}

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.group_of

    def get(self, doc_id: str, column: str) -> str:
        group = self.group_of[doc_id]
        if group != self.loaded:
            table = self.file.read_row_group(group, columns=["doc_id", *self.columns], use_threads=False)
            ids = table.column("doc_id").to_pylist()
            self.texts = {c: dict(zip(ids, table.column(c).to_pylist(), strict=True)) for c in self.columns}
            self.loaded = group
        return self.texts[column][doc_id]


def _check_spans(directory: Path, name: str, id_column: str, columns: dict[str, str], what: str) -> list[str]:
    """Every row's `columns` (table column → documents column) are exactly what its
    start/end offsets point at in its document."""
    texts = _DocumentTexts(directory / "documents.parquet", sorted(set(columns.values())))
    problems = []
    rows = open_parquet(directory / f"{name}.parquet")
    for group in range(rows.num_row_groups):
        for row in rows.read_row_group(group, columns=[id_column, "doc_id", "start", "end", *columns],
                                       use_threads=False).to_pylist():
            if row["doc_id"] not in texts:
                problems.append(f"{directory}/{name}.parquet: {row[id_column]} has no document")
            elif any(texts.get(row["doc_id"], doc_col)[row["start"]:row["end"]] != row[col]
                     for col, doc_col in columns.items()):
                problems.append(f"{directory}/{name}.parquet: {row[id_column]} {what} does not match its offsets")
            if len(problems) > 20:
                problems.append("… (more offset problems not shown)")
                return problems
    return problems
