"""Inputs and outputs on an object store (fsspec URLs, pipeline/storage.py): an S3 server
(moto's, on localhost) holds the notices and the tables. The workers of a Dask cluster read
their own inputs and write their parts there; the driver commits them with one put of
manifest.json; the cache works across runs; a run that dies leaves the previous tables."""

from __future__ import annotations

import json
import os
import shutil
from unittest import mock

import pandas as pd
import pytest
from conftest import CORPUS

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

import policy_pipeline as pp  # noqa: E402


@pytest.fixture(scope="module")
def s3():
    """An S3 endpoint for this module's tests; the environment points boto at it (the
    workers a test starts inherit it)."""
    server = moto_server.ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    with mock.patch.dict(os.environ, env):  # restored, whatever the tests did, when the module ends
        import fsspec

        yield fsspec.filesystem("s3", skip_instance_cache=True)
    server.stop()


def without_paths(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["source_path"], errors="ignore")


def test_notices_and_tables_on_s3_give_the_rows_of_a_local_run(s3, tmp_path):
    s3.mkdir("tables-a")
    s3.put(str(CORPUS), "tables-a/notices", recursive=True)
    summary = pp.run("s3://tables-a/notices", "s3://tables-a/out", scheduler="local:2", part_size=2)
    local = pp.run(str(CORPUS), tmp_path / "local", workers=1)
    assert (summary.documents, summary.targets, summary.errors) == (local.documents, local.targets, 0)
    manifest = json.loads(s3.cat_file("tables-a/out/manifest.json"))
    assert manifest["layout"] == "dataset" and manifest["current"].startswith(".runs/run-")
    assert manifest["parts"]["targets"][0] == f"{manifest['current']}/targets.parquet/part-00000.parquet"
    for name in ("documents", "clauses", "targets", "responsibilities", "categories", "region_category",
                 "region_indicator"):
        remote = pd.read_parquet(pp.table_path("s3://tables-a/out", name))
        assert without_paths(remote).equals(without_paths(pd.read_parquet(tmp_path / "local" / f"{name}.parquet"))), \
            name
    paths = pd.read_parquet(pp.table_path("s3://tables-a/out", "documents"))["source_path"]
    assert all(p.startswith("s3://tables-a/notices/") for p in paths)


def test_the_cache_on_s3_serves_the_next_run_and_a_run_that_dies_leaves_the_previous_tables(s3, tmp_path,
                                                                                             monkeypatch):
    s3.mkdir("tables-b")
    s3.put(str(CORPUS), "tables-b/notices", recursive=True)
    first = pp.run("s3://tables-b/notices", "s3://tables-b/out", part_size=3)
    manifest = s3.cat_file("tables-b/out/manifest.json")
    extra = tmp_path / "extra.txt"
    shutil.copy(next(CORPUS.rglob("*.txt")), extra)
    extra.write_text(extra.read_text(encoding="utf-8") + "\n附件:新增。\n", encoding="utf-8")
    s3.put_file(str(extra), "tables-b/notices/zz/extra.txt")

    from pipeline import compare

    def broken(*args, **kwargs):
        raise OSError("the disk is full")

    monkeypatch.setattr(compare, "write_region_indicator", broken)
    with pytest.raises(OSError, match="the disk is full"):
        pp.run("s3://tables-b/notices", "s3://tables-b/out", part_size=3)
    assert s3.cat_file("tables-b/out/manifest.json") == manifest  # not committed
    assert len(pd.read_parquet(pp.table_path("s3://tables-b/out", "documents"))) == first.documents
    assert len(s3.ls("tables-b/out/.runs", refresh=True)) == 1  # the dead run's folder is gone
    monkeypatch.undo()

    second = pp.run("s3://tables-b/notices", "s3://tables-b/out", part_size=3)
    # Every notice comes from the cache: the first run's, and the new one the dead run processed.
    assert (second.documents, second.cached) == (first.documents + 1, first.documents + 1)
    assert len(pd.read_parquet(pp.table_path("s3://tables-b/out", "documents"))) == first.documents + 1


def test_an_output_at_a_url_is_not_written_as_single_files(tmp_path):
    from conftest import cli

    result = cli("run", str(CORPUS), "-o", "s3://nowhere/out", "--layout", "file")
    assert result.returncode == 2 and "an output at a URL is written in the dataset layout" in result.stderr
