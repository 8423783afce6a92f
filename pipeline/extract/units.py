"""Responsible units (SPEC §7): `Segmented` → `Responsibility` rows.

Takes the responsibility tags that segment cut out of the clauses
(`〔责任单位:县教育局、财政局…〕`, `[责任单位:市教育局;市委编办…,各县(区)]`,
`牵头单位:…;配合单位:…`) and gives one row per (task, unit):

- the list is split at `、` `,` `;` outside brackets, so `各县(市、区)` and
  `市委组织部(市委人才办)` stay whole;
- the lead follows, in order: a `牵头单位` label; the document's own convention
  (`排名第一的为牵头单位` → the first listed; `分号前为牵头单位` → every unit before the
  first `;`), which `下同` carries to later tags; else the first listed (`default_first`);
- a tag covers the clauses of its task item: the innermost section it closes, from
  the section's start or the previous tag in that section (`scope`);
- `unit` expands a short name with the document's level (`财政局` → `县财政局`,
  `统战部` after `县委宣传部` → `县委统战部`), `unit_type` comes from
  lexicons/unit_types.yaml.

Clauses no tag covers are read for a unit as their subject (`市教育局设立…`,
`县教育局要将…`, `各县(市、区)要落实…`): `role = actor`, `source = text`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import core, regexes
from ..lexicons import Lexicons, UnitLexicon, UnitType, alternation, derived
from ..model import Clause, Clauses, Metadata, Responsibility, Segmented, Tag
from ..segment import protected_mask

_SPACES = regexes.compile(r"\s+")
_SUBJECT_LEAD = regexes.compile(r"^(?:由|请|并|同时)")
MAX_KNOWN_NAMES = 50_000  # unit names whose type is remembered in a process
_QUANTIFIER = regexes.compile(r"^(?:各|有关|所有)")
LABEL = regexes.compile(r"(?P<label>牵头单位|牵头部门|责任单位|责任部门|配合单位|配合部门|协办单位|参与单位)\s*[:：]")
LEAD_FIRST = regexes.compile(
    r"(?:(?:排名第一|排在第一位|排第一|排名首位|第一个)的?|列第一位者?的?)(?:单位|部门)?为牵头(?:单位|部门)")
LEAD_SEMICOLON = regexes.compile(r"分号前的?(?:单位|部门)?为牵头(?:单位|部门)")
LEAD_COMMA = regexes.compile(r"逗号前的?(?:单位|部门)?为牵头(?:单位|部门)")
CONVENTION = regexes.compile(
    rf"[。;,(]?\s*(?:{LEAD_FIRST.pattern}|{LEAD_SEMICOLON.pattern}|{LEAD_COMMA.pattern})"
    r"\s*(?:,\s*其余[^,;()]{0,16})?\s*(?:[,,]?\s*下同)?\s*\)?")
# 市文广新局市民政局: two names whose 、 was lost (a level prefix right after a unit's end).
GLUED_UNITS = regexes.compile(r"(?<=\p{Han}{2}[局厅办])(?=[市县省]\p{Han}{2,}[局厅办委会])")
# 各区市县政府及园区管委会: two units joined by 及 (never 人力资源和社会保障局: only after a unit's end)
UNIT_AND_UNIT = regexes.compile(r"(?<=[府会局委办厅部院])及(?=\p{Han}{3})")
# `以下均需各县(市、区)人民政府…组织实施,不再列出`: units stated once for every later task.
STANDING = regexes.compile(
    r"[。;,]?\s*以下(?:各项)?(?:任务|工作)?均(?:需|须|由)?(?P<units>[^。]{2,80}?)"
    r"(?:组织实施|负责落实|负责实施|负责|落实)\s*,?\s*不再(?:一一)?列出\s*")
# `广安经开区、川渝高竹新区管委会`: a suffix written once after the last of several places.
SHARED_SUFFIX = regexes.compile(r"(?:管委会|人民政府|党委)$")
PLACE_END = regexes.compile(r"(?:新区|园区|开发区|经开区|高新区|景区)$")
SEPARATORS = "、,;"
# 各区、县级市: 各 over a list of levels is one collective entry (SPEC §7).
EACH_LEVEL = regexes.compile(r"各(?:市|县|区|乡|镇|旗|乡镇|街道)(?:、(?:县级市|市|县|区|乡|镇|旗|乡镇|街道))*")
LEVEL_START = regexes.compile(r"(?:县级市|市|县|区|乡|镇|旗|乡镇|街道)")
OPENERS, CLOSERS = "(〔[【", ")〕]】"
ACTOR_CUE = regexes.compile(
    r"要|应|须|需|负责|牵头|会同|设立|将|统筹|组织|建立|加强|成立|安排|落实|制定|做好|积极|切实|适时|对|在|分别|依法|"
    r"按照|结合|加大|探索|推进|指导|定期|优先|鼓励|支持")
MAX_ACTOR = 24  # characters a unit named as a subject may take
COLLECTIVE_START = regexes.compile(r"各|有关|所有")


# The label a table column gives its units: a 牵头 column leads (lead_rule = label); in a
# table with one 责任单位 column the first listed leads, as in a tag.
COLUMN_LABELS = {"lead": "牵头单位", "co": "配合单位", "units": "责任单位"}


@dataclass(frozen=True)
class _Listed:
    raw: str
    separator: str  # the separator before it ('' for the first)
    label: str | None  # 牵头单位 / 配合单位 / 责任单位 …


def extract_responsibilities(doc: Segmented, lex: Lexicons) -> tuple[Responsibility, ...]:
    text = doc.structured.normalized.text
    meta = doc.structured.metadata
    rows: list[Responsibility] = []
    convention: str | None = None  # carried by 下同
    standing: list[_Listed] = []  # units a stated convention adds to every later task
    open_items: dict[str, list[int]] = {}  # section path → clause seqs since the last tag there
    covered: set[int] = set()
    clauses = doc.clauses
    tagged = clauses.tags
    for seq, path in enumerate(clauses.section_path):
        open_items.setdefault(path, []).append(seq)
        if seq not in tagged:
            continue  # most clauses: a record is made only for those with tags
        clause = clauses[seq]
        for tag in _merged_label_lines(clause.tags):
            if tag.role is not None:
                continue  # the cells of a table row: one task below
            listed, found, carries, stated = parse_tag(tag.text, lex)
            standing = stated or standing
            known = {item.raw for item in listed}
            listed = listed + [item for item in standing if item.raw not in known]
            rule_for_tag = found or convention
            if carries and found:
                convention = found
            scope = tuple(open_items.pop(clause.section_path, [clause.seq]))
            if tag.source == "table":  # a row's unit cell covers its row, not the header before
                scope = _row(doc, clause, scope)
            covered.update(scope)
            rows.extend(_rows(clause, scope, listed, rule_for_tag, meta, lex.units, tag.source))
        cells = [t for t in clause.tags if t.role in COLUMN_LABELS]
        if cells:
            listed = [_Listed(raw, separator, COLUMN_LABELS[cell.role])
                      for cell in cells for raw, separator in split_units(cell.text)]
            scope = _row(doc, clause, open_items.pop(clause.section_path, [clause.seq]))
            covered.update(scope)
            rows.extend(_rows(clause, scope, listed, convention, meta, lex.units, "table"))
    untagged = [seq for seq, heading in enumerate(clauses.is_heading) if not heading and seq not in covered]
    for clause, names in _subjects(text, clauses, untagged, lex.units):
        rows.extend(_actors(clause, names, meta, lex.units))
    return tuple(rows)


def _row(doc: Segmented, clause: Clause, scope) -> tuple[int, ...]:
    """The clauses of `scope` in the table row (paragraph) of `clause`."""
    paragraph_seq = doc.clauses.paragraph_seq
    return tuple(s for s in scope if paragraph_seq[s] == clause.paragraph_seq)


def lead_and_units(rows: list[tuple[str, str]]) -> tuple[str | None, list[str]]:
    """(lead, all units) of one task from its (unit, role) rows in rank order: one lead per
    target, the first (SPEC §7) — with several (逗号前为牵头单位) the first named is the one a
    dashboard groups by — else the first unit; every unit once."""
    lead = next((unit for unit, role in rows if role == "lead"), rows[0][0] if rows else None)
    return lead, list(dict.fromkeys(unit for unit, _ in rows))


def _merged_label_lines(tags: tuple[Tag, ...]) -> tuple[Tag, ...]:
    """`牵头部门:市教育局` then `配合部门:市财政局…` closing one task are one tag (SPEC §7)."""
    if len(tags) > 1 and all(LABEL.match(t.text.lstrip("".join(OPENERS) + " ")) for t in tags):
        return (Tag(text=";".join(t.text for t in tags), start=tags[0].start, end=tags[-1].end, source="label"),)
    return tags


def parse_tag(tag: str, lex: Lexicons | None = None) -> tuple[list[_Listed], str | None, bool, list[_Listed]]:
    """(units in order, lead convention stated in the tag, whether 下同 carries it on,
    units that the tag says every later task has: `以下均需…组织实施,不再列出`).
    With the lexicons, a closing without labels (`省商务厅牵头,合肥海关配合`) is read by its
    verbs, and a deadline part (`完成时限:2024年10月`) names no unit."""
    body = tag.strip()
    if body and body[0] in OPENERS:
        body = body[1:]
    if body and body[-1] in CLOSERS:
        body = body[:-1]
    convention = None
    conv = CONVENTION.search(body)
    carries = False
    if conv:
        convention = ("before_semicolon" if LEAD_SEMICOLON.search(conv.group())
                      else "before_comma" if LEAD_COMMA.search(conv.group()) else "first_listed")
        carries = "下同" in conv.group()
        body = body[: conv.start()] + body[conv.end():]
    standing: list[_Listed] = []
    stated = STANDING.search(body)
    if stated:
        standing = [_Listed(raw, separator, None) for raw, separator in split_units(stated["units"])]
        body = body[: stated.start()] + body[stated.end():]
    listed: list[_Listed] = []
    labels = list(LABEL.finditer(body))
    if not labels and lex is not None:
        closing = _closing_units(body, lex)
        if closing:
            return closing, convention, carries, standing
    segments = [(m.group("label"), m.end(), labels[i + 1].start() if i + 1 < len(labels) else len(body))
                for i, m in enumerate(labels)] or [(None, 0, len(body))]
    deadline_labels = lex.deadline_labels if lex is not None else ()
    for label, start, end in segments:
        for raw, separator in split_units(body[start:end]):
            if not (deadline_labels and raw.startswith(deadline_labels)):  # 完成时限:… names no unit
                listed.append(_Listed(raw, separator, label))
    return listed, convention, carries, standing


def _closing_units(body: str, lex: Lexicons) -> list[_Listed]:
    """`市政务服务和数据管理局牵头,各区政府、市政府各部门负责落实,完成时限:2024年12月` →
    the lead (牵头), then the others; `A、B分别负责落实` → A, B (no stated lead)."""
    verbs = derived(lex, "closing_verbs", lambda: regexes.compile(rf"(?:{alternation(lex.closing_verbs)})$"))
    listed: list[_Listed] = []
    pending: list[tuple[str, str]] = []  # `A、B,C负责落实`: units before a comma share the next verb
    for part, separator in split_units_at(body, ",;"):
        if part.startswith(lex.deadline_labels):
            continue
        verb = verbs.search(part)
        if verb is None:
            pending.extend((raw, sep or separator) for raw, sep in split_units(part))
            continue
        label = "牵头单位" if "牵头" in verb.group() else "配合单位" if verb.group() in ("配合", "参与") else None
        names = _CLOSING_TAIL.sub("", part[: verb.start()].removeprefix("由"))
        found = pending + [(raw, sep or (separator if pending else "")) for raw, sep in split_units(names)]
        listed.extend(_Listed(raw, sep, label) for raw, sep in found)
        pending = []
    return [] if pending else listed


# What closes a list without naming a unit: 市财政局等有关部门和单位, …按职责分工负责.
_LIST_TAIL = regexes.compile(
    r"(?:等(?:有关|相关|其他)?(?:部门|单位)(?:和单位)?|(?:按职责分工|按照职责分工|各司其职)?负责|(?:具体)?(?:组织)?实施)$")
_CLOSING_TAIL = regexes.compile(r"(?:等(?:有关)?(?:部门|单位)?|分别|共同|(?:依|按|按照|根据)(?:各自)?职责(?:分工)?)+$")


def split_units_at(text: str, separators: str) -> list[tuple[str, str]]:
    """(piece, separator before it) of `text` cut at `separators` outside brackets."""
    mask = protected_mask(text, 0, len(text))
    out, start, separator = [], 0, ""
    for i, ch in enumerate(text):
        if ch in separators and not mask[i]:
            _append(out, text[start:i], separator)
            start, separator = i + 1, ch
    _append(out, text[start:], separator)
    return out


def split_units(text: str) -> list[tuple[str, str]]:
    """(unit, separator before it) for a unit list; never splits inside brackets, nor a
    collective entry whose 各 runs over a list of levels (`各区、县级市`, `各市、县教育行政部门`)."""
    out: list[tuple[str, str]] = []
    for raw, separator in split_units_at(text, SEPARATORS):
        if separator == "、" and out and EACH_LEVEL.fullmatch(out[-1][0]) and LEVEL_START.match(raw):
            out[-1] = (f"{out[-1][0]}、{raw}", out[-1][1])
            continue
        parts = [p for joined in UNIT_AND_UNIT.split(raw) for p in GLUED_UNITS.split(joined)]
        out.extend((part, separator if i == 0 else "、") for i, part in enumerate(parts))
    return out


def _append(out: list, raw: str, separator: str) -> None:
    raw = _SPACES.sub("", raw).strip("。.,:;、")
    named = _LIST_TAIL.sub("", raw)  # 市财政局等有关部门和单位 → 市财政局
    raw = named if len(named) >= 2 else raw
    if raw:
        out.append((raw, separator))


def _rows(clause: Clause, scope, listed: list[_Listed], convention, meta: Metadata,
          units: UnitLexicon, source: str) -> list[Responsibility]:
    if any(item.label and item.label.startswith("牵头") for item in listed):
        rule = "label"
        leads = [item.label.startswith("牵头") if item.label else False for item in listed]
    elif convention == "before_semicolon" and any(item.separator == ";" for item in listed):
        rule = "before_semicolon"
        first_semicolon = next(i for i, item in enumerate(listed) if item.separator == ";")
        leads = [i < first_semicolon for i in range(len(listed))]
    elif convention == "before_comma" and any(item.separator == "," for item in listed):
        rule = "before_comma"
        first_comma = next(i for i, item in enumerate(listed) if item.separator == ",")
        leads = [i < first_comma for i in range(len(listed))]
    elif convention == "first_listed":
        rule, leads = "first_listed", [i == 0 for i in range(len(listed))]
    else:
        rule, leads = "default_first", [i == 0 for i in range(len(listed))]
    out = []
    previous_prefix: str | None = None
    for rank, (item, lead) in enumerate(zip(listed, leads, strict=True), 1):
        name = item.raw
        following = listed[rank] if rank < len(listed) else None
        if following is not None and following.separator == "、" and PLACE_END.search(name):
            suffix = SHARED_SUFFIX.search(following.raw)
            name += suffix.group() if suffix else ""
        unit, unit_type, level, previous_prefix = normalize_unit(name, meta, units, previous_prefix)
        out.append(Responsibility(
            clause_seq=clause.seq, section_path=clause.section_path, scope=tuple(scope), unit_raw=item.raw,
            unit=unit, unit_type=unit_type.id if unit_type else None, unit_level=level,
            role="lead" if lead else "co", rank=rank, lead_rule=rule, source=source,
        ))
    return out


def _doc_prefix(meta: Metadata) -> str | None:
    """县 for a county notice, 市 for a city's (Taicang is a county-level 市)."""
    if not meta.region:
        return None
    for suffix in ("县", "市", "区", "旗", "州", "盟"):
        if meta.region.endswith(suffix):
            return suffix
    return "省" if meta.admin_level == "province" else None


