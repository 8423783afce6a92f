"""The compiled core (`pipeline._core`, Rust in core/) and the choice between it and the
Python rules.

The core takes a notice's text and its clause boundaries and gives columns back (one list
per field); Python builds an object only for each candidate found. Both paths give the
same rows, byte for byte (tests/test_core.py runs both on every example file, the seeds and
the development notices); the Python path stays as the reference until every stage runs in
the core. `POLICY_PIPELINE_ENGINE=python` chooses the Python rules; an install without the
compiled module (a source tree nobody built) uses them too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from .lexicons import TargetLexicon, derived

try:
    from . import _core
except ImportError:  # a checkout that was never built: the Python rules give the same rows
    _core = None

ENGINES = ("core", "python")
_engine = os.environ.get("POLICY_PIPELINE_ENGINE", "core")
if _engine not in ENGINES:
    raise SystemExit(f"POLICY_PIPELINE_ENGINE must be one of {', '.join(ENGINES)}, not {_engine!r}")


def enabled() -> bool:
    """Whether the compiled core does the work it can do."""
    return _core is not None and _engine == "core"


def engine() -> str:
    """The engine in use: 'core' or 'python'."""
    return "core" if enabled() else "python"


@contextmanager
def using(name: str) -> Iterator[None]:
    """Run a block with one engine (tests compare the two in one process)."""
    global _engine
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}")
    if name == "core" and _core is None:
        raise RuntimeError("the compiled core is not built (pip install -e . builds it)")
    before, _engine = _engine, name
    try:
        yield
    finally:
        _engine = before


def compiled(tl: TargetLexicon):
    """The target lexicon compiled into the core, once per loaded lexicon."""
    def build():
        units = [(written, u.unit, u.kind) for written, u in tl.units.items()]
        by_position = {pos: list(words.items()) for pos, words in tl.comparators.items()}
        return _core.Core(units, by_position.get("before", []), by_position.get("after", []),
                          by_position.get("inside", []))
    return derived(tl, "core", build)


def Codebook(terms: list, negatives: list, n_categories: int):  # noqa: N802 - the core's class
    """A codebook compiled into the core (see extract/categories.py)."""
    return _core.Codebook(terms, negatives, n_categories)


def Splitter(connectives: list[str], digits: str):  # noqa: N802 - the core's class
    """Paragraphs → clauses in the core (see segment.py)."""
    return _core.Splitter(connectives, digits)


def unit_list(tl: TargetLexicon) -> list:
    """The lexicon's units in the order the core numbers them."""
    return derived(tl, "core_units", lambda: list(tl.units.values()))
