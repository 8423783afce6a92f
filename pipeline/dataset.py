"""The dataset layout (`run --layout dataset`, the default with `--scheduler`): the workers
write the tables, the driver commits them.

Takes a run's jobs (one per input file, in path order) and gives, in the run's staging
folder, every table as a folder of part files, `targets.parquet/part-00000.parquet` …,
which `run` then publishes with its manifest as it publishes single files. Part N holds
the documents of inputs N·P … N·P+P−1 (P = `--part-size`), so the parts are byte for byte
the same whatever the number of workers or machines, and read in name order they are the
single-file table, row for row. A worker processes its inputs (reading each itself and
using the shared, content-keyed cache) and writes its part of each per-document table;
the driver gets back a few fields a document and writes what needs every document:
`errors`, `region_category`, `region_indicator`, and the removal of a document whose
content an earlier part already holds (its `duplicate` row, as in a single-file run).
"""

from __future__ import annotations

import heapq
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import compare
from .reviews import load_reviews, reviews_by_document
from .tables import TableWriter, part_name, release_memory, table_files, write_table

# The tables each document adds rows to (run.STREAMED), written by the workers as parts.
STREAMED_TABLES = ("documents", "clauses", "targets", "responsibilities", "categories")

PART_DOCUMENTS = 256  # inputs a part: ~10 s of work, parts of a few MB; 10 million notices → 39,063 parts a table


@dataclass
class Entry:
    """One input of a part, as the driver needs it: what `run` would have kept of it."""

    source_path: str
    sha256: str | None
    doc: dict | None  # doc_id, sha256, n_clauses, region; None when the input failed
    errors: list[dict]
    kept: bool  # written into the part (False: it repeats a document earlier in the part)
    counts: compare.Counts = field(default_factory=dict)
    cached: bool = False


@dataclass
class Part:
    index: int
    entries: list[Entry]
    rows: dict[str, int]


def write_part(task: tuple) -> Part:
    """A worker's task: process the inputs of part `index` and write that part of each
    per-document table into `staging`."""
    from .run import Summary, _process_path, admit

    index, jobs, staging, run_key, options = task
    reviews = {doc_id: list(decisions) for doc_id, decisions in _reviews(options.reviews).items()}
    summary, seen = Summary(), {}
    writers = {name: TableWriter(Path(staging) / f"{name}.parquet", name, run_key, file=part_name(index))
               for name in STREAMED_TABLES}
    entries = []
    try:
        for job in jobs:
            result = _process_path(job)
            before = len(summary.error_rows)
            kept = admit(result, seen, reviews, summary)
            entries.append(Entry(result.source_path, result.sha256, result.doc, summary.error_rows[before:],
                                 kept is not None, kept.counts if kept else {}, result.cached))
            for name in kept.tables if kept else ():
                writers[name].add(kept.table(name))
        for writer in writers.values():
            writer.close()
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    for writer in writers.values():  # a task run twice (a worker lost) writes the same bytes again
        writer.commit()
    return Part(index, entries, {name: writer.rows for name, writer in writers.items()})


@lru_cache(maxsize=1)
def _reviews(paths: tuple[str, ...]) -> dict[str, list]:
    return reviews_by_document(load_reviews([Path(p) for p in paths]))


