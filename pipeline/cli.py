"""Command line: thin click commands over `pipeline.run` and `pipeline.tables`.

The only module that turns exceptions into one-line messages and exit codes:
0 success, 1 a run that processed nothing / a failed check / --strict with errors,
2 bad usage or unusable lexicons.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from . import __version__, core
from .errors import LexiconError, PipelineError, Terminated, handle_stops, stop_signals
from .lexicons import DEFAULT_DIR
from .read import DEFAULT_MAX_BYTES

EXIT_FAILED, EXIT_USAGE = 1, 2
# The tables of an output folder (tables.SCHEMAS, without importing pyarrow for --help).
TABLE_NAMES = ("documents", "clauses", "targets", "responsibilities", "categories", "errors", "region_category",
               "region_indicator")


ENGINE_NAMES = {"core": "compiled core", "python": "Python rules: POLICY_PIPELINE_ENGINE=python or no compiled core"}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="policy-pipeline",
                      message=f"%(prog)s, version %(version)s ({ENGINE_NAMES[core.engine()]})")
def cli() -> None:
    """Turn Chinese local-government policy notices into Parquet tables.

    Typical use: `policy-pipeline run corpus/ -o outputs/`, then open
    outputs/documents.parquet and outputs/clauses.parquet in pandas or DuckDB.
    """


@cli.command("run")
@click.argument("inputs", nargs=-1)
@click.option("-o", "--output", default="outputs", show_default=True,
              help="Folder for the tables (created if missing), or an fsspec URL such as s3://bucket/tables "
                   "(the dataset layout; needs the filesystem's package, e.g. s3fs).")
@click.option("-w", "--workers", type=click.IntRange(0, 256), default=0, show_default="0: one per available core",
              help="Worker processes; with 0, a small batch uses fewer (8 files or more each).")
@click.option("--full", is_flag=True, help="Reprocess every document, ignoring results of earlier runs.")
@click.option("--strict", is_flag=True, help="Exit non-zero if any input ends as an errors row.")
@click.option("--max-mb", type=click.FloatRange(0.001), default=DEFAULT_MAX_BYTES / 1024 / 1024,
              show_default=True, help="Skip (and report) input files larger than this.")
@click.option("--lexicons", "lexicon_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_DIR, show_default="the lexicons/ folder of the project",
              help="Folder of lexicon files.")
@click.option("--codebook", "codebooks", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="An extra codebook file (YAML, the format of lexicons/codebooks/action.yaml); repeatable.")
@click.option("--reviews", "reviews", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A reviews.jsonl downloaded from the report: its confirmations, corrections, rejections and "
                   "added targets are applied (targets.review_status); repeatable.")
@click.option("--scheduler", callback=lambda ctx, param, value: _scheduler(value), default=None,
              help="Run the documents on a Dask cluster instead of local workers: local:N starts N worker "
                   "processes here, tcp://HOST:8786 joins a running scheduler (inputs and OUTPUT on a filesystem "
                   "the workers share). Needs `pip install 'policy-pipeline[dask]'`.")
@click.option("--layout", type=click.Choice(["file", "dataset"]), default=None,
              show_default="file; dataset with --scheduler or an OUTPUT URL",
              help="file: each table one OUTPUT/<table>.parquet. dataset: each table a folder of part files "
                   "(OUTPUT/<table>.parquet/part-00000.parquet …) written by the workers; DuckDB, pandas and "
                   "pyarrow read either with the same query.")
@click.option("--part-size", type=click.IntRange(1), default=None,
              show_default="8 on average, up to 256 for the largest corpora",
              help="Input files a part file holds (dataset layout): exactly N, one part after another. By "
                   "default the parts are cut by the files' names, so a file added or changed touches one part, "
                   "and a re-run rewrites only the parts that hold a changed file.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
def run_command(inputs, output, workers, full, strict, max_mb, lexicon_dir, codebooks, reviews, scheduler,
                layout, part_size, quiet) -> None:
    """Process notice files and folders (default: corpus/) into tables in OUTPUT.

    Each file (.txt, .html/.htm in UTF-8/16, GB18030/GBK or Big5; .pdf with a text
    layer; .docx, and .doc when LibreOffice is installed) becomes a row of documents.parquet,
    with its clauses, targets, responsibilities and categories in their tables, and the
    region_category / region_indicator comparisons are rebuilt; a file that cannot be
    processed becomes a row of errors.parquet and the batch goes on. Documents unchanged
    since the last run into the same OUTPUT are not reprocessed (use --full to force).
    INPUTS and OUTPUT may be fsspec URLs (s3://bucket/notices, file:///shared/…): the
    workers read their own inputs.
    """
    from .run import Options, layout_for, run
    from .storage import is_url, local
    from .tables import use_returning_allocator

    inputs = [local(i) for i in inputs] or [Path("corpus")]
    output = local(output)
    if is_url(output) and layout == "file":
        raise click.BadParameter("an output at a URL is written in the dataset layout", param_hint="--layout")
    if isinstance(output, Path) and output.exists() and not output.is_dir():
        raise click.BadParameter(f"{output} is a file, not a folder", param_hint="--output")
    missing = [p for p in inputs if isinstance(p, Path) and not p.exists() and not p.is_symlink()]
    if missing:  # before anything is created: a typo must not leave an empty output folder
        raise click.UsageError(f"{missing[0]}: no such file or folder" + (
            " (run from the project folder, or give the notices' files or folders)" if inputs == [Path("corpus")]
            else ""))
    _without_pandas()
    use_returning_allocator()
    handle_stops()  # SIGTERM, SIGHUP: how batch schedulers and closed terminals stop a job
    summary = run(inputs, output, workers=workers, full=full,
                  options=Options(lexicons=str(lexicon_dir), max_bytes=int(max_mb * 1024 * 1024),
                                  codebooks=tuple(str(p.resolve()) for p in codebooks),
                                  reviews=tuple(str(p.resolve()) for p in reviews),
                                  layout=layout_for(layout, scheduler, output),
                                  part_size=part_size or 0),
                  progress=not quiet, scheduler=scheduler)
    if not quiet:
        reused = f", {summary.cached} unchanged since the last run" if summary.cached else ""
        click.echo(f"{summary.documents} documents, {summary.clauses} clauses, {summary.targets} targets, "
                   f"{summary.responsibilities} responsibilities, {summary.errors} errors "
                   f"in {summary.seconds:.1f} s{reused} → {summary.output}/", err=True)
        if summary.errors:
            errors = summary.error_rows
            for row in errors[:10]:
                click.echo(f"  {row['source_path']}: {row['error_type']} at {row['stage']}: {row['message']}",
                           err=True)
            if len(errors) > 10:
                click.echo(f"  … {len(errors) - 10} more in errors.parquet", err=True)
        if summary.ignored:
            click.echo(f"  ignored {len(summary.ignored)} file(s) that are not notices "
                       f"(e.g. {summary.ignored[0]})", err=True)
    if summary.inputs == 0:
        raise click.ClickException("no input files found")
    if summary.documents == 0:
        raise click.ClickException(f"no document could be processed; tables in {summary.output}/ were left as they "
                                   "were")
    if strict and summary.errors:
        raise click.ClickException(f"--strict: {summary.errors} input(s) could not be processed")


def _scheduler(value: str | None) -> str | None:
    if value is None:
        return None
    from .cluster import parse_scheduler

    try:
        parse_scheduler(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        import distributed  # noqa: F401 - only to say early that the extra is missing
    except ImportError:
        raise click.BadParameter("Dask is not installed: pip install 'policy-pipeline[dask]'") from None
    return value


@cli.command("extract")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "json", "jsonl"]), default="table",
              show_default=True, help="table: aligned columns for reading; csv/json/jsonl: every column, for scripts.")
@click.option("--lexicons", "lexicon_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_DIR, show_default="the lexicons/ folder of the project", help="Folder of lexicon files.")
def extract_command(file: Path, fmt: str, lexicon_dir: Path) -> None:
    """Print the targets of one notice FILE (`-`: the notice on standard input; nothing is written).

    Each row is a quantitative commitment: kind, what was written (mention), value and
    unit in base units, comparator, period (per) and window (within), level, deadline
    year with where it came from (clause, sentence, paragraph, document), and the
    indicator it counts. json and csv give every column of targets.parquet.
    """
    from .errors import InputError
    from .model import Source
    from .output import print_targets
    from .read import load_source
    from .run import Options, process_source

    if str(file) == "-":  # a notice piped in: `curl … | policy-pipeline extract -`
        source = Source.of("<stdin>", sys.stdin.buffer.read())
    elif not file.exists():
        raise click.UsageError(f"{file}: no such file")
    else:
        try:
            source = load_source(file, file.as_posix())
        except InputError as exc:
            raise click.ClickException(f"{file}: {exc}") from None
    result = process_source(source, Options(lexicons=str(lexicon_dir)))
    if not result.columns:
        error = result.errors[0]
        raise click.ClickException(f"{file}: {error['error_type']} at {error['stage']}: {error['message']}")
    for error in result.errors:  # read, but not whole
        click.echo(f"warning: {file}: {error['error_type']}: {error['message']}", err=True)
    print_targets(result.rows("targets"), fmt)


@cli.command("compare")
@click.option("-o", "--output", "directory", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Folder a run wrote its tables to.")
@click.option("--by", type=click.Choice(["region"]), default="region", show_default=True,
              help="What to compare across.")
@click.option("--codebook", default="action", show_default=True, help="Codebook of the rows (action, policy_tool …).")
@click.option("--measure", type=click.Choice(["clauses", "targets", "quantified_targets", "targets_with_deadline",
                                              "targets_with_lead_unit"]), default="clauses", show_default=True,
              help="What each cell counts.")
@click.option("--view", type=click.Choice(["categories", "crosstab", "indicators"]), default="categories",
              show_default=True, help="categories: codebook × region; crosstab: action × policy_tool clauses; "
                                      "indicators: the commitments on each canonical indicator, side by side.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "json", "jsonl", "markdown"]),
              default="table", show_default=True,
              help="table for the terminal, csv/json/jsonl for scripts, markdown for papers.")
@click.option("--detail", is_flag=True, help="With --view indicators: one row per target instead of the pivot.")
@click.option("--normalize", "how", type=click.Choice(["none", "per-document", "share"]), default="none",
              show_default=True, help="Category view: raw counts, counts per notice of the region, or the share "
                                      "(0–1) of all the region's clauses or targets.")
def compare_command(directory: Path, by: str, codebook: str, measure: str, view: str, fmt: str, detail: bool,
                    how: str) -> None:
    """Compare regions from the tables a run wrote to OUTPUT.

    By default: how many clauses of each region's notices fall in each action category
    (every region and category shown, zeros included). --measure counts targets instead
    (all, quantified, with a deadline, with a lead unit); --view crosstab gives the
    theme × policy-tool table; --view indicators gives, for each canonical indicator and
    unit, each region's commitments as `targets · value range · latest deadline` (values
    are compared only within one unit); add --detail for one row per target (value, unit,
    level, scope, deadline).
    """
    import pyarrow.parquet as pq

    from .lexicons import cached_lexicons
    from .output import write_rows

    def read(name: str) -> list[dict]:
        path = directory / f"{name}.parquet"
        if not path.exists():
            raise click.ClickException(f"{path} not found: run `policy-pipeline run -o {directory}` first")
        return pq.read_table(path).to_pylist()

    if view == "categories":
        from .compare import normalize, region_matrix, region_totals

        rows = read("region_category")
        if not any(r["codebook"] == codebook for r in rows):
            known = ", ".join(sorted({r["codebook"] for r in rows}))
            raise click.ClickException(f"no codebook {codebook!r} in {directory} (known: {known})")
        names = {c.id: c.name for book in cached_lexicons().codebooks for c in book.categories}
        totals = region_totals(directory, codebook, measure)
        headers, body = region_matrix(rows, codebook, measure, names, totals)
        if how != "none":
            body = normalize(headers, body, how, totals)
    elif view == "crosstab":
        from .compare import crosstab

        headers, body = crosstab(read("categories"), "action", "policy_tool")
    elif detail:
        headers = ["indicator_id", "region", "value", "value_max", "unit", "comparator", "level", "scope",
                   "deadline_year", "indicator"]
        body = [[r[h] for h in headers] for r in read("region_indicator")]
    else:
        from .compare import indicator_pivot

        headers, body = indicator_pivot(read("region_indicator"))
    write_rows(headers, body, fmt)


@cli.command("export")
@click.option("-o", "--output", "directory", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Folder a run wrote its tables to.")
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), required=True,
              help="csv: one file a table, UTF-8 with BOM (Excel reads the Chinese); jsonl: one JSON object a "
                   "row; xlsx: one workbook, a sheet a table.")
@click.option("--table", "tables", multiple=True, type=click.Choice(TABLE_NAMES),
              help="A table to export (repeatable; default: all).")
@click.option("--to", "target", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for the exported files.  [default: OUTPUT/export]")
def export_command(directory: Path, fmt: str, tables: tuple[str, ...], target: Path | None) -> None:
    """Write the tables in OUTPUT as CSV, JSON Lines or an Excel workbook.

    Same rows in the same order as the Parquet files. In CSV and Excel, list columns
    (issuers, units, categories, evidence, scope) are joined with " | " and the clause tags
    are JSON; Excel cells hold at most 32,767 characters, so documents.text is cut there
    (the Parquet and CSV files keep it whole).
    """
    from .export import export

    if not directory.is_dir():
        raise click.UsageError(f"{directory}: no such folder")
    for path in export(directory, fmt, list(tables) or list(TABLE_NAMES), target or directory / "export"):
        click.echo(path)


@cli.command("report")
@click.option("-o", "--output", "directory", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"),
              show_default=True, help="Folder a run wrote its tables to.")
@click.option("--out", "target", type=click.Path(path_type=Path, file_okay=False), default=None,
              show_default="OUTPUT/report", help="Folder to write the report into.")
def report_command(directory: Path, target: Path | None) -> None:
    """Write an HTML report to read and review every row on its sentence.

    One page per document (its text in the original script, every target, deadline phrase
    and responsibility tag highlighted; hover or click one for its row) and an index with
    filters by region, target kind and category. Pages are self-contained files: they
    open from disk, offline, and one page can be sent on its own. Mark a target right or
    wrong, correct a field, or select text to add a missed target, then download
    reviews.jsonl and apply it with `policy-pipeline run … --reviews reviews.jsonl`.
    """
    from .report import write_report

    target = target or directory / "report"
    summary = write_report(directory, target)
    click.echo(f"{summary.documents} documents, {summary.targets} targets → {target / 'index.html'}", err=True)


@cli.command("validate")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default=Path("outputs"))
def validate_command(directory: Path) -> None:
    """Check the tables in DIRECTORY (default: outputs/) against the declared schema.

    For documents, clauses and errors: the file is readable Parquet, carries the schema
    version, has every declared column with its declared type and no unexpected
    column, has no nulls where a value is required, and every clause's text and
    text_original are exactly what its start/end offsets point at in its document; and
    every table carries the run key of the same run as manifest.json (a table left over
    from another run is stale). Prints each problem on its own line and exits 1 if there
    is any.
    """
    from .tables import SCHEMA_VERSION, SCHEMAS, validate

    if not directory.is_dir():
        raise click.ClickException(f"{directory}: no such folder")
    problems = validate(directory)
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(problems)} problem(s) in {directory}")
    click.echo(f"{directory}: {len(SCHEMAS)} tables match schema v{SCHEMA_VERSION}")


class _NoPandas:
    """Import hook refusing pandas (see `_without_pandas`)."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("pandas is not used by `policy-pipeline run`", name=name)
        return None


