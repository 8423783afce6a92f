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

With the compiled core, a notice's quantities, time phrases, exclusions and boundary words
are read in one call each, and a clause's targets (`_clause_targets`: which amounts, what
each measures, how it bounds it, its level, and the coverage words) in one call
(core/src/phrases.rs, phrases/clause.rs); the Python functions are the reference the core
is tested against.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

import regex

from .. import core, regexes
from ..errors import InputError
from ..lexicons import Lexicons, TargetLexicon, alternation, derived
from ..model import Clause, ClauseRun, Clauses, Segmented, Target, replaced
from .deadlines import DATE_ONE, YEAR_SPAN, ClauseTimes, Deadline, find_dates, times_found
from .indicator_tables import table_targets
from .numbers import ANY_NUMERAL, CN_CHARS, HAN, NUMBER_TEMPLATE, NUMERAL
from .quantities import ADJACENT, Quantity, quantities_found

TARGET_KINDS = {"count", "percentage", "multiple", "area", "money", "length", "duration", "frequency"}
SPACES = regexes.compile(r"\s+")
EVENT_UNITS = {"届", "次", "轮", "场", "场次", "节次", "期"}  # counted per period, they are frequencies
WITHIN_AFTER = regexes.compile(r"\s*(?:之内|内)")
RANGE_JOINERS = "至到-~—–"
# Another number ends a bound's reach (、 does not: 至少修习舞蹈、戏剧等1个模块), unless it is
# the period of the frequency bounded: 至少每3年举办1次.
GAP_BREAK = regexes.compile(r"[0-9]")
PER_PERIOD = regexes.compile(r"每\s*[0-9一二两三四五六七八九十]{1,3}\s*个?(?:年|月|周|天|日|学期|学年)")
CLAUSE_PUNCT = regexes.compile(r"[,:;]")
OPENING_HEDGE = regexes.compile(r"^(?:力争|争取|确保)")
OPENING_WORDS = regexes.compile(r"\s*(?:力争|争取|确保|计划|预计)?\s*")
COVERAGE_TAIL = regexes.compile(r"\s*覆盖")
ITEM_SEPARATOR = regexes.compile(r"\s*[、和及与]?\s*")
SLASH_PER = regexes.compile(
    r"(?:\s*/\s*(?:人|户|名|家|所|个|床|生|次|亩))*\s*/\s*(?P<p>天|日|月|年|周|学期|学年)(?!\w)")
DUTY_WORDS = regexes.compile(r"^(?:确保|务必)|\s*(?:在|于)\s*$")
GRANT_VERB = regexes.compile(r"分别|给予|一次性|奖励|补助|补贴|奖补|资助|安排|投入|拨付|发放|筹措|筹集")
SUBJECT_ADVERBS = regexes.compile(r"(?:要|应|须|需|至少|力争|每年|再|共)*")
SHARED_LEVEL = regexes.compile(r"(?P<w>国家|省|自治区|市|州|县|区)\s*[、和及与]\s*$")
PAYER = regexes.compile(r"(?:财政|[^,;。、的]{0,6}?(?:资金|经费|预算))")  # 省级财政, 市级工业发展资金
AT_LEAST_BEFORE = regexes.compile(r"(?:至少|不低于|不少于)[^,;。]{0,4}$")  # 至少实现翻倍
SEMICOLON = regexes.compile(r"\s*[;；]")
LEVEL_LIST = regexes.compile(r"\s*(?:、|和|及|与|或|,)\s*")  # 市级、县级: levels listed side by side
# Between two amounts of one list: at most a short noun phrase, then the conjunction.
AMOUNT_JOIN = regexes.compile(r"\s*(?:、|和|或|及)\s*")  # 200万元、100万元: amounts side by side
LIST_JOIN = regexes.compile(r"[^,;。，；:：()（）]{0,12}?(?:和|及|与|以及|、)\s*")
ROW_LABEL = regexes.compile(r"^\s*[0-9]{1,3}\s*\|?\s*")  # a task table's row number
GRANT_NOUNS = ("奖励", "补助", "补贴", "奖补", "资助")  # verbs that also name the money granted
NOT_NP_START = regexes.compile(r"(?:的|等|左右|以上|以下|以内|、|和|及|或|是|为|已|要)")
QUOTED = regexes.compile(r"“[^”\n]{1,60}”|《[^》\n]{1,80}》|〈[^〉\n]{1,60}〉|\"[^\"\n]{1,60}\"|「[^」\n]{1,60}」")
MIN_AFTER_DE = 2  # after the last 的, at least this many characters make the noun phrase
MAX_BACKOFF = 8  # boundaries tried before the segment start
MAX_NP = 60  # characters an indicator may span: no noun phrase in a notice is longer
VERB_REACH = 8  # characters before an amount where the verb of what follows its 的 is looked for
PLACE_NUMERALS = frozenset("一二两三四五六七八九十百千万")  # a place name's numeral is written in characters
PLACE_REACH = 12  # characters either side of a number in which a region name holding it is looked for
PLACE_LIST = "、"
NUMERAL_RUN = regexes.compile(rf"[0-9{CN_CHARS}]+")
NEAR = 40  # characters around a quantity in which patterns about it are matched (≥ any lookahead)
# A comparator this far before the number still governs it, over the noun phrase between
# (不低于教师总数5%, 不超过项目新增设备、软件投资额的10%); another number in between ends its reach.
GAP_COMPARATOR = 30
NOT_BOUNDS = ("approx", "eq", "none")  # comparators a word before an amount may have that do not bound it
COMPARATOR_WORD = 6  # the longest comparator word (大于或者等于)
# No notice seen commits to more than ~260 amounts (the seeds, 49 development notices); a
# text with this many is a list or table of numbers, and reading all of it is minutes.
MAX_TARGETS = 5000


class _Run(NamedTuple):  # a sentence as the seqs of its clauses: thousands a notice, read as columns
    paragraph_seq: int
    sentence_seq: int
    first: int  # its clauses are first … last - 1
    last: int


class _Sentence(NamedTuple):  # a sentence whose clauses are read one by one (those with a quantity or time)
    paragraph_seq: int
    sentence_seq: int
    clauses: ClauseRun


