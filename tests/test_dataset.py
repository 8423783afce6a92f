"""The dataset layout (`run --layout dataset`, pipeline/dataset.py): each table a folder of
part files written by the workers and committed with a manifest. The parts hold the rows of
the single-file tables, in their order; they are the same bytes whatever the number of
workers; DuckDB, pandas and pyarrow read both layouts with the same query."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, cli

from pipeline.run import Options, run

TABLES = ("documents", "clauses", "targets", "responsibilities", "categories", "errors", "region_category",
          "region_indicator")


def parts(output: Path) -> dict[str, bytes]:
    """Every part file of every table, by its path in the output folder."""
    return {f"{name}.parquet/{p.name}": p.read_bytes()
            for name in TABLES for p in sorted((output / f"{name}.parquet").glob("part-*.parquet"))}


def same_rows(file_layout: Path, dataset_layout: Path) -> None:
    for name in TABLES:
        a, b = pq.read_table(file_layout / f"{name}.parquet"), pq.read_table(dataset_layout / f"{name}.parquet")
        assert a.replace_schema_metadata(None).equals(b.replace_schema_metadata(None)), name


@pytest.fixture()
def corpus_with_copies(tmp_path) -> Path:
    """The seeds, with one notice copied under names that put its copies in later parts."""
    notices = tmp_path / "in"
    shutil.copytree(CORPUS, notices)
    first = sorted(notices.rglob("*.txt"))[0]
    (notices / "zz").mkdir()
    shutil.copy(first, notices / "zz" / "copy.txt")  # a later part
    shutil.copy(first, first.with_name(first.stem + "_again.txt"))  # the same part
    return notices


def test_parts_hold_the_rows_of_the_single_files_and_duplicates_across_parts_go(corpus_with_copies, tmp_path):
    one = run([corpus_with_copies], tmp_path / "file", workers=1, progress=False)
    many = run([corpus_with_copies], tmp_path / "dataset", workers=1, progress=False,
               options=Options(layout="dataset", part_size=2))
    same_rows(tmp_path / "file", tmp_path / "dataset")
    duplicates = [e for e in pq.read_table(tmp_path / "dataset" / "errors.parquet").to_pylist()
                  if e["error_type"] == "duplicate"]
    assert len(duplicates) == 2 and {e["source_path"].rsplit("/", 1)[-1] for e in duplicates} == \
        {"copy.txt", next(p.name for p in corpus_with_copies.rglob("*_again.txt"))}
    assert (many.documents, many.targets, many.errors) == (one.documents, one.targets, one.errors)
    manifest = json.loads((tmp_path / "dataset" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["layout"] == "dataset" and manifest["tables"]["targets"] == many.targets
    assert len(manifest["parts"]["targets"]) == (many.inputs + 1) // 2  # 2 inputs a part
    assert cli("validate", str(tmp_path / "dataset")).returncode == 0


def test_a_rerun_counts_each_document_once_from_the_kept_parts_sums(corpus_with_copies, tmp_path):
    """region_category from parts kept by the run before: their sums, less a document that
    repeats one of an earlier part (the copy in zz/), equal the single file's counts."""
    options = Options(layout="dataset", part_size=2)
    run([corpus_with_copies], tmp_path / "dataset", workers=1, progress=False, options=options)
    last = sorted(corpus_with_copies.rglob("*.txt"))[-2]  # changed: its part is written again, the others kept
    last.write_bytes(last.read_bytes() + "\n附件(修订)\n".encode())
    again = run([corpus_with_copies], tmp_path / "dataset", workers=1, progress=False, options=options)
    assert again.cached >= again.inputs - 2
    run([corpus_with_copies], tmp_path / "file", workers=1, progress=False)
    same_rows(tmp_path / "file", tmp_path / "dataset")
    counted = pq.read_table(tmp_path / "dataset" / "region_category.parquet").to_pylist()
    assert sum(row["clauses"] for row in counted) > 0


