"""The dataset layout (`run --layout dataset`, the default with `--scheduler`): the workers
write the tables, the driver commits them.

Takes a run's jobs (one per input file, in path order) and gives, in the run's staging
folder, every table as a folder of part files, `targets.parquet/part-00000.parquet` …,
which `run` then publishes with its manifest as it publishes single files. Part N holds
the documents of inputs N·P … N·P+P−1 (P = `--part-size`), so the parts are byte for byte
the same whatever the number of workers or machines, and read in name order they are the
single-file table, row for row. A worker processes its inputs (reading each itself and
using the shared, content-keyed cache) and writes its part of each per-document table;
the driver gets back a few fields a document, and the part's targets that map to an
indicator, and writes what needs every document: `errors`, `region_category`,
`region_indicator`, and the removal of a document whose content an earlier part already
holds (its `duplicate` row, as in a single-file run).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import compare, storage
from .reviews import load_reviews, reviews_by_document
from .storage import is_url
from .tables import TableWriter, TableWriters, json_text, part_name, release_memory, table_files, write_table

if TYPE_CHECKING:
    import pyarrow as pa

# The tables each document adds rows to (run.STREAMED), written by the workers as parts.
STREAMED_TABLES = ("documents", "clauses", "targets", "responsibilities", "categories")
GLOBAL_TABLES = ("errors", "region_category", "region_indicator")  # written by the driver

# Inputs a part on average, unless --part-size says: 8 up to ~36,000 notices, doubling
# with the corpus (a table keeps about 3,200 parts) up to 256 from ~580,000 (~10 s of
# work; ten million notices → ~39,000 parts a table). A re-run rewrites the parts that
# hold a changed notice, so their size is a trade: at 1 GB (51,722 notices, 1 % changed)
# parts of 32 rewrote 28,891 notices (70–81 s), parts of 8 7,253 (34–41 s), but pandas
# read a table of 6,500 parts in 9–12 s against 4–6 s for 1,700. Parts of 16 cut with a
# shortest length (below) rewrote 10,509 (38 s) in 3,200 parts: see docs/decisions.md.
# It depends on the number of inputs only, so the parts are the same whatever the workers.
PART_DOCUMENTS, MIN_PART_DOCUMENTS, NOTICES_A_PART = 256, 8, 3200
LONGEST_PART = 4  # × the average: where no name ends a part sooner
SHORTEST_PART = 5 / 8  # × the average: no name ends a part before (see part_groups)


def part_size(inputs: int) -> int:
    """The average part of a corpus of `inputs` notices (parts cut by their names)."""
    doublings = round(math.log2(max(inputs, 1) / NOTICES_A_PART)) if inputs > NOTICES_A_PART else 0
    return max(MIN_PART_DOCUMENTS, min(PART_DOCUMENTS, 1 << doublings))


def part_groups(jobs: list, requested: int = 0) -> list[list]:
    """The jobs (in path order) cut into parts. `--part-size N`: N at a time. Otherwise the
    names draw the cuts (content-defined chunking): a part of at least SHORTEST_PART of the
    average size ends after an input whose name hashes to 0 modulo (average − shortest +
    1), or when it reaches LONGEST_PART × the average. A notice added or removed then
    changes its own part, now and then the next one or two; cutting every N would shift
    every part after it, and a re-run would rewrite them all. The shortest length is what
    keeps a changed notice's part small: the part a notice chosen at random is in holds,
    with it, 29 notices when parts of 16 on average are cut wherever a name says, 21 when
    they are 8 long at least, 18 when they are 10 long at least (a re-run rewrites that
    many for each notice changed); a notice added or removed still rewrites 1.2 parts."""
    if requested:
        return [jobs[i:i + requested] for i in range(0, len(jobs), requested)]
    size = part_size(len(jobs))
    shortest = int(size * SHORTEST_PART)
    modulus = size - shortest + 1  # a part of `size` on average
    groups: list[list] = [[]]
    for job in jobs:
        group = groups[-1]
        group.append(job)
        if len(group) >= LONGEST_PART * size or (len(group) >= shortest and _name_hash(job[1]) % modulus == 0):
            groups.append([])
    return [group for group in groups if group]


def _name_hash(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


@dataclass
class Entry:
    """One input of a part, as the driver needs it: what `run` would have kept of it."""

    source_path: str
    sha256: str | None
    doc: dict | None  # doc_id, sha256, n_clauses, region; None when the input failed
    errors: list[dict]
    kept: bool  # written into the part (False: it repeats a document earlier in the part)
    # Its share of region_category, in its Part's sums when it is kept. A kept part's entry
    # has it read only if the document repeats one of an earlier part (`_KeptCounts`).
    counts: compare.Counts | tuple[_KeptCounts, int] = field(default_factory=dict)
    cached: bool = False

    def document_counts(self) -> compare.Counts:
        if isinstance(self.counts, tuple):
            kept, i = self.counts
            return kept.of(i)
        return self.counts


class _KeptCounts:
    """The counts of a kept part's documents: the second line of its entries file, parsed
    the first time one is needed (their tokens were most of that file's parsing)."""

    def __init__(self, text: bytes) -> None:
        self.text = text
        self.parsed: list | None = None

    def of(self, i: int) -> compare.Counts:
        if self.parsed is None:
            self.parsed = json.loads(self.text)
        return {(codebook, category): values for codebook, category, values in self.parsed[i]}


@dataclass
class Part:
    index: int
    entries: list[Entry]
    rows: dict[str, int]
    # Its targets that go into region_indicator, with their doc_id (compare.mapped_targets):
    # the driver builds that table from these instead of reading every part's targets back
    # (at 20 MB, a fifth of a re-run). None: not at hand, the targets are read.
    indicators: pa.Table | None = None
    # region → the summed counts of the documents it keeps, added once a part: parsing every
    # document's counts and adding them up one by one was about a fifth of a re-run of
    # 51,722 notices after one changed.
    counts: dict[str, compare.Counts] = field(default_factory=dict)


def _part_counts(entries: list[Entry]) -> dict[str, compare.Counts]:
    """The part's sums by region of the documents it keeps (an entry kept has a document)."""
    sums: dict[str, compare.Counts] = {}
    for entry in entries:
        if entry.kept:
            compare.add_counts(sums.setdefault(entry.doc["region"], {}), entry.document_counts())
    return sums


def write_part(task: tuple) -> Part:
    """A worker's task: process the inputs of part `index` and write that part of each
    per-document table into `staging` (and keep it in the cache, under the part's key)."""
    from .run import Summary

    index, jobs, staging, run_key, options, key = task
    reviews = {doc_id: list(decisions) for doc_id, decisions in _reviews(options.reviews).items()}
    summary, seen, targets = Summary(), {}, []
    with _local(staging) as folder:
        writers = TableWriters({name: TableWriter(folder / f"{name}.parquet", name, run_key, file=part_name(index))
                                for name in STREAMED_TABLES})
        with writers:  # a task run twice (a worker lost) writes the same bytes again
            entries = [_write_document(job, writers, seen, reviews, summary, targets) for job in jobs]
        part = Part(index, entries, {name: writer.rows for name, writer in writers.items()},
                    _indicators(targets, writers["targets"].schema), _part_counts(entries))
        if is_url(staging):  # each part goes up in one put
            for name in STREAMED_TABLES:
                _put(folder, staging, f"{name}.parquet/{part_name(index)}.parquet")
        else:
            _keep_part(folder, part, _kept_folder(jobs, key))
    return part


# --- parts kept for the next run ------------------------------------------------------
#
# A part's files depend only on the code, lexicons, options and reviews (the tables' run
# key) and on its inputs, by name and fingerprint (size and modification time). The cache
# keeps each part under that key, `.cache/parts/<key>/`: the five files, hard links to the
# ones written (no second copy); `stamps.json`, the inputs' names and the five files' size
# and modification time, checked before the files are linked; `entries.json`, what the
# driver needs of each input, read when the driver comes to the part (a line with the
# part's region_category sums and its entries, a line with each entry's own counts, read
# only for a document that repeats one of an earlier part: `_entries_text`); and
# `indicators.arrow` (Part.indicators). The stamps are a file of their own because every
# kept part is checked before the first is taken, and parsing its entries there too was
# about a third of that check (196 µs of ~540 µs a part).
# A re-run links an unchanged part's files into its tables instead of processing it, so
# it rewrites only the parts whose inputs changed. A part the driver later edits (a
# document repeated from an earlier part) is rewritten under a new name: the kept one stays.
PARTS = "parts"
INDICATORS = "indicators.arrow"  # the part's Part.indicators
STAMPS, ENTRIES = "stamps.json", "entries.json"
_BY_DOCUMENT = ("doc_id",)  # Part.indicators: the INDICATOR_COLUMNS and these
_TARGET_COLUMNS = [*compare.INDICATOR_COLUMNS, "review_status", *_BY_DOCUMENT]  # what Part.indicators is made of


def _kept_folder(jobs: list, key: str) -> Path:
    """Where the part of `jobs` is kept: in the run's cache folder, which each job carries."""
    return Path(jobs[0][3]) / PARTS / key


def part_key(run_key: str, jobs: list, fingerprints: dict[str, str]) -> str:
    digest = hashlib.sha256(f"part 1|{run_key}".encode())
    for job in jobs:
        digest.update(f"\n{job[1]}\t{fingerprints.get(job[1], '')}".encode())
    return digest.hexdigest()


def _indicators(targets: list, schema) -> pa.Table:
    """The part's targets that go into region_indicator (`Part.indicators`)."""
    import pyarrow as pa

    try:
        table = pa.concat_tables(targets) if targets else schema.empty_table()
    except pa.ArrowInvalid:  # a column dictionary-encoded in some documents only
        table = pa.concat_tables([compare.plain(t) for t in targets])
    return compare.mapped_targets(table, _BY_DOCUMENT).combine_chunks()


def _keep_part(folder: Path, part: Part, kept: Path) -> None:
    """Put the part just written in `folder` into the cache folder `kept`, whole or not at
    all (a folder renamed into place); a cache that cannot take it only costs a re-run."""
    tmp = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
    try:
        tmp.mkdir(parents=True)
        for name in STREAMED_TABLES:
            _link(folder / f"{name}.parquet" / f"{part_name(part.index)}.parquet", tmp / f"{name}.parquet")
        stamps = {"sources": [e.source_path for e in part.entries],
                  "files": {name: _stamp(tmp / f"{name}.parquet") for name in STREAMED_TABLES}}
        (tmp / STAMPS).write_text(json.dumps(stamps, ensure_ascii=False), encoding="utf-8")
        if part.indicators is not None:
            _write_arrow(tmp / INDICATORS, part.indicators)
        (tmp / ENTRIES).write_text(_entries_text(part), encoding="utf-8")
        shutil.rmtree(kept, ignore_errors=True)  # one kept before and not used (--full, or damaged)
        os.rename(tmp, kept)
    except (OSError, TypeError, ValueError):  # the part is written; only the next run's shortcut is lost
        shutil.rmtree(tmp, ignore_errors=True)


def _stamp(path: Path) -> str:
    """A kept file's fingerprint, checked before it is linked into a run's tables: a part
    file changed or cut short in the output (it is the same file) is written again, not
    published. Its size and modification time, as the dataset layout's inputs (hashing
    every kept file was a tenth of a re-run)."""
    from .run import _fingerprint

    return _fingerprint(path, by_content=False)


def _link(source: Path | str, target: Path | str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a filesystem without hard links (or a file there already: replaced)
        shutil.copyfile(source, target)


def _entries_text(part: Part) -> str:
    """The entries file: a line of JSON with the part's rows, sums ("counts") and entries,
    then a line with each entry's counts (JSON never breaks a line)."""
    def listed(counts: compare.Counts) -> list:
        return [[codebook, category, values] for (codebook, category), values in counts.items()]

    head = {"rows": part.rows,
            "counts": [[region, *row] for region, counts in part.counts.items() for row in listed(counts)],
            "entries": [{"source_path": e.source_path, "sha256": e.sha256, "doc": e.doc, "errors": e.errors,
                         "kept": e.kept} for e in part.entries]}
    counts = json.dumps([listed(e.document_counts()) for e in part.entries], ensure_ascii=False)
    head["counts_length"] = len(counts.encode())  # in bytes: a part whose second line changed is written again
    return f"{json.dumps(head, ensure_ascii=False)}\n{counts}"


def _link_kept(task: tuple) -> Path | None:
    """The cache folder of the part of `task`, its files checked and linked into the
    staging folder; None when it is not there (or damaged: it is then written again)."""
    index, jobs, staging, _, _, key = task
    if is_url(staging) or not jobs[0][4]:  # --full reads no cache
        return None
    kept = _kept_folder(jobs, key)
    try:
        stamps = json.loads((kept / STAMPS).read_text(encoding="utf-8"))
        if stamps["sources"] != [job[1] for job in jobs] or \
                any(_stamp(kept / f"{name}.parquet") != stamps["files"][name] for name in STREAMED_TABLES):
            return None
        file = f"{part_name(index)}.parquet"
        for name in STREAMED_TABLES:  # into the folders map_parts made
            _link(kept / f"{name}.parquet", os.path.join(staging, f"{name}.parquet", file))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return kept


def _kept_part(index: int, kept: Path) -> Part | None:
    """The part kept in `kept` (linked by `_link_kept`), read when the driver comes to it:
    a re-run of 50,000 notices held every kept part's entries at once (560 MB)."""
    try:
        # The entries' counts (the second line) stay undecoded. A part kept by other code is
        # never read: the code is part of its key.
        head, _, rest = (kept / ENTRIES).read_bytes().partition(b"\n")
        data = json.loads(head)
        if len(rest) != data["counts_length"]:
            return None
        counts = _KeptCounts(rest)
        entries = [Entry(e["source_path"], e["sha256"], e["doc"], e["errors"], e["kept"], (counts, i),
                         cached=True) for i, e in enumerate(data["entries"])]
        rows = {name: int(data["rows"][name]) for name in STREAMED_TABLES}
        sums: dict[str, compare.Counts] = {}
        for region, codebook, category, values in data["counts"]:
            sums.setdefault(region, {})[codebook, category] = values
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Part(index, entries, rows, _read_arrow(kept / INDICATORS), sums)


def _write_arrow(path: Path, table: pa.Table) -> None:
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_arrow(path: Path) -> pa.Table | None:
    """A kept part's mapped targets, or None (a part kept by an older version, or damaged:
    region_indicator then reads the targets)."""
    import pyarrow as pa

    try:
        with pa.OSFile(str(path), "rb") as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid):
        return None
    return table if table.column_names == [*compare.INDICATOR_COLUMNS, *_BY_DOCUMENT] else None


def prune_parts(cache: Path, tasks: list[tuple]) -> None:
    """Drop kept parts this run did not use (and what a killed worker left)."""
    folder = cache / PARTS
    if not folder.is_dir():
        return
    used = {task[5] for task in tasks}
    for entry in folder.iterdir():
        if entry.name not in used:
            shutil.rmtree(entry, ignore_errors=True)


def _write_document(job: tuple, writers: TableWriters, seen: dict[str, str], reviews: dict, summary,
                    targets: list) -> Entry:
    from .run import _process_path, admit

    result = _process_path(job)
    before = len(summary.error_rows)
    kept = admit(result, seen, reviews, summary)
    for name in kept.tables if kept else ():
        table = kept.table(name)
        writers[name].add(table)
        if name == "targets":
            targets.append(table.select(_TARGET_COLUMNS))
    return Entry(result.source_path, result.sha256, result.doc, summary.error_rows[before:], kept is not None,
                 kept.counts if kept else {}, result.cached)


@contextmanager
def _local(staging: Path | str) -> Iterator[Path]:
    """The folder to write into: `staging` itself, or for a URL a temporary local one."""
    if not is_url(staging):
        yield Path(staging)
        return
    folder = Path(tempfile.mkdtemp(prefix="policy-pipeline-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _put(folder: Path, staging: str, name: str) -> None:
    storage.upload(folder / name, storage.join(staging, name))


@lru_cache(maxsize=1)
def _reviews(paths: tuple[str, ...]) -> dict[str, list]:
    return reviews_by_document(load_reviews([Path(p) for p in paths]))


def part_tasks(jobs: list, staging: Path | str, run_key: str, options, fingerprints: dict[str, str]) -> list[tuple]:
    return [(index, group, str(staging), run_key, options, part_key(run_key, group, fingerprints))
            for index, group in enumerate(part_groups(jobs, options.part_size))]


def write_dataset(parts: Iterator[Part], early_errors: Iterable, staging: Path | str, summary, options, run_key: str,
                  reviews: dict[str, list] | None, used: set[str]) -> None:
    """Commit the `parts` (in part order, as the workers finish them) into the tables of
    `staging`: de-duplicate documents across parts, then write the global tables.
    `summary.written` stays False when no document was processed; `used` collects the
    content hashes met (their cache entries stay)."""
    from .run import duplicate_row, orphaned_reviews

    seen: dict[str, str] = {}  # doc_id → first path with that content (~120 bytes a document)
    counts: dict[str, compare.Counts] = {}  # region → category counts
    regions: set[str] = set()  # of the documents kept (a part's sums may hold a repeated one's)
    drop: dict[int, set[str]] = {}  # part → documents it repeats from an earlier part
    rows = dict.fromkeys(STREAMED_TABLES, 0)
    indicators = _Indicators()
    early = [(result.source_path, -1, Entry(result.source_path, result.sha256, None, result.errors, False))
             for result in early_errors]
    for path, index, entry in heapq.merge(early, _entries(parts, rows, summary, indicators, counts),
                                          key=lambda item: item[0]):
        used.add(entry.sha256)
        if entry.doc is None:
            summary.error_rows.extend(entry.errors)
            continue
        doc_id = entry.doc["doc_id"]
        if doc_id in seen:
            summary.error_rows.append(duplicate_row(path, entry.sha256, seen[doc_id]))
            if entry.kept:  # the first of its part, not of the run: its rows go
                drop.setdefault(index, set()).add(doc_id)
                # and its counts, which its part's sums hold
                compare.add_counts(counts[entry.doc["region"]], _negated(entry.document_counts()))
            continue
        seen[doc_id] = path
        summary.error_rows.extend(entry.errors)
        if reviews:
            reviews.pop(doc_id, None)  # applied by the worker
        regions.add(entry.doc["region"])  # its counts are in its part's sums (a first is kept)
    counts = {region: counts.get(region, {}) for region in regions}
    summary.error_rows.extend(orphaned_reviews(reviews))
    summary.errors = len(summary.error_rows)
    if not seen:
        return
    with _local(staging) as folder:
        for index, doc_ids in sorted(drop.items()):
            for name in STREAMED_TABLES:
                rows[name] -= _remove_documents(staging, folder, f"{name}.parquet/{part_name(index)}.parquet",
                                                doc_ids, run_key)
        release_memory()
        write_table(folder, "errors", summary.error_rows, run_key)
        write_table(folder, "region_category", compare.region_category(counts, options.lex()), run_key)
        targets = storage.join(staging, "targets.parquet") if is_url(staging) else staging / "targets.parquet"
        compare.write_region_indicator(targets, folder, run_key, indicators.table(drop))
        for name in GLOBAL_TABLES:
            _into_folder(folder / f"{name}.parquet")
            if is_url(staging):
                _put(folder, staging, f"{name}.parquet/{part_name(0)}.parquet")
    summary.documents = len(seen)
    summary.clauses, summary.targets = rows["clauses"], rows["targets"]
    summary.responsibilities, summary.categories = rows["responsibilities"], rows["categories"]
    summary.written = True


class _Indicators:
    """The parts' mapped targets as they come, while all have them and they number at most
    compare.SORT_ROWS (region_indicator is then sorted in memory without reading the
    targets). They wait in an unnamed temporary file, not in memory: at 1 GB the driver
    held 200,000 rows in 1,616 tables while its workers ran."""

    def __init__(self) -> None:
        self.parts: list[tuple[int, int]] | None = []  # (part index, record batches) in file order
        self.rows = 0
        self.file = None
        self.writer = None

    def add(self, part: Part) -> None:
        import pyarrow as pa

        if self.parts is None:
            return
        table = part.indicators
        self.rows += table.num_rows if table is not None else 0
        if table is None or self.rows > compare.SORT_ROWS:
            self.close()
            return
        try:
            if self.writer is None:
                self.file = tempfile.TemporaryFile(prefix="policy-pipeline-indicators-")
                self.writer = pa.ipc.new_stream(pa.PythonFile(self.file, mode="w"), table.schema)
            batches = table.to_batches()
            for batch in batches:
                self.writer.write_batch(batch)
        except (OSError, pa.ArrowInvalid):  # no room in the temporary folder, or another schema: read the targets
            self.close()
            return
        self.parts.append((part.index, len(batches)))

    def close(self) -> None:
        """Give up on the parts' rows (region_indicator reads the targets) and free the file."""
        self.parts = None
        if self.file is not None:
            self.file.close()
            self.file = self.writer = None

    def table(self, drop: dict[int, set[str]]) -> pa.Table | None:
        """All parts' rows in part order, without the documents `drop` removes from a part."""
        import pyarrow as pa

        if not self.parts:  # none came, or given up (close: no file, no writer either)
            self.close()
            return None
        try:
            self.writer.close()
            self.file.seek(0)
            reader = pa.ipc.open_stream(pa.PythonFile(self.file, mode="r"))
            batches = iter(reader)
            tables = {}
            for index, count in self.parts:  # in the order they came
                table = pa.Table.from_batches([next(batches) for _ in range(count)], reader.schema)
                tables[index] = _without_documents(table, drop[index]) if index in drop else table
        except (OSError, pa.ArrowInvalid, StopIteration):  # the file damaged under us: read the targets
            return None
        finally:
            self.close()
        # One chunk: region_indicator sorts and takes these rows, and 220,000 of them in
        # 1,600 chunks (one a part, 1 GB) took 0.85 s against 0.5 s in one; in 6,600, 1.9 s
        # and 70 MB more at the peak.
        return pa.concat_tables([table for _, table in sorted(tables.items())]).combine_chunks()


def _negated(counts: compare.Counts) -> compare.Counts:
    return {key: [-value for value in values] for key, values in counts.items()}


def _entries(parts: Iterator[Part], rows: dict[str, int], summary, indicators: _Indicators,
             counts: dict[str, compare.Counts]) -> Iterator[tuple[str, int, Entry]]:
    for part in parts:
        indicators.add(part)
        for region, sums in part.counts.items():
            compare.add_counts(counts.setdefault(region, {}), sums)
        for name, count in part.rows.items():
            rows[name] += count
        for entry in part.entries:
            summary.cached += entry.cached
            yield entry.source_path, part.index, entry


def _remove_documents(staging: Path | str, folder: Path, part: str, doc_ids: set[str], run_key: str) -> int:
    """Rewrite `part` (a part file's path in `staging`) without the rows of `doc_ids`;
    returns the rows removed."""
    import pyarrow.parquet as pq

    name = part.split(".parquet/", 1)[0]
    path = folder / part
    if is_url(staging):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(storage.read_bytes(storage.join(staging, part)))
    table = pq.read_table(path)
    kept = _without_documents(table, doc_ids)
    with TableWriters({name: TableWriter(path.parent, name, run_key, file=path.stem)}) as writers:
        writers[name].add(kept)
    if is_url(staging):
        _put(folder, staging, part)
    return table.num_rows - kept.num_rows


def _without_documents(table: pa.Table, doc_ids: set[str]) -> pa.Table:
    """`table` without the rows of `doc_ids` (documents a part repeats from an earlier one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return table.filter(pc.invert(pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(doc_ids), pa.string()))))


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


def parts_of(staging: Path | str, name: str) -> list[str]:
    """The part files of a dataset table, relative to the run's folder (for the manifest)."""
    if is_url(staging):
        files, _ = storage.parts(storage.join(staging, f"{name}.parquet"))
        return [f"{name}.parquet/{f.rsplit('/', 1)[-1]}" for f in files]
    return [str(p.relative_to(staging)) for p in table_files(staging / f"{name}.parquet")]


def map_parts(tasks: list, scheduler: str | None, workers: int, options, progress: bool) -> Iterator[Part]:
    """The part tasks run on the Dask cluster, in local processes, or here; parts in order.
    Closing this stops them."""
    from .cluster import dask_map
    from .run import pool_map, worker_count

    if tasks and not is_url(tasks[0][2]):
        for name in STREAMED_TABLES:  # once here, not for each part linked into it
            (Path(tasks[0][2]) / f"{name}.parquet").mkdir(parents=True, exist_ok=True)
    kept = {task[0]: folder for task in tasks if (folder := _link_kept(task)) is not None}
    todo = [task for task in tasks if task[0] not in kept]
    if scheduler:
        written = dask_map(todo, scheduler, write_part, progress) if todo else iter(())
    else:
        count = worker_count(workers, len(todo) * 8)  # a part is many inputs: one worker a part at most
        written = pool_map(todo, write_part, count, options) if count > 1 else map(write_part, todo)
    try:
        for task in tasks:
            if task[0] not in kept:
                yield next(written)
            else:  # a kept part gone since it was linked (removed by hand) is written here
                yield _kept_part(task[0], kept.pop(task[0])) or write_part(task)
        for _ in written:  # none left: the pool (or cluster) ends normally, not as if stopped
            pass
    finally:
        if hasattr(written, "close"):
            written.close()  # a run stopped early: stops the workers at once


# --- an output at a URL (an object store) -------------------------------------------
#
# No renames, links or locks there. A run writes every file under a folder of its own,
# `OUTPUT/.runs/run-…/` (the workers their parts, the driver the rest), then puts
# `OUTPUT/manifest.json`, which names that folder and lists its parts: one put, so a
# reader sees the previous manifest or the new one, and a run that dies before it leaves
# the previous manifest's tables as they were. The folder before the current one is kept
# (a reader may still be reading it); older ones, and folders of runs that died, go.
# `policy_pipeline.table_path(OUTPUT, "targets")` is where a table of the current set is.


def run_at_url(output: str, files: list, early_errors: list, summary, options, reviews: dict, workers: int,
               full: bool, progress: bool, scheduler: str | None, key: str, inputs_key: str) -> None:
    """`run` into the output folder at the URL `output` (the dataset layout only)."""
    from .run import (
        COMPARISONS,
        RUNS,
        TABLES,
        RunError,
        _prune_cache,
        _unchanged_summary,
        job_list,
        manifest_of,
        pack,
        show_progress,
    )

    if options.layout != "dataset":
        raise RunError(f"{output}: an output at a URL is written in the dataset layout (--layout dataset)")
    previous = _manifest_at(output)
    if not full and previous.get("inputs_key") == inputs_key:
        _unchanged_summary(summary, previous, table_path(output, "errors"), 0.0)
        return
    name = f"run-{key[:12]}-{uuid.uuid4().hex[:8]}"
    staging, cache = storage.join(output, RUNS, name), storage.join(output, ".cache")
    jobs = job_list(files, options, cache, full)
    used: set[str] = set()
    # Parts at a URL are not kept for the next run (no links there): their keys go unused.
    results = map_parts(part_tasks(jobs, staging, key, options, {}), scheduler, workers, options, progress)
    committed = False
    try:
        write_dataset(show_progress(results, len(jobs), progress, lambda part: len(part.entries)),
                      map(pack, early_errors), staging, summary, options, key, reviews, used)
        if summary.written:
            manifest = manifest_of(key, inputs_key, options, summary, None)
            manifest["current"] = f"{RUNS}/{name}"
            manifest["parts"] = {table: [f"{RUNS}/{name}/{p}" for p in parts_of(staging, table)]
                                 for table in TABLES + COMPARISONS}
            storage.write_bytes(storage.join(output, MANIFEST), json_text(manifest).encode())  # the commit
            committed = True
            keep = {name, previous.get("current", "").rsplit("/", 1)[-1]}
            for folder in storage.folders(storage.join(output, RUNS)):
                if folder.rstrip("/").rsplit("/", 1)[-1] not in keep:
                    storage.remove(folder)
            _prune_cache(cache, used, options)
    finally:
        results.close()
        if not committed:
            storage.remove(staging)


MANIFEST = "manifest.json"


def _manifest_at(output: str) -> dict:
    """The manifest of the output at the URL `output` ({} when it has none yet)."""
    return json.loads(storage.read_bytes(storage.join(output, MANIFEST)) or b"{}")


def table_path(output: Path | str, name: str) -> Path | str:
    """Where the table `name` of the current set is: `OUTPUT/<name>.parquet` (a file or a
    folder of parts), or for an output at a URL the folder its manifest names."""
    if not is_url(output):
        return Path(output) / f"{name}.parquet"
    manifest = _manifest_at(str(output))
    if "current" not in manifest:
        raise FileNotFoundError(f"{output}: no manifest.json (run `policy-pipeline run … -o {output}` first)")
    return storage.join(str(output), manifest["current"], f"{name}.parquet")