def _without_pandas() -> None:
    """pyarrow imports pandas on its first conversion of a Python list, only to ask
    whether the list is a pandas object: 0.3 s of startup and 40 MB in the process and
    in each worker. `run` never uses pandas, so in this process (which ends with the
    command) the import fails and pyarrow carries on without it."""
    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())


def main(argv: list[str] | None = None) -> int:
    """Entry point: never shows a traceback for expected failures."""
    code = _main(argv)
    run = sys.modules.get("pipeline.run")
    if run is not None and run.workers_stopped:  # see run.workers_stopped: leave without joining the pool
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _main(argv: list[str] | None) -> int:
    if not (sys.argv[1:] if argv is None else argv):  # a bare `policy-pipeline`: help, not an error
        click.echo(cli.get_help(click.Context(cli, info_name="policy-pipeline")))
        return 0
    try:
        cli.main(args=argv, prog_name="policy-pipeline", standalone_mode=False)
        return 0
    except click.exceptions.Abort:
        click.echo("error: interrupted; earlier tables are intact", err=True)
        return 130
    except Terminated as exc:
        stop_signals.clear()  # handled (main may be called again in one process)
        click.echo(f"error: stopped by {signal.Signals(exc.number).name}; earlier tables are intact", err=True)
        return 128 + exc.number
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "policy-pipeline"
        hint = f" (see `{command} --help`)"
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return EXIT_FAILED
    except LexiconError as exc:
        click.echo(f"error: lexicon problem: {exc}", err=True)
        return EXIT_USAGE
    except PipelineError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_FAILED
    except KeyboardInterrupt:
        click.echo("error: interrupted; earlier tables are intact", err=True)
        return 130
    except OSError as exc:
        click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        return EXIT_FAILED
    except Exception as exc:  # a bug: one clear line (the tables are switched in only when all are written)
        if os.environ.get("POLICY_PIPELINE_DEBUG"):
            raise
        click.echo(f"error: internal error ({exc.__class__.__name__}: {exc}); earlier tables are intact. "
                   "Set POLICY_PIPELINE_DEBUG=1 for the traceback.", err=True)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
