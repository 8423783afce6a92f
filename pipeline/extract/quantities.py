"""Quantities: number + unit + comparator spans in a text.

Takes normalized text (Simplified, punctuation folded) and the target lexicon, gives
`Quantity` spans: `不少于5支` (5, 支, ge), `3-5名` (3–5, 名, range), `98%以上` (98, %, ge),
`百分之九十` (90, %), `1.5万平方米` (15000, 平方米), `三五百` (300–500), `500名左右`
(500, approx). Units and comparator words come from lexicons/units.tsv and
comparators.tsv; the grammar is one production per shape, tried at each number:

    [comparator-before] NUMBER [unit] [range-sep NUMBER] [余|多] UNIT [半] [comparator-after]

Values are as written with 万/亿 multiplied out; `base_value` converts to the unit's base
(亩 → 平方米, 公里 → 米) for the targets table.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

import regex

from .. import core, regexes
from ..lexicons import TargetLexicon, Unit, derived
from .numbers import ANY_NUMERAL, NUMERAL, Number, NumberError, find_numbers, parse_number

RANGE_SEP = regexes.compile(r"\s*(?:\(含\))?\s*(?:至|到|——|--|—|–|-|~|－)\s*")
BETWEEN = regexes.compile(r"\s*(?:与|和|到)\s*")
BETWEEN_END = regexes.compile(r"\s*(?:之间|间)")
FILLER = regexes.compile(r"(?:了|为|是|有|达|在)?\s*$")
PERCENT_PREFIX = regexes.compile(
    r"(?P<neg>负的?)?(?P<p>百|千|万|仟)分之?(?=负?[0-9零〇一二两三四五六七八九十百壹贰叁肆伍陆柒捌玖拾佰])")
HALF_UNIT = regexes.compile(r"(?<!每|[上下]|[0-9]|[一二三四五六七八九十])半(?=\S)")
ADJACENT = regexes.compile(r"(?P<a>[一两二三四五六七八九])(?P<b>[两二三四五六七八九])(?P<m>[十百千万亿]*)")
_ADJACENT_VALUE = {c: i + 1 for i, c in enumerate("一二三四五六七八九")} | {"两": 2}  # 一两项, 两三个: 1–2, 2–3
BOUND_JOIN = regexes.compile(r"\s*(?:的同时|并且|并|且|而且|而|同时|,|，|、)?\s*")
HALF = regexes.compile(r"半")
MONEY_TAIL = regexes.compile(r"(?P<jiao>[0-9一二三四五六七八九])\s*[角毛](?:(?P<fen>[0-9一二三四五六七八九])\s*分)?")
CHENG_WORD = regexes.compile(r"[为立功长果绩员本就熟效型才年人绩品]")  # 成为, 成立 … are verbs, not tenths


_new = object.__new__  # see model._new


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    value: float
    value_max: float | None
    unit: Unit | None
    comparator: str  # eq ge gt le lt range approx
    percent: bool = False  # written 百分之/千分之 (unit %)
    rule: str = "quantity"

    @classmethod
    def of(cls, start: int, end: int, value: float, value_max: float | None, unit: Unit | None, comparator: str,
           percent: bool, rule: str) -> Quantity:
        """The same record as `Quantity(…)`, made without the generated __init__ (as
        model.Clause.of): the core's candidates, made by the thousand, 0.4 µs against 1.0."""
        record = _new(cls)
        record.__dict__.update(start=start, end=end, value=value, value_max=value_max, unit=unit,
                               comparator=comparator, percent=percent, rule=rule)
        return record

    @property
    def kind(self) -> str | None:
        if self.percent:
            return "percentage"
        return self.unit.kind if self.unit else None

    @property
    def unit_name(self) -> str | None:
        return "%" if self.percent else (self.unit.unit if self.unit else None)

    def base(self) -> tuple[float, float | None, str | None]:
        """(value, value_max, unit) in the base unit of the unit's kind."""
        if self.unit is None or self.percent:
            return self.value, self.value_max, self.unit_name
        f = self.unit.factor
        vmax = None if self.value_max is None else _round(self.value_max * f)
        return _round(self.value * f), vmax, self.unit.base


