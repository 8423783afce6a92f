"""Stage 2, clean: `Decoded` → `Cleaned`.

Drops site chrome (metadata tables, widgets, footers: patterns in
lexicons/structure.yaml), drops a body that the page published twice, rejoins
paragraphs that PDF extraction broke (`实\\n\\n施县域…`), removes bullet marks and folds
whitespace around Chinese text (`101 个` → `101个`, `到 2025 年` → `到2025年`).

The result keeps one paragraph per line and a map from every cleaned character back
to its offset in the decoded text, so provenance survives cleaning. Removed chrome
lines are kept as the document header: metadata (发文字号, 发布日期 …) is read there.
"""

from __future__ import annotations

import html
import sys
from array import array
from functools import cache
from typing import NamedTuple

import regex

from . import core, regexes
from .errors import InputError
from .extract.numbers import parse_number
from .lexicons import Lexicons, alternation, derived
from .model import Cleaned, Decoded
from .normalize import fold_punctuation, t2s
from .segment import table_headers

_SPACES = regexes.compile(r"\s+")
_ANY_SPACE = regexes.compile(r"[\s\x1c-\x1f]")  # what regex \s or str.isspace() call whitespace
# Terminal punctuation: a line ending in one of these is a complete paragraph.
_TERMINAL = set("。！？!?；;：:…」』”\"）)】]〕》>")
# A line ending in these is certainly continued on the next line.
_CONTINUED = set(",，、(（[［【〔《“‘-—")
_BULLET = regexes.compile(r"[-–•·●▪■◆*]\s*(?=\S)")  # used with .match(pos): anchored there
_WIDE = r"\p{Han}\p{Ps}\p{Pe}\u3000-\u303f\uff00-\uffef“”‘’、。，：；！？"
# Whitespace with Chinese text on at least one side is an artefact (PDF, web layout).
_SPACE_NEAR_WIDE = regexes.compile(rf"(?<=[{_WIDE}])[^\S\n]+|[^\S\n]+(?=[{_WIDE}])")
# Text noise inside words (SPEC §6.1): a pinyin gloss with a tone mark, a [繁体:X] insert.
_TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_NOISE = regexes.compile(
    rf"[(（](?=[a-zü{_TONE}\s]*[{_TONE}])[a-zü{_TONE}\s]{{1,20}}[)）]"
    r"|[\[［【]繁[体體][:：][^\]］】]{1,4}[\]］】]")
