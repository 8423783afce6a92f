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
    "pdf-renamed.txt": (b"%PDF-1.7\n1 0 obj<<>>endobj\n" + bytes(range(256)), "unreadable"),
    "docx.docx": (b"PK\x03\x04" + bytes(200), "unsupported_format"),
    "one-line-5mb.txt": (("教育发展质量提升行动" * 170000).encode(), "document"),
    "numbers.txt": ("".join(f"{i}个" for i in range(20000)).encode(), "too_many_targets"),
    "one-character.txt": (b"\xa5" * 20000, "binary"),  # valid GBK: 10,000 ゥ
    "no-words.txt": (("ゥゔ・ー" * 400).encode(), "binary"),
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
        assert e["stage"] == ("extract" if e["error_type"] == "too_many_targets" else "read")


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
    assert not list(out.glob(".*.tmp")) and not list(out.glob(".runs/*.tmp"))
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
    while _lock_holder(out) != first.pid and time.time() < deadline:
        time.sleep(0.01)
    # Held still while the second run tries: a fast first run must not finish before it (it
    # did on CI once the pipeline got faster, and the second run then simply ran).
    os.kill(first.pid, signal.SIGSTOP)
    try:
        assert first.poll() is None, "the first run ended before the second could try"
        second = cli("run", "in", "-o", str(out), "-q", cwd=tmp_path)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert second.returncode == 1
    assert "another policy-pipeline run is writing to" in second.stderr
    assert cli("validate", str(out)).returncode == 0
    assert pq.read_table(out / "documents.parquet").num_rows == 60


def _lock_holder(out: Path) -> int | None:
    """The process id written in the output folder's lock (once its run holds it)."""
    try:
        text = (out / ".lock").read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


# --- issue 13: no input, signal or file name can hang, crash or lock the batch ----------

def _busy_corpus(tmp_path: Path, n: int = 80) -> Path:
    corpus = tmp_path / "in"
    corpus.mkdir()
    seeds = sorted(CORPUS.rglob("*.txt"))
    for i in range(n):
        (corpus / f"{i:03d}.txt").write_bytes(seeds[i % len(seeds)].read_bytes() + f"\n附件{i}\n".encode())
    return corpus


