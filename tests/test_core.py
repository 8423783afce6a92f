"""The compiled core (core/, `pipeline._core`) against the Python rules it replaces: the
same rows, byte for byte, on every example file, the seeds, the development notices and
random text. The Python path is the reference (POLICY_PIPELINE_ENGINE=python)."""

from __future__ import annotations

import os
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import regex
from conftest import EXAMPLES, ROOT, cli, examples, process_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline
from pipeline import clean, core
from pipeline.clean import _assemble_lines, _assembled, _han_counts, _Line
from pipeline.conformance import load_cases
from pipeline.errors import InputError
from pipeline.extract import extract
from pipeline.extract.deadlines import times_found
from pipeline.extract.numbers import NumberError, parse_number
from pipeline.extract.quantities import clause_quantities, find_quantities
from pipeline.extract.targets import (
    _after_separator,
    _clause_targets_of,
    _comparator,
    _core_phrases,
    _covered,
    _exclusions_of,
    _explained,
    _indicator,
    _indicator_patterns,
    _may_commit,
    _past_and_conditions,
    _Sentence,
    _sentences,
    _windows,
    _word_ends,
    extract_targets,
)
from pipeline.extract.units import _subjects
from pipeline.model import Clause, Clauses, Decoded, Source
from pipeline.normalize import FOLD_IN_CORE, fold_punctuation, t2s
from pipeline.read import MAX_ONE_CHAR_SHARE, _most_common
from pipeline.run import STAGES, document_rows
from pipeline.segment import segment
from pipeline.structure import _headings

DEVSET = ROOT.parent / "shared" / "devset"
needs_core = pytest.mark.skipif(core._core is None, reason="the compiled core is not built")


def test_the_core_is_built_and_used():
    """An install (pip install -e . or the wheel) builds the core; a run uses it unless
    POLICY_PIPELINE_ENGINE=python says otherwise. CI must not fall back silently."""
    assert core._core is not None, "pipeline._core is missing: pip install -e . builds it (needs cargo)"
    expected = os.environ.get("POLICY_PIPELINE_ENGINE", "core")
    assert core.engine() == expected


def test_one_version_for_the_package_and_the_crate():
    cargo = tomllib.loads((ROOT / "core" / "Cargo.toml").read_text(encoding="utf-8"))
    assert cargo["package"]["version"] == pipeline.__version__


def _both(run):
    """What `run()` gives with the core and with the Python rules."""
    with core.using("core"):
        fast = run()
    with core.using("python"):
        slow = run()
    return fast, slow


def _quantities(text: str, lex, engine: str):
    with core.using(engine):
        try:
            return [(q.start, q.end, q.value, q.value_max, q.unit, q.comparator, q.percent, q.rule)
                    for q in find_quantities(text, lex.targets)]
        except NumberError as exc:
            return ("NumberError", str(exc))


def _texts_of(node) -> list[str]:
    """Every `text` / `raw` string of an example file."""
    if isinstance(node, dict):
        own = [str(v) for k, v in node.items() if k in ("text", "raw") and isinstance(v, str | int)]
        return own + [t for v in node.values() for t in _texts_of(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts_of(v)]
    return []


EXAMPLE_TEXTS = sorted({t for f in sorted(EXAMPLES.glob("*.yaml")) for t in _texts_of(examples(f.name))})


@needs_core
def test_quantities_of_every_example_and_conformance_case(lex):
    cases = [c["text"] for file_cases in load_cases().values() for c in file_cases]
    texts = EXAMPLE_TEXTS + cases
    assert len(texts) > 700
    differ = [t for t in texts if _quantities(t, lex, "core") != _quantities(t, lex, "python")]
    assert not differ, f"{len(differ)} texts read differently, first: {differ[:3]}"


def _tables(source: Source, lex, engine: str) -> dict:
    with core.using(engine):
        record = source
        for _, function in STAGES:
            record = function(record, lex)
        return document_rows(record)


@needs_core
@pytest.mark.parametrize("text", EXAMPLE_TEXTS[::7], ids=lambda t: t[:20])
def test_example_tables_are_the_same(lex, text):
    source = Source.of("example.txt", text.encode("utf-8"))
    try:
        expected = _tables(source, lex, "python")
    except Exception as exc:  # noqa: BLE001 - an example may be a failing input: the core must fail alike
        with pytest.raises(type(exc)):
            _tables(source, lex, "core")
        return
    assert _tables(source, lex, "core") == expected


def _notices() -> list[Path]:
    seeds = sorted((ROOT / "corpus").rglob("*.txt"))
    dev = [path for folder in ("docs", "extra") for path in sorted((DEVSET / folder).glob("*.*"))
           if path.suffix in (".txt", ".html")]
    return seeds + dev


@needs_core
@pytest.mark.parametrize("path", _notices(), ids=lambda p: p.name[:30])
def test_whole_notices_give_the_same_tables(lex, path):
    source = Source.of(path.name, path.read_bytes())
    assert _tables(source, lex, "core") == _tables(source, lex, "python")


@needs_core
def test_every_clause_of_the_development_notices(lex):
    """Clause by clause (not only the clauses that reach target extraction)."""
    if not (DEVSET / "docs").is_dir():
        pytest.skip("../shared/devset is not beside this checkout")
    excluded = words = 0
    for path in _notices():
        doc = process_text(path.read_text(encoding="utf-8"), lex)
        text, clauses = doc.structured.normalized.text, doc.clauses
        spans = list(zip(clauses.start, clauses.end, strict=True))
        fast, slow = _both(lambda: clause_quantities(text, spans, lex.targets))  # noqa: B023 - called at once
        assert fast == slow, path.name
        fast, slow = _both(lambda: times_found(text, clauses.start, clauses.end, lex.targets))  # noqa: B023
        assert fast == slow, path.name
        quantities = dict(zip((c.seq for c in doc.clauses), clause_quantities(text, spans, lex.targets), strict=True))
        fast, slow = _both(lambda: _exclusions(text, doc.clauses, quantities, lex.targets))  # noqa: B023
        assert fast == slow, path.name
        excluded += sum(map(len, fast.values()))
        fast, slow = _both(lambda: _clause_words(text, doc.clauses, lex.targets))  # noqa: B023
        assert fast == slow, path.name
        words += sum(map(len, fast[2].values()))
    assert excluded > 1000 and words > 10_000


def _clause_words(text: str, clauses, tl) -> tuple:
    """What target extraction reads of all a notice's sentences or clauses in one call each:
    which sentences hold a number or coverage word, which clauses report the past, where
    conditions start, where the noun phrases' boundary words end."""
    clauses = clauses if isinstance(clauses, Clauses) else Clauses.of_records(clauses)
    sentences = _sentences(clauses)
    return (_may_commit(text, clauses, sentences, tl), _past_and_conditions(text, clauses, sentences, tl),
            _word_ends(text, clauses, list(range(len(clauses))), tl))


# Text made of what quantities are made of: numerals of every script, units, comparator
# words, separators, brackets and spaces.
NUMERAL_CHARS = "0123456789,.零〇○Ｏ一幺二两三四五六七八九壹贰叁参肆伍陆柒捌玖十拾百佰千仟万亿廿卅点负的- "
NUMERALS = list(NUMERAL_CHARS + "－—~至到分之半成几数每第上下() 　%年元角毛间与和并且、") + [
    "百分之", "(含)", "之间", "以上", "左右", "多", "余", "不少于", "不超过"]


@pytest.fixture(scope="session")
def pieces(lex):
    words = [w for by_position in lex.targets.comparators.values() for w in by_position]
    return NUMERALS + list(lex.targets.units) + words


SETTINGS = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@needs_core
@SETTINGS
@given(data=st.data())
def test_random_quantity_text(lex, pieces, data):
    text = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=16)))
    assert _quantities(text, lex, "core") == _quantities(text, lex, "python")