_DATE_END = regexes.compile(r"(\d{1,2}日|\d{8}|印发|[〇零一二三四五六七八九十]日)$")
MIN_BROKEN_LINE = 40  # a shorter line without final punctuation is a title, not a broken paragraph
MAX_LABEL_VALUE = 60
_LABEL_VALUE_END = "。；;"  # a line ending so is a sentence, not the value of a label above it
MAX_ISLAND = 10
# What ends a line (the breaks of str.splitlines): a raw text is cut into lines at each.
LINE_BREAKS = "\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"
_LINE = regexes.compile(f"[^{regex.escape(LINE_BREAKS)}]+")
GLUED_TABLE = "属性"  # a line holding it may hold an indicator table glued into it
MIN_REPEAT_CHARS = 30  # a repeated run this long is a second copy, not a heading used twice
# A line this long holds several paragraphs: a notice stored without line breaks.
# (The longest real paragraph of the seeds and the development notices is ~760 chars.)
LONG_LINE = 1000
PROSE_LINE = 15  # a line of this many Chinese characters reads as prose even without punctuation
MENU_PENALTY = 3  # what a short menu item or link costs the stretch of page it sits in
_SENTENCE_MARKS = "。；;，,：:"
_SENTENCE_MARK = regexes.compile(f"[{_SENTENCE_MARKS}]")
MAX_CHROME_SHARE = 0.6  # more of the text than this dropped as chrome is an error, not a document
MIN_JUDGED_HAN = 500  # a shorter text may be mostly a page's furniture around a short notice
_NOT_HAN = regexes.compile(r"[^\p{Han}]+")  # counted by runs: 3× faster than counting each Chinese character
MAX_RUN_IN_TITLE = 30  # `一、总体要求(一)指导思想。`: a heading title before the next marker
# Where a paragraph may start inside a long line: after a sentence, a closed tag, a colon.
_PARAGRAPH_BEFORE = set("。;!?)】〕:")
_MARKER_NUMBER = regexes.compile(r"[一二三四五六七八九十百零〇\d]+|[①-⑳]")
_SIGNATURE_DATE = regexes.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日")
_NOT_IN_ORG = regexes.compile(r"[,。;:!?()《》“”]")
MAX_ORG = 40
_CITED_TITLE = regexes.compile(r"《(?P<t>[^《》]{4,100})》")
_PUNCT_RUN = regexes.compile(r"[,。;:!?]")
_EMPTY_CELL_CHARS = "-—–－"  # a line of only these is a table cell with no value
_EMPTY_CELL = regexes.compile(f"[{_EMPTY_CELL_CHARS}]+")
# A row number in a flattened table, before the row's text.
_ROW_START = regexes.compile(r"(?<![0-9.])(?P<n>[0-9]{1,3})(?![0-9.])\s*\|?\s*(?=\p{Han})")
MAX_ROWS = 500
# 序号|主要指标|2025年|属性 before row 1: the header of an indicator table (its cells may be glued).
_INDICATOR_HEADER = regexes.compile(r"序号\s*\|?\s*[^。;,|]{0,12}?指标[^。;,]{0,40}?属性\s*\|?\s*(?=1)")
MAX_INDICATOR_ROW = 120  # characters from a row's number to its attribute cell
# Character references left in text copied out of web pages (`“走教&quot;`, double-escaped
# `1920&amp;times;1080`, `&nbsp;`): resolved before anything else reads the text.
_ENTITY = regexes.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
MAX_ESCAPE_DEPTH = 3


class _Line(NamedTuple):
    start: int  # raw offsets of the trimmed content
    end: int
    simp: str  # trimmed content in Simplified script, for matching
    cut: bool = False  # a paragraph cut out of a long line: never rejoined with its neighbours


def clean(decoded: Decoded, lex: Lexicons) -> Cleaned:
    raw, back = resolve_entities(decoded.text)
    simp = t2s(raw)
    html = decoded.media_type == "html"
    layout = decoded.media_type in ("pdf", "docx")  # the reader found the paragraphs (layout, Word's own)
    if core.enabled():
        header, (text, simplified, offsets) = _core_body(raw, simp, html, layout, lex)
    else:
        header, paragraphs = _python_body(raw, simp, html, layout, lex)
        text, simplified, offsets = _assemble_lines(raw, simp, paragraphs)
    if back is not None:
        offsets = array("q", [back[i] for i in offsets])
    return Cleaned(decoded=decoded, text=text, raw_offsets=offsets, header=header, simplified=simplified)


def _python_body(raw: str, simp: str, html: bool, layout: bool,
                 lex: Lexicons) -> tuple[tuple[str, ...], list[list[_Line]]]:
    """The chrome lines (the header) and the body's paragraphs, line by line: the reference
    of `_core_body`."""
    lines = _python_lines(raw, simp, lex)
    kinds = _python_kinds(lines, lex)
    han = _han_counts(simp, lines)
    if html:
        kinds = _outside_main_block(lines, kinds, han)
    _check_loss(sum(han), sum(n for n, k in zip(han, kinds, strict=True) if k == "body"))
    header = tuple(raw[ln.start:ln.end] for ln, k in zip(lines, kinds, strict=True) if k == "chrome")
    body = _drop_repeated_run([ln for ln, k in zip(lines, kinds, strict=True) if k == "body"])
    return header, [[line] for line in body] if layout else _join_broken_lines(body, lex)


