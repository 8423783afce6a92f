"""Benchmark of runs on Dask (`run --scheduler local:N`) beside the built-in worker pool, in
both layouts.

Builds a corpus from corpus/ (as bench/benchmark.py does), runs it as a user would (whole
processes, `--full`) with the built-in pool and on a LocalCluster (1 and 2 workers), each
writing single files (`--layout file`: every row goes through the driver) and part files
(`--layout dataset`: the workers write them), and prints seconds, documents/s and the ratio
to the pool with the same number of workers. Then the driver's own limit: a larger corpus
(--cache-mb) is processed once, and each configuration runs it into a new output folder
holding a copy of that cache, so the work left is moving rows — through the driver (file)
or in the workers (dataset). Then the part files' size a notice, and Dask's own cost:
seconds to start a LocalCluster, and milliseconds a task (2,000 empty tasks on two
workers). Cluster start-up and teardown are included: they are what a user waits for.
Machines are noisy: read the ratios.

    pip install -e '.[bench,dask]'
    python bench/dask_scaling.py --mb 5 --cache-mb 50
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchmark import EXE, build_corpus, timed_process  # noqa: E402 - a script beside this one

TABLES = ("documents", "clauses", "targets", "responsibilities", "categories")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=10, help="corpus size to build (MB)")
    parser.add_argument("--cache-mb", type=float, default=50, help="corpus size for the runs from the cache (MB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pp-bench-dask-") as tmp:
        folder = Path(tmp)
        files = build_corpus(folder / "corpus", args.mb)
        mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"corpus: {len(files):,} notices, {mb:.1f} MB\n")
        print(f"{'engine':<32}{'seconds':>9}{'docs/s':>9}{'× pool':>9}{'peak RSS MB':>13}")
        pool: dict[int, float] = {}
        for workers in (1, 2):
            for layout in ("file", "dataset"):
                for engine, option in (("pool", ["--workers", str(workers)]),
                                       ("dask", ["--scheduler", f"local:{workers}"])):
                    out = folder / f"out-{engine}-{workers}-{layout}"
                    command = [str(EXE), "run", str(folder / "corpus"), "-o", str(out), "-q", "--layout", layout,
                               *option]
                    seconds, rss, _ = timed_process([*command, "--full"], folder)
                    pool.setdefault(workers, seconds)
                    print(f"{f'{engine} {workers} worker(s), {layout}':<32}{seconds:>9.2f}"
                          f"{len(files) / seconds:>9.1f}{seconds / pool[workers]:>9.2f}{rss:>13.0f}")
        print(f"\nfrom a full cache ({args.cache_mb:g} MB corpus): the work left is moving rows, through the "
              "driver (file) or in the workers (dataset)")
        cached = build_corpus(folder / "cached", args.cache_mb)
        timed_process([str(EXE), "run", str(folder / "cached"), "-o", str(folder / "filled"), "-q", "-w", "2"], folder)
        for workers in (1, 2):
            for layout in ("file", "dataset"):
                for engine, option in (("pool", ["--workers", str(workers)]),
                                       ("dask", ["--scheduler", f"local:{workers}"])):
                    out = folder / f"cached-{engine}-{workers}-{layout}"
                    shutil.copytree(folder / "filled" / ".cache", out / ".cache")
                    seconds, _, _ = timed_process([str(EXE), "run", str(folder / "cached"), "-o", str(out), "-q",
                                                   "--layout", layout, *option], folder)
                    print(f"  {f'{engine} {workers} worker(s), {layout}':<30}{seconds:>9.2f} s"
                          f"{len(cached) / seconds:>9.0f} notices/s")
        parts = folder / "out-pool-1-dataset"
        sizes = {name: sum(p.stat().st_size for p in (parts / f"{name}.parquet").glob("part-*.parquet"))
                 for name in TABLES}
        count = len(list((parts / "targets.parquet").glob("part-*.parquet")))
        print(f"\npart files: {count} a table; bytes a notice: "
              + ", ".join(f"{name} {size / len(files):,.0f}" for name, size in sizes.items())
              + f"; all {sum(sizes.values()) / len(files):,.0f}")
    start_seconds, task_ms = dask_overhead()
    print(f"\nDask: LocalCluster of 2 workers started in {start_seconds:.1f} s; {task_ms:.2f} ms a task")


def _nothing(i: int) -> int:
    return i


def dask_overhead(tasks: int = 2000) -> tuple[float, float]:
    import time

    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        started = time.perf_counter() - start
        client.gather(client.map(_nothing, range(100)))  # warm
        start = time.perf_counter()
        client.gather([client.submit(_nothing, i, pure=False) for i in range(tasks)])
        return started, (time.perf_counter() - start) / tasks * 1000


if __name__ == "__main__":
    main()