@needs_core
@SETTINGS
@given(st.text(alphabet=NUMERAL_CHARS, max_size=14))
def test_random_numerals(text):
    try:
        expected = parse_number(text)
    except NumberError as exc:
        expected = str(exc)
    try:
        got = core._core.parse_number(text)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


@needs_core
def test_a_document_extracts_the_same_with_either_engine(lex):
    text = "到2025年,全县新建幼儿园3所,新增学位不少于1200个,专任教师本科以上学历比例达到85%以上。"
    doc = process_text(text, lex)
    fast, slow = _both(lambda: extract(doc, lex).targets)
    assert fast == slow and [t.mention for t in fast] == ["3所", "不少于1200个", "85%以上"]


# The lists of targets.yaml compiled in the core (fancy-regex) against the regex module: every
# match with its named group, every span, every match at a given start.
PATTERN_LISTS = {"deadlines": "y", "windows": "q", "duty_deadlines": "d", "not_targets": None,
                 "not_targets_at_numbers": None}


def _pattern_hits(tl, text: str, pos: int, endpos: int, starts: list[int]) -> dict:
    out = {}
    for name, group in PATTERN_LISTS.items():
        patterns = getattr(tl, name)
        found = [(m.span(), m.group(), group and (m.span(group), m[group]))
                 for m in patterns.finditer(text, pos, endpos)]
        out[name] = (found, patterns.spans(text, pos, endpos), patterns.match_spans(text, starts, endpos),
                     patterns.which_in_each(text, starts, [endpos] * len(starts)))
    return out


@needs_core
def test_lexicon_patterns_match_alike_in_every_clause(lex):
    """Each clause of the seeds and the development notices, searched as the rules search it
    (inside the whole text: a look-behind sees the clause before), and each whole notice."""
    total = 0
    for path in _notices():
        doc = process_text(path.read_text(encoding="utf-8"), lex)
        text = doc.structured.normalized.text
        for c in doc.clauses:
            starts = [i for i in range(c.start, c.end) if text[i].isdigit() or text[i] in "一二三四五六七八九十两"]
            fast, slow = _both(lambda: _pattern_hits(lex.targets, text, c.start, c.end, starts))  # noqa: B023
            assert fast == slow, (path.name, text[c.start:c.end])
            total += sum(len(found) for found, *_ in fast.values())
        whole = [getattr(lex.targets, name) for name in PATTERN_LISTS] + [lex.units.patterns]
        fast, slow = _both(lambda: [p.spans(text, 0, len(text)) for p in whole] + [_explained(text, lex.targets)])  # noqa: B023
        assert fast == slow, path.name
    assert total > 500  # the lists do find things (930 matches): the comparison is not between empty lists


@needs_core
def test_indicator_terms_and_contexts_are_found_alike(lex):
    """The first indicator, in a given order, whose terms (or context) match a string of its
    own (`_with_indicator_ids`): every clause of the notices and every target's indicator, the
    indicators in their order, reversed, and every other one."""
    terms, contexts, _, _ = _indicator_patterns(lex.targets.indicators)
    texts = []
    for path in _notices():
        doc = process_text(path.read_text(encoding="utf-8"), lex)
        text = doc.structured.normalized.text
        texts += [text[c.start:c.end] for c in doc.clauses]
        texts += [t.indicator for t in extract(doc, lex).targets if t.indicator]
    for patterns in (terms, contexts):
        every = list(range(len(patterns)))
        for order in (every, every[::-1], every[1::2]):
            fast, slow = _both(lambda: patterns.first_matching(texts, [order] * len(texts)))  # noqa: B023
            assert fast == slow
            assert sum(k is not None for k in fast) > 50  # not a comparison of empty lists