def _core_body(raw: str, simp: str, html: bool, layout: bool, lex: Lexicons) -> tuple[tuple[str, ...], tuple]:
    """`_python_body` and `_assemble_lines` in the compiled core, the lines as columns: the
    header, and the body text with its Simplified twin and raw offsets. A line that holds
    a whole notice or a glued table (rare) is cut by the Python rules first."""
    split = _core_lines(lex).split(raw, simp)
    starts, ends, kinds = split
    cut: list[bool] = []  # none is cut out of a longer line
    if any(kinds):
        lines = _lines_of(raw, simp, split, lex)
        starts, ends, cut = [ln.start for ln in lines], [ln.end for ln in lines], [ln.cut for ln in lines]
    chrome, total, kept, body_starts, body_ends, opens = _core_paragraphs(lex).paragraphs(
        simp, starts, ends, cut, _core_lines(lex).kinds(simp, starts, ends), core.han_counts(simp, starts, ends),
        html, layout)
    _check_loss(total, kept)
    return tuple(raw[starts[i]:ends[i]] for i in chrome), _assembled(raw, simp, body_starts, body_ends, opens)


def _core_paragraphs(lex: Lexicons):
    """The core's `Body`, with clean.py's characters, lengths and patterns (once per lexicons)."""
    return derived(lex, "core_paragraphs", lambda: core.Body(
        core.source(_heading_start(lex), one_line=True), core.source(_title_end(lex), one_line=True),
        core.source(_DATE_END, one_line=True), _EMPTY_CELL_CHARS, "".join(sorted(_TERMINAL)),
        "".join(sorted(_CONTINUED)), _SENTENCE_MARKS, MIN_BROKEN_LINE, MIN_REPEAT_CHARS, PROSE_LINE, MENU_PENALTY))


def _han_counts(simp: str, lines: list[_Line]) -> list[int]:
    """The Chinese characters each line holds (the reference of `core.han_counts`)."""
    return [len(ln.simp) - sum(map(len, _NOT_HAN.findall(ln.simp))) for ln in lines]


def resolve_entities(text: str) -> tuple[str, list[int] | None]:
    """`text` with its HTML character references resolved, and for every character of the
    result (and its end) the offset in `text` it came from; None when nothing changed.
    A reference escaped twice (`&amp;quot;`) is resolved twice; unknown names stay."""
    back: list[int] | None = None
    for _ in range(MAX_ESCAPE_DEPTH):
        if "&" not in text:
            break
        parts: list[str] = []
        here: list[int] = []
        pos = 0
        for m in _ENTITY.finditer(text):
            char = html.unescape(m.group())
            if char == m.group():
                continue
            parts.append(text[pos:m.start()] + char)
            here.extend(range(pos, m.start()))
            here.extend([m.start()] * len(char))
            pos = m.end()
        if not parts:
            break
        parts.append(text[pos:])
        here.extend(range(pos, len(text) + 1))
        text = "".join(parts)
        back = here if back is None else [back[i] for i in here]
    return text, back


def _outside_main_block(lines: list[_Line], kinds: list[str], han: list[int]) -> list[str]:
    """A saved web page's menus, link lists and footers are chrome: the notice is the one
    stretch of lines dense in prose. Each line scores its Chinese characters when it reads
    as prose (a sentence mark, or a long line), minus a penalty when it is a short label
    or link; the stretch with the highest total is the body (the maximum-sum run)."""
    best, best_span, total, start = 0, (0, len(lines)), 0, 0
    for i, (line, kind, n) in enumerate(zip(lines, kinds, han, strict=True)):
        prose = kind == "body" and (n >= PROSE_LINE or _SENTENCE_MARK.search(line.simp))
        total += n if prose else -max(MENU_PENALTY, n)
        if total <= 0:
            total, start = 0, i + 1
        elif total > best:
            best, best_span = total, (start, i + 1)
    a, b = best_span
    return [k if a <= i < b else "chrome" for i, k in enumerate(kinds)]


def _check_loss(total: int, kept: int) -> None:
    """No silent loss (SPEC §9): a file whose text would mostly be dropped as chrome is an
    error, never a near-empty document. `total`, `kept`: the Chinese characters of all lines
    and of the body lines."""
    if total and not kept:
        raise InputError("no body text: every line is page chrome (lexicons/structure.yaml chrome_lines)",
                         "lost_text")
    if total >= MIN_JUDGED_HAN and kept < total * (1 - MAX_CHROME_SHARE):
        raise InputError(f"cleaning would keep {kept} of {total} Chinese characters: lines matching the page "
                         "chrome patterns of lexicons/structure.yaml hold most of the text", "lost_text")


