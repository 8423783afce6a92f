"""Categories (SPEC §8): `Segmented` → `CategoryCode` rows, one per (clause, codebook, category).

Every codebook file in lexicons/codebooks/ (and any `run --codebook PATH`) is applied to
every clause. Before matching, unit names are masked (`体育` inside `教育体育局` is no
physical education; `财政` inside `财政局` is no funding), words inside quoted programme
and document names do not count unless the whole name is a term (`“三所学校”` counts,
`“奋斗的我最美的国”` does not), and the category's own `negative` words are masked. A
category fires when one of its terms occurs; `score` is the number
of distinct terms found and `evidence` lists them.

A clause that matches nothing in a codebook takes the categories of its nearest heading
that has some (`(三)教师队伍发展行动` → its clauses are teacher development), with
score 0.5 and the heading's terms as evidence: the heading tells what the item is about.
"""

from __future__ import annotations

import regex

from ..lexicons import Codebook, Lexicons
from ..model import CategoryCode, Segmented

MASK = "□"
# Programme and document names: “十百千培育工程”, 《…行动方案》. Words inside them say what the
# name is called, not what the clause does — unless the whole name is a term (“三所学校”).
QUOTED_NAME = regex.compile(r"“([^”\n]{1,40})”|《([^》\n]{1,60})》|\"([^\"\n]{1,40})\"")
INHERITED_SCORE = 0.5


def code_categories(doc: Segmented, lex: Lexicons) -> tuple[CategoryCode, ...]:
    text = doc.structured.normalized.text
    out: list[CategoryCode] = []
    for codebook in lex.codebooks:
        heading_codes: dict[int, list[CategoryCode]] = {}  # section level → codes of its heading
        for clause in doc.clauses:
            masked = _mask_units(text[clause.start:clause.end], lex)
            codes = list(_match(codebook, clause.seq, masked, _quoted(masked)))
            if clause.is_heading:
                for level in [lv for lv in heading_codes if lv >= clause.section_level]:
                    del heading_codes[level]
                if codes:
                    heading_codes[clause.section_level] = codes
            elif not codes:
                inherited = next((heading_codes[lv] for lv in sorted(heading_codes, reverse=True)
                                  if lv <= clause.section_level), [])
                codes = [CategoryCode(clause.seq, codebook.id, c.category, INHERITED_SCORE, c.evidence)
                         for c in inherited]
            out.extend(codes)
    return tuple(out)


def _mask_units(piece: str, lex: Lexicons) -> str:
    """Unit names replaced by □ of the same length (offsets and other words stay)."""
    chars = list(piece)
    for unit_type in lex.units.types:
        for m in unit_type.pattern.finditer(piece):
            if m.end() - m.start() >= 3:  # 教育局, 财政局 …; two-character hits are too ambiguous
                chars[m.start():m.end()] = MASK * (m.end() - m.start())
    return "".join(chars)


def _quoted(piece: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of the quoted names in a clause, the quotes excluded."""
    out = []
    for m in QUOTED_NAME.finditer(piece):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        out.append((m.start(group), m.end(group), m.group(group)))
    return out


def _occurrences(piece: str, word: str):
    start = piece.find(word)
    while start >= 0:
        yield start, start + len(word)
        start = piece.find(word, start + 1)


def _match(codebook: Codebook, clause_seq: int, masked: str, quoted: list[tuple[int, int, str]]):
    """Categories of a clause. Terms are found with str.find (C speed): a 5 MB one-line
    document costs seconds, not the minutes a per-character scan per category would."""
    for category in codebook.categories:
        negative = [span for word in category.negative.names for span in _occurrences(masked, word)]
        first: dict[str, int] = {}
        for term in category.terms.names:
            for start, end in _occurrences(masked, term):
                if any(a <= start and end <= b for a, b in negative):
                    continue
                if any(a <= start and end <= b and term != name for a, b, name in quoted):
                    continue
                first.setdefault(term, start)
                break
        # Longest match: 教育集团 inside 优质教育集团 is the same mention, not a second term.
        spans = {t: (p, p + len(t)) for t, p in first.items()}
        first = {t: p for t, p in first.items()
                 if not any(o != t and a <= p and p + len(t) <= b and b - a > len(t) for o, (a, b) in spans.items())}
        if first:
            found = tuple(sorted(first, key=lambda t: (first[t], -len(t))))
            yield CategoryCode(clause_seq, codebook.id, category.id, float(len(found)), found)
