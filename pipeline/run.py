"""The batch: input paths → tables in an output folder.

`STAGES` is the whole pipeline, one explicit tuple. `process_source` runs it on one
file and returns that file's columns (or one `errors` row); `run` does it for every
input file, in worker processes (one per core by default), reusing the results of
unchanged documents from the previous run (cache keyed by file hash, pipeline version
and lexicon fingerprint). Results are streamed, in path order, into the tables a row
group at a time, so memory does not grow with the corpus; tables are renamed into
place only when all are complete, under a lock so two runs never interleave.
"""

from __future__ import annotations

import fcntl
import hashlib
import heapq
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__, compare, core, dataset, heap, regexes, storage
from .clean import clean
from .cluster import TASK_DOCUMENTS, dask_map
from .errors import InputError, PipelineError, check_stop
from .extract import extract
from .extract.units import lead_and_units
from .lexicons import DEFAULT_DIR, Lexicons, cached_lexicons
from .model import Extracted, Source
from .normalize import normalize
from .read import DEFAULT_MAX_BYTES, irregular, load_source, read
from .reviews import apply_reviews, load_reviews, reviews_by_document
from .segment import segment
from .structure import structure
from .tables import (
    SCHEMA_VERSION,
    SCHEMAS,
    TableWriter,
    TableWriters,
    columns_of,
    columns_table,
    counted,
    ipc_bytes,
    ipc_table,
    open_parquet,
    release_memory,
    repeated,
    umask,
    write_json,
    write_table,
)

STAGES: tuple[tuple[str, Callable[[Any, Lexicons], Any]], ...] = (
    ("read", lambda source, lex: read(source)),
    ("clean", clean),
    ("normalize", lambda cleaned, lex: normalize(cleaned)),
    ("structure", structure),
    ("segment", segment),
    ("extract", extract),
)
INPUT_SUFFIXES = {".txt", ".text", ".html", ".htm", ".xhtml", ".shtml", ".pdf", ".docx", ".doc", ""}
TABLES = ("documents", "clauses", "targets", "responsibilities", "categories", "errors")
STREAMED = dataset.STREAMED_TABLES  # the tables each document adds rows to
SHARED = {"targets": ("text", "text_original")}  # columns repeating one value per clause
COMPARISONS = ("region_category", "region_indicator")


class RunError(PipelineError):
    """The run as a whole cannot go on (output folder locked, no inputs …)."""

    error_type = "run"


@dataclass(frozen=True)
class Options:
    lexicons: str = str(DEFAULT_DIR)
    max_bytes: int = DEFAULT_MAX_BYTES
    codebooks: tuple[str, ...] = ()  # extra codebook files (run --codebook)
    reviews: tuple[str, ...] = ()  # reviews.jsonl files to apply (run --reviews; pipeline/reviews.py)
    layout: str = "file"  # "dataset": each table a folder of part files (run --layout; pipeline/dataset.py)
    part_size: int = 0  # inputs a part in the dataset layout; 0: dataset.part_size chooses

    def lex(self) -> Lexicons:
        return cached_lexicons(self.lexicons, self.codebooks)


@dataclass
class DocResult:
    """One input processed: its tables' columns, or the one `errors` row saying why not."""

    source_path: str
    sha256: str | None
    columns: dict[str, Columns] = field(default_factory=dict)  # table → columns
    errors: list[dict] = field(default_factory=list)

    def rows(self, name: str) -> list[dict]:
        return self.errors if name == "errors" else rows_of(self.columns[name])


@dataclass
class Packed:
    """One input's result as the batch writer takes it: its tables as Arrow IPC streams
    built in the worker (the parent only decodes and appends them; the same bytes are the
    cache entry, read back at ~0.1 ms a document where unpickling Arrow objects took 4),
    the document's share of `region_category`, and the few fields the summary and
    manifest need."""

    source_path: str
    sha256: str | None
    doc: dict | None  # doc_id, sha256, n_clauses, region; None when the input failed
    tables: dict[str, bytes] = field(default_factory=dict)  # table → Arrow IPC stream
    errors: list[dict] = field(default_factory=list)
    counts: compare.Counts = field(default_factory=dict)
    cached: bool = False
    # table → (its stream, the table it was made from), while the process that made them
    # holds them: written without reading the stream back. A stream replaced since (a
    # reviewer's decisions) is read; another process gets the streams only.
    made: dict[str, tuple[bytes, Any]] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "made": {}}

    def table(self, name: str):
        """The table `name` as pyarrow.Table, under the path this run knows the file by."""
        stream, made = self.made.get(name, (None, None))
        table = made if stream is not None and stream is self.tables[name] else ipc_table(self.tables[name])
        if name == "documents" and table.column("source_path")[0].as_py() != self.source_path:
            i = table.schema.get_field_index("source_path")  # a cached file that has moved
            table = table.set_column(i, table.schema.field(i), [[self.source_path] * table.num_rows])
        return table


def pack(result: DocResult) -> Packed:
    columns = result.columns
    if not columns:
        return Packed(result.source_path, result.sha256, None, errors=result.errors)
    d = rows_of(columns["documents"])[0]
    doc = {"doc_id": d["doc_id"], "sha256": d["sha256"], "n_clauses": d["n_clauses"],
           "region": d["region"] or compare.UNKNOWN_REGION}
    made = {name: columns_table(name, columns[name], SHARED.get(name, ())) for name in STREAMED}
    streams = {name: ipc_bytes(table) for name, table in made.items()}
    return Packed(result.source_path, result.sha256, doc, streams, errors=result.errors,
                  counts=compare.document_counts(columns["categories"], columns["targets"]),
                  made={name: (streams[name], table) for name, table in made.items()})