@needs_core
def test_unit_type_and_indicator_patterns_match_alike(lex):
    """The unit types (one list) and the single patterns of the indicators (terms, context)
    over every fourth clause: search, match at its start, and every match."""
    singles = [p for i in lex.targets.indicators for p in (i.terms, i.context) if p is not None]

    def hits(text, c):
        out = []
        for p in singles:
            first, at_start = p.search(text, c.start, c.end), p.match(text, c.start, c.end)
            out.append((first and first.span(), at_start and at_start.span(),
                        [m.span() for m in p.finditer(text, c.start, c.end)]))
        types = lex.units.patterns
        out.append((types.firsts(text, c.start, c.end), types.firsts(text[c.start:c.end]),
                    types.spans(text, c.start, c.end)))
        return out

    total = 0
    for path in _notices():
        doc = process_text(path.read_text(encoding="utf-8"), lex)
        text = doc.structured.normalized.text
        for c in doc.clauses[::4]:
            fast, slow = _both(lambda: hits(text, c))  # noqa: B023 - called at once
            assert fast == slow, (path.name, text[c.start:c.end])
            total += sum(len(every) for _, _, every in fast)
    assert total > 500


@pytest.fixture(scope="session")
def pattern_pieces(lex):
    """What the lists' patterns are made of: their own words, numerals, units, and the
    punctuation and newlines around them."""
    words = {w for name in PATTERN_LISTS for source in getattr(lex.targets, name).sources
             for w in regex.findall(r"\p{Han}+", source)}
    return sorted(words) + NUMERALS[:40] + list(lex.targets.units)[:60] + list(",;。:\n\n/()“”") + ["2025", "12"]


@needs_core
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_text_matches_the_lexicon_patterns_alike(lex, pattern_pieces, data):
    text = "".join(data.draw(st.lists(st.sampled_from(pattern_pieces), max_size=14)))
    pos = data.draw(st.integers(0, len(text)))
    endpos = data.draw(st.integers(0, len(text) + 2))
    starts = list(range(pos, min(endpos, len(text))))
    fast, slow = _both(lambda: _pattern_hits(lex.targets, text, pos, endpos, starts))
    assert fast == slow


@needs_core
def test_a_pattern_list_reads_a_text_as_the_regex_module_does():
    patterns = core.PatternList([r"(?<=到)(?P<y>20[0-9]{2})年", r"底$", r"[$]"])
    text = "力争到2025年底\n"
    for engine in ("core", "python"):
        with core.using(engine):
            assert [m.span("y") for m in patterns.finditer(text, 3, 8)] == [(3, 7)], engine  # 到 is seen before pos
            assert patterns.spans(text, 0, 6) == [], engine  # nothing after endpos is seen
            assert patterns.spans(text, 0, 10) == [(3, 8), (8, 9)], engine  # $: before the final newline
            assert patterns.match_spans(text, [2, 3], 10) == [(3, 8)], engine
            # range by range, then pattern by pattern; a range ending at the text's end sees the final $
            assert patterns.firsts_in_each(text, [0, 3, 8], [6, 10, 10]) == [
                None, None, None, (3, 8), (8, 9), None, None, (8, 9), None], engine
            assert patterns.spans_in_each(text, [0, 2, 9], [10, 8, 10]) == [[(3, 8), (8, 9)], [(3, 8)], []], engine


@needs_core
@pytest.mark.parametrize(("pattern", "sets"), [
    (r"同比(?:增长|下降)", [["同"], ["比"], ["下", "增"]]),  # each literal character; one of each branch's
    (r"(?<![0-9])[0-2]?[0-9]\s*[:：]", [[":", "："], list("0123456789")]),  # not the optional class
    (r"(?<=前)后", [["后"]]),  # a look-behind may see before the stretch: it requires nothing
    (r"一(?!个)\p{Han}", [["一"]]),  # \p{Han}: too many characters to rule anything out
    (r"甲乙丙丁戊", [["甲"], ["乙"], ["丙"], ["丁"]]),  # four sets at most
    (r"x{2,}", [["x"]]),
    (r"a?b*", []), (r"(?:甲|乙?)", []), (r"(?i)abc", []), (r"[^,;]", []),  # may match without any of a few
])
def test_the_screen_reads_what_every_match_holds(pattern, sets):
    """A list's patterns are searched in a stretch only if it holds a character of each of
    their sets (core/src/screen.rs): 31 not-targets around every quantity, most with
    nothing to find. The engine comparisons above are what shows no match is lost."""
    assert core._core.required_chars(pattern) == sets


@pytest.fixture(scope="session")
def codebook_pieces(lex):
    words = sorted({w for book in lex.codebooks for c in book.categories for w in (*c.terms, *c.negative)})
    # The words that put a sentence in a codebook's sector, and those that open a grant.
    rules = sorted({w for book in lex.codebooks for w in (*book.domain_terms, *book.grant_openers)})
    return words + rules + list("“”《》\"。,;、\n的和对") + ["教育局", "财政局", "(一)", "一、", "二、", "1."]


# What time phrases are made of: years in each script, dates, the words around deadlines,
# periods and their numbers, and what ends or opens a clause.
TIME_PIECES = [
    "2025", "2030", "1999", "2201", "二〇二五", "二零三五", "两千零五", "一九九九", "12", "3", "十", "半",
    "年", "月", "日", "号", "底", "末", "前", "以前", "之前", "上半年", "中旬", "学年", "学年度", "-", "至",
    "到", "截至", "于", "力争", "争取", "在", "基础上", "秋季", "开学", "17:00", "每", "隔", "每隔", "每年",
    "每年度", "每半年", "每个月", "每3", "每隔两", "每学期", "每周", "年均", "天", "个星期", "全", "完成", "实现",
    ",", ";", " ", "。", "\n"]


