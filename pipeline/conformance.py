"""Checks the extractors against the conformance cases (other extractors' public test
suites; shipped in pipeline/conformance_cases, copied from ../shared/conformance). Takes
one case, gives (passed, what we found). Used by
tests/test_conformance.py and by `python -m pipeline.conformance` (the pass-rate report).

Each case's text is normalized first (t2s + punctuation folding), as the pipeline does.
Out-of-scope cases are listed with their reason in conformance_cases/skips.yaml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .clean import fold_spaces
from .extract.deadlines import find_dates, find_periods, find_windows, period_value
from .extract.numbers import find_numbers
from .extract.quantities import _followers, find_quantities
from .lexicons import Lexicons, cached_lexicons
from .normalize import fold_punctuation, t2s

# The cases ship inside the package (a copy of ../shared/conformance; a test keeps the two
# equal when the shared folder sits beside the checkout).
DEFAULT_DIR = Path(__file__).resolve().parent / "conformance_cases"
SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance"
FILES = ("numerals", "percentages", "quantities", "ranges", "deadlines", "frequencies")
SYMBOL = {"eq": "=", "ge": ">=", "gt": ">", "le": "<=", "lt": "<", "approx": "~", "range": "range"}


def load_cases(directory: Path = DEFAULT_DIR) -> dict[str, list[dict]]:
    return {name: [json.loads(line) for line in (directory / f"{name}.jsonl").read_text(encoding="utf-8")
                   .splitlines() if line.strip()]
            for name in FILES if (directory / f"{name}.jsonl").exists()}


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def check(file: str, case: dict, lex: Lexicons) -> tuple[bool, Any]:
    text = fold_spaces(fold_punctuation(t2s(case["text"])))
    expect = case["expect"]
    return _CHECKS[file](text, expect, lex)


def _numerals(text, expect, lex):
    got = [n.value for n in find_numbers(text, _followers(lex.targets))]
    if "values" in expect:
        return len(got) == len(expect["values"]) and all(map(_close, got, expect["values"])), got
    if expect.get("value") is None:
        return got == [], got
    return len(got) == 1 and _close(got[0], expect["value"]), got


def _describe(q, text):
    return {"value": q.value, "value_max": q.value_max, "unit": q.unit_name,
            "comparator": SYMBOL[q.comparator], "mention": text[q.start:q.end]}


def _matches(q, expect, text) -> bool:
    if not _close(q.value, expect["value"]):
        return False
    if "value_max" in expect and not _close(q.value_max, expect["value_max"]):
        return False
    if "unit" in expect and q.unit_name != expect["unit"]:
        return False
    if "comparator" in expect and SYMBOL[q.comparator] != expect["comparator"]:
        return False
    if "span" in expect:
        span = fold_punctuation(t2s(expect["span"])).replace(" ", "")
        mention = text[q.start:q.end].replace(" ", "")
        if span not in mention and mention not in span:
            return False
    return True


def _percentages(text, expect, lex):
    found = [q for q in find_quantities(text, lex.targets) if q.kind == "percentage"]
    got = [_describe(q, text) for q in found]
    if "values_percent" in expect:
        return [round(q.value, 6) for q in found] == [round(v, 6) for v in expect["values_percent"]], got
    return bool(found) and _matches(found[0], expect, text), got


def _quantities(text, expect, lex):
    found = [q for q in find_quantities(text, lex.targets) if q.unit is not None]
    got = [_describe(q, text) for q in found]
    if "span" in expect:  # a longer text: the quantity the case is about
        return any(_matches(q, expect, text) for q in found), got
    return bool(found) and _matches(found[0], expect, text), got


def _ranges(text, expect, lex):
    found = find_quantities(text, lex.targets)
    got = [_describe(q, text) for q in found]
    return any(_matches(q, expect, text) for q in found), got


def _deadlines(text, expect, lex):
    if "year" in expect:
        found = find_dates(text)
        got = [d.__dict__ for d in found]
        if not found:
            return False, got
        d = found[0]
        ok = d.year == expect["year"] and d.relation == expect.get("relation", d.relation)
        for key in ("month", "day", "year_max"):
            if key in expect and getattr(d, key) != expect[key]:
                ok = False
        return ok, got
    found = find_windows(text)
    got = [w.__dict__ for w in found]
    if not found:
        return False, got
    w = found[0]
    return (_close(w.value, expect["value"]) and w.unit == expect["unit"]
            and w.relation == expect.get("relation")), got


def _frequencies(text, expect, lex):
    found = find_periods(text, lex.targets)
    got = [(p.value, p.unit) for p in found]
    if not found:
        return False, got
    p = found[0]
    value, unit = (p.value, p.unit) if p.value != 1 else period_value(p.unit)
    return _close(value, expect["period_value"]) and unit == expect["period_unit"], got


_CHECKS = {"numerals": _numerals, "percentages": _percentages, "quantities": _quantities, "ranges": _ranges,
           "deadlines": _deadlines, "frequencies": _frequencies}


def report(directory: Path = DEFAULT_DIR, skips: dict | None = None) -> list[dict]:
    """Per-file counts: cases, skipped (out of scope), passed, pass rate over in-scope cases."""
    lex = cached_lexicons()
    skips = skips or {}
    rows = []
    for name, cases in load_cases(directory).items():
        skipped = {s["text"] for s in skips.get(name, [])}
        in_scope = [c for c in cases if c["text"] not in skipped]
        passed = sum(check(name, c, lex)[0] for c in in_scope)
        rows.append({"file": f"{name}.jsonl", "cases": len(cases), "skipped": len(cases) - len(in_scope),
                     "passed": passed, "pass_rate": passed / len(in_scope) if in_scope else 1.0,
                     "pass_rate_all": passed / len(cases)})
    return rows


def main() -> None:  # pragma: no cover - a report for people
    import yaml

    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    if not load_cases(directory):
        sys.exit(f"error: no conformance cases ({', '.join(f + '.jsonl' for f in FILES)}) in {directory}; "
                 "give their folder: python -m pipeline.conformance DIR")
    skips_file = Path(__file__).resolve().parent / "conformance_cases" / "skips.yaml"
    skips = yaml.safe_load(skips_file.read_text(encoding="utf-8")) if skips_file.exists() else {}
    rows = report(directory, (skips or {}).get("skip", {}))
    print(f"{'file':<20}{'cases':>7}{'skipped':>9}{'passed':>8}{'in scope':>10}{'all cases':>11}")
    for r in rows:
        print(f"{r['file']:<20}{r['cases']:>7}{r['skipped']:>9}{r['passed']:>8}"
              f"{r['pass_rate']:>10.1%}{r['pass_rate_all']:>11.1%}")
    total = sum(r["cases"] for r in rows)
    passed = sum(r["passed"] for r in rows)
    in_scope = total - sum(r["skipped"] for r in rows)
    print(f"{'total':<20}{total:>7}{total - in_scope:>9}{passed:>8}{passed / in_scope:>10.1%}{passed / total:>11.1%}")


if __name__ == "__main__":  # pragma: no cover
    main()