def _relabel(packed: Packed, display: str) -> Packed:
    """A cached result under the path this run knows the file by (it may have moved)."""
    packed.errors = [{**e, "source_path": display} for e in packed.errors]
    packed.source_path = display
    return packed


@dataclass
class Summary:
    inputs: int = 0
    documents: int = 0
    clauses: int = 0
    targets: int = 0
    responsibilities: int = 0
    categories: int = 0
    errors: int = 0
    cached: int = 0
    written: bool = False  # False when nothing could be processed: earlier tables stay
    error_rows: list[dict] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""


# --- one document -----------------------------------------------------------------

Columns = dict[str, Any]  # column name → values (a list, or an Arrow array), one table of one document


def document_rows(doc: Extracted) -> dict[str, list[dict]]:
    """The document's rows of each table, as dicts (for printing and tests)."""
    return {name: rows_of(columns) for name, columns in document_columns(doc).items()}


def rows_of(columns: Columns) -> list[dict]:
    values = [v if isinstance(v, list | tuple) else v.to_pylist() for v in columns.values()]  # lists or Arrow arrays
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def document_columns(doc: Extracted) -> dict[str, Columns]:
    """The document's share of each table, built column by column: clauses and
    categories are hundreds of rows a document, and a dict per row was a quarter of
    the time spent after extraction."""
    seg = doc.segmented
    st = seg.structured
    norm = st.normalized
    cleaned = norm.cleaned
    source = cleaned.decoded.source
    meta = st.metadata
    doc_id = source.doc_id
    text, original, raw = norm.text, cleaned.text, cleaned.raw_offsets
    pages = cleaned.decoded.page_starts
    document = {
        "doc_id": doc_id, "source_path": source.path, "sha256": source.sha256,
        "encoding": cleaned.decoded.encoding, "script": norm.script,
        "title": meta.title, "title_original": meta.title_original, "doc_number": meta.doc_number,
        "issuers": list(meta.issuers), "issue_date": meta.issue_date, "publish_date": meta.publish_date,
        "region": meta.region, "province": meta.province, "prefecture": meta.prefecture, "county": meta.county,
        "admin_code": meta.admin_code, "admin_level": meta.admin_level,
        "plan_start_year": meta.plan_start_year, "plan_end_year": meta.plan_end_year,
        "n_chars": len(text), "n_clauses": len(seg.clauses), "n_targets": len(doc.targets),
        "text": text, "text_original": original, "pipeline_version": __version__,
    }
    codes = doc.categories
    action: dict[int, list[tuple[float, str]]] = {}
    for seq, book, category, score in zip(codes.clause_seq, codes.codebook, codes.category, codes.score, strict=True):
        if book == "action":
            action.setdefault(seq, []).append((-score, category))
    clause_categories = {seq: [category for _, category in sorted(found)] for seq, found in action.items()}
    cs = seg.clauses  # clause i has seq i
    n = len(cs)
    starts, ends = cs.start, cs.end
    if core.enabled():  # a notice's clause texts and ids are most of its clauses table: Arrow arrays from the core
        texts, originals = core.slices(text, starts, ends), core.slices(original, starts, ends)
        id_column = core.numbered(f"{doc_id}-", n, 5)
        ids = id_column.to_pylist()
    else:
        texts = [text[a:b] for a, b in zip(starts, ends, strict=True)]
        originals = [original[a:b] for a, b in zip(starts, ends, strict=True)]
        ids = id_column = [f"{doc_id}-{i:05d}" for i in range(n)]
    clause_id = ids.__getitem__
    none: list = []  # the value of most clauses' tags and categories (Arrow reads it, nothing changes it)
    categories_of, tags = [none] * n, [none] * n
    for seq, found in clause_categories.items():
        categories_of[seq] = found
    for seq, clause_tags in cs.tags.items():
        tags[seq] = [{"text": t.text, "start": t.start, "end": t.end} for t in clause_tags]
    clauses = {
        "clause_id": id_column, "doc_id": repeated(doc_id, n), "seq": counted(n),
        "paragraph_seq": cs.paragraph_seq, "sentence_seq": cs.sentence_seq,
        "section_path": cs.section_path, "section_level": cs.section_level, "is_heading": cs.is_heading,
        "text": texts, "text_original": originals, "start": starts, "end": ends, "categories": categories_of,
        "raw_start": [raw[a] for a in starts], "raw_end": [raw[b - 1] + 1 for b in ends], "tags": tags,
        "page": [_page(pages, raw[a]) for a in starts] if pages else [None] * n,
    }
    rs = doc.responsibilities
    responsibilities = {
        "doc_id": [doc_id] * len(rs), "clause_id": [clause_id(r.clause_seq) for r in rs],
        "scope": [[clause_id(s) for s in r.scope] for r in rs], "review_status": [None] * len(rs),
        **{name: [getattr(r, name) for r in rs] for name in _RESPONSIBILITY_FIELDS},
    }
    ts = doc.targets
    with_targets = {t.clause_seq for t in ts}
    covering = _units_by_clause(doc, with_targets)
    # One string a clause, shared by its targets (a clause of 100,000 characters may hold thousands).
    of_clause = {seq: (cs.section_path[seq], text[starts[seq]:ends[seq]], original[starts[seq]:ends[seq]])
                 for seq in with_targets}
    target_clauses = [of_clause[t.clause_seq] for t in ts]
    units = [covering.get(t.clause_seq, (None, None)) for t in ts]
    targets = {
        "target_id": [f"{doc_id}-T{k:04d}" for k in range(len(ts))], "doc_id": [doc_id] * len(ts),
        "clause_id": [clause_id(t.clause_seq) for t in ts], "region": [meta.region] * len(ts),
        "section_path": [path for path, _, _ in target_clauses],
        "text": [t for _, t, _ in target_clauses], "text_original": [o for _, _, o in target_clauses],
        "lead_unit": [u[0] for u in units], "units": [u[1] for u in units],
        "categories": [categories_of[t.clause_seq] for t in ts],
        "page": [_page(pages, raw[t.start]) for t in ts], "review_status": [None] * len(ts),
        **{name: [getattr(t, name) for t in ts] for name in _TARGET_FIELDS},
    }
    categories = {
        "doc_id": repeated(doc_id, len(codes)), "clause_id": list(map(clause_id, codes.clause_seq)),
        "codebook": codes.codebook, "category": codes.category, "score": codes.score, "evidence": codes.evidence,
    }
    return {"documents": columns_of("documents", [document]), "clauses": clauses,
            "targets": _in_schema_order("targets", targets),
            "responsibilities": _in_schema_order("responsibilities", responsibilities), "categories": categories}


