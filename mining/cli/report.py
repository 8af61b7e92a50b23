"""`mlflow-miner report` and `mlflow-miner export`: a study's HTML report and its tables for a paper."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from analyzers.codebook import MIN_N_PER_YEAR
from analyzers.study.aggregate import Options
from analyzers.study.export import export_study
from analyzers.study.load import STUDY_FILES, StudyError
from analyzers.study.report import build_report
from mining.cli.guard import BadInput, claim_output
from mining.cli.options import study_dir_argument


def _check_study(study_dir: Path) -> None:
    """Before any work: a study directory is what `mlflow-miner study` wrote."""
    if not (study_dir / "study.json").is_file():
        raise BadInput(
            f"{study_dir} is not a study directory: no study.json (a study directory holds "
            f"{', '.join(STUDY_FILES)})"
        )


# Shared by report and export.
min_n_option = click.option(
    "--min-n",
    "min_n",
    type=click.IntRange(min=1),
    default=MIN_N_PER_YEAR,
    show_default=True,
    help="Adoption by creation year: the fewest analysed repositories a year needs for its "
    "share to be drawn and quoted.",
)


@click.command()
@study_dir_argument
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for index.html and charts/ (default: STUDY_DIR/report).",
)
@click.option(
    "--no-static",
    is_flag=True,
    help="Skip the PNG, SVG and PDF images (they need Chromium; the HTML does not).",
)
@min_n_option
@click.option("--verbose", is_flag=True, help="Show what the browser prints while drawing charts.")
def report(
    study_dir: Path, out_dir: Path | None, no_static: bool, min_n: int, verbose: bool
) -> None:
    """Write an offline HTML report of a study: charts, tables and provenance.

    STUDY_DIR holds dataset.csv, repos.csv, files.csv, calls.csv, signals.csv and study.json
    (and facts.csv, if the scan recorded values found in code).
    Writes STUDY_DIR/report/index.html (plotly.js inline: no network needed to view it) and
    charts/NAME.html, .png (300 dpi), .svg and .pdf for each chart, drawing only the charts
    whose figure changed; prints the path of index.html. Static images need Chromium (or set
    BROWSER_PATH); without it they are skipped with a warning.
    """

    def say(message: str) -> None:
        click.echo(message, err=True)

    _check_study(study_dir)
    claim_output(out_dir or study_dir / "report")
    try:
        built = build_report(
            study_dir,
            out_dir,
            static=not no_static,
            progress=say,
            options=Options(min_n),
            verbose=verbose,
        )
    except StudyError as error:  # a study directory with a table missing or unreadable
        raise click.ClickException(str(error)) from None
    say(f"report written in {built.seconds:.1f}s")
    click.echo(str(built.index))
    sys.stdout.flush()


@click.command()
@study_dir_argument
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for the exported files (default: STUDY_DIR/export).",
)
@min_n_option
def export(study_dir: Path, out_dir: Path | None, min_n: int) -> None:
    """Export a study's statistics as tidy tables for papers and further analysis.

    STUDY_DIR holds dataset.csv, repos.csv, files.csv, calls.csv, signals.csv and study.json
    (and facts.csv, if the scan recorded values found in code). Writes, into
    STUDY_DIR/export: NAME.csv (formula-like cells prefixed with ', safe in a spreadsheet),
    unaltered/NAME.csv (every value as it is) and NAME.parquet for every table (headline.csv:
    every headline measure for every population), booktabs LaTeX tables (adoption.tex,
    headline.tex, traceability_shares.tex, location_shares.tex), data-dictionary.csv (every
    column), macros.tex (every number as a \\newcommand), methods.md and methods.tex (the
    method section). Prints the directory.
    """
    started = time.monotonic()

    def say(message: str) -> None:
        click.echo(message, err=True)

    _check_study(study_dir)
    claim_output(out_dir or study_dir / "export")
    try:
        out = export_study(study_dir, out_dir, progress=say, options=Options(min_n))
    except StudyError as error:  # a study directory with a table missing or unreadable
        raise click.ClickException(str(error)) from None
    say(f"export written in {time.monotonic() - started:.1f}s")
    click.echo(str(out))
