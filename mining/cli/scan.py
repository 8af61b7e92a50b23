"""`mlflow-miner scan`: analyze local directories or checkouts into calls.csv and files.csv."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from analyzers.records import RepoRef
from analyzers.repo.outputs import write_scan
from analyzers.repo.scanner import (
    DEFAULT_FILE_TIMEOUT,
    MIB,
    ScanSettings,
    describe_repo,
    scan_repos,
)
from mining.cli.progress import ScanProgress


def _repo(path: str, name: str | None) -> RepoRef:
    """A local path as it is; `owner/name` that is not a local path, from GitHub."""
    if Path(path).exists():
        return describe_repo(path, name)
    from mining.github.remote import RemoteError, checkout_github, looks_like_full_name

    if not looks_like_full_name(path):
        raise click.BadParameter(
            f"{path!r} does not exist (and is not a GitHub owner/name)", param_hint="PATHS"
        )
    try:
        repo = checkout_github(path)
    except RemoteError as error:
        raise click.ClickException(str(error)) from None
    return RepoRef(repo.root, name or repo.name, repo.commit)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results/scan"),
    show_default=True,
    help="Directory for calls.csv and files.csv.",
)
@click.option(
    "--name",
    "names",
    multiple=True,
    help="Repository name for the corresponding PATH (default: GitHub owner/name "
    "from the origin remote, else the directory name). Repeat per PATH.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes (default: all cores; 0 analyses in-process).",
)
@click.option(
    "--max-file-size",
    type=click.FloatRange(min=0),
    default=5,
    show_default=True,
    help="Skip .py files larger than this many MiB (status too-large).",
)
@click.option(
    "--max-notebook-size",
    type=click.FloatRange(min=0),
    default=50,
    show_default=True,
    help="Skip .ipynb files larger than this many MiB.",
)
@click.option(
    "--file-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_FILE_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Time budget of one file's analysis; a file over it gets the status timeout and the "
    "scan goes on (0: no budget; none with --jobs 0).",
)
@click.option(
    "--include-vendored",
    is_flag=True,
    help="Also scan venv, site-packages, node_modules, build and dist trees.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the analysis cache.")
@click.option(
    "--cache-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Analysis cache (default: $XDG_CACHE_HOME/mlflow-miner/analysis-v<N>.sqlite, "
    "N the analyzer version).",
)
def scan(
    paths: tuple[str, ...],
    out_dir: Path,
    names: tuple[str, ...],
    jobs: int | None,
    max_file_size: float,
    max_notebook_size: float,
    file_timeout: float,
    include_vendored: bool,
    no_cache: bool,
    cache_file: Path | None,
) -> None:
    """Find every MLflow call in PATHS (directories, git checkouts, single files, or GitHub
    repositories given as owner/name, pinned to their default branch's head and cloned).

    Writes OUT/calls.csv (one row per call site) and OUT/files.csv (one row per .py/.ipynb file
    seen, with its status), each atomically when the scan completes, and prints a summary on
    stderr. Repository code is only parsed, never run or imported.
    """
    if names and len(names) != len(paths):
        raise click.UsageError(f"--name was given {len(names)} times for {len(paths)} paths")
    settings = ScanSettings(
        max_script_bytes=int(max_file_size * MIB),
        max_notebook_bytes=int(max_notebook_size * MIB),
        file_timeout=file_timeout,
        include_vendored=include_vendored,
        use_cache=not no_cache,
        cache_path=cache_file,
    )
    if jobs is not None:
        settings = replace(settings, jobs=jobs)
    repos = [
        _repo(path, name) for path, name in zip(paths, names or [None] * len(paths), strict=True)
    ]
    with ScanProgress() as progress:
        summary = write_scan(scan_repos(repos, settings, progress), out_dir)
    click.echo(summary.render(), err=True)
    click.echo(f"wrote {out_dir / 'calls.csv'} and {out_dir / 'files.csv'}", err=True)
