"""The garbage collector of a process that runs the batch: takes nothing, gives nothing,
tunes the interpreter's cyclic collector for the way the stages allocate.

A notice makes thousands of records that live until its tables are built and die by
reference counting; almost nothing it makes is a cycle. With the interpreter's defaults
the collector still ran five times a notice and, at every full collection, walked the
lexicons (tens of thousands of objects that live as long as the process): 4–5 % of a
worker's time. Two changes bring it under 0.5 %:

- `gc.freeze()` once the lexicons and modules are loaded moves them out of every
  collection (they never become garbage during a run);
- the youngest generation is collected after `YOUNG` allocations instead of 700, so a
  notice's records are mostly freed before the collector ever looks at them. Garbage
  cycles wait at most that many allocations (a few MB at worst).

Workers the batch starts (local processes, a local Dask cluster) keep the setting for
their life. In the calling process (`policy-pipeline run`, `api.run` in a notebook) it
holds for the run only, and the previous state is restored after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 20_000  # allocations between collections of the youngest generation (default 700)


def tune_worker() -> None:
    """For a process that only runs the batch's work: call once its lexicons are loaded."""
    gc.freeze()
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])


@contextmanager
def for_run() -> Iterator[None]:
    """The worker's setting for the duration of a run in this process, then the caller's.
    Enter it once the lexicons are loaded: they are what it keeps out of collections."""
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    if not frozen:  # a caller that froze objects of its own decided about them: leave them
        gc.freeze()
    gc.set_threshold(YOUNG, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if not frozen:
            gc.unfreeze()
