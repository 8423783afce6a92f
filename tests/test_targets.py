"""Targets: the examples in tests/examples/targets.yaml, invariants on the seeds, and
property tests. A failing example says which rows are missing, unexpected or wrong."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import examples, process_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract.numbers import parse_number
from pipeline.extract.quantities import find_quantities
from pipeline.extract.targets import extract_targets

CASES = examples("targets.yaml")
FIELD = {"kind": "quantity_kind"}


def run(text: str, lex, plan_end_year=None):
    doc = process_text(text.replace("\\n", "\n"), lex)
    if plan_end_year:
        meta = dataclasses.replace(doc.structured.metadata, plan_end_year=plan_end_year)
        doc = dataclasses.replace(doc, structured=dataclasses.replace(doc.structured, metadata=meta))
    return extract_targets(doc, lex)


def describe(t) -> str:
    return f"{t.quantity_kind} {t.mention!r} value={t.value} indicator={t.indicator!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_example(case, lex):
    found = run(case["text"], lex, case.get("plan_end_year"))
    expected = case["targets"]
    problems = []
    for i, want in enumerate(expected):
        if i >= len(found):
            problems.append(f"missing: {want}")
            continue
        got = found[i]
        for key, value in want.items():
            actual = getattr(got, FIELD.get(key, key))
            if isinstance(value, float | int) and not isinstance(value, bool) and actual is not None:
                ok = abs(actual - value) < 1e-6
            else:
                ok = actual == value
            if not ok:
                problems.append(f"row {i} ({describe(got)}): {key} is {actual!r}, expected {value!r}")
    for got in found[len(expected):]:
        problems.append(f"unexpected: {describe(got)}")
    assert not problems, "\n".join(problems)


def test_every_mention_is_its_text(tables):
    docs = tables["documents"].set_index("doc_id")
    for row in tables["targets"].itertuples():
        assert docs.loc[row.doc_id].text[row.start:row.end] == row.mention


def test_targets_per_seed(tables):
    """The counts the closing note reports; a change here must be deliberate."""
    docs = tables["documents"].set_index("doc_id")
    per_region = tables["targets"].groupby("doc_id").size().rename(lambda d: docs.loc[d].region).to_dict()
    assert per_region == {"三江侗族自治县": 16, "江门市": 23, "西吉县": 41, "广元市": 24}
    assert "太仓市" not in per_region  # Taicang states no quantified target: a finding, not a bug
    assert (docs.n_targets.sum()) == len(tables["targets"])


def test_kinds_and_deadline_sources_are_from_the_spec(tables):
    t = tables["targets"]
    assert set(t.quantity_kind) <= {"count", "percentage", "multiple", "area", "money", "length", "duration",
                                    "frequency", "coverage", "milestone"}
    assert set(t.deadline_source) <= {"clause", "sentence", "paragraph", "document", "none"}
    assert set(t.comparator.dropna()) <= {"eq", "ge", "gt", "le", "lt", "range", "approx"}
    assert t[t.quantity_kind == "milestone"].value.isna().all()
    assert (t.value_max.isna() | (t.value_max >= t.value)).all()


CN = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """A plain rendering of 0 ≤ n < 100000 in Chinese numerals."""
    if n == 0:
        return "零"
    out, zero = "", False
    for unit_value, unit in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit:
            if zero and out:
                out += "零"
            out += ("" if digit == 1 and unit == "十" and not out else CN[digit]) + unit
            zero = False
        elif out:
            zero = True
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=99999))
def test_chinese_and_arabic_numbers_round_trip(n):
    assert parse_number(chinese(n)) == n
    assert parse_number(str(n)) == n


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=99999), st.sampled_from(["名", "所", "个", "项"]),
       st.sampled_from(["", " "]), st.booleans())
def test_quantities_read_the_same_however_written(lex, n, unit, space, in_chinese):
    written = chinese(n) if in_chinese else str(n)
    found = find_quantities(f"培育特色学校{space}{written}{space}{unit}", lex.targets)
    assert [(q.value, q.unit_name) for q in found] == [(n, unit)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_extraction_never_raises(lex, text):
    targets = run(text, lex)
    norm_text = process_text(text, lex).structured.normalized.text
    for t in targets:
        assert norm_text[t.start:t.end] == t.mention


HOSTILE = {
    "numbers in a row": "".join(f"{i}个" for i in range(3000)),
    "one long digit run": "7" * 30000,
    "numeral characters": "一二三四五六七八九十百千万亿" * 2000,
    "thousands separators": "1,000," * 5000,
    "deadlines in a row": "到2025年," * 3000,
    "years in a row": "2025年" * 3000,
    "percent words": "百分之" * 5000,
    "fractions": "三分之" * 5000,
    "dashes": "1-" * 10000,
    "enumeration": "、".join(f"示范校{i}所" for i in range(2000)),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_is_processed_in_linear_time(name, lex):
    """Inputs that once took minutes (nested quantifiers, pairwise span checks).
    A regression to super-linear time shows as a suite that stops finishing."""
    text = HOSTILE[name]
    doc = process_text(text, lex)
    norm = doc.structured.normalized.text
    for t in extract_targets(doc, lex):
        assert norm[t.start:t.end] == t.mention


def test_a_glued_task_tables_time_cell_is_the_deadline_of_its_rows_task(lex):
    """A notice stored without line breaks prints its task table glued (序号工作任务责任单位时间进度
    1…); each row's dated cell is a milestone whose indicator is the row's task, not the words
    after the date (出台实施意见). In the style of a municipal charity opinion."""
    tasks = ["广泛设立社会捐助站点", "动员社会公众积极参与志愿服务", "探索股权等新型捐赠方式", "强化慈善人才保障",
             "完善慈善信息公开平台", "培育发展社区慈善组织", "落实慈善捐赠税收优惠", "加强慈善组织监督管理"]
    preamble = "各区市县人民政府,市级各部门:为促进慈善事业健康发展,现提出如下意见。" * 20
    rows = "".join(f"{i}{task}。市民政局、市财政局2017年6月底前出台实施意见" for i, task in enumerate(tasks, 1))
    text = f"{preamble}一、重点任务为落实上述要求,制定任务分工如下。序号工作任务责任单位时间进度{rows}"
    assert len(text) >= 1000  # stored as one line: clean breaks it into rows
    milestones = [t for t in run(text, lex) if t.quantity_kind == "milestone"]
    assert [t.indicator for t in milestones] == tasks
    assert {t.deadline_year for t in milestones} == {2017}


def _trim_each_word(phrase: str, tl) -> str:
    """`_trim` as its rule is written: every trim word tried in order, at the start then the
    end, pass after pass (the reference `_trim`'s shortcut is held to)."""
    phrase = phrase.strip(" ,、:;")
    if phrase in tl.trim_words:
        return ""
    changed = True
    while changed and phrase:
        changed = False
        for word in tl.trim_words:
            if phrase.startswith(word) and len(phrase) > len(word) and not phrase.startswith(tl.trim_keep):
                phrase, changed = phrase[len(word):], True
            if phrase.endswith(word) and len(phrase) > len(word) and not phrase.endswith(tl.trim_keep):
                phrase, changed = phrase[: -len(word)], True
        phrase = phrase.strip(" ,、:;")
    return phrase


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_phrase_is_trimmed_as_the_rule_says(lex, data):
    from pipeline.extract.targets import _trim

    tl = lex.targets
    pieces = [*tl.trim_words, *tl.trim_keep, "学校", "覆盖率", "教师", "水", "平", " ", ",", "、", ":", ";"]
    phrase = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=8)))
    assert _trim(phrase, tl) == _trim_each_word(phrase, tl)


@pytest.mark.parametrize(("phrase", "trimmed"), [
    ("不断提高教师水平", "提高教师水平"), ("确保达标", "达标"), ("进一步完善的", "完善"), ("人均", "人均"),
    ("达到,", ""), ("积极稳妥推进和", "稳妥推进"),
])
def test_trim_words_are_cut_from_a_phrase(lex, phrase, trimmed):
    from pipeline.extract.targets import _trim

    assert _trim(phrase, lex.targets) == trimmed == _trim_each_word(phrase, lex.targets)
