"""Stage 4, structure: `Normalized` → `Structured` (metadata + heading tree).

Metadata (SPEC §5.1) comes from the document's own text: the removed page header
(索引号 tables, `发文字号:` labels), the masthead, the cover letter (`现将《…》印发给你们`)
and the signature block (issuers over a date). Region, province, prefecture, county and
GB/T 2260 code come from lexicons/regions.tsv.

The heading tree follows the marker families of lexicons/structure.yaml
(`一、` › `(一)` › `1.` › `(1)` …, `第一章`/`第一条`); a heading may be inline, in which
case its first sentence is the heading and the rest of the paragraph is body.
"""

from __future__ import annotations

from datetime import date

import regex

from . import regexes
from .core import PatternList
from .extract.numbers import DIGITS, parse_number
from .lexicons import Lexicons, Region, derived
from .model import Heading, Metadata, Normalized, Paragraph, Structured

MAX_HEADING_CHARS = 60  # a longer first sentence makes a numbered paragraph, not a heading
MAX_ORG_LINE = 40
MAX_REGION_SCAN = 3000  # the masthead and cover letter are at the top
SECTION_SEPARATOR = " > "

_YEAR_DIGIT = DIGITS | {"O": 0}  # 二O二四: a Latin O typed for 〇 (full-width Ｏ is folded to it)
_CN_Y = "[〇零○O一二三四五六七八九]"
_DATE = regexes.compile(
    rf"""(?P<y>(?:19|20)[0-9]{{2}})\s*(?:年\s*(?P<m>[0-9]{{1,2}})\s*月\s*(?P<d>[0-9]{{1,2}})\s*日
         |[-/.](?P<m2>[0-9]{{1,2}})[-/.](?P<d2>[0-9]{{1,2}})(?![0-9])
         |(?P<m3>(?:0[1-9]|1[0-2]))(?P<d3>(?:0[1-9]|[12][0-9]|3[01]))(?![0-9]))
       |(?P<cy>{_CN_Y}{{4}})年(?P<cm>十[一二]?|[一二三四五六七八九])月(?P<cd>三十[一]?|二?十[一二三四五六七八九]?|[一二三四五六七八九])日""",
    regex.X,
)
_DOC_NUMBER = regexes.compile(
    r"(?P<org>\p{Han}{1,12}?)\s*[〔\[(【]\s*(?P<year>(?:19|20)[0-9]{2})\s*[〕\])】]\s*(?P<num>[0-9]{1,5})\s*号"
)
_PERIOD = regexes.compile(r"(?P<a>(?:19|20)[0-9]{2})\s*年?\s*[-—–~至到]+\s*(?P<b>(?:19|20)[0-9]{2})\s*年")
# A single year in a title (2024年…工作要点); not an edition (2025年版) or a date (2024年3月).
_YEAR = regexes.compile(r"(?<![0-9])(?P<y>(?:19|20)[0-9]{2})\s*年(?!\s*[-—–~至到]?\s*[0-9]{1,2}\s*月|\s*版|\s*修订)")
_DEADLINE = regexes.compile(r"到\s*(?P<y>(?:19|20)[0-9]{2})\s*年")
_COVER_TITLE = regexes.compile(r"《(?P<t>[^《》\n]{4,120})》")
# The cover letter of a forwarding notice (not `住房城乡建设部印发《…》` in a background paragraph).
_COVER_CUE = regexes.compile(r"印发给你们|发给你们|现将|已经.{0,20}(?:同意|通过)|(?:现|特)予(?:印发|转发)")
_YEAR_ONLY = regexes.compile(r"\s*(?:(?:19|20)[0-9]{2}\s*年)?\s*")  # 泉政办〔2017〕106号 2017年
_BRACKET_LABEL = regexes.compile(r"[\[【](?P<label>\p{Han}{2,8})[\]】](?P<value>[^\[【]*)")
_NOTICE_TITLE = regexes.compile(r"关于|印发|转发")
# `22 …`, `II浙江省…`: list or page numbers
_LIST_NUMBER = regexes.compile(r"(?:[0-9]{1,3}|[IVX]{1,4})?\s*(?=\p{Han})|")
_FIVE_YEAR_PLAN = regexes.compile(r"十(?P<n>[一二三四五六七八九])五")
_SENTENCE_END = regexes.compile(r"[。!?;！？；]")
_PUNCT = regexes.compile(r"[,，。:：;；!！?？]")