def extract_targets(doc: Segmented, lex: Lexicons) -> tuple[Target, ...]:
    tl = lex.targets
    text = doc.structured.normalized.text
    plan_end = doc.structured.metadata.plan_end_year
    clauses = doc.clauses
    starts, ends = clauses.start, clauses.end
    first_body = _body_start(doc)
    runs = _sentences(clauses, first_body)
    # A sentence commits to nothing under a heading that reports the past (一、实施背景
    # (一)发展基础), or without a number, year or coverage word (most sentences). The time
    # phrases of the others' clauses, and of each paragraph's first, are read in one call.
    paths, past_sections, goals = clauses.section_path, tl.past_sections, lex.goal_sections
    read = [may and not _past_path(paths[r.first], past_sections, goals)
            for r, may in zip(runs, _may_commit(text, clauses, runs, tl), strict=True)]
    read_runs = [r for r, may in zip(runs, read, strict=True) if may]
    candidates = [seq for r in read_runs for seq in range(r.first, r.last)]
    firsts = _paragraph_firsts(clauses, first_body)
    timed = list(dict.fromkeys([*candidates, *firsts.values()]))  # the candidates first
    # Only the few clauses with a time phrase or a quantity are kept (seq → what it holds).
    times_at = times_found(text, [starts[c] for c in timed], [ends[c] for c in timed], tl)
    times = {timed[i]: found for i, found in times_at.items()}
    paragraph_deadlines = _paragraph_deadlines(text, clauses, firsts, times)
    spelt_out = _Spans(_explained(text, tl))  # “11333”…,即:1个…
    counted = {candidates[i]: kept for i, qs in quantities_found(text, [starts[c] for c in candidates],
                                                                 [ends[c] for c in candidates], tl).items()
               if (kept := [q for q in qs if not spelt_out.overlaps(q.start, q.end)])}
    covered = _covered(text, clauses, candidates, tl)
    exclusions = _exclusions_of(text, clauses, candidates, counted, covered, tl)
    words = _word_ends(text, clauses, list(exclusions), tl)
    past, conditions = _past_and_conditions(text, clauses, read_runs, tl)
    # The clauses with a quantity, a time phrase or a coverage word: a sentence with none
    # (most of those read: 一 in 进一步 is a numeral) has nothing to read, carry or mark.
    # A paragraph's first clause is timed without being a candidate: after the candidates.
    active = {*counted, *exclusions, *(timed[i] for i in times_at if i < len(candidates))}
    targets: list[Target] = []
    milestones: list[Target] = []
    # 到2023年,全市遴选…;力争创建60所…: a deadline opening a sentence that ends in `;`
    # governs the `;`-separated parts after it, up to the full stop (SPEC §6.1).
    carried: Deadline | None = None
    previous: _Run | None = None
    for run, may_commit in zip(runs, read, strict=True):
        start = starts[run.first]
        if previous is None or previous.paragraph_seq != run.paragraph_seq or \
                not SEMICOLON.match(text, ends[previous.last - 1]):
            carried = None
        previous = run
        if not may_commit or active.isdisjoint(range(run.first, run.last)):
            continue
        sentence = _Sentence(run.paragraph_seq, run.sentence_seq, clauses.run(run.first, run.last))
        opener_deadlines: list[tuple[int, Deadline]] = []  # (clause index, deadline) opening a clause
        phrase_deadlines: list[tuple[int, Deadline]] = []  # (clause index, deadline phrase) of every clause
        carried_periods, carried_windows = [], []  # from earlier clauses that hold no target
        sentence_targets: list[Target] = []
        # 2001年以来…累计投入65亿多元,新建校舍20万平方米: the whole sentence reports the past.
        reported = not past.isdisjoint(sentence.clauses.seqs)
        # …达到1000人次…的,给予…: the amounts before the condition's end say who qualifies.
        condition = conditions.get((sentence.paragraph_seq, sentence.sentence_seq))
        granted_from = condition + 1 if condition is not None else start
        # 对获得市级…基地认定的,一次性给予20万元: the recipient's level the condition names.
        recipient = _level(text[start:granted_from], tl) if condition is not None else None
        for i, seq in enumerate(sentence.clauses.seqs):
            if seq not in active:
                continue  # most clauses: nothing to read or carry
            clause = clauses[seq]
            deadlines, bare, periods = times.get(seq) or ClauseTimes.empty()
            quantities = counted.get(seq, [])
            phrase_deadlines += [(i, d) for d in deadlines]
            opener = next((d for d in deadlines if _opens(text, clause.start, d.start)), None)
            if opener is None and bare is not None:  # a bare year opening any clause (SPEC §6.1: 2023年完成…, 2024年…)
                opener = bare
                deadlines = [opener, *deadlines]
            if opener is not None:
                opener_deadlines.append((i, opener))
            clause_windows = _windows(text, clause, quantities, tl)
            found = [] if reported else [_at_level(t, recipient)
                                         for t in _clause_targets_of(text, clause, sentence, i, quantities, deadlines,
                                                                  periods, clause_windows, exclusions.get(seq),
                                                                  words.get(seq, ()), seq in covered, tl)
                                         if t.start >= granted_from]
            scope = _scope_finder(text, sentence, i, tl) if found else None
            for target in found:
                target = _with_context(target, carried_periods + periods, carried_windows + clause_windows,
                                       deadlines, i, opener_deadlines,
                                       carried or paragraph_deadlines.get(sentence.paragraph_seq), plan_end,
                                       scope(target))
                sentence_targets.append(target)
            if len(targets) + len(sentence_targets) > MAX_TARGETS:
                raise InputError(f"more than {MAX_TARGETS:,} quantities read as targets: a list or table of "
                                 "numbers, not the commitments of a notice", "too_many_targets")
            if not found and clause.end > granted_from:  # 每年, …: a period or window alone in its clause
                # carries on (not one of a condition: 一年内开展…达到1000人次的,给予…)
                carried_periods += periods
                carried_windows += clause_windows
        targets.extend(sentence_targets)
        carried = next((d for i, d in opener_deadlines if i == 0), carried)
        milestones.extend(_milestones(text, sentence, phrase_deadlines, opener_deadlines, sentence_targets, tl))
    milestones += _duty_milestones(text, clauses, first_body, doc.structured.metadata, targets + milestones, tl)
    out = _task_deadlines(text, clauses, first_body, targets + milestones, lex)
    out = _row_tasks(text, clauses, first_body, out)
    out = _with_table_rows(text, doc, first_body, out, lex)
    if _municipality(doc.structured.metadata):
        out = [replaced(t, level=MUNICIPAL_LEVELS.get(t.level, t.level)) if t.level_text else t for t in out]
    out = sorted(out, key=lambda t: (t.start, t.end, t.rule))
    return _with_indicator_ids(out, lambda t: _context(text, t, (starts[t.clause_seq], ends[t.clause_seq])
                                                        if t.clause_seq >= first_body else None), lex)


def _duty_milestones(text: str, clauses: Clauses, first_body: int, meta, found: list[Target],
                     tl: TargetLexicon) -> list[Target]:
    """确保补贴资金在6月30日前发放到位: a duty due by a date without a year is a milestone of the
    notice's own year (its single plan year, else its issue year); the clause without the date
    and the 确保 is the commitment."""
    if not tl.duty_deadlines:
        return []
    single = meta.plan_end_year if meta.plan_end_year and meta.plan_start_year == meta.plan_end_year else None
    year = single or (meta.issue_date.year if meta.issue_date else None)
    if year is None or first_body == len(clauses):
        return []
    taken = _Spans([(t.start, t.end) for t in found])
    starts, ends = clauses.start, clauses.end
    out = []
    for m in tl.duty_deadlines.finditer(text, starts[first_body], ends[-1]):  # one scan of the body, not one per clause
        seq = bisect_left(starts, m.start() + 1, first_body) - 1
        if m.start() < starts[seq] or m.end() > ends[seq] or taken.overlaps(m.start("d"), m.end("d")):
            continue  # outside one clause, or already the deadline of a target
        clause = clauses[seq]
        date = Deadline(m.start("d"), m.end("d"), year, m["d"])
        # 确保|补贴资金|在|6月30日前|发放到位 → 补贴资金发放到位 (the subject before 确保 is not the duty)
        duty = DUTY_WORDS.sub("", text[m.start():m.start("d")]) + text[m.end("d"):clause.end]
        if commitment := duty.strip(" ,"):
            out.append(_milestone(clause, commitment, date, "clause", "duty_deadline", tl))
    return out


def _row_tasks(text: str, clauses: Clauses, first_body: int, found: list[Target]) -> list[Target]:
    """A milestone read from a task table's time cell (`…市财政局|2017年6月底前出台实施意见`) is
    the deadline of the row's task: its indicator is the task cell (`探索捐赠知识产权收益…`)."""
    cell_end: dict[int, int] = {}  # paragraph seq → end of its last table cell
    starts = clauses.start
    paragraph_of = clauses.paragraph_seq
    for seq, tags in clauses.tags.items():  # most clauses have none
        if seq >= first_body:
            for t in tags:
                if t.source == "table":
                    p = paragraph_of[seq]
                    cell_end[p] = max(cell_end.get(p, t.end), t.end)
    if not cell_end:
        return found  # most notices have no task table
    task_of: dict[int, str] = {}
    for paragraph, end in cell_end.items():
        row = _paragraph_clauses(clauses, paragraph, first_body)
        if starts[row.first] >= end:  # a paragraph with a cell holds a clause
            continue
        task = ROW_LABEL.sub("", text[starts[row.first]:clauses.end[row.first]]).strip()
        for seq in range(row.first + 1, row.last):
            if starts[seq] >= end and task:
                task_of[seq] = task
    return [replaced(t, indicator=task_of[t.clause_seq]) if t.quantity_kind == "milestone" and t.clause_seq in task_of
            else t for t in found]