def _round(x: float) -> float:
    return float(round(x, 2)) if abs(x - round(x)) > 1e-9 else float(round(x))


def find_quantities(text: str, lex: TargetLexicon) -> list[Quantity]:
    """Every quantity in `text`, left to right, non-overlapping."""
    if core.enabled():
        return clause_quantities(text, [(0, len(text))], lex)[0]
    return _find_quantities(text, lex)


def clause_quantities(text: str, spans: list[tuple[int, int]], lex: TargetLexicon) -> list[list[Quantity]]:
    """The quantities of each clause `text[start:end]` (offsets in `text`)."""
    found = quantities_found(text, [s for s, _ in spans], [e for _, e in spans], lex)
    return [found.get(i, []) for i in range(len(spans))]


def quantities_found(text: str, starts: list[int], ends: list[int], lex: TargetLexicon) -> dict[int, list[Quantity]]:
    """i → the quantities of the clause text[starts[i]:ends[i]], for the clauses that have any
    (most clauses read have none: 一 in 进一步 is a numeral): one call to the compiled core
    for a whole notice, or `find_quantities` clause by clause."""
    out: dict[int, list[Quantity]] = {}
    if not core.enabled():
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if found := [_shifted(q, start) for q in _find_quantities(text[start:end], lex)]:
                out[i] = found
        return out
    try:
        clause, found_starts, found_ends, values, maxes, units, comparators, percents, rules = \
            core.compiled(lex).quantities(text, starts, ends)
    except ValueError as exc:  # a numeral the rules cannot read (一十十): as find_quantities raises it
        raise NumberError(str(exc)) from None
    unit_of = core.unit_list(lex)
    for i, c in enumerate(clause):
        u, vmax = units[i], maxes[i]
        out.setdefault(c, []).append(Quantity.of(found_starts[i], found_ends[i], values[i],
                                                 None if math.isnan(vmax) else vmax, unit_of[u] if u >= 0 else None,
                                                 comparators[i], percents[i], rules[i]))
    return out


def _shifted(q: Quantity, offset: int) -> Quantity:
    return Quantity(q.start + offset, q.end + offset, q.value, q.value_max, q.unit, q.comparator, q.percent, q.rule)


def _find_quantities(text: str, lex: TargetLexicon) -> list[Quantity]:
    """The Python rules of `find_quantities` (the compiled core's reference)."""
    if not ANY_NUMERAL.search(text):
        return []
    prefixes = {m.end(): m for m in PERCENT_PREFIX.finditer(text)}
    prefix_spans = [(m.start(), m.end()) for m in prefixes.values()]
    in_prefix = {i for a, b in prefix_spans for i in range(a, b)}
    numbers = [n for n in find_numbers(text, _followers(lex)) if n.start not in in_prefix]
    # After 百分之 any numeral is a number, even a lone character (百分之八, 百分之百).
    starts = {n.start for n in numbers}
    for pos in prefixes:
        m = NUMERAL.match(text, pos)
        if m and pos not in starts:
            try:
                numbers.append(Number(parse_number(m.group()), pos, m.end(), m.group()))
            except NumberError:
                pass
    numbers.sort(key=lambda n: n.start)
    out: list[Quantity] = []
    starts = [n.start for n in numbers]
    for m in ADJACENT.finditer(text):
        q = _adjacent(text, m, lex) if _adjacent_ok(m, numbers, starts) else None
        if q is not None:
            out.append(q)
    taken = {i for q in out for i in range(q.start, q.end)}
    numbers = [n for n in numbers if n.start not in taken]
    by_start = {n.start: n for n in numbers}
    consumed = -1
    for n in numbers:
        if n.start < consumed:
            continue
        q = _quantity(text, n, by_start, prefixes, lex)
        if q is not None:
            out.append(q)
            consumed = q.end
    for m in HALF_UNIT.finditer(text):
        found = _unit_at(text, m.end(), lex)
        if found and found[0].kind not in ("duration", "count", "frequency") and \
                not any(q.start <= m.start() < q.end for q in out):
            out.append(Quantity(m.start(), found[1], 0.5, None, found[0], "eq", rule="half"))
    out.sort(key=lambda q: q.start)
    return _join_bounds(text, out)


