"""Frozen records passed from stage to stage.

Each stage is a plain function from one of these records to the next:

    Source --read--> Decoded --clean--> Cleaned --normalize--> Normalized
           --structure--> Structured --segment--> Segmented --extract--> Extracted

Offsets are half-open character offsets. `Cleaned.text` is the original-script text
after cleaning; `Normalized.text` is its Simplified, punctuation-folded twin of exactly
the same length, so one offset addresses both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any, TypeVar, overload

# A frozen dataclass's __init__ sets each field through object.__setattr__. The records a
# notice makes by the thousand (`Clause.of`, `Paragraph.of`, `Target.of`, and `replaced`
# for a changed copy) are made with this instead, and every field set at once in the
# instance's __dict__: the same record, made in 0.56 µs against 1.0 µs for `Clause(…)`.
_new = object.__new__
R = TypeVar("R")


def replaced(record: R, **changes: Any) -> R:
    """`dataclasses.replace` for a record made with `_new` or its __init__ alike: the same
    record, made in 1.1 µs against 4.9 µs (a target is completed in two or three steps)."""
    fields = record.__dict__
    if not changes.keys() <= fields.keys():
        raise TypeError(f"{type(record).__name__} has no field {', '.join(sorted(changes.keys() - fields.keys()))}")
    new = _new(type(record))
    new.__dict__.update(fields)
    new.__dict__.update(changes)
    return new


@dataclass(frozen=True)
class Source:
    """One input file as bytes, with the ids derived from them."""

    path: str  # as shown to the user and stored in source_path (POSIX separators)
    data: bytes
    sha256: str

    @classmethod
    def of(cls, path: str, data: bytes) -> Source:
        """The source of `data`, shown as `path`, with its SHA-256."""
        return cls(path=path, data=data, sha256=hashlib.sha256(data).hexdigest())

    @property
    def doc_id(self) -> str:
        return self.sha256[:16]


@dataclass(frozen=True)
class Decoded:
    """Text of a source; for HTML, the visible text of the page body."""

    source: Source
    text: str
    encoding: str
    media_type: str  # "text" | "html" | "pdf" | "docx"
    page_starts: tuple[int, ...] = ()  # PDF: where in `text` each page starts (page 1 at 0)
    empty_pages: tuple[int, ...] = ()  # PDF: pages (from 1) without a text layer among pages with one
    headings: tuple[tuple[int, int], ...] = ()  # Word: (offset in `text`, outline level) of styled headings


@dataclass(frozen=True)
class Cleaned:
    """Body text without site chrome, duplicates or PDF breaks, in the original script.

    `raw_offsets[i]` is the offset in `Decoded.text` of cleaned character i;
    `raw_offsets[len(text)]` is the end. `header` keeps the chrome lines that were
    removed (web-page metadata tables), because metadata is read from them.
    `simplified` is the t2s of `text` as clean converted it (empty: not converted yet).
    """

    decoded: Decoded
    text: str
    raw_offsets: Sequence[int]  # an array("q"): 8 bytes a character
    header: tuple[str, ...]
    simplified: str = ""


@dataclass(frozen=True)
class Normalized:
    cleaned: Cleaned
    text: str  # Simplified (OpenCC t2s), punctuation folded; len == len(cleaned.text)
    header: tuple[str, ...]  # the removed chrome lines, normalized the same way
    script: str  # simplified | traditional | mixed


@dataclass(frozen=True)
class Heading:
    """A heading found at the start of a paragraph (possibly inline)."""

    marker: str  # "二、", "(三)", "13." …
    rank: int  # marker family rank: smaller = higher in the tree
    title: str  # heading text without the trailing punctuation, marker included
    start: int
    end: int  # end of the heading sentence (excluding its terminal punctuation)


@dataclass(frozen=True)
class Paragraph:
    seq: int
    start: int
    end: int
    heading: Heading | None
    section_path: str
    section_level: int

    @classmethod
    def of(cls, seq: int, start: int, end: int, heading: Heading | None, section_path: str,
           section_level: int) -> Paragraph:
        """`Paragraph(…)`, made as `Clause.of` is (a notice has thousands of lines)."""
        record = _new(cls)
        record.__dict__.update(seq=seq, start=start, end=end, heading=heading, section_path=section_path,
                               section_level=section_level)
        return record


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    title_original: str | None = None
    doc_number: str | None = None
    issuers: tuple[str, ...] = ()
    issue_date: date | None = None
    publish_date: date | None = None
    region: str | None = None
    province: str | None = None
    prefecture: str | None = None
    county: str | None = None
    admin_code: str | None = None
    admin_level: str | None = None
    plan_start_year: int | None = None
    plan_end_year: int | None = None


@dataclass(frozen=True)
class Structured:
    normalized: Normalized
    metadata: Metadata
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Tag:
    """A responsibility tag cut out of the clause text (parsed in a later stage)."""

    text: str
    start: int
    end: int
    source: str = "tag"  # tag (bracketed or closing) | label (a label line) | table (a row's unit cell)
    role: str | None = None  # a table cell's column: lead | co | units | time (None: not a column cell)


@dataclass(frozen=True)
class Clause:
    seq: int
    paragraph_seq: int
    sentence_seq: int
    start: int
    end: int
    is_heading: bool
    section_path: str
    section_level: int
    tags: tuple[Tag, ...] = field(default=())

    @classmethod
    def of(cls, seq: int, paragraph_seq: int, sentence_seq: int, start: int, end: int, is_heading: bool,
           section_path: str, section_level: int, tags: tuple[Tag, ...] = ()) -> Clause:
        """The same record as `Clause(…)`, made without the generated __init__ (see `_new`):
        segment makes hundreds of clauses a notice. The fields are written out, not passed
        on as **fields: packing them cost more than the __init__ saved (1.36 µs)."""
        record = _new(cls)
        record.__dict__.update(seq=seq, paragraph_seq=paragraph_seq, sentence_seq=sentence_seq, start=start, end=end,
                               is_heading=is_heading, section_path=section_path, section_level=section_level, tags=tags)
        return record


class Clauses(Sequence[Clause]):
    """A notice's clauses as columns, clause i (its `seq`) in row i, in text order.

    A notice has about 20,000 clauses a MB, and the stages after segment read most of them
    only as columns (starts and ends handed to the core, the clauses table): a `Clause`
    record each was a third of what segment cost. A record is made when one is asked for
    (`clauses[i]`, iteration), for the few clauses a rule looks at one by one. `tags` holds
    only the clauses that have any."""

    __slots__ = ("paragraph_seq", "sentence_seq", "start", "end", "is_heading", "section_path", "section_level",
                 "tags")

    def __init__(self, paragraph_seq: list[int], sentence_seq: list[int], start: list[int], end: list[int],
                 is_heading: list[bool], section_path: list[str], section_level: list[int],
                 tags: dict[int, tuple[Tag, ...]]) -> None:
        if not len(paragraph_seq) == len(sentence_seq) == len(start) == len(end) == len(is_heading) == \
                len(section_path) == len(section_level):
            raise ValueError("clause columns of different lengths")
        self.paragraph_seq, self.sentence_seq, self.start, self.end = paragraph_seq, sentence_seq, start, end
        self.is_heading, self.section_path, self.section_level = is_heading, section_path, section_level
        self.tags = tags

    @classmethod
    def of_records(cls, clauses: Iterable[Clause]) -> Clauses:
        """The columns of records numbered 0, 1, … (tests build notices clause by clause)."""
        cs = list(clauses)
        if any(c.seq != i for i, c in enumerate(cs)):
            raise ValueError("clause i must have seq i")
        return cls([c.paragraph_seq for c in cs], [c.sentence_seq for c in cs], [c.start for c in cs],
                   [c.end for c in cs], [c.is_heading for c in cs], [c.section_path for c in cs],
                   [c.section_level for c in cs], {c.seq: c.tags for c in cs if c.tags})

    def __len__(self) -> int:
        return len(self.start)

    @overload
    def __getitem__(self, i: int) -> Clause: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Clause, ...]: ...

    def __getitem__(self, i: int | slice) -> Clause | tuple[Clause, ...]:
        return self._of(range(len(self))[i])  # a slice's seqs, or a seq checked and wrapped as a list's index is

    def __iter__(self) -> Iterator[Clause]:
        return map(self._record, range(len(self)))

    def run(self, first: int, last: int) -> ClauseRun:
        """Clauses first … last - 1 (a sentence, a paragraph), without a record each."""
        return ClauseRun(self, first, last)

    def _of(self, at: int | range) -> Clause | tuple[Clause, ...]:
        """The record of seq `at`, or those of a range of seqs."""
        return tuple(map(self._record, at)) if isinstance(at, range) else self._record(at)

    def _record(self, i: int) -> Clause:
        return Clause.of(i, self.paragraph_seq[i], self.sentence_seq[i], self.start[i], self.end[i],
                         self.is_heading[i], self.section_path[i], self.section_level[i], self.tags.get(i, ()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Clauses):
            return all(list(getattr(self, f)) == list(getattr(other, f)) for f in self.__slots__)
        if isinstance(other, tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # columns are lists: equal by value, not hashable

    def __repr__(self) -> str:
        return f"Clauses({list(self)!r})"


class ClauseRun(Sequence[Clause]):
    """Consecutive clauses of a notice: targets read a sentence's or a paragraph's clauses
    one by one, and only those with something on them (a few in a hundred) need a record."""

    __slots__ = ("clauses", "first", "last")

    def __init__(self, clauses: Clauses, first: int, last: int) -> None:
        if not 0 <= first <= last <= len(clauses):
            raise ValueError("clause run out of range")
        self.clauses, self.first, self.last = clauses, first, last

    def __len__(self) -> int:
        return self.last - self.first

    @overload
    def __getitem__(self, i: int) -> Clause: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Clause, ...]: ...

    def __getitem__(self, i: int | slice) -> Clause | tuple[Clause, ...]:
        return self.clauses._of(self.seqs[i])

    @property
    def seqs(self) -> range:
        return range(self.first, self.last)


@dataclass(frozen=True)
class Segmented:
    structured: Structured
    clauses: Clauses  # in text order, clause i with seq i (later stages index by seq)


@dataclass(frozen=True)
class Target:
    """One quantitative commitment (SPEC §6); offsets are those of `mention`."""

    clause_seq: int
    indicator: str | None
    indicator_id: str | None
    quantity_kind: str
    value: float | None
    value_max: float | None
    comparator: str | None
    unit: str | None
    per: str | None
    within: str | None
    level: str | None
    level_text: str | None
    deadline_year: int | None
    deadline_text: str | None
    deadline_source: str
    mention: str
    start: int
    end: int
    rule: str
    scope: str = "jurisdiction"  # per_subordinate | per_school | per_student | per_teacher

    @classmethod
    def of(cls, *, clause_seq: int, indicator: str | None, indicator_id: str | None, quantity_kind: str,
           value: float | None, value_max: float | None, comparator: str | None, unit: str | None, per: str | None,
           within: str | None, level: str | None, level_text: str | None, deadline_year: int | None,
           deadline_text: str | None, deadline_source: str, mention: str, start: int, end: int, rule: str,
           scope: str = "jurisdiction") -> Target:
        """The same record as `Target(…)`, made without the generated __init__ (see `_new`):
        1.5 µs against 3.0 µs, and a notice may have thousands of targets."""
        record = _new(cls)
        record.__dict__.update(
            clause_seq=clause_seq, indicator=indicator, indicator_id=indicator_id, quantity_kind=quantity_kind,
            value=value, value_max=value_max, comparator=comparator, unit=unit, per=per, within=within, level=level,
            level_text=level_text, deadline_year=deadline_year, deadline_text=deadline_text,
            deadline_source=deadline_source, mention=mention, start=start, end=end, rule=rule, scope=scope)
        return record


@dataclass(frozen=True)
class Responsibility:
    """One (task, unit) pair (SPEC §7): from a responsibility tag or a subject in the text."""

    clause_seq: int  # the clause the tag closes (for actors: the clause they are subject of)
    section_path: str
    scope: tuple[int, ...]  # clause seqs the responsibility covers
    unit_raw: str
    unit: str
    unit_type: str | None
    unit_level: str | None
    role: str  # lead | co | actor
    rank: int
    lead_rule: str | None  # label | first_listed | before_semicolon | default_first
    source: str  # tag | label | table | text


@dataclass(frozen=True)
class CategoryCode:
    """One (clause, codebook, category) with the terms that fired (SPEC §8)."""

    clause_seq: int
    codebook: str
    category: str
    score: float  # distinct terms found; 0.5 when inherited from the clause's heading
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class CategoryCodes:
    """A notice's codes (SPEC §8) as columns, entry i one (clause, codebook, category). A
    notice has hundreds, so they are not made a record each; iterating gives `CategoryCode`s."""

    clause_seq: tuple[int, ...] = ()
    codebook: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    score: tuple[float, ...] = ()
    evidence: tuple[tuple[str, ...], ...] = ()  # one tuple shared by the codes of the same terms

    @classmethod
    def of(cls, codes: Sequence[CategoryCode]) -> CategoryCodes:
        return cls(*(tuple(column) for column in zip(*((c.clause_seq, c.codebook, c.category, c.score, c.evidence)
                                                         for c in codes), strict=True))) if codes else cls()

    @classmethod
    def joined(cls, parts: Sequence[CategoryCodes]) -> CategoryCodes:
        """The codes of several codebooks, one after the other."""
        return cls(*(tuple(chain.from_iterable(getattr(part, name) for part in parts)) for name in _CODE_COLUMNS))

    def __len__(self) -> int:
        return len(self.clause_seq)

    def __iter__(self) -> Iterator[CategoryCode]:
        return map(CategoryCode, self.clause_seq, self.codebook, self.category, self.score, self.evidence)


_CODE_COLUMNS = ("clause_seq", "codebook", "category", "score", "evidence")


@dataclass(frozen=True)
class Extracted:
    segmented: Segmented
    targets: tuple[Target, ...]
    responsibilities: tuple[Responsibility, ...] = ()
    categories: CategoryCodes = CategoryCodes()