def _with_table_rows(text: str, doc: Segmented, first_body: int, found: list[Target], lex: Lexicons) -> list[Target]:
    """Rows of indicator tables kept as cells (SPEC §6.1), read as the table they were: they
    replace whatever the prose rules made of the value cells (a baseline column is no target)."""
    clauses = doc.clauses
    rows, cells = table_targets(text, doc.structured.paragraphs, clauses.start[first_body:], first_body, lex)
    if not cells:
        return found
    read = _Spans(cells)
    paths = clauses.section_path
    plan_end = doc.structured.metadata.plan_end_year
    rows = [t for t in rows if t.quantity_kind in TARGET_KINDS
            and not _past_path(paths[t.clause_seq], lex.targets.past_sections, lex.goal_sections)]
    rows = [replaced(t, level=level[1], level_text=level[0]) if (level := _level(t.indicator or "", lex.targets)) else t
            for t in rows]
    rows = [replaced(t, deadline_year=plan_end, deadline_source="document") if t.deadline_year is None and plan_end
            else t for t in rows]
    return [t for t in found if not read.overlaps(t.start, t.end)] + rows


# In 北京, 天津, 上海 and 重庆 the city is a province: 市级 is provincial, 区级/县级 prefectural (SPEC §6.1).
MUNICIPAL_LEVELS = {"prefectural": "provincial", "county": "prefectural"}


def _municipality(meta) -> bool:
    return meta.admin_level == "province" and bool(meta.region) and meta.region.endswith("市")


@lru_cache(maxsize=4096)
def _past_path(path: str, past: tuple[str, ...], goals: tuple[str, ...]) -> bool:
    """Whether a clause under the headings `path` reports the past (发展基础, 现状与评价), unless
    a heading nearer the clause states goals: 二、发展形势与总体要求 > (二)总体要求 > 3.总体目标 is a goal."""
    if not past or not any(word in path for word in past):
        return False
    for heading in reversed(path.split(" > ")):
        if any(word in heading for word in goals):
            return False
        if any(word in heading for word in past):
            return True
    return False


def _task_deadlines(text: str, clauses: Clauses, first_body: int, found: list[Target], lex: Lexicons) -> list[Target]:
    """A task's own time limit (`(市科委负责落实,完成时限:2024年10月)`, SPEC §6.1) is the
    deadline of its item: the clauses of its paragraph since the previous tag. Quantified
    targets of the item without a deadline of their own take it; an item with no target
    gets one milestone, on its first clause that states the commitment (not `围绕…`)."""
    if not lex.deadline_labels:
        return found
    label = derived(lex, "deadline_label", lambda: regexes.compile(rf"(?:{alternation(lex.deadline_labels)})\s*:?\s*"))
    tl = lex.targets
    out = list(found)
    by_clause: dict[int, list[int]] = {}
    for i, t in enumerate(out):
        by_clause.setdefault(t.clause_seq, []).append(i)
    # An item never reaches past its paragraph: only the paragraphs with a tag are read.
    paragraph_of = clauses.paragraph_seq
    for paragraph in sorted({paragraph_of[seq] for seq in clauses.tags if seq >= first_body}):
        out = _item_deadlines(text, _paragraph_clauses(clauses, paragraph, first_body), out, by_clause, label, tl)
    return out


def _paragraph_clauses(clauses: Clauses, paragraph: int, first_body: int) -> ClauseRun:
    """The body clauses of one paragraph: a run, as paragraphs come in order."""
    paragraph_of = clauses.paragraph_seq
    first = bisect_left(paragraph_of, paragraph, first_body)
    return clauses.run(first, bisect_right(paragraph_of, paragraph, first))


def _item_deadlines(text: str, paragraph: ClauseRun, out: list[Target], by_clause: dict[int, list[int]],
                    label: regex.Pattern, tl: TargetLexicon) -> list[Target]:
    """`_task_deadlines` in one paragraph: each tag with a time limit closes the item of the
    clauses since the previous one."""
    tags_of = paragraph.clauses.tags
    item: list[int] = []  # seqs
    for seq in paragraph.seqs:
        item.append(seq)
        for tag in tags_of.get(seq, ()):
            if tag.role == "time":  # a table's time column: the whole cell is the time limit
                deadline = _tag_deadline(text, tag.start, tag.end)
            else:
                m = label.search(tag.text)
                deadline = _tag_deadline(text, tag.start + m.end(), tag.end) if m else None
            if deadline is None:
                continue
            inside = [i for c in item for i in by_clause.get(c, ())]
            for i in inside:
                if out[i].quantity_kind != "milestone" and out[i].deadline_source in ("document", "none"):
                    out[i] = replaced(out[i], deadline_year=deadline.year, deadline_text=deadline.text,
                                      deadline_source="clause")
            if not inside:
                out.extend(_task_milestone(text, paragraph.clauses, item, deadline, tl))
            item = []
    return out


def _tag_deadline(text: str, start: int, end: int) -> Deadline | None:
    """The first date with a year after a deadline label: `2024年10月`, `2017年6月底前`."""
    for d in find_dates(text[start:end]):
        if d.year is not None and d.relation != "from":
            return Deadline(start + d.start, start + d.end, d.year, text[start + d.start:start + d.end])
    return None


def _task_milestone(text: str, clauses: Clauses, item: list[int], deadline: Deadline,
                    tl: TargetLexicon) -> list[Target]:
    # The item's own numbered first sentence (`1.强化财政预决算信息公开`) states a commitment.
    starts, ends = clauses.start, clauses.end
    seq = next((c for c in item if not tl.circumstance.match(_unnumbered(text, starts[c], ends[c]))), item[0])
    clause = clauses[seq]
    # An inline heading is one clause with its commas: the commitment is its first part
    # that does not open a circumstance.
    parts = [p for p in _unnumbered(text, clause.start, clause.end).split(",") if p.strip()] or [""]
    commitment = next((p for p in parts if not tl.circumstance.match(p)), parts[0])
    commitment = OPENING_HEDGE.sub("", commitment).strip(" ,")
    return [_milestone(clause, commitment, deadline, "clause", "task_deadline", tl)] if commitment else []


_ITEM_NUMBER = regexes.compile(
    r"^\s*(?:[0-9]{1,2}[.、]|[一二三四五六七八九十]{1,3}、|\([一二三四五六七八九十0-9]{1,3}\))")


def _unnumbered(text: str, start: int, end: int) -> str:
    return _ITEM_NUMBER.sub("", text[start:end])


def _context(text: str, t: Target, clause: tuple[int, int] | None) -> str:
    """The clause (start, end) around a target, at most MAX_NP characters either side of its mention."""
    start, end = clause if clause is not None else (t.start, t.end)
    return text[max(start, t.start - MAX_NP):min(end, t.end + MAX_NP)]


# --- where targets may be ------------------------------------------------------------

def _body_start(doc: Segmented) -> int:
    """The seq of the first clause after the front matter (title, cover letter, signature):
    the body is the notice's last clauses, from its first heading's paragraph on."""
    paragraphs = doc.structured.paragraphs
    first_heading = next((p.seq for p in paragraphs if p.heading is not None), None)
    if first_heading is None:
        return 0
    return bisect_left(doc.clauses.paragraph_seq, first_heading)


def _sentences(clauses: Clauses, first: int = 0) -> list[_Run]:
    """The clauses from `first` on grouped by sentence: segment numbers them in reading
    order, so a sentence's clauses are a run."""
    paragraph_of, sentence_of = clauses.paragraph_seq, clauses.sentence_seq
    cuts = [i for i in range(first + 1, len(clauses))
            if sentence_of[i] != sentence_of[i - 1] or paragraph_of[i] != paragraph_of[i - 1]]
    bounds = [first, *cuts, len(clauses)] if first < len(clauses) else []
    return [_Run(paragraph_of[a], sentence_of[a], a, b) for a, b in pairwise(bounds)]