@needs_core
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_time_phrases_are_read_alike(lex, data):
    """Deadline phrases (with their years), bare years and periods, clause by clause."""
    text = "".join(data.draw(st.lists(st.sampled_from(TIME_PIECES), max_size=16)))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
    fast, slow = _both(lambda: times_found(text, [0, *cuts], [*cuts, len(text)], lex.targets))
    assert fast == slow


def _exclusions(text: str, clauses, quantities: dict, tl) -> dict:
    """clause seq → its excluded spans, in order (the engines list them in different orders)."""
    clauses = clauses if isinstance(clauses, Clauses) else Clauses.of_records(clauses)
    seqs = list(range(len(clauses)))
    found = _exclusions_of(text, clauses, seqs, quantities, _covered(text, clauses, seqs, tl), tl)
    return {seq: sorted(spans) for seq, spans in found.items()}


def _random_clauses(data, pieces: list[str], size: int, cuts: int, sentence=lambda i: 0) -> tuple[str, list]:
    """A text of at most `size` pieces drawn from `pieces`, cut at up to `cuts` places into
    clauses (clause i in sentence `sentence(i)`)."""
    text = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=size)))
    at = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=cuts)))
    spans = zip([0, *at], [*at, len(text)], strict=True)
    return text, [Clause(i, 0, sentence(i), a, b, False, "", 0) for i, (a, b) in enumerate(spans)]


def _words_of(patterns) -> list[str]:
    """The words written in alternations of words (verbs, comparators …), sorted."""
    return sorted({w for p in patterns for w in regex.findall(r"[^|()?:!\\]+", p.pattern) if len(w) < 8})


@pytest.fixture(scope="session")
def exclusion_pieces(lex, pattern_pieces):
    """What excluded spans are made of besides the not-target patterns' pieces: dates,
    quotation marks, the lexicon's names, region names that hold numerals and lists of them,
    coverage words and ranges."""
    tl = lex.targets
    short = sorted(tl.numbered_places - tl.full_places)[::8]  # 三台, 九台: alone, maybe three stages
    listed = [f"通化、{name}" for name in short] + [f"{name}、龙井" for name in short]
    places = short + listed + sorted(tl.full_places)[:20]
    return pattern_pieces + TIME_PIECES + places + sorted(tl.names.names)[:30] + [
        "“", "”", "《", "》", "\"", "、", "至", "一两", "两三", "全覆盖", "翻一番", "三", "九", "县", "区",
        "点", "3点5", "三点五", "12点30"]


@needs_core
def test_numbers_before_not_target_words_are_excluded_alike(lex):
    """The core reads a number once and tries the rest of each number-first not-target after
    each place it can end (a decimal part longest first, then none): every form of number
    before every kind of ending."""
    numbers = ["3", "三", "3点5", "三点五", "3点", "12点305", "1,200点5", "十二点五万", "二〇二五"]
    endings = ["个方面", "类人员", "位一体", "年行动计划", "年义务教育", "个百分点以上的", "万元以上的企业,",
               "至5年级", "个组别", "人以下等", "点五个方面", ""]
    for number in numbers:
        for ending in endings:
            text = f"明确{number}{ending}"
            clauses = [Clause(0, 0, 0, 0, len(text), False, "", 0)]
            with core.using("python"):
                quantities = {0: clause_quantities(text, [(0, len(text))], lex.targets)[0]}
            fast, slow = _both(lambda: _exclusions(text, clauses, quantities, lex.targets))  # noqa: B023
            assert fast == slow, text


@needs_core
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_text_excludes_the_same_numbers(lex, exclusion_pieces, data):
    """Dates, quoted and region names, names outside ranges, not-target patterns near the
    quantities: the same spans, clause by clause."""
    text, clauses = _random_clauses(data, exclusion_pieces, 16, 3)
    with core.using("python"):
        found = clause_quantities(text, [(c.start, c.end) for c in clauses], lex.targets)
    quantities = {c.seq: qs for c, qs in zip(clauses, found, strict=True)}
    fast, slow = _both(lambda: _exclusions(text, clauses, quantities, lex.targets))
    assert fast == slow


def _indicators(text: str, clauses, tl) -> list:
    """(indicator, rule) of every quantity of every clause, asked as `_clause_targets` asks:
    from where the quantity's segment starts (after the one before), with the comparator
    word before it (`_comparators`) and the clause's noun phrase boundaries."""
    clauses = clauses if isinstance(clauses, Clauses) else Clauses.of_records(clauses)
    with core.using("python"):
        found = clause_quantities(text, list(zip(clauses.start, clauses.end, strict=True)), tl)
        words = _word_ends(text, clauses, list(range(len(clauses))), tl)
    out = []
    for clause, quantities in zip(clauses, found, strict=True):
        boundaries = sorted({clause.start, *words[clause.seq], *(q.end for q in quantities)})
        for i, (q, (_, gap_start)) in enumerate(zip(quantities, _comparators(text, clause, quantities, tl),
                                                    strict=True)):
            seg_start = _after_separator(text, quantities[i - 1].end) if i else clause.start
            fast = _core_phrases(tl).indicator(text, (clause.start, clause.end), (q.start, q.end), seg_start,
                                               gap_start, boundaries)
            slow = _indicator(text, clause, q, seg_start, gap_start, boundaries, tl)
            assert fast == slow, (text[clause.start:clause.end], q.start)
            out.append(fast)
    return out


