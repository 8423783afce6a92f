"""Targets (SPEC §6): `Segmented` → `Target` rows.

For every body clause: find quantities (quantities.py), drop those that are not
commitments (names and slogans, ordinals, qualifiers, distributors, dates, windows,
text inside quotes or 《》, past statistics), then give each the noun phrase it counts
(`indicator`), its level, period (`per`), window (`within`) and deadline with the
level of text it came from. Coverage words (`全覆盖`) are targets of their own; a
deadline phrase whose sentence holds no quantity is a `milestone`.

Indicator rules, in order (each a `rule` name on the row):
- `np_after`: the measure word is followed by a noun phrase (培养出40名|县级核心骨干教师);
  it ends at the first verb or stop word;
- `np_before`: otherwise the noun phrase before the number, after the last verb,
  comparator, period, window or deadline (培育|自治区级体育特色学校|10所); with a gapped
  comparator the phrase before the comparator (教师交流人数|不低于教师总数5%); after
  the last 的 when what follows it is a noun of three characters or more
  (…能力的|适龄残疾儿童入学率);
- in an enumeration (`、`) each item starts after the previous one, and a level written
  once carries on to the items that name none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import regex

from ..lexicons import Lexicons, TargetLexicon
from ..model import Clause, Extracted, Segmented, Target
from .deadlines import Deadline, bare_year, find_dates, find_deadlines, find_periods
from .quantities import Quantity, find_quantities

TARGET_KINDS = {"count", "percentage", "multiple", "area", "money", "length", "duration", "frequency"}
QUOTED = regex.compile(r"“[^”\n]{1,60}”|《[^》\n]{1,80}》|〈[^〉\n]{1,60}〉|\"[^\"\n]{1,60}\"|「[^」\n]{1,60}」")
MIN_AFTER_DE = 2  # after the last 的, at least this many characters make the noun phrase
GAP_COMPARATOR = 10  # a comparator this far before the number still governs it (不低于教师总数5%)


@dataclass(frozen=True)
class _Sentence:
    paragraph_seq: int
    sentence_seq: int
    clauses: tuple[Clause, ...]


def extract(doc: Segmented, lex: Lexicons) -> Extracted:
    """The extract stage: a segmented document with its targets."""
    return Extracted(segmented=doc, targets=extract_targets(doc, lex))


def extract_targets(doc: Segmented, lex: Lexicons) -> tuple[Target, ...]:
    tl = lex.targets
    text = doc.structured.normalized.text
    plan_end = doc.structured.metadata.plan_end_year
    body = _body_clauses(doc)
    sentences = _sentences(body)
    paragraph_deadlines = _paragraph_deadlines(text, sentences, tl)
    targets: list[Target] = []
    milestones: list[Target] = []
    for sentence in sentences:
        opener_deadlines: list[tuple[int, Deadline]] = []  # (clause index, deadline) opening a clause
        carried_periods, carried_windows = [], []  # from earlier clauses that hold no target
        sentence_targets: list[Target] = []
        # 2001年以来…累计投入65亿多元,新建校舍20万平方米: the whole sentence reports the past.
        past = any(tl.past_pattern.search(text, c.start, c.end) for c in sentence.clauses)
        for i, clause in enumerate(sentence.clauses):
            deadlines = find_deadlines(text, tl, clause.start, clause.end)
            opener = next((d for d in deadlines if _opens(text, clause.start, d.start)), None)
            if opener is None and i == 0:
                opener = bare_year(text, clause.start, clause.end + 1, tl)  # +1: the lookahead sees the comma
                if opener is not None:
                    deadlines = [opener, *deadlines]
            if opener is not None:
                opener_deadlines.append((i, opener))
            periods = find_periods(text, tl, clause.start, clause.end)
            clause_windows = _windows(text, clause, tl)
            found = [] if past else _clause_targets(text, clause, sentence, i, deadlines, clause_windows, tl)
            for target in found:
                target = _with_context(target, carried_periods + periods, carried_windows + clause_windows,
                                       deadlines, i, opener_deadlines,
                                       paragraph_deadlines.get(sentence.paragraph_seq), plan_end)
                sentence_targets.append(target)
            if not found:  # 每年, …: a period or window alone in its clause carries on
                carried_periods += periods
                carried_windows += clause_windows
        targets.extend(sentence_targets)
        milestones.extend(_milestones(text, sentence, opener_deadlines, sentence_targets, tl))
    out = sorted(targets + milestones, key=lambda t: (t.start, t.end, t.rule))
    return tuple(_with_indicator_id(t, text, body, lex) for t in out)


# --- where targets may be ------------------------------------------------------------

def _body_clauses(doc: Segmented) -> list[Clause]:
    """Clauses after the front matter (title, cover letter, signature) of the notice."""
    paragraphs = doc.structured.paragraphs
    first_heading = next((p.seq for p in paragraphs if p.heading is not None), None)
    if first_heading is None:
        return list(doc.clauses)
    return [c for c in doc.clauses if c.paragraph_seq >= first_heading]


def _sentences(clauses: list[Clause]) -> list[_Sentence]:
    out: list[_Sentence] = []
    for c in clauses:
        if out and out[-1].paragraph_seq == c.paragraph_seq and out[-1].sentence_seq == c.sentence_seq:
            out[-1] = _Sentence(c.paragraph_seq, c.sentence_seq, out[-1].clauses + (c,))
        else:
            out.append(_Sentence(c.paragraph_seq, c.sentence_seq, (c,)))
    return out


def _opens(text: str, clause_start: int, pos: int) -> bool:
    """Nothing but 力争/争取/确保 between the clause start and `pos`."""
    return regex.fullmatch(r"\s*(?:力争|争取|确保|计划|预计)?\s*", text[clause_start:pos]) is not None


def _paragraph_deadlines(text: str, sentences: list[_Sentence], tl: TargetLexicon) -> dict[int, Deadline]:
    """Deadline phrases that open a paragraph's first body sentence."""
    out: dict[int, Deadline] = {}
    for sentence in sentences:
        if sentence.paragraph_seq in out:
            continue
        first = next((c for c in sentence.clauses if not c.is_heading), None)
        if first is None:
            continue
        if any(s.paragraph_seq == sentence.paragraph_seq and s is not sentence and s.sentence_seq <
               sentence.sentence_seq and any(not c.is_heading for c in s.clauses) for s in sentences):
            continue
        found = find_deadlines(text, tl, first.start, first.end)
        opener = next((d for d in found if _opens(text, first.start, d.start)), None)
        opener = opener or bare_year(text, first.start, first.end + 1, tl)
        if opener is not None:
            out[sentence.paragraph_seq] = opener
    return out