def _opens(text: str, clause_start: int, pos: int) -> bool:
    """Nothing but 力争/争取/确保 between the clause start and `pos`."""
    return OPENING_WORDS.fullmatch(text, clause_start, pos) is not None


def _may_commit(text: str, clauses: Clauses, sentences: list[_Run], tl: TargetLexicon) -> list[bool]:
    """Whether each sentence holds a number, a year or a coverage word (全覆盖, 翻番): one
    call for the notice."""
    marks = derived(tl, "commit_marks", lambda: core.PatternList([core.source(ANY_NUMERAL),
                                                                  core.source(tl.coverage_pattern)]))
    starts, ends = clauses.start, clauses.end
    may = [False] * len(sentences)
    for i in marks.which_in_each(text, [starts[s.first] for s in sentences], [ends[s.last - 1] for s in sentences]):
        may[i] = True
    return may


def _past_and_conditions(text: str, clauses: Clauses, sentences: list[_Run],
                         tl: TargetLexicon) -> tuple[set[int], dict[tuple[int, int], int]]:
    """The clauses of `sentences` that report the past (2001年以来…), and where the first
    condition of each sentence that has one starts (…达到1000人次…的,给予…): two calls."""
    past = derived(tl, "past_list", lambda: core.PatternList([core.source(tl.past_pattern)]))
    starts, ends = clauses.start, clauses.end
    seqs = [seq for s in sentences for seq in range(s.first, s.last)]
    reported = {seqs[i] for i in past.which_in_each(text, [starts[c] for c in seqs], [ends[c] for c in seqs])}
    condition = derived(tl, "condition_list", lambda: core.PatternList([core.source(tl.condition_pattern)]))
    found = condition.firsts_in_each(text, [starts[s.first] for s in sentences], [ends[s.last - 1] for s in sentences])
    return reported, {(s.paragraph_seq, s.sentence_seq): f[0] for s, f in zip(sentences, found, strict=True)
                      if f is not None}


def _explained(text: str, tl: TargetLexicon) -> list[tuple[int, int]]:
    """Where a name made of numbers is spelt out after it (“11333”…,即:1个…): one scan of
    the notice, in the core when it is on."""
    explained = derived(tl, "explained_list", lambda: core.PatternList([core.source(tl.explained_pattern)]))
    return explained.spans(text, 0, len(text))


def _paragraph_firsts(clauses: Clauses, first_body: int) -> dict[int, int]:
    """paragraph seq → the seq of the first clause of its first body sentence (not a heading):
    the paragraph's first body clause that is no heading, as sentences are runs in order."""
    out: dict[int, int] = {}
    paragraph_of, heading = clauses.paragraph_seq, clauses.is_heading
    for seq in range(first_body, len(clauses)):
        if not heading[seq]:
            out.setdefault(paragraph_of[seq], seq)
    return out


def _paragraph_deadlines(text: str, clauses: Clauses, firsts: dict[int, int],
                         times: dict[int, ClauseTimes]) -> dict[int, Deadline]:
    """Deadline phrases that open a paragraph's first body sentence (a bare year too);
    `times`: the time phrases of the clauses that have any."""
    out: dict[int, Deadline] = {}
    for paragraph, first in firsts.items():
        if first not in times:
            continue  # most paragraphs: no time phrase in their first clause
        deadlines, bare, _ = times[first]
        opener = next((d for d in deadlines if _opens(text, clauses.start[first], d.start)), None) or bare
        if opener is not None:
            out[paragraph] = opener
    return out


def _near(clause: Clause, q: Quantity) -> tuple[int, int]:
    """The stretch of a clause around a quantity where patterns about it can match."""
    return max(clause.start, q.start - NEAR), min(clause.end, q.end + NEAR)


def _excluded(deadlines, periods, windows, exclusions: list[tuple[int, int]]) -> list[tuple]:
    """Spans whose numbers are no commitments: the clause's time phrases and its exclusions."""
    spans = [(d.start, d.end) for d in deadlines] + [(p.start, p.end) for p in periods]
    return spans + [(w[0], w[2]) for w in windows] + exclusions


def _covered(text: str, clauses: Clauses, seqs: list[int], tl: TargetLexicon) -> set[int]:
    """The clauses of `seqs` with a coverage word (全覆盖, 翻番): one call for the notice."""
    coverage = derived(tl, "coverage_list", lambda: core.PatternList([core.source(tl.coverage_pattern)]))
    starts, ends = clauses.start, clauses.end
    return {seqs[i] for i in coverage.which_in_each(text, [starts[c] for c in seqs], [ends[c] for c in seqs])}


def _exclusions_of(text: str, clauses: Clauses, seqs: list[int], quantities: dict[int, list[Quantity]],
                   covered: set[int], tl: TargetLexicon) -> dict[int, list[tuple[int, int]]]:
    """clause seq → `_exclusions` of each of the clauses `seqs` with quantities or a coverage
    word (`covered`; no number of another can be a target): the compiled core reads them all
    in one call. `quantities`: clause seq → its quantities (a clause it does not hold has none)."""
    starts, ends = clauses.start, clauses.end
    seqs = [c for c in seqs if quantities.get(c) or c in covered]
    if not core.enabled():
        return {c.seq: _exclusions(text, c, quantities.get(c.seq, []), tl) for c in map(clauses.__getitem__, seqs)}
    finder = derived(tl, "core_exclusions", lambda: core.Exclusions(
        [core.source(p) for p in (YEAR_SPAN, DATE_ONE, QUOTED, tl.coverage_pattern, NUMERAL_RUN, ADJACENT)],
        sorted(tl.names.names), sorted(tl.places.names), tl.numbered_places, tl.full_places, _after_numbers(tl),
        NEAR, PLACE_REACH, "".join(sorted(PLACE_NUMERALS)), PLACE_LIST, RANGE_JOINERS))
    qs = [(i, q) for i, c in enumerate(seqs) for q in quantities.get(c, ())]
    index, found_starts, found_ends = finder.find(
        text, [starts[c] for c in seqs], [ends[c] for c in seqs], [i for i, _ in qs], [q.start for _, q in qs],
        [q.end for _, q in qs], tl.not_targets, tl.not_targets_at_numbers)
    out: dict[int, list[tuple[int, int]]] = {c: [] for c in seqs}
    for i, start, end in zip(index, found_starts, found_ends, strict=True):
        out[seqs[i]].append((start, end))
    return out


def _after_numbers(tl: TargetLexicon) -> list[str] | None:
    """The not-targets that start with {NUMBER}, without it (the core reads the number once
    at each place); None if one does not start with it."""
    sources = tl.not_targets_at_numbers.sources
    if not all(s.startswith(NUMBER_TEMPLATE) for s in sources):
        return None
    return [core.source(s[len(NUMBER_TEMPLATE):]) for s in sources]


def _exclusions(text, clause: Clause, quantities, tl: TargetLexicon) -> list[tuple[int, int]]:
    """Spans whose numbers are no commitments, whatever the clause's time phrases (the
    Python rules of `_exclusions_of`). Patterns that start with a number run only near the
    quantities found, so a line of 100,000 numerals costs linear time."""
    piece = text[clause.start:clause.end]
    spans = [(clause.start + d.start, clause.start + d.end) for d in find_dates(piece)]
    spans += [m.span() for m in QUOTED.finditer(text, clause.start, clause.end)]
    # A name is not read inside a range: 两项 in 一至两项 or 一两项 is the range's upper end.
    spans += [(clause.start + a, clause.start + b) for a, b, _ in tl.names.finditer(piece)
              if not (a and (piece[a - 1] in RANGE_JOINERS or ADJACENT.match(piece, a - 1)))]
    spans += _places(text, clause, quantities, tl)
    words = [(max(clause.start, m.start() - NEAR), min(clause.end, m.end() + NEAR))  # 全覆盖, 翻倍: no numeral
             for m in tl.coverage_pattern.finditer(text, clause.start, clause.end)]
    for lo, hi in _union([*(_near(clause, q) for q in quantities), *words]):  # each stretch once, however dense
        spans += tl.not_targets.spans(text, lo, hi)
        # A pattern that starts with a number can only match where a run of numerals starts (the
        # number is atomic and greedy): tried there, not at every character of the stretch.
        starts = [m.start() for m in NUMERAL_RUN.finditer(text, lo, hi)]
        spans += tl.not_targets_at_numbers.match_spans(text, starts, hi)
    return spans