# A department written without its level and of no listed type: a short name (文广新局).
SHORT_DEPARTMENT = regexes.compile(r"\p{Han}{1,6}(?:局|委|办|联|会)")
ALIAS = regexes.compile(r"(?P<primary>\p{Han}{2,}?[部局委办厅])\((?P<alias>\p{Han}{2,12}[办部局委室])\)")
_NAME_BRACKETS = str.maketrans("〔〕[]【】", "()()()")
LEVEL_OF_PREFIX = {"县": "county", "区": "county", "旗": "county", "市": "prefectural", "州": "prefectural",
                   "盟": "prefectural", "省": "provincial", "自治区": "provincial"}
BELOW = {"province": "prefectural", "prefecture": "county", "county": "township"}


def normalize_unit(raw: str, meta: Metadata, units: UnitLexicon,
                   previous_prefix: str | None = None) -> tuple[str, UnitType | None, str | None, str | None]:
    """(expanded unit, type, level, prefix to carry to the next unit of a list). It reads
    only the notice's region and level of the metadata: the answer for a name is kept
    (the same few dozen units lead every task of a notice)."""
    known = derived(units, "normalized", dict)
    key = (raw, previous_prefix, meta.region, meta.admin_level)
    if key not in known:
        if len(known) > MAX_KNOWN_NAMES:
            known.clear()
        known[key] = _normalized(raw, meta, units, previous_prefix)
    return known[key]


