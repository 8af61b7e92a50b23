"""`mlflow-miner study` and `mlflow-miner demo`: the whole pipeline, resumable, in one command."""

from __future__ import annotations

import csv
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from analyzers.codebook import ANALYSED_STATUSES
from analyzers.repo.cache import cache_root
from analyzers.repo.lifetime import pool_options
from mining.cli.guard import BadInput, EnvironmentProblem, ExitCode, claim_output
from mining.cli.options import max_retry_seconds, min_slice
from mining.study.run import RETRIED, Study
from mining.study.runlog import RunLog, history_costs
from mining.study.settings import StudySettings, StudySetupError


def _log(message: str) -> None:
    click.echo(message, err=True)


def run_study(
    settings: StudySettings,
    recrawl: bool = False,
    static: bool = True,
    crawl_options: dict[str, float] | None = None,
    restart: bool = False,
    verbose: bool = False,
    command: str = "study",
) -> int:
    """crawl (when the dataset is missing) → clone → scan → merge → report → export.

    Returns the exit code: 1 when some repositories ended with a status a rerun retries.
    What the run cost goes into the study's run log (`run-log.json`), the one output that
    differs between two runs of the same study."""
    started = time.monotonic()
    run_log = RunLog(f"mlflow-miner {command}")
    crawling = settings.crawl and (recrawl or restart or not settings.dataset.exists())
    _claim(settings, crawling)
    if crawling:
        with run_log.stage("crawl"):
            _crawl(settings, crawl_options or {}, restart)
    study = Study(settings, log=_log)
    reused = 0
    with run_log.stage("clone-and-analyze"):
        for index, outcome in enumerate(study.traverse_repos(), start=1):
            reused += not outcome.costs
            _log(
                f"[{index}] {outcome.repo}: {outcome.status}"
                + (
                    f", {outcome.files} files, {outcome.calls} calls"
                    + (f" ({outcome.detail})" if outcome.detail else "")
                    if outcome.status in ANALYSED_STATUSES
                    else f" ({outcome.detail})"
                )
            )
    with run_log.stage("merge"):
        counts = study.merge()
    _log("repositories: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    _report_and_export(settings.output, static, verbose, run_log)
    run_log.record(
        repositories={"done_in_this_run": len(study.costs), "already_done": reused},
        in_flight={"max": study.in_flight},
        costs=history_costs(study.costs),
    )
    run_log.write(settings.output)
    _log(f"study {settings.name} done in {time.monotonic() - started:.1f}s: {settings.output}")
    failed = sum(count for status, count in counts.items() if status in RETRIED)
    if failed:
        _log(f"{failed} repositories ended error or timeout: rerun the study to try them again")
        return ExitCode.FAILED
    return ExitCode.OK


def _claim(settings: StudySettings, crawling: bool) -> None:
    """Preflight: every output writable before any request or clone; leftovers swept."""
    claim_output(settings.output, option="output")
    if crawling:
        from mining.github.crawl import provenance_path

        claim_output(settings.dataset, folder=False, option="dataset")
        claim_output(provenance_path(settings.dataset), folder=False, option="dataset")
    elif not settings.dataset.is_file():
        raise BadInput(
            f"dataset {settings.dataset} does not exist and the study file says crawl = false: "
            "crawl it first (mlflow-miner crawl) or fix the study file"
        )
    else:
        _check_dataset(settings.dataset)
    cache = settings.clone_cache or cache_root() / "repos"
    claim_output(cache, option="clone cache", sweep=False)


def _check_dataset(dataset: Path) -> None:
    """The columns cloning and the report read must be there before anything starts."""
    from analyzers.schema import REPORTED_DATASET_COLUMNS as DATASET_COLUMNS
    from mining.git.clone import REQUIRED_COLUMNS

    try:
        with open(dataset, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BadInput(f"dataset {dataset} cannot be read: {error}") from None
    missing = [c for c in dict.fromkeys((*REQUIRED_COLUMNS, *DATASET_COLUMNS)) if c not in header]
    if missing:
        raise BadInput(f"dataset {dataset}: missing column(s) {', '.join(missing)}")


def _crawl(settings: StudySettings, options: dict[str, float], restart: bool) -> None:
    from mining.cli.crawl import all_truncated, truncation_warning
    from mining.github.crawl import checkpoint_path, write_dataset
    from mining.github.search import CrawlError, CrawlSettings, preflight

    crawl = CrawlSettings(
        topics=settings.topics,
        code_searches=settings.code_search,
        qualifiers=settings.qualifiers,
        max_retry_seconds=options.get("max_retry_seconds", 60.0),
        min_slice=int(options.get("min_slice", 86400)),
    )
    checkpoint = checkpoint_path(settings.dataset)
    try:
        preflight(crawl)
    except CrawlError as error:  # the API, the token, the topics: before anything is done
        raise (EnvironmentProblem if error.environment else BadInput)(str(error)) from None
    try:
        if restart:
            checkpoint.unlink(missing_ok=True)
        frames = [*(f"topic:{t}" for t in settings.topics), *settings.code_search]
        _log(f"crawling {', '.join(frames)} into {settings.dataset}")
        stats = write_dataset(crawl, settings.dataset)
    except CrawlError as error:
        kept = (
            f" (progress kept in {checkpoint}: rerun to resume, or pass --restart to start over)"
            if checkpoint.exists()
            else ""
        )
        failure = EnvironmentProblem if error.environment else click.ClickException
        raise failure(f"crawl failed: {error}{kept}") from None
    warning = truncation_warning(all_truncated(stats), settings.dataset)
    if warning:
        _log(warning)


def _report_and_export(output: Path, static: bool, verbose: bool, run_log: RunLog) -> None:
    """Build the report and the export in a process of their own, unless nothing they read
    changed since they were last built (`mining.study.uptodate`). Their libraries and tables
    (pandas, plotly, every call of the study) then never weigh on this process, which stays
    as small as the study is long."""
    from mining.study import uptodate

    digest = uptodate.inputs_digest(output, f"static={static}")
    if uptodate.is_current(output, digest):
        _log(
            f"report and export: unchanged since the last run ({output / 'report' / 'index.html'})"
        )
        return
    uptodate.forget(output)
    context = multiprocessing.get_context("spawn")  # this environment, none of this process
    try:
        with ProcessPoolExecutor(1, mp_context=context, **pool_options()) as pool:
            built = pool.submit(build_outputs, output, static, verbose).result()
    except BrokenProcessPool:
        raise click.ClickException("report: the process building it died") from None
    if built is None:
        return
    for stage in ("report", "export"):
        run_log.seconds[stage] = built["seconds"][stage]
    if built["charts"] is not None:
        run_log.record(charts=built["charts"])
    if built["error"]:
        raise click.ClickException(f"report: {built['error']}")
    if not built["warnings"]:
        uptodate.record(output, digest)


def build_outputs(output: Path, static: bool, verbose: bool) -> dict[str, Any] | None:
    """The report and the export of the study at `output` (in the report's process): what
    they took and drew, for the run log; None when this version has no report stage."""
    try:
        from analyzers.study.export import export_study
        from analyzers.study.report import build_report
    except ImportError:  # the report stage is optional while it is being built
        _log("report and export stages are not available in this version")
        return None
    from analyzers.study.load import StudyError

    built: dict[str, Any] = {"seconds": {}, "charts": None, "warnings": [], "error": ""}
    started = time.monotonic()
    try:
        report = build_report(output, static=static, progress=_log, verbose=verbose)
        built["seconds"]["report"] = round(time.monotonic() - started, 3)
        built["warnings"] = list(report.warnings)
        _log(f"report: {report.index}")
        if report.drawn is not None:
            built["charts"] = {
                "drawn": report.drawn.drawn,
                "unchanged": report.drawn.reused,
                "seconds": round(report.drawn.seconds, 3),
            }
        started = time.monotonic()
        _log(f"export: {export_study(output)}")
    except StudyError as error:
        built["error"] = str(error)
    built["seconds"].setdefault("report", round(time.monotonic() - started, 3))
    built["seconds"]["export"] = round(time.monotonic() - started, 3)
    return built


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
@click.option(
    "--restart",
    is_flag=True,
    help="Crawl from scratch: discard the checkpoint an interrupted or failed crawl left "
    "(without it, the crawl resumes from there).",
)
@max_retry_seconds
@min_slice
@click.option("--no-static", is_flag=True, help="Skip PNG/SVG/PDF chart export (HTML only).")
@click.option("--verbose", is_flag=True, help="Show what the browser prints while drawing charts.")
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
@click.pass_context
def study(
    ctx: click.Context,
    study_file: Path,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    recrawl: bool,
    restart: bool,
    max_retry_seconds: float,
    min_slice: int,
    no_static: bool,
    verbose: bool,
    clone_cache: Path | None,
    history: bool,
    max_commits: int | None,
    since: str | None,
    all_parents: bool,
) -> None:
    """Run the study defined in STUDY_FILE (TOML): crawl → clone → scan → report → export.

    The study file names the study and gives its topics, search qualifiers, dataset path and
    output directory (see datasets/mlflow-topics.toml); relative paths in it are relative to
    the study file's folder. Every stage resumes: rerunning after an interruption does only
    what is missing, and a rerun with nothing new rewrites identical outputs; a failed crawl
    resumes too (--restart starts it over). A GitHub token is read from GITHUB_TOKEN, the API
    base from GITHUB_API_URL; both are checked before anything is crawled or cloned.
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
        if executor == "dask" and not scheduler:
            raise StudySetupError("--executor dask needs --scheduler ADDRESS")
        code = run_study(
            settings,
            recrawl=recrawl,
            static=not no_static,
            crawl_options={"max_retry_seconds": max_retry_seconds, "min_slice": min_slice},
            restart=restart,
            verbose=verbose,
        )
    except StudySetupError as error:
        raise BadInput(str(error)) from None
    ctx.exit(code)


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
@click.option("--no-static", is_flag=True, help="Skip PNG/SVG/PDF chart export (HTML only).")
@click.option("--verbose", is_flag=True, help="Show what the browser prints while drawing charts.")
@click.pass_context
def demo(ctx: click.Context, out: Path, jobs: int | None, no_static: bool, verbose: bool) -> None:
    """The whole study, offline, on the shipped demo corpus: no token, no network.

    Builds a dozen small git repositories from tests/fixtures/corpus (deterministic commits;
    some with a history from tests/fixtures/history), lists them in datasets/demo.csv (clone
    URLs on demo.invalid, fetched from the built repositories), then clones, scans, walks their histories, reports and exports into OUT
    exactly as a real study with --history does.
    """
    from mining.study.demo import build_demo, demo_url_rewrites

    dataset = Path("datasets/demo.csv")
    claim_output(out)
    claim_output(dataset, folder=False, option="dataset")
    dataset = build_demo(dataset=dataset)
    settings = StudySettings(
        name="demo",
        dataset=dataset,
        output=out,
        crawl=False,
        protocols=("https", "file"),
        history=True,
        url_rewrites=demo_url_rewrites(),
    )
    if jobs:
        settings = replace(settings, jobs=jobs)
    ctx.exit(run_study(settings, static=not no_static, verbose=verbose, command="demo"))
