"""The few named exceptions of the pipeline.

Stages raise these; only the CLI turns them into one-line messages, and the batch
runner turns them into `errors` rows (SPEC §5.6).
"""


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
