"""The Python API: one notice (text, bytes or a file) → its rows; inputs → an output folder.

    import policy_pipeline as pp
    notice = pp.extract("关于…的通知\\n到2027年,培养县级骨干教师100名。")
    notice.targets.to_pandas()            # pyarrow tables, columns as in the Parquet files
    pp.run(["corpus"], "outputs")         # what `policy-pipeline run corpus -o outputs` does

Nothing here is a second pipeline: `extract` runs `run.process_source` (the stages of
`run.STAGES`) on one source and returns the tables a run would write for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from .dataset import table_path as dataset_table_path
from .errors import InputError
from .lexicons import DEFAULT_DIR
from .model import Source
from .read import DEFAULT_MAX_BYTES, load_source
from .reviews import apply_reviews, load_reviews
from .run import SHARED, STREAMED, Options, Summary, layout_for, process_source, rows_of
from .run import run as run_batch
from .storage import local
from .tables import columns_of, columns_table


@dataclass(frozen=True)
class Notice:
    """One notice's rows: each table as a pyarrow.Table (`.to_pandas()` for a DataFrame)."""

    documents: pa.Table
    clauses: pa.Table
    targets: pa.Table
    responsibilities: pa.Table
    categories: pa.Table
    warnings: tuple[str, ...] = ()  # what was read but not whole (PDF pages without text), as errors rows say

    @property
    def document(self) -> dict:
        """The notice's `documents` row as a dict (title, region, plan years …)."""
        return self.documents.to_pylist()[0]


def extract(text: str | bytes | None = None, *, path: str | Path | None = None, source: str | None = None,
            lexicons: str | Path | None = None, reviews: list[str | Path] | str | Path = ()) -> Notice:
    """The rows of one notice, from `text` (str, or bytes in any encoding the CLI reads)
    or from the file at `path`. `source` is the name stored as `source_path` (default: the
    path, or "<text>"). Raises `InputError` (with `.error_type`, as in `errors.parquet`)
    when the notice cannot be read: empty, binary, no text after cleaning …"""
    if (text is None) == (path is None):
        raise TypeError("give the notice's text or its path, not both")
    if path is not None:
        loaded = load_source(Path(path), source or Path(path).as_posix(), DEFAULT_MAX_BYTES)
    else:
        loaded = Source.of(source or "<text>", text.encode("utf-8") if isinstance(text, str) else bytes(text))
    result = process_source(loaded, Options(lexicons=str(lexicons or DEFAULT_DIR)))
    if not result.columns:
        error = result.errors[0]
        raise InputError(f"{error['source_path']}: {error['message']}", error["error_type"])
    columns, warnings = result.columns, [e["message"] for e in result.errors]
    if reviews:  # a reviewer's decisions about this notice (reviews.jsonl from the report)
        decisions = load_reviews([Path(r) for r in ([reviews] if isinstance(reviews, str | Path) else reviews)])
        doc = rows_of(columns["documents"])[0]
        mine = [r for r in decisions if r.doc_id == doc["doc_id"]]
        targets, units, problems = apply_reviews(doc, rows_of(columns["clauses"]), rows_of(columns["targets"]), mine,
                                                 rows_of(columns["responsibilities"]))
        columns = {**columns, "targets": columns_of("targets", targets),
                   "responsibilities": columns_of("responsibilities", units)}
        warnings += problems
    return Notice(**{name: columns_table(name, columns[name], SHARED.get(name, ())).combine_chunks()
                     for name in STREAMED}, warnings=tuple(warnings))


def chinese_font() -> Path:
    """The CJK font shipped with the package (WenQuanYi Micro Hei, Apache-2.0), for charts
    whose labels are Chinese: `matplotlib.font_manager.fontManager.addfont(str(path))`."""
    return Path(__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"


def run(inputs: list[str | Path] | str | Path, output: str | Path = "outputs", *, workers: int = 0,
        full: bool = False, lexicons: str | Path | None = None, reviews: list[str | Path] | str | Path = (),
        progress: bool = False, scheduler: str | None = None, layout: str | None = None,
        part_size: int = 0) -> Summary:
    """Process files and folders into the tables of `output`, as `policy-pipeline run` does,
    applying the `reviews` files (reviews.jsonl from the report), on local workers or the
    Dask cluster `scheduler` names (`local:N`, `tcp://host:8786`); returns the run's summary
    (counts, error rows). Inputs and output may be fsspec URLs (`s3://…`); `layout` is
    "file" or "dataset" (the default with a scheduler or an output at a URL), `part_size`
    the inputs a part file holds (0: about 8, the parts cut by the files' names)."""
    items = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    decisions = [reviews] if isinstance(reviews, str | Path) else list(reviews)
    target = local(str(output))
    return run_batch([local(str(i)) for i in items], target, workers=workers, full=full,
                     options=Options(lexicons=str(lexicons or DEFAULT_DIR),
                                     reviews=tuple(str(Path(r).resolve()) for r in decisions),
                                     layout=layout_for(layout, scheduler, target),
                                     part_size=part_size),
                     progress=progress, scheduler=scheduler)


def table_path(output: str | Path, name: str) -> Path | str:
    """Where the table `name` of the run in `output` is, for pandas, pyarrow or DuckDB: the
    file or dataset folder `output/<name>.parquet`, or for an output at a URL the folder of
    the set its manifest.json commits (`pd.read_parquet(pp.table_path("s3://b/out", "targets"))`)."""
    return dataset_table_path(local(str(output)), name)