def _session(sid: int) -> list[int]:
    """Live processes of session `sid` (a run started with start_new_session: its workers too)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # state ppid pgrp session …
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _start_run(tmp_path: Path, *args: str) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("policy-pipeline")
    return subprocess.Popen([str(exe), "run", "in", "-o", "out", "-q", "--full", "--workers", "2", *args],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _end_session(sid: int) -> None:
    for pid in _session(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG")
def test_killing_only_the_parent_leaves_no_worker_and_the_next_run_starts(tmp_path):
    _busy_corpus(tmp_path)
    proc = _start_run(tmp_path)
    try:
        assert _wait_for(lambda: len(_session(proc.pid)) >= 3, 60), "the workers never started"
        os.kill(proc.pid, signal.SIGKILL)  # the parent alone, as a batch scheduler does
        proc.wait()
        assert _wait_for(lambda: not _session(proc.pid), 5), f"left running: {_session(proc.pid)}"
    finally:
        _end_session(proc.pid)
    again = cli("run", "in", "-o", "out", "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert cli("validate", str(tmp_path / "out")).returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_a_run_like_ctrl_c(tmp_path, number):
    _busy_corpus(tmp_path)
    cli("run", "in", "-o", "out", "-q", cwd=tmp_path, check=True)
    out = tmp_path / "out"
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    proc = _start_run(tmp_path)
    try:
        assert _wait_for(lambda: len(_session(proc.pid)) >= 3, 60), "the workers never started"
        os.kill(proc.pid, number)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 128 + number, stderr
        assert f"stopped by {signal.Signals(number).name}; earlier tables are intact" in stderr
        assert "Traceback" not in stderr
        assert _wait_for(lambda: not _session(proc.pid), 5), f"left running: {_session(proc.pid)}"
    finally:
        _end_session(proc.pid)
    assert not list(out.glob(".*.tmp")) and not list(out.glob(".runs/*.tmp"))
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before
    again = cli("run", "in", "-o", "out", "-q", cwd=tmp_path)  # the lock was released
    assert again.returncode == 0, again.stderr


def test_a_lock_whose_owner_has_died_is_taken_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its process id now belongs to no process
    holder = subprocess.Popen(  # a leftover process of that run, still holding the lock file
        [sys.executable, "-c", "import fcntl, sys, time\n"
         f"f = open({str(out / '.lock')!r}, 'a+'); fcntl.flock(f, fcntl.LOCK_EX)\n"
         f"f.seek(0); f.truncate(); f.write('{gone.pid}\\n'); f.flush(); print('held', flush=True)\n"
         "time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = cli("run", str(CORPUS / "xiji"), "-o", str(out), "-q")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 0, result.stderr
    assert f"(process {gone.pid}) has died; taking over its lock" in result.stderr


def test_a_notice_with_a_single_target_builds_every_table(tmp_path):
    """region_indicator from a targets table whose shared text column is all null in a batch."""
    (tmp_path / "a.txt").write_text("关于推进教育工作的通知\n到2025年,全县培育特色学校10所。\n", encoding="utf-8")
    result = cli("run", "a.txt", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert cli("validate", str(tmp_path / "out")).returncode == 0


def test_a_crash_while_building_tables_fails_cleanly_and_keeps_the_previous_set(tmp_path, monkeypatch, capsys):
    from pipeline import compare
    from pipeline.cli import main

    out = tmp_path / "out"
    assert main(["run", str(CORPUS / "xiji"), "-o", str(out), "-q"]) == 0
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}

    def crash(*args, **kwargs):
        raise IndexError("index 0 is out of bounds")

    monkeypatch.setattr(compare, "write_region_indicator", crash)
    assert main(["run", str(CORPUS / "xiji"), str(CORPUS / "taicang"), "-o", str(out), "-q"]) == 1
    message = capsys.readouterr().err
    assert "internal error (IndexError: index 0 is out of bounds); earlier tables are intact" in message
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before
    assert not list(out.glob(".runs/*.tmp"))
    assert main(["validate", str(out)]) == 0


def test_validate_fails_on_a_table_left_from_another_run(tmp_path):
    out = tmp_path / "out"
    cli("run", str(CORPUS / "xiji"), "-o", str(out), "-q", check=True)
    old = (out / "targets.parquet").resolve().read_bytes()
    cli("run", str(CORPUS / "xiji"), str(CORPUS / "taicang"), "-o", str(out), "-q", check=True)
    assert len(list((out / ".runs").iterdir())) == 2  # the current set and the one before it
    current = (out / "targets.parquet").resolve()
    current.write_bytes(old)  # a stale table inside the current set
    result = cli("validate", str(out))
    assert result.returncode == 1
    assert "targets.parquet: from another run" in result.stderr


def test_every_table_of_a_run_is_switched_in_at_once(tmp_path):
    out = tmp_path / "out"
    cli("run", str(CORPUS / "xiji"), "-o", str(out), "-q", check=True)
    for name in ("documents.parquet", "targets.parquet", "manifest.json"):
        assert (out / name).is_symlink() and os.readlink(out / name) == f".current/{name}"
    assert os.readlink(out / ".current").startswith(".runs/run-")
    keys = {pq.read_schema(p).metadata[b"policy_pipeline.run_key"] for p in out.glob("*.parquet")}
    assert len(keys) == 1


def test_a_folder_is_read_in_path_order_hidden_names_and_links_to_folders_passed_over(tmp_path):
    from pipeline.run import collect_inputs

    for name in ("b.txt", "a.txt", "sub/z.txt", "sub/deeper/y.pdf", "Sub/x.docx", ".hidden.txt", ".cache/c.txt",
                 "notes.csv"):
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / name).write_text("x")
    os.symlink(tmp_path / "in" / "sub", tmp_path / "in" / "sub-link")
    os.symlink(tmp_path / "in" / "a.txt", tmp_path / "in" / "c-link.txt")
    os.symlink(tmp_path / "in" / "gone.txt", tmp_path / "in" / "d-broken.txt")
    files, ignored, errors = collect_inputs([tmp_path / "in"])
    shown = [display.removeprefix(f"{tmp_path.as_posix()}/in/") for _, display in files]
    # A folder's files by name, then its folders by name (capitals first: code point order).
    assert shown == ["a.txt", "b.txt", "c-link.txt", "Sub/x.docx", "sub/z.txt", "sub/deeper/y.pdf"]
    assert [Path(p).name for p in ignored] == ["notes.csv"]
    assert [(Path(e.source_path).name, e.errors[0]["message"]) for e in errors] == [
        ("sub-link", "symbolic link to a folder: not followed"), ("d-broken.txt", "broken symbolic link")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, /dev/zero")
def test_special_files_and_any_file_name_become_rows_without_hanging(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    os.mkfifo(corpus / "fifo.txt")  # opening it would block for ever
    os.symlink("/dev/zero", corpus / "zero.txt")  # size 0, never ends
    os.symlink("/dev/urandom", corpus / "urandom.txt")
    note = "关于推进教育工作的通知\n到2026年,全县建成特色学校{}所。\n"
    with open(os.fsencode(corpus) + b"/bad\xff\xfe.txt", "wb") as handle:  # not UTF-8
        handle.write(note.format(3).encode())
    (corpus / "new\nline.txt").write_text(note.format(4), encoding="utf-8")
    (corpus / "bell\x07.txt").write_text(note.format(5), encoding="utf-8")
    exe = Path(sys.executable).with_name("policy-pipeline")
    result = subprocess.run([str(exe), "run", "in", "-o", "out"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)  # a hang guard, not a speed test
    assert result.returncode == 0, result.stderr
    got = outcome(tmp_path)
    assert got == {"fifo.txt": "unreadable", "zero.txt": "unreadable", "urandom.txt": "unreadable",
                   "bad\\xff\\xfe.txt": "document", "new\\nline.txt": "document", "bell\\x07.txt": "document"}
    for line in result.stderr.splitlines():
        assert "\x07" not in line
    errors = pq.read_table(tmp_path / "out" / "errors.parquet").to_pylist()
    assert {e["message"] for e in errors} == {"not a regular file (a named pipe)",
                                              "not a regular file (a character device)"}


@pytest.mark.parametrize("text, outcome_type", [
    ("培育特色学校10所" * 45000, "too_many_targets"),  # 1 MB, one clause
    ("、".join(f"培养骨干教师{i}名" for i in range(30000)) + "。", "too_many_targets"),  # 30,000 items
    ("、".join(f"培养骨干教师{i}名" for i in range(3000)) + "。", "document"),
    ("教育发展质量提升行动" * 100000, "document"),  # 3 MB without a mark
], ids=["one-clause-1mb", "enumeration-30000", "enumeration-3000", "no-punctuation-3mb"])
def test_pathological_notices_end_as_a_document_or_an_error_row(tmp_path, text, outcome_type):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notice.txt").write_text(text, encoding="utf-8")
    (tmp_path / "in" / "ordinary.txt").write_bytes(XIJI.encode())  # tables are written when one document is
    exe = Path(sys.executable).with_name("policy-pipeline")
    subprocess.run([str(exe), "run", "in", "-o", "out", "-q"], cwd=tmp_path, capture_output=True,
                   timeout=120)  # a hang guard, not a speed test
    assert outcome(tmp_path) == {"notice.txt": outcome_type, "ordinary.txt": "document"}
    if outcome_type == "document":
        clauses = pq.read_table(tmp_path / "out" / "clauses.parquet", columns=["text"]).column(0).to_pylist()
        assert max(map(len, clauses)) <= 1000


_PEAK_RSS = """
import resource, sys
from pathlib import Path
from pipeline.cli import _without_pandas
from pipeline.run import run
from pipeline.tables import use_returning_allocator
_without_pandas(); use_returning_allocator()
run([Path(sys.argv[1])], Path(sys.argv[2]), workers=1, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_rss_kb(corpus: Path, out: Path) -> int:
    result = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(corpus), str(out)], capture_output=True,
                            text=True, timeout=300, check=True)
    return int(result.stdout.split()[-1])


