"""Categories (SPEC §8): `Segmented` → `CategoryCodes`, one entry per (clause, codebook, category).

Every codebook file in lexicons/codebooks/ (and any `run --codebook PATH`) is applied to
every clause. Before matching, unit names are masked (`体育` inside `教育体育局` is no
physical education; `财政` inside `财政局` is no funding), words inside quoted programme
and document names do not count unless the whole name is a term (`“三所学校”` counts,
`“奋斗的我最美的国”` does not), and the category's own `negative` words are masked. A
category fires when one of its terms occurs; `score` is the number
of distinct terms found and `evidence` lists them.

A codebook made for one sector (`domain`, e.g. `action` for education) codes every clause
of a notice whose title names that sector, and in any other notice only the sentences
that do (SPEC §8, v1.1).

In a codebook of themes (`themes: true`, the action areas) a clause also takes the
categories of its nearest heading that has some (`(三)教师队伍发展行动` → its clauses are
teacher development) and those its notice's title names, with score 0.5 and the
heading's or title's terms as evidence. A codebook of instruments (`policy_tool`) codes a
clause by its own words only.

The codes are columns (`CategoryCodes`: a notice has hundreds). With the compiled core, the
notice is handed over once (`core.CodebookNotice`: its clauses, its quoted names) and a
codebook is one call (scan, sector, headings, grants: core/src/codebooks.rs);
`_python_book` is the same rules in Python, the reference the core is tested against.
"""

from __future__ import annotations

from bisect import bisect_right

import ahocorasick

from .. import core, regexes
from ..lexicons import Codebook, Lexicons, derived
from ..model import CategoryCode, CategoryCodes, Clauses, Segmented

MASK = "□"
# Programme and document names: “十百千培育工程”, 《…行动方案》. Words inside them say what the
# name is called, not what the clause does — unless the whole name is a term (“三所学校”).
QUOTED_NAME = regexes.compile(r"“([^”\n]{1,40})”|《([^》\n]{1,60})》|\"([^\"\n]{1,40})\"")
INHERITED_SCORE = 0.5
GRANT_WITHIN = 14  # characters at the start of a clause where its grant verb may stand


def code_categories(doc: Segmented, lex: Lexicons) -> CategoryCodes:
    text = doc.structured.normalized.text
    masked = _mask_units(text, lex)
    title = doc.structured.metadata.title or ""
    if core.enabled():  # one call a codebook: the rules of _python_book, in the compiled core
        notice = core.CodebookNotice(masked, text, *_clause_columns(doc.clauses))
        return CategoryCodes.joined([_core_book(codebook, notice, title) for codebook in lex.codebooks])
    quoted = _Quoted(masked)
    return CategoryCodes.joined([CategoryCodes.of(_python_book(codebook, doc.clauses, text, masked, title, quoted))
                                 for codebook in lex.codebooks])


def _python_book(codebook: Codebook, clauses, text: str, masked: str, title: str,
                 quoted: _Quoted) -> list[CategoryCode]:
    """One codebook's codes of a notice, in clause order (the reference the core follows)."""
    in_sector = _sector_sentences(codebook, title, masked, clauses)
    title_codes = _title_codes(codebook, title) if codebook.themes else []
    by_start = sorted(clauses, key=lambda c: c.start)
    found = _scan(codebook, masked, by_start, [c.start for c in by_start])
    codes_of = {seq: _codes(codebook, seq, per_clause, quoted) for seq, per_clause in found.items()}
    book: list[CategoryCode] = []
    heading_codes: dict[int, list[CategoryCode]] = {}  # section level → codes of its heading
    if title_codes:
        heading_codes[0] = title_codes
    for clause in clauses:
        if in_sector is not None and (clause.paragraph_seq, clause.sentence_seq) not in in_sector:
            continue  # a sector codebook is silent outside its sector (SPEC §8, v1.1)
        codes = list(codes_of.get(clause.seq, ()))
        if clause.is_heading:
            for level in [lv for lv in heading_codes if lv >= clause.section_level]:
                del heading_codes[level]
            if codes:
                heading_codes[clause.section_level] = codes
        elif codebook.themes:
            # A theme of the heading is a theme of the clauses under it; an instrument is
            # named by the clause itself (a 资金 heading does not make every clause funding).
            # Nearest first: the innermost heading's terms are the evidence of a theme.
            own = {c.category for c in codes}
            for level in sorted((lv for lv in heading_codes if lv <= clause.section_level), reverse=True):
                for c in heading_codes[level]:
                    if c.category not in own:
                        own.add(c.category)
                        codes.append(CategoryCode(clause.seq, codebook.id, c.category, INHERITED_SCORE, c.evidence))
        book.extend(codes)
    if codebook.grant_openers:  # in clause order, each clause's own codes first
        book = sorted(book + _from_grants(codebook, clauses, text, book), key=lambda c: c.clause_seq)
    return book