def structure(norm: Normalized, lex: Lexicons) -> Structured:
    paragraphs = _paragraphs(norm.text, lex, _styled_headings(norm))
    metadata = _metadata(norm, paragraphs, lex)
    return Structured(normalized=norm, metadata=metadata, paragraphs=paragraphs)


# --- headings -------------------------------------------------------------------

def find_heading(text: str, start: int, end: int, lex: Lexicons) -> Heading | None:
    """The heading that opens the paragraph text[start:end], if any."""
    return _headings(text, [(start, end)], lex)[0]


def _headings(text: str, lines: list[tuple[int, int]], lex: Lexicons) -> list[Heading | None]:
    """The heading that opens each paragraph text[start:end], if any: the first family whose
    marker starts it (one call to the compiled core for a notice's lines)."""
    markers = derived(lex, "heading_markers", lambda: PatternList([f.pattern.pattern for f in lex.headings]))
    found = markers.first_at_each(text, [a for a, _ in lines], [b for _, b in lines])
    return [None if at is None else _heading(text, start, end, lex.headings[at[0]].rank, at[1])
            for (start, end), at in zip(lines, found, strict=True)]


def _heading(text: str, start: int, end: int, rank: int, marker_end: int) -> Heading:
    """The heading whose marker is text[start:marker_end], in the paragraph text[start:end]."""
    marker = text[start:marker_end]
    sentence_end = _SENTENCE_END.search(text, marker_end, end)
    stop = sentence_end.start() if sentence_end else end
    if stop - start > MAX_HEADING_CHARS or stop == marker_end:
        # A numbered paragraph: the marker names the section, the text is body.
        clause_end = _PUNCT.search(text, marker_end, min(end, marker_end + 30))
        label_end = clause_end.start() if clause_end else min(end, marker_end + 20)
        title = text[start:label_end].strip()
        return Heading(marker=marker, rank=rank, title=title, start=start, end=marker_end)
    return Heading(marker=marker, rank=rank, title=text[start:stop].strip(), start=start, end=stop)


# A Word heading style's outline level 0 ranks with `一、`, level 1 with `(一)` …
STYLED_RANK = 2
MIN_TITLE_CHARS = 10


def _styled_headings(norm: Normalized) -> dict[int, int]:
    """Offset in the text → outline level, for the paragraphs Word styles as headings."""
    decoded = norm.cleaned.decoded
    if not decoded.headings:
        return {}
    levels = dict(decoded.headings)
    raw = norm.cleaned.raw_offsets
    starts = [0] + [i + 1 for i, ch in enumerate(norm.text) if ch == "\n"]
    return {start: levels[raw[start]] for start in starts if start < len(raw) and raw[start] in levels}


def _title_like(line: str, lex: Lexicons) -> bool:
    """A notice's own title styled as a heading stays the title: long, ending in 方案, 通知 …
    (a heading `保障措施` is short)."""
    return len(line.strip()) >= MIN_TITLE_CHARS and line.strip().endswith(lex.doc_types)


def _paragraphs(text: str, lex: Lexicons, styled: dict[int, int] | None = None) -> tuple[Paragraph, ...]:
    """Paragraphs with the heading tree: a marker (`一、`) makes a heading; a paragraph a
    Word heading style marks is one too when it has no marker (`总体要求`)."""
    out: list[Paragraph] = []
    stack: list[Heading] = []
    lines = text.split("\n")
    spans, pos = [], 0
    for line in lines:
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    path = ""
    for seq, (line, (start, end), heading) in enumerate(zip(lines, spans, _headings(text, spans, lex), strict=True)):
        if heading is None and styled and start in styled and line.strip() and not _title_like(line, lex):
            heading = Heading(marker="", rank=STYLED_RANK + styled[start], title=line.strip(), start=start, end=end)
        if heading is not None:
            while stack and stack[-1].rank >= heading.rank:
                stack.pop()
            stack.append(heading)
            path = SECTION_SEPARATOR.join([h.title for h in stack])
        out.append(Paragraph.of(seq, start, end, heading, path, len(stack)))
    return tuple(out)


# --- metadata -------------------------------------------------------------------

