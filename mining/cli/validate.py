"""`mlflow-miner validate`: the validation protocol. `sample` draws what people judge, `score`
measures precision and the miss rate and writes them into the study, `agree` compares two
raters. The logic is `analyzers.study.validation`; this module reads files and checkouts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from analyzers.repo.cache import cache_root
from analyzers.repo.lines import LineUnavailable, source_line
from analyzers.study.load import StudyError, load_study
from analyzers.study.permalinks import Location
from analyzers.study.validation import (
    CALL,
    CANDIDATE,
    SAMPLE_COLUMNS,
    SampleError,
    agreement,
    check_sample,
    draw_sample,
    file_sha256,
    score,
    write_validation,
)
from analyzers.tables import csv_table, read_csv_rows
from mining.cli.guard import BadInput, claim_output
from mining.cli.options import study_dir_argument
from mining.git.checkouts import checkout_path


def _say(message: str) -> None:
    click.echo(message, err=True)


def _study(study_dir: Path) -> Any:
    if not (study_dir / "study.json").is_file():
        raise BadInput(f"{study_dir} is not a study directory: no study.json")
    try:
        return load_study(study_dir)
    except StudyError as error:
        raise BadInput(str(error)) from None


class CheckoutLines:
    """Reads a line at the pinned commit from the checkouts in the clone cache."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache

    def __call__(self, where: Location) -> tuple[str, str]:
        try:
            checkout = checkout_path(self.cache, where.repo, where.commit)
        except ValueError:
            return "", "no pinned commit: the line cannot be read"
        try:
            head = (checkout / ".git" / "HEAD").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return "", "checkout not in the clone cache: clone the dataset again to read it"
        if head != where.commit:
            return "", "the checkout in the cache is at another commit"
        try:
            return source_line(checkout, where.path, where.cell, where.line), ""
        except LineUnavailable as reason:
            return "", str(reason)


@click.group()
def validate() -> None:
    """Measure the tool's accuracy on a study: draw a sample, judge it, score it.

    \b
    1. mlflow-miner validate sample STUDY_DIR --out sample.csv
    2. fill the verdict column: correct or wrong for a call, missed or not-a-call for a
       candidate (a line naming an MLflow API where no call was reported)
    3. mlflow-miner validate score sample.csv   (precision and miss rate, into the study)
    4. with a second rater: mlflow-miner validate agree a.csv b.csv   (Cohen's kappa)
    """


@validate.command()
@study_dir_argument
@click.option(
    "--calls",
    "n_calls",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Reported calls to draw (for precision).",
)
@click.option(
    "--candidates",
    "n_candidates",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Lines naming an API with no reported call to draw (for recall).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="The random seed.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The sample file to write (CSV).",
)
@click.option(
    "--clone-cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the checkouts are (default: $XDG_CACHE_HOME/mlflow-miner/repos).",
)
def sample(
    study_dir: Path, n_calls: int, n_candidates: int, seed: int, out: Path, clone_cache: Path | None
) -> None:
    """Draw a stratified random sample of a study's calls and recall candidates into OUT.

    Calls are stratified by dimension and by scripts and notebooks; candidates, lines whose
    text names a catalogued API where no call was reported, the same way. Each row has its
    permalink at the pinned commit, the source line read from the checkout in the clone cache
    (a note says when the checkout is gone) and an empty verdict. Prints the file's path.
    """
    study = _study(study_dir)
    claim_output(out, folder=False)
    reader = CheckoutLines(clone_cache or cache_root() / "repos")
    study_ref = Path(os.path.relpath(study_dir.resolve(), out.resolve().parent)).as_posix()
    rows = draw_sample(study, n_calls, n_candidates, seed, reader, study_ref)
    with csv_table(out, SAMPLE_COLUMNS) as table:
        table.write_all(rows)
    if n_candidates and not (study_dir / "text_matches.csv").is_file():
        _say(
            "no candidates: the study has no text_matches.csv (analysed before the text "
            "search existed); rerun the study to draw them"
        )
    drawn = {kind: sum(row["kind"] == kind for row in rows) for kind in (CALL, CANDIDATE)}
    unread = sum(bool(row["note"]) for row in rows)
    _say(
        f"drew {drawn[CALL]} calls and {drawn[CANDIDATE]} candidates (seed {seed})"
        + (f"; {unread} rows without their source line (the note says why)" if unread else "")
    )
    click.echo(str(out))


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        return list(read_csv_rows(path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BadInput(f"{path}: cannot be read: {error}") from None


def _study_of(sample_file: Path, rows: list[dict[str, str]], override: Path | None) -> Path:
    study_dir = override or (sample_file.parent / rows[0]["study"])
    if not (study_dir / "study.json").is_file():
        raise BadInput(
            f"{sample_file}: the study it names ({rows[0]['study']}) is not a study directory "
            "from here: pass --study STUDY_DIR"
        )
    return study_dir


def _percent(part: dict[str, Any]) -> str:
    if part["share"] is None:
        return f"none judged (0 of {part['n']})"
    return (
        f"{100 * part['share']:.1f}% ({part['k']} of {part['n']}; 95% CI "
        f"{100 * part['ci_low']:.1f}-{100 * part['ci_high']:.1f}%)"
    )


@validate.command(name="score")
@click.argument("sample_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--study",
    "study_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The study directory, if not where the sample file says.",
)
def score_command(sample_file: Path, study_dir: Path | None) -> None:
    """Score a judged sample: precision and miss rate with 95% Wilson intervals.

    Refuses a file with a row left unjudged. Writes the result into the study's
    validation.json and refreshes its export (methods.md and macros.tex cite it; the report
    does from its next run). Prints the two figures.
    """
    rows = _rows(sample_file)
    try:
        check_sample(rows, sample_file.name)
    except SampleError as error:
        raise BadInput(str(error)) from None
    target = _study_of(sample_file, rows, study_dir)
    result = score(rows)
    record = {**result, "sample": sample_file.name, "sample_sha256": file_sha256(sample_file)}
    write_validation(target, record)
    from analyzers.study.export import export_study

    export_study(target)
    click.echo(f"precision {_percent(result['precision'])}")
    click.echo(f"miss rate among candidates {_percent(result['miss_rate'])}")


@validate.command()
@click.argument("first", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("second", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--study",
    "study_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The study directory, if not where the sample files say.",
)
def agree(first: Path, second: Path, study_dir: Path | None) -> None:
    """Cohen's kappa between two raters' verdicts on the rows both judged.

    Writes it into the study's validation.json (methods.md cites it). Prints kappa.
    """
    a, b = _rows(first), _rows(second)
    for path, rows in ((first, a), (second, b)):
        if not rows or "verdict" not in rows[0] or "study" not in rows[0]:
            raise BadInput(f"{path}: not a validation sample")
    try:
        found = agreement(a, b)
    except SampleError as error:
        raise BadInput(str(error)) from None
    target = _study_of(first, a, study_dir)
    write_validation(target, {"agreement": {**found, "samples": [first.name, second.name]}})
    from analyzers.study.export import export_study

    export_study(target)
    click.echo(
        f"kappa {found['kappa']:.3f} on {found['n']} rows both judged "
        f"(observed agreement {100 * found['observed']:.1f}%)"
    )