def test_a_part_is_written_without_dictionaries_and_a_whole_table_with_them(tmp_path):
    """A part holds a few notices: a dictionary per column costs more there than it saves
    (tables.PART_OPTIONS); a table in one file repeats values across the corpus."""
    run([CORPUS], tmp_path / "file", workers=1, progress=False)
    run([CORPUS], tmp_path / "dataset", workers=1, progress=False, options=Options(layout="dataset", part_size=2))

    def encodings(path: Path) -> set[str]:
        meta = pq.ParquetFile(path).metadata
        return {e for g in range(meta.num_row_groups) for c in range(meta.num_columns)
                for e in meta.row_group(g).column(c).encodings}

    assert "RLE_DICTIONARY" in encodings(tmp_path / "file" / "clauses.parquet")
    part_files = sorted((tmp_path / "dataset" / "clauses.parquet").glob("part-*.parquet"))
    assert part_files and not any("RLE_DICTIONARY" in encodings(p) for p in part_files)
    same_rows(tmp_path / "file", tmp_path / "dataset")


def test_parts_are_the_same_bytes_whatever_the_number_of_workers(tmp_path):
    for workers in (1, 2):
        run([CORPUS], tmp_path / str(workers), workers=workers, progress=False,
            options=Options(layout="dataset", part_size=1))
    assert parts(tmp_path / "1") == parts(tmp_path / "2")
    assert len(parts(tmp_path / "1")) == 5 * 5 + 3  # a part a notice in 5 tables; errors and comparisons: one