def _excluded(text: str, clause: Clause, deadlines: list[Deadline], windows, tl: TargetLexicon) -> list[tuple]:
    spans = [(d.start, d.end) for d in deadlines]
    spans += [(w[0], w[2]) for w in windows]
    piece = text[clause.start:clause.end]
    spans += [(clause.start + d.start, clause.start + d.end) for d in find_dates(piece)]
    for pattern in (QUOTED, tl.names_pattern, *tl.not_targets):
        spans += [m.span() for m in pattern.finditer(text, clause.start, clause.end)]
    spans += [(p.start, p.end) for p in find_periods(text, tl, clause.start, clause.end)]
    return spans


def _windows(text: str, clause: Clause, tl: TargetLexicon) -> list[tuple[int, int, int, str]]:
    """(start, end, end of the duration, "5年") for each window phrase (5年内, 通过3~5年的努力)."""
    out = []
    for pattern in tl.windows:
        for m in pattern.finditer(text, clause.start, clause.end):
            if not any(a <= m.start("q") < b for a, b, _, _ in out):
                out.append((m.start("q"), m.end(), m.end("q"), regex.sub(r"\s+", "", m.group("q"))))
    return sorted(out)


# --- one clause ----------------------------------------------------------------------

def _clause_targets(text, clause, sentence, index, deadlines, windows, tl: TargetLexicon) -> list[Target]:
    excluded = _excluded(text, clause, deadlines, windows, tl)
    piece = text[clause.start:clause.end]
    quantities = [
        _shift(q, clause.start) for q in find_quantities(piece, tl)
        if not any(a <= q.start + clause.start < b or a < q.end + clause.start <= b for a, b in excluded)
    ]
    quantities = [q for q in quantities if q.kind in TARGET_KINDS or _is_coverage(text, q, clause, tl)]
    out: list[Target] = []
    previous_end = None
    previous_level: tuple[str, str] | None = None
    boundaries = _boundaries(text, clause, quantities, deadlines, windows, tl)
    for q in quantities:
        kind = "coverage" if _is_coverage(text, q, clause, tl) else q.kind
        comparator, gap_start = _comparator(text, clause, q, previous_end, tl)
        seg_start = clause.start if previous_end is None else _after_separator(text, previous_end)
        indicator, rule = _indicator(text, clause, q, seg_start, gap_start, boundaries, tl)
        if indicator is None:
            indicator = _next_clause_np(text, sentence, index, tl)
            rule = "np_next_clause" if indicator else rule
        if indicator is None and kind == "multiple" or (indicator and _is_base(text, q, indicator)):
            earlier = _previous_clause_np(text, sentence, index, tl)
            indicator, rule = (earlier, "np_previous_clause") if earlier else (indicator, rule)
        level = _level(indicator or "", tl)
        enumerated = previous_end is not None and text[previous_end:seg_start].strip() == "、"
        if level is None and enumerated and previous_level is not None:
            level = previous_level
        value, value_max, unit = q.base()
        if kind == "coverage":
            value, value_max, unit = 100.0, None, "%"
        out.append(Target(
            clause_seq=clause.seq, indicator=indicator, indicator_id=None, quantity_kind=kind,
            value=value, value_max=value_max, comparator=comparator, unit=unit, per=None, within=None,
            level=level[1] if level else None, level_text=level[0] if level else None,
            deadline_year=None, deadline_text=None, deadline_source="none",
            mention=text[q.start:q.end], start=q.start, end=q.end, rule=f"{q.rule}+{rule}",
        ))
        previous_end = q.end if not _coverage_after(text, q, tl) else _coverage_after(text, q, tl).end()
        previous_level = level
    out.extend(_coverage_targets(text, clause, [(t.start, t.end) for t in out] + excluded, boundaries, tl))
    return out