def _normalized(raw: str, meta: Metadata, units: UnitLexicon,
                previous_prefix: str | None) -> tuple[str, UnitType | None, str | None, str | None]:
    name = raw.translate(_NAME_BRACKETS)  # 市〔州〕人民政府 → 市(州)人民政府: one spelling per unit
    alias = ALIAS.fullmatch(name)
    if alias:  # 市委组织部(市人才办): one office under two names; the first is the unit (CODEBOOKS N4)
        name = alias["primary"]
    prefix = next((p for p in units.prefixes if name.startswith(p) and len(name) > len(p) + 1), None)
    rest = name[len(prefix):] if prefix else name
    unit_type = _type_of(rest, units) or _type_of(name, units)
    doc_prefix = _doc_prefix(meta)
    doc_level = {"county": "county", "prefecture": "prefectural", "province": "provincial"}.get(meta.admin_level)
    if unit_type is not None and unit_type.system == "lower_gov":
        return name, unit_type, BELOW.get(meta.admin_level or "", None), previous_prefix
    if unit_type is not None and unit_type.system in ("collective", "school", "company"):
        return name, unit_type, doc_level, previous_prefix
    carry = previous_prefix
    if COLLECTIVE_START.match(name):
        return name, unit_type, BELOW.get(meta.admin_level or "", None), previous_prefix  # 各县(区)党委…
    if prefix is None and unit_type is not None and unit_type.prefix == "youth":
        if name == "团委" and doc_prefix:
            name = f"团{doc_prefix}委"  # 团委 in a county's task list is the county's league committee
    elif prefix is None and unit_type is not None:
        if unit_type.prefix == "party" and previous_prefix and previous_prefix.endswith("委"):
            name = previous_prefix + name  # 县委宣传部、统战部 → 县委统战部
        elif unit_type.prefix == "party" and doc_prefix:
            name = f"{doc_prefix}委{name}"
        elif unit_type.prefix in ("gov", "party") and doc_prefix:
            name = doc_prefix + name
    elif prefix is not None:
        carry = prefix if prefix.endswith("委") else previous_prefix
    elif unit_type is None and doc_prefix and SHORT_DEPARTMENT.fullmatch(name) \
            and not (meta.region and name.startswith(meta.region[:2])):  # 广安银保监分局 names its place
        name = doc_prefix + name  # 文广新局, 文联 in a city's task list: the city's bureau, federation
    level = _level(name, doc_prefix, doc_level)
    return name, unit_type, level, carry