def _followers(lex: TargetLexicon) -> regex.Pattern:
    """What may follow a lone numeral character: a unit, or 成 (tenths: 九成)."""
    return derived(lex, "followers",
                   lambda: regexes.compile(f"(?:{lex.unit_pattern.pattern})|成(?!{CHENG_WORD.pattern})"))


def _adjacent_ok(m: regex.Match, numbers: list[Number], starts: list[int]) -> bool:
    """三五百 is a range only where no ordinary numeral reading covers the same characters."""
    a, b = _ADJACENT_VALUE[m["a"]], _ADJACENT_VALUE[m["b"]]
    if b - a not in (1, 2) or (m.start() and m.string[m.start() - 1] in "十百千万亿第"):
        return False
    i = bisect_right(starts, m.start()) - 1  # numbers do not overlap: only this one can cover m
    return not (i >= 0 and numbers[i].end >= m.end())


def _adjacent(text: str, m: regex.Match, lex: TargetLexicon) -> Quantity | None:
    """三五百 → 300–500, 四五千块 → 4000–5000, 七八公斤 → 7–8, 一两项 → 1–2; not 一二十十
    (a multiplier that is no numeral, a typing slip: no range, and the notice goes on)."""
    try:
        scale = parse_number("一" + m["m"]) if m["m"] else 1.0
    except NumberError:
        return None
    a, b = _ADJACENT_VALUE[m["a"]] * scale, _ADJACENT_VALUE[m["b"]] * scale
    end = m.end()
    unit = _unit_at(text, end, lex)
    if unit is None and not m["m"]:
        return None  # 三五 alone is too ambiguous (三五年?): only with a multiplier or a unit
    if unit is not None:
        end = unit[1]
    return Quantity(m.start(), end, a, b, unit[0] if unit else None, "range", rule="adjacent_range")


def _unit_at(text: str, pos: int, lex: TargetLexicon) -> tuple[Unit, int] | None:
    m = lex.unit_pattern.match(text, pos)
    if not m and pos < len(text) and text[pos] == " ":
        m = lex.unit_pattern.match(text, pos + 1)
    if not m:
        return None
    return lex.units[m.group()], m.end()


