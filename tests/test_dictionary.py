"""The data dictionary (docs/data-dictionary.md) documents every column of every table and
every rule name, and is exactly what the declared schemas and pipeline/columns.yaml give."""

from __future__ import annotations

import pyarrow.parquet as pq
from conftest import ROOT

from pipeline import dictionary


def test_every_column_is_described():
    assert dictionary.problems() == []


def test_the_dictionary_in_docs_is_the_generated_one():
    written = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert written == dictionary.render(), "regenerate: python -m pipeline.dictionary > docs/data-dictionary.md"


def test_every_rule_name_in_the_tables_is_explained(corpus_run):
    documented = set(dictionary.described()["rules"])
    rules = set(pq.read_table(corpus_run / "targets.parquet", columns=["rule"]).column(0).to_pylist())
    unexplained = {r for r in rules if not set(r.split("+")) <= documented}
    assert not unexplained


def test_the_readme_points_to_it():
    assert "docs/data-dictionary.md" in (ROOT / "README.md").read_text(encoding="utf-8")
