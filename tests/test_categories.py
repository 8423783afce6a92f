"""Category coding (SPEC §8): examples, a researcher's own codebook, the comparison tables."""

from __future__ import annotations

import dataclasses

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, cli, examples, process_text

from pipeline.extract.categories import code_categories

CASES = examples("categories.yaml")


# The notice an example sentence is read in: an education notice unless the case says
# otherwise (`title:`), since the action codebook codes other sectors' notices sparingly.
EDUCATION_TITLE = "关于印发某县学校工作实施方案的通知"


@pytest.mark.parametrize("case", CASES, ids=[c.get("name", c["text"][:20]) for c in CASES])
def test_example(case, lex):
    doc = process_text(case["text"], lex)
    meta = dataclasses.replace(doc.structured.metadata, title=case.get("title", EDUCATION_TITLE))
    doc = dataclasses.replace(doc, structured=dataclasses.replace(doc.structured, metadata=meta))
    codes = code_categories(doc, lex)
    for codebook in ("action", "policy_tool"):
        if codebook not in case:
            continue
        got = [[c.category, list(c.evidence)] for c in codes if c.codebook == codebook]
        assert got == case[codebook], codebook


def test_a_researcher_adds_a_codebook(tmp_path):
    book = tmp_path / "rural.yaml"
    book.write_text(
        "id: rural\nname: 乡村教育\ncategories:\n"
        "  - {id: rural_schools, name: 乡村学校, terms: [乡村学校, 乡镇学校, 村小]}\n"
        "  - {id: left_behind, name: 留守儿童, terms: [留守儿童], negative: [留守儿童之家]}\n", encoding="utf-8")
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "jiangmen.txt").write_bytes((CORPUS / "jiangmen" / "001_7923faed61bfb8a9.txt").read_bytes())
    out = tmp_path / "out"
    cli("run", "in", "-o", str(out), "-q", "--codebook", str(book), cwd=tmp_path, check=True)
    rows = pq.read_table(out / "categories.parquet").to_pandas()
    rural = rows[rows.codebook == "rural"]
    assert set(rural.category) == {"rural_schools", "left_behind"}
    assert all(len(e) for e in rural.evidence)
    comparison = pq.read_table(out / "region_category.parquet").to_pandas()
    assert set(comparison.codebook) == {"action", "policy_tool", "rural"}


def test_broken_codebook_is_reported_with_its_line(tmp_path):
    book = tmp_path / "bad.yaml"
    book.write_text("id: bad\nname: 坏\ncategories:\n  - {id: x, name: 无词}\n", encoding="utf-8")
    result = cli("run", "corpus", "-o", str(tmp_path / "out"), "--codebook", str(book))
    assert result.returncode == 2
    assert "bad.yaml:4: a category needs id, name and terms" in result.stderr


def test_comparison_shows_every_region_and_category(tables, corpus_run):
    comparison = pq.read_table(corpus_run / "region_category.parquet").to_pandas()
    action = comparison[comparison.codebook == "action"]
    assert len(action) == 15 * 5  # every category for every region, zeros included
    taicang = action[action.region == "太仓市"]
    assert taicang.targets.sum() == 0 and taicang.clauses.sum() > 0  # no quantified target: a finding
    xiji = action[(action.region == "西吉县") & (action.category == "whole_person")].iloc[0]
    assert xiji.clauses > 40 and xiji.targets > 0
    indicators = pq.read_table(corpus_run / "region_indicator.parquet").to_pandas()
    backbone = indicators[indicators.indicator_id == "backbone_teachers"]
    assert {"西吉县", "三江侗族自治县"} <= set(backbone.region)
    assert set(indicators.target_id) <= set(tables["targets"].target_id)


def test_region_indicator_is_the_same_read_in_one_pass_or_in_groups(corpus_run, tmp_path, monkeypatch):
    """The targets that map to an indicator, sorted by indicator, region and target id:
    read in one pass, or (more than SORT_ROWS of them) an indicator group at a time."""
    from pipeline import compare

    (tmp_path / "one").mkdir()
    (tmp_path / "groups").mkdir()
    rows = compare.write_region_indicator(corpus_run / "targets.parquet", tmp_path / "one")
    monkeypatch.setattr(compare, "SORT_ROWS", 3)
    assert compare.write_region_indicator(corpus_run / "targets.parquet", tmp_path / "groups") == rows
    one, groups = (pq.read_table(tmp_path / d / "region_indicator.parquet").to_pylist() for d in ("one", "groups"))
    targets = pq.read_table(corpus_run / "targets.parquet").to_pylist()
    expected = sorted((t["indicator_id"], t["region"] or compare.UNKNOWN_REGION, t["target_id"]) for t in targets
                       if t["indicator_id"] and t["review_status"] != "rejected")
    assert one == groups and [(r["indicator_id"], r["region"], r["target_id"]) for r in one] == expected
    assert len({r["indicator_id"] for r in one}) > 3  # the groups were several


def test_clauses_and_targets_carry_action_categories(tables):
    clauses = tables["clauses"]
    assert clauses.categories.map(len).gt(0).mean() > 0.5
    targets = tables["targets"].set_index("clause_id")
    for clause_id, cats in clauses.set_index("clause_id").categories.items():
        if clause_id in targets.index:
            assert list(targets.loc[[clause_id]].categories.iloc[0]) == list(cats)