def part_tasks(jobs: list, staging: Path, run_key: str, options, size: int) -> list[tuple]:
    return [(i // size, jobs[i:i + size], str(staging), run_key, options) for i in range(0, len(jobs), size)]


def write_dataset(parts: Iterator[Part], early_errors: Iterable, staging: Path, summary, options, run_key: str,
                  reviews: dict[str, list] | None, used: set[str]) -> list[dict]:
    """Commit the `parts` (in part order, as the workers finish them) into the tables of
    `staging`: de-duplicate documents across parts, then write the global tables. Returns
    the manifest's document list, empty (and `summary.written` False) when no document
    was processed. `used` collects the content hashes met (their cache entries stay)."""
    from .run import duplicate_row, manifest_entry, orphaned_reviews

    documents: list[dict] = []
    seen: dict[str, str] = {}  # doc_id → first path with that content
    counts: dict[str, compare.Counts] = {}  # region → category counts
    drop: dict[int, set[str]] = {}  # part → documents it repeats from an earlier part
    rows = dict.fromkeys(STREAMED_TABLES, 0)
    early = [(result.source_path, -1, Entry(result.source_path, result.sha256, None, result.errors, False))
             for result in early_errors]
    for path, index, entry in heapq.merge(early, _entries(parts, rows, summary), key=lambda item: item[0]):
        used.add(entry.sha256)
        if entry.doc is None:
            summary.error_rows.extend(entry.errors)
            continue
        doc_id = entry.doc["doc_id"]
        if doc_id in seen:
            summary.error_rows.append(duplicate_row(path, entry.sha256, seen[doc_id]))
            if entry.kept:  # the first of its part, not of the run: its rows go
                drop.setdefault(index, set()).add(doc_id)
            continue
        seen[doc_id] = path
        summary.error_rows.extend(entry.errors)
        if reviews:
            reviews.pop(doc_id, None)  # applied by the worker
        documents.append(manifest_entry(entry))
        compare.add_counts(counts.setdefault(entry.doc["region"], {}), entry.counts)
    summary.error_rows.extend(orphaned_reviews(reviews))
    summary.errors = len(summary.error_rows)
    if not documents:
        return []
    for index, doc_ids in sorted(drop.items()):
        for name in STREAMED_TABLES:
            rows[name] -= _remove_documents(staging, name, index, doc_ids, run_key)
    release_memory()
    for name in ("errors", "region_category"):
        rows_of = summary.error_rows if name == "errors" else compare.region_category(counts, options.lex())
        _into_folder(write_table(staging, name, rows_of, run_key))
    compare.write_region_indicator(staging / "targets.parquet", staging, run_key)
    _into_folder(staging / "region_indicator.parquet")
    summary.documents = len(documents)
    summary.clauses, summary.targets = rows["clauses"], rows["targets"]
    summary.responsibilities, summary.categories = rows["responsibilities"], rows["categories"]
    summary.written = True
    return documents


def _entries(parts: Iterator[Part], rows: dict[str, int], summary) -> Iterator[tuple[str, int, Entry]]:
    for part in parts:
        for name, count in part.rows.items():
            rows[name] += count
        for entry in part.entries:
            summary.cached += entry.cached
            yield entry.source_path, part.index, entry


def _remove_documents(staging: Path, name: str, index: int, doc_ids: set[str], run_key: str) -> int:
    """Rewrite part `index` of table `name` without the rows of `doc_ids`; the rows removed."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = staging / f"{name}.parquet" / f"{part_name(index)}.parquet"
    table = pq.read_table(path)
    kept = table.filter(pc.invert(pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(doc_ids), pa.string()))))
    writer = TableWriter(path.parent, name, run_key, file=part_name(index))
    try:
        writer.add(kept)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    return table.num_rows - kept.num_rows


def _into_folder(path: Path) -> None:
    """A table written as one file becomes a dataset folder of one part."""
    folder = path.with_name(f".{path.name}.folder.tmp")
    folder.mkdir()
    os.rename(path, folder / f"{part_name(0)}.parquet")
    os.rename(folder, path)


def remove_partial_files(staging: Path) -> None:
    """Temporary files a killed worker left in the table folders (its task ran again
    elsewhere): never published, whatever a reader of the folder skips."""
    for name in STREAMED_TABLES:
        for stale in (staging / f"{name}.parquet").glob(".*.tmp"):
            stale.unlink(missing_ok=True)


def parts_of(output: Path, name: str) -> list[str]:
    """The part files of a published dataset table, relative to `output` (for the manifest)."""
    return [str(p.relative_to(output)) for p in table_files(output / f"{name}.parquet")]


def progress(parts: Iterator[Part], total: int, enabled: bool) -> Iterator[Part]:
    """Documents done / total and the rate, as a local run shows them, a part at a time."""
    if not enabled or total < 2:
        yield from parts
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="doc", file=sys.stderr, dynamic_ncols=True, disable=None) as bar:
        for part in parts:
            bar.update(len(part.entries))
            yield part


def map_parts(tasks: list, scheduler: str | None, workers: int, options, progress: bool) -> Iterator[Part]:
    """The part tasks run on the Dask cluster, in local processes, or here; parts in order.
    Closing this stops them."""
    from .cluster import dask_map
    from .run import pool_map, worker_count

    if scheduler:
        yield from dask_map(tasks, scheduler, write_part, progress)
        return
    count = worker_count(workers, len(tasks) * 8)  # a part is many inputs: one worker a part at most
    yield from pool_map(tasks, write_part, count, options) if count > 1 else map(write_part, tasks)
