"""The batch's garbage-collector setting (pipeline/heap.py): the workers it starts keep
it, the calling process has it for the run only and gets its own back."""

from __future__ import annotations

import gc

import pytest
from conftest import CORPUS

import policy_pipeline as pp
from pipeline import heap, run


@pytest.fixture
def caller_gc():
    """The test's own collector state, put back whatever the test does."""
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)
    gc.unfreeze()


def _collector(_task) -> tuple[tuple[int, ...], int]:
    return gc.get_threshold(), gc.get_freeze_count()


def test_the_run_sets_it_and_gives_the_caller_its_own_back(caller_gc, monkeypatch, tmp_path):
    seen = []
    real = run._run

    def spy(*args):
        seen.append(_collector(None))
        return real(*args)

    monkeypatch.setattr(run, "_run", spy)
    gc.set_threshold(900, 11, 12)
    summary = pp.run(CORPUS / "xiji", tmp_path / "out", workers=1)
    assert summary.documents == 1
    (threshold, frozen), = seen
    assert threshold == (heap.YOUNG, 11, 12) and frozen > 0  # the lexicons and modules, out of collections
    assert gc.get_threshold() == (900, 11, 12)
    assert gc.get_freeze_count() == 0


def test_objects_the_caller_froze_stay_frozen(caller_gc):
    kept = [{"mine": i} for i in range(10)]
    gc.freeze()
    frozen = gc.get_freeze_count()
    with heap.for_run():
        assert gc.get_threshold()[0] == heap.YOUNG
    assert gc.get_freeze_count() == frozen and kept
    assert gc.get_threshold() == caller_gc


def test_the_setting_is_given_back_when_the_run_fails(caller_gc):
    with pytest.raises(RuntimeError), heap.for_run():
        raise RuntimeError("a run that stops")
    assert gc.get_threshold() == caller_gc
    assert gc.get_freeze_count() == 0


def test_a_local_worker_keeps_it_for_its_life(caller_gc):
    options = run.Options()
    options.lex()
    found = list(run.pool_map([0, 1, 2, 3], _collector, 2, options))
    for threshold, frozen in found:
        assert threshold[0] == heap.YOUNG and frozen > 0



# --- what a forked worker finds compiled (run.warm_up) -------------------------------------

def _compiled(_task) -> set[str]:
    from pipeline.lexicons import _DERIVED

    return {what for _, what in _DERIVED}


def test_the_warm_up_notice_goes_through_every_stage():
    result = run.process_source(run.Source.of("warm-up.txt", run.WARM_UP.encode()), run.Options())
    assert not result.errors
    targets = result.columns["targets"]
    assert targets["value"] == [10000.0, 5.5, 5000.0] and targets["deadline_year"] == [2025, 2025, 2024]
    assert result.columns["responsibilities"]["source"] == ["tag", "tag", "label"]


@pytest.mark.skipif(__import__("multiprocessing").get_start_method() != "fork", reason="workers are forked")
def test_forked_workers_find_the_rules_compiled_before_their_first_notice():
    from pipeline.lexicons import _DERIVED

    _DERIVED.clear()  # as in a fresh process: nothing compiled yet
    found = list(run.pool_map([0, 1], _compiled, 2, run.Options()))
    for compiled in found:
        assert {"core", "core_splitter", "core_times"} <= compiled