# Fields a row takes from its record as they are (the rest are ids, shared clause fields …).
_TARGET_FIELDS = ("indicator", "indicator_id", "quantity_kind", "value", "value_max", "comparator", "unit", "per",
                  "within", "level", "level_text", "deadline_year", "deadline_text", "deadline_source", "mention",
                  "start", "end", "rule", "scope")
_RESPONSIBILITY_FIELDS = ("section_path", "unit_raw", "unit", "unit_type", "unit_level", "role", "rank", "lead_rule",
                          "source")


def _in_schema_order(name: str, columns: Columns) -> Columns:
    """Columns in the order of the table's schema, every column present (a missing one is
    a bug: it would be written as nulls)."""
    return {f.name: columns[f.name] for f in SCHEMAS[name]}


def _page(page_starts: tuple[int, ...], raw_offset: int) -> int | None:
    """The page (from 1) of a PDF that holds this offset of the decoded text; None for a
    source without pages."""
    return bisect_right(page_starts, raw_offset) if page_starts else None


def _units_by_clause(doc: Extracted, wanted: set[int]) -> dict[int, tuple[str | None, list[str]]]:
    """clause seq → (lead unit, all units) of the responsibility covering it, for the
    clauses `wanted` (those with targets); a tag wins over units named in the text."""
    out: dict[int, tuple[str | None, list[str]]] = {}
    if not wanted:
        return out  # a notice without targets: nothing to look up
    for from_text in (True, False):  # tags, labels and tables last, so they overwrite
        groups: dict[tuple[int, tuple[int, ...]], list] = {}
        for r in doc.responsibilities:
            if (r.source == "text") == from_text:
                groups.setdefault((r.clause_seq, r.scope), []).append(r)
        for (_, scope), rows in groups.items():
            covered = [seq for seq in scope if seq in wanted]
            if not covered:
                continue
            rows.sort(key=lambda r: r.rank)
            lead, units = lead_and_units([(r.unit, r.role) for r in rows])  # once a task, not once a clause
            for seq in covered:
                out[seq] = (lead, list(units))
    return out


def process_source(source, options: Options) -> DocResult:
    """Run every stage on one loaded source; a failure becomes one `errors` row."""
    lex = options.lex()
    stage = "read"
    record: Any = source
    try:
        for stage, function in STAGES:  # noqa: B007 - `stage` names the failing stage below
            record = function(record, lex)
        return DocResult(source.path, source.sha256, document_columns(record), _warnings(source, record))
    except PipelineError as exc:
        return _error(source.path, source.sha256, stage, exc.error_type, str(exc))
    except RecursionError:
        return _error(source.path, source.sha256, stage, "internal", "input nests too deeply to process")
    except Exception as exc:  # a bug must not stop the batch; the row says where it happened
        return _error(source.path, source.sha256, stage, "internal", f"{exc.__class__.__name__}: {exc}")


def _warnings(source, doc: Extracted) -> list[dict]:
    """`errors` rows for a document that was read but not whole: PDF pages without text
    (scanned pages among typed ones) are in no table, and nothing is lost silently."""
    decoded = doc.segmented.structured.normalized.cleaned.decoded
    if not decoded.empty_pages:
        return []
    pages = ", ".join(map(str, decoded.empty_pages))
    return [error_row(source.path, source.sha256, "read", "pages_without_text",
                      f"page(s) {pages} of {len(decoded.page_starts)} have no text layer (scanned?): the rest of "
                      "the PDF is in the tables, those pages are not")]


def _error(path: str, sha256: str | None, stage: str, error_type: str, message: str) -> DocResult:
    return DocResult(path, sha256, errors=[error_row(path, sha256, stage, error_type, message)])


def error_row(path: str, sha256: str | None, stage: str, error_type: str, message: str) -> dict:
    """A row of `errors`: the message on one line, at most 500 characters."""
    return {"source_path": path, "sha256": sha256, "stage": stage, "error_type": error_type,
            "message": " ".join(message.split())[:500]}


def _process_path(args: tuple[str, str, Options, str, bool]) -> Packed:
    path, display, options, cache_dir, reuse = args
    try:
        source = (Source.of(display, storage.read_input(path, options.max_bytes)) if storage.is_url(path)
                  else load_source(Path(path), display, options.max_bytes))
    except InputError as exc:
        return pack(_error(display, None, "read", exc.error_type, str(exc)))
    cache = _cache_path(cache_dir, source.sha256, options)
    entry = _cached(cache) if reuse else None
    if entry is not None:
        try:
            packed = _thaw(entry)
            packed.cached = True
            return _relabel(packed, display)
        except Exception:
            pass  # a damaged cache entry is simply recomputed
    packed = pack(process_source(source, options))
    if isinstance(cache, str):  # one put: the entry appears whole or not at all
        storage.write_bytes(cache, _freeze(packed))
    else:
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(_freeze(packed))
        os.replace(tmp, cache)
    return packed