def _places(text, clause: Clause, quantities, tl: TargetLexicon) -> list[tuple[int, int]]:
    """Region names a number is part of: a full name (三门县, 三元区), or a short one in a
    list of places (九台、通化、龙井等实验县) — alone, 三门 may be three courses."""
    out = []
    for q in quantities:
        if text[q.start] not in PLACE_NUMERALS:
            continue
        lo, hi = max(clause.start, q.start - PLACE_REACH), min(clause.end, q.end + PLACE_REACH)
        found = [(lo + a, lo + b, name) for a, b, name in tl.places.finditer(text[lo:hi])]
        for i, (a, b, name) in enumerate(found):
            if not a <= q.start < b or name not in tl.numbered_places:
                continue
            listed = (i + 1 < len(found) and found[i + 1][0] == b + 1 and text[b] in PLACE_LIST) or \
                (i > 0 and found[i - 1][1] == a - 1 and text[a - 1] in PLACE_LIST)
            if name in tl.full_places or listed:
                out.append((a, b))
    return out


def _union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans merged."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _windows(text: str, clause: Clause, quantities, tl: TargetLexicon) -> list[tuple[int, int, int, str]]:
    """(start, end, end of the duration, "5年") for each window phrase (5年内, 通过3~5年的努力).
    Every window holds a duration, so only the stretches around durations are searched."""
    out: list[tuple[int, int, int, str]] = []
    for q in quantities:
        if q.kind != "duration":
            continue
        lo, hi = _near(clause, q)
        for m in tl.windows.finditer(text, lo, hi):
            if _service_limit(text, clause, m, tl):
                continue  # 5个工作日内完成初核: the duration is the target
            if not any(a <= m.start("q") < b for a, _, b, _ in out):
                out.append((m.start("q"), m.end(), m.end("q"), SPACES.sub("", m.group("q"))))
    return sorted(out)


def _service_limit(text: str, clause: Clause, window: regex.Match, tl: TargetLexicon) -> bool:
    """`…内` followed, in its clause, by a service verb (完成, 办结, 核实 …)."""
    return text.startswith("内", window.end() - 1) and bool(tl.service_limit.match(text, window.end(), clause.end))


# --- one clause ----------------------------------------------------------------------

def _clause_targets(text, clause, sentence, index, quantities, deadlines, periods, windows, exclusions, words,
                    coverage_word: bool, tl: TargetLexicon) -> list[Target]:
    if exclusions is None:
        return []  # most clauses: no quantity or coverage word, nothing to exclude, no noun phrase to find
    excluded = _Spans(_excluded(deadlines, periods, windows, exclusions))
    quantities = [q for q in quantities if not excluded.overlaps(q.start, q.end)]
    quantities = [q for q in quantities if q.kind in TARGET_KINDS or _is_coverage(text, q, clause, tl)]
    out: list[Target] = []
    previous_end = None
    previous_level: tuple[str, str] | None = None
    previous_comparator: str | None = None
    boundaries = _boundaries(clause, quantities, deadlines, windows, words)
    for q in quantities:
        kind = "coverage" if _is_coverage(text, q, clause, tl) else q.kind
        comparator, gap_start = _comparator(text, clause, q, previous_end, tl)
        if kind == "duration" and comparator == "eq" and WITHIN_AFTER.match(text, q.end):
            comparator = "le"  # 5个工作日内(完成): at most
        seg_start = clause.start if previous_end is None else _after_separator(text, previous_end)
        indicator, rule = _indicator(text, clause, q, seg_start, gap_start, boundaries, tl)
        if indicator is None:
            indicator = _next_clause_np(text, sentence, index, tl)
            rule = "np_next_clause" if indicator else rule
        if indicator is None and kind == "multiple" or (indicator and _is_base(text, q, indicator)):
            # 按总课时的11%|开设|美育课程: a share of a base, given to what the verb after it makes
            verb = tl.verb_pattern.match(text, q.end, clause.end)
            made = _np_after(text, verb.end(), clause.end, tl) if verb else None
            earlier = None if made else _previous_clause_np(text, sentence, index, tl)
            indicator, rule = (made, "np_after_verb") if made else (earlier, "np_previous_clause") if earlier \
                else (indicator, rule)
        if indicator is None and q.unit is not None and q.unit.unit in tl.self_naming_units:
            indicator, rule = q.unit.unit, "unit_named"  # 保证72学时
        level = _level(indicator or "", tl) or _subject_level(text, clause, q, tl)
        enumerated = previous_end is not None and text[previous_end:seg_start].strip() == "、"
        if level is None and enumerated and previous_level is not None:
            level = previous_level
        # 不低于50元、100元, 分别不低于60%和80%, 至少建有1个养老院和1个社区: a bound written once
        # before the first amount of a list bounds every item (one after it, 60%以上和80%, is
        # that amount's own).
        bound_before = gap_start is not None or not NUMERAL.match(text, q.start)
        if comparator == "eq" and previous_comparator in ("ge", "le", "gt", "lt") and \
                LIST_JOIN.fullmatch(text, previous_end, q.start):
            comparator, bound_before = previous_comparator, True
        value, value_max, unit = q.base()
        if kind == "coverage":
            value, value_max, unit = 100.0, None, "%"
        out.append(Target.of(
            clause_seq=clause.seq, indicator=indicator, indicator_id=None, quantity_kind=kind,
            value=value, value_max=value_max, comparator=comparator, unit=unit, per=_slash_per(text, q),
            within=None, level=level[1] if level else None, level_text=level[0] if level else None,
            deadline_year=None, deadline_text=None, deadline_source="none",
            mention=text[q.start:q.end], start=q.start, end=q.end, rule=f"{q.rule}+{rule}",
        ))
        previous_end = q.end if not _coverage_after(text, q, tl) else _coverage_after(text, q, tl).end()
        previous_level = level
        previous_comparator = comparator if bound_before else None
    out = _shared_head(text, _respectively(text, clause, out, tl))
    if coverage_word:  # a few clauses in a hundred
        out.extend(_coverage_targets(text, clause, _Spans([(t.start, t.end) for t in out] + excluded.spans),
                                     boundaries, tl))
    return out


def _clause_targets_of(text, clause, sentence, index, quantities, deadlines, periods, windows, exclusions, words,
                       coverage_word: bool, tl: TargetLexicon) -> list[Target]:
    """`_clause_targets`, in the compiled core when it is on (core/src/phrases/clause.rs):
    one call a clause, and a record for each target it returns."""
    if not core.enabled():
        return _clause_targets(text, clause, sentence, index, quantities, deadlines, periods, windows, exclusions,
                               words, coverage_word, tl)
    if exclusions is None:
        return []
    run, seq = sentence.clauses, clause.seq
    starts, ends = run.clauses.start, run.clauses.end
    found = _core_phrases(tl).clause_targets(
        text, (clause.start, clause.end), (starts[seq - 1], ends[seq - 1]) if seq > run.first else None,
        (starts[seq + 1], ends[seq + 1]) if seq + 1 < run.last else None, quantities, deadlines, periods, windows,
        exclusions, words, coverage_word)
    out = []
    for i, kind, comparator, indicator, rule, level, level_text, per, start, end, amount in zip(*found, strict=True):
        if i < 0:  # a coverage word: 100% of what it covers, or a multiple
            value, value_max, unit = amount, None, "%" if kind == "coverage" else "倍"
        else:
            q = quantities[i]
            value, value_max, unit = (100.0, None, "%") if kind == "coverage" else q.base()
            rule = f"{q.rule}+{rule}"
        out.append(Target.of(
            clause_seq=seq, indicator=indicator, indicator_id=None, quantity_kind=kind, value=value,
            value_max=value_max, comparator=comparator, unit=unit, per=per, within=None, level=level,
            level_text=level_text, deadline_year=None, deadline_text=None, deadline_source="none",
            mention=text[start:end], start=start, end=end, rule=rule,
        ))
    return out


