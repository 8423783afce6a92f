"""Properties that hold for any input (hypothesis): the stages never raise on arbitrary
text, normalization preserves length, and every offset points at its text."""

from __future__ import annotations

import regex
from conftest import decoded, process_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.clean import clean
from pipeline.errors import InputError
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