def _shift(q: Quantity, offset: int) -> Quantity:
    return replace(q, start=q.start + offset, end=q.end + offset)


def _coverage_after(text: str, q: Quantity, tl: TargetLexicon):
    return regex.compile(r"\s*覆盖").match(text, q.end) if q.kind == "percentage" and q.value == 100 else None


def _is_coverage(text: str, q: Quantity, clause: Clause, tl: TargetLexicon) -> bool:
    return _coverage_after(text, q, tl) is not None


def _coverage_targets(text, clause, taken, boundaries, tl: TargetLexicon) -> list[Target]:
    out = []
    for m in tl.coverage_pattern.finditer(text, clause.start, clause.end):
        if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
            continue
        indicator = _np_before(text, clause.start, m.start(), boundaries, tl)
        level = _level(indicator or "", tl)
        out.append(Target(
            clause_seq=clause.seq, indicator=indicator or None, indicator_id=None, quantity_kind="coverage",
            value=100.0, value_max=None, comparator="eq", unit="%", per=None, within=None,
            level=level[1] if level else None, level_text=level[0] if level else None,
            deadline_year=None, deadline_text=None, deadline_source="none",
            mention=m.group(), start=m.start(), end=m.end(), rule="coverage_word+np_before",
        ))
    return out


def _after_separator(text: str, pos: int) -> int:
    m = regex.compile(r"\s*[、和及与]?\s*").match(text, pos)
    return m.end()


def _comparator(text, clause, q: Quantity, previous_end, tl: TargetLexicon) -> tuple[str, int | None]:
    """The quantity's comparator; a comparator word a few characters before the number
    (不低于教师总数5%, 至少新创建5个) governs it too. Returns (comparator, gap start)."""
    if q.comparator not in ("eq",):
        return q.comparator, None
    lo = max(clause.start, previous_end or clause.start, q.start - GAP_COMPARATOR)
    matches = [m for m in tl.comparator_patterns["before"].finditer(text, lo, q.start, overlapped=True)
               if tl.comparators["before"][m.group()] not in ("approx", "eq", "none")]
    # 不少于 contains 少于: a match inside a longer one is part of that word.
    matches = [m for m in matches if not any(o is not m and o.start() <= m.start() and m.end() <= o.end()
                                             for o in matches)]
    best = max(matches, key=lambda m: m.start(), default=None)
    if best is None or regex.search(r"[0-9、]", text[best.end():q.start]):
        return "eq", None
    return tl.comparators["before"][best.group()], best.start()


def _boundaries(text, clause, quantities, deadlines, windows, tl: TargetLexicon) -> list[int]:
    """Positions after which a noun phrase may start: after verbs, comparators, periods,
    windows, deadlines and other target quantities of the clause."""
    ends = [clause.start]
    for pattern in (tl.verb_pattern, tl.comparator_patterns["before"], tl.period_pattern):
        ends += [m.end() for m in pattern.finditer(text, clause.start, clause.end)]
    ends += [d.end for d in deadlines] + [w[1] for w in windows] + [q.end for q in quantities]
    ends = [e for e in ends if not _inside_word(text, e, tl)]
    ends += [m.end() for m in regex.finditer(r"[,:;]", text[clause.start:clause.end])]
    return sorted(set(ends))