def _comparators(text: str, clause, quantities: list, tl) -> list:
    """(comparator, gap start) of each of a clause's quantities, each read from where the one
    before it ended, both engines alike."""
    out = []
    for i, q in enumerate(quantities):
        previous_end = quantities[i - 1].end if i else None
        slow = _comparator(text, clause, q, previous_end, tl)
        # The core reads the word before an amount that has no comparator of its own.
        fast = _core_phrases(tl).comparator(text, clause.start, previous_end, q.start) if q.comparator == "eq" else slow
        assert fast == slow, (text[clause.start:clause.end], q.start)
        out.append(fast)
    return out


@needs_core
def test_every_quantity_of_the_development_notices_measures_the_same(lex):
    """The noun phrase a quantity measures (`_indicator`), for every quantity of every clause
    of the seeds and the development notices, whether or not it becomes a target."""
    if not (DEVSET / "docs").is_dir():
        pytest.skip("../shared/devset is not beside this checkout")
    rules = Counter()
    for path in _notices():
        doc = process_text(path.read_text(encoding="utf-8"), lex)
        rules.update(rule for _, rule in _indicators(doc.structured.normalized.text, doc.clauses, lex.targets))
    assert rules["np_after"] > 1000 and rules["np_before"] > 1000 and rules["no_np"] > 100, rules


@needs_core
def test_a_comparator_word_bounds_an_amount_up_to_its_reach_alike(lex):
    """不低于…5%: the word bounds the amount up to GAP_COMPARATOR characters before it, not
    inside a longer word, and not across another number (a period's, 每2年, does not part
    them): both engines, at every distance around the reach."""
    kinds = Counter()
    for filler in ("教师总数", "每2年", "2", "通过", "覆盖"):
        for n in range(0, 40, 3):
            for word in ("不低于", "超过", "不超过", "至少"):
                text = f"{word}{(filler * 40)[:n]}5%"
                with core.using("python"):
                    found = clause_quantities(text, [(0, len(text))], lex.targets)[0]
                clause = Clause(0, 0, 0, 0, len(text), False, "", 0)
                kinds.update(c for c, _ in _comparators(text, clause, found, lex.targets))
    assert kinds["ge"] and kinds["gt"] and kinds["le"] and kinds["eq"], kinds


@pytest.fixture(scope="session")
def phrase_pieces(lex, pieces):
    """What the text around a quantity is made of: verbs and noun phrase stops, trim words and
    the words kept whole, comparators, 的, quotes and brackets, rates and time windows."""
    tl = lex.targets
    return (_words_of([tl.verb_pattern, tl.np_stop_pattern])[::4] + list(tl.trim_words)[::3] + list(tl.trim_keep)
            + pieces[::3] + ["的", "的", "“", "”", "《", "》", "(", ")", "[", "]", "\"", "、", ",", ";", ":", " ",
                             "/人/天", "/月", "一周期的", "内", "之内应", "并", "后", "等工作", "给予", "奖励", "每个",
                             "教师", "学校", "覆盖率", "一次性", "计算和收取", "可申请", "最高", "不超过", "超过",
                             "通过", "不少于", "至少", "每2年", "每年", "总数的", "3", "之间"])


@needs_core
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_text_around_quantities_measures_the_same(lex, phrase_pieces, data):
    _indicators(*_random_clauses(data, phrase_pieces, 18, 2), lex.targets)


@pytest.fixture(scope="session")
def target_pieces(lex, phrase_pieces):
    """What a clause's targets are made of besides the text around a quantity: level words
    (alone, listed, shared, paying), 分别, amounts of every kind in lists, coverage and
    multiple words, a base before 的, a self-naming unit and the clause's punctuation."""
    tl = lex.targets
    return phrase_pieces[::2] + sorted(tl.levels)[::2] + sorted(tl.coverage_pattern.pattern.split("|"))[:12] + [
        "省、", "市级、县级", "国家级和省级", "市级财政", "市级工业发展资金", "分别", "分别达到", "要", "至少", "建设",
        "给予", "10家", "40家", "200万元", "100万元", "50%", "100%", "100%覆盖", "5年内", "3个工作日内", "2倍", "1次",
        "11%", "72学时", "50元/天", "以上", "、", "和", "及", "的", ",", ";", "。", "企业", "翻一番", "实现翻倍"]


@needs_core
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_clauses_give_the_same_targets(lex, target_pieces, data):
    """A clause's targets (`_clause_targets`: which amounts, their noun phrases, comparators,
    levels, lists, shared heads and coverage words) from random sentences, both engines."""
    sentences = ["".join(data.draw(st.lists(st.sampled_from(target_pieces), min_size=1, max_size=14)))
                 for _ in range(data.draw(st.integers(1, 3)))]
    with core.using("python"):
        try:
            doc = process_text("一、发展目标\n" + "。".join(sentences) + "。", lex)
        except InputError:
            return  # a text the reading stages refuse: nothing to compare
    fast, slow = _both(lambda: extract_targets(doc, lex))
    assert fast == slow


def _clause_targets(text: str, clauses: list, tl) -> list:
    """The targets of every clause that holds a quantity or a coverage word, its inputs read
    as `extract_targets` reads them (the clauses one sentence), both engines alike."""
    clauses = Clauses.of_records(clauses)
    seqs = list(range(len(clauses)))
    with core.using("python"):
        found = dict(enumerate(clause_quantities(text, list(zip(clauses.start, clauses.end, strict=True)), tl)))
        covered = _covered(text, clauses, seqs, tl)
        exclusions = _exclusions_of(text, clauses, seqs, found, covered, tl)
        words = _word_ends(text, clauses, list(exclusions), tl)
    sentence = _Sentence(0, 0, clauses.run(0, len(clauses)))
    out = []
    for seq in exclusions:
        clause, quantities = clauses[seq], found[seq]
        with core.using("python"):
            windows = _windows(text, clause, quantities, tl)
        ask = (text, clause, sentence, seq, quantities, [], [], windows, exclusions[seq], words[seq], seq in covered,
               tl)
        fast, slow = _both(lambda: _clause_targets_of(*ask))  # noqa: B023 - called at once
        assert fast == slow, text[clause.start:clause.end]
        out += fast
    return out


