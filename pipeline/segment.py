"""Stage 5, segment: `Structured` → `Segmented` (the notice's clauses, as columns, with offsets).

Paragraphs → sentences (split at `。！？；!?;`) → clauses (split at `,，:：`), never
inside brackets or quotes; `、` never splits. A heading (possibly inline) is a clause of
its own. Responsibility tags (`〔责任单位:…〕`, `[责任单位:…;…]`, `牵头单位:…`) are cut
out of the clause text and attached, with their offsets, to the clause they close.

Brackets are matched per paragraph with a stack; an opener that is never closed
(`《…规定(2023年版)要求` with its `》` lost) protects nothing, so one typo cannot swallow
the rest of a paragraph.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

import regex

from . import core, regexes
from .lexicons import Lexicons, derived
from .model import Clauses, Paragraph, Segmented, Structured, Tag

PAIRS = {"(": ")", "[": "]", "〔": "〕", "【": "】", "《": "》", "〈": "〉", "“": "”", "‘": "’",
         "「": "」", "『": "』", "{": "}", "<": ">"}
CLOSERS = {v: k for k, v in PAIRS.items()}
TAG_OPENERS = "(〔[【"
TAG_CLOSERS = ")〕]】"
SENTENCE_DELIMITERS = regexes.compile("[。！？；!?;]")
# A comma or colon between digits is part of a number or a time (10,000, 17:00), not a clause break.
CLAUSE_DELIMITERS = regexes.compile("(?<![0-9])[,，:：]|[,，:：](?![0-9])")
# Only these characters change the bracket stack: the scan jumps from one to the next.
_BRACKETS = regexes.compile("[" + regex.escape("".join(PAIRS) + "".join(CLOSERS) + '"') + "]")
MAX_PROTECTED_SPAN = 300  # a "pair" wider than this is two unrelated brackets
MAX_CLAUSE = 1000
# `依职责分别负责落实`, `按职责分工负责`: how the units named share a task.
DUTY = r"(?:依|按|按照|根据)(?:各自)?职责(?:分工)?"
# 序号|工作任务|责任单位|时间进度 (cells glued or joined with |) before the first row 1.
TABLE_HEADER = regexes.compile(r"序号\s*\|?(?P<cols>[\p{Han}|\s]{4,40}?)(?=\|?\s*1\s*\|?\s*\p{Han})")
ROW_NUMBER = regexes.compile(r"[0-9]{1,3}\s*\|?\s*(?=\p{Han})")


def segment(doc: Structured, lex: Lexicons) -> Segmented:
    text = doc.normalized.text
    tag_start = derived(lex, "tag_start_pattern", lambda: _tag_start_pattern(lex))
    closing = derived(lex, "closing_pattern", lambda: closing_pattern(lex))
    row_cell = derived(lex, "row_cell_pattern", lambda: row_cell_pattern(lex))
    header = next(table_headers(text, lex), None)
    first_table = header.end() if header else len(text) + 1
    # Most paragraphs hold no tag, closing or cell bar: one call finds those that do.
    marks = derived(lex, "segment_marks", lambda: core.PatternList([core.source(tag_start), core.source(closing),
                                                                    core.source(CELL_BAR)]))
    found = marks.firsts_in_each(text, [p.start for p in doc.paragraphs], [p.end for p in doc.paragraphs])
    tagged, closed, barred = found[::3], found[1::3], found[2::3]
    column_cells = column_table_cells(text, doc.paragraphs, lex, barred)
    paragraphs: list[_Paragraph] = []
    for para, has_tag, has_closing in zip(doc.paragraphs, tagged, closed, strict=True):
        row: list[Tag] = column_cells.get(para.seq, [])
        if row:
            tags = list(row)
        else:
            tags = find_tags(text, para.start, para.end, tag_start) if has_tag else []
            tags += find_closings(text, para.start, para.end, closing, tags) if has_closing else []
            if para.start >= first_table and not tags:
                row = row_units(text, para.start, para.end, row_cell)
                tags += row
        holes = [(t.start, t.end) for t in tags]
        if para.seq in column_cells:  # the other cells of a row are clauses of their own; 序号 none
            holes += [(m.start(), m.end()) for m in CELL_BAR.finditer(text, para.start, para.end)]
            holes += [(a, b) for a, b in table_cells(text, para.start, para.end) if text[a:b].isdigit()]
        h = para.heading
        heading = _trim(text, h.start, h.end, 0, True) if h is not None and h.end > h.start + len(h.marker) else None
        paragraphs.append(_Paragraph(para, tags, row, holes, heading))
    # The clauses' columns (clause i is row i); paragraph k's clauses are rows bounds[k] … bounds[k + 1] - 1.
    para_of, starts, ends, sentence_seq, headings = _clause_spans(text, paragraphs, lex)
    bounds = [bisect_left(para_of, k) for k in range(len(paragraphs) + 1)]
    attached: dict[int, tuple[Tag, ...]] = {}
    orphan_tags: list[Tag] = []
    for k, (_, tags, row, _, _) in enumerate(paragraphs):
        first, last = bounds[k], bounds[k + 1]
        if first == last:
            orphan_tags.extend(tags)
            continue
        if not tags and not orphan_tags:
            continue  # most paragraphs: no tag to attach
        attach: dict[int, list[Tag]] = {}
        for tag in orphan_tags + tags:
            before = [i for i, e in enumerate(ends[first:last]) if e <= tag.start]
            # A table row's unit cell closes the whole row, its time cell included.
            at = last - first - 1 if tag in row else before[-1] if before else 0
            attach.setdefault(at, []).append(tag)
        if orphan_tags and first:
            # Tags from a paragraph with no text close the clause before them.
            attached[first - 1] = attached.get(first - 1, ()) + tuple(orphan_tags)
            attach[0] = [t for t in attach.get(0, []) if t not in orphan_tags]
        orphan_tags = []
        attached.update((first + i, tuple(found)) for i, found in attach.items() if found)
    if orphan_tags and starts:
        attached[len(starts) - 1] = attached.get(len(starts) - 1, ()) + tuple(orphan_tags)
    seqs = [p.para.seq for p in paragraphs]
    paths = [p.para.section_path for p in paragraphs]
    levels = [p.para.section_level for p in paragraphs]
    return Segmented(structured=doc, clauses=Clauses(
        [seqs[k] for k in para_of], sentence_seq, starts, ends, headings, [paths[k] for k in para_of],
        [levels[k] for k in para_of], attached))


class _Paragraph(NamedTuple):
    para: Paragraph
    tags: list[Tag]
    row: list[Tag]  # a table row's unit cells (they close the whole row)
    holes: list[tuple[int, int]]  # spans that are no clause text (tags, cell bars, row numbers)
    heading: tuple | None  # the heading's clause span, if the paragraph opens with one

    @property
    def body_start(self) -> int:
        """Where the text after the heading (or the whole paragraph) starts."""
        return self.para.heading.end if self.heading else self.para.start


def _clause_spans(text: str, paragraphs: list[_Paragraph], lex: Lexicons) -> tuple[list, ...]:
    """The clauses of all paragraphs as columns, in text order: paragraph index, start, end,
    sentence_seq, is_heading (each paragraph's heading, then its body cut into sentences and
    clauses) — by the compiled core for the whole notice in one call, or paragraph by
    paragraph in Python."""
    if core.enabled():
        splitter = derived(lex, "core_splitter", lambda: core.Splitter(sorted(lex.connectives), _digits()))
        return splitter.split(
            text, [p.para.start for p in paragraphs], [p.para.end for p in paragraphs],
            [p.body_start for p in paragraphs], [(i, a, b) for i, p in enumerate(paragraphs) for a, b in p.holes],
            [p.heading[:2] if p.heading else None for p in paragraphs])
    columns: tuple[list, ...] = ([], [], [], [], [])
    for i, p in enumerate(paragraphs):
        for span in _paragraph_spans(text, p, lex):
            for column, value in zip(columns, (i, *span), strict=True):
                column.append(value)
    return columns


def _paragraph_spans(text: str, p: _Paragraph, lex: Lexicons) -> list[tuple]:
    para = p.para
    protected = protected_mask(text, para.start, para.end)
    spans: list[tuple[int, int, int, bool]] = [p.heading] if p.heading else []  # start, end, sentence_seq, heading
    sentence = len(spans)
    for start, end in _minus(p.body_start, para.end, p.holes):
        for s_start, s_end in _split(text, start, end, SENTENCE_DELIMITERS, protected, para.start):
            pieces = [_trim(text, a, b, sentence, False)
                      for a, b in _split(text, s_start, s_end, CLAUSE_DELIMITERS, protected, para.start)]
            pieces = _join_connectives(text, [p for p in pieces if p[1] > p[0]], lex.connectives)
            pieces = [short for p in pieces for short in _bounded(text, p)]
            spans.extend(pieces)
            sentence += bool(pieces)
    return spans


@lru_cache(maxsize=1)
def _digits() -> str:
    """What str.isdigit() calls a digit (a clause too long is not cut between two), for the
    core. Unicode has none beyond the first two planes (the rest: ideographs, tags, private use)."""
    return "".join(c for c in map(chr, range(0x20000)) if c.isdigit())


def _bounded(text: str, piece: tuple) -> list[tuple]:
    """A clause is at most MAX_CLAUSE characters: a longer one is text without punctuation
    (a list joined by 、 only, a table's cells, a run of numbers), cut at the last 、, space
    or | before the limit, else where no number is split. The longest real clause of the
    seeds and the development notices is ~650 characters; every target row carries its
    clause, so this bounds a row, whatever the input."""
    start, end, *rest = piece
    if end - start <= MAX_CLAUSE:
        return [piece]
    out = []
    while end - start > MAX_CLAUSE:
        limit = start + MAX_CLAUSE
        cut = max(text.rfind(mark, start + 1, limit) for mark in "、 |") + 1
        if cut <= start + MAX_CLAUSE // 2:
            cut = limit
            while cut > start + 1 and text[cut - 1].isdigit() and text[cut].isdigit():
                cut -= 1
        out.append(_trim(text, start, cut, *rest))
        start = cut
    out.append(_trim(text, start, end, *rest))
    return [p for p in out if p[1] > p[0]]


def _join_connectives(text: str, pieces: list[tuple], connectives: frozenset[str]) -> list[tuple]:
    """`同时,健全…` is one clause: a sentence opener joins the clause after it."""
    out: list[tuple] = []
    for piece in pieces:
        if out and text[out[-1][0]:out[-1][1]] in connectives:
            out[-1] = (out[-1][0], *piece[1:])
        else:
            out.append(piece)
    return out


def protected_mask(text: str, start: int, end: int) -> bytearray:
    """mask[i - start] == 1 where text[i] is inside a matched bracket or quote pair."""
    stack: list[tuple[str, int]] = []
    spans = []
    for m in _BRACKETS.finditer(text, start, end):
        i = m.start()
        ch = text[i]
        if ch == '"':
            if stack and stack[-1][0] in '"“':  # `“…"`: the pair typed with two input methods
                spans.append((stack.pop()[1], i))
            else:
                stack.append((ch, i))
        elif ch in PAIRS:
            stack.append((ch, i))
        elif ch in CLOSERS:
            openers = '“"' if ch == "”" else CLOSERS[ch]
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] in openers:
                    spans.append((stack[k][1], i))
                    del stack[k:]
                    break
    mask = bytearray(end - start)
    for a, b in spans:
        if b - a <= MAX_PROTECTED_SPAN:
            mask[a + 1 - start:b - start] = b"\x01" * (b - a - 1)
    return mask


def _tag_start_pattern(lex: Lexicons) -> regex.Pattern:
    keywords = "|".join(map(regex.escape, lex.tag_keywords))
    return regexes.compile(
        rf"(?P<open>[{regex.escape(TAG_OPENERS)}])\s*(?:{keywords})\s*[:：]"
        rf"|(?:(?<=^|[。;；])\s*)(?:{keywords})\s*[:：]",
        regex.M,
    )


def unit_name_pattern(lex: Lexicons, char: str) -> str:
    """A unit name: characters of class `char` ending in a unit-name ending (局, 委, 会 …) or a
    bracket, possibly with a bracket inside (`各县(市、区)人民政府`, `市委组织部(市人才办)`)."""
    paren = r"\([^()]{1,12}\)"
    return rf"{char}{{0,24}}?(?:{paren}{char}{{0,12}}?)?(?:[{regex.escape(lex.unit_final_chars)}]|{paren})"


def closing_pattern(lex: Lexicons) -> regex.Pattern:
    """A bracketed task closing without a label: `(市科委负责落实,完成时限:2024年10月)`,
    `(省商务厅牵头,合肥海关配合)`, `(由市科技局牵头实施)` (verbs, unit-name endings and
    deadline labels from lexicons/structure.yaml). `body` is the text inside the brackets."""
    if not lex.closing_verbs or not lex.unit_final_chars:
        return regexes.compile(r"(?!)")
    verbs = "|".join(map(regex.escape, lex.closing_verbs))
    name = unit_name_pattern(lex, r"[^\s,;:。()\[\]、]")
    units = rf"{name}(?:[、,]{name})*(?:等(?:有关)?(?:部门|单位)?)?"
    part = rf"由?{units}(?:{DUTY})?(?:{verbs})"
    labels = "|".join(map(regex.escape, lex.deadline_labels)) or "(?!)"
    deadline = rf"(?:{labels})\s*:?\s*[^()\[\]]{{1,30}}"
    body = rf"{part}(?:\s*[,;]\s*{part})*(?:\s*[,;]\s*{deadline})?|{deadline}"
    return regexes.compile(rf"[(〔\[【]\s*(?P<body>{body})\s*[)〕\]】]")


def table_headers(text: str, lex: Lexicons) -> Iterator[regex.Match]:
    """The headers of task tables flattened into the text (序号 工作任务 责任单位 …): a
    序号 row whose cells name a responsibility column."""
    return (m for m in TABLE_HEADER.finditer(text) if any(k in m["cols"] for k in lex.tag_keywords))


def row_cell_pattern(lex: Lexicons) -> regex.Pattern:
    """A task-table row's unit cell before its time cell, at the end of the row:
    `…方式。市民政局、市财政局2017年6月底前出台实施意见`, `…。市民政局持续实施`,
    `…。市民政局、市金融工作局省级政策出台后启动试点` (a condition, not a date)."""
    if not lex.unit_final_chars:
        return regexes.compile(r"(?!)")
    name = unit_name_pattern(lex, r"[^\s,;:。()\[\]、|]")
    cells = "|".join(map(regex.escape, lex.time_cells)) or "(?!)"
    conditions = "".join(f"|(?:{p})" for p in lex.time_cell_patterns)
    time = rf"(?:19|20)[0-9]{{2}}\s*年[^,;。|]{{0,24}}|{cells}{conditions}"
    return regexes.compile(rf"(?<=[。;!?)|])\s*(?P<units>{name}(?:[、,]{name})*)(?=\s*\|?\s*(?:{time})\s*\|?\s*$)")


CELL_BAR = regexes.compile(r"\s*\|\s*")
_DEADLINE_COLUMN = regexes.compile(r"时间|时限|进度|期限|时间节点")
_CO_COLUMN = regexes.compile(r"配合|协办|参与|协同|协助")
_UNIT_COLUMN = regexes.compile(r"(?:单位|部门|主体)$")


def column_role(cell: str, lex: Lexicons) -> str:
    """The column a table header cell names: lead (牵头单位), co (配合单位), units
    (责任单位), time (完成时限, 时间进度) or text (序号, 工作任务, …)."""
    name = regex.sub(r"\s+", "", cell)
    if len(name) > 12:
        return "text"
    if "牵头" in name:
        return "lead"
    if _CO_COLUMN.search(name):
        return "co"
    if any(k in name for k in lex.tag_keywords) or _UNIT_COLUMN.search(name):
        return "units"
    if any(k in name for k in lex.deadline_labels) or _DEADLINE_COLUMN.search(name):
        return "time"
    return "text"


def column_table_cells(text: str, paragraphs, lex: Lexicons, barred: list | None = None) -> dict[int, list[Tag]]:
    """The unit and time cells of the rows of tables whose cells are kept apart (`|`, one row
    a line: HTML, Word and PDF tables), by paragraph seq. A header row naming a unit column
    (牵头单位, 配合单位, 责任单位) starts a table; a second header row under merged cells
    (`责任单位` over `牵头`|`配合`) refines it; each following line with as many cells is a
    row, until a line without cells. `barred`: per paragraph, None if it has no cell bar."""
    out: dict[int, list[Tag]] = {}
    roles: list[str] | None = None
    for i, para in enumerate(paragraphs):
        cells = table_cells(text, para.start, para.end) if barred is None or barred[i] is not None else []
        if len(cells) < 2:
            roles = None
            continue
        named = [column_role(text[a:b], lex) for a, b in cells]
        if roles is not None and len(cells) == len(roles):
            if not text[cells[0][0]:cells[0][1]].isdigit() and _is_subheader(named, roles):
                roles = [n if n != "text" else r for n, r in zip(named, roles, strict=True)]
                continue
            out[para.seq] = [Tag(text=text[a:b], start=a, end=b, source="table", role=role)
                             for (a, b), role in zip(cells, roles, strict=True) if role != "text" and b > a]
            continue
        roles = named if any(r in ("lead", "co", "units") for r in named) else None
    return out


def _is_subheader(named: list[str], roles: list[str]) -> bool:
    """`牵头`|`配合` under a merged `责任单位`: role words where the header names units."""
    return any(n in ("lead", "co") and r in ("units", "lead", "co") for n, r in zip(named, roles, strict=True))


def table_cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The (start, end) of each `|`-separated cell of a line, spaces trimmed; [] without bars."""
    if text.find("|", start, end) < 0:
        return []  # most lines: a scan in C, no regex set up
    bars = list(CELL_BAR.finditer(text, start, end))
    if not bars:
        return []
    starts = [start] + [bar.end() for bar in bars]
    ends = [bar.start() for bar in bars] + [end]
    cells = [_trim(text, a, b) for a, b in zip(starts, ends, strict=True)]
    # A leading or trailing bar (`| a | b |`) opens or closes the row; it makes no cell.
    if cells and cells[0][0] == cells[0][1] and bars[0].start() == start:
        cells = cells[1:]
    if cells and cells[-1][0] == cells[-1][1] and bars[-1].end() == end:
        cells = cells[:-1]
    return cells


def row_units(text: str, start: int, end: int, pattern: regex.Pattern) -> list[Tag]:
    """The unit cell of a paragraph that is a numbered task-table row, as a tag."""
    if not ROW_NUMBER.match(text, start, end):
        return []
    m = pattern.search(text, start, end)
    return [Tag(text=m["units"], start=m.start("units"), end=m.end("units"), source="table")] if m else []


def find_closings(text: str, start: int, end: int, pattern: regex.Pattern, tags: list[Tag]) -> list[Tag]:
    """Bracketed task closings in text[start:end] that no labelled tag already covers."""
    out = []
    for m in pattern.finditer(text, start, end):
        if not any(t.start < m.end() and m.start() < t.end for t in tags):
            out.append(Tag(text=m.group(), start=m.start(), end=m.end()))
    return out


def find_tags(text: str, start: int, end: int, pattern: regex.Pattern) -> list[Tag]:
    """Responsibility tags inside text[start:end], brackets possibly mismatched."""
    tags = []
    pos = start
    while True:
        m = pattern.search(text, pos, end)
        if not m:
            return tags
        if m.group("open"):
            depth, i = 0, m.end()
            stop = end
            while i < end:
                ch = text[i]
                if ch in TAG_OPENERS:
                    depth += 1
                elif ch in TAG_CLOSERS:
                    if depth == 0:
                        stop = i + 1
                        break
                    depth -= 1
                i += 1
            tag_start = m.start()
        else:
            tag_start, stop = m.start(), end
            while tag_start < m.end() and text[tag_start].isspace():
                tag_start += 1
        tags.append(Tag(text=text[tag_start:stop], start=tag_start, end=stop,
                        source="tag" if m.group("open") else "label"))
        pos = stop


def _minus(start: int, end: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, pos = [], start
    for a, b in sorted(holes):
        if a > pos:
            out.append((pos, min(a, end)))
        pos = max(pos, b)
    if pos < end:
        out.append((pos, end))
    return out


def _split(text, start, end, delimiters: regex.Pattern, protected, base):
    """Yield (start, end) pieces of text[start:end] cut at unprotected delimiters."""
    pos = start
    for m in delimiters.finditer(text, start, end):
        i = m.start()
        if not protected[i - base]:
            yield pos, i
            pos = i + 1
    if pos < end:
        yield pos, end


def _trim(text: str, start: int, end: int, *rest):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end, *rest)
