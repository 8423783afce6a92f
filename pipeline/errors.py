"""The few named exceptions of the pipeline.

Stages raise these; only the CLI turns them into one-line messages, and the batch
runner turns them into `errors` rows (SPEC §5.6).
"""

import os
import signal
import sys


class PipelineError(Exception):
    """Base class: `error_type` names the kind of failure in the errors table."""

    error_type = "error"


class InputError(PipelineError):
    """The input file cannot be used (empty, binary, undecodable, too large …)."""

    def __init__(self, message: str, error_type: str = "input") -> None:
        super().__init__(message)
        self.error_type = error_type


class LexiconError(PipelineError):
    """A lexicon file is malformed; the message lists every `file:line: problem`."""

    error_type = "lexicon"


class StageError(PipelineError):
    """A stage broke one of its own guarantees (e.g. t2s changed the text length)."""

    error_type = "stage"


class Terminated(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C (workers stopped, temporary files removed,
    lock released), then exits 128 + the signal number."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


# A signal's exception is lost where Python ignores exceptions (a __del__ that the garbage
# collector runs, for one): the handler also records it, and the run checks again before
# each document and before publishing its tables.
stop_signals: list[int] = []
_owner: list[int] = []  # the process whose handler `stop` is


def handle_stops() -> None:
    """SIGTERM and SIGHUP stop this process like Ctrl-C (`stop`)."""
    _owner[:] = [os.getpid()]
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stop)
    sys.unraisablehook = quiet_lost_stops


def stop(number: int, frame) -> None:
    """The handler of SIGTERM and SIGHUP during `policy-pipeline run`."""
    if _owner and os.getpid() != _owner[0]:
        # A worker forked a moment ago, before it set its own handlers: it ends as the
        # signal's default would end it, not with the parent's unwinding and a traceback.
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        return
    stop_signals.append(number)
    raise Terminated(number)


def quiet_lost_stops(unraisable) -> None:
    """sys.unraisablehook: a stop swallowed where exceptions are ignored is not printed as a
    traceback (check_stop raises it again); anything else is reported as Python would."""
    if not isinstance(unraisable.exc_value, Terminated):
        sys.__unraisablehook__(unraisable)


def check_stop() -> None:
    """Raise the stop a signal asked for, if its first exception was swallowed."""
    if stop_signals:
        raise Terminated(stop_signals[0])
