"""Properties that hold for any input (hypothesis): the stages never raise on arbitrary
text, normalization preserves length, and every offset points at its text."""

from __future__ import annotations

import dataclasses

import pytest
import regex
from conftest import decoded, process_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import core
from pipeline.clean import clean
from pipeline.errors import InputError
from pipeline.extract.quantities import Quantity
from pipeline.model import Clause, Clauses, Tag, Target, replaced
from pipeline.normalize import fold_punctuation, t2s
from pipeline.read import decode

# Text built from the characters notices are made of, so the interesting paths run.
CHARS = "一二三、。,，:：;；()（）〔〕[]【】《》“”\"0123456789.%年月日到县市教育局发展学校\n \u3000\u00a0\u2002-•"
WORDS = ["(一)", "1.", "一、", "〔责任单位:", "责任单位:", "版权所有", "到2025年", "101 个", "發展", "關于", "索引号:",
         "\n\n", "附件"]
PIECES = st.sampled_from(list(CHARS) + WORDS)
NOTICE_TEXT = st.lists(PIECES, max_size=200).map("".join)
ANY_TEXT = st.text(max_size=300)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(st.one_of(NOTICE_TEXT, ANY_TEXT))
def test_stages_never_raise_and_offsets_hold(lex, text):
    try:
        doc = process_text(text, lex)
    except InputError as exc:  # a text that is all page chrome is an error row by design (SPEC §9)
        assert exc.error_type == "lost_text"
        return
    norm = doc.structured.normalized
    original = norm.cleaned.text
    raw = norm.cleaned.decoded.text
    assert len(norm.text) == len(original)
    offsets = norm.cleaned.raw_offsets
    assert len(offsets) == len(original) + 1
    assert all(a < b for a, b in zip(offsets[:-2], offsets[1:-1], strict=True))  # monotonic map into raw text
    for i, ch in enumerate(original):
        if ch != "\n":
            assert raw[offsets[i]] == ch or (ch == " " and raw[offsets[i]].isspace())
    previous_end = 0
    for clause in doc.clauses:
        assert previous_end <= clause.start < clause.end <= len(norm.text)
        piece = norm.text[clause.start:clause.end]
        assert piece == piece.strip() and "\n" in piece or "\n" not in piece
        previous_end = clause.end
        for tag in clause.tags:
            assert norm.text[tag.start:tag.end] == tag.text


@SETTINGS
@given(ANY_TEXT)
def test_t2s_and_folding_preserve_length(text):
    assert len(t2s(text)) == len(text)
    assert len(fold_punctuation(text)) == len(text)


@SETTINGS
@given(st.binary(max_size=400))
def test_decode_returns_text_or_a_clear_error(data):
    try:
        text, encoding = decode(data)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(text, str) and encoding


@SETTINGS
@given(st.lists(st.sampled_from(list("()《》“”〔],。字")), max_size=400).map("".join))
def test_unbalanced_brackets_never_crash_segmenting(lex, text):
    doc = process_text(text, lex)
    assert all(c.start < c.end for c in doc.clauses)


def test_clean_is_linear_on_a_huge_single_line(lex):
    text = "教育" * 200_000 + "\n"
    assert clean(decoded(text), lex).text == text[:-1]


def test_delimiters_never_inside_protected_clause_text(lex):
    text = "构建“德育为先,五育融合”育人体系,推进《规划,(2023年版)》落实。"
    doc = process_text(text, lex)
    pieces = [doc.structured.normalized.text[c.start:c.end] for c in doc.clauses]
    assert pieces == ["构建“德育为先,五育融合”育人体系", "推进《规划,(2023年版)》落实"]
    assert not any(regex.search(r"^[,。]|[,。]$", p) for p in pieces)


class _Scanned:
    """A compiled pattern that counts the characters every call offers it: the work of the
    regex engine, measured without a clock."""

    total = 0

    def __init__(self, pattern: regex.Pattern) -> None:
        self.compiled = pattern

    def _offer(self, string: str, pos, endpos) -> None:
        end = len(string) if endpos is None else min(endpos, len(string))
        _Scanned.total += max(0, end - (pos or 0))

    def search(self, string, pos=None, endpos=None, *args, **kwargs):
        self._offer(string, pos, endpos)
        return self.compiled.search(string, pos, endpos, *args, **kwargs)

    def match(self, string, pos=None, endpos=None, *args, **kwargs):
        self._offer(string, pos, endpos)
        return self.compiled.match(string, pos, endpos, *args, **kwargs)

    def finditer(self, string, pos=None, endpos=None, *args, **kwargs):
        self._offer(string, pos, endpos)
        return self.compiled.finditer(string, pos, endpos, *args, **kwargs)

    def __getattr__(self, name):  # pattern, flags …: as the compiled pattern has them
        return getattr(self.compiled, name)


