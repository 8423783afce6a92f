"""Reliability (SPEC §9): a corpus of hostile inputs generated from the seeds, where every
file must end as a documents row or an errors row; a run killed mid-write; incremental
runs equal full runs; no network is ever touched."""

from __future__ import annotations

import codecs
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, cli

XIJI = (CORPUS / "xiji" / "002_238c332b42fc6cf1.txt").read_text(encoding="utf-8")
TAICANG = (CORPUS / "taicang" / "003_82af26369f33b24f.txt").read_text(encoding="utf-8")

# file name → (bytes, what must become of it: "document" or the error_type)
HOSTILE: dict[str, tuple[bytes, str]] = {
    "utf8.txt": (XIJI.encode(), "document"),
    "utf8-bom.txt": (codecs.BOM_UTF8 + XIJI.encode(), "document"),
    "utf16le-bom.txt": (codecs.BOM_UTF16_LE + XIJI.encode("utf-16-le"), "document"),
    "utf16be-bom.txt": (codecs.BOM_UTF16_BE + XIJI.encode("utf-16-be"), "document"),
    "gb18030.txt": ((XIJI + "€").encode("gb18030"), "document"),
    "big5.txt": (TAICANG.encode("big5"), "document"),
    "short-gbk.txt": ("到2027年培养骨干教师100名".encode("gbk"), "document"),
    "mostly-ascii.txt": (("Index 2025-00019 http://example.gov.cn/a.html\n" * 30 + "教育局\n").encode("gbk"),
                         "document"),
    "mixed-script.txt": ("關于印发教育质量提升行动方案的通知\n到2027年,培養县级骨干教师100名。\n".encode(), "document"),
    "crlf.txt": (XIJI.replace("\n", "\r\n").encode(), "document"),
    "fullwidth.txt": ("到２０２７年，培养骨干教师１００名，入学率达到９８％以上。\n".encode(), "document"),
    "name with spaces 名称.txt": (TAICANG.encode() + "\n附件\n".encode(), "document"),
    "empty.txt": (b"", "empty"),
    "whitespace.txt": (b" \n\t \r\n", "empty"),
    "binary.txt": (bytes(range(256)) * 50, "binary"),
    "nul.txt": (b"\xe6\x95\x99\x00\x00\xe8\x82\xb2" * 100, "binary"),
    "truncated.txt": ("教育高质量发展".encode()[:-1], "truncated"),
    "mojibake.txt": (XIJI.encode()[:3000] + b"\xff\xfe\xfd" + XIJI.encode()[3000:6000], "encoding"),
    "pdf-renamed.txt": (b"%PDF-1.7\n1 0 obj<<>>endobj\n" + bytes(range(256)), "unsupported_format"),
    "docx.docx": (b"PK\x03\x04" + bytes(200), "unsupported_format"),
    "one-line-5mb.txt": (("教育发展质量提升行动" * 170000).encode(), "document"),
    "numbers.txt": ("".join(f"{i}个" for i in range(20000)).encode(), "document"),
    "brackets.txt": (("(" * 10000 + "到2027年建成学校3所" + ")" * 10000).encode(), "document"),
    "page.html": (("<html><head><meta charset='big5'><style>p{}</style><script>var a='2030年';</script></head>"
                   "<body><!-- 到2030年 --><nav>首页</nav><p>到2027年,培养县级骨干教师100名。</p></body></html>"
                   ).encode(), "document"),
    "too-large.txt": (("教育" * 1_300_000).encode(), "too_large"),  # 7.8 MB, over --max-mb 6
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "in"
    corpus.mkdir()
    for name, (data, _) in HOSTILE.items():
        (corpus / name).write_bytes(data)
    (corpus / "folder.txt").mkdir()  # a directory named like a file
    (corpus / "folder.txt" / "inside.txt").write_bytes(TAICANG.encode())
    os.symlink(corpus / "missing.txt", corpus / "broken-link.txt")
    os.symlink(corpus / "loop-b.txt", corpus / "loop-a.txt")
    os.symlink(corpus / "loop-a.txt", corpus / "loop-b.txt")
    outside = root / "outside.txt"
    outside.write_bytes(XIJI.encode() + "\n附件\n".encode())
    os.symlink(outside, corpus / "link-outside.txt")
    os.symlink(root, corpus / "link-to-folder")
    out = root / "out"
    result = cli("run", "in", "-o", str(out), "--max-mb", "6", cwd=root)
    return root, result


def outcome(root: Path) -> dict[str, str]:
    out = root / "out"
    docs = pq.read_table(out / "documents.parquet").to_pylist()
    errors = pq.read_table(out / "errors.parquet").to_pylist()
    got = {d["source_path"].removeprefix("in/"): "document" for d in docs}
    got.update({e["source_path"].removeprefix("in/"): e["error_type"] for e in errors})
    return got


def test_the_batch_completes_with_a_clear_summary(hostile_run):
    _, result = hostile_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_every_hostile_file_is_accounted_for(hostile_run):
    root, _ = hostile_run
    got = outcome(root)
    expected = {name: want for name, (_, want) in HOSTILE.items()}
    expected |= {"folder.txt/inside.txt": "document", "broken-link.txt": "unreadable", "loop-a.txt": "unreadable",
                 "loop-b.txt": "unreadable", "link-outside.txt": "document", "link-to-folder": "unreadable"}
    wrong = {name: (want, got.get(name)) for name, want in expected.items() if got.get(name) != want}
    assert not wrong, f"file: (expected, got) {wrong}"
    assert set(got) == set(expected)


def test_error_messages_are_one_line_and_say_what_happened(hostile_run):
    root, _ = hostile_run
    for e in pq.read_table(root / "out" / "errors.parquet").to_pylist():
        assert e["message"] and "\n" not in e["message"] and len(e["message"]) < 300, e
        assert e["stage"] == "read"


def test_documents_from_every_encoding_are_the_same_text(hostile_run):
    root, _ = hostile_run
    docs = {d["source_path"].removeprefix("in/"): d for d in pq.read_table(root / "out" / "documents.parquet")
            .to_pylist()}
    reference = docs["utf8.txt"]["text"]
    for name in ("utf8-bom.txt", "utf16le-bom.txt", "utf16be-bom.txt", "crlf.txt"):
        assert docs[name]["text"] == reference, name
    assert docs["page.html"]["encoding"] == "utf-8"  # the page declared big5 and lied
    assert "2030" not in docs["page.html"]["text"]
    assert docs["mixed-script.txt"]["script"] == "mixed"


def test_a_run_killed_mid_write_leaves_the_previous_tables_and_the_next_run_completes(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    seeds = sorted(CORPUS.rglob("*.txt"))
    for i in range(60):  # enough documents that the run is still busy when it is killed
        seed = seeds[i % len(seeds)]
        (corpus / f"{i:03d}.txt").write_bytes(seed.read_bytes() + f"\n附件{i}\n".encode())
    out = tmp_path / "out"
    cli("run", "in", "-o", str(out), "-q", cwd=tmp_path, check=True)
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    exe = Path(sys.executable).with_name("policy-pipeline")
    proc = subprocess.Popen([str(exe), "run", "in", "-o", str(out), "-q", "--full"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    assert after.keys() == before.keys()
    for name in before:  # each table is the old one or a complete new one, never half-written
        pq.read_table(out / name)
    assert cli("validate", str(out)).returncode == 0
    again = cli("run", "in", "-o", str(out), "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert not list(out.glob(".*.tmp"))
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before  # same input, same bytes


def test_incremental_runs_give_the_same_tables_as_full_runs(tmp_path):
    corpus = tmp_path / "in"
    shutil.copytree(CORPUS, corpus)
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    cli("run", "in", "-o", str(incremental), "-q", cwd=tmp_path, check=True)
    changed = corpus / "xiji" / "002_238c332b42fc6cf1.txt"
    old, new = "培养县级骨干教师100名".encode(), "培养县级骨干教师120名".encode()
    changed.write_bytes(changed.read_bytes().replace(old, new))
    (corpus / "taicang" / "003_82af26369f33b24f.txt").unlink()
    cli("run", "in", "-o", str(incremental), "-q", cwd=tmp_path, check=True)
    cli("run", "in", "-o", str(full), "-q", "--full", "--workers", "2", cwd=tmp_path, check=True)
    for path in sorted(full.glob("*.parquet")):
        assert path.read_bytes() == (incremental / path.name).read_bytes(), path.name
    values = pq.read_table(full / "targets.parquet").column("mention").to_pylist()
    assert "120名" in values and "100名" in values  # Xiji's changed number, Guangyuan's unchanged one


def test_no_network_is_ever_attempted(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("the pipeline tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from pipeline.run import Options, run

    page = tmp_path / "page.html"
    page.write_text('<html><head><link rel="stylesheet" href="http://example.com/a.css">'
                    '<script src="http://example.com/a.js"></script></head><body><img src="http://example.com/a.png">'
                    '<p>到2027年,培养县级骨干教师100名。</p></body></html>', encoding="utf-8")
    summary = run([page], tmp_path / "out", options=Options(), progress=False)
    assert summary.documents == 1


def test_two_runs_into_one_folder_never_interleave(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    seeds = sorted(CORPUS.rglob("*.txt"))
    for i in range(60):
        (corpus / f"{i:03d}.txt").write_bytes(seeds[i % len(seeds)].read_bytes() + f"\n附件{i}\n".encode())
    out = tmp_path / "out"
    exe = Path(sys.executable).with_name("policy-pipeline")
    first = subprocess.Popen([str(exe), "run", "in", "-o", str(out), "-q"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (out / ".lock").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    second = cli("run", "in", "-o", str(out), "-q", cwd=tmp_path)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert second.returncode == 1
    assert "another policy-pipeline run is writing to" in second.stderr
    assert cli("validate", str(out)).returncode == 0
    assert pq.read_table(out / "documents.parquet").num_rows == 60
