"""Benchmark: throughput, scaling, memory and incremental runs of policy-pipeline.

Builds a corpus of the requested size from the seeds in corpus/ and the development
notices in ../shared/devset/ (every copy varied so nothing is de-duplicated or reused),
runs the pipeline as a user would (whole process, `--full`), and prints one table:
documents, MB, seconds, MB/s and documents/s end to end and per stage, peak RSS, and —
measured in the same run on the same text — the throughput of OpenCC t2s alone and of
jieba.lcut alone (whole processes), with the ratios the performance budget is stated in.
Machines are noisy: read the ratios, not the seconds. The baselines run before and again
after the pipeline's runs, and the budget is read against their mean: over a long run the
machine's speed drifts, and one measurement at the start can flatter or wrong the run.

    pip install -e '.[bench]'
    python bench/benchmark.py --mb 50 --workers 1 2
    python bench/benchmark.py --mb 1000 --jieba-mb 20 --stage-mb 10   # the 1 GB run (~1 h)

The runs write the dataset layout by default (`--layout file` for single files): the
layout meant for large corpora, and the one whose re-run after a change rewrites only
the parts that hold a changed notice (a table written as one file is rewritten whole).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).with_name("policy-pipeline")


# Real variety (issue 18): the seeds and, beside the checkout (or where
# POLICY_PIPELINE_SHARED says: a checkout elsewhere, a git worktree), the 49 development
# notices (docs and extra: a few hundred characters to 60,000, plans, tables, lists,
# Traditional).
SHARED = Path(os.environ.get("POLICY_PIPELINE_SHARED", ROOT.parent / "shared"))
SOURCES = (ROOT / "corpus", SHARED / "devset" / "docs", SHARED / "devset" / "extra")


def build_corpus(target: Path, megabytes: float, sources: tuple[Path, ...] = SOURCES) -> list[Path]:
    """Copies of the notices in `sources`, each varied, up to `megabytes`. A missing source
    folder is said on stderr: copies of the five seeds alone make another benchmark (at
    1 GB one worker peaked at 480–576 MB PSS on them, 360 MB on the varied corpus)."""
    missing = [str(folder) for folder in sources if not folder.is_dir()]
    if missing:
        print(f"benchmark: not found, the corpus is made without them: {', '.join(missing)} "
              "(set POLICY_PIPELINE_SHARED)", file=sys.stderr)
    seeds = [p.read_text(encoding="utf-8") for folder in sources if folder.is_dir()
             for p in sorted(folder.rglob("*.txt"))]
    files, size, i = [], 0, 0
    while size < megabytes * 1e6:
        text = seeds[i % len(seeds)]
        # Vary each copy: another number in the first target and a numbered annex line.
        varied = text.replace("100名", f"{100 + i % 97}名", 1) + f"\n附件{i}\n"
        path = target / f"{i // 1000:04d}" / f"{i:07d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = varied.encode("utf-8")
        path.write_bytes(data)
        files.append(path)
        size += len(data)
        i += 1
    return files


def first_megabytes(files: list[Path], megabytes: float) -> tuple[list[Path], float]:
    """The first files that add up to `megabytes` (a sample for the slow measurements)."""
    out, size = [], 0.0
    for f in files:
        if size >= megabytes:
            break
        out.append(f)
        size += f.stat().st_size / 1e6
    return out, size


def timed_process(args: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, peak RSS, peak PSS) in MB, summed over the process tree. Workers are
    forked and share the parent's pages, which RSS counts in every process and PSS
    divides among them: PSS is the memory the run really takes."""
    start = time.perf_counter()
    proc = psutil.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_rss = peak_pss = 0.0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            info = [p.memory_full_info() for p in tree if p.is_running()]
            peak_rss = max(peak_rss, sum(i.rss for i in info) / 1e6)
            peak_pss = max(peak_pss, sum(i.pss for i in info) / 1e6)
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()[-500:]}")
    return seconds, peak_rss, peak_pss


BASELINE = """
import sys, time
from pathlib import Path
files = [Path(line) for line in open(sys.argv[2], encoding="utf-8").read().splitlines()]
if sys.argv[1] == "opencc":
    import opencc
    t2s = opencc.OpenCC("t2s")
    for f in files:
        t2s.convert(f.read_text(encoding="utf-8"))
else:
    import jieba
    jieba.setLogLevel(60)
    for f in files:
        jieba.lcut(f.read_text(encoding="utf-8"))
"""


