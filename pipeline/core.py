"""The compiled core (`pipeline._core`, Rust in core/) and the choice between it and the
Python rules.

The core takes a notice's text and its clause boundaries and gives columns back (one list
per field); Python builds an object only for each candidate found. Both paths give the
same rows, byte for byte (tests/test_core.py runs both on every example file, the seeds and
the development notices); the Python path stays as the reference until every stage runs in
the core. `POLICY_PIPELINE_ENGINE=python` chooses the Python rules; an install without the
compiled module (a source tree nobody built) uses them too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import regex

from . import regexes
from .lexicons import TargetLexicon, derived

try:
    from . import _core
except ImportError:  # a checkout that was never built: the Python rules give the same rows
    _core = None

ENGINES = ("core", "python")
_engine = os.environ.get("POLICY_PIPELINE_ENGINE", "core")
if _engine not in ENGINES:
    raise SystemExit(f"POLICY_PIPELINE_ENGINE must be one of {', '.join(ENGINES)}, not {_engine!r}")


def enabled() -> bool:
    """Whether the compiled core does the work it can do."""
    return _core is not None and _engine == "core"


def engine() -> str:
    """The engine in use: 'core' or 'python'."""
    return "core" if enabled() else "python"


@contextmanager
def using(name: str) -> Iterator[None]:
    """Run a block with one engine (tests compare the two in one process)."""
    global _engine
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}")
    if name == "core" and _core is None:
        raise RuntimeError("the compiled core is not built (pip install -e . builds it)")
    before, _engine = _engine, name
    try:
        yield
    finally:
        _engine = before


def compiled(tl: TargetLexicon):
    """The target lexicon compiled into the core, once per loaded lexicon."""
    def build():
        units = [(written, u.unit, u.kind) for written, u in tl.units.items()]
        by_position = {pos: list(words.items()) for pos, words in tl.comparators.items()}
        return _core.Core(units, by_position.get("before", []), by_position.get("after", []),
                          by_position.get("inside", []))
    return derived(tl, "core", build)


def Codebook(terms: list, negatives: list, n_categories: int, themes: bool,  # noqa: N802 - the core's class
             grant_openers: list[str], grant_within: int, domain_terms: list[str]):
    """A codebook compiled into the core (see extract/categories.py)."""
    return _core.Codebook(terms, negatives, n_categories, themes, grant_openers, grant_within, domain_terms)


def CodebookNotice(masked: str, text: str, starts: list[int], ends: list[int],  # noqa: N802 - the core's class
                   headings: list[bool], levels: list[int], paragraphs: list[int], sentences: list[int]):
    """A notice as the core's codebooks read it, made once for all of them (see extract/categories.py)."""
    return _core.CodebookNotice(masked, text, starts, ends, headings, levels, paragraphs, sentences)


def Splitter(connectives: list[str], digits: str):  # noqa: N802 - the core's class
    """Paragraphs → clauses in the core (see segment.py)."""
    return _core.Splitter(connectives, digits)


class Actors:
    """Units named as the subject of a clause, found in the core (see extract/units.py)."""

    __slots__ = ("_actors",)

    def __init__(self, prefixes: list[str]):
        self._actors = _core.Actors(prefixes)

    def find(self, text: str, starts: list[int], ends: list[int], types: PatternList,
             any_type: Pattern) -> tuple[list[int], list[list[str]]]:
        """(clause indices, their units) of the clauses text[starts[i]:ends[i]] whose subject
        is a list of units; `types` the unit types' patterns, `any_type` all of them in one."""
        return self._actors.find(_held(text), starts, ends, types._compiled, any_type._list._compiled)


class Exclusions:
    """Where clauses' numbers are no commitments, found in the core (see extract/targets.py's
    `_exclusions_of`): patterns, names and distances as `_core.Exclusions` takes them."""

    __slots__ = ("_exclusions",)

    def __init__(self, *compiled):
        self._exclusions = _core.Exclusions(*compiled)

    def find(self, text: str, starts: list[int], ends: list[int], quantity_clause: list[int],
             quantity_starts: list[int], quantity_ends: list[int], not_targets: PatternList,
             at_numbers: PatternList) -> tuple[list[int], list[int], list[int]]:
        """(clause index, start, end) of each excluded span of the clauses text[starts[i]:ends[i]]."""
        return self._exclusions.find(_held(text), starts, ends, quantity_clause, quantity_starts, quantity_ends,
                                     not_targets._compiled, at_numbers._compiled)