def _quantity(text: str, n: Number, by_start: dict[int, Number], prefixes: dict,
              lex: TargetLexicon) -> Quantity | None:
    n = _give_back_unit_char(text, n, lex)
    if YEAR_NUMERAL.fullmatch(n.text) and text.startswith("年", n.end):
        return None  # 2025年 is a date, not a duration of 2025 years
    start, end = n.start, n.end
    value, value_max = n.value, None
    percent = False
    scale = 1.0
    prefix = prefixes.get(n.start)
    if prefix is not None:
        percent = True
        scale = {"百": 1.0, "千": 0.1, "仟": 0.1, "万": 0.01}[prefix["p"]]
        start = prefix.start()
        value *= -scale if prefix["neg"] else scale
    comparator = "eq"
    rule = "percent_words" if percent else "number_unit"
    unit_first = None if percent else _unit_at(text, end, lex)
    if unit_first is not None and unit_first[0].unit == "%":
        percent, unit_first, end = True, None, unit_first[1]
        rule = "percent_sign"
    elif unit_first is not None:
        end = unit_first[1]
    # Range: 3-5名, 两升到三升, 1万-5万元, 百分之三十到(百分之)四十一
    sep = RANGE_SEP.match(text, end)
    if sep:
        second_start = sep.end()
        if percent and text.startswith("百分之", second_start):
            second_start += 3
        nxt = by_start.get(second_start)
        signed = by_start.get(second_start - 1)  # 0.15%-0.2%: the dash was read as a minus sign
        if nxt is None and signed is not None and signed.value < 0 and text[second_start - 1] in "-－":
            nxt = signed
        if nxt is not None and (unit_first is None or _unit_at(text, nxt.end, lex) is not None):
            second = abs(nxt.value) * (scale if prefix is not None else 1.0)
            first = value
            # 十八至三十万, 两到三千, 一千到两千万: the second number's multiplier is shared
            # when the first has none or a smaller one and the shared reading stays ordered.
            shared = _trailing_multiplier(nxt.text)
            own = _trailing_multiplier(n.text) or 1.0
            if shared and own < shared and first * shared <= second:
                first *= shared
            value, value_max, comparator, end = first, second, "range", nxt.end
            if percent and text.startswith("%", end):  # 0.15%-0.2%: each bound carries its sign
                end += 1
            rule = "range"
    elif BETWEEN.match(text, end):
        m = BETWEEN.match(text, end)
        nxt = by_start.get(m.end())
        if nxt is not None and BETWEEN_END.match(text, nxt.end):
            value, value_max, comparator = value, nxt.value, "range"
            end = BETWEEN_END.match(text, nxt.end).end()
            rule = "between"
    # 3万余名, 65亿多元
    inside = lex.comparator_patterns["inside"].match(text, end)
    unit = None
    if inside and _unit_at(text, inside.end(), lex):
        comparator = "approx"
        end = inside.end()
    following = _unit_at(text, end, lex) if not percent else None
    if not percent and unit_first is not None and end == unit_first[1] and (
            following is None or following[0].kind in ("count", "frequency")):
        # 10个名师工作室, 1次家长会: the measure word is read and a noun follows (六个加仑: a unit).
        unit = unit_first[0]
    elif not percent:
        found = following
        if found is not None:
            unit, end = found
            if unit.unit == "%":
                percent, unit = True, None
                rule = "percent_sign" if rule == "number_unit" else rule
        elif unit_first is not None:
            unit = unit_first[0]
    if unit is not None and unit.unit == "元":
        tail = MONEY_TAIL.match(text, end)  # 123元1角1分
        if tail:
            jiao = _digit(tail["jiao"])
            fen = _digit(tail["fen"]) if tail["fen"] else 0
            value = value + jiao / 10 + fen / 100
            end = tail.end()
    if unit is not None and HALF.match(text, end) and value_max is None:
        value += 0.5
        end += 1
    if unit is None and not percent and text.startswith("成", end) and not CHENG_WORD.match(text, end + 1):
        percent, value, end, rule = True, value * 10, end + 1, "cheng"  # 九成 = 90%
        if text.startswith("半", end):
            value, end = value + 5, end + 1
    after = lex.comparator_patterns["after"].match(text, end)
    if after is None and text[end:end + 1] == " ":
        after = lex.comparator_patterns["after"].match(text, end + 1)
    if after is not None and comparator != "range":
        comparator = lex.comparators["after"][after.group()]
        end = after.end()
    before = _comparator_before(text, start, lex)
    if before is not None and comparator in ("eq", "approx"):
        word, word_start = before
        if comparator == "eq" or lex.comparators["before"][word] == "approx":
            comparator = lex.comparators["before"][word]
        start = word_start
    if unit is None and not percent and after is None:
        label = _unit_label_before(text, start, lex)  # 托位数(个)4.5, 保育人员(万人)≥0.3: a table's unit
        if label is not None:
            unit, factor = label
            value, value_max = value * factor, None if value_max is None else value_max * factor
            rule = "unit_label"
    if unit is None and not percent and value_max is None and before is None and after is None:
        return None  # a bare number: no amount of anything
    return Quantity(start, end, value, value_max, unit, comparator, percent=percent, rule=rule)


_LABEL_MULTIPLIER = {"": 1.0, "万": 1e4, "千": 1e3, "百": 1e2, "亿": 1e8}