def _type_of(name: str, units: UnitLexicon) -> UnitType | None:
    known = derived(units, "type_of", dict)  # the same few dozen names recur in every notice
    if name not in known:
        if len(known) > MAX_KNOWN_NAMES:
            known.clear()
        known[name] = next((t for t, span in zip(units.types, units.patterns.firsts(name), strict=True) if span), None)
    return known[name]


def _level(name: str, doc_prefix: str | None, doc_level: str | None) -> str | None:
    for prefix, level in LEVEL_OF_PREFIX.items():
        if name.startswith(prefix) or name.startswith("团" + prefix) or name.startswith("中共" + prefix):
            # A 市 in a county-level city's notice is that city (Taicang): the document's level.
            return doc_level if prefix == doc_prefix else level
    return doc_level


def _subjects(text: str, clauses: Clauses, seqs: list[int], units: UnitLexicon) -> list[tuple[Clause, list[str]]]:
    """Of the clauses `seqs`, those whose subject is a list of units, with the units: one call
    to the compiled core for the notice (core/src/actors.rs), or `_subject_units` clause by
    clause."""
    if not core.enabled():
        return [(c, names) for c in map(clauses.__getitem__, seqs) if (names := _subject_units(text, c, units))]
    actors = derived(units, "actors", lambda: core.Actors(list(units.prefixes)))
    starts, ends = clauses.start, clauses.end
    found, names = actors.find(text, [starts[s] for s in seqs], [ends[s] for s in seqs], units.patterns,
                               _any_type(units))
    return [(clauses[seqs[i]], n) for i, n in zip(found, names, strict=True)]


