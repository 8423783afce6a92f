"""Every conformance case (other extractors' public test suites; pipeline/conformance_cases) in
scope must pass; out-of-scope cases are skipped with the reason written in
pipeline/conformance_cases/skips.yaml. The pass-rate report: `python -m pipeline.conformance`."""

from __future__ import annotations

import pytest
import yaml

from pipeline.conformance import DEFAULT_DIR, check, load_cases

SKIPS = yaml.safe_load((DEFAULT_DIR / "skips.yaml").read_text(encoding="utf-8"))["skip"]
CASES = [(name, case) for name, cases in load_cases().items() for case in cases]
REASONS = {(name, s["text"]): s["reason"] for name, skips in SKIPS.items() for s in skips}


def test_skip_list_names_real_cases():
    texts = {(name, case["text"]) for name, case in CASES}
    assert set(REASONS) <= texts, set(REASONS) - texts


@pytest.mark.parametrize("name,case", CASES, ids=[f"{n}:{c['text'][:20]}" for n, c in CASES])
def test_case(name, case, lex):
    if (name, case["text"]) in REASONS:
        pytest.skip(REASONS[(name, case["text"])])
    passed, found = check(name, case, lex)
    assert passed, f"{case['text']!r}: expected {case['expect']}, found {found}"


def test_the_packaged_cases_are_the_shared_ones():
    """pipeline/conformance_cases ships with the wheel; it must stay a copy of ../shared."""
    from pipeline.conformance import SHARED_DIR

    if not SHARED_DIR.exists():
        pytest.skip("../shared/conformance is not beside this checkout")
    for shared in sorted(SHARED_DIR.glob("*.jsonl")):
        assert (DEFAULT_DIR / shared.name).read_bytes() == shared.read_bytes(), shared.name
