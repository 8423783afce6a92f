"""The Python API (`import policy_pipeline`): one notice → its rows, inputs → a folder of
tables; the same rows as the command line, and the README's example runs as written."""

from __future__ import annotations

import os
import re

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, ROOT

import policy_pipeline as pp

XIJI = CORPUS / "xiji" / "002_238c332b42fc6cf1.txt"


def test_extract_from_text_gives_the_rows():
    notice = pp.extract("关于推进教育工作的通知\n到2027年,全县培养骨干教师100名。")
    rows = notice.targets.select(["mention", "value", "unit", "deadline_year"]).to_pylist()
    assert rows == [{"mention": "100名", "value": 100.0, "unit": "名", "deadline_year": 2027}]
    assert notice.document["title"] == "关于推进教育工作的通知"
    assert notice.document["source_path"] == "<text>"
    assert notice.clauses.num_rows == 3


def test_extract_from_a_path_gives_what_the_run_writes(corpus_run):
    notice = pp.extract(path=XIJI, source="corpus/xiji/002_238c332b42fc6cf1.txt")
    doc_id = notice.document["doc_id"]
    for name in ("clauses", "targets", "responsibilities", "categories"):
        written = pq.read_table(corpus_run / f"{name}.parquet")
        mine = written.filter(written.column("doc_id").to_numpy(zero_copy_only=False) == doc_id)
        assert notice.__getattribute__(name).to_pylist() == mine.to_pylist(), name


def test_extract_bytes_in_another_encoding():
    notice = pp.extract("關於推進教育工作的通知\n到2027年,全縣培養骨幹教師100名。".encode("big5"))
    assert notice.document["encoding"] == "big5"
    assert notice.targets.column("value").to_pylist() == [100.0]


@pytest.mark.parametrize("data, error_type", [(b"", "empty"), (b"\xa5" * 20000, "binary")])
def test_extract_refuses_what_a_run_would_record_as_an_error(data, error_type):
    with pytest.raises(pp.InputError) as caught:
        pp.extract(data)
    assert caught.value.error_type == error_type


def test_extract_needs_text_or_path_not_both():
    with pytest.raises(TypeError):
        pp.extract()
    with pytest.raises(TypeError):
        pp.extract("文本", path=XIJI)


def test_run_writes_the_tables(tmp_path):
    summary = pp.run(CORPUS, tmp_path / "out")
    assert summary.documents == 5 and summary.errors == 0
    assert pq.read_table(tmp_path / "out" / "targets.parquet").num_rows == summary.targets


def test_the_readme_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Python API.*?```python\n(.*?)```", readme, re.S)
    assert block, "README has a Python API section with an example"
    monkeypatch.chdir(tmp_path)
    os.symlink(CORPUS, tmp_path / "corpus")
    exec(compile(block.group(1), "README.md", "exec"), {})
    assert (tmp_path / "outputs" / "documents.parquet").exists()