@needs_core
@pytest.mark.parametrize(("text", "cut", "indicator"), [
    ("按照3至6年一周期,对校长开展任期结束综合评估", 9, "任期结束综合评估"),  # after the next clause's last verb
    ("按照3至6年一周期,对校长开展评", 9, "对校长开展评"),  # one character after it: the whole clause
    ("课时占总课时的 11%开设美育课程", None, "美育课程"),  # a base before 的, a space between
])
def test_what_another_clause_or_the_verb_after_names_is_read_alike(lex, text, cut, indicator):
    spans = [(0, cut), (cut, len(text))] if cut else [(0, len(text))]
    clauses = [Clause(i, 0, 0, a, b, False, "", 0) for i, (a, b) in enumerate(spans)]
    assert [t.indicator for t in _clause_targets(text, clauses, lex.targets)] == [indicator]


@needs_core
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_clauses_read_as_they_come_give_the_same_targets(lex, target_pieces, data):
    """The same as random sentences, on the text as written (spaces, brackets and all), its
    clauses cut anywhere: what a clause before or after names, a base before 的 and spaces."""
    _clause_targets(*_random_clauses(data, [*target_pieces, " ", "  "], 16, 3), lex.targets)


@pytest.fixture(scope="session")
def word_pieces(lex, pattern_pieces):
    """What the sentence and clause words are made of: verbs, comparators, periods, words of
    the past and of conditions, coverage words, numerals and punctuation."""
    tl = lex.targets
    sources = [tl.verb_pattern, tl.comparator_patterns["before"], tl.period_pattern, tl.past_pattern,
               tl.condition_pattern, tl.coverage_pattern]
    return _words_of(sources)[::3] + pattern_pieces[::4] + list(",:;。,的")


@needs_core
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_sentences_and_clauses_hold_the_same_words(lex, word_pieces, data):
    text, clauses = _random_clauses(data, word_pieces, 16, 4, sentence=lambda i: i // 2)
    fast, slow = _both(lambda: _clause_words(text, clauses, lex.targets))
    assert fast == slow


@needs_core
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_codebook_text(lex, codebook_pieces, data):
    """Terms inside, across and beside quoted names, negatives, nested terms, headings,
    sector words and grants."""
    text = "".join(data.draw(st.lists(st.sampled_from(codebook_pieces), min_size=1, max_size=30)))
    try:
        doc = process_text(text, lex)
    except Exception:  # noqa: BLE001 - text that is no notice: nothing to code
        return
    fast, slow = _both(lambda: extract(doc, lex).categories)
    assert fast == slow


SEGMENT_PIECES = list("。！？；!?;,，:：、 |\n()[]〔〕【】《》“”‘’\"<>{}「」0123456789") + [
    "同时", "此外", "(一)", "一、", "1.", "第一条", "责任单位:", "〔责任单位:县教育局〕", "(市科委负责落实)",
    "序号|工作任务|责任单位", "教育局", "学校", "发展", "10,000", "17:00", "x" * 700, "、" * 3]


@needs_core
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_text_is_cut_into_the_same_clauses(lex, data):
    """Brackets (matched, crossed, unclosed), quotes of two input methods, delimiters
    between digits, tags, connectives and clauses longer than the limit."""
    text = "".join(data.draw(st.lists(st.sampled_from(SEGMENT_PIECES), min_size=1, max_size=40)))
    try:
        structured = process_text(text, lex).structured
    except Exception:  # noqa: BLE001 - text that is no notice: nothing to cut
        return
    fast, slow = _both(lambda: segment(structured, lex).clauses)
    assert fast == slow


UNIT_NAMES = [
    "市教育局", "县财政局", "教育局", "学校", "各乡镇人民政府", "县委组织部", "人力资源和社会保障局", "市文广新局",
    "市民政局", "各区", "县级市", "各市", "县", "区", "乡镇", "有关部门", "各中小学", "中共县委", "自治区教育厅",
    "园区管委会", "市文广新局市民政局", "县政府及园区管委会", "各县(市、区)人民政府", "“市教育局”", "工作"]
SUBJECT_GLUE = ["、", ",", ";", "和", "及", " ", "", "(", ")"]
SUBJECT_TAILS = ["", "", "等有关部门", "等相关单位", "等部门和单位", "具体实施", "组织实施", "按职责分工负责", " "]
SUBJECT_LEADS = ["", "", "由", "请", "并", "同时", "各", "有关"]
CUES = ["负责", "要", "牵头", "会同", "设立", "支持", "对", "在", "开展", ""]


@st.composite
def subjects(draw) -> str:
    """A clause opening with a list of units (or not quite): lead, names, glue, tail, cue."""
    names = draw(st.lists(st.sampled_from(UNIT_NAMES), min_size=1, max_size=4))
    glue = [draw(st.sampled_from(SUBJECT_GLUE)) for _ in names]
    listed = "".join(n + g for n, g in zip(names, glue, strict=True)).rstrip("、,;和及 ")
    return (draw(st.sampled_from(SUBJECT_LEADS)) + listed + draw(st.sampled_from(SUBJECT_TAILS))
            + draw(st.sampled_from(CUES)) + draw(st.sampled_from(["工作。", "", "10所学校", "学校"])))


@needs_core
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(subjects(), min_size=1, max_size=4))
def test_random_subjects_name_the_same_units(lex, texts):
    """Units named as a clause's subject (`市教育局、县财政局负责…`): lists cut at separators
    outside brackets, 各 over levels, units joined by 及 or glued, tails, leads, prefixes."""
    text = "".join(texts)
    clauses, at = [], 0
    for seq, piece in enumerate(texts):
        clauses.append(Clause(seq=seq, paragraph_seq=0, sentence_seq=seq, start=at, end=at + len(piece),
                              is_heading=False, section_path="", section_level=0))
        at += len(piece)
    fast, slow = _both(lambda: _subjects(text, Clauses.of_records(clauses), list(range(len(clauses))), lex.units))
    assert fast == slow


