"""Numerals: Chinese, Arabic and mixed number strings → float values.

Takes a string of numeral characters (already t2s-converted and width-folded), gives
its value: `三千零五十` → 3050, `1.2万` → 12000, `三万五` → 35000 (colloquial
abbreviation), `二〇二四` → 2024, `负一百点三` → -100.3, `壹佰伍拾` → 150.
`find_numbers` scans a text for numerals that really are numbers, leaving out
numeral characters inside words (`一切`, `四川`, `退伍`) and vague ones (`十几万`).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from .. import regexes

DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
          "六": 6, "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "参": 3, "肆": 4, "伍": 5,
          "陆": 6, "柒": 7, "捌": 8, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
SPECIAL = {"廿": 20, "卅": 30}
CN_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + "".join(SPECIAL)
# Linear by construction: repetitions are bounded (an unbounded run would make each
# start of a 100,000-digit line rescan the rest), Arabic tokens are maximal and groups
# atomic, so a digit run can be split into tokens one way only (else: ReDoS).
ARABIC = r"(?>[0-9]{1,3}(?:,[0-9]{3}){1,6}(?:\.[0-9]{1,12})?(?![0-9])|[0-9]{1,24}(?:\.[0-9]{1,12})?(?![0-9]))"
# A numeral without groups, for composing larger patterns (lexicon templates).
NUMBER_PATTERN = rf"(?>(?:{ARABIC}|[{CN_CHARS}]){{1,40}})(?:点(?:[0-9]{{1,12}}|[{''.join(DIGITS)}]{{1,12}}))?"
# What {NUMBER} stands for in targets.yaml. The lookahead lets a pattern that starts with a
# number fail at once where none starts (the atomic group alone is tried at every position:
# 3× slower over the seeds).
NUMBER_TEMPLATE = f"(?=[0-9{CN_CHARS}])(?:{NUMBER_PATTERN})"
# One numeral: runs of Arabic numbers and Chinese numeral characters, a decimal point
# written 点 between digits, an optional sign.
NUMERAL = regexes.compile(
    # a dash after a number, a dash or a bracket is a range separator, not a minus
    rf"""(?P<sign>(?:负的?|(?<![\w{CN_CHARS}\-—~－)）\]]\s{{0,2}})[-－])\s?)?
        (?:(?!(?:百|千|万|仟)分之)(?P<den>(?>(?:{ARABIC}|[{CN_CHARS}]){{1,40}}))分之(?=[0-9{CN_CHARS}]))?   # 三分之一
        (?P<body>一半|(?>(?:{ARABIC}|[{CN_CHARS}]){{1,41}})(?:点(?:[0-9]{{1,12}}|[{''.join(DIGITS)}]{{1,12}})[万亿]{{0,2}})?)""",
    regex.X,
)
# Every number, year and quantity holds one of these characters (半: 半年, 一半): a
# stretch of text without any holds none, and the full patterns need not run on it.
ANY_NUMERAL = regexes.compile(f"[0-9{CN_CHARS}半]")
_TOKEN = regexes.compile(rf"{ARABIC}|[{CN_CHARS}]|点")


class NumberError(ValueError):
    pass


def parse_number(text: str) -> float:
    """Value of one numeral string; raises NumberError if it is not a well-formed numeral."""
    text = text.strip()
    negative = False
    for sign in ("负的", "负", "-", "－"):
        if text.startswith(sign):
            negative, text = True, text[len(sign):].lstrip()
            break
    if not text:
        raise NumberError("empty numeral")
    if text == "一半":
        value = 0.5
    elif "点" in text:
        whole, _, frac = text.partition("点")
        scale = 1.0
        while frac and frac[-1] in BIG_UNITS:  # 二十点一万 = 20.1 × 10000
            scale *= BIG_UNITS[frac[-1]]
            frac = frac[:-1]
        if not frac or not all(c in DIGITS or c in "0123456789" for c in frac):
            raise NumberError(f"bad decimal part in {text!r}")
        digits = "".join(str(DIGITS[c]) if c in DIGITS else c for c in frac)
        value = ((_integer(whole) if whole else 0.0) + float("0." + digits)) * scale
    else:
        value = _integer(text)
    return -value if negative else value


def _tokens(text: str) -> list[float | str]:
    out: list[float | str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            raise NumberError(f"not a numeral: {text!r}")
        tok = m.group()
        if tok[0] in "0123456789":
            out.append(float(tok.replace(",", "")))
        elif tok in DIGITS:
            out.append(tok)  # a Chinese digit keeps its character: 零 and colloquial rules need it
        else:
            out.append(tok)
        pos = m.end()
    if pos != len(text):
        raise NumberError(f"not a numeral: {text!r}")
    return out


def _integer(text: str) -> float:
    tokens = _tokens(text)
    if not tokens:
        raise NumberError("empty numeral")
    return _value(tokens)


def _digit(tok) -> float | None:
    if isinstance(tok, float):
        return tok
    return float(DIGITS[tok]) if tok in DIGITS else None


def _value(tokens: list) -> float:
    # Split at the largest big unit (亿 before 万): left × unit + right.
    for unit_char, unit in (("亿", BIG_UNITS["亿"]), ("万", BIG_UNITS["万"])):
        if unit_char in tokens:
            i = tokens.index(unit_char)
            left, right = tokens[:i], tokens[i + 1:]
            left_value = _value(left) if left else 1.0
            return left_value * unit + _right(right, unit)
    return _section(tokens)


def _right(tokens: list, unit: float) -> float:
    """The part after 万/亿: 三万五 → 5000 (colloquial), 十万零一 → 1, 3万4000 → 4000."""
    if not tokens:
        return 0.0
    if len(tokens) == 1 and isinstance(tokens[0], str) and tokens[0] in DIGITS and tokens[0] not in "零〇○":
        return DIGITS[tokens[0]] * unit / 10
    if tokens[0] in ("零", "〇"):
        tokens = tokens[1:]
    return _value(tokens) if tokens else 0.0


def _section(tokens: list) -> float:
    """A number below 万: 三千零五十, 十五, 一百五 (=150), 二〇二四 (digit string)."""
    if all(_digit(t) is not None for t in tokens):
        if len(tokens) == 1:
            return _digit(tokens[0])
        if any(isinstance(t, float) for t in tokens):
            raise NumberError("Arabic digits next to Chinese digits")
        if len(tokens) < 3 and not any(t in ("〇", "零", "○") for t in tokens):
            raise NumberError("two digits in a row")  # 八九 is a range (八九亿), not 89
        return float("".join(str(int(_digit(t))) for t in tokens))  # 二〇二四 → 2024
    total = 0.0
    current: float | None = None
    current_is_cn = False  # 一百五 = 150 is colloquial; 1百5 is not a numeral people write
    last_unit: float | None = None
    zero_seen = False
    for tok in tokens:
        if tok in SPECIAL:
            total += SPECIAL[tok]
            last_unit = 10
            continue
        digit = _digit(tok)
        if digit is not None:
            if current is not None:
                raise NumberError("two digits in a row")
            if tok in ("零", "〇", "○"):
                zero_seen = True
                continue
            current, current_is_cn = digit, isinstance(tok, str)
            continue
        unit = SMALL_UNITS[tok]
        if last_unit is not None and unit >= last_unit:
            raise NumberError("units out of order")
        total += (current if current is not None else 1) * unit
        current, last_unit = None, unit
    if current is not None:
        if last_unit is not None and last_unit >= 100 and not zero_seen and current_is_cn:
            total += current * last_unit / 10  # 一百五 = 150, 四千三 = 4300
        else:
            total += current
    return total


@dataclass(frozen=True)
class Number:
    value: float
    start: int
    end: int
    text: str


# Numeral characters that are also ordinary words unless a measure or unit follows.
MAX_NUMERAL_CHARS = 40
_ARABIC_DIGIT = regexes.compile(r"[0-9]")
HAN = regexes.compile(r"\p{Han}")
_VAGUE = regexes.compile(r"几|多少|数")
# 百日草, 千亿级, 亿元以上项目, 百万扩招: magnitudes without a digit name a kind or a programme;
# an amount of a hundred is written 一百 or 100.
_MAGNITUDES_ONLY = regexes.compile(r"[百佰千仟万亿]+")
_RANGE_NEXT = regexes.compile(rf"\s*(?:至|到|-|~|—)\s*[0-9{CN_CHARS}]")


def find_numbers(text: str, units: regex.Pattern | None = None) -> list[Number]:  # noqa: C901
    """Numerals in `text` that are numbers (see module doc), as spans with values.

    `units` (a compiled alternation of measure words and units) lets a lone numeral
    character count when a unit follows it (`十个`), as it never does in a word (`一切`).
    """
    out = []
    for m in NUMERAL.finditer(text):
        body = m.group("body")
        start, end = m.span()
        if len(body) > MAX_NUMERAL_CHARS:
            continue  # 280,000 numeral characters in a row are no number
        if _VAGUE.match(text, end) or (start > 0 and text[start - 1] in "几第每"):
            continue
        if _MAGNITUDES_ONLY.fullmatch(body):
            continue
        is_cn_only = not _ARABIC_DIGIT.search(body)
        if is_cn_only and len(body) == 1:
            # A lone numeral character is a number only on its own or before a unit.
            before = text[start - 1] if start else ""
            after = text[end] if end < len(text) else ""
            standalone = not HAN.match(before) and not HAN.match(after)
            if not standalone and not (units is not None and units.match(text, end)) \
                    and not _RANGE_NEXT.match(text, end):
                continue
        try:
            value = parse_number((m.group("sign") or "") + body)
            if m.group("den"):
                value /= parse_number(m.group("den"))
        except NumberError:
            # 三千千瓦时: the last character may start the unit instead (千瓦时)
            if len(body) > 1 and body[-1] in "千百万" and units is not None and units.match(text, end - 1):
                try:
                    value = parse_number((m.group("sign") or "") + body[:-1])
                except NumberError:
                    continue
                end -= 1
            else:
                continue
        except ZeroDivisionError:
            continue
        out.append(Number(value, start, end, text[start:end]))
    return out
