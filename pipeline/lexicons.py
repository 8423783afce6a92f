"""Validating loader for the researcher-editable files under `lexicons/`.

Takes a lexicon folder, gives a frozen `Lexicons` bundle with compiled matchers.
Every problem found is collected and reported at once as `file:line: message`
(raised as one `LexiconError`), before any document is processed.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex
import yaml

from .errors import LexiconError

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "lexicons"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # province | prefecture | county
    province_code: str
    prefecture_code: str
    short: str


@dataclass(frozen=True)
class HeadingFamily:
    name: str
    rank: int
    pattern: regex.Pattern


@dataclass(frozen=True)
class Lexicons:
    directory: str
    fingerprint: str  # hash of every lexicon file: part of the incremental-run cache key
    regions: dict[str, Region]  # by code
    regions_by_name: dict[str, tuple[Region, ...]]  # full and short names
    region_names: regex.Pattern  # alternation of every name, longest first
    chrome_line: regex.Pattern
    chrome_label: regex.Pattern  # ^label : value?
    meta_labels: dict[str, tuple[str, ...]]
    doc_types: tuple[str, ...]
    org_suffixes: tuple[str, ...]
    headings: tuple[HeadingFamily, ...]
    goal_sections: tuple[str, ...]
    tag_keywords: tuple[str, ...]


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.items.append(f"{path}:{line}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise LexiconError("; ".join(self.items))


def alternation(words: list[str] | tuple[str, ...]) -> str:
    """Regex alternation of literal words, escaped, longest first (so 自治县 beats 县)."""
    return "|".join(regex.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _yaml_nodes(path: Path, problems: _Problems) -> yaml.MappingNode | None:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
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


def _compile(pattern: str, path: Path, line: int, problems: _Problems) -> regex.Pattern | None:
    try:
        return regex.compile(pattern)
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
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = next(csv.reader(io.StringIO(line), delimiter="\t", quoting=csv.QUOTE_NONE))
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


def _load_regions(path: Path, problems: _Problems) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    cols = ["code", "name", "level", "province_code", "prefecture_code", "short"]
    for lineno, row in load_tsv(path, cols, problems):
        if not regex.fullmatch(r"\d{6}", row["code"]):
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


def load_lexicons(directory: Path | str = DEFAULT_DIR) -> Lexicons:
    """Load and validate every lexicon file in `directory` (see lexicons/README.md)."""
    directory = Path(directory)
    problems = _Problems()
    if not directory.is_dir():
        raise LexiconError(f"{directory}: lexicon folder not found")

    regions = _load_regions(directory / "regions.tsv", problems)
    path = directory / "structure.yaml"
    root = _yaml_nodes(path, problems)
    chrome, labels, doc_types, orgs, goals, tag_kw = [], [], [], [], [], []
    meta_labels: dict[str, tuple[str, ...]] = {}
    headings: list[HeadingFamily] = []
    if root is not None:
        for pattern, line in _string_list(root, "chrome_lines", path, problems):
            if _compile(pattern, path, line, problems) is not None:
                chrome.append(pattern)
        labels = [w for w, _ in _string_list(root, "chrome_labels", path, problems)]
        doc_types = [w for w, _ in _string_list(root, "doc_types", path, problems)]
        orgs = [w for w, _ in _string_list(root, "org_suffixes", path, problems)]
        goals = [w for w, _ in _string_list(root, "goal_sections", path, problems)]
        tag_kw = [w for w, _ in _string_list(root, "tag_keywords", path, problems)]
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
    problems.raise_if_any()

    by_name: dict[str, list[Region]] = {}
    for region in regions.values():
        for name in {region.name, region.short} - {""}:
            by_name.setdefault(name, []).append(region)
    names = list(by_name)
    # Labels may be written with spaces between characters (索 引 号, 标  题).
    spaced = "|".join(r"\s*".join(regex.escape(ch) for ch in label) for label in sorted(labels, key=len, reverse=True))
    fingerprint = hashlib.sha256()
    for file in sorted(directory.rglob("*")):
        if file.is_file():
            fingerprint.update(file.relative_to(directory).as_posix().encode())
            fingerprint.update(file.read_bytes())
    return Lexicons(
        directory=str(directory),
        fingerprint=fingerprint.hexdigest()[:16],
        regions=regions,
        regions_by_name={k: tuple(v) for k, v in by_name.items()},
        region_names=regex.compile(alternation(names)) if names else regex.compile(r"(?!)"),
        chrome_line=regex.compile("|".join(f"(?:{p})" for p in chrome)) if chrome else regex.compile(r"(?!)"),
        chrome_label=regex.compile(rf"^(?P<label>{spaced})\s*[:：]\s*(?P<value>.*)$"),
        meta_labels=meta_labels,
        doc_types=tuple(doc_types),
        org_suffixes=tuple(orgs),
        headings=tuple(sorted(headings, key=lambda h: h.rank)),
        goal_sections=tuple(goals),
        tag_keywords=tuple(tag_kw),
    )


@lru_cache(maxsize=4)
def cached_lexicons(directory: str = str(DEFAULT_DIR)) -> Lexicons:
    """One loaded bundle per folder and process (workers load it once each)."""
    return load_lexicons(directory)