def test_duckdb_pandas_and_pyarrow_read_both_layouts_with_the_same_query(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    counts = {}
    for layout in ("file", "dataset"):
        out = tmp_path / layout
        assert cli("run", str(CORPUS), "-o", str(out), "--layout", layout, "--part-size", "2", "-q").returncode == 0
        assert (out / "targets.parquet").is_dir() == (layout == "dataset")
        query = f"SELECT region, count(*) AS n FROM '{out}/targets.parquet' GROUP BY region ORDER BY region"
        by_duckdb = duckdb.sql(query).fetchall()
        by_pandas = pd.read_parquet(out / "targets.parquet").groupby("region").size()
        by_pyarrow = pq.read_table(out / "targets.parquet").group_by("region").aggregate([("region", "count")])
        assert by_duckdb == sorted(by_pandas.items())
        assert sorted(by_pyarrow.to_pylist(), key=lambda r: r["region"]) == \
            [{"region": r, "region_count": n} for r, n in by_duckdb]
        counts[layout] = by_duckdb
    assert counts["file"] == counts["dataset"] and sum(n for _, n in counts["file"]) > 50


def test_every_command_reads_the_dataset_layout(tmp_path):
    out = tmp_path / "out"
    assert cli("run", str(CORPUS), "-o", str(out), "--layout", "dataset", "-q").returncode == 0
    for command in (["validate", str(out)], ["compare", "-o", str(out)], ["export", "-o", str(out), "-f", "csv"],
                    ["report", "-o", str(out)]):
        result = cli(*command)
        assert result.returncode == 0, (command, result.stderr)
    exported = (out / "export" / "targets.csv") if (out / "export").exists() else next(out.rglob("targets.csv"))
    assert len(exported.read_text(encoding="utf-8").splitlines()) == pq.read_table(out / "targets.parquet").num_rows + 1


def test_a_stray_part_and_a_missing_part_are_validation_problems(tmp_path):
    out = tmp_path / "out"
    run([CORPUS], out, workers=1, progress=False, options=Options(layout="dataset", part_size=2))
    folder = out / "targets.parquet"
    stray = folder / "part-00099.parquet"
    shutil.copy(folder / "part-00000.parquet", stray)
    result = cli("validate", str(out))
    assert result.returncode == 1 and "part-00099.parquet: a part the manifest does not list" in result.stdout + \
        result.stderr
    stray.unlink()
    (folder / "part-00001.parquet").unlink()
    assert "part-00001.parquet: listed in the manifest, missing" in cli("validate", str(out)).stderr



def _region_indicator_read_from_targets(output: Path, folder: Path) -> bytes:
    """region_indicator as built by reading every part's targets back (the way a table
    too big to sort in memory, or a part kept without its mapped targets, takes)."""
    from pipeline import compare
    from pipeline.tables import RUN_KEY

    run_key = pq.read_schema(output / "targets.parquet" / "part-00000.parquet").metadata[RUN_KEY].decode()
    folder.mkdir()
    compare.write_region_indicator(output / "targets.parquet", folder, run_key)
    return (folder / "region_indicator.parquet").read_bytes()


def test_region_indicator_comes_from_the_parts_and_is_the_file_the_targets_give(corpus_with_copies, tmp_path,
                                                                                 monkeypatch):
    """The workers hand the driver each part's targets that map to an indicator; the driver
    sorts those (without the documents it drops as repeated) instead of reading the targets
    back, and writes the same bytes."""
    from pipeline import compare

    reference = tmp_path / "file"
    run([corpus_with_copies], reference, workers=1, progress=False)
    target = next(t for t in pq.read_table(reference / "targets.parquet").to_pylist() if t["indicator_id"])
    reviews = tmp_path / "reviews.jsonl"  # one mapped target rejected: it leaves region_indicator
    reviews.write_text(json.dumps({"doc_id": target["doc_id"], "row": f"t:{target['start']}:{target['end']}",
                                   "mention": target["mention"], "status": "rejected"}, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    options = Options(reviews=(str(reviews),), layout="dataset", part_size=2)

    def unread(*args):
        raise AssertionError("region_indicator read the targets back")

    with monkeypatch.context() as patch:
        patch.setattr(compare, "_indicator_groups", unread)
        run([corpus_with_copies], tmp_path / "dataset", workers=2, progress=False, options=options)
    written = (tmp_path / "dataset" / "region_indicator.parquet" / "part-00000.parquet").read_bytes()
    assert written == _region_indicator_read_from_targets(tmp_path / "dataset", tmp_path / "read")
    rows = pq.read_table(tmp_path / "dataset" / "region_indicator.parquet").to_pylist()
    assert target["target_id"] not in {r["target_id"] for r in rows} and len(rows) > 10
    assert len(rows) == len({r["target_id"] for r in rows})  # the copies' targets went with them

    monkeypatch.setattr(compare, "SORT_ROWS", 3)  # too many to sort in memory: the targets are read
    run([corpus_with_copies], tmp_path / "groups", workers=1, progress=False, options=options)
    assert (tmp_path / "groups" / "region_indicator.parquet" / "part-00000.parquet").read_bytes() == written

def test_the_parts_mapped_targets_wait_on_disk_not_in_the_driver():
    """At 1 GB the driver held 200,000 mapped targets in 1,616 tables while its workers ran:
    they wait in a temporary file, and come back in part order without the dropped documents."""
    import gc
    import tempfile
    import weakref

    import pyarrow as pa

    from pipeline.dataset import Part, _Indicators

    def part(index, docs):
        table = pa.table({"doc_id": [d for d in docs for _ in range(2)], "value": [float(index)] * 2 * len(docs)})
        return Part(index, [], {}, table)

    held = _Indicators()
    kept = []
    for index, docs in [(0, ["a", "b"]), (2, ["e"]), (1, ["c", "d"])]:  # a part may come late
        p = part(index, docs)
        kept.append(weakref.ref(p.indicators))
        held.add(p)
        del p
    gc.collect()
    assert all(ref() is None for ref in kept)  # no part's table stays in memory
    table = held.table({1: {"d"}})
    assert table.column("doc_id").to_pylist() == ["a", "a", "b", "b", "c", "c", "e", "e"]
    assert table.column("doc_id").num_chunks == 1  # sorted for region_indicator: one chunk, not one a part
    assert held.file is None  # the file is gone once read

    other = _Indicators()
    other.add(part(0, ["a"]))
    other.add(Part(1, [], {}, pa.table({"doc_id": ["b"]})))  # another schema: the targets are read
    assert other.table({}) is None
    full = _Indicators()
    with pytest.MonkeyPatch.context() as patch:  # no room in the temporary folder: the targets are read
        patch.setattr(tempfile, "TemporaryFile", lambda **_: (_ for _ in ()).throw(OSError(28, "No space left")))
        full.add(part(0, ["a"]))
    full.add(part(1, ["b"]))
    assert full.table({}) is None and full.file is None


def test_reviews_apply_in_the_workers_as_in_a_single_file_run(tmp_path):
    reference = tmp_path / "file"
    run([CORPUS], reference, workers=1, progress=False)
    target = pq.read_table(reference / "targets.parquet").to_pylist()[3]
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in [
        {"doc_id": target["doc_id"], "row": f"t:{target['start']}:{target['end']}", "mention": target["mention"],
         "status": "rejected"},
        {"doc_id": "0000000000000000", "row": "t:5:7", "mention": "x", "status": "confirmed"},
    ]), encoding="utf-8")
    options = Options(reviews=(str(reviews),))
    run([CORPUS], reference, workers=1, progress=False, options=options)
    run([CORPUS], tmp_path / "dataset", workers=2, progress=False,
        options=Options(reviews=(str(reviews),), layout="dataset", part_size=2))
    same_rows(reference, tmp_path / "dataset")
    statuses = [t["review_status"] for t in pq.read_table(tmp_path / "dataset" / "targets.parquet").to_pylist()]
    assert statuses.count("rejected") == 1
    assert [e["error_type"] for e in pq.read_table(tmp_path / "dataset" / "errors.parquet").to_pylist()] == \
        ["review_orphaned"]


def test_the_driver_reads_no_input_and_a_touched_file_changes_no_byte(tmp_path, monkeypatch):
    notices = tmp_path / "in"
    shutil.copytree(CORPUS, notices)
    options = Options(layout="dataset", part_size=2)
    run([notices], tmp_path / "out", workers=1, progress=False, options=options)
    before = parts(tmp_path / "out")
    for path in notices.rglob("*.txt"):
        path.touch()  # new modification times: the run goes again, from the cache
    import pipeline.run as run_module

    fingerprints = []
    real = run_module._fingerprint
    monkeypatch.setattr(run_module, "_fingerprint", lambda path, by_content: fingerprints.append(by_content) or
                        real(path, by_content))
    summary = run([notices], tmp_path / "out", workers=2, progress=False, options=options)
    assert summary.cached == summary.documents == 5
    assert parts(tmp_path / "out") == before
    assert fingerprints == [False] * 5  # size and modification time of each input; no byte read here


# --- a re-run rewrites only the parts whose inputs changed -------------------------------

def varied_corpus(folder: Path, copies: int) -> list[Path]:
    """`copies` distinct notices made from the seeds (each with a numbered annex line)."""
    seeds = sorted(CORPUS.rglob("*.txt"))
    files = []
    for i in range(copies):
        path = folder / f"{i:03d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(seeds[i % len(seeds)].read_bytes() + f"\n附件{i}\n".encode())
        files.append(path)
    return files


def inodes(output: Path) -> dict[str, int]:
    return {f"{name}.parquet/{p.name}": p.stat().st_ino
            for name in TABLES for p in sorted((output / f"{name}.parquet").glob("part-*.parquet"))}


def test_a_rerun_links_the_unchanged_parts_and_rewrites_only_the_changed_ones(tmp_path):
    files = varied_corpus(tmp_path / "in", 40)  # more than 32: at least two parts, wherever the names cut
    options = Options(layout="dataset")  # parts of 8 on average, cut where a name says
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    first = inodes(tmp_path / "out")
    files[17].write_bytes(files[17].read_bytes() + "\n附件(修订)\n".encode())
    summary = run([tmp_path / "in"], tmp_path / "out", workers=2, progress=False, options=options)
    assert summary.documents == 40
    second = inodes(tmp_path / "out")
    part_count = (len(second) - 3) // 5  # five streamed tables, three global tables of one part
    assert part_count >= 2
    rewritten = {path.split("/")[1] for path, inode in second.items()
                 if path.split(".")[0] in ("documents", "clauses", "targets", "responsibilities", "categories")
                 and inode != first[path]}
    assert len(rewritten) == 1  # one part, in each of the five tables: the one holding file 17
    run([tmp_path / "in"], tmp_path / "fresh", workers=1, progress=False, options=options)
    assert parts(tmp_path / "out") == parts(tmp_path / "fresh")  # as a run from scratch, byte for byte
    kept = sorted((tmp_path / "out" / ".cache" / "parts").iterdir())
    assert len(kept) == part_count  # the part the change replaced was dropped from the cache



def test_a_rerun_takes_the_kept_parts_mapped_targets_or_reads_them_when_they_are_gone(tmp_path, monkeypatch):
    from pipeline import compare

    files = varied_corpus(tmp_path / "in", 24)
    options = Options(layout="dataset")
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    files[5].write_bytes(files[5].read_bytes() + "\n附件(修订)\n".encode())
    with monkeypatch.context() as patch:
        patch.setattr(compare, "_indicator_groups", lambda *a: (_ for _ in ()).throw(AssertionError("read")))
        run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    run([tmp_path / "in"], tmp_path / "fresh", workers=1, progress=False, options=options)
    assert parts(tmp_path / "out") == parts(tmp_path / "fresh")
    for kept in (tmp_path / "out" / ".cache" / "parts").iterdir():
        (kept / "indicators.arrow").write_bytes(b"cut short")
    files[9].write_bytes(files[9].read_bytes() + "\n附件(修订)\n".encode())
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)  # reads the targets
    run([tmp_path / "in"], tmp_path / "fresh", workers=1, progress=False, options=options)
    assert parts(tmp_path / "out") == parts(tmp_path / "fresh")

