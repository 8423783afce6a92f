"""Time expressions: deadline phrases, calendar dates, windows and recurring periods.

Takes normalized text, gives spans:
- `find_deadlines`: policy deadline phrases from lexicons/targets.yaml (`到2027年`,
  `2025年底前`, `到 2025 年`, `二〇三五年前`) with the year they set;
- `find_dates`: calendar expressions with a relation (`2025年前` before, `截止到2018年`
  by, `2020至2025年` span, `二〇一九年5月8日起` from, `17天内` within …);
- `find_windows`: `5年内`, `通过3~5年的努力` — the window a commitment holds in;
- `find_periods`: `每学期`, `每半年`, `每隔3天` — the period a commitment recurs in.

Deadline reading (docs/decisions.md): `2025年前`, `2025年底前`, `到2025年底` all give
2025, i.e. "by the end of 2025", as JioNLP reads them and as plans mean them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import regex

from .. import core, regexes
from ..lexicons import TargetLexicon
from .numbers import ANY_NUMERAL, DIGITS, NUMBER_PATTERN, NumberError, parse_number

CN_YEAR = r"[一二][〇零○一二三四五六七八九]{3}"
_CN_YEAR = regexes.compile(CN_YEAR)
YEAR_WORDS = rf"(?:19|20)[0-9]{{2}}|{CN_YEAR}|[两二一]千零?[一二三四五六七八九十]{{1,4}}"
MONTH = r"[0-9]{1,2}|十[一二]?|[一二三四五六七八九]"
DAY = r"[0-9]{1,2}|三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九]"
DATE = rf"""(?P<@y>{YEAR_WORDS})\s*年(?:\s*(?P<@m>{MONTH})\s*月(?:\s*(?P<@d>{DAY})\s*[日号])?)?"""
DATE_ONE = regexes.compile(
    rf"""(?P<pre>截止到?|截至|到|至|从|在|公元|于)?\s*{DATE.replace('@', 'a')}
        (?:\s*(?P<sep>至|到|——|—|-|~)\s*(?:(?:{DATE.replace('@', 'b')})|(?P<bm>{MONTH})\s*月))?
        (?:(?:上|下)半年)?
        (?:(?P<sep2>之后|以后)\s*(?:{DATE.replace('@', 'c')})\s*(?:之前|以前|前)
          |(?P<post>以前|之前|前|以后|之后|后|起|以来|内|左右|底|末))?""",
    regex.X,
)
DURATION_UNITS = ("个工作日|工作日|个交易日|交易日|个星期|星期|个季度|季度|个学期|学期|个月|年|天|日|周|小时"
                  "|个小时|分钟|月")
YEAR_SPAN = regexes.compile(
    rf"(?P<ay>{YEAR_WORDS})\s*年?\s*(?:至|到|——|—|-|~)\s*(?P<by>{YEAR_WORDS})\s*年(?:前|以前|之前)?")
_WINDOW = regexes.compile(
    rf"""(?P<pre>未来|今后|下|近)?\s*(?P<n>{NUMBER_PATTERN})\s*(?P<half1>个半)?(?P<u>{DURATION_UNITS})(?P<half2>半)?
         \s*(?P<post>以内|之内|内)?""",
    regex.X,
)
_EVERY_N = regexes.compile(
    rf"(?:每?隔|每)\s*(?P<n>{NUMBER_PATTERN})\s*(?P<u>分钟|小时|个小时|天|日|周|个星期|星期|个月|月|年|学年|学期)")
_PERIOD_UNIT = {"半年": (0.5, "年"), "学期": (1, "学期"), "学年": (1, "学年"), "季度": (1, "季度"),
                "月": (1, "月"), "周": (1, "周"), "天": (1, "天"), "年": (1, "年")}
FOUR_DIGITS = regexes.compile(r"[0-9]{4}")
_UNIT_NAMES = {"个星期": "星期", "个季度": "季度", "个学期": "学期", "个工作日": "工作日", "个交易日": "交易日",
               "个小时": "小时"}


@dataclass(frozen=True)
class Deadline:
    start: int
    end: int
    year: int
    text: str


@dataclass(frozen=True)
class DateExpr:
    start: int
    end: int
    year: int | None
    month: int | None
    day: int | None
    relation: str | None
    year_max: int | None = None


@dataclass(frozen=True)
class Window:
    start: int
    end: int
    value: float
    value_max: float | None
    unit: str
    relation: str | None  # "within" for 5年内 / 未来5年; None for a bare duration


@dataclass(frozen=True)
class Period:
    start: int
    end: int
    value: float
    unit: str  # what SPEC's `per` holds: 年, 学年, 学期, 半年, 季度, 月, 周, 天


def year_value(text: str) -> int | None:
    """2025, 二〇二五, 两千零五 → the year; None when it is not a plausible year."""
    text = text.strip()
    if FOUR_DIGITS.fullmatch(text):
        year = int(text)
    elif _CN_YEAR.fullmatch(text):
        year = int("".join(str(DIGITS[c]) for c in text))  # 二〇二五: digit by digit
    else:
        try:
            year = int(parse_number(text))
        except NumberError:
            return None
    return year if 1000 <= year <= 2200 else None


def find_deadlines(text: str, lex: TargetLexicon, start: int = 0, end: int | None = None) -> list[Deadline]:
    """Deadline phrases of the lexicon in text[start:end], longest first, non-overlapping."""
    end = len(text) if end is None else end
    if not ANY_NUMERAL.search(text, start, end):  # every deadline names a year
        return []
    found: list[Deadline] = []
    covered: set[int] = set()
    for m in lex.deadlines.finditer(text, start, end):
        year = year_value(m.group("y"))
        if year is None or not covered.isdisjoint(range(m.start(), m.end())):
            continue
        found.append(Deadline(m.start(), m.end(), year, m.group()))
        covered.update(range(m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def bare_year(text: str, pos: int, end: int, lex: TargetLexicon) -> Deadline | None:
    """`2025年,全区…` at `pos`: a bare year opening a sentence acts as a deadline."""
    m = lex.bare_year.match(text, pos, end)
    if not m:
        return None
    year = year_value(m.group("y"))
    return Deadline(m.start(), m.end(), year, m.group()) if year else None


class ClauseTimes(NamedTuple):
    """The time phrases of one clause."""

    deadlines: list[Deadline]  # find_deadlines
    bare_year: Deadline | None  # a bare year opening the clause (the character after it seen)
    periods: list[Period]  # find_periods

    @classmethod
    def empty(cls) -> ClauseTimes:
        """The time phrases of a clause that has none (lists of its own)."""
        return cls([], None, [])


def times_found(text: str, starts: list[int], ends: list[int], lex: TargetLexicon) -> dict[int, ClauseTimes]:
    """i → the time phrases of the clause text[starts[i]:ends[i]], for the clauses that have
    any (a few in a hundred): one call to the compiled core for a notice, or the functions
    above clause by clause."""
    out: dict[int, ClauseTimes] = {}
    if not core.enabled():
        for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
            times = ClauseTimes(find_deadlines(text, lex, a, b), bare_year(text, a, b + 1, lex),
                                find_periods(text, lex, a, b))
            if any(times):
                out[i] = times
        return out
    clause, kinds, found_starts, found_ends, numbers, units = core.time_phrases(
        lex, _EVERY_N.pattern, _UNIT_NAMES, text, starts, ends)
    for i, kind, start, end, number, unit in zip(clause, kinds, found_starts, found_ends, numbers, units, strict=True):
        times = out.get(i) or out.setdefault(i, ClauseTimes.empty())
        if kind == _PERIOD:
            times.periods.append(Period(start, end, number, unit))
        elif kind == _BARE_YEAR:
            out[i] = times._replace(bare_year=Deadline(start, end, int(number), text[start:end]))
        else:
            times.deadlines.append(Deadline(start, end, int(number), text[start:end]))
    return out


_BARE_YEAR, _PERIOD = 1, 2  # the kinds of the core's rows (0: a deadline phrase)


def find_dates(text: str) -> list[DateExpr]:
    out = []
    for m in YEAR_SPAN.finditer(text):  # 2020至2025年: the first year may drop its 年
        a, b = year_value(m["ay"]), year_value(m["by"])
        if a and b and a <= b:
            out.append(DateExpr(m.start(), m.end(), a, None, None, "span", b))
    covered = {i for d in out for i in range(d.start, d.end)}
    for m in DATE_ONE.finditer(text):
        if m.start("ay") in covered:
            continue
        year = year_value(m["ay"])
        if year is None:
            continue
        month = _small(m["am"])
        day = _small(m["ad"])
        pre, post, relation, year_max = m["pre"], m["post"], "in", None
        if m["sep"]:
            relation = "span"
            year_max = year_value(m["by"]) if m["by"] else year
        elif m["sep2"]:
            relation, year_max = "span", year_value(m["cy"])
        elif post in ("以前", "之前", "前"):
            relation = "before"
        elif post in ("以后", "之后", "后"):
            relation = "after"
        elif post in ("起", "以来"):
            relation = "from"
        elif post == "左右":
            relation = "approx"
        elif pre in ("截止", "截止到", "截至", "到", "至"):
            relation = "by"
        out.append(DateExpr(m.start("ay") if pre in ("从", "在", "公元", "于", None) else m.start(), m.end(),
                            year, month, day, relation, year_max))
    return sorted(out, key=lambda d: d.start)


def find_windows(text: str) -> list[Window]:
    """Durations with their relation: 17天内 / 未来5年 (within) or 三年半 (bare)."""
    out = []
    for m in _WINDOW.finditer(text):
        try:
            value = parse_number(m["n"])
        except NumberError:
            continue
        if m["u"] == "年" and year_value(m["n"]) and len(m["n"]) == 4:
            continue  # a calendar year
        if m["half1"] or m["half2"]:
            value += 0.5
        unit = "个月" if m["half1"] and m["u"] == "月" else _UNIT_NAMES.get(m["u"], m["u"])
        if m["u"] == "月" and not m["half1"]:
            continue  # 3月 is March
        relation = "within" if (m["pre"] in ("未来", "今后", "下") or m["post"]) else None
        out.append(Window(m.start(), m.end(), value, None, unit, relation))
    return out


def find_periods(text: str, lex: TargetLexicon, start: int = 0, end: int | None = None) -> list[Period]:
    end = len(text) if end is None else end
    out = []
    for m in _EVERY_N.finditer(text, start, end):
        try:
            out.append(Period(m.start(), m.end(), parse_number(m["n"]), _UNIT_NAMES.get(m["u"], m["u"])))
        except NumberError:
            continue
    for m in lex.period_pattern.finditer(text, start, end):
        if any(p.start <= m.start() < p.end for p in out):
            continue
        out.append(Period(m.start(), m.end(), 1.0, lex.periods[m.group()]))
    return sorted(out, key=lambda p: p.start)


def period_value(unit: str) -> tuple[float, str]:
    """`per` unit → (value, unit) as the conformance cases count it: 半年 → (0.5, 年)."""
    return _PERIOD_UNIT.get(unit, (1, unit))


def _small(text: str | None) -> int | None:
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        return int(parse_number(text))
    except NumberError:
        return None
