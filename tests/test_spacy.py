"""The spaCy component `policy_targets` (extra `policy-pipeline[spacy]`): registered by
entry point, it puts a notice's targets, deadline phrases and responsibility tags into
`doc.spans["policy"]` with their rows, on the Doc's own characters."""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS, ROOT

import policy_pipeline as pp

spacy = pytest.importorskip("spacy")

XIJI = CORPUS / "xiji" / "002_238c332b42fc6cf1.txt"


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("zh")
    nlp.add_pipe("policy_targets")  # found through the spacy_factories entry point
    return nlp


def test_spans_are_the_targets_of_the_notice(nlp):
    text = XIJI.read_text(encoding="utf-8")
    doc = nlp(text)
    spans = [s for s in doc.spans["policy"] if s.label_ not in ("deadline", "tag")]
    rows = [r for r in pp.extract(text).targets.to_pylist() if r["quantity_kind"] != "milestone"]
    assert [(s._.policy_row["target_id"], s.label_) for s in spans] == \
        [(r["target_id"], r["quantity_kind"]) for r in rows]
    assert all(s.text == s._.policy_row["mention"] for s in spans)  # a Simplified notice: the same characters


def test_deadlines_and_tags_are_spans_too(nlp):
    doc = nlp("关于推进教育工作的通知\n到2027年,全县培养骨干教师100名。〔责任单位:县教育局、县财政局〕\n")
    found = [(s.text, s.label_) for s in doc.spans["policy"]]
    assert found == [("到2027年", "deadline"), ("100名", "count"), ("〔责任单位:县教育局、县财政局〕", "tag")]
    target = next(s for s in doc.spans["policy"] if s.label_ == "count")
    assert target._.policy_row["deadline_year"] == 2027 and target._.policy_row["lead_unit"] == "县教育局"
    html = spacy.displacy.render(doc, style="span", options={"spans_key": "policy"})
    assert "deadline" in html and "count" in html


def test_offsets_are_the_docs_own_after_cleaning(nlp):
    doc = nlp("关于推进教育工作的通知\n\n到 2027 年 , 全县培养骨干教师 100 名。\n")  # spaces cleaning folds away
    target = next(s for s in doc.spans["policy"] if s.label_ == "count")
    assert target.text == "100 名" and target._.policy_row["mention"] == "100名"


def test_the_readme_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## spaCy.*?```python\n(.*?)```", readme, re.S)
    assert block, "README has a spaCy section with an example"
    exec(compile(block.group(1), "README.md", "exec"), {})