CHARACTER_PIECES = [*"教育局陜西,，。：；（）！？ＡＢ１２　\u00a0\u2003﹐﹑｡､ ab\n\t", "\U00020000", "𠀀字", "ゥ" * 30]


LINE_PIECES = ["萬人", "园区", "發展", "abc", " ", "  ", "\t", "\u3000", "\xa0", "\x1c", "(wàn)", "（fā zhǎn）", "(ok)",
               "[繁体:園]", "【繁體：發】", "(", ")", "“", "”", "。", ",", "、", "2025", "年", "-"]


@needs_core
@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_random_lines_are_assembled_alike(data):
    """A body put together from kept lines: whitespace near Chinese text and glosses
    dropped, other whitespace folded, the Simplified twin and every raw offset."""
    chunks = data.draw(st.lists(st.lists(st.sampled_from(LINE_PIECES), min_size=1, max_size=5).map("".join),
                                max_size=6))
    raw = "\n".join(chunks)  # a line break between lines: it is no part of either
    simp = raw.translate(str.maketrans("萬園發體", "万园发体"))  # the twin: the same length
    lines, at = [], 0
    for chunk in chunks:
        lines.append(_Line(at, at + len(chunk), simp[at:at + len(chunk)]))
        at += len(chunk) + 1
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=len(lines), max_size=len(lines)))
    paragraphs, at = [], 0
    for size in sizes:
        if at < len(lines):
            paragraphs.append(lines[at:at + size])
            at += size
    lines = [line for lines in paragraphs for line in lines]
    opens = [i == 0 for lines in paragraphs for i in range(len(lines))]
    fast = _assembled(raw, simp, [ln.start for ln in lines], [ln.end for ln in lines], opens)
    assert fast == _assemble_lines(raw, simp, paragraphs)


# What page lines are made of: every line break, spaces (\x1f is one to str.isspace and
# breaks no line), bullets, the chrome lexicon's labels, widgets and footers, a glued
# table's word, sentence ends, and stretches long enough to make a line of a whole notice.
PAGE_PIECES = [*clean.LINE_BREAKS, "\r\n", " ", "\t", "\u3000", "\xa0", "\x1f", "-", "•", "* ", "● ", "索引号",
               "索 引 号", "发布日期", ":", "：", "2025年5月", "打印本页", "返回", "【", "】", "关闭", "×", "字体",
               "大", "版权所有", "联系电话", "首页>", "属性", "序号", "指标", "1", "预期性", "各学校要加强管理", "。",
               ";", "教育局", "学" * 480, "各地" * 260]


def _page_lines(raw: str, lex) -> tuple:
    """Both engines' lines of a page and their kinds."""
    simp = t2s(raw)
    def lines_and_kinds():
        if not core.enabled():
            lines = clean._python_lines(raw, simp, lex)
            return lines, clean._python_kinds(lines, lex)
        lines = clean._lines_of(raw, simp, clean._core_lines(lex).split(raw, simp), lex)
        kinds = clean._core_lines(lex).kinds(simp, [ln.start for ln in lines], [ln.end for ln in lines])
        return lines, [("body", "chrome")[k] for k in kinds]

    return _both(lines_and_kinds)


@needs_core
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_pages_are_cut_into_the_same_lines(lex, data):
    """Lines cut at every break, trimmed of spaces and bullets, read as chrome (labels, a
    label's value on the next line, widgets, islands between chrome) or body; lines of a
    whole notice or a glued table handed to the Python rules."""
    fast, slow = _page_lines("".join(data.draw(st.lists(st.sampled_from(PAGE_PIECES), max_size=24))), lex)
    assert fast == slow


@needs_core
@pytest.mark.parametrize(("page", "kinds"), [
    ("打印本页\n十个字的一行文字内容\n返回", ["chrome"] * 3),  # an island of MAX_ISLAND characters
    ("打印本页\n十一个字的一行文字内容\n返回", ["chrome", "body", "chrome"]),
    ("索引号:\n教育局2025年\n各学校要加强管理", ["chrome", "chrome", "body"]),  # the value of a label alone
    ("索引号:\n各学校要切实加强美育工作管理。\n返回", ["chrome", "body", "chrome"]),  # a sentence: no value
    ("索引号:11\n教育局\n各学校要加强管理", ["chrome", "body", "body"]),  # the label had its value
    ("• 各学校要加强管理\n- \n●", ["body", "chrome", "chrome"]),  # a bullet trimmed; a lone one is chrome
])
def test_page_lines_are_read_alike(lex, page, kinds):
    fast, slow = _page_lines(page, lex)
    assert fast == slow and fast[1] == kinds


# What a page's body is made of beyond its lines: headings that open paragraphs, lines a
# PDF broke (no final punctuation, or a sentence that ended inside), titles (…方案, …年)),
# signature dates, table rows and empty cells, traditional characters, entities.
BODY_PIECES = [*PAGE_PIECES, "\n", "\n", "一、", "(二)", "1.", "第三条", "总体要求", "实施方案", "(2021-2025年)",
               "各地要" * 14, "2021年6月3日", "印发", "|", "——", "、", ",", "。", "萬人", "&quot;", "發展"]


def _cleaned(raw: str, media_type: str, lex):
    """clean's text, twin, offsets and header of a page, or the error it raises."""
    decoded = Decoded(Source.of("page", raw.encode("utf-8")), raw, "utf-8", media_type)
    try:
        c = clean.clean(decoded, lex)
    except InputError as exc:
        return str(exc)
    return c.text, c.simplified, list(c.raw_offsets), c.header