def parse_date(text: str) -> date | None:
    """First date in `text`: 2024年10月21日, 2024-10-21, 2024/10/21, 20241021, 二〇二四年十月二十一日."""
    for m in _DATE.finditer(text):
        try:
            if m.group("cy"):
                y = int("".join(str(_YEAR_DIGIT[c]) for c in m.group("cy")))
                return date(y, int(parse_number(m.group("cm"))), int(parse_number(m.group("cd"))))
            y = int(m.group("y"))
            mo = m.group("m") or m.group("m2") or m.group("m3")
            d = m.group("d") or m.group("d2") or m.group("d3")
            return date(y, int(mo), int(d))
        except (TypeError, ValueError):  # NumberError is a ValueError
            continue
    return None


def normalize_doc_number(text: str) -> str | None:
    m = _DOC_NUMBER.search(text)
    return f"{m['org']}〔{m['year']}〕{int(m['num'])}号" if m else None


def _header_fields(header: tuple[str, ...], lex: Lexicons) -> dict[str, str]:
    """label → value from the removed page header (label: value, label | value tables)."""
    fields: dict[str, str] = {}
    pending: str | None = None

    def put(label: str, value: str) -> None:
        label = regex.sub(r"\s+", "", label).rstrip(":")
        value = value.strip().strip("|").strip()
        if value and label not in fields:
            fields[label] = value

    for line in header:
        bracketed = list(_BRACKET_LABEL.finditer(line))  # [成文日期]2025-05-21----[发文字号]…
        if bracketed:
            for m in bracketed:
                put(m["label"], m["value"].strip("- "))
            continue
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[-1] == "":
            parts.pop()
        labelled = [lex.chrome_label.match(p) for p in parts]
        if len(parts) > 1 and not all(labelled):
            for i in range(0, len(parts) - 1, 2):  # a | label | value | label | value | table
                put(parts[i], parts[i + 1])
            pending = None
            continue
        if all(labelled):
            for m in labelled:
                put(m["label"], m["value"])
            last = labelled[-1]
            pending = regex.sub(r"\s+", "", last["label"]) if not last["value"].strip() else None
            continue
        if pending:
            put(pending, line)
        pending = None
    return fields


def _field(fields: dict[str, str], lex: Lexicons, key: str) -> str | None:
    for label in lex.meta_labels.get(key, ()):
        if fields.get(label):
            return fields[label]
    return None


def _org_suffix_patterns(lex: Lexicons) -> tuple[regex.Pattern, regex.Pattern, regex.Pattern]:
    strong = [s for s in lex.org_suffixes if len(s) >= 2 or s in ("局", "厅", "院", "部")]
    return (regexes.compile(f"(?:{'|'.join(map(regex.escape, sorted(strong, key=len, reverse=True)))})"),
            regexes.compile(f"(?:{'|'.join(map(regex.escape, lex.org_suffixes))})$"),
            regexes.compile(f"^(?:{'|'.join(map(regex.escape, lex.org_suffixes))})"))


def split_orgs(line: str, lex: Lexicons) -> list[str]:
    """中共广元市委办公室广元市人民政府办公室 → [中共广元市委办公室, 广元市人民政府办公室]."""
    line = regex.sub(r"\s+", " ", line).strip()
    if " " in line:
        return [org for part in line.split(" ") for org in split_orgs(part, lex)]
    ends, any_suffix, starts_with_suffix = derived(lex, "org_suffix_patterns", lambda: _org_suffix_patterns(lex))
    for m in ends.finditer(line):
        left, right = line[: m.end()], line[m.end():]
        if len(left) >= 3 and len(right) >= 4 and any_suffix.search(right) and not starts_with_suffix.match(right):
            return [left, *split_orgs(right, lex)]
    return [line] if line else []


def _is_org_line(line: str, lex: Lexicons) -> bool:
    if not line or len(line) > MAX_ORG_LINE or _PUNCT.search(line):
        return False
    return any(line.endswith(s) for s in lex.org_suffixes)


def _front(paragraphs: tuple[Paragraph, ...]) -> tuple[Paragraph, ...]:
    """Paragraphs before the first heading: masthead, cover letter, signature, title."""
    for i, p in enumerate(paragraphs):
        if p.heading is not None:
            return paragraphs[:i]
    return paragraphs[:20]