def _cached(cache: Path | str) -> bytes | None:
    if isinstance(cache, str):
        return storage.read_bytes(cache)
    try:
        return cache.read_bytes()
    except FileNotFoundError:
        return None


# A cache entry is data only, never code: the output folder may be shared, and unpickling
# what someone else left there would run it. Layout, zstd-compressed as one block (~6×
# smaller): magic, the length of a JSON header, the header (paths, errors, counts, the
# length of each table), then each table's Arrow IPC stream.
CACHE_MAGIC = b"PPCACHE1"


def _freeze(packed: Packed) -> bytes:
    header = json.dumps({
        "source_path": packed.source_path, "sha256": packed.sha256, "doc": packed.doc, "errors": packed.errors,
        "counts": [[*key, value] for key, value in packed.counts.items()],
        "tables": [[name, len(data)] for name, data in packed.tables.items()],
    }, ensure_ascii=False).encode()
    data = b"".join([CACHE_MAGIC, len(header).to_bytes(8, "little"), header, *packed.tables.values()])
    return len(data).to_bytes(8, "little") + _zstd().compress(data, asbytes=True)


def _thaw(entry: bytes) -> Packed:
    """A cache entry back; raises on anything that is not one (the caller recomputes)."""
    size = int.from_bytes(entry[:8], "little")
    data = memoryview(_zstd().decompress(entry[8:], decompressed_size=size, asbytes=True))
    if data[:len(CACHE_MAGIC)] != CACHE_MAGIC:
        raise ValueError("not a policy-pipeline cache entry")
    at = len(CACHE_MAGIC) + 8
    end = at + int.from_bytes(data[len(CACHE_MAGIC):at], "little")
    header = json.loads(bytes(data[at:end]))
    tables = {}
    for name, length in header["tables"]:
        if name not in STREAMED or end + length > len(data):
            raise ValueError("damaged cache entry")
        tables[name] = bytes(data[end:end + length])
        end += length
    counts = {(codebook, category): list(value) for codebook, category, value in header["counts"]}
    return Packed(header["source_path"], header["sha256"], header["doc"], tables, header["errors"], counts)


@lru_cache(maxsize=1)
def _zstd():
    """One codec per process: making one costs as much as decompressing a small entry."""
    import pyarrow as pa

    return pa.Codec("zstd", compression_level=1)


def _cache_path(cache_dir: str, sha256: str, options: Options) -> Path | str:
    """The cache entry of a content hash: a Path, or a URL when the output is at one."""
    name = _cache_name(sha256, options)
    return storage.join(cache_dir, name) if storage.is_url(cache_dir) else Path(cache_dir) / name


def _cache_name(sha256: str, options: Options) -> str:
    return f"{sha256[:32]}-{_cache_key(options.lex().fingerprint, options.max_bytes)}.arrows"


@lru_cache(maxsize=4)
def _cache_key(lexicons: str, max_bytes: int) -> str:
    """What else a cache entry depends on: made once a run, not once an input."""
    key = f"{code_fingerprint()}|{SCHEMA_VERSION}|{lexicons}|{max_bytes}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _prune_cache(cache_dir: Path | str, used: set[str], options: Options) -> None:
    """Drop entries of files no longer in the input and of older pipelines or lexicons,
    so the cache stays the size of one run's results."""
    keep = {_cache_name(sha, options) for sha in used if sha}
    if storage.is_url(cache_dir):
        for entry in storage.entries(str(cache_dir)):
            if entry.rsplit("/", 1)[-1] not in keep:
                storage.remove(entry)
        return
    with os.scandir(cache_dir) as entries:  # older formats (.pkl) included
        for entry in entries:
            if entry.name not in keep and not entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the package's source and its compiled core: a changed pipeline reprocesses
    every document."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for path in [*sorted(package.rglob("*.py")), *sorted(package.glob("_core.*"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --- the batch ----------------------------------------------------------------------

def collect_inputs(inputs: list[Path | str]) -> tuple[list[tuple[Path | str, str]], list[str], list[DocResult]]:
    """(files to process with display names, ignored files, error rows for bad paths).
    An fsspec URL (`s3://bucket/notices`) is listed by its filesystem; its files are
    read by the workers, not here."""
    files: list[tuple[Path | str, str]] = []
    ignored: list[str] = []
    errors: list[DocResult] = []
    for item in inputs:
        if storage.is_url(item):
            try:
                found, skipped = storage.list_inputs(str(item), INPUT_SUFFIXES)
            except InputError as exc:
                errors.append(_error(str(item), None, "read", exc.error_type, str(exc)))
                continue
            files += [(url, url) for url in found]
            ignored += skipped
            continue
        display = _display(item)
        if _broken_link(item):
            errors.append(_error(display, None, "read", "unreadable", _broken_link(item)))
        elif item.is_dir():
            _collect_folder(item, files, ignored, errors)
        elif item.exists():
            if problem := _not_regular(item):
                errors.append(_error(display, None, "read", "unreadable", problem))
            else:
                files.append((item, display))
        else:
            errors.append(_error(display, None, "read", "unreadable", "no such file or directory"))
    return files, ignored, errors