@needs_core
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_pages_are_cleaned_alike(lex, data):
    """A page made paragraphs in the core's one call: the main block of a web page, the
    text lost to chrome, runs printed twice, lines a PDF broke joined (and a layout's kept
    apart), the header, the body's twin and offsets."""
    chunks = data.draw(st.lists(st.lists(st.sampled_from(BODY_PIECES), max_size=8).map("".join), max_size=8))
    repeated = data.draw(st.lists(st.integers(0, 7), max_size=3))  # a run printed twice
    raw = "\n".join(chunks + [chunks[i] for i in repeated if i < len(chunks)])
    media_type = data.draw(st.sampled_from(["text", "html", "pdf", "docx"]))
    fast, slow = _both(lambda: _cleaned(raw, media_type, lex))
    assert fast == slow


@needs_core
@pytest.mark.parametrize(("page", "media_type"), [
    ("首页>通知\n关于印发实施方案的通知\n各地要加强管理,\n做好工作。\n返回", "html"),
    ("一、总体要求\n各地要" + "加强管理" * 12 + "\n确保各项工作落实到位。", "text"),
    ("各学校要把美育工作摆在更加突出的位置抓紧抓好\n各学校要把美育工作摆在更加突出的位置抓紧抓好", "text"),
    ("工作方案\n(2021-2025年)\n——\n|1|教育局", "pdf"),
])
def test_pages_are_cleaned_alike(lex, page, media_type):
    fast, slow = _both(lambda: _cleaned(page, media_type, lex))
    assert fast == slow


HEADING_PIECES = ["一、", "二、", "十一、", "(一)", "(十二)", "1.", "12.", "1.1", "(1)", "1)", "①", "第一章",
                  "第三条", "第二部分", "附件", "附件1", "一", "二", "3", "、", ".", "(", ")", " ", "　", "总体要求",
                  "工作目标", "。", ",", ":", "\n"]


@needs_core
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(HEADING_PIECES), max_size=12).map("".join))
def test_random_lines_open_with_the_same_headings(lex, text):
    """Which heading family's marker opens each line, and where it ends."""
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    fast, slow = _both(lambda: _headings(text, spans, lex))
    assert fast == slow


@needs_core
@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(CHARACTER_PIECES), max_size=400).map("".join))
def test_character_passes_read_text_alike(text):
    """Folding punctuation, counting Chinese characters by line and the most common
    character: the core's one pass gives what the Python rules give, astral characters too."""
    padded = text + "教" * FOLD_IN_CORE  # long enough for the core's pass
    fast, slow = _both(lambda: fold_punctuation(padded))
    assert fast == slow
    bounds = sorted({0, len(text), *(i for i, c in enumerate(text) if c == "\n")})
    lines = [_Line(a, b, text[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    assert core.han_counts(text, [ln.start for ln in lines], [ln.end for ln in lines]) == _han_counts(text, lines)
    for sample in (text, "ゥ" * len(text) + text[:len(text) // 20]):  # the second is one character
        if sample:
            (char, n), (python_char, python_n) = _both(lambda: _most_common(sample))  # noqa: B023
            assert n == max(Counter(sample).values()) == sample.count(char)
            if n > MAX_ONE_CHAR_SHARE * len(sample):  # what the binary check reads: the same
                assert (char, n) == (python_char, python_n)


@needs_core
@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(CHARACTER_PIECES), max_size=200).map("".join),
       spans=st.lists(st.tuples(st.integers(0, 260), st.integers(0, 260)), max_size=30))
def test_string_columns_slice_as_python_does(text, spans):
    """A clauses table's texts and ids built in the core read as the Python slices and
    f-strings they replace: astral characters, spans past the end or reversed too."""
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    column = core.slices(text, starts, ends)
    column.validate(full=True)
    assert column.to_pylist() == [text[a:b] for a, b in spans]
    prefix = f"{text[:3]}-"
    assert core.numbered(prefix, len(spans), 5).to_pylist() == [f"{prefix}{i:05d}" for i in range(len(spans))]


@needs_core
def test_ids_past_five_digits_grow_as_python_formats_them():
    ids = core.numbered("d-", 100_001, 5)
    assert ids[0].as_py() == "d-00000" and ids[99_999].as_py() == "d-99999" and ids[100_000].as_py() == "d-100000"



@needs_core
def test_the_cores_han_class_is_the_regex_modules_at_every_code_point():
    """`\\p{Han}` in the core is read off the regex crate's Unicode ranges once per
    process; at every code point of the BMP it says what the regex module says. Beyond it,
    the regex module follows a newer Unicode: the few thousand ideographs added since are
    Han to it only, as they were when the core matched the class at each code point."""
    text = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    counts = core.han_counts(text, list(range(len(text))), list(range(1, len(text) + 1)))
    han = {m.start() for m in regex.finditer(r"\p{Han}", text)}
    found = {i for i, n in enumerate(counts) if n}
    assert found <= han and len(found) > 90_000  # the BMP's ideographs and the astral extensions
    assert all(ord(text[i]) > 0xFFFF for i in han - found) and len(han - found) < len(han) // 20

def test_the_version_says_which_engine_runs(monkeypatch):
    expected = "compiled core" if os.environ.get("POLICY_PIPELINE_ENGINE", "core") == "core" else "Python rules"
    result = cli("--version", check=True)
    assert result.stdout.startswith(f"policy-pipeline, version {pipeline.__version__} ({expected}")
    monkeypatch.setenv("POLICY_PIPELINE_ENGINE", "python")
    assert "(Python rules: POLICY_PIPELINE_ENGINE=python" in cli("--version", check=True).stdout
