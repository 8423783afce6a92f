"""The compiled core against the Python rules: whole processes on one corpus, in turn.

Runs `policy-pipeline run --full --workers 1` on the benchmark corpus (seeds + development
notices, see benchmark.py) with POLICY_PIPELINE_ENGINE=core and =python alternately, prints
each run's CPU seconds, the median ratio of the pairs (python / core: how many times less
CPU the core takes; a shared machine drifts, within a pair the drift cancels), and whether
the two engines wrote byte-identical Parquet files.

    python bench/compare_engines.py --mb 5 --runs 4
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmark import EXE, build_corpus  # noqa: E402 - a script beside this one

ENGINES = ("core", "python")


def cpu_seconds(args: list[str], env: dict) -> float:
    """CPU time (user + system) of a child process and its workers."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=5, help="corpus size to build (MB)")
    parser.add_argument("--runs", type=int, default=4, help="pairs of runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="policy-engines-"))
    try:
        files = build_corpus(work / "corpus", args.mb)
        mb = sum(f.stat().st_size for f in files) / 1e6
        seconds: dict[str, list[float]] = {e: [] for e in ENGINES}
        for i in range(args.runs):
            for engine in ENGINES if i % 2 == 0 else ENGINES[::-1]:  # neither always goes first
                command = [str(EXE), "run", str(work / "corpus"), "-o", str(work / engine), "--full", "-q",
                           "--workers", "1"]
                seconds[engine].append(cpu_seconds(command, {**os.environ, "POLICY_PIPELINE_ENGINE": engine}))
                print(f"{engine:<7}{seconds[engine][-1]:8.1f} s CPU", file=sys.stderr, flush=True)
        ratios = [p / c for p, c in zip(seconds["python"], seconds["core"], strict=True)]
        tables = {e: {p.name: p.read_bytes() for p in (work / e).glob("*.parquet")} for e in ENGINES}
        print(f"{len(files)} notices, {mb:.1f} MB: the core takes 1/{statistics.median(ratios):.2f} of the Python "
              f"rules' CPU time (pairs {', '.join(f'{r:.2f}' for r in ratios)}); "
              f"core {mb / statistics.median(seconds['core']):.2f} MB/s, "
              f"python {mb / statistics.median(seconds['python']):.2f} MB/s of CPU")
        same = tables["core"] == tables["python"] and len(tables["core"]) > 0
        print(f"Parquet files byte-identical: {'yes' if same else 'NO'} ({len(tables['core'])} files)")
        if not same:
            raise SystemExit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