def _python_lines(raw: str, simp: str, lex: Lexicons) -> list[_Line]:
    """The lines of the text, trimmed (`_trimmed`); a line that holds a whole notice or a
    glued table is cut into its paragraphs or rows (the reference of `_lines_of`)."""
    out = []
    for m in _LINE.finditer(raw):
        if m.end() - m.start() >= LONG_LINE or GLUED_TABLE in simp[m.start():m.end()]:
            out += _whole_line(raw, simp, m.start(), m.end(), lex)
        elif line := _trimmed(raw, simp, *m.span()):
            out.append(line)
    return out


def _lines_of(raw: str, simp: str, split: tuple[list, list, list], lex: Lexicons) -> list[_Line]:
    """The lines the core's `Lines.split` gave (start, end, kind columns): it cuts and trims
    them, and hands back whole the two kinds the Python rules cut (`_whole_line`)."""
    out = []
    for start, end, kind in zip(*split, strict=True):
        if kind:
            out += _whole_line(raw, simp, start, end, lex)
        else:
            out.append(_Line(start, end, simp[start:end]))
    return out


def _whole_line(raw: str, simp: str, start: int, end: int, lex: Lexicons) -> list[_Line]:
    """The line raw[start:end] cut into paragraphs if it holds a whole notice, into rows if
    it holds an indicator table, else trimmed."""
    if end - start >= LONG_LINE:
        found = [_trimmed(raw, simp, a, b, cut=True) for a, b in _break_long_line(simp, start, end, lex)]
    elif rows := indicator_rows(fold_punctuation(simp[start:end]), lex):  # a table glued into a line
        bounds = sorted(c for c in set(rows) if 0 < c < end - start)
        found = [_trimmed(raw, simp, start + a, start + b, cut=True)
                 for a, b in zip([0, *bounds], [*bounds, end - start], strict=True)]
    else:
        found = [_trimmed(raw, simp, start, end)]
    return [ln for ln in found if ln is not None]


def _core_lines(lex: Lexicons):
    return derived(lex, "core_lines", lambda: core.Lines(
        LINE_BREAKS, core.source(_BULLET), LONG_LINE, GLUED_TABLE, core.source(lex.chrome_label, one_line=True),
        core.source(lex.chrome_line, one_line=True), MAX_LABEL_VALUE, MAX_ISLAND, _LABEL_VALUE_END))


def _trimmed(raw: str, simp: str, start: int, end: int, cut: bool = False) -> _Line | None:
    """The line raw[start:end] without surrounding spaces and a leading bullet mark."""
    while start < end and raw[start].isspace():
        start += 1
    while end > start and raw[end - 1].isspace():
        end -= 1
    bullet = _BULLET.match(raw, start, end)
    if bullet and end > bullet.end():
        start = bullet.end()
    return _Line(start, end, simp[start:end], cut) if start < end else None


MIN_RUN_ON_TITLE, MAX_RUN_ON_TITLE = 4, 24  # characters of a heading title run on into its sentence
_TITLE_STOP = regexes.compile(r"[\p{P}\s]")


