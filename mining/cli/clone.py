"""`mlflow-miner clone`: fetch a dataset's repositories at their pinned commits."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from analyzers.repo.cache import cache_root
from analyzers.repo.gitsafe import PROTOCOLS
from analyzers.tables import csv_table, read_csv_rows
from mining.cli.guard import BadInput, ExitCode, claim_output
from mining.git.clone import (
    REPOS_COLUMNS,
    REQUIRED_COLUMNS,
    CloneResult,
    CloneSettings,
    CloneStatus,
    clone_all,
)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _print_progress(done: int, total: int, result: CloneResult) -> None:
    line = f"[{done}/{total}] {result.full_name} {result.status}"
    if result.status is CloneStatus.CLONED:
        line += f" {_human(result.bytes)}"
    line += f" {result.seconds:.1f}s"
    if result.detail:
        line += f": {result.detail}"
    click.echo(line, err=True)


def _read_dataset(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise BadInput(f"{path}: missing column(s) {', '.join(missing)}")
        return list(read_csv_rows(path))
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadInput(f"{path}: not a CSV dataset: {error}") from None


@click.command()
@click.argument("dataset", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Checkout cache (default: $XDG_CACHE_HOME/mlflow-miner/repos).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Repositories fetched at once.",
)
@click.option(
    "--repos-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the per-repository statuses (default: results/NAME.repos.csv).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="Seconds allowed per repository.",
)
@click.option(
    "--max-size-mb",
    type=click.FloatRange(min=0),
    default=2048.0,
    show_default=True,
    help="Skip repositories larger than this (dataset size_kb, then fetched bytes, then the "
    "bytes the checkout would write: status too-large); 0 = no limit.",
)
@click.option(
    "--max-file-mb",
    type=click.FloatRange(min=0),
    default=50.0,
    show_default=True,
    help="Leave out (never write) files larger than this, the rest is checked out; each is "
    "named in the detail. 0 = no limit.",
)
@click.option(
    "--allow-protocol",
    "allow_protocols",
    multiple=True,
    type=click.Choice([p for p in PROTOCOLS if p != "https"]),
    help="Also allow this URL scheme (https always is). `file` runs the source "
    "repository's git config: trusted repositories only.",
)
def clone(
    dataset: Path,
    cache: Path | None,
    jobs: int,
    repos_csv: Path | None,
    timeout: float,
    max_size_mb: float,
    max_file_mb: float,
    allow_protocols: tuple[str, ...],
) -> None:
    """Fetch each repository of DATASET (a crawl CSV with full_name, clone_url, commit) at its
    pinned commit, sparsely: only Python files, notebooks, MLproject, environment, requirement,
    packaging, Docker, CI and DVC files are downloaded.

    Checkouts go to CACHE/<owner>__<name>/<sha>/ and are reused by later runs. Every repository
    gets a row in the repos CSV (cloned, cached, unpinned, not-found, unavailable, too-large,
    timeout or error) and the run goes on. Exit code 1 when some repository ended error or
    timeout (a rerun tries them again); the others are final.
    """
    rows = _read_dataset(dataset)
    settings = CloneSettings(
        cache=cache if cache is not None else cache_root() / "repos",
        jobs=jobs,
        timeout=timeout,
        max_size_mb=max_size_mb or None,
        max_file_mb=max_file_mb or None,
        protocols=("https", *allow_protocols),
    )
    output = repos_csv if repos_csv is not None else Path("results") / f"{dataset.stem}.repos.csv"
    claim_output(output, folder=False, option="--repos-csv")
    claim_output(settings.cache, option="--cache", sweep=False)
    counts: dict[str, int] = {}
    with csv_table(output, REPOS_COLUMNS) as table:
        for result in clone_all(rows, settings, progress=_print_progress):
            table.write(result.as_row())
            counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    click.echo(f"{len(rows)} repositories ({summary or 'none'}) -> {output}", err=True)
    failed = counts.get(CloneStatus.ERROR, 0) + counts.get(CloneStatus.TIMEOUT, 0)
    if failed:
        click.echo(f"{failed} ended error or timeout: rerun to try them again", err=True)
        raise click.exceptions.Exit(ExitCode.FAILED)