def _indicator(text, clause, q: Quantity, seg_start, gap_start, boundaries, tl) -> tuple[str | None, str]:
    after = _np_after(text, q.end, clause.end, tl)
    if after:
        return after, "np_after"
    end = gap_start if gap_start is not None else q.start
    np = _np_before(text, max(seg_start, clause.start), end, boundaries, tl)
    return (np, "np_before") if np else (None, "no_np")


def _next_clause_np(text, sentence: _Sentence, index: int, tl: TargetLexicon) -> str | None:
    """按照3至6年一周期,|对…开展|任期结束综合评估: what the norm applies to."""
    if index + 1 >= len(sentence.clauses):
        return None
    nxt = sentence.clauses[index + 1]
    verbs = list(tl.verb_pattern.finditer(text, nxt.start, nxt.end))
    start = verbs[-1].end() if verbs and verbs[-1].end() < nxt.end - 1 else nxt.start
    return _trim(text[start:nxt.end], tl) or None


def _np_after(text: str, start: int, end: int, tl: TargetLexicon) -> str | None:
    """The noun phrase after a measure word: 40名|县级核心骨干教师, 2-3名|…影响力的|教育家型校(园)长."""
    lead = LEAD_NAME.match(text, start, end)  # 5年一周期的|全员轮训
    if lead:
        start = lead.end()
    if start >= end:
        return None
    if not (regex.match(r"\p{Han}", text[start]) or text[start] in "“《\"("):
        return None
    if regex.match(r"(?:的|等|左右|以上|以下|以内|、|和|及|或|是|为|已|要)", text[start:end]):
        return None
    head = _head_after_de(text, start, end)
    stop = next((m for m in tl.np_stop_pattern.finditer(text, head + 1, end) if not _compound_final(text, m, end)),
                None)
    return _trim(text[head: stop.start() if stop else end], tl) or None


LEAD_NAME = regex.compile(r"一周期的?")


def _head_after_de(text: str, start: int, end: int) -> int:
    """Start of the head noun: after the last 的 outside quotes and brackets (if any)."""
    phrase = text[start:end]
    head = _after_last_de(phrase)
    return start + len(phrase) - len(head)


def _compound_final(text: str, m: regex.Match, end: int) -> bool:
    """拔尖创新人才培养班: a verb followed by one last character belongs to a noun."""
    return m.end() + 1 == end and regex.match(r"\p{Han}", text[m.end()]) is not None


def _inside_word(text: str, pos: int, tl: TargetLexicon) -> bool:
    """A verb match that ends one character before a noun ending (培养班) is no boundary."""
    return False


def _np_before(text: str, start: int, end: int, boundaries: list[int], tl: TargetLexicon) -> str | None:
    inside = [b for b in boundaries if start <= b < end]
    candidates = sorted(set(inside + [start]), reverse=True)
    for b in candidates:  # the nearest boundary first; back off when nothing is left
        phrase = _strip_final_verb(_trim(_after_last_de(text[b:end]), tl), tl)
        if phrase and len(phrase) >= 2:
            return phrase
    return None


def _strip_final_verb(phrase: str, tl: TargetLexicon) -> str:
    """占比提高|5个百分点: a verb right before the number is the predicate, not the noun."""
    m = tl.verb_pattern.search(phrase, max(0, len(phrase) - 4))
    while m and m.end() == len(phrase) and m.start() > 0:
        phrase = _trim(phrase[: m.start()], tl)
        m = tl.verb_pattern.search(phrase, max(0, len(phrase) - 4))
    return phrase


def _after_last_de(phrase: str) -> str:
    """…能力的适龄残疾儿童入学率 → 适龄残疾儿童入学率 (not inside quotes or brackets)."""
    depth = 0
    last = -1
    for i, ch in enumerate(phrase):
        if ch in "“《(\"[":
            depth += 1
        elif ch in "”》)]" and depth:
            depth -= 1
        elif ch == "的" and depth == 0 and i < len(phrase) - 1:
            last = i
    if last >= 0 and len(phrase) - last - 1 >= MIN_AFTER_DE:
        return phrase[last + 1:]
    return phrase