def _shared_head(text: str, out: list[Target]) -> list[Target]:
    """分别给予200万元、100万元资金奖补: amounts listed right before one noun phrase all count it."""
    for i in range(len(out) - 2, -1, -1):
        t, nxt = out[i], out[i + 1]
        if nxt.rule.endswith("+np_after") and nxt.quantity_kind == t.quantity_kind and \
                not t.rule.endswith("+np_after") and AMOUNT_JOIN.fullmatch(text, t.end, nxt.start):
            out[i] = replaced(t, indicator=nxt.indicator, rule=t.rule.rsplit("+", 1)[0] + "+np_shared")
    return out


class _Spans:
    """Half-open spans with a logarithmic overlap test (clauses can hold thousands)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [a for a, _ in self.spans]
        self.max_end = []  # running maximum of ends, for the spans sorted by start
        best = -1
        for _, b in self.spans:
            best = max(best, b)
            self.max_end.append(best)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, end) - 1  # last span starting before `end`
        return i >= 0 and self.max_end[i] > start


def _coverage_after(text: str, q: Quantity, tl: TargetLexicon):
    return COVERAGE_TAIL.match(text, q.end) if q.kind == "percentage" and q.value == 100 else None


def _is_coverage(text: str, q: Quantity, clause: Clause, tl: TargetLexicon) -> bool:
    return _coverage_after(text, q, tl) is not None


def _coverage_targets(text, clause, taken, boundaries, tl: TargetLexicon) -> list[Target]:
    out = []
    for m in tl.coverage_pattern.finditer(text, clause.start, clause.end):
        if taken.overlaps(m.start(), m.end()):
            continue
        indicator = _np_before(text, clause.start, m.start(), boundaries, tl)
        level = _level(indicator or "", tl)
        multiple = tl.multiples.get(m.group())  # 实现翻倍: a multiple, not a coverage
        at_least = multiple is not None and AT_LEAST_BEFORE.search(text, max(clause.start, m.start() - 6), m.start())
        out.append(Target.of(
            clause_seq=clause.seq, indicator=indicator or None, indicator_id=None,
            quantity_kind="coverage" if multiple is None else "multiple",
            value=100.0 if multiple is None else multiple, value_max=None, comparator="ge" if at_least else "eq",
            unit="%" if multiple is None else "倍", per=None, within=None,
            level=level[1] if level else None, level_text=level[0] if level else None,
            deadline_year=None, deadline_text=None, deadline_source="none",
            mention=m.group(), start=m.start(), end=m.end(),
            rule="coverage_word+np_before" if multiple is None else "multiple_word+np_before",
        ))
    return out


def _after_separator(text: str, pos: int) -> int:
    m = ITEM_SEPARATOR.match(text, pos)
    return m.end()


def _comparator(text, clause, q: Quantity, previous_end, tl: TargetLexicon) -> tuple[str, int | None]:
    """The quantity's comparator; a comparator word a few characters before the number
    (不低于教师总数5%, 至少新创建5个) governs it too. Returns (comparator, gap start)."""
    if q.comparator not in ("eq",):
        return q.comparator, None
    # From a few characters before the reach, so that 超过 is seen as part of a 不超过 that starts
    # just outside it (and both are then out of reach).
    lo = max(clause.start, previous_end or clause.start, q.start - GAP_COMPARATOR - COMPARATOR_WORD)
    matches = list(tl.comparator_patterns["before"].finditer(text, lo, q.start, overlapped=True))
    # 不少于 contains 少于, 通过 (no comparator) contains 过: a match inside a longer one is part of that word.
    matches = [m for m in matches if not any(o is not m and o.start() <= m.start() and m.end() <= o.end()
                                             for o in matches) and m.start() >= q.start - GAP_COMPARATOR
               and tl.comparators["before"][m.group()] not in NOT_BOUNDS]
    best = max(matches, key=lambda m: m.start(), default=None)
    if best is None or GAP_BREAK.search(PER_PERIOD.sub("", text[best.end():q.start])):
        return "eq", None
    return tl.comparators["before"][best.group()], best.start()


def _boundaries(clause, quantities, deadlines, windows, words: Iterable[int]) -> list[int]:
    """Positions after which a noun phrase may start: after verbs, comparators, periods and
    punctuation (`words`, from `_word_ends`), windows, deadlines and other target quantities
    of the clause."""
    ends = [clause.start, *words]
    ends += [d.end for d in deadlines] + [w[1] for w in windows] + [q.end for q in quantities]
    return sorted(set(ends))


def _word_ends(text: str, clauses: Clauses, seqs: list[int], tl: TargetLexicon) -> dict[int, list[int]]:
    """clause seq → where the verbs, comparators before an amount, periods and punctuation
    of each of the clauses `seqs` end (noun phrase boundaries): one call for the notice."""
    words = derived(tl, "boundary_words", lambda: core.PatternList(
        [core.source(p) for p in (tl.verb_pattern, tl.comparator_patterns["before"], tl.period_pattern, CLAUSE_PUNCT)]))
    starts, ends = clauses.start, clauses.end
    found = words.spans_in_each(text, [starts[c] for c in seqs], [ends[c] for c in seqs])
    return {c: [end for _, end in spans] for c, spans in zip(seqs, found, strict=True)}


def _core_phrases(tl: TargetLexicon) -> core.Phrases:
    """The rules of `_clause_targets` (with `_indicator` and `_comparator`) compiled into the
    core, with this module's patterns and the lexicon's verbs, noun phrase stops, trim words,
    comparator words, levels, coverage and multiple words (once per loaded lexicon)."""
    def whole(pattern: regex.Pattern) -> str:  # for fullmatch: to the end of the phrase
        return f"(?:{core.source(pattern)})\\z"

    return derived(tl, "core_phrases", lambda: core.Phrases(  # the order of core/src/phrases.rs's constants
        [*map(core.source, (SLASH_PER, LEAD_NAME, WINDOW_LEAD, tl.verb_pattern, WINDOW_TASK_END, NOT_NP_START,
                            tl.np_stop_pattern)),
         whole(_verb_only(tl)), whole(BRACKETED), core.source(_verb_before(tl)), core.source(PER_PERIOD),
         *map(core.source, (NUMERAL, tl.level_pattern, SUBJECT_ADVERBS, GRANT_VERB, PAYER, SHARED_LEVEL)),
         *map(whole, (LEVEL_LIST, LIST_JOIN, AMOUNT_JOIN)),
         *map(core.source, (WITHIN_AFTER, ITEM_SEPARATOR, COVERAGE_TAIL, tl.coverage_pattern, AT_LEAST_BEFORE))],
        list(tl.trim_words), list(tl.trim_keep), list(GRANT_NOUNS), MAX_NP, MIN_AFTER_DE, MAX_BACKOFF,
        VERB_REACH, list(tl.comparators["before"].items()), list(NOT_BOUNDS), GAP_COMPARATOR, COMPARATOR_WORD,
        sorted(TARGET_KINDS), sorted(tl.self_naming_units), list(tl.levels.items()), list(tl.multiples.items())))


def _indicator(text, clause, q: Quantity, seg_start, gap_start, boundaries, tl) -> tuple[str | None, str]:
    rate = SLASH_PER.match(text, q.end)  # 50元/天/人的标准: the noun phrase follows the rate's period
    after_start = rate.end() if rate else q.end
    after = _np_after(text, after_start, clause.end, tl)
    if after:
        return after, "np_after"
    end = gap_start if gap_start is not None else q.start
    # 可申请最高15万元的|创业担保贷款: what the amount is of, after 的; it wins over a verb before
    # the amount, and stands in when nothing before names it.
    of = _np_after(text, after_start + 1, clause.end, tl) if text.startswith("的", after_start) else None
    if of and _verb_before(tl).search(text, max(seg_start, clause.start, end - VERB_REACH), end):
        return of, "np_after"
    np = _np_before(text, max(seg_start, clause.start), end, boundaries, tl)
    if not np and gap_start is not None:  # 按不超过|项目新增设备、软件投资额|5%的比例: what the bound is of
        word = tl.comparator_patterns["before"].match(text, gap_start)
        np = _np_before(text, word.end(), q.start, boundaries, tl) if word else None
    if not np and of:
        return of, "np_after"
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
    end = min(end, start + MAX_NP)
    lead = LEAD_NAME.match(text, start, end)  # 5年一周期的|全员轮训
    if lead:
        start = lead.end()
    window = WINDOW_LEAD.match(text, start, end)  # 5个工作日内|完成|初核并提交…: what is done in time
    if window:
        verb = tl.verb_pattern.match(text, window.end(), end)
        start = verb.end() if verb else window.end()
        cut = WINDOW_TASK_END.search(text, start, end)
        end = cut.start() if cut else end
    if start >= end:
        return None
    if not (HAN.match(text[start]) or text[start] in "“《\"("):
        return None
    if NOT_NP_START.match(text, start, end):
        return None
    head = _head_after_de(text, start, end)
    stops = tl.np_stop_pattern.finditer(text, head + 1, end)
    stop = next((m for m in stops if not _compound_final(text, m, end, head)), None)
    phrase = _trim(text[head: stop.start() if stop else end], tl)
    if not phrase or _verb_only(tl).fullmatch(phrase) or BRACKETED.fullmatch(phrase):
        return None  # 按…50%|计算和收取, 3-8人|(应为同一学校学生): no noun phrase
    return phrase


BRACKETED = regexes.compile(r"\([^()]*\)")
LEAD_NAME = regexes.compile(r"一周期的?")
WINDOW_LEAD = regexes.compile(r"(?:之)?内\s*(?:应|要|须|需)?")
WINDOW_TASK_END = regexes.compile(r"并|后|,|;|。|等工作")


def _head_after_de(text: str, start: int, end: int) -> int:
    """Start of the head noun: after the last 的 outside quotes and brackets (if any)."""
    phrase = text[start:end]
    head = _after_last_de(phrase)
    return start + len(phrase) - len(head)


def _compound_final(text: str, m: regex.Match, end: int, head: int) -> bool:
    """拔尖创新人才培养班: a verb followed by one last character belongs to a noun; so does one
    that ends the clause right after a two-character modifier (5个慈善组织, 服务奖励)."""
    if m.end() == end:
        return m.start() - head <= 2
    return m.end() + 1 == end and HAN.match(text[m.end()]) is not None


def _np_before(text: str, start: int, end: int, boundaries: list[int], tl: TargetLexicon) -> str | None:
    start = max(start, end - MAX_NP)
    inside = boundaries[bisect_left(boundaries, start):bisect_left(boundaries, end)]
    candidates = sorted(set(inside[-MAX_BACKOFF:] + [start]), reverse=True)
    for b in candidates:  # the nearest boundary first; back off when nothing is left
        phrase = _strip_final_verb(_trim(_after_last_de(text[b:end]), tl), tl)
        if phrase and len(phrase) >= 2:
            verb = _verb_only(tl).fullmatch(phrase)
            if verb is None or phrase.endswith(GRANT_NOUNS):  # 最高奖励|20万元: what is granted
                return phrase
            # 五星级的给予10万元, 保证72学时: a verb alone is no indicator; what comes before it may be
            at = text.rfind(phrase, b, end)
            return _np_before(text, start, at, boundaries, tl) if at > start else None
    return None


def _verb_before(tl: TargetLexicon) -> regex.Pattern:
    """A verb (with an adverb) that ends where the pattern's search ends."""
    return derived(tl, "verb_before", lambda: regexes.compile(rf"(?:{_verb_only(tl).pattern})\s*$"))