def test_a_rerun_reads_each_kept_part_when_it_comes_to_it(tmp_path, monkeypatch):
    """A re-run of 50,000 notices held every kept part's entries at once (560 MB): each is
    read when the driver takes it. A kept part removed after it was linked is written again."""
    from pipeline import dataset

    files = varied_corpus(tmp_path / "in", 40)
    options = Options(layout="dataset", part_size=4)
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    files[21].write_bytes(files[21].read_bytes() + "\n附件(修订)\n".encode())
    events, real_read, real_entries = [], dataset._kept_part, dataset._entries

    def read(index, kept):
        events.append(("read", index))
        if index == 7:
            shutil.rmtree(kept)  # gone since it was linked
        return real_read(index, kept)

    def taken(parts, *args):
        for path, index, entry in real_entries(parts, *args):
            if not events or events[-1] != ("taken", index):
                events.append(("taken", index))
            yield path, index, entry

    monkeypatch.setattr(dataset, "_kept_part", read)
    monkeypatch.setattr(dataset, "_entries", taken)
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    reads = [i for kind, i in events if kind == "read"]
    assert len(reads) == 9 and 5 not in reads  # ten parts; part 5 holds the changed notice
    for index in reads:  # read right before it is taken, never all first
        assert events[events.index(("read", index)) + 1] == ("taken", index)
    run([tmp_path / "in"], tmp_path / "fresh", workers=1, progress=False, options=options)
    assert parts(tmp_path / "out") == parts(tmp_path / "fresh")


