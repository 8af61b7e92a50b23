"""A whole study as one generator: dataset → clone → analyze, one repository at a time.

    study = Study(StudySettings.from_toml("datasets/demo.toml"))
    for outcome in study.traverse_repos():
        print(outcome.repo, outcome.status, outcome.calls)
    study.merge()  # study-level repos.csv, files.csv, calls.csv, signals.csv, study.json

Each repository's analysis is written to its own directory, atomically, with a marker written
last; a rerun finds the markers and does only what is missing, so a killed study resumes and a
rerun with nothing new yields identical outputs. Analyses run in parallel, in local worker
processes or on a Dask cluster; the study-level tables are merged from the per-repository files,
so memory does not grow with the number of repositories.

Over 500 lines, on purpose: the generator, one repository's task and the merge share one
lifecycle (markers written last, resume, atomic outputs, machine paths scrubbed), which reads
best in one place; the executors, settings, provenance, filters, strata and the run log live
beside it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from analyzers import schema
from analyzers.code.catalog import load_catalog
from analyzers.codebook import ANALYSED_STATUSES, ANALYZED, PARTIAL
from analyzers.records import FileKind, FileResult, FileStatus, RepoRef
from analyzers.repo.cache import ANALYZER_VERSION, cache_root
from analyzers.repo.content import BLOB_COLUMNS, LAYOUT_COLUMNS, blob_rows, layout_rows
from analyzers.repo.ecosystem import ECOSYSTEM_COLUMNS, ecosystem_rows
from analyzers.repo.indirect import configured_indirect_rows
from analyzers.repo.outputs import (
    CALL_COLUMNS,
    FACT_COLUMNS,
    FILE_COLUMNS,
    INDIRECT_COLUMNS,
    write_scan,
)
from analyzers.repo.scanner import ScanSettings, scan_repos
from analyzers.repo.signals import SIGNAL_COLUMNS, signal_rows
from analyzers.repo.textsearch import TEXT_MATCH_COLUMNS, text_match_rows
from analyzers.tables import atomic_path, atomic_text, csv_table, read_csv_rows
from mining.git.checkouts import cache_key
from mining.git.clone import CloneSettings, CloneStatus, clone_all
from mining.git.history import HISTORY_TABLES, HistoryOptions, write_history
from mining.git.sparse import LeftOut
from mining.github.crawl import read_provenance
from mining.study.executors import LocalPool, run_dask
from mining.study.filters import EXCLUDED, count_commits, detail
from mining.study.portable import MachinePaths
from mining.study.provenance import study_provenance
from mining.study.settings import StudySettings
from mining.study.strata import strata

REPO_COLUMNS = schema.columns("repos")  # declared in analyzers/schema.py
# Repository statuses that may be transient: a rerun tries them again, and the study exits 1.
RETRIED = frozenset({CloneStatus.TIMEOUT.value, CloneStatus.ERROR.value, "missing"})


@dataclass(frozen=True, slots=True)
class RepoTable:
    """A per-repository table read from a checkout without running anything; `rows` gets the
    repository (root, name, commit) and yields dicts with exactly `columns`."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[RepoRef], Iterable[dict[str, Any]]]


# Tables beside the scan's files.csv and calls.csv. Adding a repository-level analysis is one
# line here: the study writes, resumes and merges it like the others.
REPO_TABLES: tuple[RepoTable, ...] = (
    RepoTable("signals.csv", SIGNAL_COLUMNS, signal_rows),
    RepoTable("ecosystem.csv", ECOSYSTEM_COLUMNS, ecosystem_rows),
    RepoTable("layout.csv", LAYOUT_COLUMNS, layout_rows),  # the purpose rule's evidence
    RepoTable("blobs.csv", BLOB_COLUMNS, blob_rows),  # what near-duplicates share
    # What the seed study's text search finds: method_comparison.csv sets it beside the calls.
    RepoTable("text_matches.csv", TEXT_MATCH_COLUMNS, text_match_rows),
)
TABLES = {
    "files.csv": FILE_COLUMNS,
    "calls.csv": CALL_COLUMNS,
    "facts.csv": FACT_COLUMNS,
    "indirect.csv": INDIRECT_COLUMNS,
    **{table.name: table.columns for table in REPO_TABLES},
}
MARKER = "done.json"
HISTORY_MARKER = "history.json"  # with --history: written before MARKER
UNPINNED = "unpinned"


