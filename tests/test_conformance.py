"""Every case of ../shared/conformance (other extractors' public test suites) that is in
scope must pass; out-of-scope cases are skipped with the reason written in
tests/conformance_skips.yaml. The pass-rate report: `python -m pipeline.conformance`."""

from __future__ import annotations

import pytest
from conftest import examples

from pipeline.conformance import DEFAULT_DIR, check, load_cases

SKIPS = examples("../conformance_skips.yaml")["skip"]
if not DEFAULT_DIR.exists():  # pragma: no cover - the shared folder sits beside the clone
    pytest.skip(f"conformance cases not found at {DEFAULT_DIR}", allow_module_level=True)
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