def _verb_only(tl: TargetLexicon) -> regex.Pattern:
    """A phrase that is only a verb (with an adverb): 给予, 一次性给予, 可申请, 建立."""
    return derived(tl, "verb_only", lambda: regexes.compile(
        rf"(?:一次性|可以|可|另|再|均|要)?(?:{tl.verb_pattern.pattern}|给予|保证|突破|申请|计算和收取)"
        r"|每(?:个|名|人|家|所|年)"))  # 每个…给予30万元: a distributor names nothing


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


PHRASE_EDGES = " ,、:;"


def _trim(phrase: str, tl: TargetLexicon) -> str:
    """The phrase without the trim words at its ends (不断提高|…|水平), pass after pass: each
    pass tries the words in trim_words' order, each at the start then at the end, and strips
    it unless the phrase would be left empty or a kept word (达标, 人均) begins or ends it.
    Only the words the phrase starts or ends with are looked at (`_next_trim`)."""
    phrase = phrase.strip(PHRASE_EDGES)
    index, lengths = derived(tl, "trim_index", lambda: ({w: k for k, w in enumerate(tl.trim_words)},
                                                         sorted({len(w) for w in tl.trim_words})))
    if phrase in index:
        return ""
    changed = True
    while changed and phrase:
        changed = False
        k = _next_trim(phrase, index, lengths, -1, tl.trim_keep)
        while k is not None:
            word = tl.trim_words[k]
            if phrase.startswith(word) and len(phrase) > len(word) and not phrase.startswith(tl.trim_keep):
                phrase, changed = phrase[len(word):], True
            if phrase.endswith(word) and len(phrase) > len(word) and not phrase.endswith(tl.trim_keep):
                phrase, changed = phrase[: -len(word)], True
            k = _next_trim(phrase, index, lengths, k, tl.trim_keep)
        phrase = phrase.strip(PHRASE_EDGES)
    return phrase


def _next_trim(phrase: str, index: dict[str, int], lengths: list[int], after: int,
               keep: tuple[str, ...]) -> int | None:
    """The first trim word after number `after` that `_trim` would strip from the phrase's
    start or end as it is now (the words between change nothing)."""
    best = None
    head, tail = not phrase.startswith(keep), not phrase.endswith(keep)
    for size in lengths:
        if size >= len(phrase):
            break
        for k in (index.get(phrase[:size]) if head else None, index.get(phrase[-size:]) if tail else None):
            if k is not None and k > after and (best is None or k < best):
                best = k
    return best


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
    """The level the indicator names; none when it names a list of levels (市级、县级专职教研员
    至少1人): one value over several levels is no one level's."""
    listed = _levels_listed(indicator, tl)
    return listed[0] if len(listed) == 1 else None


def _at_level(t: Target, level: tuple[str, str] | None) -> Target:
    """An amount granted on a condition that names the recipient's `level` is at that level
    when its own words name none (SPEC §6.1)."""
    return replaced(t, level=level[1], level_text=level[0]) if level and t.level is None else t


def _slash_per(text: str, q: Quantity) -> str | None:
    """50元/天/人, 300元/人/月: the period a rate is per, written after slashes."""
    m = SLASH_PER.match(text, q.end)
    return m["p"] if m and q.unit is not None and q.unit.kind == "money" else None


def _subject_level(text: str, clause: Clause, q: Quantity, tl: TargetLexicon) -> tuple[str, str] | None:
    """市级至少建设2个…, 县级建设1个…: a level word that is the clause's subject, followed by its
    verb, is the level of what it builds."""
    m = tl.level_pattern.match(text, clause.start, q.start)
    if m is None:
        return None
    adverbs = SUBJECT_ADVERBS.match(text, m.end(), q.start)
    if GRANT_VERB.match(text, adverbs.end(), q.start):
        return None  # 省级分别给予50万元: the level of who pays (SPEC §6.1)
    return (m.group(), tl.levels[m.group()]) if tl.verb_pattern.match(text, adverbs.end(), q.start) else None