def _subject_units(text: str, clause: Clause, units: UnitLexicon) -> list[str]:
    """Units named as the subject of a clause: `市教育局设立…`, `教育局、学校分别成立…` (none: [])."""
    cue = ACTOR_CUE.search(text, clause.start, min(clause.end, clause.start + MAX_ACTOR + 2))
    if cue is None or cue.start() == clause.start:
        return []
    subject = text[clause.start:cue.start()]
    subject = _SUBJECT_LEAD.sub("", subject)
    names = [raw for raw, _ in split_units(subject)]
    if not names or not all(_is_unit(n, units) for n in names):
        return []
    return names


def _actors(clause: Clause, names: list[str], meta: Metadata, units: UnitLexicon) -> list[Responsibility]:
    """The rows of the units a clause names as its subject (role `actor`)."""
    out = []
    previous_prefix = None
    for rank, raw in enumerate(names, 1):
        unit, unit_type, level, previous_prefix = normalize_unit(raw, meta, units, previous_prefix)
        out.append(Responsibility(
            clause_seq=clause.seq, section_path=clause.section_path, scope=(clause.seq,), unit_raw=raw,
            unit=unit, unit_type=unit_type.id if unit_type else None, unit_level=level, role="actor",
            rank=rank, lead_rule=None, source="text",
        ))
    return out


def _any_type(units: UnitLexicon):
    """One pattern of every unit type: most subjects name no unit, and one search says so."""
    return derived(units, "any_type", lambda: core.Pattern("|".join(f"(?:{t.pattern})" for t in units.types)))


def _is_unit(name: str, units: UnitLexicon) -> bool:
    """The whole name is a unit: optional 各/有关 and level prefix, then a unit type's name
    (for a collective entry over several levels, its last level's)."""
    if EACH_LEVEL.match(name) and "、" in name:  # 各市、县教育行政部门
        name = "各" + name.rsplit("、", 1)[1]
    rest = _QUANTIFIER.sub("", name)
    prefix = next((p for p in units.prefixes if rest.startswith(p) and len(rest) > len(p) + 1), "")
    rest = rest[len(prefix):]
    any_type = _any_type(units)
    if not (any_type.search(rest) or any_type.search(name)):  # most subjects name no unit: 2 searches
        return False
    for in_rest, in_name in zip(units.patterns.firsts(rest), units.patterns.firsts(name), strict=True):
        span = in_rest or in_name
        if span and (span[1] == len(rest) or span[1] == len(name)) and span[0] <= 2:
            return True
    return False
