"""Indicator tables kept as cells (SPEC §6.1): one target per row, from its target column.

Takes the normalized text, the paragraphs of a notice and the lexicons; gives `Target` rows
(rule `indicator_table`, level not yet set) and the spans of the value cells it read. A table
is a header that names an indicator column and year columns (`序号|主要指标|2020年现状|2025年
目标|属性`) followed by numbered rows, its cells joined by `|` (tables our readers take from
HTML, Word and PDF) or one cell a line (pages copied cell by cell). In a row:

- the indicator is the last text cell before the values (category cells such as `综合|治理`
  come before it); a unit cell (`单位` column) or a unit label (`城市内涝防治达标率(%)`) gives
  the values their unit;
- the values are read against the header's value columns from the left: a plain number under
  a baseline column (`2020年现状`) is a statistic, the target column's value (`2025年目标`, else
  the latest year) is the target, due in that column's year; a value with its own qualifier
  (`重点城市≥30`, `一般城市≥15`) is a target whatever column it spills into;
- `——` is no value, the attribute cell (`约束性`) and totals (`合计`) are not targets;
- a table that reports what was done (`“十三五”完成情况|完成率`) holds statistics only.

Tables glued into one run of text (`…属性1基本养老保险参保率≥95%约束性2…`) are cut into rows
by clean and read as prose, each value next to its indicator.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from .. import regexes
from ..lexicons import Lexicons
from ..model import Paragraph, Target
from ..segment import CELL_BAR, table_cells
from .numbers import HAN
from .quantities import find_quantities

YEAR_CELL = regexes.compile(r"(?:19|20)[0-9]{2}(?=\s*年)")
TARGET_COLUMN = regexes.compile(r"目标|规划值|预期值")
VALUE_COLUMN = regexes.compile(r"目标|现状|基期|基数|基准|规划值|预期值")
INDICATOR_COLUMN = regexes.compile(r"指标(?!属性)|项目")
VALUE_CELL = regexes.compile(
    r"(?P<qualifier>\p{Han}{0,8}?)\s*(?:≥|≤|>|<|不低于|不少于|不高于|不超过|达到|约)?\s*[0-9]+(?:\.[0-9]+)?"
    r"\s*(?:%|‰|\p{Han}{1,3})?\s*(?:以上|以下|左右)?")
NO_VALUE = regexes.compile(r"—+|-+|－+|/|／|无|\s*")
UNIT_LABEL = regexes.compile(r"\s*\((?P<unit>[^()0-9]{1,6})\)\s*$")
PROGRESS_COLUMN = regexes.compile(r"完成|实际|实绩")
UNIT_COLUMN = regexes.compile(r"(?:计量)?单位")
ROW_NUMBER = regexes.compile(r"[0-9]{1,3}")
SENTENCE_MARK = regexes.compile(r"[。;:]")
TOTALS = ("合计", "小计", "总计")
MAX_CELL = 40  # a longer line is prose after the table, not a cell
MAX_HEADER = 12  # header cells, one a line


@dataclass(frozen=True)
class Header:
    target: int  # index of the target column among the value columns
    year: int | None
    text: str  # the target column's header cell: deadline_text
    units: bool  # the header has a unit column
    progress: bool  # a report of what was done (十三五完成情况, 完成率): statistics, no targets


Cell = tuple[int, int]


def table_targets(text: str, paragraphs: tuple[Paragraph, ...], starts: list[int], first_clause: int,
                  lex: Lexicons) -> tuple[list[Target], list[Cell]]:
    """Targets of the indicator tables of a document, and the value cells read (targets and
    baselines): rows found by the prose rules inside those cells are read here instead.
    `starts`: where the clauses that may hold them start, the first of them `first_clause`."""
    out: list[Target] = []
    read: list[Cell] = []
    if not starts:
        return out, read  # no clause a row could be in
    for header, rows in _tables(text, list(paragraphs), lex):
        for row in rows:
            targets, cells = _row_targets(text, header, row, first_clause, starts, lex)
            out += targets
            read += cells
    return out, read


def _tables(text: str, paragraphs: list[Paragraph], lex: Lexicons) -> Iterator[tuple[Header, list[list[Cell]]]]:
    if "|" not in text and "序号" not in text:
        return  # no line of cells, no 序号 header cell: most notices, told by two scans of the text
    i = 0
    while i < len(paragraphs):
        p = paragraphs[i]
        cells = table_cells(text, p.start, p.end)
        if cells:  # 序号|主要指标|2025年|属性, then 1|…|…
            header = _header(text, cells)
            if header is None:
                i += 1
                continue
            rows, i = [], i + 1
            while i < len(paragraphs):
                row = table_cells(text, paragraphs[i].start, paragraphs[i].end)
                if not row:
                    break
                if ROW_NUMBER.fullmatch(text, *row[0]):
                    rows.append(row[1:])
                i += 1
            yield header, rows
        elif text.find("序号", p.start, p.end) >= 0 and text[p.start:p.end].strip() == "序号":  # one cell a line
            j = i + 1
            while j < len(paragraphs) and j - i <= MAX_HEADER and _is_cell(text, paragraphs[j]) and \
                    text[paragraphs[j].start:paragraphs[j].end].strip() != "1":
                j += 1
            header = _header(text, [(q.start, q.end) for q in paragraphs[i:j]])
            if header is None:
                i += 1
                continue
            rows, i = _rows_by_line(text, paragraphs, j, lex)
            yield header, rows
        else:
            i += 1


def _rows_by_line(text: str, paragraphs: list[Paragraph], i: int, lex: Lexicons) -> tuple[list[list[Cell]], int]:
    """Rows of a table written one cell a line: each from its number to the next number (or
    to its attribute cell, after which the next number must follow)."""
    rows: list[list[Cell]] = []
    number = 1
    while i < len(paragraphs) and text[paragraphs[i].start:paragraphs[i].end].strip() == str(number):
        row: list[Cell] = []
        i += 1
        while i < len(paragraphs) and _is_cell(text, paragraphs[i]):
            cell = text[paragraphs[i].start:paragraphs[i].end].strip()
            if cell == str(number + 1) and len(row) >= 2:
                break
            row.append((paragraphs[i].start, paragraphs[i].end))
            i += 1
            if cell in lex.indicator_attributes:
                break
        rows.append(row)
        number += 1
    return rows, i


def _is_cell(text: str, p: Paragraph) -> bool:
    line = text[p.start:p.end]
    return len(line) <= MAX_CELL and p.heading is None and not SENTENCE_MARK.search(line) and \
        not CELL_BAR.search(line)


def _header(text: str, cells: list[Cell]) -> Header | None:
    names = [text[a:b] for a, b in cells]
    if not names or not names[0].startswith("序号") or not any(INDICATOR_COLUMN.search(n) for n in names):
        return None
    values = [n for n in names if YEAR_CELL.search(n) or VALUE_COLUMN.search(n)]
    if not values:
        return None
    marked = [k for k, n in enumerate(values) if TARGET_COLUMN.search(n)]
    years = [int(m.group()) if (m := YEAR_CELL.search(n)) else 0 for n in values]
    target = marked[-1] if marked else max(range(len(values)), key=lambda k: (years[k], k))
    return Header(target=target, year=years[target] or None, text=values[target],
                  units=any(UNIT_COLUMN.fullmatch(n) for n in names),
                  progress=any(PROGRESS_COLUMN.search(n) for n in names))


def _row_targets(text: str, header: Header, row: list[Cell], first_clause: int, starts: list[int],
                 lex: Lexicons) -> tuple[list[Target], list[Cell]]:
    cells = [c for c in row if text[c[0]:c[1]].strip()]
    if header.progress:
        return [], cells
    if cells and text[cells[-1][0]:cells[-1][1]].strip() in lex.indicator_attributes:
        cells = cells[:-1]
    first = next((k for k, c in enumerate(cells) if k and _is_value(text, c)), None)
    if first is None:
        return [], []
    before = [c for c in cells[:first] if HAN.search(text, *c)]
    unit = ""
    if header.units and len(before) >= 2 and _unit(text[before[-1][0]:before[-1][1]], lex):
        unit = text[before[-1][0]:before[-1][1]].strip()
        before = before[:-1]
    if not before:
        return [], []
    a, b = before[-1]
    indicator = text[a:b].strip()
    if indicator.startswith(TOTALS):
        return [], []
    label = UNIT_LABEL.search(indicator)
    if label:
        unit = unit or label["unit"]
        indicator = indicator[:label.start()]
    out: list[Target] = []
    read: list[Cell] = []
    for k, (start, end) in enumerate(cells[first:]):
        cell = text[start:end]
        if NO_VALUE.fullmatch(cell):
            continue
        read.append((start, end))
        shape = VALUE_CELL.fullmatch(cell.strip())
        qualified = bool(shape and shape["qualifier"])
        if k != header.target and not qualified:
            continue  # a baseline (2020年现状), or a column after the target's
        target = _value(text, start, end, unit, lex)
        if target is None:
            continue
        q_start, q_end, q = target
        value, value_max, unit_name = q.base()
        seq = first_clause + max(0, bisect_right(starts, q_start) - 1)
        out.append(Target.of(
            clause_seq=seq, indicator=indicator or None, indicator_id=None, quantity_kind=q.kind,
            value=value, value_max=value_max, comparator=q.comparator, unit=unit_name, per=None, within=None,
            level=None, level_text=None, deadline_year=header.year, deadline_text=header.text if header.year else None,
            deadline_source="clause" if header.year else "none",
            mention=text[q_start:q_end], start=q_start, end=q_end, rule="indicator_table",
        ))
    return out, read


def _is_value(text: str, cell: Cell) -> bool:
    line = text[cell[0]:cell[1]].strip()
    return bool(NO_VALUE.fullmatch(line) or VALUE_CELL.fullmatch(line))


def _unit(word: str, lex: Lexicons) -> bool:
    word = word.strip().lstrip("万千百亿")
    return word in ("%", "‰") or word in lex.targets.units


def _value(text: str, start: int, end: int, unit: str, lex: Lexicons):
    """The quantity of a value cell, its unit written in the unit cell or label when the cell
    has none: (start, end, Quantity) in document offsets, or None."""
    cell = text[start:end]
    found = [q for q in find_quantities(cell, lex.targets) if q.kind is not None]
    if not found and unit:  # 95 under 达标率(%), ≥30 under 监测率(%)
        found = [q for q in find_quantities(cell + unit, lex.targets) if q.start < len(cell)]
    for q in found:
        if q.kind is not None:
            return start + q.start, start + min(q.end, len(cell)), q
    return None