def _metadata(norm: Normalized, paragraphs: tuple[Paragraph, ...], lex: Lexicons) -> Metadata:
    text = norm.text
    fields = _header_fields(norm.header, lex)
    front = _front(paragraphs)
    lines = [text[p.start:p.end] for p in front]

    doc_number = normalize_doc_number(_field(fields, lex, "doc_number") or "")
    if doc_number is None:
        for line in lines:
            line = line.strip("()[]〔〕【】 ")  # (黔府办函〔2016〕269号) under the title
            m = _DOC_NUMBER.match(line)
            if m and (_YEAR_ONLY.fullmatch(line, m.end()) or line[m.end():].startswith("关于")):
                doc_number = normalize_doc_number(line)
                break
    if doc_number is None:  # a page's attachment link: 广安府办规〔2022〕8号关于印发…的通知.pdf
        for line in norm.header:
            m = _DOC_NUMBER.search(line)
            if m and line[m.end():].startswith("关于"):
                doc_number = normalize_doc_number(m.group())
                break

    issuers, issue_date = _signature(lines, lex)
    if issue_date is None:
        # The signature block closes the notice when no cover letter opens it: look at the
        # end of the body (before any annexes) rather than at its top.
        tail = [text[p.start:p.end] for p in paragraphs[len(front):]]
        issuers, issue_date = _signature(tail[::-1], lex, reverse=True)
    if not issuers and _field(fields, lex, "issuer"):
        issuers = split_orgs(_field(fields, lex, "issuer"), lex)
    if issue_date is None:
        issue_date = parse_date(_field(fields, lex, "issue_date") or "")
    publish_date = parse_date(_field(fields, lex, "publish_date") or "")

    title, title_original, is_title = _title(norm, front, fields, lex)
    region = _region(issuers, title or "", text[: front[-1].end] if front else text[:500], lex)
    # A first line taken as a stand-in title says nothing about the plan period.
    start_year, end_year = _plan_years(title if is_title else "", text, paragraphs, lex)
    region_fields = _region_fields(region, lex)
    return Metadata(
        title=title, title_original=title_original, doc_number=doc_number, issuers=tuple(issuers),
        issue_date=issue_date, publish_date=publish_date, **region_fields,
        plan_start_year=start_year, plan_end_year=end_year,
    )


def _signature(lines: list[str], lex: Lexicons, reverse: bool = False) -> tuple[list[str], date | None]:
    """(issuers, date) of the first signature block in `lines`: a date line, with the
    organisation lines just above it (`reverse`: the lines run from the end upwards)."""
    bare: date | None = None  # a date line with no organisation above it (a page's own date)
    step = 1 if reverse else -1  # towards the lines above the date
    for i, line in enumerate(lines):
        m = _signature_date(line)
        if m is None:
            continue
        before = line[: m.start()].strip()
        names = split_orgs(before, lex) if before and _is_org_line(before, lex) else []
        j = i + step
        while 0 <= j < len(lines) and abs(i - j) <= 3 and _is_org_line(lines[j], lex):
            names = split_orgs(lines[j], lex) + names
            j += step
        if names:
            return names, parse_date(m.group())
        bare = bare or parse_date(m.group())
    return [], bare


def _signature_date(line: str) -> regex.Match | None:
    """A date that ends a signature line (`…办公室 2024年2月18日`, `20241021`)."""
    line = line.rstrip(")〕】 ")  # (2017年08月14日)
    for m in _DATE.finditer(line):
        if m.end() == len(line) or line[m.end():].strip() in ("", "印发", "发布"):
            if len(line) <= MAX_ORG_LINE + 20 and not _PUNCT.search(line):
                return m
    return None


def _title(norm: Normalized, front, fields, lex: Lexicons) -> tuple[str | None, str | None, bool]:
    """(title, title in the original script, whether it is a real title, not a first line).

    In order: the notice's own title as printed in the masthead (`…关于印发《X》的通知`);
    the page header's 标题; the plan title the cover letter cites (`现将《X》印发给你们`)
    when the notice's own title is not printed; the first line ending in a document type."""
    text, original = norm.text, norm.cleaned.text
    ends = tuple(lex.doc_types)
    for p in front:
        line = text[p.start:p.end]
        # `22 中共上海市委…`: a compiler's list number; `三政办发〔2024〕21号关于…`: the number
        start = p.start + _LIST_NUMBER.match(line).end()
        number = _DOC_NUMBER.match(text, start, p.end)
        if number and text.startswith("关于", number.end()):
            start = number.end()
        line = text[start:p.end]
        if _NOTICE_TITLE.search(line) and line.endswith(ends) and not _PUNCT.search(line) and len(line) <= 150:
            return line, original[start:p.end], True
    header_title = _field(fields, lex, "title")
    if header_title:
        idx = norm.header.index(next(h for h in norm.header if header_title in h))
        cut = regex.sub(r"^.*?号(?=关于)", "", header_title)
        pos = norm.header[idx].find(cut)
        return cut, norm.cleaned.header[idx][pos:pos + len(cut)] if pos >= 0 else cut, True
    for p in front:
        line = text[p.start:p.end]
        if _COVER_CUE.search(line):
            m = _COVER_TITLE.search(line)
            if m:
                s, e = p.start + m.start("t"), p.start + m.end("t")
                return text[s:e], original[s:e], True
    for p in front:
        line = text[p.start:p.end]
        if line.endswith(ends) or _PERIOD.search(line):
            start = p.start + _LIST_NUMBER.match(line).end()
            return text[start:p.end], original[start:p.end], True
    if front:
        p = front[0]
        return text[p.start:p.end][:100], original[p.start:p.end][:100], False
    return None, None, False