class _ScannedList:
    """A list of patterns compiled together (core.PatternList), counted as its patterns
    would be one by one."""

    def __init__(self, patterns: core.PatternList) -> None:
        self.patterns = patterns

    def _offer(self, string: str, pos: int, endpos: int) -> None:
        _Scanned.total += len(self.patterns) * max(0, min(endpos, len(string)) - pos)

    def finditer(self, string, pos, endpos):
        self._offer(string, pos, endpos)
        return self.patterns.finditer(string, pos, endpos)

    def spans(self, string, pos, endpos):
        self._offer(string, pos, endpos)
        return self.patterns.spans(string, pos, endpos)

    def match_spans(self, string, starts, endpos):
        for start in starts:
            self._offer(string, start, endpos)
        return self.patterns.match_spans(string, starts, endpos)

    def __len__(self) -> int:
        return len(self.patterns)


def _counting(value):
    if isinstance(value, core.PatternList):
        return _ScannedList(value)
    if isinstance(value, regex.Pattern):
        return _Scanned(value)
    if isinstance(value, tuple) and value and all(isinstance(v, regex.Pattern) for v in value):
        return tuple(map(_Scanned, value))
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return tuple((name, _counting(p)) for name, p in value)
    return value


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["培育特色学校", "培养骨干教师", "每所学校配备教师", "新增托位", "建设"]),
       st.sampled_from(["所", "名", "个", "%", "万元", "平方米", "张"]),
       st.sampled_from(["", "、", " ", "和", ","]))
def test_target_work_grows_linearly_with_clause_length(lex, noun, unit, separator):
    """Issue 13: 8× the items of one clause (or of one line) costs about 8× the scanning,
    not 64× (a search from the clause start for every target was quadratic). Counted on the
    Python rules: the core makes the same scans in Rust, where a pattern cannot be wrapped
    to count them, and tests/test_core.py holds the two engines to the same rows. The
    lists the rules build from these patterns to ask every sentence or clause in one call
    (`PatternList.firsts_in_each`, `spans_in_each`) search each range once: not counted."""
    from pipeline.extract.targets import extract_targets

    targets = dataclasses.replace(lex.targets, **{f.name: _counting(getattr(lex.targets, f.name))
                                                  for f in dataclasses.fields(lex.targets)})
    counting = dataclasses.replace(lex, targets=targets)

    def scanned(n: int) -> int:
        text = separator.join(f"{noun}{i % 90 + 10}{unit}" for i in range(n))
        with core.using("python"):
            doc = process_text(text, counting)
            _Scanned.total = 0
            extract_targets(doc, counting)
        return _Scanned.total

    small, large = scanned(300), scanned(2400)
    assert small > 0
    assert large <= small * 8 * 1.25, f"300 items: {small} characters scanned, 2400 items: {large}"


@given(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**7),
                 st.integers(0, 10**7), st.booleans(), st.text(max_size=20), st.integers(0, 9),
                 st.lists(st.builds(Tag, st.text(max_size=5), st.integers(0, 99), st.integers(0, 99)),
                          max_size=2).map(tuple)))
def test_a_clause_made_quickly_is_the_same_record(fields):
    """segment makes its clauses with Clause.of (no generated __init__): equal, hashed,
    printed and replaced as Clause(…) is, and as frozen."""
    quick, made = Clause.of(*fields), Clause(*fields)
    assert quick == made and hash(quick) == hash(made) and repr(quick) == repr(made)
    assert dataclasses.replace(quick, start=1) == dataclasses.replace(made, start=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.start = 0


CLAUSE_RECORDS = st.lists(st.tuples(
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 10**6), st.integers(0, 10**6), st.booleans(),
    st.text(max_size=8), st.integers(0, 9),
    st.lists(st.builds(Tag, st.text(max_size=5), st.integers(0, 99), st.integers(0, 99)), max_size=2).map(tuple)),
    max_size=12).map(lambda rows: [Clause(i, *row) for i, row in enumerate(rows)])