@dataclass(frozen=True, slots=True)
class RepoTask:
    """One repository to analyze: a checkout on disk, or the reason there is none."""

    repo: str
    commit: str
    checkout: str  # "" when cloning failed
    status: str  # the clone status, when it failed
    detail: str
    out_dir: str
    analysis_cache: str | None
    history: HistoryOptions | None = None  # walk the history too (--history)
    left_out: tuple[LeftOut, ...] = ()  # files the checkout left out (over the size cap)
    machine: MachinePaths = field(default_factory=MachinePaths)  # kept out of the tables


@dataclass(frozen=True, slots=True)
class RepoOutcome:
    """How one repository of the study ended: `analyzed`, or why not."""

    repo: str
    commit: str
    status: str
    detail: str = ""
    files: int = 0
    calls: int = 0
    # Decided when the study is merged (mining.study.strata), for analysed repositories only.
    purpose: str = ""
    purpose_rule: str = ""
    duplicate_of: str = ""
    cluster_size: int | None = None
    # What analyzing it cost in this run (seconds, history blobs parsed, fetched, ...): for the
    # run log only, never in a table, so that reruns write the same bytes.
    costs: tuple[tuple[str, float], ...] = ()

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        del row["costs"]
        return row


def analyze_checkout(task: RepoTask, isolated: bool = False) -> RepoOutcome:
    """Scan one checkout and write its tables into `task.out_dir`; the marker goes last.

    This is the unit of parallel work: a plain function of a picklable task, so a local
    process pool and a Dask cluster run the very same code. It parses in-process, unless
    `isolated`, where every file is parsed in a worker process of its own.
    """
    out = Path(task.out_dir)
    started = time.monotonic()
    costs: dict[str, float] = {}
    if not task.checkout:
        outcome = RepoOutcome(task.repo, task.commit, task.status, task.detail)
    else:
        ref = RepoRef(root=task.checkout, name=task.repo, commit=task.commit)
        settings = ScanSettings(
            jobs=1 if isolated else 0,
            use_cache=task.analysis_cache is not None,
            cache_path=Path(task.analysis_cache) if task.analysis_cache else None,
        )
        portable = task.machine.with_root(task.checkout)
        unreadable = _Unreadable()
        files = unreadable(itertools.chain(scan_repos([ref], settings), _left_out_rows(task)))
        summary = write_scan((_portable_file(file, portable) for file in files), out)
        for table in REPO_TABLES:
            with csv_table(out / table.name, table.columns) as writer:
                writer.write_all(table.rows(ref))
        # indirect.csv: the scan's uses resolved in code, then those files declare.
        resolved = list(read_csv_rows(out / "indirect.csv"))
        with csv_table(out / "indirect.csv", INDIRECT_COLUMNS) as writer:
            writer.write_all([*resolved, *configured_indirect_rows(ref)])
        if task.history is not None:
            costs = _walk_history(task, ref, out, isolated)
        # A file that could not be fetched or read costs that file: the rest is analysed and
        # the repository is partial (files.csv names the file, status unreadable).
        unsent = sum(item.unreadable for item in task.left_out)
        partial = unreadable.count > 0 or unsent > 0
        detail = task.detail
        if unreadable.count > unsent:
            detail = "; ".join(
                filter(None, [detail, f"{unreadable.count - unsent} file(s) could not be read"])
            )
        outcome = RepoOutcome(
            task.repo,
            task.commit,
            PARTIAL if partial else ANALYZED,
            detail,
            summary.files,
            summary.calls,
        )
    costs["seconds"] = round(time.monotonic() - started, 3)
    outcome = replace(outcome, costs=tuple(sorted(costs.items())))
    with atomic_text(out / MARKER) as handle:
        json.dump({**outcome.as_row(), "analyzer": _analysis_version()}, handle, sort_keys=True)
    return outcome


UNSENT = "the server could not send its content: left out of the checkout"