STARTUP = """
import pipeline.cli, pipeline.run
pipeline.run.Options().lex()
"""


def startup_seconds(runs: int = 3) -> float:
    """Wall seconds to import the pipeline and compile the lexicons in a fresh interpreter,
    best of `runs`. Python's bytecode cache is allowed and warmed first, as an installed
    package has it (pip compiles it; PYTHONDONTWRITEBYTECODE, set on some machines, would
    add compiling every module to each start), and so is the cache of compiled regular
    expressions in the user's cache directory (pipeline/regexes.py), which the first run
    writes too."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs + 1):  # the first run writes the bytecode cache
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP], cwd=ROOT, env=env, check=True)
        times.append(time.perf_counter() - start)
    return min(times[1:])


def per_stage(files: list[Path]) -> dict[str, float]:
    """Seconds spent in each stage over `files`, in this process, and in turning the
    result into Arrow tables (what a worker does after the stages)."""
    sys.path.insert(0, str(ROOT))
    from pipeline.cli import _without_pandas
    from pipeline.read import load_source
    from pipeline.run import STAGES, DocResult, Options, document_columns, pack

    _without_pandas()  # as in `policy-pipeline run`
    lex = Options().lex()
    totals = {name: 0.0 for name, _ in STAGES} | {"to Arrow tables": 0.0}
    for path in files:
        record = load_source(path, path.name)
        for name, function in STAGES:
            start = time.perf_counter()
            record = function(record, lex)
            totals[name] += time.perf_counter() - start
        start = time.perf_counter()
        pack(DocResult(path.name, None, document_columns(record)))
        totals["to Arrow tables"] += time.perf_counter() - start
    return totals


def row(label: str, mb: float, docs: int, seconds: float, rss: float | None = None, pss: float | None = None,
        note: str = "") -> str:
    memory = "".join(f"{v:8.0f}" if v is not None else " " * 8 for v in (rss, pss))
    return (f"{label:<34}{docs:>9}{mb:>9.1f}{seconds:>10.2f}{mb / seconds:>9.2f}{docs / seconds:>10.1f}"
            f"{memory}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=20, help="corpus size to build (MB)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run")
    parser.add_argument("--jieba-mb", type=float, default=5, help="jieba baseline sample (it is slow)")
    parser.add_argument("--stage-mb", type=float, default=5, help="per-stage profile sample")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for corpus and outputs (default: system tmp)")
    parser.add_argument("--layout", choices=("dataset", "file"), default="dataset", help="the tables' layout")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="policy-bench-", dir=args.tmp))
    try:
        corpus = work / "corpus"
        files = build_corpus(corpus, args.mb)
        mb = sum(f.stat().st_size for f in files) / 1e6
        docs = len(files)
        lines = [f"{'measure':<34}{'docs':>9}{'MB':>9}{'seconds':>10}{'MB/s':>9}{'docs/s':>10}"
                 f"{'RSS MB':>8}{'PSS MB':>8}"]
        say = lambda line: (lines.append(line), print(line, file=sys.stderr, flush=True))  # noqa: E731

        listing = work / "files.txt"
        sample, sample_mb = first_megabytes(files, args.jieba_mb)

        def baselines(when: str) -> tuple[float, float]:
            """OpenCC's and jieba's MB/s, measured now (`when`: before or after the runs)."""
            listing.write_text("\n".join(map(str, files)), encoding="utf-8")
            opencc_s, opencc_rss, opencc_pss = timed_process([sys.executable, "-c", BASELINE, "opencc",
                                                              str(listing)], work)
            say(row(f"OpenCC t2s alone, {when}", mb, docs, opencc_s, opencc_rss, opencc_pss, "whole process"))
            listing.write_text("\n".join(map(str, sample)), encoding="utf-8")
            jieba_s, jieba_rss, jieba_pss = timed_process([sys.executable, "-c", BASELINE, "jieba", str(listing)],
                                                          work)
            say(row(f"jieba.lcut alone, {when}", sample_mb, len(sample), jieba_s, jieba_rss, jieba_pss,
                    "whole process, on a sample"))
            return mb / opencc_s, sample_mb / jieba_s

        opencc_mbs, jieba_mbs = baselines("before")
        single = None
        budgets = []
        for workers in args.workers:
            out = work / f"out-{workers}"
            seconds, rss, pss = timed_process([str(EXE), "run", str(corpus), "-o", str(out), "--full", "-q",
                                               "--workers", str(workers), "--layout", args.layout], work)
            single = single or seconds
            say(row(f"pipeline, {workers} worker(s), {args.layout}", mb, docs, seconds, rss, pss,
                    f"{(mb / seconds) / jieba_mbs:.1f}× jieba, {(mb / seconds) / opencc_mbs:.3f}× OpenCC, "
                    f"{single / seconds:.2f}× 1 worker"))
            if workers == 1:
                budgets += [("1 worker ≥ 10× jieba", (mb / seconds) / jieba_mbs, 10, ">="),
                            ("1 worker ≥ ¼ OpenCC", (mb / seconds) / opencc_mbs, 0.25, ">=")]
            if workers == 2 and args.workers[0] == 1:
                budgets.append(("2 workers ≥ 1.8× 1 worker", single / seconds, 1.8, ">="))
            budgets.append((f"peak PSS, {workers} worker(s), MB", pss, 500, "<"))
        # The machine's speed drifts over a long run (other tenants): the baselines are
        # measured again after the runs, and the budget is read against their mean.
        opencc_after, jieba_after = baselines("after")
        if args.workers[0] == 1:
            opencc_mean, jieba_mean = (opencc_mbs + opencc_after) / 2, (jieba_mbs + jieba_after) / 2
            say(f"baselines before / after: OpenCC {opencc_mbs:.2f} / {opencc_after:.2f} MB/s, jieba "
                f"{jieba_mbs:.3f} / {jieba_after:.3f} MB/s; 1 worker {(mb / single) / jieba_mean:.2f}× jieba and "
                f"{(mb / single) / opencc_mean:.4f}× OpenCC against their means")
            budgets[:2] = [("1 worker ≥ 10× jieba", (mb / single) / jieba_mean, 10, ">="),
                           ("1 worker ≥ ¼ OpenCC", (mb / single) / opencc_mean, 0.25, ">=")]
        out = work / f"out-{args.workers[0]}"
        rerun = [str(EXE), "run", str(corpus), "-o", str(out), "-q", "--workers", str(args.workers[0]),
                 "--layout", args.layout]
        again, rss, pss = timed_process(rerun, work)
        say(row("re-run, nothing changed", mb, docs, again, rss, pss, f"{again / single:.1%} of the first"))
        budgets.append(("re-run unchanged, share of first", again / single, 0.05, "<"))
        for f in files[:: 100]:  # 1 % of the documents change
            f.write_bytes(f.read_bytes() + "\n附件(修订)\n".encode())
        changed, rss, pss = timed_process(rerun, work)
        say(row("re-run, 1% of documents changed", mb, docs, changed, rss, pss,
                f"{changed / single:.1%} of the first"))
        budgets.append(("re-run 1% changed, share of first", changed / single, 0.05, "<"))
        imports = startup_seconds()
        say(row("startup: import + lexicons", 0.0001, 1, imports, note="bytecode cached, best of 3"))
        budgets.append(("startup (import + lexicons), s", imports, 0.5, "<"))
        tiny = work / "tiny"
        tiny.mkdir()
        shutil.copy(files[0], tiny / "one.txt")
        startup, rss, pss = timed_process([str(EXE), "run", str(tiny), "-o", str(work / "out-tiny"), "-q"], work)
        say(row("one small notice, end to end", files[0].stat().st_size / 1e6, 1, startup, rss, pss))

        stage_files, stage_mb = first_megabytes(files, args.stage_mb)
        for name, seconds in per_stage(stage_files).items():
            say(row(f"  {name}", stage_mb, len(stage_files), max(seconds, 1e-9)))
        print("\n".join(lines))
        print("\nbudget                                  measured    budget")
        for label, value, limit, op in budgets:
            ok = value >= limit if op == ">=" else value < limit
            print(f"{label:<38}{value:>10.3f}  {op} {limit:<6}  {'met' if ok else 'MISSED'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