def test_memory_grows_with_the_largest_file_not_the_number_of_files(tmp_path):
    """Issue 13 (8): 20,000 one-line notices took 1.16 GB. Ten times the files may not
    take much more memory than a tenth of them (a ratio, not a budget)."""
    for n in (200, 2000):
        for i in range(n):
            folder = tmp_path / f"in{n}" / f"{i // 500:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i:05d}.txt").write_text(f"关于推进教育工作的通知\n到2026年,全县建成特色学校{i}所。\n",
                                                 encoding="utf-8")
    few = _peak_rss_kb(tmp_path / "in200", tmp_path / "out200")
    many = _peak_rss_kb(tmp_path / "in2000", tmp_path / "out2000")
    assert many < few * 1.4, f"peak RSS {few} KB for 200 files, {many} KB for 2,000"


def test_a_foreign_cache_entry_is_ignored_never_executed(tmp_path):
    """Issue 14: the cache is data only. A pickle planted where a cache entry goes (a
    shared output folder) would have run its code; now it is recomputed."""
    import hashlib

    from pipeline.run import Options, _cache_path, _zstd, run

    notice = tmp_path / "a.txt"
    notice.write_bytes(XIJI.encode())
    out = tmp_path / "out"
    proof = tmp_path / "executed"
    # A protocol-0 pickle whose loading calls open(proof, "w"), written out by hand.
    data = b"cbuiltins\nopen\n(V" + str(proof).encode("raw_unicode_escape") + b"\nVw\ntR."
    entry = _cache_path(str(out / ".cache"), hashlib.sha256(notice.read_bytes()).hexdigest(), Options())
    entry.parent.mkdir(parents=True)
    entry.write_bytes(len(data).to_bytes(8, "little") + _zstd().compress(data, asbytes=True))
    summary = run([notice], out, options=Options(), progress=False)
    assert not proof.exists()
    assert summary.documents == 1 and summary.cached == 0
    again = run([notice], out, full=False, options=Options(), progress=False)
    assert again.documents == 1


def test_a_stop_whose_exception_was_swallowed_still_stops_the_run(tmp_path, capsys):
    """SIGTERM's exception raised inside a __del__ that the garbage collector runs is only
    printed ("Exception ignored in …"); the run must still stop before publishing."""
    from pipeline import errors
    from pipeline.cli import main

    out = tmp_path / "out"
    assert main(["run", str(CORPUS / "xiji"), "-o", str(out), "-q"]) == 0
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    errors.stop_signals.append(signal.SIGTERM)  # what the handler recorded before its exception was lost
    try:
        assert main(["run", str(CORPUS / "xiji"), str(CORPUS / "taicang"), "-o", str(out), "-q"]) == 128 + 15
    finally:
        errors.stop_signals.clear()
    assert "stopped by SIGTERM; earlier tables are intact" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before
    assert not list(out.glob(".runs/*.tmp"))
    assert main(["run", str(CORPUS / "xiji"), "-o", str(out), "-q"]) == 0  # the lock was released