def _break_long_line(simp: str, start: int, end: int, lex: Lexicons) -> list[tuple[int, int]]:
    """Paragraph spans of a line that holds a whole notice (no line breaks were stored).

    Breaks before each numbered heading that follows a sentence, a closed tag or a
    heading title (`一、总体要求(一)指导思想。`), when its number continues its family's
    sequence (一 → 二, (一) → (二), which may run on under a new parent, or restarts at one), so
    `第(一)项` or a `2.` inside a sentence stay where they are; around a signature block
    (`…组织实施。广安市人民政府办公室2021年6月3日`) and the plan title printed after it;
    after a standard section title run on into its first sentence (`二、发展目标2020年,…`);
    and before the patterns of `line_breaks` in lexicons/structure.yaml.
    """
    text = fold_punctuation(simp[start:end])
    cuts: set[int] = {m.start() for m in lex.line_breaks.finditer(text)}
    cuts.update(table_rows(text, lex))
    cuts.update(indicator_rows(text, lex))
    for m in _SIGNATURE_DATE.finditer(text):
        org_start = _signing_org(text, m.start(), lex)
        if org_start is None:
            continue
        cuts.update((org_start, m.end()))
        cited = _CITED_TITLE.search(text, 0, m.start())
        if cited and text.startswith(cited["t"], m.end()):
            cuts.add(m.end() + len(cited["t"]))
    last: dict[int, int] = {}  # heading rank → last number seen
    previous_heading = -MAX_RUN_IN_TITLE - 1  # end of the last heading marker accepted
    for m in _heading_start(lex).finditer(text):
        p = m.start()
        after_sentence = p > 0 and text[p - 1] in _PARAGRAPH_BEFORE
        run_in = 0 < p - previous_heading <= MAX_RUN_IN_TITLE and not _PUNCT_RUN.search(text, previous_heading, p)
        if not (after_sentence or run_in):
            continue
        family = next((f for f in lex.headings if f.pattern.match(text, p)), None)
        number = _marker_number(m.group())
        if family is None or number is None:
            continue
        if number != 1 and last.get(family.rank) != number - 1:
            continue
        last[family.rank] = number
        cuts.add(p)
        previous_heading = m.end()
        if title := lex.section_titles.match(text, m.end()):  # 二、发展目标2020年,出台…: the title ends
            cuts.add(title.end())
        elif body := _run_on_body(text, m.end(), lex):  # 四、加强创业载体建设各地要按照…
            cuts.add(body)
    bounds = sorted(c for c in cuts if 0 < c < len(text))
    return [(start + a, start + b) for a, b in zip([0, *bounds], [*bounds, len(text)], strict=True)]


def _run_on_body(text: str, title_start: int, lex: Lexicons) -> int | None:
    """Where a heading's title, run on into its first sentence, ends: before a sentence
    opener of the lexicon found after at least MIN_RUN_ON_TITLE characters of a title that
    has no punctuation yet (a numbered paragraph that opens with its subject keeps it)."""
    end = min(len(text), title_start + MAX_RUN_ON_TITLE)
    stop = _TITLE_STOP.search(text, title_start, end)
    end = stop.start() if stop else end
    m = lex.heading_body_opener.search(text, title_start + MIN_RUN_ON_TITLE, end + 12)
    return m.start() if m and m.start() < end else None


def table_rows(text: str, lex: Lexicons) -> list[int]:
    """Where the rows of a task table flattened into one line start (`序号工作任务责任单位时间
    进度1探索…市财政局2017年6月底前出台实施意见2动员…`): after a header whose cells name a
    responsibility column, each row number that continues the sequence and is followed by
    the row's text (not by a measure word or a date: `3所`, `6月`)."""
    rows: list[int] = []
    for header in table_headers(text, lex):
        pos, number = header.end(), 1
        while number <= MAX_ROWS:
            row = _row_start(text, pos, number, lex)
            if row is None:
                break
            rows.append(row)
            pos, number = row + len(str(number)) + 1, number + 1
    return rows


def indicator_rows(text: str, lex: Lexicons) -> list[int]:
    """Cuts that take an indicator table flattened into one line apart
    (`序号主要指标2025年属性1基本养老保险参保率≥95%约束性2…`): each row between its number
    and its attribute cell (lexicons/structure.yaml indicator_attributes) is a line of its own,
    the number and the attribute a line each. The row numbers must follow each other, which
    also tells row 11 from the 65 it is glued to (`1165周岁及以上老年人健康管理率`)."""
    if not lex.indicator_attributes or "属性" not in text:
        return []
    attribute = derived(lex, "indicator_attribute", lambda: regexes.compile(alternation(lex.indicator_attributes)))
    cuts: list[int] = []
    for header in _INDICATOR_HEADER.finditer(text):
        pos, number, rows = header.end(), 1, [header.start()]
        while number <= MAX_ROWS:
            pos = _SPACES.match(text, pos).end() if _SPACES.match(text, pos) else pos
            label = str(number)
            cell = attribute.search(text, pos + len(label), pos + len(label) + MAX_INDICATOR_ROW)
            if not text.startswith(label, pos) or cell is None:
                break
            rows += [pos, pos + len(label), cell.start(), cell.end()]
            pos, number = cell.end(), number + 1
            if text.startswith("|", pos):
                pos += 1
        if number > 1:
            cuts += rows
    return cuts