def _region(issuers: list[str], title: str, front_text: str, lex: Lexicons) -> Region | None:
    for source in (" ".join(issuers), title, front_text):
        found: list[Region] = []
        for _, end, name in lex.region_names.finditer(source[:MAX_REGION_SCAN]):
            found.extend(_named(lex.regions_by_name[name], name, source[end:end + 4]))
        if not found:
            continue
        if len({r.code for r in found}) > 1:
            found = [r for r in found if r.name in source] or found
            # 北京市 names the municipality (province level), not its 市辖区 also listed as 北京市.
            names = {(r.name, r.code) for r in found}
            found = [r for r in found if not (r.level == "prefecture" and (r.name, r.province_code) in names)]
        return min(found, key=lambda r: _region_fit(r, {f.code for f in found}))
    return None


# What follows a short name says which division it names: 文山州 is the prefecture, not
# 文山市; 东北振兴, 教育资源 name no division at all (振兴区, 资源县).
_AFTER_SHORT = (("州", "prefecture"), ("盟", "prefecture"), ("地区", "prefecture"), ("省", "province"),
                ("自治区", "province"), ("市", None), ("县", "county"), ("区", "county"), ("旗", "county"),
                ("人民政府", None), ("政府", None), ("党委", None), ("委", None))


def _named(regions: tuple[Region, ...], name: str, after: str) -> list[Region]:
    """The divisions `name` can stand for, given the characters written after it."""
    if any(r.name == name for r in regions):
        return [r for r in regions if r.name == name]
    for suffix, level in _AFTER_SHORT:
        if after.startswith(suffix):
            return [r for r in regions if level is None or r.level == level] or list(regions)
    return []


def _region_fit(region: Region, codes: set[str]) -> tuple[int, int, str]:
    """Sort key: the most specific division whose parents agree with the other names
    found (三江侗族自治县 + 柳州市 → the county; 朝阳区 + 北京市 → Beijing's)."""
    agree = (region.province_code in codes) + (region.prefecture_code in codes)
    depth = {"province": 0, "prefecture": 1, "county": 2}[region.level]
    return (-depth - 3 * (agree > 0), -agree, region.code)


def _region_fields(region: Region | None, lex: Lexicons) -> dict:
    if region is None:
        return {}
    name = lambda code: lex.regions[code].name if code in lex.regions else None  # noqa: E731
    return {
        "region": region.name,
        "province": name(region.province_code),
        "prefecture": name(region.prefecture_code) if region.level != "province" else None,
        "county": region.name if region.level == "county" else None,
        "admin_code": region.code,
        "admin_level": region.level,
    }


def _plan_years(title: str, text: str, paragraphs, lex: Lexicons) -> tuple[int | None, int | None]:
    m = _PERIOD.search(title)
    if m:
        return int(m["a"]), int(m["b"])
    m = _FIVE_YEAR_PLAN.search(title)
    if m:  # “十四五”规划: the 14th five-year plan, 2021-2025 (the 11th began in 2006)
        start = 2006 + (10 + DIGITS[m["n"]] - 11) * 5
        return start, start + 4
    m = _YEAR.search(title)
    if m:
        return int(m["y"]), int(m["y"])
    goal_years = [
        int(d["y"])
        for p in paragraphs
        if p.section_path and any(w in p.section_path.split(SECTION_SEPARATOR)[0] for w in lex.goal_sections)
        for d in _DEADLINE.finditer(text, p.start, p.end)
    ]
    return None, max(goal_years) if goal_years else None
