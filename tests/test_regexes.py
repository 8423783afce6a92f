"""The compiled patterns kept between runs (pipeline/regexes.py): a start reads what an
earlier one compiled, reads it as `regex.compile` would, and never lets a kept pattern
stand for another or a bad file stop a run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import regex

from pipeline import regexes

ROOT = Path(__file__).resolve().parent.parent

# A fresh interpreter: compiles two patterns, says which came from the file, and what they
# find; at exit it writes the file (the module's atexit hook).
PROBE = r"""
import json, sys
import regex
from pipeline import regexes
kept = set(regexes._kept)
out = []
for source, flags in json.loads(sys.argv[1]):
    p = regexes.compile(source, flags)
    out.append([(source, flags) in kept, [m.span() for m in p.finditer("2025年底前完成改造30个,覆盖率达95%")]])
print(json.dumps(out))
"""


def _probe(cache: Path, patterns: list[tuple[str, int]], **env: str) -> list:
    environ = {k: v for k, v in os.environ.items() if k != "POLICY_PIPELINE_NO_CACHE"}
    environ |= {"XDG_CACHE_HOME": str(cache), **env}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(patterns)], cwd=ROOT, env=environ,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _files(cache: Path) -> list[Path]:
    return sorted((cache / "policy-pipeline").glob("*")) if (cache / "policy-pipeline").exists() else []


def test_a_second_start_reads_the_patterns_the_first_compiled(tmp_path):
    patterns = [(r"(?P<year>20\d{2})年底?前", 0), (r"\d+(?:\.\d+)?\s*%", int(regex.V1))]
    first = _probe(tmp_path, patterns)
    assert [kept for kept, _ in first] == [False, False]
    assert len(_files(tmp_path)) == 1
    second = _probe(tmp_path, patterns)
    assert [kept for kept, _ in second] == [True, True]
    # what they find is what regex.compile finds
    text = "2025年底前完成改造30个,覆盖率达95%"
    expected = [[list(m.span()) for m in regex.compile(s, f).finditer(text)] for s, f in patterns]
    assert [found for _, found in second] == [found for _, found in first] == expected


def test_an_edited_pattern_is_compiled_not_taken_from_the_file(tmp_path):
    _probe(tmp_path, [(r"\d+个", 0)])
    (kept, spans), = _probe(tmp_path, [(r"\d+个,", 0)])  # one character more: another key
    assert not kept and spans == [[11, 15]]
    (kept, _), = _probe(tmp_path, [(r"\d+个", int(regex.I))])  # the same text, other flags
    assert not kept


def test_a_damaged_file_is_ignored_and_replaced(tmp_path):
    _probe(tmp_path, [(r"\d+个", 0)])
    file, = _files(tmp_path)
    file.write_bytes(b"\x80\x04not a pickle")
    (kept, spans), = _probe(tmp_path, [(r"\d+个", 0)])
    assert not kept and spans == [[11, 14]]
    (kept, _), = _probe(tmp_path, [(r"\d+个", 0)])
    assert kept


def test_a_file_others_may_write_is_not_read(tmp_path):
    _probe(tmp_path, [(r"\d+个", 0)])
    file, = _files(tmp_path)
    file.chmod(0o666)  # unpickling runs code: a file anyone could have written is not loaded
    (kept, _), = _probe(tmp_path, [(r"\d+个", 0)])
    assert not kept
    file.chmod(0o600)
    (kept, _), = _probe(tmp_path, [(r"\d+个", 0)])
    assert kept


def test_no_file_when_turned_off_or_when_the_cache_cannot_be_written(tmp_path):
    _probe(tmp_path, [(r"\d+个", 0)], POLICY_PIPELINE_NO_CACHE="1")
    assert _files(tmp_path) == []
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be")
    (_, spans), = _probe(blocked, [(r"\d+个", 0)])  # the run goes on
    assert spans == [[11, 14]]


def test_patterns_no_run_asks_for_are_dropped_once_they_outnumber_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("POLICY_PIPELINE_NO_CACHE", raising=False)
    old = {(f"旧{i}", 0): regex.compile(f"旧{i}") for i in range(regexes.KEEP_UNUSED + 1)}
    monkeypatch.setattr(regexes, "_kept", dict(old))
    monkeypatch.setattr(regexes, "_used", {})
    monkeypatch.setattr(regexes, "_missed", False)
    regexes.compile("新")
    regexes.save()
    file, = _files(tmp_path)
    monkeypatch.setattr(regexes, "_kept", {})
    regexes.load()
    assert set(regexes._kept) == {("新", 0)}
    # under the limit, the unused ones stay
    monkeypatch.setattr(regexes, "_kept", dict(list(old.items())[:3]))
    monkeypatch.setattr(regexes, "_used", {})
    regexes.compile("又新")
    regexes.save()
    monkeypatch.setattr(regexes, "_kept", {})
    regexes.load()
    assert set(regexes._kept) == {("又新", 0), *list(old)[:3]}


def test_a_process_that_compiled_many_more_than_a_run_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("POLICY_PIPELINE_NO_CACHE", raising=False)
    monkeypatch.setattr(regexes, "_kept", {})
    monkeypatch.setattr(regexes, "_used", {})
    monkeypatch.setattr(regexes, "KEEP_MOST", 5)
    for i in range(6):
        regexes.compile(f"第{i}条")
    regexes.save()
    assert _files(tmp_path) == []
    monkeypatch.setattr(regexes, "KEEP_MOST", 6)
    regexes.save()
    assert len(_files(tmp_path)) == 1