def _row_start(text: str, pos: int, number: int, lex: Lexicons) -> int | None:
    for m in _ROW_START.finditer(text, pos):
        if int(m["n"]) != number:
            continue
        follows = m.end()
        if text[follows] in "年月日号" or lex.targets.unit_pattern.match(text, follows):
            continue  # 3所学校, 6月底: a quantity or a date inside the row before
        return m.start()
    return None


def _signing_org(text: str, date_start: int, lex: Lexicons) -> int | None:
    """Where the organisation signing at `date_start` begins (`…组织实施。广安市人民政府办公室
    2021年6月3日`, `…安排表广安市人民政府2016年12月28日`): the run before the date ends in an
    organisation suffix and starts after a sentence or at the first region name in it."""
    window = max(0, date_start - MAX_ORG)
    stops = list(_NOT_IN_ORG.finditer(text, window, date_start))
    start = stops[-1].end() if stops else window
    org = text[start:date_start]
    if len(org) < 4 or not org.endswith(lex.org_suffixes):
        return None
    if stops and stops[-1].group() in "。!)":
        return start
    names = [a for a, _, _ in lex.region_names.finditer(org)]
    return start + names[0] if names else None


def _marker_number(marker: str) -> int | None:
    m = _MARKER_NUMBER.search(marker)
    if m is None:
        return None
    if "①" <= m.group() <= "⑳":
        return ord(m.group()) - ord("①") + 1
    try:
        return int(parse_number(m.group()))
    except (TypeError, ValueError):
        return None


def _python_kinds(lines: list[_Line], lex: Lexicons) -> list[str]:
    """Each line's kind, body or chrome (the reference of the core's `Lines.kinds`)."""
    kinds = []
    expect_value = False
    for line in lines:
        text = line.simp
        label = lex.chrome_label.match(text)
        if label:
            kinds.append("chrome")
            expect_value = not label.group("value").strip()
            continue
        if lex.chrome_line.search(text):
            kinds.append("chrome")
        elif expect_value and len(text) <= MAX_LABEL_VALUE and text[-1] not in _LABEL_VALUE_END:
            kinds.append("chrome")  # the value of a label that stood alone on its line
        else:
            kinds.append("body")
        expect_value = False
    # A short line stranded between chrome lines is chrome too (widget captions).
    for i, line in enumerate(lines):
        if kinds[i] == "body" and len(line.simp) <= MAX_ISLAND and 0 < i < len(lines) - 1:
            if kinds[i - 1] == "chrome" and kinds[i + 1] == "chrome":
                kinds[i] = "chrome"
    return kinds


def _key(line: _Line) -> str:
    return _SPACES.sub("", line.simp)


def _drop_repeated_run(body: list[_Line]) -> list[_Line]:
    """Drop every run of paragraphs (≥30 chars in all) that repeats an earlier run verbatim.

    Web pages sometimes carry the whole notice twice (print view + screen view), or
    repeat its title line. Short repeats (a heading such as `(一)加强领导` used in two
    sections) stay.
    """
    keys = [_key(ln) for ln in body]
    first: dict[str, int] = {}
    keep = [True] * len(body)
    j = 0
    while j < len(body):
        i = first.get(keys[j])
        if i is not None:
            k = 0
            while j + k < len(body) and i + k < j and keys[i + k] == keys[j + k]:
                k += 1
            if sum(len(keys[j + n]) for n in range(k)) >= MIN_REPEAT_CHARS:
                for n in range(k):
                    keep[j + n] = False
                j += k
                continue
        first.setdefault(keys[j], j)
        j += 1
    return [ln for ln, kept in zip(body, keep, strict=True) if kept]


def _heading_start(lex: Lexicons) -> regex.Pattern:
    return derived(lex, "heading_start",
                   lambda: regexes.compile("|".join(f"(?:{h.pattern.pattern})" for h in lex.headings)))