def _levels_listed(indicator: str, tl: TargetLexicon) -> list[tuple[str, str]]:
    """The first level the indicator names, with those listed right after it (国家级、省级)."""
    found: list[tuple[str, str]] = []
    end = 0
    for m in tl.level_pattern.finditer(indicator):
        if PAYER.match(indicator, m.end()):
            continue  # 市级工业发展资金给予…: the level of who pays, not of what is counted (SPEC §6.1)
        shared = SHARED_LEVEL.search(indicator, 0, m.start()) if not found else None
        level = shared and (tl.levels.get(shared["w"]) or tl.levels.get(shared["w"] + "级"))
        if level:  # 省、市级名师: 级 written once for the list
            found.append((shared["w"], level))
            if tl.levels[m.group()] != level:
                found.append((m.group(), tl.levels[m.group()]))
            end = m.end()
            continue
        if found and not LEVEL_LIST.fullmatch(indicator, end, m.start()):
            break
        if not found or tl.levels[m.group()] != found[-1][1]:
            found.append((m.group(), tl.levels[m.group()]))
        end = m.end()
    return found


def _respectively(text: str, clause: Clause, out: list[Target], tl: TargetLexicon) -> list[Target]:
    """国家级、省级企业分别达到10家、40家: the levels listed go to the amounts in turn."""
    if "分别" not in text[clause.start:clause.end] or len(out) < 2 or not out[0].indicator:
        return out
    listed = _levels_listed(out[0].indicator, tl)
    if len(listed) != len(out):
        return out
    return [replaced(t, level=level, level_text=word) for t, (word, level) in zip(out, listed, strict=True)]


# --- context: period, window, deadline, scope -------------------------------------------

def _scope_finder(text: str, sentence: _Sentence, index: int, tl: TargetLexicon) -> Callable[[Target], str]:
    """For the targets of clause `index`: per_school for 为每所创建校配备…, per_subordinate
    for 每个县(区)至少…/各县(市、区)创建…, from the clause before the number or the sentence's
    first clause. Each pattern is searched once a clause, not once a target: a clause of
    20,000 numbers would otherwise search its beginning 20,000 times."""
    run = sentence.clauses
    starts, ends = run.clauses.start, run.clauses.end
    seq = run.first + index
    found = [(name, m.end()) for name, pattern in tl.scopes if (m := pattern.search(text, starts[seq], ends[seq]))]
    first = run.first
    default = next((name for name, pattern in tl.scopes if index and pattern.search(text, starts[first], ends[first])),
                   "jurisdiction")

    def scope(t: Target) -> str:
        return next((name for name, end in found if end <= t.start), default)
    return scope

def _with_context(t: Target, periods, windows, deadlines, index, openers, paragraph_deadline,
                  plan_end, scope: str) -> Target:
    period = next((p for p in reversed(periods) if p.end <= t.start), None)
    # 每两年举办一届: per is `2年` (SPEC §6.1), and a count of events per period is a frequency.
    per = t.per if period is None else period.unit if period.value == 1 else f"{period.value:g}{period.unit}"
    if period is not None and t.quantity_kind == "count" and t.unit in EVENT_UNITS:
        t = replaced(t, quantity_kind="frequency")
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
    return replaced(
        t, per=per, within=within, scope=scope,
        deadline_year=deadline.year if deadline else plan_end,
        deadline_text=deadline.text if deadline else None, deadline_source=source,
    )


def _milestones(text, sentence: _Sentence, phrases, openers, targets: list[Target], tl) -> list[Target]:
    """One milestone per deadline whose governed span holds no quantified target.
    `phrases`: (clause index, deadline phrase) of the sentence's clauses; `openers`: the
    deadlines opening a clause, bare years included."""
    if not (phrases or openers):
        return []  # most sentences
    out = []
    all_deadlines = list(phrases)
    starts = {d.start for _, d in all_deadlines}
    all_deadlines += [(i, d) for i, d in openers if d.start not in starts]
    target_starts = sorted(t.start for t in targets if t.quantity_kind != "milestone")
    run = sentence.clauses
    governed_end = run.clauses.end[run.last - 1]
    for i, d in sorted(all_deadlines, key=lambda x: x[1].start):
        k = bisect_left(target_starts, d.start)
        if k < len(target_starts) and target_starts[k] < governed_end:
            continue  # the deadline governs a quantified target: it is on that row
        clause = sentence.clauses[i]
        rest = text[d.end:clause.end].strip(" ,")
        if not rest and i + 1 < len(sentence.clauses):
            clause = sentence.clauses[i + 1]
            commitment, source = text[clause.start:clause.end], "sentence"
        else:
            before = text[clause.start:d.start].strip(" ,")
            commitment, source = (rest or before), "clause"
        commitment = OPENING_HEDGE.sub("", commitment).strip(" ,")
        if commitment:
            out.append(_milestone(clause, commitment, d, source, "milestone", tl))
    return out


def _milestone(clause: Clause, commitment: str, d: Deadline, source: str, rule: str, tl: TargetLexicon) -> Target:
    """A milestone row (SPEC §6): the deadline phrase is its mention, the commitment its indicator."""
    level = _level(commitment, tl)
    return Target.of(
        clause_seq=clause.seq, indicator=commitment, indicator_id=None, quantity_kind="milestone",
        value=None, value_max=None, comparator=None, unit=None, per=None, within=None,
        level=level[1] if level else None, level_text=level[0] if level else None,
        deadline_year=d.year, deadline_text=d.text, deadline_source=source,
        mention=d.text, start=d.start, end=d.end, rule=rule,
    )


def _with_indicator_ids(targets: list[Target], context: Callable[[Target], str], lex: Lexicons) -> tuple[Target, ...]:
    """Each target with the first canonical indicator whose terms name it (else whose
    context its clause holds, `context(target)`) and whose one unit is the target's: values of
    one indicator are always comparable. A milestone has no amount and takes the indicator
    its terms name. Two calls for the notice: the terms, then the contexts."""
    indicators = lex.targets.indicators
    terms, contexts, of, by_unit = derived(lex.targets, "indicator_patterns", lambda: _indicator_patterns(indicators))
    fits = [range(len(indicators)) if t.value is None else by_unit.get(t.unit, ()) for t in targets]
    found: list[int | None] = [None] * len(targets)
    named = [i for i, t in enumerate(targets) if fits[i] and t.indicator]
    for i, k in zip(named, terms.first_matching([targets[i].indicator for i in named], [list(fits[i]) for i in named]),
                    strict=True):
        found[i] = k
    number = {k: j for j, k in enumerate(of)}  # an indicator with a context → its context's number
    placed = [i for i, t in enumerate(targets) if fits[i] and found[i] is None]
    for i, j in zip(placed, contexts.first_matching([context(targets[i]) for i in placed],
                                                    [[number[k] for k in fits[i] if k in number] for i in placed]),
                    strict=True):
        found[i] = None if j is None else of[j]
    return tuple(t if k is None else replaced(t, indicator_id=indicators[k].id) for t, k in zip(targets, found,
                                                                                                 strict=True))


def _indicator_patterns(indicators) -> tuple[core.PatternList, core.PatternList, list[int], dict[str, list[int]]]:
    """The indicators' terms as one list; the contexts of those that have one, with their
    indicators' numbers; the numbers of the indicators of each unit, in order."""
    of = [k for k, i in enumerate(indicators) if i.context is not None]
    by_unit: dict[str, list[int]] = {}
    for k, indicator in enumerate(indicators):
        by_unit.setdefault(indicator.unit, []).append(k)
    return (core.PatternList([i.terms.pattern for i in indicators]),
            core.PatternList([indicators[k].context.pattern for k in of]), of, by_unit)