def _trim(phrase: str, tl: TargetLexicon) -> str:
    phrase = phrase.strip(" ,、:;")
    if phrase in tl.trim_words:
        return ""
    changed = True
    while changed and phrase:
        changed = False
        for word in tl.trim_words:
            if phrase.startswith(word) and len(phrase) > len(word):
                phrase, changed = phrase[len(word):], True
            if phrase.endswith(word) and len(phrase) > len(word):
                phrase, changed = phrase[: -len(word)], True
        phrase = phrase.strip(" ,、:;")
    return phrase


def _is_base(text: str, q: Quantity, indicator: str) -> bool:
    """调控线的2.5倍, 总数的5%: the phrase before 的 is the base, not what is measured."""
    return q.kind in ("multiple", "percentage") and text[:q.start].rstrip().endswith("的")


def _previous_clause_np(text, sentence: _Sentence, index: int, tl: TargetLexicon) -> str | None:
    if index == 0:
        return None
    prev = sentence.clauses[index - 1]
    verbs = list(tl.verb_pattern.finditer(text, prev.start, prev.end))
    start = verbs[-1].end() if verbs else prev.start
    return _trim(text[start:prev.end], tl) or None


def _level(indicator: str, tl: TargetLexicon) -> tuple[str, str] | None:
    m = tl.level_pattern.search(indicator)
    return (m.group(), tl.levels[m.group()]) if m else None


# --- context: period, window, deadline -------------------------------------------------

def _with_context(t: Target, periods, windows, deadlines, index, openers, paragraph_deadline,
                  plan_end) -> Target:
    per = next((p.unit for p in reversed(periods) if p.end <= t.start), None)
    within = next((w[3] for w in reversed(windows) if w[1] <= t.start), None)
    own = [d for d in deadlines if not (d.start >= t.start and d.end <= t.end)]
    earlier = [d for i, d in openers if i < index]
    if own:
        deadline, source = own[0], "clause"
    elif earlier:
        deadline, source = earlier[-1], "sentence"
    elif paragraph_deadline is not None and paragraph_deadline.end <= t.start:
        deadline, source = paragraph_deadline, "paragraph"
    else:
        deadline, source = None, "document" if plan_end else "none"
    return replace(
        t, per=per, within=within,
        deadline_year=deadline.year if deadline else plan_end,
        deadline_text=deadline.text if deadline else None, deadline_source=source,
    )


def _milestones(text, sentence: _Sentence, openers, targets: list[Target], tl) -> list[Target]:
    """One milestone per deadline phrase whose governed span holds no quantified target."""
    out = []
    all_deadlines = []
    for i, clause in enumerate(sentence.clauses):
        for d in find_deadlines(text, tl, clause.start, clause.end):
            all_deadlines.append((i, d))
    all_deadlines += [(i, d) for i, d in openers if all(d.start != e.start for _, e in all_deadlines)]
    for i, d in sorted(all_deadlines, key=lambda x: x[1].start):
        governed_end = sentence.clauses[-1].end
        if any(d.start <= t.start < governed_end and t.quantity_kind != "milestone" for t in targets):
            continue
        clause = sentence.clauses[i]
        rest = text[d.end:clause.end].strip(" ,")
        if not rest and i + 1 < len(sentence.clauses):
            clause = sentence.clauses[i + 1]
            commitment, source = text[clause.start:clause.end], "sentence"
        else:
            before = text[clause.start:d.start].strip(" ,")
            commitment, source = (rest or before), "clause"
        commitment = regex.sub(r"^(?:力争|争取|确保)", "", commitment).strip(" ,")
        if not commitment:
            continue
        level = _level(commitment, tl)
        out.append(Target(
            clause_seq=clause.seq, indicator=commitment, indicator_id=None, quantity_kind="milestone",
            value=None, value_max=None, comparator=None, unit=None, per=None, within=None,
            level=level[1] if level else None, level_text=level[0] if level else None,
            deadline_year=d.year, deadline_text=d.text, deadline_source=source,
            mention=d.text, start=d.start, end=d.end, rule="milestone",
        ))
    return out


def _with_indicator_id(t: Target, text: str, clauses: list[Clause], lex: Lexicons) -> Target:
    clause_text = next((text[c.start:c.end] for c in clauses if c.seq == t.clause_seq), "")
    for indicator in lex.targets.indicators:
        if t.indicator and indicator.terms.search(t.indicator):
            return replace(t, indicator_id=indicator.id)
    for indicator in lex.targets.indicators:
        if indicator.context is not None and indicator.context.search(clause_text):
            return replace(t, indicator_id=indicator.id)
    return t
