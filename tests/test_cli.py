"""End to end: the command line on the sample corpus, as a researcher runs it."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from conftest import CORPUS, ROOT, cli

TABLES = ("documents", "clauses", "targets", "responsibilities", "errors")


def test_run_writes_valid_tables(corpus_run):
    for name in TABLES:
        assert (corpus_run / f"{name}.parquet").exists()
    result = cli("validate", str(corpus_run))
    assert result.returncode == 0, result.stderr
    from pipeline.tables import SCHEMA_VERSION

    assert f"match schema v{SCHEMA_VERSION}" in result.stdout


def test_offsets_point_into_both_texts(tables):
    docs = tables["documents"].set_index("doc_id")
    for row in tables["clauses"].itertuples():
        doc = docs.loc[row.doc_id]
        assert doc.text[row.start:row.end] == row.text
        assert doc.text_original[row.start:row.end] == row.text_original


def test_two_runs_give_identical_files(corpus_run, tmp_path):
    cli("run", "corpus", "-o", str(tmp_path), "-q", "--workers", "2", check=True)
    for name in TABLES:
        assert (tmp_path / f"{name}.parquet").read_bytes() == (corpus_run / f"{name}.parquet").read_bytes(), name


def test_rerun_skips_unchanged_documents(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    out = tmp_path / "out"
    first = cli("run", str(corpus), "-o", str(out), cwd=tmp_path, check=True)
    assert "unchanged since the last run" not in first.stderr
    before = (out / "clauses.parquet").read_bytes()
    written = {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    second = cli("run", str(corpus), "-o", str(out), cwd=tmp_path, check=True)
    assert "5 unchanged since the last run" in second.stderr
    assert (out / "clauses.parquet").read_bytes() == before
    # Nothing changed: the tables are not even rewritten.
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")} == written
    # One changed document is reprocessed; the others are reused.
    changed = corpus / "taicang" / "003_82af26369f33b24f.txt"
    changed.write_bytes(changed.read_bytes() + "\n附件\n".encode())
    third = cli("run", str(corpus), "-o", str(out), cwd=tmp_path, check=True)
    assert "4 unchanged since the last run" in third.stderr
    full = cli("run", str(corpus), "-o", str(out), "--full", cwd=tmp_path, check=True)
    assert "unchanged since the last run" not in full.stderr


def test_bad_files_become_error_rows_and_the_batch_goes_on(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(CORPUS / "xiji" / "002_238c332b42fc6cf1.txt", corpus / "xiji.txt")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "fake.txt").write_bytes(b"\x89PNG\r\n\x1a\n binary")  # a picture named .txt
    (corpus / "same-as-xiji.txt").write_bytes((corpus / "xiji.txt").read_bytes())
    (corpus / "notes.md").write_text("not a notice")
    out = tmp_path / "out"
    result = cli("run", str(corpus), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    errors = pq.read_table(out / "errors.parquet").to_pylist()
    by_file = {e["source_path"].rsplit("/", 1)[-1]: e for e in errors}
    assert set(by_file) == {"empty.txt", "fake.txt", "xiji.txt"} or set(by_file) == {
        "empty.txt", "fake.txt", "same-as-xiji.txt"}
    assert by_file["empty.txt"]["error_type"] == "empty"
    assert by_file["fake.txt"]["error_type"] == "unsupported_format"
    assert pq.read_table(out / "documents.parquet").num_rows == 1
    assert "ignored 1 file" in result.stderr
    strict = cli("run", str(corpus), "-o", str(out), "--strict", cwd=tmp_path)
    assert strict.returncode == 1 and strict.stderr.strip().splitlines()[-1].startswith("error: --strict")


def test_nothing_processable_exits_non_zero_and_keeps_earlier_tables(tmp_path, corpus_run):
    out = tmp_path / "out"
    shutil.copytree(corpus_run, out)
    before = {name: (out / f"{name}.parquet").read_bytes() for name in TABLES}
    (tmp_path / "empty.txt").write_bytes(b"")
    result = cli("run", str(tmp_path / "empty.txt"), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: no document could be processed; tables in")
    typo = cli("run", str(tmp_path / "typo"), "-o", str(out), cwd=tmp_path)
    assert typo.returncode == 2  # a usage error, found before anything is touched
    expected = f"error: {tmp_path / 'typo'}: no such file or folder (see `policy-pipeline run --help`)"
    assert typo.stderr.strip() == expected
    for name in TABLES:  # a run that processed nothing does not replace good tables
        assert (out / f"{name}.parquet").read_bytes() == before[name], name


def test_a_missing_input_creates_no_output_folder(tmp_path):
    result = cli("run", "typo", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2 and "typo: no such file or folder" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bare_command_prints_help_not_an_error():
    result = cli()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: policy-pipeline") and "error" not in result.stderr


def test_extract_reads_a_notice_on_standard_input():
    exe = Path(sys.executable).with_name("policy-pipeline")
    result = subprocess.run([str(exe), "extract", "-", "-f", "json"], input="到2027年,全县培养骨干教师100名。\n",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [(t["mention"], t["deadline_year"]) for t in json.loads(result.stdout)] == [("100名", 2027)]


def test_second_concurrent_run_is_refused(tmp_path):
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = cli("run", "corpus", "-o", str(out))
    assert result.returncode == 1
    assert "another policy-pipeline run is writing to" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_validate_reports_a_broken_table(tmp_path, corpus_run):
    out = tmp_path / "out"
    shutil.copytree(corpus_run, out)
    (out / "clauses.parquet").write_bytes(b"not parquet")
    result = cli("validate", str(out))
    assert result.returncode == 1
    assert "clauses.parquet: unreadable Parquet" in result.stderr


def test_bad_arguments_give_one_line_errors(tmp_path):
    for args in (["run", "--workers", "zero"], ["run", "--nope"], ["frobnicate"], ["validate", str(tmp_path / "x")]):
        result = cli(*args)
        assert result.returncode != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_broken_lexicon_is_reported_before_any_document(tmp_path):
    lexicons = tmp_path / "lexicons"
    shutil.copytree(ROOT / "lexicons", lexicons)
    path = lexicons / "structure.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("'扫一扫'", "'扫一扫('"), encoding="utf-8")
    result = cli("run", "corpus", "-o", str(tmp_path / "out"), "--lexicons", str(lexicons))
    assert result.returncode == 2
    assert re.search(r"structure\.yaml:\d+: bad pattern '扫一扫\('", result.stderr)
    assert not (tmp_path / "out" / "documents.parquet").exists()


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    result = cli("--help")
    commands = re.findall(r"^  (\w+)\s", result.stdout.split("Commands:")[1], re.M)
    assert {"run", "validate"} <= set(commands)
    for command in commands:
        help_text = cli(command, "--help")
        assert help_text.returncode == 0 and len(help_text.stdout) > 200, command
        assert f"policy-pipeline {command}" in readme, f"`policy-pipeline {command}` is not documented in README"


def test_files_in_every_encoding_give_the_same_document(tmp_path, tables):
    """Seeds re-encoded as a crawler might deliver them: same text, encoding recorded."""
    import codecs
    import html

    corpus = tmp_path / "in"
    corpus.mkdir()
    xiji = (CORPUS / "xiji" / "002_238c332b42fc6cf1.txt").read_text(encoding="utf-8")
    taicang = (CORPUS / "taicang" / "003_82af26369f33b24f.txt").read_text(encoding="utf-8")
    variants = {
        "xiji-gbk.txt": (xiji.encode("gbk"), "gbk"),
        "xiji-utf8-bom.txt": (codecs.BOM_UTF8 + xiji.encode(), "utf-8-sig"),
        "xiji-utf16.txt": (xiji.encode("utf-16"), "utf-16-le"),
        "xiji-crlf.txt": (xiji.replace("\n", "\r\n").encode(), "utf-8"),
        "taicang-big5.txt": (taicang.encode("big5"), "big5"),
        "taicang-utf16be.txt": (codecs.BOM_UTF16_BE + taicang.encode("utf-16-be"), "utf-16-be"),
    }
    page = "".join(f"<p>{html.escape(line)}</p>\n" for line in taicang.splitlines())
    page = f'<html><head><meta charset="gbk"><script>var a=1;</script></head><body>{page}</body></html>'
    variants["taicang.html"] = (page.encode("gbk"), "gbk")
    for name, (data, _) in variants.items():
        (corpus / name).write_bytes(data)
    out = tmp_path / "out"
    cli("run", "in", "-o", str(out), "-q", cwd=tmp_path, check=True)
    docs = pq.read_table(out / "documents.parquet").to_pandas().set_index("source_path")
    reference = tables["documents"].set_index("title")
    assert len(docs) == len(variants)
    for name, (_, encoding) in variants.items():
        row = docs.loc[f"in/{name}"]
        assert row.encoding == encoding, name
        expected = reference.loc[row.title]
        assert row.text == expected.text, name
        assert row.n_clauses == expected.n_clauses, name


def test_compare_prints_every_view_and_format(corpus_run):
    table = cli("compare", "-o", str(corpus_run), check=True).stdout
    for region in ("三江侗族自治县", "江门市", "西吉县", "太仓市", "广元市"):
        assert region in table
    assert "办学条件与学位供给" in table and "total" in table
    targets = cli("compare", "-o", str(corpus_run), "--measure", "targets", "--format", "csv", check=True).stdout
    rows = list(csv.reader(io.StringIO(targets)))
    assert rows[0][:2] == ["category", "名称"] and rows[0][-1] == "total"
    taicang = rows[0].index("太仓市")
    assert all(row[taicang] == "0" for row in rows[1:])  # Taicang states no quantified target
    # The totals are totals (issue 14): every target once, not once per category.
    written = pq.read_table(corpus_run / "targets.parquet", columns=["region"]).column(0).to_pylist()
    total = next(row for row in rows if row[0] == "total: all")
    for i, region in enumerate(rows[0][2:-1], start=2):
        assert int(total[i]) == written.count(region), region
    assert int(total[-1]) == len(written)
    categorized = next(row for row in rows if row[0] == "total: categorized")
    assert all(int(c) <= int(a) for c, a in zip(categorized[2:], total[2:], strict=True))
    markdown = cli("compare", "-o", str(corpus_run), "--view", "crosstab", "--format", "markdown", check=True).stdout
    assert markdown.startswith("| action \\ policy_tool |") and "S1_talent" in markdown
    share = list(csv.reader(io.StringIO(cli("compare", "-o", str(corpus_run), "--normalize", "share", "--format",
                                            "csv", check=True).stdout)))
    assert next(r for r in share if r[0] == "total: all")[2:] == ["1"] * (len(share[0]) - 2)
    raw = list(csv.reader(io.StringIO(cli("compare", "-o", str(corpus_run), "--format", "csv", check=True).stdout)))
    per_doc = list(csv.reader(io.StringIO(cli("compare", "-o", str(corpus_run), "--normalize", "per-document",
                                              "--format", "csv", check=True).stdout)))
    assert per_doc[1][2:-1] == raw[1][2:-1]  # one notice a region in the sample corpus
    pivot = cli("compare", "-o", str(corpus_run), "--view", "indicators", "--format", "csv", check=True).stdout
    rows = list(csv.reader(io.StringIO(pivot)))
    assert rows[0][:2] == ["indicator_id", "unit"]
    assert len({r[0] for r in rows[1:]}) == len(rows) - 1  # one row per indicator: it has one unit
    backbone = next(r for r in rows if r[:2] == ["backbone_teachers", "名"])
    xiji = rows[0].index("西吉县")
    written = [r for r in pq.read_table(corpus_run / "region_indicator.parquet").to_pylist()
               if r["indicator_id"] == "backbone_teachers" and r["region"] == "西吉县"]
    assert backbone[xiji].startswith(f"{len(written)} · ")
    detail = cli("compare", "-o", str(corpus_run), "--view", "indicators", "--detail", check=True).stdout
    assert "backbone_teachers" in detail and "per_subordinate" in detail
    missing = cli("compare", "-o", str(corpus_run), "--codebook", "nope")
    assert missing.returncode == 1 and "no codebook 'nope'" in missing.stderr


def test_worker_count_defaults_to_the_cores_but_not_for_a_handful_of_files(monkeypatch):
    from pipeline import run as run_module

    monkeypatch.setattr(run_module.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert run_module.worker_count(0, 1000) == 4
    assert run_module.worker_count(0, 20) == 2  # 8 files or more per worker
    assert run_module.worker_count(0, 5) == 1
    assert run_module.worker_count(3, 5) == 3  # asked for: given
    assert run_module.worker_count(3, 2) == 2


def test_formats_are_named_alike_across_commands(corpus_run):
    seed = str(CORPUS / "xiji" / "002_238c332b42fc6cf1.txt")
    lines = cli("extract", seed, "-f", "jsonl", check=True).stdout.splitlines()
    assert [json.loads(line)["mention"] for line in lines] == \
        [t["mention"] for t in json.loads(cli("extract", seed, "-f", "json", check=True).stdout)]
    compared = json.loads(cli("compare", "-o", str(corpus_run), "-f", "json", check=True).stdout)
    assert compared[-1]["category"] == "total: all"
    assert len(cli("compare", "-o", str(corpus_run), "-f", "jsonl", check=True).stdout.splitlines()) == len(compared)
