"""Running the per-document work on a Dask cluster (`run --scheduler`): jobs → results,
in the order of the jobs, as the local worker pool gives them.

Dask (`distributed`) rather than a scheduler of our own, or Ray: it is what research
clusters already run (dask-jobqueue for SLURM, PBS and SGE; dask-kubernetes), adds ~21 MB,
starts in under a second and costs ~1.7 ms a task against 30–60 ms a notice. `local:N`
starts a LocalCluster of N worker processes on this machine; any other value is the
address of a running scheduler (`tcp://host:8786`). A task is a few documents: each
worker reads its own inputs by path (a filesystem the workers share with the driver —
the driver sends paths, not bytes) and uses the same content-keyed cache folder, so an
unchanged notice is not processed again whichever machine meets it. Results come back to
the driver, which writes the tables as in a local run: the same input gives the same
tables, byte for byte, whatever the cluster. A worker that dies has its tasks run again
elsewhere (Dask's own bookkeeping); a notice that fails is an errors row, as locally.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator

from . import heap
from .errors import PipelineError

TASK_DOCUMENTS = 4  # documents a task: small enough to spread, large enough to amortise ~2 ms a task


def parse_scheduler(value: str) -> str:
    """`local:N` (N ≥ 1) or a scheduler address; raises ValueError on anything else."""
    if value.startswith("local:"):
        count = value.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"{value}: local:N needs a number of workers N ≥ 1")
        return value
    if "://" not in value and ":" not in value:
        raise ValueError(f"{value}: give local:N or a scheduler address such as tcp://host:8786")
    return value


def dask_map(tasks: list, scheduler: str, function: Callable, progress: bool) -> Iterator:
    """`function` over `tasks` on the cluster, results in task order."""
    from dask.distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler.startswith("local:"):
            # The workers' own log stays quiet but for the critical: a run stopped by a signal
            # closes the scheduler under them, and a heartbeat in that moment logged an error
            # with a traceback after "stopped by SIGTERM". What fails in a worker reaches the
            # run anyway, as the task's error (a worker that dies: its tasks run elsewhere,
            # then KilledWorker), and becomes an errors row or the run's message.
            cluster = LocalCluster(n_workers=int(scheduler.removeprefix("local:")), threads_per_worker=1,
                                   processes=True, dashboard_address=":0", silence_logs=logging.CRITICAL)
            client = Client(cluster)
            client.run(heap.tune_worker)  # our workers: they only run the batch (pipeline/heap.py)
        else:
            client = Client(scheduler, timeout="30s")
    except (OSError, RuntimeError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise PipelineError(f"cannot start or reach the Dask scheduler {scheduler} ({exc})") from None
    if progress:
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
    futures = [client.submit(function, task, pure=False) for task in tasks]
    try:
        for future in futures:
            yield future.result()
    finally:  # finished, interrupted or failed: nothing of this run keeps running on the cluster
        client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()