def _collect_folder(folder: Path, files: list, ignored: list[str], errors: list[DocResult]) -> None:
    """A folder's inputs in path order: its files by name, then each subfolder's by name.
    Hidden names are passed over, links to folders are reported and not followed, and a
    folder that cannot be listed is passed over (as `os.walk` does). The folder's entries
    say which names are plain files, so those need no stat of their own (two a file were
    most of collecting 50,000 inputs); links and special files are checked as before."""
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda entry: entry.name)
    except OSError:
        return
    folders, names = [], []
    for entry in entries:
        (folders if _is_folder(entry) else names).append(entry)
    for entry in folders:
        if entry.is_symlink():  # not followed: loops, and folders outside
            errors.append(_error(_display(folder / entry.name), None, "read", "unreadable",
                                 "symbolic link to a folder: not followed"))
    for entry in names:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        if path.suffix.lower() not in INPUT_SUFFIXES:
            ignored.append(_display(path))
        elif not entry.is_file(follow_symlinks=False) and (problem := _broken_link(path) or _not_regular(path)):
            errors.append(_error(_display(path), None, "read", "unreadable", problem))
        else:
            files.append((path, _display(path)))
    for entry in folders:
        if not entry.name.startswith(".") and not entry.is_symlink():
            _collect_folder(folder / entry.name, files, ignored, errors)


