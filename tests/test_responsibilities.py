"""Responsible units: the examples in tests/examples/responsibilities.yaml, the seeds,
and a property test that a unit list never splits inside brackets."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import examples, process_text
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.units import extract_responsibilities, split_units

CASES = examples("responsibilities.yaml")


def run(text: str, region: str, lex):
    doc = process_text(text, lex)
    code = next(r.code for r in lex.regions.values() if r.name == region)
    r = lex.regions[code]
    meta = dataclasses.replace(doc.structured.metadata, region=region, admin_code=code, admin_level=r.level)
    doc = dataclasses.replace(doc, structured=dataclasses.replace(doc.structured, metadata=meta))
    return extract_responsibilities(doc, lex)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_example(case, lex):
    rows = run(case["text"], case["region"], lex)
    got = [[r.unit_raw, r.unit, r.unit_type, r.role, r.lead_rule] for r in rows]
    assert got == case["units"]
    if "scope" in case:
        assert len(rows[0].scope) == case["scope"]
    if "source" in case:
        assert {r.source for r in rows} == {case["source"]}


def test_seed_tags_and_leads(tables):
    r = tables["responsibilities"]
    docs = tables["documents"].set_index("doc_id")
    r = r.assign(region=r.doc_id.map(docs.region))
    tags = r[r.source != "text"].groupby("region").clause_id.nunique().to_dict()
    assert tags == {"三江侗族自治县": 8, "西吉县": 26, "广元市": 20}
    leads = r[r.role == "lead"]
    assert set(leads[leads.region == "三江侗族自治县"].unit) == {"县教育局"}
    assert set(leads[leads.region == "三江侗族自治县"].lead_rule) == {"first_listed"}
    assert set(leads[leads.region == "广元市"].lead_rule) == {"before_semicolon"}
    assert leads[leads.region == "广元市"].unit.value_counts().to_dict() == {
        "市教育局": 18, "市财政局": 1, "市委教育工作领导小组成员单位": 1}
    assert set(leads[leads.region == "西吉县"].lead_rule) == {"default_first"}
    assert r.unit_type.notna().all(), r[r.unit_type.isna()].unit_raw.tolist()


def test_targets_in_tagged_items_carry_their_lead(tables):
    r = tables["responsibilities"]
    covered = {c for scope in r[r.source != "text"].scope for c in scope}
    t = tables["targets"]
    inside = t[t.clause_id.isin(covered)]
    assert len(inside) >= 50  # most seed targets sit in tagged task items
    assert inside.lead_unit.notna().all(), inside[inside.lead_unit.isna()].mention.tolist()
    leads = r[(r.source != "text") & (r.role == "lead")]
    for row in inside.itertuples():  # the lead is the one of the tag whose scope holds the clause
        expected = leads[leads.scope.map(lambda s, c=row.clause_id: c in s)].sort_values("rank").unit
        assert row.lead_unit == expected.iloc[0], row.mention  # the first lead of the tag


NAME = st.from_regex(r"[县市]?[\u4e00-\u9fa5]{1,4}(局|部|委)(\([\u4e00-\u9fa5、,;]{1,6}\))?", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(NAME, min_size=1, max_size=6), st.lists(st.sampled_from(["、", ",", ";"]), min_size=6, max_size=6))
def test_unit_lists_never_split_inside_brackets(names, separators):
    text = "".join(name + (separators[i] if i < len(names) - 1 else "") for i, name in enumerate(names))
    assert [raw for raw, _ in split_units(text)] == names


@pytest.mark.parametrize(("raw", "previous", "region", "level", "expected"), [
    ("教育局", None, "西吉县", "county", ("县教育局", "county")),
    ("教育局", None, "江门市", "prefecture", ("市教育局", "prefectural")),  # the same name, another notice
    ("宣传部", "县委", "西吉县", "county", ("县委宣传部", "county")),  # 县委宣传部、统战部: the prefix carries
    ("各乡镇人民政府", None, "西吉县", "county", ("各乡镇人民政府", "township")),
])
def test_a_unit_name_is_read_for_its_notice_each_time(lex, raw, previous, region, level, expected):
    """normalize_unit keeps its answers: the notice's region and level, and the prefix the
    list carries, are part of what is kept, so a name is read again for another notice."""
    from pipeline.extract.units import _normalized, normalize_unit
    from pipeline.model import Metadata

    meta = Metadata(region=region, admin_level=level)
    for _ in range(2):  # the second answer is the kept one
        found = normalize_unit(raw, meta, lex.units, previous)
        assert found == _normalized(raw, meta, lex.units, previous)
        assert (found[0], found[2]) == expected