def _clause_columns(clauses: Clauses) -> tuple[list, ...]:
    """What the core needs of each clause, as columns: start, end, is_heading, section
    level, paragraph and sentence number."""
    return (clauses.start, clauses.end, clauses.is_heading, clauses.section_level, clauses.paragraph_seq,
            clauses.sentence_seq)


def _core_book(codebook: Codebook, notice, title: str) -> CategoryCodes:
    """`_python_book` in the compiled core: the codes come back as columns. `notice`: the
    notice as the core's codebooks read it (`core.CodebookNotice`), made once for all of them."""
    compiled = derived(codebook, "core", lambda: _compiled(codebook))
    order = _order(codebook)
    themes = [(order[c.category], list(c.evidence)) for c in _title_codes(codebook, title)] if codebook.themes else []
    index, category, score, evidence, terms = compiled.code(notice, not _codes_all(codebook, title), themes)
    ids = [c.id for c in codebook.categories]
    shared = [tuple(t) for t in terms]
    return CategoryCodes(tuple(index), (codebook.id,) * len(index),  # clause i has seq i
                         tuple(map(ids.__getitem__, category)), tuple(score), tuple(map(shared.__getitem__, evidence)))


def _from_grants(codebook: Codebook, clauses, text: str, codes: list[CategoryCode]) -> list[CategoryCode]:
    """A clause naming who qualifies (对…的市级企业,) right before the clause of its sentence
    that grants (市级资金一次性给予50万元奖补) takes that clause's tools, with score 0.5."""
    by_clause: dict[int, list[CategoryCode]] = {}
    for c in codes:
        by_clause.setdefault(c.clause_seq, []).append(c)
    out = []
    for clause, grant in zip(clauses, clauses[1:], strict=False):
        # 市级资金一次性给予…: the payer may come before the grant verb.
        opening = text[grant.start:min(grant.end, grant.start + GRANT_WITHIN)]
        if clause.is_heading or (clause.paragraph_seq, clause.sentence_seq) != (grant.paragraph_seq,
                                                                                grant.sentence_seq) \
                or not any(word in opening for word in codebook.grant_openers):
            continue
        own = {c.category for c in by_clause.get(clause.seq, [])}
        out += [CategoryCode(clause.seq, codebook.id, c.category, INHERITED_SCORE, c.evidence)
                for c in by_clause.get(grant.seq, []) if c.category not in own]
    return out


def _title_codes(codebook: Codebook, title: str) -> list[CategoryCode]:
    """The categories the notice's title names (学校美育工作 → whole_person): the theme of
    every clause, as a level-0 heading."""
    terms, _ = _automata(codebook)
    if terms is None:
        return []
    found: dict[str, list[str]] = {}
    for _, (word, ids) in terms.iter(title):
        for category in ids:
            found.setdefault(category, []).append(word)
    return [CategoryCode(-1, codebook.id, c, INHERITED_SCORE, tuple(dict.fromkeys(found[c])))
            for c in sorted(found, key=_order(codebook).__getitem__)]


def _sector_sentences(codebook: Codebook, title: str, masked: str, clauses) -> set[tuple[int, int]] | None:
    """None when the codebook codes every clause (no domain, or a notice of its domain by
    its title); else the (paragraph, sentence) keys of the sentences that name its domain
    (an education section of a health notice), unit names masked (教育局 is no education)."""
    if _codes_all(codebook, title):
        return None
    spans: dict[tuple[int, int], list[int]] = {}
    for clause in clauses:
        span = spans.setdefault((clause.paragraph_seq, clause.sentence_seq), [clause.start, clause.end])
        span[0], span[1] = min(span[0], clause.start), max(span[1], clause.end)
    automaton = derived(codebook, "domain", lambda: _word_automaton(codebook.domain_terms))
    return {key for key, (a, b) in spans.items() if next(automaton.iter(masked[a:b]), None) is not None}


def _codes_all(codebook: Codebook, title: str) -> bool:
    """The codebook codes every clause: it has no sector, or the title names it."""
    return codebook.domain is None or any(t in title for t in codebook.domain_terms | codebook.domain_title_terms)


def _word_automaton(words) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