def test_full_links_no_kept_part_and_a_damaged_one_is_written_again(tmp_path):
    files = varied_corpus(tmp_path / "in", 20)
    options = Options(layout="dataset")
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    first = inodes(tmp_path / "out")
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, full=True, options=options)
    assert not set(first.values()) & set(inodes(tmp_path / "out").values())  # --full: every part written
    for i, kept in enumerate(sorted((tmp_path / "out" / ".cache" / "parts").iterdir())):
        entries = kept / "entries.json"  # not JSON, or its second line (the counts) cut short
        entries.write_text("{not json" if i % 2 else entries.read_text(encoding="utf-8")[:-3], encoding="utf-8")
    files[3].write_bytes(files[3].read_bytes() + "\n附件(修订)\n".encode())
    second = inodes(tmp_path / "out")
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    assert not set(second.values()) & set(inodes(tmp_path / "out").values())  # damaged: written again
    run([tmp_path / "in"], tmp_path / "fresh", workers=1, progress=False, options=options)
    assert parts(tmp_path / "out") == parts(tmp_path / "fresh")


def test_a_notice_added_changes_its_part_and_now_and_then_the_next():
    from pipeline.dataset import part_groups

    jobs = [(f"/in/{i:05d}.txt", f"in/{i:05d}.txt") for i in range(2000)]
    names = lambda gs: [tuple(job[1] for job in g) for g in gs]  # noqa: E731
    groups = part_groups(jobs)
    before = set(names(groups))
    replaced = []
    for i in range(0, 2000, 100):  # twenty notices added, one at a time
        added = names(part_groups(sorted([*jobs, (f"/in/{i:05d}a.txt", f"in/{i:05d}a.txt")],
                                         key=lambda job: job[1])))
        assert any(f"in/{i:05d}a.txt" in part for part in added if part not in before)
        replaced.append(len(before - set(added)))
    assert max(replaced) <= 3 and sum(replaced) / len(replaced) <= 1.5  # cutting every 8: all after it
    sizes = [len(g) for g in groups]
    assert 6 < len(jobs) / len(groups) < 10 and min(sizes[:-1]) >= 4 and max(sizes) <= 32  # 8 on average
    assert groups != [jobs[i:i + 8] for i in range(0, 2000, 8)]