def _unit_label_before(text: str, start: int, lex: TargetLexicon) -> tuple[Unit, float] | None:
    """The unit of an indicator-table row written in brackets before its value:
    `(个)6`, `(万人)≥0.3` → (个, 1), (人, 10000)."""
    m = _UNIT_LABEL.search(text, max(0, start - 12), start)
    if m is None or m.end() != start:
        return None
    unit = lex.units.get(m["u"])
    return (unit, _LABEL_MULTIPLIER[m["m"] or ""]) if unit is not None and unit.kind == "count" else None


_UNIT_LABEL = regexes.compile(r"\((?P<m>万|千|百|亿)?(?P<u>\p{Han}{1,3})\)\s*")
YEAR_NUMERAL = regexes.compile(r"(?:19|20)[0-9]{2}|[一二][〇零○九][〇零○一二三四五六七八九]{2}")


def _give_back_unit_char(text: str, n: Number, lex: TargetLexicon) -> Number:
    """13.5千米: the 千 belongs to the unit 千米, not to the number (13.5千 = 13500)."""
    if len(n.text) > 1 and n.text[-1] in "千百万":
        m = lex.unit_pattern.match(text, n.end - 1)
        if m and len(m.group()) > 1:
            try:
                return Number(parse_number(n.text[:-1]), n.start, n.end - 1, n.text[:-1])
            except NumberError:
                return n
    return n


def _digit(ch: str) -> int:
    return int(ch) if ch in "0123456789" else "一二三四五六七八九".index(ch) + 1


def _trailing_multiplier(numeral: str) -> float | None:
    for ch, mult in (("亿", 1e8), ("万", 1e4), ("千", 1e3), ("仟", 1e3), ("百", 1e2), ("佰", 1e2)):
        if numeral.endswith(ch):
            return mult
    return None


def _suffix_comparator(lex: TargetLexicon) -> regex.Pattern:
    """The longest comparator word ending a string: the leftmost match of the
    alternation anchored at the end."""
    return derived(lex, "suffix_comparator",
                   lambda: regexes.compile(f"(?:{lex.comparator_patterns['before'].pattern})\\Z"))


def _comparator_before(text: str, start: int, lex: TargetLexicon) -> tuple[str, int] | None:
    """A comparator word right before `start`, allowing 了/为/是/有/达 and spaces between."""
    window = text[max(0, start - 16):start]
    filler = FILLER.search(window)
    head = window[: filler.start()] if filler else window
    # Match on the text without spaces (小于 或 等于100), then map back to offsets.
    kept = [i for i, ch in enumerate(head) if not ch.isspace()]
    squeezed = "".join(head[i] for i in kept)
    m = _suffix_comparator(lex).search(squeezed)
    best = m.group() if m else None
    if best is None or lex.comparators["before"][best] == "none":
        return None
    return best, start - len(window) + kept[len(squeezed) - len(best)]


def _join_bounds(text: str, quantities: list[Quantity]) -> list[Quantity]:
    """大于二十的同时小于等于三十五, 1000以上,1500以下, 3年以上7年以下 → one range."""
    out: list[Quantity] = []
    for q in quantities:
        if out:
            p = out[-1]
            joined = BOUND_JOIN.fullmatch(text, p.end, q.start)
            lower = {"ge", "gt"}
            upper = {"le", "lt"}
            same_unit = p.unit_name == q.unit_name or p.unit is None or q.unit is None
            if joined and same_unit and p.value_max is None and q.value_max is None and (
                    (p.comparator in lower and q.comparator in upper and p.value <= q.value)
                    or (p.comparator in upper and q.comparator in lower and q.value <= p.value)):
                lo, hi = (p, q) if p.comparator in lower else (q, p)
                out[-1] = Quantity(p.start, q.end, lo.value, hi.value, p.unit or q.unit, "range",
                                   percent=p.percent or q.percent, rule="two_bounds")
                continue
        out.append(q)
    return out

