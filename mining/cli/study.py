"""`mlflow-miner study` and `mlflow-miner demo`: the whole pipeline, resumable, in one command."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from mining.study.run import Study, StudySettings


def _log(message: str) -> None:
    click.echo(message, err=True)


def run_study(settings: StudySettings, recrawl: bool = False, static: bool = True) -> None:
    """crawl (when the dataset is missing) → clone → scan → merge → report → export."""
    started = time.monotonic()
    if settings.crawl and (recrawl or not settings.dataset.exists()):
        _crawl(settings)
    study = Study(settings, log=_log)
    for index, outcome in enumerate(study.traverse_repos(), start=1):
        _log(
            f"[{index}] {outcome.repo}: {outcome.status}"
            + (
                f", {outcome.files} files, {outcome.calls} calls"
                if outcome.status == "analyzed"
                else f" ({outcome.detail})"
            )
        )
    counts = study.merge()
    _log("repositories: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    _report_and_export(settings.output, static)
    _log(f"study {settings.name} done in {time.monotonic() - started:.1f}s: {settings.output}")


def _crawl(settings: StudySettings) -> None:
    from mining.github.crawl import write_dataset
    from mining.github.search import CrawlSettings

    _log(f"crawling topics {', '.join(settings.topics)} into {settings.dataset}")
    write_dataset(
        CrawlSettings(topics=settings.topics, qualifiers=settings.qualifiers), settings.dataset
    )


def _report_and_export(output: Path, static: bool) -> None:
    try:
        from analyzers.study.export import export_study
        from analyzers.study.report import build_report
    except ImportError:  # the report stage is optional while it is being built
        _log("report and export stages are not available in this version")
        return
    report = build_report(output, static=static)
    _log(f"report: {report.index}" + "".join(f"\nwarning: {w}" for w in report.warnings))
    _log(f"export: {export_study(output)}")


@click.command()
@click.argument("study_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Repositories analysed in parallel (default: all cores).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where repositories are analysed.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Dask scheduler address, with --executor dask (e.g. tcp://host:8786).",
)
@click.option("--recrawl", is_flag=True, help="Crawl again even if the dataset exists.")
@click.option("--no-static", is_flag=True, help="Skip PNG/SVG chart export (HTML only).")
@click.option(
    "--clone-cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where checkouts are kept (default: $XDG_CACHE_HOME/mlflow-miner/repos).",
)
@click.option(
    "--history",
    is_flag=True,
    help="Also walk each repository's history: when MLflow and each dimension "
    "arrived, and whether they stayed (history*.csv; clones without blobs).",
)
@click.option(
    "--max-commits",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With --history (implied): walk only the newest N commits.",
)
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="With --history (implied): walk only commits after DATE (e.g. 2022-01-01).",
)
@click.option(
    "--all-parents",
    is_flag=True,
    help="With --history: walk every branch merged into the default branch, not "
    "just its first-parent line.",
)
def study(
    study_file: Path,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    recrawl: bool,
    no_static: bool,
    clone_cache: Path | None,
    history: bool,
    max_commits: int | None,
    since: str | None,
    all_parents: bool,
) -> None:
    """Run the study defined in STUDY_FILE (TOML): crawl → clone → scan → report → export.

    The study file names the study and gives its topics, search qualifiers, dataset path and
    output directory (see datasets/mlflow-topics.toml). Every stage resumes: rerunning after an
    interruption does only what is missing, and a rerun with nothing new rewrites identical
    outputs. A GitHub token is read from GITHUB_TOKEN, the API base from GITHUB_API_URL.
    """
    try:
        settings = StudySettings.from_toml(
            study_file,
            jobs=jobs,
            executor=executor,
            scheduler=scheduler,
            clone_cache=clone_cache,
            history=True if history or max_commits or since or all_parents else None,
            max_commits=max_commits,
            since=since,
            first_parent=False if all_parents else None,
        )
    except (KeyError, ValueError) as error:
        raise click.UsageError(f"{study_file}: {error}") from None
    try:
        run_study(settings, recrawl=recrawl, static=not no_static)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results/demo"),
    show_default=True,
    help="Study output directory.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Repositories analysed in parallel (default: all cores).",
)
@click.option("--no-static", is_flag=True, help="Skip PNG/SVG chart export (HTML only).")
def demo(out: Path, jobs: int | None, no_static: bool) -> None:
    """The whole study, offline, on the shipped demo corpus: no token, no network.

    Builds a dozen small git repositories from tests/fixtures/corpus (deterministic commits;
    some with a history from tests/fixtures/history), lists them in datasets/demo.csv with
    file:// URLs, then clones, scans, walks their histories, reports and exports into OUT
    exactly as a real study with --history does.
    """
    from mining.study.demo import build_demo

    dataset = build_demo(dataset=Path("datasets/demo.csv"))
    settings = StudySettings(
        name="demo",
        dataset=dataset,
        output=out,
        crawl=False,
        protocols=("https", "file"),
        history=True,
        **({"jobs": jobs} if jobs else {}),
    )
    run_study(settings, static=not no_static)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(study())
