"""What the throughput budget leaves once SPEC's tables are written (issue 18).

The budget of issue 18 is a whole process on one core: ≥ 10× jieba and ≥ ¼ OpenCC t2s on
the same text. This measures, in one process on the benchmark corpus (benchmark.py's:
the seeds and the development notices, varied), the pieces that budget has to hold:

- OpenCC t2s alone and jieba alone on the corpus's text, and so each budget in ms a MB;
- the per-notice pipeline as a run calls it, from a notice read to its Arrow tables;
- writing the five per-document tables (the columns SPEC §5 defines) in parts of 16
  notices, as the dataset layout writes them (zstd, statistics and the page index for
  every column: the project's choices, docs/decisions.md), and the same tables written
  the other ways a writer could choose: one file a table, another codec, no compression,
  no statistics, and, beyond SPEC, without the columns that hold a notice's text again.

Each line prints its ms a MB of input and its share of both budgets. Read the shares:
the machine's speed drifts, and both budgets are measured beside it.

    python bench/budget.py --mb 5
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmark import ROOT, build_corpus  # noqa: E402 - a script beside this one

sys.path.insert(0, str(ROOT))

PART = 16  # notices a part, as at 1 GB (dataset.part_size)
# The columns that hold a notice's text a second, third and fourth time: the documents'
# text as written beside its normalized text, and each clause's text in both forms.
REPEATED_TEXT = {"documents": ("text_original",), "clauses": ("text", "text_original")}


def best_of(runs: int, work) -> float:
    """The shortest of `runs` timings of `work()`: the least disturbed by the machine."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=5, help="corpus size to build (MB)")
    parser.add_argument("--runs", type=int, default=3, help="timings of each piece (the best is kept)")
    parser.add_argument("--jieba-mb", type=float, default=1, help="the sample jieba tokenises (MB)")
    args = parser.parse_args()

    import jieba
    import opencc
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline import heap
    from pipeline.read import load_source
    from pipeline.run import STREAMED, Options, pack, process_source
    from pipeline.tables import (
        PARQUET_OPTIONS,
        PART_OPTIONS,
        ROW_GROUP_SIZE,
        TableWriter,
        TableWriters,
        _decoded,
        _seal,
        ipc_table,
        part_name,
        schema_of,
    )

    with tempfile.TemporaryDirectory(prefix="policy-budget-") as tmp:
        work = Path(tmp)
        files = build_corpus(work / "corpus", args.mb)
        texts = [f.read_text(encoding="utf-8") for f in files]
        mb = sum(len(t.encode()) for t in texts) / 1e6
        per_mb = 1000 / mb  # seconds on the corpus → ms a MB

        t2s = opencc.OpenCC("t2s")
        opencc_ms = best_of(args.runs, lambda: [t2s.convert(f.read_text(encoding="utf-8")) for f in files]) * per_mb
        jieba.setLogLevel(60)
        sample, size = [], 0.0
        for f, text in zip(files, texts, strict=True):
            if size >= args.jieba_mb:
                break
            sample.append(f)
            size += len(text.encode()) / 1e6
        jieba.lcut(texts[0][:200])  # its dictionary loads once, before the timing
        jieba_ms = best_of(args.runs, lambda: [jieba.lcut(f.read_text(encoding="utf-8")) for f in sample]) * 1000 / size
        quarter_opencc, ten_jieba = 4 * opencc_ms, jieba_ms / 10

        options = Options()
        options.lex()
        heap.tune_worker()
        sources = [load_source(f, f.name) for f in files]
        packs: list = []

        def pipeline() -> None:
            packs[:] = [pack(process_source(source, options)) for source in sources]

        pipeline_ms = best_of(args.runs, pipeline) * per_mb
        tables = {name: [ipc_table(p.tables[name]) for p in packs if name in p.tables] for name in STREAMED}

        def writing(writer_options: dict | None, drop: dict[str, tuple[str, ...]], sync: bool = True,
                    part: int = PART) -> float:
            """Every part's five files written into a fresh folder, each part's rows in one
            row group and each file synced (`sync`), as TableWriter does; `writer_options` None: by
            TableWriter itself (the check that the other ways are written as a run writes).
            `part`: notices a part (all of them: one file a table, `--layout file`)."""
            parts = {name: [tables[name][i:i + part] for i in range(0, len(packs), part)] for name in STREAMED}
            def write() -> None:
                folder = Path(tempfile.mkdtemp(dir=work))
                for index in range(-(-len(packs) // part)):
                    if writer_options is None:
                        writers = TableWriters({name: TableWriter(folder / name, name, "budget", part_name(index))
                                                for name in STREAMED})
                        with writers:
                            for name in STREAMED:
                                for table in parts[name][index]:
                                    writers[name].add(table)
                        continue
                    for name in STREAMED:
                        path = folder / f"{name}-{index}.parquet"
                        schema = schema_of(name)
                        kept = [f.name for f in schema if f.name not in drop.get(name, ())]
                        pieces = [piece.select(kept) for table in parts[name][index]
                                  for piece in _decoded(table, schema)]
                        with pq.ParquetWriter(path, pa.schema([schema.field(n) for n in kept],
                                                              metadata=schema.metadata), **writer_options) as writer:
                            if pieces:
                                writer.write_table(pa.concat_tables(pieces), row_group_size=2 * ROW_GROUP_SIZE)
                        if sync:
                            _seal(path)
                shutil.rmtree(folder)
            return best_of(args.runs, write) * per_mb

        plain = {**PART_OPTIONS, "compression": "none"}
        bare = {**plain, "write_statistics": False, "write_page_index": False}
        whole = 1 << 30  # notices a part: all of them, one file a table
        ways = [
            ("parts, as a run writes them (TableWriter)", None, {}),
            ("parts: zstd, statistics, page index", PART_OPTIONS, {}),
            ("parts: the same, the files not synced", PART_OPTIONS, {}, False),
            ("parts: lz4", {**PART_OPTIONS, "compression": "lz4"}, {}),
            ("parts: no compression", plain, {}),
            ("parts: no compression, no statistics or page index", bare, {}),
            ("one file a table, as --layout file writes it", PARQUET_OPTIONS, {}, True, whole),
            ("one file a table: no compression, no statistics", {**bare, "use_dictionary": True}, {}, True, whole),
            ("beyond SPEC, parts: zstd, the text once", PART_OPTIONS, REPEATED_TEXT),
            ("beyond SPEC, one file: no compression or statistics, text once", {**bare, "use_dictionary": True},
             REPEATED_TEXT, True, whole),
        ]
        gc.collect()
        rows = [("OpenCC t2s, one pass", opencc_ms),
                ("the per-notice pipeline (a notice read → its Arrow tables)", pipeline_ms)]
        rows += [(f"writing the tables: {label}", writing(*way)) for label, *way in ways]

    print(f"{len(files)} notices, {mb:.1f} MB; OpenCC {1000 / opencc_ms:.1f} MB/s, jieba {1000 / jieba_ms:.2f} MB/s")
    print(f"budget (both baselines read the files, in this process): ¼ OpenCC = {quarter_opencc:.1f} ms a MB; "
          f"10× jieba = {ten_jieba:.1f} ms a MB")
    print(f"{'piece':64} {'ms/MB':>7} {'of ¼ OpenCC':>12} {'of 10× jieba':>13}")
    for label, ms in rows:
        print(f"{label:64} {ms:7.1f} {ms / quarter_opencc:12.0%} {ms / ten_jieba:13.0%}")


if __name__ == "__main__":
    main()
