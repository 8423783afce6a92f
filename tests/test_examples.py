"""Runs the example files in tests/examples/: each example is a rule's documentation
and its test. A failure says which example, what was expected and what came out."""

from __future__ import annotations

import pytest
from conftest import decoded, examples, process_text

from pipeline.clean import clean
from pipeline.structure import find_heading, normalize_doc_number, parse_date, split_orgs

CLEAN = examples("clean.yaml")
HEADINGS = examples("headings.yaml")
SEGMENT = examples("segment.yaml")
METADATA = examples("metadata.yaml")


@pytest.mark.parametrize("case", CLEAN, ids=[c["name"] for c in CLEAN])
def test_clean(case, lex):
    got = clean(decoded(case["raw"]), lex).text.split("\n")
    assert got == [str(p) for p in case["paragraphs"]]


@pytest.mark.parametrize("case", HEADINGS, ids=[c["text"][:24] for c in HEADINGS])
def test_heading(case, lex):
    text = case["text"]
    heading = find_heading(text, 0, len(text), lex)
    if case["heading"] is None:
        assert heading is None, f"{text!r} read as heading {heading}"
        return
    assert heading is not None, f"{text!r}: no heading found"
    assert heading.title == case["heading"]
    family = {h.rank: h.name for h in lex.headings if h.pattern.match(text)}
    assert case["family"] in family.values()
    assert (heading.end < len(text.rstrip("。"))) == case.get("inline", False)


@pytest.mark.parametrize("case", SEGMENT, ids=[c.get("name", c["text"][:24]) for c in SEGMENT])
def test_segment(case, lex):
    doc = process_text(case["text"], lex)
    text = doc.structured.normalized.text
    assert [text[c.start:c.end] for c in doc.clauses] == case["clauses"]
    assert [t.text for c in doc.clauses for t in c.tags] == case.get("tags", [])
    if "closes" in case:  # the clause each tag is attached to
        assert [text[c.start:c.end] for c in doc.clauses for _ in c.tags] == case["closes"]


@pytest.mark.parametrize("written,expected", METADATA["dates"].items())
def test_dates(written, expected):
    assert parse_date(str(written)) == expected


@pytest.mark.parametrize("written,expected", METADATA["doc_numbers"].items())
def test_doc_numbers(written, expected):
    assert normalize_doc_number(written) == expected


@pytest.mark.parametrize("line,expected", METADATA["issuers"].items())
def test_issuers(line, expected, lex):
    assert split_orgs(line, lex) == expected


@pytest.mark.parametrize("path", sorted(METADATA["documents"]))
def test_seed_metadata(path, tables):
    docs = tables["documents"].set_index("source_path")
    assert path in docs.index, f"{path} missing from documents.parquet"
    row = docs.loc[path]
    wrong = {}
    for field, expected in METADATA["documents"][path].items():
        value = row[field]
        if hasattr(value, "tolist"):
            value = value.tolist()
        if value is not None and value != value:  # NaN from pandas for a null number
            value = None
        if isinstance(expected, int) and value is not None:
            value = int(value)
        if value != expected:
            wrong[field] = (expected, value)
    assert not wrong, f"{path}: field: (expected, found) {wrong}"


QUANTITIES = examples("quantities.yaml")


@pytest.mark.parametrize("case", QUANTITIES, ids=[c["text"][:24] for c in QUANTITIES])
def test_quantity(case, lex):
    from pipeline.extract.quantities import find_quantities

    text = case["text"]
    found = [[text[q.start:q.end], q.value, q.value_max, q.unit_name, q.comparator]
             for q in find_quantities(text, lex.targets)]
    assert found == case["found"]
