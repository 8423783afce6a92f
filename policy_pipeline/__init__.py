"""policy-pipeline from Python: Chinese local-government policy notices → tables.

    import policy_pipeline as pp
    notice = pp.extract(path="corpus/xiji/002_238c332b42fc6cf1.txt")
    notice.targets.to_pandas()[["mention", "value", "unit", "deadline_year", "lead_unit"]]
    pp.run("corpus", "outputs")       # the whole batch, as `policy-pipeline run`
    pd.read_parquet(pp.table_path("outputs", "targets"))  # either layout, local or at a URL

The implementation lives in the `pipeline` package; this is its public face.
"""

from pipeline import __version__
from pipeline.api import Notice, chinese_font, extract, run, table_path
from pipeline.errors import InputError, LexiconError, PipelineError

__all__ = ["InputError", "LexiconError", "Notice", "PipelineError", "__version__", "chinese_font", "extract", "run",
           "table_path"]
