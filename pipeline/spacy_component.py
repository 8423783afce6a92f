"""A spaCy pipeline component, `policy_targets` (the optional extra `policy-pipeline[spacy]`,
registered through spaCy's `spacy_factories` entry point):

    import spacy
    nlp = spacy.blank("zh")
    nlp.add_pipe("policy_targets")
    doc = nlp("到2027年,全县培养骨干教师100名。〔责任单位:县教育局〕")
    [(span.text, span.label_, span._.policy_row["deadline_year"]) for span in doc.spans["policy"]]
    spacy.displacy.render(doc, style="span", options={"spans_key": "policy"})

Takes a Doc whose text is one notice; gives `doc.spans["policy"]`: the targets (label =
quantity_kind), the deadline phrases (`deadline`) and the responsibility tags (`tag`),
each with its row (`span._.policy_row`: the targets row, {"year": …} for a deadline, the
tag's units for a tag). It runs the same stages as `policy-pipeline run`; offsets are
mapped back from the cleaned text to the Doc's characters.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from .extract.deadlines import find_deadlines
from .lexicons import DEFAULT_DIR
from .model import Source
from .run import STAGES, Options, document_rows

SPANS_KEY = "policy"
if not Span.has_extension("policy_row"):
    Span.set_extension("policy_row", default=None)


class PolicyTargets:
    def __init__(self, lexicons: str | None = None, spans_key: str = SPANS_KEY) -> None:
        self.options = Options(lexicons=lexicons or str(DEFAULT_DIR))
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        record = Source.of("<spacy>", doc.text.encode("utf-8"))
        lex = self.options.lex()
        records = {}
        for name, stage in STAGES:
            record = stage(record, lex)
            records[name] = record
        cleaned, segmented = records["clean"], records["segment"]
        text = segmented.structured.normalized.text
        raw = cleaned.raw_offsets
        spans: list[Span] = []

        def add(start: int, end: int, label: str, row: dict) -> None:
            span = doc.char_span(raw[start], raw[end - 1] + 1, label=label, alignment_mode="expand")
            if span is not None:
                span._.policy_row = row
                spans.append(span)

        for row in document_rows(records["extract"])["targets"]:
            if row["quantity_kind"] != "milestone":
                add(row["start"], row["end"], row["quantity_kind"], row)
        for clause in segmented.clauses:
            for deadline in find_deadlines(text, lex.targets, clause.start, clause.end):
                add(deadline.start, deadline.end, "deadline", {"year": deadline.year, "text": deadline.text})
            for tag in clause.tags:
                add(tag.start, tag.end, "tag", {"text": tag.text})
        doc.spans[self.spans_key] = sorted(spans, key=lambda s: (s.start_char, s.end_char, s.label_))
        return doc


@Language.factory("policy_targets", default_config={"lexicons": None, "spans_key": SPANS_KEY})
def create_policy_targets(nlp: Language, name: str, lexicons: str | None, spans_key: str) -> PolicyTargets:
    return PolicyTargets(lexicons, spans_key)