class Phrases:
    """What targets measure, found in the core (see extract/targets.py's `_indicator`):
    patterns, words and lengths as `_core.Phrases` takes them."""

    __slots__ = ("_phrases",)

    def __init__(self, *compiled):
        self._phrases = _core.Phrases(*compiled)

    def indicator(self, text: str, clause: tuple[int, int], quantity: tuple[int, int], seg_start: int,
                  gap_start: int | None, boundaries: list[int]) -> tuple[str | None, str]:
        """(indicator, rule) of the quantity text[quantity[0]:quantity[1]] of the clause
        text[clause[0]:clause[1]]."""
        return self._phrases.indicator(_held(text), *clause, *quantity, seg_start, gap_start, boundaries)

    def comparator(self, text: str, clause_start: int, previous_end: int | None,
                   q_start: int) -> tuple[str, int | None]:
        """(comparator, where its word starts) written before the amount at q_start."""
        return self._phrases.comparator(_held(text), clause_start, previous_end, q_start)

    def clause_targets(self, text: str, clause: tuple[int, int], previous: tuple[int, int] | None,
                       following: tuple[int, int] | None, quantities: list, deadlines: list, periods: list,
                       windows: list[tuple[int, int, int, str]], exclusions: list[tuple[int, int]],
                       words: Sequence[int], coverage_word: bool) -> tuple[list, ...]:
        """The targets of the clause text[clause[0]:clause[1]] as columns: quantity number
        (-1: a coverage word), kind, comparator, indicator, rule, level, level text, per,
        start, end, value. Its `Quantity`, `Deadline` and `Period` records, windows,
        exclusions and word ends as extract/targets.py holds them."""
        return self._phrases.clause_targets(_held(text), *clause, previous, following, quantities, deadlines, periods,
                                            windows, exclusions, words, coverage_word)


def Assembler(near_wide: str, noise: str):  # noqa: N802 - the core's class
    """A notice's body put together from its kept lines, in the core (see clean.py)."""
    return _core.Assembler(near_wide, noise)


def Lines(*compiled):  # noqa: N802 - the core's class
    """A page's lines cut, trimmed and read as chrome or body, in the core (see clean.py)."""
    return _core.Lines(*compiled)


def Body(*compiled):  # noqa: N802 - the core's class
    """A page's body lines made paragraphs (main block, repeats, broken lines), in the core
    (see clean.py)."""
    return _core.Body(*compiled)


def Fold(pairs: list[tuple[str, str]]):  # noqa: N802 - the core's class
    """`str.translate` with a table of single characters, in the core (see normalize.py)."""
    return _core.Fold(pairs)


def han_counts(text: str, starts: list[int], ends: list[int]) -> list[int]:
    """The Chinese (Han script) characters of each text[starts[i]:ends[i]]."""
    return _core.han_counts(text, starts, ends)


def most_common(text: str) -> tuple[str, int]:
    """The most common character of a (non-empty) text and its count."""
    return _core.most_common(text)


def slices(text: str, starts: list[int], ends: list[int]):
    """text[starts[i]:ends[i]] for each i, as an Arrow string array (pyarrow.Array)."""
    return _string_array(len(starts), *_core.slices(text, starts, ends))


def numbered(prefix: str, n: int, width: int):
    """f"{prefix}{i:0{width}d}" for i in range(n), as an Arrow string array (pyarrow.Array)."""
    return _string_array(n, *_core.numbered(prefix, n, width))


def _string_array(n: int, offsets: bytes, data: bytes):
    import pyarrow as pa  # imported by every run already; not by the stages that never build a table

    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def time_phrases(tl: TargetLexicon, every: str, unit_names: dict[str, str], text: str, starts: list[int],
                 ends: list[int]) -> tuple[list, ...]:
    """The time phrases of the clauses text[starts[i]:ends[i]] as columns (see
    extract/deadlines.py's `times_found`): the lexicon's deadlines and bare year, `every`
    (每隔3天) and its period words, compiled into the core once per loaded lexicon."""
    times = derived(tl, "core_times", lambda: _core.Times(
        [source(p) for p in tl.deadlines.sources], source(tl.bare_year), source(every), list(unit_names.items()),
        list(tl.periods.items())))
    return times.clauses(_held(text), starts, ends)


def unit_list(tl: TargetLexicon) -> list:
    """The lexicon's units in the order the core numbers them."""
    return derived(tl, "core_units", lambda: list(tl.units.values()))


# --- the lexicons' own patterns -------------------------------------------------------