def _portable_file(file: FileResult, paths: MachinePaths) -> FileResult:
    """The file's row with no path of this machine in its detail (an OS error names the file
    by its absolute path in the checkout)."""
    scrubbed = paths.scrub(file.detail)
    return file if scrubbed == file.detail else replace(file, detail=scrubbed)


def _left_out_rows(task: RepoTask) -> Iterator[FileResult]:
    """A files.csv row for each script or notebook the checkout left out: too large, or
    unreadable because the server could not send it."""
    kinds = {".py": FileKind.SCRIPT, ".ipynb": FileKind.NOTEBOOK}
    for item in task.left_out:
        kind = kinds.get(os.path.splitext(item.path)[1])
        if kind is None:
            continue
        if item.unreadable:
            yield FileResult(task.repo, task.commit, item.path, kind, FileStatus.UNREADABLE, UNSENT)
        else:
            detail = f"{item.size} bytes: left out of the checkout (over the clone's file cap)"
            yield FileResult(task.repo, task.commit, item.path, kind, FileStatus.TOO_LARGE, detail)


class _Unreadable:
    """Counts, on the way to files.csv, the files that could not be read."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, files: Iterable[FileResult]) -> Iterator[FileResult]:
        for file in files:
            self.count += file.status is FileStatus.UNREADABLE
            yield file


def _analysis_version() -> str:
    return f"{ANALYZER_VERSION}:{load_catalog().version}"


# --- History (--history): mining.git.history's tables beside the scan's, with their own marker.


HISTORY_COSTS = ("blobs_parsed", "blobs_skipped", "cache_hits", "blobs_fetched", "bytes_fetched")


def _walk_history(task: RepoTask, ref: RepoRef, out: Path, isolated: bool) -> dict[str, float]:
    """Write history.csv, history_events.csv and history_summary.csv; the history marker goes
    last, and only for a walk that worked (a failed one is tried again by the next run).
    Returns what the walk cost, for the run log."""
    assert task.history is not None
    options = replace(task.history, jobs=1 if isolated else 0)
    summary, stats = write_history(
        ref, out, options, Path(task.analysis_cache) if task.analysis_cache else None
    )
    (out / HISTORY_MARKER).unlink(missing_ok=True)
    if summary["status"] == "walked":
        with atomic_text(out / HISTORY_MARKER) as handle:
            json.dump(_history_marker(task.commit, task.history), handle, sort_keys=True)
    costs = {f"history_{name}": float(getattr(stats, name)) for name in HISTORY_COSTS}
    costs["history_seconds"] = stats.seconds
    return costs


def _history_marker(commit: str, options: HistoryOptions) -> dict[str, Any]:
    return {"commit": commit, "analyzer": _analysis_version(), **options.marker()}


def _history_done(out_dir: Path, commit: str, options: HistoryOptions) -> bool:
    """Whether an earlier run walked this commit's history with these options."""
    try:
        recorded = json.loads((out_dir / HISTORY_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(recorded == _history_marker(commit, options))


def _recorded(out_dir: Path) -> tuple[RepoOutcome, str] | None:
    """The outcome an earlier run wrote for this repository, and its analyzer version."""
    try:
        recorded = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    analyzer = recorded.pop("analyzer", "")
    return RepoOutcome(**recorded), analyzer


def _finished(out_dir: Path, commit: str) -> RepoOutcome | None:
    """The recorded outcome, if it is for this commit and analyzer and not maybe transient."""
    recorded = _recorded(out_dir)
    if recorded is None:
        return None
    outcome, analyzer = recorded
    if analyzer != _analysis_version() or outcome.commit != commit:
        return None
    if outcome.status in RETRIED or outcome.status == EXCLUDED:
        return None  # maybe transient, or filtered by settings that may have changed
    if outcome.status in ANALYSED_STATUSES and not all(
        (out_dir / t.name).exists() for t in REPO_TABLES
    ):
        return None  # analysed before a repository table was added
    return outcome


def _exclude(out_dir: Path, row: dict[str, str], reasons: list[str]) -> RepoOutcome:
    """Record that the study's filters leave this repository out (a marker, for merge)."""
    outcome = RepoOutcome(row["full_name"], row.get("commit", ""), EXCLUDED, detail(reasons))
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_text(out_dir / MARKER) as handle:
        json.dump({**outcome.as_row(), "analyzer": _analysis_version()}, handle, sort_keys=True)
    return outcome


class Study:
    """A study, traversed lazily: nothing happens until `traverse_repos` is iterated."""

    def __init__(
        self, settings: StudySettings, log: Callable[[str], None] = lambda message: None
    ) -> None:
        self.settings = settings
        self.log = log
        self.work = settings.output / "repos"
        self.machine = MachinePaths.of(
            (
                # A rewritten clone URL's local target reads as the URL the dataset gives.
                *(
                    (Path(unquote(to.removeprefix("file://"))), prefix.rstrip("/"))
                    for prefix, to in settings.url_rewrites
                    if to.startswith("file://")
                ),
                (settings.output, "<study>"),
                (settings.clone_cache, "<clone-cache>"),
                (cache_root(), "<cache>"),
            )
        )
        # What the repositories analysed in this run cost, by repository: the run log's.
        self.costs: dict[str, dict[str, float]] = {}
        # The most repositories submitted to workers and not yet collected (the run log's).
        self.in_flight = 0

    def _saw_in_flight(self, count: int) -> None:
        self.in_flight = max(self.in_flight, count)

    def dataset_rows(self) -> list[dict[str, str]]:
        if not self.settings.dataset.exists():
            raise FileNotFoundError(
                f"dataset {self.settings.dataset} does not exist: crawl it "
                "first (mlflow-miner crawl) or fix the study file"
            )
        return list(read_csv_rows(self.settings.dataset))

    def out_dir(self, repo: str) -> Path:
        return self.work / cache_key(repo)

    def traverse_repos(self) -> Iterator[RepoOutcome]:
        """Outcomes in dataset order: finished ones from disk, the rest cloned and analysed."""
        rows = self.dataset_rows()
        pending_rows = []
        finished: dict[str, RepoOutcome] = {}
        excluded = 0
        for row in rows:
            reasons = self.settings.filters.metadata_reasons(row)
            if reasons:
                finished[row["full_name"]] = _exclude(self.out_dir(row["full_name"]), row, reasons)
                excluded += 1
                continue
            done = _finished(self.out_dir(row["full_name"]), row.get("commit", ""))
            history = self.settings.history_options()
            if (
                done is not None
                and history is not None
                and done.status in ANALYSED_STATUSES
                and not _history_done(self.out_dir(row["full_name"]), done.commit, history)
            ):
                done = None  # analysed, but its history not yet (or with other caps)
            if done is not None:
                finished[row["full_name"]] = done
            else:
                pending_rows.append(row)
        left_out = f"{excluded} excluded by the study's filters, " if excluded else ""
        self.log(
            f"{len(rows)} repositories: {len(finished) - excluded} already analyzed, "
            f"{left_out}{len(pending_rows)} to clone and analyze"
        )
        outcomes = self._run(self._tasks(pending_rows))
        for row in rows:
            name = row["full_name"]
            if name in finished:
                yield finished[name]
                continue
            outcome = next(outcomes)
            if outcome.costs:
                self.costs[outcome.repo] = dict(outcome.costs)
            yield outcome

    def _tasks(self, rows: list[dict[str, str]]) -> Iterator[RepoTask]:
        where: dict[str, Any] = {}
        if self.settings.clone_cache:
            where["cache"] = self.settings.clone_cache
        clone_settings = CloneSettings(
            protocols=self.settings.protocols,
            jobs=max(2, self.settings.jobs),
            # min_commits counts commits in the clone: it needs the history (without blobs).
            history=self.settings.history or self.settings.filters.needs_history,
            max_size_mb=self.settings.max_size_mb,
            max_file_mb=self.settings.max_file_mb,
            url_rewrites=self.settings.url_rewrites,
            **where,
        )
        history = self.settings.history_options()

        def progress(done: int, total: int, result: Any) -> None:
            self.log(
                f"[clone {done}/{total}] {result.full_name}: {result.status.value}"
                + (f" ({result.detail})" if result.detail else "")
            )

        cache = str(self.settings.analysis_cache) if self.settings.analysis_cache else None
        pinned = [row for row in rows if row.get("commit")]
        clones = clone_all(pinned, clone_settings, progress)
        for row in rows:
            name = row["full_name"]
            if not row.get("commit"):
                # The crawler could not read a head (empty, blocked or deleted repository):
                # final, so a rerun does not try again.
                yield RepoTask(
                    name,
                    "",
                    "",
                    UNPINNED,
                    self.machine.scrub(row.get("note") or "no pinned commit in the dataset"),
                    str(self.out_dir(name)),
                    cache,
                )
                continue
            result = next(clones)
            reasons = (
                self.settings.filters.commit_reasons(count_commits(result.path, result.commit))
                if result.ok and self.settings.filters.min_commits
                else []
            )
            if reasons:
                yield RepoTask(
                    name,
                    result.commit,
                    "",
                    EXCLUDED,
                    detail(reasons),
                    str(self.out_dir(name)),
                    cache,
                )
                continue
            yield RepoTask(
                name,
                result.commit,
                result.path if result.ok else "",
                result.status.value,
                self.machine.scrub(result.detail),
                str(self.out_dir(name)),
                cache,
                history,
                result.left_out,
                self.machine,
            )

    def _run(self, tasks: Iterable[RepoTask]) -> Iterator[RepoOutcome]:
        if self.settings.executor == "dask":
            scheduler = self.settings.scheduler
            yield from run_dask(tasks, scheduler, analyze_checkout, self.log, self._saw_in_flight)
        elif self.settings.jobs <= 1:
            yield from map(analyze_checkout, tasks)
        else:
            pool = LocalPool(self.settings.jobs, analyze_checkout, self.log)
            yield from pool.run(tasks, self._saw_in_flight)

    def merge(self) -> dict[str, int]:
        """Study-level tables from the per-repository files, in dataset order."""
        out = self.settings.output
        counts: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        rows = self.dataset_rows()
        with atomic_path(out / "dataset.csv") as copy:
            shutil.copyfile(self.settings.dataset, copy)
        outcomes = {}
        for row in rows:
            recorded = _recorded(self.out_dir(row["full_name"]))
            outcomes[row["full_name"]] = (
                recorded[0]
                if recorded
                else RepoOutcome(
                    row["full_name"],
                    row.get("commit", ""),
                    "missing",
                    "not analysed yet: rerun the study",
                )
            )
        analysed = {name for name, o in outcomes.items() if o.status in ANALYSED_STATUSES}
        placed = strata(rows, analysed, self.out_dir, self.settings.duplicate_threshold)
        with csv_table(out / "repos.csv", REPO_COLUMNS) as repos:
            for row in rows:
                outcome = outcomes[row["full_name"]]
                where = placed.get(row["full_name"])
                if where is not None:
                    outcome = replace(outcome, **asdict(where))
                outcome = replace(outcome, detail=self.machine.scrub(outcome.detail))
                repos.write(outcome.as_row())
                counts[outcome.status] += 1
                totals.update(files=outcome.files, calls=outcome.calls)
        # History tables only with --history: a study without it leaves them alone.
        for table, columns in {
            **TABLES,
            **(HISTORY_TABLES if self.settings.history else {}),
        }.items():
            with csv_table(out / table, columns) as merged:
                for row in rows:
                    part = self.out_dir(row["full_name"]) / table
                    # Only what this run counts as analysed: an excluded repository's tables
                    # from an earlier run with other filters stay out.
                    if row["full_name"] in analysed and part.exists():
                        merged.write_all(read_csv_rows(part))
        provenance = study_provenance(
            self.settings,
            dataset=_relative(self.settings.dataset),
            dataset_sha256=hashlib.sha256(self.settings.dataset.read_bytes()).hexdigest(),
            crawled_at=rows[0].get("crawled_at", "") if rows else "",
            counts={"repositories": len(rows), **dict(sorted(counts.items()))},
            totals={"files": totals["files"], "calls": totals["calls"]},
            # how the dataset was crawled, truncated slices included
            crawl=read_provenance(self.settings.dataset),
        )
        with atomic_text(out / "study.json") as handle:
            json.dump(provenance, handle, indent=2, sort_keys=True)
            handle.write("\n")
        return dict(counts)


def _relative(path: Path) -> str:
    """The path relative to the working directory, else its name: never a path of this
    machine (the study folder holds the dataset's copy, dataset.csv, and its hash)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name