def _is_folder(entry: os.DirEntry) -> bool:
    """A folder, or a link to one (as `os.walk` sorts names)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _display(path: Path) -> str:
    """The path as the user will recognise it: relative when given relative, on one
    printable line (see `printable`). Links are not resolved (a looping link must not
    stop the batch)."""
    return printable(path.as_posix() if path.is_absolute() else Path(os.path.normpath(path)).as_posix())


_UNPRINTABLE = regexes.compile(r"[\p{Cc}\p{Cs}\u2028\u2029]")


def printable(name: str) -> str:
    """A file name as text a table and a terminal can hold: bytes that are not UTF-8
    (which Python keeps as lone surrogates, and Arrow refuses) as `\\xff`, control
    characters and line breaks as `\\n`, `\\x1b` …"""
    if not _UNPRINTABLE.search(name):
        return name
    name = os.fsencode(name).decode("utf-8", "backslashreplace")
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), name)


def _not_regular(path: Path) -> str | None:
    """Why `path` (links followed) is not a file to read, or None: a FIFO would block the
    run for ever, a device such as /dev/zero never ends."""
    try:
        return irregular(path.stat().st_mode)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"


def _broken_link(path: Path) -> str | None:
    """Why a symbolic link cannot be read, or None when it can."""
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as exc:
        return "symbolic link loop" if exc.errno == 40 else "broken symbolic link"
    return None


class _Lock:
    """An exclusive lock on the output folder: a second run refuses instead of interleaving.

    The lock file holds the owner's process id. The kernel drops the lock when every
    descriptor of it is closed, so workers close their inherited copy at once
    (`_worker_init`); should some process of a dead run still hold it, the next run sees
    that the owner is gone and takes over with a fresh lock file."""

    held: list = []  # this process's lock handles, which forked workers must close

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".lock"
        self.handle = None

    def __enter__(self) -> _Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            handle = open(self.path, "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _lock_owner(handle)
                if owner is None or _alive(owner):
                    handle.close()
                    raise RunError(f"another policy-pipeline run is writing to {self.path.parent}; "
                                   "wait for it to finish") from None
                print(f"warning: the run that locked {self.path.parent} (process {owner}) has died; "
                      "taking over its lock", file=sys.stderr)
                if os.path.samestat(os.fstat(handle.fileno()), os.stat(self.path)):
                    self.path.unlink()  # leftovers keep the old file; this run locks a new one
                handle.close()
                continue
            now = _stat_or_none(self.path)
            if now is None or not os.path.samestat(os.fstat(handle.fileno()), now):
                handle.close()  # taken over between open and lock: try the new file
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            self.handle = handle
            _Lock.held.append(handle)
            return self
        raise RunError(f"could not lock {self.path.parent}: other runs keep taking it")

    def __exit__(self, *exc) -> None:
        _Lock.held.remove(self.handle)
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _lock_owner(handle) -> int | None:
    handle.seek(0)
    text = handle.read(32).strip()
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def run(inputs: list[Path | str], output: Path | str, workers: int = 0, full: bool = False,
        options: Options = Options(), progress: bool = True, scheduler: str | None = None) -> Summary:
    """Process `inputs` into the tables of `output` with `workers` local processes, or on the
    Dask cluster `scheduler` names (`local:N`, `tcp://host:8786`: pipeline/cluster.py);
    `options.layout` says whether each table is one file or a folder of parts (pipeline/dataset.py)."""
    started = time.perf_counter()
    options.lex()  # fail on a broken lexicon before touching any document
    with heap.for_run():
        return _run(inputs, output, workers, full, options, progress, scheduler, started)


def _run(inputs: list[Path | str], output: Path | str, workers: int, full: bool, options: Options, progress: bool,
         scheduler: str | None, started: float) -> Summary:
    reviews = reviews_by_document(load_reviews([Path(p) for p in options.reviews]))  # …or a broken reviews file
    files, ignored, early_errors = collect_inputs(inputs)
    summary = Summary(inputs=len(files) + len(early_errors), ignored=ignored, output=str(output))
    if storage.is_url(output):  # an object store: no lock, no links; the manifest commits
        dataset.run_at_url(str(output), files, early_errors, summary, options, reviews, workers, full, progress,
                           scheduler, *_run_key(input_fingerprints(files, options), early_errors, options))
        summary.seconds = time.perf_counter() - started
        return summary
    with _Lock(output):
        _remove_stale(output)
        fingerprints = input_fingerprints(files, options)
        key, inputs_key = _run_key(fingerprints, early_errors, options)
        previous = _read_manifest(output)
        if not full and previous.get("inputs_key", previous.get("run_key")) == inputs_key and \
                all((output / f"{name}.parquet").exists() for name in TABLES + COMPARISONS):
            return _unchanged_summary(summary, previous, output / "errors.parquet", started)
        cache_dir = output / ".cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        jobs = job_list(files, options, str(cache_dir), full)
        used: set[str] = set()  # content hashes of this run's inputs: their cache entries stay
        staging = Path(tempfile.mkdtemp(prefix="run-", suffix=".tmp", dir=_runs(output)))
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes 0700; tables are meant to be shared
        if options.layout == "dataset":
            tasks = dataset.part_tasks(jobs, staging, key, options, fingerprints)
        del files, fingerprints  # the jobs say all of it now: at 1 GB the two held about 25 MB
        if options.layout == "dataset":
            results = dataset.map_parts(tasks, scheduler, workers, options, progress)
        else:
            results = (flat(dask_map([jobs[i:i + TASK_DOCUMENTS] for i in range(0, len(jobs), TASK_DOCUMENTS)],
                                     scheduler, _process_chunk, progress))
                       if scheduler else _map(jobs, workers, options))
        try:
            if options.layout == "dataset":
                dataset.write_dataset(show_progress(results, len(jobs), progress, lambda part: len(part.entries)),
                                      map(pack, early_errors), staging, summary, options, key, reviews, used)
                manifest_documents = None
                dataset.remove_partial_files(staging)
            else:
                processed = (used.add(r.sha256) or r for r in show_progress(results, len(jobs), progress))
                packed = heapq.merge(map(pack, early_errors), processed,
                                     key=lambda r: r.source_path)  # path order whatever the worker order
                manifest_documents = _write_tables(packed, staging, summary, options, key, reviews)
            if summary.written:
                manifest = manifest_of(key, inputs_key, options, summary, manifest_documents)
                if options.layout == "dataset":
                    manifest["parts"] = {name: dataset.parts_of(staging, name) for name in TABLES + COMPARISONS}
                write_json(staging / "manifest.json", manifest)  # last: the set is complete
                check_stop()
                _publish(output, staging)
                _prune_cache(cache_dir, used, options)
                if options.layout == "dataset":
                    dataset.prune_parts(cache_dir, tasks)
        finally:
            results.close()  # stops the workers at once when the run did not finish
            shutil.rmtree(staging, ignore_errors=True)  # gone already when published
    summary.seconds = time.perf_counter() - started
    return summary


def manifest_of(key: str, inputs_key: str, options: Options, summary: Summary, documents: list[dict] | None) -> dict:
    """What `manifest.json` says of a run's tables. The dataset layout lists its parts
    instead of each document and error (`documents: None`): a cluster's manifest of ten
    million notices would be a gigabyte, and those tables hold the same."""
    manifest = {
        "run_key": key, "inputs_key": inputs_key, "pipeline_version": __version__, "schema_version": SCHEMA_VERSION,
        "lexicons": options.lex().fingerprint, "layout": options.layout,
        "tables": {"documents": summary.documents, "clauses": summary.clauses, "targets": summary.targets,
                   "responsibilities": summary.responsibilities, "categories": summary.categories,
                   "errors": summary.errors},
        "ignored": summary.ignored,
    }
    if documents is not None:
        manifest["documents"] = documents
        manifest["errors"] = [{"source_path": e["source_path"], "error_type": e["error_type"]}
                              for e in summary.error_rows]
    return manifest


# --- one set of tables, switched in at once ------------------------------------------
#
# A run writes every table and the manifest into a new folder `.runs/run-…`, then makes
# it current by replacing one symbolic link, `.current`, with a rename: the kernel does
# that atomically, so a reader sees the previous set or the new one, never a mix. The
# tables users open, `OUTPUT/<table>.parquet` and `manifest.json`, are fixed links into
# `.current/`. The set before the current one is kept (a reader may still be opening its
# files); older ones are deleted.

RUNS = ".runs"
CURRENT = ".current"
PUBLISHED = tuple(f"{name}.parquet" for name in TABLES + COMPARISONS) + ("manifest.json",)


def _runs(output: Path) -> Path:
    folder = output / RUNS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _publish(output: Path, staging: Path) -> None:
    _fsync(staging)  # its entries: every file in it was synced as it was written (tables._seal)
    final = staging.with_name(staging.name.removesuffix(".tmp"))
    os.rename(staging, final)
    _fsync(final.parent)
    current = output / CURRENT
    before = os.readlink(current) if current.is_symlink() else None
    _replace_with_link(current, f"{RUNS}/{final.name}")  # the switch
    for name in PUBLISHED:
        _replace_with_link(output / name, f"{CURRENT}/{name}")
    keep = {final.name, Path(before).name if before else None}
    for old in (output / RUNS).iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _replace_with_link(path: Path, target: str) -> None:
    """Make `path` a symbolic link to `target` in one rename (no moment without it)."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(output: Path) -> None:
    """What a killed run left behind (under the lock, so no live run owns it)."""
    for stale in output.glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    for stale in output.glob(f"{RUNS}/*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in output.glob(".cache/*.tmp"):
        stale.unlink(missing_ok=True)


def input_fingerprints(files: list[tuple[Path | str, str]], options: Options) -> dict[str, str]:
    """Each input's fingerprint by the name it is shown by (`_fingerprint`): its bytes'
    hash for single files, its size and modification time (ETag) in the dataset layout."""
    return {display: _fingerprint(path, by_content=options.layout != "dataset") for path, display in files}


def _run_key(fingerprints: dict[str, str], early_errors: list[DocResult], options: Options) -> tuple[str, str]:
    """(the key written into every table, the key that says the inputs are unchanged).

    Single files: both are the hash of everything a run's tables depend on — each input's
    path and bytes, the errors found while listing inputs, the code, the lexicons and the
    options — so `validate` can tell a set from a mix. The dataset layout's driver (a
    cluster's) reads no input: its tables carry the hash of the code, lexicons and options
    (the manifest lists the parts of one set), and each input's size and modification time,
    or ETag at a URL, say whether anything changed. Only regular files are listed as
    inputs, so reading them ends."""
    digest = hashlib.sha256(f"{code_fingerprint()}|{options.lex().fingerprint}|{options.max_bytes}|"
                            f"{SCHEMA_VERSION}|{options.layout}|{options.part_size}".encode())
    for reviews in options.reviews:  # the decisions applied are part of what the tables say
        digest.update(b"\nreviews\t" + hashlib.sha256(Path(reviews).read_bytes()).digest())
    tables_key = digest.hexdigest() if options.layout == "dataset" else None
    for display, fingerprint in fingerprints.items():
        digest.update(f"\n{display}\t{fingerprint}".encode())
    for result in early_errors:
        digest.update(f"\n{result.source_path}\t{result.errors[0]['message']}".encode())
    return tables_key or digest.hexdigest(), digest.hexdigest()


def _fingerprint(path: Path | str, by_content: bool) -> str:
    """What says an input changed: the hash of its bytes, or its size and modification time
    (ETag at a URL)."""
    if storage.is_url(path):
        return storage.checksum(str(path))
    try:
        if not by_content:
            info = os.stat(path)
            return f"{info.st_size}:{info.st_mtime_ns}"
        file_digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                file_digest.update(chunk)
        return file_digest.hexdigest()
    except OSError as exc:  # the run reports it as an errors row
        return f"unreadable: {exc.strerror}"


def _read_manifest(output: Path) -> dict:
    try:
        return json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _unchanged_summary(summary: Summary, manifest: dict, errors: Path | str, started: float) -> Summary:
    """Nothing changed since the last run: its tables are this run's tables, untouched
    (`errors`: its errors table)."""
    counts = manifest.get("tables", {})
    summary.documents = counts.get("documents", 0)
    summary.clauses = counts.get("clauses", 0)
    summary.targets = counts.get("targets", 0)
    summary.responsibilities = counts.get("responsibilities", 0)
    summary.errors = counts.get("errors", 0)
    summary.cached = summary.documents
    if summary.errors:
        table = open_parquet(errors)
        summary.error_rows = [row for g in range(table.num_row_groups) for row in table.read_row_group(g).to_pylist()]
    summary.written = True
    summary.seconds = time.perf_counter() - started
    return summary


def layout_for(requested: str | None, scheduler: str | None, output: Path | str) -> str:
    """The layout asked for, else the dataset layout on a cluster or at a URL, single files here."""
    return requested or ("dataset" if scheduler or storage.is_url(output) else "file")


def job_list(files: list[tuple[Path | str, str]], options: Options, cache: str, full: bool) -> list[tuple]:
    """One job a file, in the order of the names it is shown by (the tables' row order)."""
    return [(str(p), d, options, cache, not full) for p, d in sorted(files, key=lambda f: f[1])]


def worker_count(requested: int, jobs: int) -> int:
    """`requested` workers; 0 asks for one per core this process may use, but at least
    8 files each (forking costs more than it saves on a handful of files)."""
    if requested:
        return max(1, min(requested, jobs))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, jobs // 8))


def _map(jobs: list, workers: int, options: Options) -> Iterator[Packed]:
    workers = worker_count(workers, len(jobs))
    if workers <= 1:
        yield from map(_process_path, jobs)
        return
    # Small chunks: finished results wait in the parent until their turn in path order.
    size = max(1, min(16, len(jobs) // (workers * 8)))
    yield from flat(pool_map([jobs[i:i + size] for i in range(0, len(jobs), size)], _process_chunk, workers, options))


def flat(chunks: Iterator[list]) -> Iterator:
    """The items of each chunk in turn; closing this closes `chunks` (stopping its workers)."""
    try:
        for chunk in chunks:
            yield from chunk
    finally:
        chunks.close()


def pool_map(tasks: list, function: Callable, workers: int, options: Options) -> Iterator:
    """`function` over `tasks` in `workers` local processes, results in task order."""
    global workers_stopped
    warm_up(options)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                               initargs=(options.lexicons, options.codebooks, os.getpid()))
    # Futures of our own rather than pool.map: closing map's iterator cancels its futures,
    # and the pool's manager thread, failing them once the workers are stopped, raises on
    # each cancelled one (a traceback after "stopped by SIGTERM").
    try:  # from the first submit on: a signal while jobs are being submitted must stop the workers too
        futures = deque(pool.submit(function, task) for task in tasks)
        while futures:
            yield futures.popleft().result()
    except BaseException:  # interrupted, terminated, or the writer failed: stop now, not after every job
        workers_stopped = True
        for process in list(pool._processes.values()):  # noqa: SLF001 - no public way to stop running work
            process.terminate()
        pool.shutdown(wait=False)
        raise
    pool.shutdown()


# Set when a run stopped its workers mid-job: the pool's manager thread may then be blocked
# on a half-written result, and joining it at interpreter exit would never end, so the
# command line leaves with os._exit once its tables and lock are cleaned up.
workers_stopped = False


# A short notice that takes the stages through the lexicons' common rules: a title, a
# heading, targets with a deadline, a percentage and a sum, units in a tag and a label.
WARM_UP = ("关于印发某市2024年促进就业工作方案的通知\n各县(市、区)人民政府,市直各单位:\n一、工作目标\n"
           "到2025年,全市城镇新增就业1万人以上,城镇调查失业率控制在5.5%以内。(责任单位:市人社局、市财政局)\n"
           "二、主要任务\n(一)加大创业扶持力度。对首次创业的给予一次性补贴5000元。牵头单位:市人社局\n"
           "三、保障措施\n各地要加强组织领导,确保各项任务落到实处。\n某市人民政府办公室\n2024年3月1日\n")


def warm_up(options: Options) -> None:
    """Compile what the stages compile at first use (patterns, automata, codebooks) here,
    before the workers are forked: they then share those pages instead of each building
    its own. Two workers on 20 MB: peak PSS 345 MB against 371 MB (freezing the new
    objects against the collector saved nothing more)."""
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":  # spawned workers share nothing
        return
    process_source(Source.of("warm-up.txt", WARM_UP.encode()), options)


def _process_chunk(chunk: list) -> list[Packed]:
    return [_process_path(job) for job in chunk]


def _worker_init(lexicons: str, codebooks: tuple[str, ...], parent: int) -> None:
    """A worker holds no lock, ignores the terminal's Ctrl-C (the parent stops it), and
    dies with its parent, whatever kills the parent (kill -9 included)."""
    for handle in _Lock.held:
        handle.close()  # the parent's copy keeps the lock
    _Lock.held.clear()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    cached_lexicons(lexicons, codebooks)
    heap.tune_worker()


def show_progress(results: Iterator, total: int, enabled: bool,
                  documents: Callable[[Any], int] | None = None) -> Iterator:
    """Documents done / total and the rate on the terminal; `documents`: how many one result
    holds (a part of the dataset layout holds many), else one."""
    if not enabled or total < 2:
        for result in results:
            check_stop()
            yield result
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True,
              disable=None) as bar:  # None: off when stderr is not a terminal
        for result in results:
            check_stop()
            bar.update(documents(result) if documents else 1)
            yield result


def _reviewed(result: Packed, reviews: list, summary: Summary) -> Packed:
    """A document's result with a reviewer's decisions applied to its targets (and its
    category counts without the rejected ones); decisions that cannot be applied are
    errors rows."""
    doc = result.table("documents").to_pylist()[0]
    targets, units, problems = apply_reviews(doc, result.table("clauses").to_pylist(),
                                             result.table("targets").to_pylist(), reviews,
                                             result.table("responsibilities").to_pylist())
    columns = columns_of("targets", targets)
    result.tables["targets"] = ipc_bytes(columns_table("targets", columns, SHARED.get("targets", ())))
    result.tables["responsibilities"] = ipc_bytes(columns_table("responsibilities", columns_of("responsibilities",
                                                                                               units)))
    result.counts = compare.document_counts(result.table("categories").to_pydict(), columns)
    summary.error_rows.extend(error_row(result.source_path, result.sha256, "review", "review_orphaned", message)
                              for message in problems)
    return result


def admit(result: Packed, seen: dict[str, str], reviews: dict[str, list] | None, summary: Summary) -> Packed | None:
    """`result` as the tables take it, reviewers' decisions applied; None for an input
    that failed or repeats a document `seen` already (its `duplicate` row). Its errors rows
    go into `summary`, in the order the tables list them."""
    summary.cached += result.cached
    if result.doc is None:
        summary.error_rows.extend(result.errors)
        return None
    doc_id = result.doc["doc_id"]
    if doc_id in seen:
        summary.error_rows.append(duplicate_row(result.source_path, result.sha256, seen[doc_id]))
        return None
    seen[doc_id] = result.source_path
    summary.error_rows.extend(result.errors)  # a document read but not whole (PDF pages without text)
    if reviews and doc_id in reviews:
        result = _reviewed(result, reviews.pop(doc_id), summary)
    return result


def duplicate_row(path: str, sha256: str | None, first: str) -> dict:
    return error_row(path, sha256, "read", "duplicate", f"same content as {first}")


def manifest_entry(result: Packed) -> dict:
    return {"source_path": result.source_path, "doc_id": result.doc["doc_id"], "sha256": result.doc["sha256"],
            "n_clauses": result.doc["n_clauses"]}


def orphaned_reviews(reviews: dict[str, list] | None) -> list[dict]:
    """Rows for the decisions about documents this run does not have (`reviews`: those not
    taken by `admit`)."""
    return [error_row(review.source.rsplit(":", 1)[0], None, "review", "review_orphaned",
                      f"{review.source}: document {review.doc_id} is not in this run")
            for doc_reviews in (reviews or {}).values() for review in doc_reviews]


def _write_tables(results: Iterable[Packed], output: Path, summary: Summary, options: Options,
                  run_key: str, reviews: dict[str, list] | None = None) -> list[dict]:
    """Stream results (in path order) into the tables in `output` (the run's staging
    folder), a row group at a time; then the comparisons. Returns the manifest's document
    list; `summary.written` stays False when no document was processed."""
    documents: list[dict] = []
    seen: dict[str, str] = {}  # doc_id → first path with that content
    counts: dict[str, compare.Counts] = {}  # region → category counts
    with TableWriters({name: TableWriter(output, name, run_key) for name in STREAMED}) as writers:
        for result in results:
            result = admit(result, seen, reviews, summary)
            if result is None:
                continue
            documents.append(manifest_entry(result))
            for name in result.tables:
                writers[name].add(result.table(name))
            compare.add_counts(counts.setdefault(result.doc["region"], {}), result.counts)
        summary.error_rows.extend(orphaned_reviews(reviews))
        summary.errors = len(summary.error_rows)
        if not documents:  # a run that processed nothing must not replace good tables
            writers.discard()
            return []
    release_memory()  # the writers' buffers, before the comparisons read targets back
    write_table(output, "errors", summary.error_rows, run_key)
    write_table(output, "region_category", compare.region_category(counts, options.lex()), run_key)
    compare.write_region_indicator(output / "targets.parquet", output, run_key)
    summary.documents = len(documents)
    summary.clauses = writers["clauses"].rows
    summary.targets = writers["targets"].rows
    summary.responsibilities = writers["responsibilities"].rows
    summary.categories = writers["categories"].rows
    summary.written = True
    return documents
