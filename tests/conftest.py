"""Shared fixtures: the lexicons, a helper that runs the stages on a string, and one
CLI run over the sample corpus shared by the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.clean import clean
from pipeline.lexicons import load_lexicons
from pipeline.model import Decoded, Segmented, Source
from pipeline.normalize import normalize
from pipeline.segment import segment
from pipeline.structure import structure

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "examples"
CORPUS = ROOT / "corpus"
SEEDS = sorted(p.relative_to(ROOT).as_posix() for p in CORPUS.rglob("*.txt"))


def examples(name: str):
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def no_workers_left_stopped():
    """A run in this process that marks its workers as stopped (run.workers_stopped) makes
    the next in-process `cli.main` leave through os._exit: pytest would end there with
    status 0 and the tests after it unrun. The test that leaves it set fails instead."""
    yield
    import pipeline.run

    stopped, pipeline.run.workers_stopped = pipeline.run.workers_stopped, False
    assert not stopped, "a run in the test process left its workers marked as stopped"


@pytest.fixture(scope="session")
def lex():
    return load_lexicons()


def decoded(text: str, path: str = "example.txt") -> Decoded:
    data = text.encode("utf-8")
    return Decoded(Source.of(path, data), text, "utf-8", "text")


def process_text(text: str, lex) -> Segmented:
    """Every stage after read, on a string."""
    return segment(structure(normalize(clean(decoded(text), lex)), lex), lex)


def cli(*args: str, cwd: Path = ROOT, check: bool = False) -> subprocess.CompletedProcess:
    """Run the installed console script as a user would."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    exe = Path(sys.executable).with_name("policy-pipeline")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "pipeline.cli"]
    result = subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    if check and result.returncode:
        raise AssertionError(f"policy-pipeline {' '.join(args)} failed:\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory) -> Path:
    """outputs of `policy-pipeline run corpus -o OUT` (run once per test session)."""
    out = tmp_path_factory.mktemp("outputs")
    cli("run", "corpus", "-o", str(out), "-q", check=True)
    return out


@pytest.fixture(scope="session")
def tables(corpus_run):
    import pandas as pd

    names = ("documents", "clauses", "targets", "responsibilities", "categories", "errors")
    return {name: pd.read_parquet(corpus_run / f"{name}.parquet") for name in names}