class PatternList:
    """The patterns of one list of targets.yaml (deadlines, windows, not_targets …), in the
    order they are written, compiled once: in the core (fancy-regex) when it is built, else
    with the regex module — and with the regex module too, at first use, when a block runs
    on the Python rules. Either way a text is read as `pattern.finditer(text, pos, endpos)`
    reads it: the match lies in text[pos:endpos], a look-behind sees what comes before pos,
    nothing after endpos is seen.

    One call covers every pattern of the list, so the rules make one call where they made
    one per pattern; ValueError(index, message) names a pattern that does not compile.
    """

    __slots__ = ("sources", "_compiled", "_regexes", "_names")

    def __init__(self, sources: Sequence[str]):
        self.sources = tuple(sources)
        self._regexes: tuple[regex.Pattern, ...] | None = None
        if _core is not None:
            self._compiled = _core.Patterns([_dollar_as_python_reads_it(p) for p in self.sources])
            self._names = [dict(self._compiled.groupindex(k)) for k in range(len(self.sources))]
        else:
            self._compiled = None
            self._python()

    def __len__(self) -> int:
        return len(self.sources)

    def __reduce__(self):  # a compiled pattern cannot be pickled: its sources can
        return PatternList, (self.sources,)

    def _python(self) -> tuple[regex.Pattern, ...]:
        if self._regexes is None:
            compiled = []
            for i, source in enumerate(self.sources):
                try:
                    compiled.append(regexes.compile(source))
                except regex.error as exc:
                    raise ValueError(i, str(exc)) from None
            self._regexes = tuple(compiled)
        return self._regexes

    def finditer(self, text: str, pos: int, endpos: int) -> list:
        """Every match of every pattern in text[pos:endpos], pattern by pattern (each read as
        a regex.Match is: start, end, span, group, [name])."""
        if not enabled():
            return [m for p in self._python() for m in p.finditer(text, pos, endpos)]
        return [Found(text, spans, self._names[k]) for k, spans in self._compiled.finditer(_held(text), pos, endpos)]

    def spans(self, text: str, pos: int, endpos: int) -> list[tuple[int, int]]:
        """The (start, end) of every match of every pattern in text[pos:endpos]."""
        if not enabled():
            return [m.span() for p in self._python() for m in p.finditer(text, pos, endpos)]
        return self._compiled.spans(_held(text), pos, endpos)

    def firsts(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> list[tuple[int, int] | None]:
        """The (start, end) of each pattern's first match in text[pos:endpos], or None."""
        if not enabled():
            return [m.span() if (m := p.search(text, pos, endpos)) else None for p in self._python()]
        return self._compiled.firsts(_held(text), pos, endpos)

    def firsts_in_each(self, text: str, starts: list[int], ends: list[int]) -> list[tuple[int, int] | None]:
        """For each text[starts[i]:ends[i]], then each pattern: the (start, end) of the
        pattern's first match there, or None; range by range, len(self) values each."""
        if not enabled():
            return [m.span() if (m := p.search(text, a, b)) else None
                    for a, b in zip(starts, ends, strict=True) for p in self._python()]
        first_starts, first_ends = self._compiled.firsts_in_each(_held(text), starts, ends)
        return [None if a < 0 else (a, b) for a, b in zip(first_starts, first_ends, strict=True)]

    def first_matching(self, texts: list[str], candidates: list[list[int]]) -> list[int | None]:
        """For each of `texts`, the first pattern number of `candidates[i]` (in its order)
        whose pattern matches somewhere in it, or None."""
        if not enabled():
            return [next((k for k in ks if self._python()[k].search(t)), None)
                    for t, ks in zip(texts, candidates, strict=True)]
        return [None if k < 0 else k for k in self._compiled.first_matching(texts, candidates)]

    def which_in_each(self, text: str, starts: list[int], ends: list[int]) -> list[int]:
        """The i of each text[starts[i]:ends[i]] where some pattern matches, in order."""
        if not enabled():
            return [i for i, (a, b) in enumerate(zip(starts, ends, strict=True))
                    if any(p.search(text, a, b) for p in self._python())]
        return self._compiled.which_in_each(_held(text), starts, ends)

    def spans_in_each(self, text: str, starts: list[int], ends: list[int]) -> list[list[tuple[int, int]]]:
        """For each text[starts[i]:ends[i]]: `spans` there (every match of every pattern)."""
        if not enabled():
            return [self.spans(text, a, b) for a, b in zip(starts, ends, strict=True)]
        out: list[list[tuple[int, int]]] = [[] for _ in starts]
        for i, a, b in zip(*self._compiled.spans_in_each(_held(text), starts, ends), strict=True):
            out[i].append((a, b))
        return out

    def first_at_each(self, text: str, starts: list[int], ends: list[int]) -> list[tuple[int, int] | None]:
        """For each text[starts[i]:ends[i]]: (the first pattern that matches right at its
        start, where that match ends), or None where none does."""
        if not enabled():
            return [next(((k, m.end()) for k, p in enumerate(self._python()) if (m := p.match(text, a, b))), None)
                    for a, b in zip(starts, ends, strict=True)]
        which, match_ends = self._compiled.first_at_each(_held(text), starts, ends)
        return [None if k < 0 else (k, e) for k, e in zip(which, match_ends, strict=True)]

    def match_spans(self, text: str, starts: list[int], endpos: int) -> list[tuple[int, int]]:
        """For each pattern, then each start: the (start, end) of the pattern matched right at
        that start in text[:endpos], where it matches."""
        if not enabled():
            return [m.span() for p in self._python() for s in starts if (m := p.match(text, s, endpos))]
        return self._compiled.match_spans(_held(text), starts, endpos)


class Pattern:
    """One lexicon pattern (a unit type's, an indicator's terms), compiled as a PatternList
    is and read as a regex.Pattern is: search, match and finditer with pos and endpos."""

    __slots__ = ("pattern", "_list")

    def __init__(self, source: str):
        self.pattern = source
        self._list = PatternList((source,))

    def __reduce__(self):
        return Pattern, (self.pattern,)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        if not enabled():
            return self._list._python()[0].search(text, pos, endpos)
        spans = self._list._compiled.search(0, _held(text), pos, endpos)
        return None if spans is None else Found(text, spans, self._list._names[0])

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        if not enabled():
            return self._list._python()[0].match(text, pos, endpos)
        spans = self._list._compiled.match_at(0, _held(text), pos, endpos)
        return None if spans is None else Found(text, spans, self._list._names[0])

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> list:
        return self._list.finditer(text, pos, endpos)


def _dollar_as_python_reads_it(pattern: str) -> str:
    """`$` as the regex module reads it (the end, or before a newline that ends the text);
    in Rust it is the end only. Escapes and character classes are left as they are."""
    if "$" not in pattern:
        return pattern
    out, i, class_from = [], 0, None  # class_from: where a class's members begin
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if class_from is not None:
            if c == "]" and i > class_from:  # a ] right after [ or [^ is a member
                class_from = None
        elif c == "[":
            class_from = i + 2 if pattern.startswith("^", i + 1) else i + 1
        elif c == "$":
            c = r"(?=\n?\z)"
        out.append(c)
        i += 1
    return "".join(out)


def source(pattern: regex.Pattern | str, one_line: bool = False) -> str:
    """A pattern (compiled by the regex module, or its text) written for the core: `$` as the
    regex module reads it, the verbose and multi-line flags inline (fancy-regex, too, ignores
    whitespace in a class). `one_line`: the pattern only reads texts without a line break,
    where `$` is the end in both; it is kept, as the look-ahead written for it would put the
    pattern on fancy-regex's backtracking VM."""
    text, flags = (pattern, 0) if isinstance(pattern, str) else (pattern.pattern, pattern.flags)
    inline = ("x" if flags & regex.X else "") + ("m" if flags & regex.M else "")
    # Multi-line, `$` is the end or before any newline in both.
    keep = one_line or flags & regex.M
    return (f"(?{inline})" if inline else "") + (text if keep else _dollar_as_python_reads_it(text))


class Found:
    """A match of a core pattern, read as the rules read a regex.Match."""

    __slots__ = ("string", "_spans", "_names")

    def __init__(self, string: str, spans: list[int], names: dict[str, int]):
        self.string, self._spans, self._names = string, spans, names

    def _at(self, group: int | str) -> int:
        return 2 * (self._names[group] if isinstance(group, str) else group)

    def start(self, group: int | str = 0) -> int:
        return self._spans[self._at(group)]

    def end(self, group: int | str = 0) -> int:
        return self._spans[self._at(group) + 1]

    def span(self, group: int | str = 0) -> tuple[int, int]:
        i = self._at(group)
        return self._spans[i], self._spans[i + 1]

    def group(self, group: int | str = 0) -> str | None:
        start, end = self.span(group)
        return None if start < 0 else self.string[start:end]

    __getitem__ = group


# The notice being read, held in the core once: the rules ask about the same text object
# again and again, and a new one replaces it. One tuple, read and replaced whole, so threads
# never mix two. A short string (a name, an indicator) is copied each time instead: asked
# about between two questions on the notice, it would push the notice out.
_last: tuple = (None, None)
SHORT = 256


def _held(text: str):
    global _last
    if len(text) < SHORT:
        return _core.Text(text)
    held = _last
    if held[0] is not text:
        held = _last = (text, _core.Text(text))
    return held[1]