@given(CLAUSE_RECORDS, st.integers(-15, 15), st.integers(-15, 15), st.integers(-3, 3).filter(bool))
def test_a_notices_clauses_as_columns_give_the_same_records(records, i, j, step):
    """segment keeps a notice's clauses as columns (`Clauses`): indexed, sliced, iterated
    and compared, they are the records they were made from; a clause without tags holds none."""
    clauses = Clauses.of_records(records)
    assert len(clauses) == len(records) and list(clauses) == records and clauses == tuple(records)
    assert clauses[i:j:step] == tuple(records[i:j:step])
    if -len(records) <= i < len(records):
        assert clauses[i] == records[i]
    else:
        with pytest.raises(IndexError):
            clauses[i]
    assert clauses == Clauses.of_records(records) and set(clauses.tags) == {c.seq for c in records if c.tags}
    assert clauses.start == [c.start for c in records] and clauses.section_path == [c.section_path for c in records]
    if records:
        assert clauses != Clauses.of_records(records[:-1])
    if len(records) > 1:
        with pytest.raises(ValueError, match="seq"):
            Clauses.of_records(records[1:])
    with pytest.raises(ValueError, match="different lengths"):
        Clauses([0], [], [], [], [], [], [], {})


@given(CLAUSE_RECORDS, st.data())
def test_a_run_of_clauses_gives_the_records_it_spans(records, data):
    """targets read a sentence's or a paragraph's clauses as a run (`Clauses.run`): indexed,
    sliced and iterated, it is the slice of the records, made one by one when asked for."""
    clauses = Clauses.of_records(records)
    first = data.draw(st.integers(0, len(records)))
    last = data.draw(st.integers(first, len(records)))
    run, want = clauses.run(first, last), records[first:last]
    assert len(run) == len(want) and list(run) == want and list(run.seqs) == [c.seq for c in want]
    i, j, step = (data.draw(st.integers(-15, 15)) for _ in range(3))
    assert run[i:j:step or 1] == tuple(want[i:j:step or 1])
    if -len(want) <= i < len(want):
        assert run[i] == want[i]
    else:
        with pytest.raises(IndexError):
            run[i]
    with pytest.raises(ValueError, match="out of range"):
        clauses.run(first, len(records) + 1)


_OPTIONAL_TEXT = st.none() | st.text(max_size=6)
_OPTIONAL_NUMBER = st.none() | st.floats(allow_nan=False)
TARGET_FIELDS = st.fixed_dictionaries({
    "clause_seq": st.integers(0, 10**5), "indicator": _OPTIONAL_TEXT, "indicator_id": _OPTIONAL_TEXT,
    "quantity_kind": st.text(max_size=6), "value": _OPTIONAL_NUMBER, "value_max": _OPTIONAL_NUMBER,
    "comparator": _OPTIONAL_TEXT, "unit": _OPTIONAL_TEXT, "per": _OPTIONAL_TEXT, "within": _OPTIONAL_TEXT,
    "level": _OPTIONAL_TEXT, "level_text": _OPTIONAL_TEXT, "deadline_year": st.none() | st.integers(1900, 2100),
    "deadline_text": _OPTIONAL_TEXT, "deadline_source": st.text(max_size=6), "mention": st.text(max_size=6),
    "start": st.integers(0, 10**6), "end": st.integers(0, 10**6), "rule": st.text(max_size=9),
}, optional={"scope": st.text(max_size=6)})


@given(TARGET_FIELDS, TARGET_FIELDS)
def test_a_target_made_and_completed_quickly_is_the_same_record(fields, changes):
    """targets.py makes its rows with Target.of and completes them with `replaced` (no
    generated __init__): equal, hashed and printed as Target(…) and dataclasses.replace make
    them, and as frozen; a field the record lacks is an error, as it is to replace."""
    quick, made = Target.of(**fields), Target(**fields)
    assert quick == made and hash(quick) == hash(made) and repr(quick) == repr(made)
    assert replaced(quick, **changes) == dataclasses.replace(made, **changes)
    assert repr(replaced(made, **changes)) == repr(dataclasses.replace(made, **changes))
    with pytest.raises(dataclasses.FrozenInstanceError):
        replaced(quick, start=0).start = 1
    with pytest.raises(TypeError, match="no field units"):
        replaced(quick, units="教育局")


@given(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.floats(allow_nan=False),
                 st.none() | st.floats(allow_nan=False), st.none(), st.sampled_from(["eq", "ge", "range"]),
                 st.booleans(), st.text(max_size=9)))
def test_a_quantity_made_quickly_is_the_same_record(fields):
    """The core's candidates become Quantity.of records (no generated __init__): equal,
    hashed and printed as Quantity(…), and as frozen."""
    quick, made = Quantity.of(*fields), Quantity(*fields)
    assert quick == made and hash(quick) == hash(made) and repr(quick) == repr(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.start = 0
