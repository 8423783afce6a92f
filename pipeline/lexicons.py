"""Validating loader for the researcher-editable files under `lexicons/`.

Takes a lexicon folder, gives a frozen `Lexicons` bundle with compiled matchers.
Every problem found is collected and reported at once as `file:line: message`
(raised as one `LexiconError`), before any document is processed.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex
import yaml

from . import regexes
from .errors import LexiconError

if TYPE_CHECKING:
    from .core import Pattern, PatternList

# The lexicons live inside the package, so the wheel carries them and an installed tool runs
# from any folder; in a checkout the top-level lexicons/ a researcher edits links to them.
DEFAULT_DIR = Path(__file__).resolve().parent / "lexicons"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # province | prefecture | county
    province_code: str
    prefecture_code: str
    short: str


class NameIndex:
    """Longest-match lookup of many literal names (6,000 region names) in linear time.

    A regex alternation of that many words costs ~60 µs per character; a dictionary
    keyed by first character, trying only the lengths names starting with it have,
    costs well under 1 µs.
    """

    def __init__(self, names) -> None:
        self.names = frozenset(n for n in names if n)
        lengths: dict[str, set[int]] = {}
        for name in self.names:
            lengths.setdefault(name[0], set()).add(len(name))
        self.lengths = {ch: sorted(ls, reverse=True) for ch, ls in lengths.items()}

    def finditer(self, text: str):
        """(start, end, name) for non-overlapping longest matches, left to right."""
        i, n = 0, len(text)
        while i < n:
            for length in self.lengths.get(text[i], ()):
                if i + length <= n and text[i:i + length] in self.names:
                    yield i, i + length, text[i:i + length]
                    i += length
                    break
            else:
                i += 1


@dataclass(frozen=True)
class HeadingFamily:
    name: str
    rank: int
    pattern: regex.Pattern


@dataclass(frozen=True)
class Unit:
    written: str
    unit: str
    kind: str
    base: str
    factor: float


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    unit: str  # the one unit its values are in (a base unit of units.tsv, or %)
    terms: Pattern
    context: Pattern | None


@dataclass(frozen=True)
class TargetLexicon:
    """Everything target extraction reads (units.tsv, comparators.tsv, targets.yaml, indicators.yaml)."""

    units: dict[str, Unit]
    unit_pattern: regex.Pattern  # alternation of written units, longest first
    comparators: dict[str, dict[str, str]]  # position → word → comparator
    comparator_patterns: dict[str, regex.Pattern]
    periods: dict[str, str]
    period_pattern: regex.Pattern
    levels: dict[str, str]
    level_pattern: regex.Pattern
    verb_pattern: regex.Pattern
    np_stop_pattern: regex.Pattern
    trim_words: tuple[str, ...]
    trim_keep: tuple[str, ...]  # 达标, 人均: words a trim character begins or ends, kept whole
    windows: PatternList
    coverage_pattern: regex.Pattern  # words that state an amount without a numeral: 全覆盖, 翻一番
    multiples: dict[str, float]  # …those of them that state a multiple: 翻一番 → 2 (倍)
    self_naming_units: frozenset[str]  # 学时, 学分: the indicator when no noun phrase is found
    names: NameIndex
    not_targets: PatternList
    # …those of them that start with a number, tried only where a run of numerals starts
    not_targets_at_numbers: PatternList
    past_pattern: regex.Pattern  # a sentence that reports the past or defines a term
    condition_pattern: regex.Pattern  # where a condition ends and what follows from it begins (…的,给予)
    explained_pattern: regex.Pattern  # a name made of numbers spelt out after it (“11333”…,即:1个…)
    scopes: tuple[tuple[str, regex.Pattern], ...]
    deadlines: PatternList
    duty_deadlines: PatternList  # 确保…在6月30日前…: a yearless date a duty is due by
    bare_year: regex.Pattern
    indicators: tuple[Indicator, ...]
    past_sections: tuple[str, ...]  # headings of sections that report the past (发展基础)
    circumstance: regex.Pattern  # 围绕…/按照…: a clause opening a circumstance, not a commitment
    # (unless a frame closes the circumstance inside it: 围绕…等方面做好…, 以…为中心深化…)
    service_limit: regex.Pattern  # 5个工作日内完成: what makes a window a time limit to meet
    # Region names that hold a numeral (三门县, 九台区, 三元区; short names 三门, 九台), with
    # every region name to tell a list of places (九台、通化、龙井) from 三门课程: set by
    # load_lexicons from regions.tsv.
    places: NameIndex = NameIndex(())
    numbered_places: frozenset[str] = frozenset()
    full_places: frozenset[str] = frozenset()


UNIT_KINDS = {"count", "frequency", "percentage", "multiple", "area", "money", "length", "duration",
              "weight", "volume", "energy", "qualifier"}
COMPARATORS = {"eq", "ge", "gt", "le", "lt", "approx", "none"}  # none: a word that is not one (通过)
_HAS_NUMERAL = regexes.compile(r"[〇一二两三四五六七八九十百千万]")
YEAR = r"(?:19|20)\d{2}|[一二][〇零○九][〇零○一二三四五六七八九]{2}"


@dataclass(frozen=True)
class UnitType:
    id: str
    name: str
    system: str
    prefix: str  # gov | party | youth | none: how a level prefix attaches
    pattern: str  # its patterns as one alternation


@dataclass(frozen=True)
class UnitLexicon:
    prefixes: tuple[str, ...]  # longest first
    types: tuple[UnitType, ...]
    patterns: PatternList  # each type's pattern, in the order of `types`: one call asks them all


SYSTEMS = {"gov", "party", "mass", "judicial", "company", "institution", "lower_gov", "collective", "school"}


def _load_units(path: Path, problems: _Problems) -> UnitLexicon | None:
    root = _yaml_nodes(path, problems)
    if root is None:
        return None
    prefixes = _words(root, "prefixes", path, problems)
    types_node = _section(root, "types")
    types: list[UnitType] = []
    if not isinstance(types_node, yaml.SequenceNode):
        problems.add(path, 1, "missing list 'types'")
        return None
    seen, lines = set(), []
    for item in types_node.value:
        line = item.start_mark.line + 1
        fields = {k.value: v for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        if set(fields) != {"id", "name", "system", "prefix", "patterns"}:
            problems.add(path, line, "a unit type needs exactly id, name, system, prefix and patterns")
            continue
        ident, system, prefix = fields["id"].value, fields["system"].value, fields["prefix"].value
        if ident in seen:
            problems.add(path, line, f"duplicate unit type {ident!r}")
        elif system not in SYSTEMS:
            problems.add(path, line, f"{ident}: system must be one of {', '.join(sorted(SYSTEMS))}")
        elif prefix not in ("gov", "party", "youth", "none"):
            problems.add(path, line, f"{ident}: prefix must be gov|party|youth|none")
        else:
            terms = [t.value for t in fields["patterns"].value] if isinstance(fields["patterns"], yaml.SequenceNode) \
                else []
            if terms:
                types.append(UnitType(ident, fields["name"].value, system, prefix, "|".join(f"(?:{t})" for t in terms)))
                lines.append(line)
        seen.add(ident)
    patterns = _pattern_list([t.pattern for t in types], lines, path, problems)
    types = [t for t in types if t.pattern in patterns.sources]  # without those that did not compile
    return UnitLexicon(tuple(sorted(prefixes, key=len, reverse=True)), tuple(types), patterns)


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    group: str | None
    definition: str
    terms: frozenset[str]
    negative: frozenset[str]


@dataclass(frozen=True)
class Codebook:
    id: str
    name: str
    path: str
    categories: tuple[Category, ...]
    domain: str | None = None  # the sector a codebook is made for (education); None: every notice
    domain_terms: frozenset[str] = frozenset()  # words that put a notice or a sentence in that sector
    domain_title_terms: frozenset[str] = frozenset()  # words that put a notice in it by its title only
    themes: bool = False  # categories are themes: a clause also takes its title's and headings' (not tools)
    grant_openers: tuple[str, ...] = ()  # 给予…: a clause naming who qualifies takes the tools of its grant


def load_codebook(path: Path, problems: _Problems) -> Codebook | None:
    """One codebook file (see lexicons/codebooks/action.yaml for the format)."""
    root = _yaml_nodes(path, problems)
    if root is None:
        return None
    ident = _section(root, "id")
    name = _section(root, "name")
    cats = _section(root, "categories")
    if not isinstance(ident, yaml.ScalarNode) or not isinstance(name, yaml.ScalarNode):
        problems.add(path, 1, "a codebook needs an id and a name")
        return None
    if not isinstance(cats, yaml.SequenceNode) or not cats.value:
        problems.add(path, 1, "a codebook needs a non-empty list 'categories'")
        return None
    out, seen = [], set()
    for item in cats.value:
        line = item.start_mark.line + 1
        fields = {k.value: v for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        missing = {"id", "name", "terms"} - set(fields)
        unknown = set(fields) - {"id", "name", "group", "definition", "terms", "negative"}
        if missing or unknown:
            problems.add(path, line, f"a category needs id, name and terms (missing {sorted(missing)}, "
                                     f"unknown {sorted(unknown)})")
            continue
        cid = fields["id"].value
        terms = [t.value for t in fields["terms"].value] if isinstance(fields["terms"], yaml.SequenceNode) else []
        negative = [t.value for t in fields["negative"].value] \
            if isinstance(fields.get("negative"), yaml.SequenceNode) else []
        if cid in seen:
            problems.add(path, line, f"duplicate category id {cid!r}")
        elif not terms or not all(isinstance(t, str) and t.strip() for t in terms):
            problems.add(path, line, f"{cid}: terms must be a non-empty list of words")
        else:
            out.append(Category(cid, fields["name"].value,
                                fields["group"].value if "group" in fields else None,
                                fields["definition"].value if "definition" in fields else "",
                                frozenset(terms), frozenset(negative)))
        seen.add(cid)
    domain = _section(root, "domain")
    domain_terms = _section(root, "domain_terms")
    words: list[str] = []
    if domain is not None:
        if not isinstance(domain_terms, yaml.SequenceNode) or not domain_terms.value:
            problems.add(path, domain.start_mark.line + 1, "a codebook with a domain needs a list 'domain_terms'")
        else:
            words = [str(t.value) for t in domain_terms.value if str(t.value).strip()]
    title_node = _section(root, "domain_title_terms")
    title_words = [str(t.value) for t in title_node.value] if isinstance(title_node, yaml.SequenceNode) else []
    theme = _section(root, "themes")
    if theme is not None and str(theme.value).lower() not in ("true", "false"):
        problems.add(path, theme.start_mark.line + 1, "themes must be true or false")
    grants = _section(root, "grant_openers")
    grant_words = [str(t.value) for t in grants.value] if isinstance(grants, yaml.SequenceNode) else []
    return Codebook(ident.value, name.value, str(path), tuple(out),
                    str(domain.value) if domain is not None else None, frozenset(words), frozenset(title_words),
                    theme is not None and str(theme.value).lower() == "true", tuple(grant_words))


@dataclass(frozen=True)
class Lexicons:
    directory: str
    fingerprint: str  # hash of every lexicon file: part of the incremental-run cache key
    regions: dict[str, Region]  # by code
    regions_by_name: dict[str, tuple[Region, ...]]  # full and short names
    region_names: NameIndex  # every full and short name
    chrome_line: regex.Pattern
    line_breaks: regex.Pattern  # where a line holding a whole notice is broken (chrome, annexes)
    section_titles: regex.Pattern  # 总体要求, 发展目标 … run on into their first sentence (一、发展目标2020年,…)
    heading_body_opener: regex.Pattern  # 各地要…, 从2019年…起: a sentence a heading title runs on into
    chrome_label: regex.Pattern  # ^label : value?
    meta_labels: dict[str, tuple[str, ...]]
    doc_types: tuple[str, ...]
    org_suffixes: tuple[str, ...]
    headings: tuple[HeadingFamily, ...]
    goal_sections: tuple[str, ...]
    tag_keywords: tuple[str, ...]
    closing_verbs: tuple[str, ...]  # (市科委负责落实): task closings without a label
    unit_final_chars: str
    deadline_labels: tuple[str, ...]  # 完成时限: a task's own deadline inside its tag
    time_cells: tuple[str, ...]  # 持续实施: an undated cell of a task table's time column
    time_cell_patterns: tuple[str, ...]  # 省…出台后启动: time cells that state a condition
    connectives: frozenset[str]  # 同时, 其中: a sentence opener, not a clause of its own
    # 约束性, 预期性: the attribute cell that ends a row of an indicator table (序号|指标|2025年|属性)
    indicator_attributes: tuple[str, ...]
    targets: TargetLexicon
    units: UnitLexicon
    codebooks: tuple[Codebook, ...]


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.items.append(f"{path}:{line}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise LexiconError("; ".join(self.items))


def _circumstance(openers: list[str], frames: list[str]) -> regex.Pattern:
    """A clause that opens a circumstance (`围绕养老服务体系建设`) and does not close it to go
    on with its own commitment (`围绕…等方面做好信息公开`, `以用户体验为中心深化…`)."""
    if not openers:
        return regexes.compile("(?!)")
    closed = rf"(?![^,;。]*?(?:{alternation(frames)})\p{{Han}})" if frames else ""
    return regexes.compile(rf"^(?:{alternation(openers)}){closed}")


def alternation(words: list[str] | tuple[str, ...]) -> str:
    """Regex alternation of literal words, escaped, longest first (so 自治县 beats 县)."""
    return "|".join(regex.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


# libyaml when installed: the pure-Python parser is a third of startup.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_nodes(path: Path, problems: _Problems) -> yaml.MappingNode | None:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path, 1, f"cannot read: {exc}")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(path, (mark.line + 1) if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}")
        return None
    if not isinstance(node, yaml.MappingNode):
        problems.add(path, 1, "expected a mapping of sections at the top level")
        return None
    return node


def _section(root: yaml.MappingNode, key: str) -> yaml.Node | None:
    for k, v in root.value:
        if k.value == key:
            return v
    return None


def _string_list(root, key, path, problems) -> list[tuple[str, int]]:
    node = _section(root, key)
    if node is None:
        problems.add(path, 1, f"missing section '{key}'")
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.add(path, node.start_mark.line + 1, f"'{key}' must be a list")
        return []
    out = []
    for item in node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
            problems.add(path, line, f"'{key}' entries must be non-empty strings")
            continue
        out.append((str(item.value), line))
    return out


def _words(root, key, path, problems) -> list[str]:
    """The entries of a list section, without their line numbers."""
    return [w for w, _ in _string_list(root, key, path, problems)]


def _optional_words(root, key, path, problems) -> list[str]:
    """A list section that older lexicon folders lack: empty when absent."""
    return _words(root, key, path, problems) if _section(root, key) is not None else []


def _patterns(root, key, path, problems) -> list[str]:
    """The valid patterns of a list section; each bad one is reported with its line."""
    return [p for p, line in _string_list(root, key, path, problems) if _compile(p, path, line, problems) is not None]


def _any_of(patterns: list[str]) -> regex.Pattern:
    """One pattern matching any of `patterns`; one that never matches when there are none."""
    return regexes.compile("|".join(f"(?:{p})" for p in patterns) if patterns else r"(?!)")


def _any_of_checked(patterns: list[str], path: Path, problems: _Problems) -> regex.Pattern | None:
    """`_any_of`, with a pattern that does not compile reported as a problem of `path`."""
    return _compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", path, 1, problems)


def _compile_in_core(pattern: str, path: Path, line: int, problems: _Problems) -> Pattern | None:
    """A pattern compiled in the core (see core.Pattern), or None and the line reported."""
    from .core import Pattern

    try:
        return Pattern(pattern)
    except ValueError as exc:
        problems.add(path, line, f"bad pattern {pattern!r}: {exc.args[-1]}")
        return None


def _pattern_list(sources: list[str], lines: list[int], path: Path, problems: _Problems) -> PatternList:
    """Patterns compiled together in the core (see core.PatternList); each that does not
    compile is reported with its line and left out."""
    from .core import PatternList

    sources, lines = list(sources), list(lines)
    while True:
        try:
            return PatternList(sources)
        except ValueError as exc:  # name the line, and go on with the others to find every bad one
            i, message = exc.args
            problems.add(path, lines[i], f"bad pattern {sources[i]!r}: {message}")
            del sources[i], lines[i]


def _compile(pattern: str, path: Path, line: int, problems: _Problems) -> regex.Pattern | None:
    try:
        return regexes.compile(pattern)
    except regex.error as exc:
        problems.add(path, line, f"bad pattern {pattern!r}: {exc}")
        return None


def load_tsv(path: Path, columns: list[str], problems: _Problems) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV lexicon with their line numbers; '#' lines are comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path, 1, f"cannot read: {exc}")
        return []
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    # One reader for the file (a reader per line was a tenth of startup for regions.tsv).
    parsed = csv.reader((line for _, line in numbered), delimiter="\t", quoting=csv.QUOTE_NONE)
    for (lineno, line), fields in zip(numbered, parsed, strict=True):
        if header is None:
            header = fields
            if header != columns:
                problems.add(path, lineno, f"header must be {' TAB '.join(columns)!r}, found {line!r}")
                return []
            continue
        if len(fields) != len(columns):
            problems.add(path, lineno, f"expected {len(columns)} tab-separated fields, found {len(fields)}")
            continue
        rows.append((lineno, dict(zip(columns, fields, strict=True))))
    return rows


_SIX_DIGITS = regexes.compile(r"\d{6}")


def _load_regions(path: Path, problems: _Problems) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    cols = ["code", "name", "level", "province_code", "prefecture_code", "short"]
    for lineno, row in load_tsv(path, cols, problems):
        if not _SIX_DIGITS.fullmatch(row["code"]):
            problems.add(path, lineno, f"code must be 6 digits, found {row['code']!r}")
            continue
        if row["level"] not in ("province", "prefecture", "county"):
            problems.add(path, lineno, f"level must be province|prefecture|county, found {row['level']!r}")
            continue
        if row["code"] in regions:
            problems.add(path, lineno, f"duplicate code {row['code']}")
            continue
        regions[row["code"]] = Region(**row)
    for region in regions.values():
        for ref in (region.province_code, region.prefecture_code):
            if ref and ref not in regions:
                problems.add(path, 1, f"{region.code} {region.name}: parent code {ref} is not in the file")
    return regions


def load_lexicons(directory: Path | str = DEFAULT_DIR, extra_codebooks: tuple[str, ...] = ()) -> Lexicons:
    """Load and validate every lexicon file in `directory` (see lexicons/README.md), and
    any extra codebook files a researcher gives (`run --codebook PATH`)."""
    directory = Path(directory)
    problems = _Problems()
    if not directory.is_dir():
        raise LexiconError(f"{directory}: lexicon folder not found")

    regions = _load_regions(directory / "regions.tsv", problems)
    path = directory / "structure.yaml"
    root = _yaml_nodes(path, problems)
    chrome, labels, doc_types, orgs, goals, tag_kw, breaks, body_openers = [], [], [], [], [], [], [], []
    meta_labels: dict[str, tuple[str, ...]] = {}
    headings: list[HeadingFamily] = []
    optional: dict[str, list[str]] = {"closing_verbs": [], "deadline_labels": [], "time_cells": [],
                                      "connectives": [], "section_titles": [], "indicator_attributes": []}
    final_chars = ""
    cell_patterns: list[str] = []
    if root is not None:
        chrome = _patterns(root, "chrome_lines", path, problems)
        if _section(root, "line_breaks") is not None:  # optional: older lexicon folders lack it
            breaks = _patterns(root, "line_breaks", path, problems)
        if _section(root, "time_cell_patterns") is not None:
            cell_patterns = _patterns(root, "time_cell_patterns", path, problems)
        if _section(root, "heading_body_openers") is not None:
            body_openers = _patterns(root, "heading_body_openers", path, problems)
        labels = _words(root, "chrome_labels", path, problems)
        doc_types = _words(root, "doc_types", path, problems)
        orgs = _words(root, "org_suffixes", path, problems)
        goals = _words(root, "goal_sections", path, problems)
        tag_kw = _words(root, "tag_keywords", path, problems)
        optional = {key: _optional_words(root, key, path, problems) for key in optional}
        finals = _section(root, "unit_final_chars")
        final_chars = str(finals.value) if finals is not None and isinstance(finals, yaml.ScalarNode) else ""
        meta_node = _section(root, "meta_labels")
        if not isinstance(meta_node, yaml.MappingNode):
            problems.add(path, 1, "missing mapping 'meta_labels'")
        else:
            for k, v in meta_node.value:
                if not isinstance(v, yaml.SequenceNode):
                    problems.add(path, v.start_mark.line + 1, f"meta_labels.{k.value} must be a list")
                    continue
                meta_labels[k.value] = tuple(str(i.value) for i in v.value)
        head_node = _section(root, "headings")
        if not isinstance(head_node, yaml.SequenceNode):
            problems.add(path, 1, "missing list 'headings'")
        else:
            for item in head_node.value:
                line = item.start_mark.line + 1
                fields = {k.value: v.value for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
                if set(fields) != {"name", "rank", "pattern"} or not str(fields.get("rank", "")).isdigit():
                    problems.add(path, line, "a heading needs exactly name, rank (an integer) and pattern")
                    continue
                pattern = _compile(fields["pattern"], path, line, problems)
                if pattern is not None:
                    headings.append(HeadingFamily(fields["name"], int(fields["rank"]), pattern))
    targets = _load_targets(directory, problems)
    units = _load_units(directory / "unit_types.yaml", problems)
    codebooks = [load_codebook(p, problems) for p in sorted((directory / "codebooks").glob("*.yaml"))]
    codebooks += [load_codebook(Path(p), problems) for p in extra_codebooks]
    ids = [c.id for c in codebooks if c is not None]
    for c in codebooks:
        if c is not None and ids.count(c.id) > 1:
            problems.add(Path(c.path), 1, f"codebook id {c.id!r} is used by another file")
    problems.raise_if_any()

    by_name: dict[str, list[Region]] = {}
    for region in regions.values():
        for name in {region.name, region.short} - {""}:
            by_name.setdefault(name, []).append(region)
    region_names = NameIndex(by_name)
    targets = replace(targets, places=region_names,
                      numbered_places=frozenset(n for n in by_name if _HAS_NUMERAL.search(n)),
                      full_places=frozenset(r.name for r in regions.values()))
    # Labels may be written with spaces between characters (索 引 号, 标  题).
    spaced = "|".join(r"\s*".join(regex.escape(ch) for ch in label) for label in sorted(labels, key=len, reverse=True))
    fingerprint = hashlib.sha256()
    for file in sorted(directory.rglob("*")) + [Path(p) for p in extra_codebooks]:
        if file.is_file():
            fingerprint.update(file.name.encode())
            fingerprint.update(file.read_bytes())
    return Lexicons(
        directory=str(directory),
        fingerprint=fingerprint.hexdigest()[:16],
        regions=regions,
        regions_by_name={k: tuple(v) for k, v in by_name.items()},
        region_names=region_names,
        chrome_line=_any_of(chrome),
        line_breaks=_any_of(breaks),
        section_titles=regexes.compile(rf"(?:{alternation(optional['section_titles'])})(?=[^\p{{P}}\s])")
        if optional["section_titles"] else regexes.compile("(?!)"),
        heading_body_opener=_any_of(body_openers),
        chrome_label=regexes.compile(rf"^(?P<label>{spaced})\s*[:：]\s*(?P<value>.*)$"),
        meta_labels=meta_labels,
        doc_types=tuple(doc_types),
        org_suffixes=tuple(orgs),
        headings=tuple(sorted(headings, key=lambda h: h.rank)),
        goal_sections=tuple(goals),
        tag_keywords=tuple(tag_kw),
        closing_verbs=tuple(optional["closing_verbs"]),
        unit_final_chars=final_chars,
        deadline_labels=tuple(optional["deadline_labels"]),
        time_cells=tuple(optional["time_cells"]),
        time_cell_patterns=tuple(cell_patterns),
        connectives=frozenset(optional["connectives"]),
        indicator_attributes=tuple(optional["indicator_attributes"]),
        targets=targets,
        units=units,
        codebooks=tuple(c for c in codebooks if c is not None),
    )


def _mapping(root, key, path, problems) -> dict[str, str]:
    node = _section(root, key)
    if not isinstance(node, yaml.MappingNode):
        problems.add(path, node.start_mark.line + 1 if node else 1, f"'{key}' must be a mapping")
        return {}
    return {str(k.value): str(v.value) for k, v in node.value}


def _load_targets(directory: Path, problems: _Problems) -> TargetLexicon | None:
    from .core import PatternList
    from .extract.numbers import NUMBER_PATTERN, NUMBER_TEMPLATE

    units: dict[str, Unit] = {}
    path = directory / "units.tsv"
    for lineno, row in load_tsv(path, ["written", "unit", "kind", "base", "factor"], problems):
        if row["kind"] not in UNIT_KINDS:
            problems.add(path, lineno, f"kind must be one of {', '.join(sorted(UNIT_KINDS))}, found {row['kind']!r}")
            continue
        try:
            factor = float(row["factor"])
        except ValueError:
            problems.add(path, lineno, f"factor must be a number, found {row['factor']!r}")
            continue
        if row["written"] in units:
            problems.add(path, lineno, f"duplicate unit {row['written']!r}")
            continue
        units[row["written"]] = Unit(row["written"], row["unit"], row["kind"], row["base"], factor)

    comparators: dict[str, dict[str, str]] = {"before": {}, "after": {}, "inside": {}}
    path = directory / "comparators.tsv"
    for lineno, row in load_tsv(path, ["word", "position", "comparator"], problems):
        if row["position"] not in comparators:
            problems.add(path, lineno, f"position must be before|after|inside, found {row['position']!r}")
        elif row["comparator"] not in COMPARATORS:
            problems.add(path, lineno, f"comparator must be one of {', '.join(sorted(COMPARATORS))}")
        else:
            comparators[row["position"]][row["word"]] = row["comparator"]

    path = directory / "targets.yaml"
    root = _yaml_nodes(path, problems)
    base_units = {u.base for u in units.values()} | {"%"}
    indicators = _load_indicators(directory / "indicators.yaml", base_units, problems)
    if root is None or not units:
        return None
    unit_alt = alternation(list(units))
    duration_units = alternation([u.written for u in units.values() if u.kind == "duration"])
    templates = {
        "{NUMBER}": NUMBER_TEMPLATE,
        "{UNIT}": f"(?:{unit_alt})",
        "{YEAR}": f"(?:{YEAR})",
        "{DURATION}": rf"(?:{NUMBER_PATTERN})\s*(?:[-~至到]\s*(?:{NUMBER_PATTERN}))?\s*(?:{duration_units})",
    }

    def compile_list(key: str, number_first: bool | None = None) -> PatternList:
        """The patterns of a list, compiled together (in the core when it is built: the
        regex module would spend most of a run's start parsing the numeral grammar each of
        them embeds); with `number_first`, only those that do (or do not) start with {NUMBER}."""
        sources, lines = [], []
        for pattern, line in _string_list(root, key, path, problems):
            if number_first is not None and pattern.startswith("{NUMBER}") != number_first:
                continue
            for name, value in templates.items():
                pattern = pattern.replace(name, value)
            sources.append(pattern)
            lines.append(line)
        return _pattern_list(sources, lines, path, problems)

    periods = _mapping(root, "periods", path, problems)
    scopes = tuple((name, compiled) for name, pattern in _mapping(root, "scopes", path, problems).items()
                   if (compiled := _compile(pattern, path, 1, problems)) is not None)
    levels = _mapping(root, "levels", path, problems)
    for word, level in levels.items():
        if level not in ("national", "provincial", "prefectural", "county", "school"):
            problems.add(path, 1, f"levels.{word}: level must be national|provincial|prefectural|county|school")
    verbs = _words(root, "verbs", path, problems)
    np_stops = _words(root, "np_stops", path, problems)
    trim = _words(root, "trim", path, problems)
    coverage = _words(root, "coverage", path, problems)
    self_naming = _optional_words(root, "self_naming_units", path, problems)
    multiples: dict[str, float] = {}
    if (node := _section(root, "multiples")) is not None:  # optional: 翻一番 → 2 (倍)
        for word, value in _mapping(root, "multiples", path, problems).items():
            try:
                multiples[word] = float(value)
            except ValueError:
                problems.add(path, node.start_mark.line + 1, f"multiples.{word}: {value!r} is not a number")
    names = _words(root, "names", path, problems)
    past = _words(root, "past", path, problems)
    past_sections, openers, frames, service = (
        _optional_words(root, key, path, problems)
        for key in ("past_sections", "circumstance_openers", "circumstance_frames", "service_verbs"))
    bare = _section(root, "bare_year")
    bare_pattern = None
    if isinstance(bare, yaml.ScalarNode):
        text = bare.value
        for name, value in templates.items():
            text = text.replace(name, value)
        bare_pattern = _compile(text, path, bare.start_mark.line + 1, problems)
    else:
        problems.add(path, 1, "missing 'bare_year' pattern")
    # A sentence that reports the past or defines a term commits to nothing.
    past_pattern = _any_of_checked(past + _optional_words(root, "definitions", path, problems), path, problems)
    explained_pattern = _any_of_checked(_optional_words(root, "explained_names", path, problems), path, problems)
    condition_pattern = _any_of_checked(_optional_words(root, "conditions", path, problems), path, problems)
    windows, deadlines = compile_list("windows"), compile_list("deadlines")
    duties = compile_list("duty_deadlines") if _section(root, "duty_deadlines") is not None else PatternList(())
    not_targets, at_numbers = compile_list("not_targets", False), compile_list("not_targets", True)
    if problems.items:
        return None
    # 达 is a verb, not in 达标率: a word kept whole is not read as a verb it begins with.
    keep = _optional_words(root, "trim_keep", path, problems)
    kept = [w for w in keep if w not in verbs + np_stops]
    not_kept = f"(?!{alternation(kept)})" if kept else ""
    return TargetLexicon(
        units=units,
        unit_pattern=regexes.compile(unit_alt),
        comparators=comparators,
        comparator_patterns={pos: regexes.compile(alternation(list(words)) or "(?!)")
                             for pos, words in comparators.items()},
        periods=periods,
        period_pattern=regexes.compile(alternation(list(periods)) or "(?!)"),
        levels=levels,
        level_pattern=regexes.compile(alternation(list(levels)) or "(?!)"),
        verb_pattern=regexes.compile(f"{not_kept}(?:{alternation(verbs)})" if verbs else "(?!)"),
        np_stop_pattern=regexes.compile(f"{not_kept}(?:{alternation(verbs + np_stops)})"),
        trim_words=tuple(sorted(set(trim), key=lambda w: (-len(w), w))),  # ties by word: same order in every process
        trim_keep=tuple(keep),
        windows=windows,
        coverage_pattern=regexes.compile(alternation([*coverage, *multiples]) or "(?!)"),
        multiples=multiples,
        self_naming_units=frozenset(self_naming),
        names=NameIndex(names),
        not_targets=not_targets,
        not_targets_at_numbers=at_numbers,
        past_pattern=past_pattern,
        condition_pattern=condition_pattern,
        explained_pattern=explained_pattern,
        scopes=scopes,
        deadlines=deadlines,
        duty_deadlines=duties,
        bare_year=bare_pattern,
        indicators=indicators,
        past_sections=tuple(past_sections),
        circumstance=_circumstance(openers, frames),
        # 5个工作日内办结; 30日内将登记信息…与卫生健康部门共享 (the verb after its object)
        service_limit=regexes.compile(rf"[^,;。]{{0,12}}?(?:{alternation(service)})|将[^,;。]{{2,40}}?"
                                    rf"(?:{alternation(service)})(?=[,;。]|$)" if service else "(?!)"),
    )


INDICATOR_KEYS = {"id", "name", "unit", "terms"}


def _load_indicators(path: Path, base_units: set[str], problems: _Problems) -> tuple[Indicator, ...]:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.add(path, 1, f"cannot read: {exc}")
        return ()
    if not isinstance(node, yaml.SequenceNode):
        problems.add(path, 1, "expected a list of indicators")
        return ()
    out, seen = [], set()
    for item in node.value:
        line = item.start_mark.line + 1
        fields = {k.value: v for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        if not INDICATOR_KEYS <= set(fields) or set(fields) - INDICATOR_KEYS - {"context"}:
            problems.add(path, line, "an indicator needs id, name, unit and terms (and optionally context)")
            continue
        ident = fields["id"].value
        if ident in seen:
            problems.add(path, line, f"duplicate indicator id {ident!r}")
            continue
        unit = fields["unit"].value if isinstance(fields["unit"], yaml.ScalarNode) else None
        if unit not in base_units:
            problems.add(path, fields["unit"].start_mark.line + 1,
                         f"{ident}: unit {unit!r} is neither a base unit of units.tsv nor %")
            continue
        seen.add(ident)
        patterns = {}
        for key in ("terms", "context"):
            if key not in fields:
                continue
            terms = [t.value for t in fields[key].value] if isinstance(fields[key], yaml.SequenceNode) else []
            compiled = _compile_in_core("|".join(f"(?:{t})" for t in terms), path, fields[key].start_mark.line + 1,
                                        problems) if terms else None
            if not terms:
                problems.add(path, line, f"{ident}: '{key}' must be a non-empty list")
            patterns[key] = compiled
        if patterns.get("terms") is not None:
            out.append(Indicator(ident, fields["name"].value, unit, patterns["terms"], patterns.get("context")))
    return tuple(out)


_DERIVED: dict[tuple[int, str], tuple[Any, Any]] = {}


def derived(obj: Any, what: str, build: Callable[[], Any]) -> Any:
    """A value computed once from a loaded lexicon object (a compiled pattern, an
    automaton). Keyed by identity; the object is kept alive with it, so its id is never
    reused by another lexicon."""
    key = (id(obj), what)
    entry = _DERIVED.get(key)
    if entry is None or entry[0] is not obj:
        entry = _DERIVED[key] = (obj, build())
    return entry[1]


@lru_cache(maxsize=4)
def cached_lexicons(directory: str = str(DEFAULT_DIR), extra_codebooks: tuple[str, ...] = ()) -> Lexicons:
    """One loaded bundle per folder and process (workers load it once each)."""
    return load_lexicons(directory, extra_codebooks)
