"""Runs on a Dask cluster (`run --scheduler`, pipeline/cluster.py): the same tables, byte for
byte, as one local worker — in the dataset layout the workers write (pipeline/dataset.py) and
in single files, on the seeds, on the development notices, and when a worker is killed in
the middle of the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT

pytest.importorskip("distributed")

DEVSET = ROOT.parent / "shared" / "devset" / "docs"
TABLES = ("documents", "clauses", "targets", "responsibilities", "categories", "errors", "region_category",
          "region_indicator")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, capture_output=True, text=True)


def same_tables(a: Path, b: Path) -> None:
    """The same files, byte for byte: each table's file, or each part of its folder."""
    for name in TABLES:
        files = [sorted(p.relative_to(d) for p in [d / f"{name}.parquet", *(d / f"{name}.parquet").glob("*")]
                        if p.is_file()) for d in (a, b)]
        assert files[0] == files[1] and files[0], name
        for file in files[0]:
            assert (a / file).read_bytes() == (b / file).read_bytes(), file


@pytest.mark.parametrize("inputs", [CORPUS, DEVSET], ids=["seeds", "devset"])
def test_a_local_cluster_of_two_workers_gives_the_tables_of_one_worker(inputs, tmp_path):
    if not inputs.is_dir():
        pytest.skip(f"{inputs} is not beside the checkout")
    one, cluster = tmp_path / "one", tmp_path / "cluster"
    assert cli("run", str(inputs), "-o", str(one), "--workers", "1", "--layout", "dataset", "--part-size", "3",
               "-q").returncode == 0
    result = cli("run", str(inputs), "-o", str(cluster), "--scheduler", "local:2", "--part-size", "3")
    assert result.returncode == 0, result.stderr
    assert "Dask dashboard: http://" in result.stderr
    assert (cluster / "targets.parquet" / "part-00001.parquet").is_file()  # the cluster's default: parts
    same_tables(one, cluster)
    assert cli("run", str(inputs), "-o", str(one), "--workers", "1", "--layout", "file", "-q").returncode == 0
    assert cli("run", str(inputs), "-o", str(cluster), "--scheduler", "local:2", "--layout", "file",
               "-q").returncode == 0
    same_tables(one, cluster)


def test_a_worker_killed_mid_run_is_replaced_and_the_tables_are_the_same(tmp_path):
    from dask.distributed import Client, LocalCluster

    from pipeline.run import Options, run

    inputs = DEVSET if DEVSET.is_dir() else CORPUS
    reference = tmp_path / "reference"
    options = Options(layout="dataset", part_size=2)
    run([inputs], reference, workers=1, options=options, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        pids = client.run(os.getpid)  # worker address → process
        done = threading.Event()
        summary = {}

        def work():
            summary["run"] = run([inputs], tmp_path / "cluster", options=options, progress=False,
                                 scheduler=cluster.scheduler_address)
            done.set()

        thread = threading.Thread(target=work)
        thread.start()
        # Killed at its first task, not after a fixed time: on a fast machine the whole run
        # took less than the second this test used to wait.
        deadline = time.monotonic() + 60
        while not (busy := [w for w, tasks in client.processing().items() if tasks]) and not done.is_set() \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        assert busy and not done.is_set()
        os.kill(pids[busy[0]], signal.SIGKILL)
        thread.join(timeout=300)
    assert done.is_set() and summary["run"].documents > 0
    same_tables(reference, tmp_path / "cluster")


def test_a_scheduler_that_is_no_scheduler_is_a_usage_error(tmp_path):
    result = cli("run", str(CORPUS), "-o", str(tmp_path / "out"), "--scheduler", "local:0")
    assert result.returncode == 2 and "local:N needs a number of workers N ≥ 1" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc lists the run's processes")
def test_a_run_stopped_on_the_driver_leaves_the_previous_tables_and_no_worker(tmp_path):
    from test_reliability import _busy_corpus, _end_session, _session, _wait_for

    # Enough work that the cluster is still writing 2 s after it started (120 notices took
    # 2.1 s on 2 cores at 12-05: the signal came after the run had ended).
    _busy_corpus(tmp_path, 480)
    assert cli("run", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q").returncode == 0
    out = tmp_path / "out"
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    exe = Path(sys.executable).with_name("policy-pipeline")
    proc = subprocess.Popen([str(exe), "run", "in", "-o", "out", "--full", "--scheduler", "local:2"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        # The cluster has started and the run is writing into its staging folder.
        assert _wait_for(lambda: len(_session(proc.pid)) >= 3 and list((out / ".runs").glob("*.tmp")), 60)
        time.sleep(2.0)
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 143, stderr
        assert "stopped by SIGTERM; earlier tables are intact" in stderr and "Traceback" not in stderr
        assert _wait_for(lambda: not _session(proc.pid), 10), f"left running: {_session(proc.pid)}"
    finally:
        _end_session(proc.pid)
    assert not list(out.glob(".runs/*.tmp"))
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before
    assert cli("run", str(tmp_path / "in"), "-o", str(out), "-q").returncode == 0  # the lock was released


def test_a_rerun_on_the_cluster_links_the_unchanged_parts(tmp_path):
    """The driver links the kept parts, the workers write and keep the others: a re-run
    after one notice changed rewrites one part, and the tables are a fresh run's bytes."""
    from test_dataset import inodes, varied_corpus

    files = varied_corpus(tmp_path / "in", 40)  # more than 32: at least two parts, wherever the names cut
    assert cli("run", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--scheduler", "local:2",
               "-q").returncode == 0
    first = inodes(tmp_path / "out")
    files[11].write_bytes(files[11].read_bytes() + "\n附件(修订)\n".encode())
    assert cli("run", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--scheduler", "local:2",
               "-q").returncode == 0
    second = inodes(tmp_path / "out")
    rewritten = {path.split("/")[1] for path, inode in second.items()
                 if not path.startswith(("errors", "region_")) and inode != first[path]}
    assert len(rewritten) == 1 and len(second) >= 2 * 5 + 3  # one part of several, in each table
    assert cli("run", str(tmp_path / "in"), "-o", str(tmp_path / "fresh"), "--workers", "1", "--layout",
               "dataset", "-q").returncode == 0
    same_tables(tmp_path / "out", tmp_path / "fresh")