def _title_end(lex: Lexicons) -> regex.Pattern:
    """A title's last word (…方案, …年)): a short line ending so is a title, not a broken one."""
    return derived(lex, "title_end",
                   lambda: regexes.compile(f"(?:{'|'.join(map(regex.escape, lex.doc_types))}|年\\)|年）)$"))


def _join_broken_lines(body: list[_Line], lex: Lexicons) -> list[list[_Line]]:
    """Group lines into paragraphs, rejoining lines that PDF extraction split."""
    heading, title_end = _heading_start(lex), _title_end(lex)
    paragraphs: list[list[_Line]] = []
    for line in body:
        if paragraphs and _continues(paragraphs[-1][-1], line, heading, title_end):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return paragraphs


def _continues(prev: _Line, line: _Line, heading: regex.Pattern, title_end: regex.Pattern) -> bool:
    last = prev.simp[-1]
    if prev.cut or line.cut or "|" in prev.simp or "|" in line.simp:  # table rows stay rows
        return False
    if last in _TERMINAL or heading.match(line.simp) or _DATE_END.search(prev.simp):
        return False
    if last in _CONTINUED:
        return not _EMPTY_CELL.fullmatch(prev.simp)  # a lone `——` is a table cell with no value
    if "。" in prev.simp:  # a sentence ended inside the line, and the next one runs on
        return True
    return len(prev.simp) >= MIN_BROKEN_LINE and not title_end.search(prev.simp)


def fold_spaces(text: str) -> str:
    """The whitespace rule of `clean` on a single line: `1 万` → `1万`, `到 2025 年` → `到2025年`."""
    return regex.sub(r"[^\S\n]{2,}", " ", _SPACE_NEAR_WIDE.sub("", text))


def _assembled(raw: str, simp: str, starts: list[int], ends: list[int], opens: list[bool]) -> tuple[str, str, array]:
    """The lines raw[starts[i]:ends[i]] put together by the core (`opens[i]`: the line opens
    a paragraph)."""
    text, simplified, packed = _assembler().assemble(raw, simp, starts, ends, opens)
    offsets = array("q")
    offsets.frombytes(packed)
    if sys.byteorder != "little":
        offsets.byteswap()  # the core writes them little-endian
    return text, simplified, offsets


@cache
def _assembler():
    return core.Assembler(core.source(_SPACE_NEAR_WIDE), core.source(_NOISE))


def _assemble_lines(raw: str, simp: str, paragraphs: list[list[_Line]]) -> tuple[str, str, array]:
    """The body text, its Simplified twin (the t2s of the raw text, character for character:
    normalize need not convert again) and the raw offset of each character, line by line
    (the reference of the core's `Assembler`)."""
    chars: list[str] = []
    simplified: list[str] = []
    offsets = array("q")  # 8 bytes a character; a list of ints took ~40 (a 20 MB notice: 1 GB)
    for p, lines in enumerate(paragraphs):
        if p:
            chars.append("\n")
            simplified.append("\n")
            offsets.append(paragraphs[p - 1][-1].end)
        for line in lines:
            segment = raw[line.start:line.end]
            if not _ANY_SPACE.search(segment) and not _NOISE.search(segment):  # most lines: kept as they are
                chars.append(segment)
                simplified.append(simp[line.start:line.end])
                offsets.extend(range(line.start, line.end))
                continue
            # Map each kept character of the line to its raw offset, dropping the
            # whitespace that sits next to Chinese text and folding other runs to one space,
            # and the glosses inserted inside words (萬(wàn)人, 园[繁体:園]区).
            drop = {i for m in _SPACE_NEAR_WIDE.finditer(segment) for i in range(*m.span())}
            drop |= {i for m in _NOISE.finditer(segment) for i in range(*m.span())}
            prev_space = False
            for i, ch in enumerate(segment):
                if i in drop:
                    continue
                if ch.isspace():
                    if prev_space:
                        continue
                    ch, prev_space = " ", True
                    simplified.append(ch)
                else:
                    prev_space = False
                    simplified.append(simp[line.start + i])
                chars.append(ch)
                offsets.append(line.start + i)
    offsets.append(paragraphs[-1][-1].end if paragraphs else 0)
    return "".join(chars), "".join(simplified), offsets