def _mask_units(text: str, lex: Lexicons) -> str:
    """Unit names replaced by □ of the same length (offsets and other words stay)."""
    pieces, done = [], 0  # cut and joined by span, not character: a notice may be 100,000 of them
    for start, end in sorted(lex.units.patterns.spans(text, 0, len(text))):
        if end - start >= 3 and end > done:  # 教育局, 财政局 …; two-character hits are too ambiguous
            start = max(start, done)
            pieces += [text[done:start], MASK * (end - start)]
            done = end
    pieces.append(text[done:])
    return "".join(pieces)


class _Quoted:
    """The quoted names of a document (the quotes excluded), in text order; they do not
    overlap, so the one that may hold a span is found by bisection."""

    def __init__(self, text: str) -> None:
        self.names = []
        for m in QUOTED_NAME.finditer(text):
            group = next(g for g in (1, 2, 3) if m.group(g) is not None)
            self.names.append((m.start(group), m.end(group), m.group(group)))
        self.starts = [a for a, _, _ in self.names]


def _in_other_name(quoted: _Quoted, start: int, end: int, term: str) -> bool:
    """The span lies inside a quoted name that is not the term itself."""
    i = bisect_right(quoted.starts, start) - 1
    return i >= 0 and end <= quoted.names[i][1] and term != quoted.names[i][2]


def _automata(codebook: Codebook) -> tuple:
    """(terms, negatives): Aho–Corasick automata word → category ids, built once per codebook."""
    return derived(codebook, "automata", lambda: tuple(_automaton(codebook, a) for a in ("terms", "negative")))


def _automaton(codebook: Codebook, attribute: str):
    words: dict[str, list[str]] = {}
    for category in codebook.categories:
        for word in getattr(category, attribute):
            words.setdefault(word, []).append(category.id)
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word, ids in words.items():
        automaton.add_word(word, (word, tuple(ids)))
    automaton.make_automaton()
    return automaton


def _compiled(codebook: Codebook):
    """The codebook's terms and negative words for the core: word → category indices."""
    words: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
    for k, category in enumerate(codebook.categories):
        for kind, attribute in enumerate(("terms", "negative")):
            for word in getattr(category, attribute):
                words[kind].setdefault(word, []).append(k)
    return core.Codebook(list(words[0].items()), list(words[1].items()), len(codebook.categories), codebook.themes,
                         list(codebook.grant_openers), GRANT_WITHIN, sorted(codebook.domain_terms))


def _scan(codebook: Codebook, masked: str, clauses, starts) -> dict[int, dict[str, tuple[list, list]]]:
    """One pass over the document: clause seq → category → (term spans, negative spans).
    A 5 MB document costs one C-speed scan per codebook, not one per clause and term."""
    found: dict[int, dict[str, tuple[list, list]]] = {}
    for kind, automaton in enumerate(_automata(codebook)):
        if automaton is None:
            continue
        for last, (word, ids) in automaton.iter(masked):
            start, end = last + 1 - len(word), last + 1
            i = bisect_right(starts, start) - 1
            if i < 0 or end > clauses[i].end:
                continue  # in a tag or between clauses
            per_clause = found.setdefault(clauses[i].seq, {})
            for category in ids:
                per_clause.setdefault(category, ([], []))[kind].append((start, end, word))
    return found


def _order(codebook: Codebook) -> dict[str, int]:
    """category id → its position in the codebook (codes are listed in that order)."""
    return derived(codebook, "order", lambda: {c.id: i for i, c in enumerate(codebook.categories)})


def _codes(codebook: Codebook, clause_seq: int, found: dict[str, tuple[list, list]], quoted) -> list[CategoryCode]:
    if not found:
        return []
    codes = []
    for category_id in sorted(found, key=_order(codebook).__getitem__):  # codebook order
        spans, negative = found[category_id]
        first: dict[str, int] = {}
        for start, end, term in sorted(spans):
            if negative and any(a <= start and end <= b for a, b, _ in negative):
                continue
            if _in_other_name(quoted, start, end, term):
                continue
            first.setdefault(term, start)
        if len(first) > 1:  # Longest match: 教育集团 inside 优质教育集团 is the same mention, not a second term.
            spans_of = {t: (p, p + len(t)) for t, p in first.items()}
            first = {t: p for t, p in first.items()
                     if not any(o != t and a <= p and p + len(t) <= b and b - a > len(t)
                                for o, (a, b) in spans_of.items())}
        if first:
            found_terms = tuple(sorted(first, key=lambda t: (first[t], -len(t))))
            codes.append(CategoryCode(clause_seq, codebook.id, category_id, float(len(found_terms)), found_terms))
    return codes