def test_a_kept_part_changed_in_place_is_written_again_not_linked(tmp_path):
    files = varied_corpus(tmp_path / "in", 20)
    options = Options(layout="dataset")
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    for n, kept in enumerate(sorted((tmp_path / "out" / ".cache" / "parts").iterdir())):
        with open(kept / "targets.parquet", "r+b") as handle:  # the published part too: one file
            if n % 2:
                handle.seek(0, 2)  # one byte more
            else:
                handle.seek(100)  # one byte changed, the size the same
            handle.write(b"x")
    files[3].write_bytes(files[3].read_bytes() + "\n附件(修订)\n".encode())
    first = inodes(tmp_path / "out")
    run([tmp_path / "in"], tmp_path / "out", workers=1, progress=False, options=options)
    assert not set(first.values()) & set(inodes(tmp_path / "out").values())
    run([tmp_path / "in"], tmp_path / "fresh", workers=1, progress=False, options=options)
    assert parts(tmp_path / "out") == parts(tmp_path / "fresh")


def test_a_finished_run_ends_its_workers_normally(tmp_path):
    """Every part done, the pool shuts down as a finished one: marking the workers as
    stopped (as an interrupted run does) made the command leave through os._exit — and,
    in a process that goes on, any later command too."""
    import pipeline.run as run_module

    varied_corpus(tmp_path / "in", 20)
    run([tmp_path / "in"], tmp_path / "out", workers=2, progress=False, options=Options(layout="dataset"))
    assert run_module.workers_stopped is False


def test_a_parts_mapped_targets_are_made_whatever_form_its_columns_came_in():
    import pyarrow as pa

    from pipeline import compare
    from pipeline.dataset import _indicators
    from pipeline.tables import schema_of

    schema = schema_of("targets")
    rows = [{"doc_id": "d1", "target_id": "d1-T0000", "indicator_id": "ev_chargers", "region": "江门市", "unit": "个",
             "review_status": None},
            {"doc_id": "d1", "target_id": "d1-T0001", "indicator_id": None, "region": "江门市", "unit": "个"},
            {"doc_id": "d2", "target_id": "d2-T0000", "indicator_id": "ev_chargers", "region": "太仓市", "unit": "个",
             "review_status": "rejected"},
            {"doc_id": "d3", "target_id": "d3-T0000", "indicator_id": "forest_cover", "region": "西吉县", "unit": "%"}]
    tables = [pa.Table.from_pylist([row], schema=schema) for row in rows]
    i = schema.get_field_index("region")  # one document's region column dictionary-encoded
    tables[3] = tables[3].set_column(i, "region", tables[3].column(i).dictionary_encode())
    for made in (_indicators(tables, schema), _indicators(tables[:2], schema)):
        assert made.column_names == [*compare.INDICATOR_COLUMNS, "doc_id"]
        assert not any(pa.types.is_dictionary(t) for t in made.schema.types)
    assert _indicators(tables, schema).select(["target_id", "region"]).to_pylist() == [
        {"target_id": "d1-T0000", "region": "江门市"}, {"target_id": "d3-T0000", "region": "西吉县"}]
    assert _indicators([], schema).num_rows == 0
