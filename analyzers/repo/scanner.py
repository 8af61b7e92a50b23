"""Scan repositories: walk → read → pre-filter → content cache → parallel analysis → records.

`scan(path)` is a generator of `FileResult` records in a stable order (repository, then path),
so a user's script is a for-loop and nothing holds more than a small window of files in memory.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from analyzers.code.catalog import catalog_version, load_catalog
from analyzers.code.prefilter import may_use_mlflow
from analyzers.records import FileAnalysis, FileKind, FileResult, FileStatus, RepoRef
from analyzers.repo.cache import AnalysisCache, blob_sha, default_cache_path
from analyzers.repo.configvalues import ConfigIndex, resolve_facts
from analyzers.repo.files import Entry, walk

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

MIB = 1024 * 1024
_T = TypeVar("_T")
_GITHUB_REMOTE = re.compile(r"github\.com[:/]+([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """How to scan. `jobs=0` analyses in this process (no crash isolation; for debugging)."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_script_bytes: int = 5 * MIB
    max_notebook_bytes: int = 50 * MIB
    include_vendored: bool = False
    use_cache: bool = True
    cache_path: Path | None = None  # None: the user's cache directory
    repository_pass: bool = True  # False: each file alone, without what its repository means

    def max_bytes(self, kind: FileKind) -> int:
        return self.max_notebook_bytes if kind is FileKind.NOTEBOOK else self.max_script_bytes


@dataclass(frozen=True, slots=True)
class Progress:
    repo: str
    repo_index: int
    repo_count: int
    files_done: int
    files_total: int


ProgressCallback = Callable[[Progress], None]


def describe_repo(
    path: str | os.PathLike[str], name: str | None = None, commit: str | None = None
) -> RepoRef:
    """A RepoRef for a local path: its GitHub `owner/name` from the `origin` remote when there
    is one (else the directory's name) and its HEAD commit (empty outside git)."""
    root = os.path.abspath(path)
    directory = root if os.path.isdir(root) else os.path.dirname(root)
    if name is None:
        remote = _git(directory, "config", "--get", "remote.origin.url")
        match = _GITHUB_REMOTE.search(remote)
        name = f"{match.group(1)}/{match.group(2)}" if match else os.path.basename(root)
    if commit is None:
        commit = _git(directory, "rev-parse", "--verify", "--quiet", "HEAD")
    return RepoRef(root=root, name=name, commit=commit)


def _git(directory: str, *args: str) -> str:
    """Read-only git plumbing; never runs hooks, never prompts, returns "" on any failure."""
    if not _may_be_in_git(directory):
        return ""
    import subprocess  # here: a scan of a plain directory starts no process

    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(
            ["git", "-c", "safe.directory=*", "-C", directory, *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _may_be_in_git(directory: str) -> bool:
    """False only when git would find no repository: no `.git` in `directory` or above it,
    and no GIT_DIR in the environment."""
    if "GIT_DIR" in os.environ:
        return True
    current = os.path.abspath(directory)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def scan(
    *paths: str | os.PathLike[str],
    settings: ScanSettings | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[FileResult]:
    """Scan local directories, git checkouts or single files; yield one record per file."""
    yield from scan_repos([describe_repo(path) for path in paths], settings, progress)


def scan_repos(
    repos: Iterable[RepoRef],
    settings: ScanSettings | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[FileResult]:
    settings = settings or ScanSettings()
    repos = list(repos)
    cache = None
    if settings.use_cache:
        cache = AnalysisCache(settings.cache_path or default_cache_path(), catalog_version())
    workers = AnalysisWorkers(settings.jobs)
    try:
        for index, repo in enumerate(repos):
            entries = list(walk(repo.root, settings.include_vendored))
            if not entries:
                yield FileResult(
                    repo.name,
                    repo.commit,
                    "",
                    FileKind.DIRECTORY,
                    FileStatus.EMPTY,
                    "no .py or .ipynb files",
                )
            configs = ConfigIndex(repo.root if os.path.isdir(repo.root) else "")
            for done, (entry, analysis) in enumerate(
                _analyses(repo, entries, settings, cache, workers), start=1
            ):
                yield FileResult(
                    repo.name,
                    repo.commit,
                    entry.path,
                    entry.kind,
                    analysis.status,
                    analysis.detail,
                    analysis.calls,
                    # a value read from a configuration file by key, and where each comes from
                    resolve_facts(analysis.facts, configs, entry.path),
                )
                if progress is not None:
                    progress(Progress(repo.name, index, len(repos), done, len(entries)))
    finally:
        workers.close()
        if cache is not None:
            cache.close()


def _analyses(
    repo: RepoRef,
    entries: list[Entry],
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> Iterator[tuple[Entry, FileAnalysis]]:
    """A checkout is analysed by the repository pass (each file with what the others mean);
    a single file alone."""
    if settings.repository_pass and os.path.isdir(repo.root):
        from analyzers.repo.repository import analyze_repository

        return analyze_repository(repo, entries, settings, cache, workers)
    return _analyze_entries(repo, entries, settings, cache, workers)


@dataclass(slots=True)
class _Pending:
    entry: Entry
    analysis: FileAnalysis | None = None
    data: bytes = b""
    cache_key: str | None = None
    future: Future[FileAnalysis] | None = None


def _analyze_entries(
    repo: RepoRef,
    entries: list[Entry],
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> Iterator[tuple[Entry, FileAnalysis]]:
    """Analyses in entry order, with up to a few files per worker in flight."""
    window: deque[_Pending] = deque()
    limit = max(1, settings.jobs) * 32
    known = cache.known_files(repo.root) if cache is not None else {}
    directory = os.path.isdir(repo.root)  # else the repository is a single file
    prefix = os.path.join(repo.root, "")
    for entry in entries:
        path = prefix + entry.path if directory else repo.root
        window.append(_prepare(path, entry, settings, cache, workers, known))
        while len(window) > limit or (window and window[0].future is None):
            yield _finish(window.popleft(), cache, workers)
    while window:
        yield _finish(window.popleft(), cache, workers)


def _prepare(
    path: str,
    entry: Entry,
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
    known: dict[str, tuple[str, str | None]],
) -> _Pending:
    if entry.status is not None:
        return _Pending(entry, FileAnalysis(entry.status, entry.detail))
    cap = settings.max_bytes(entry.kind)
    if entry.size > cap:
        return _Pending(
            entry,
            FileAnalysis(FileStatus.TOO_LARGE, f"{entry.size} bytes is over the {cap}-byte cap"),
        )
    stamp = entry.stamp
    if cache is not None and stamp is not None and path in known and (known[path][0] == stamp.key):
        blob = known[path][1]  # unchanged since a scan read it: no need to read it again
        if blob is None:
            return _Pending(entry, FileAnalysis(FileStatus.NO_MLFLOW))
        cached = cache.get(cache.key(blob, entry.kind.value))
        if cached is not None:
            return _Pending(entry, cached)
    try:
        with open(path, "rb") as handle:
            data = handle.read(cap + 1)
    except OSError as error:
        return _Pending(
            entry, FileAnalysis(FileStatus.UNREADABLE, f"cannot read: {error.strerror}")
        )
    if len(data) > cap:
        return _Pending(entry, FileAnalysis(FileStatus.TOO_LARGE, f"over the {cap}-byte cap"))
    if not may_use_mlflow(data):
        if cache is not None and stamp is not None:
            cache.remember_file(path, stamp, None)
        return _Pending(entry, FileAnalysis(FileStatus.NO_MLFLOW))
    key = None
    if cache is not None:
        blob = blob_sha(data)
        if stamp is not None:
            cache.remember_file(path, stamp, blob)
        key = cache.key(blob, entry.kind.value)
        cached = cache.get(key)
        if cached is not None:
            return _Pending(entry, cached)
    return _Pending(entry, data=data, cache_key=key, future=workers.submit(data, entry.kind))


def _finish(
    pending: _Pending, cache: AnalysisCache | None, workers: AnalysisWorkers
) -> tuple[Entry, FileAnalysis]:
    if pending.analysis is None:
        assert pending.future is not None
        pending.analysis = workers.result(pending.future, pending.data, pending.entry.kind)
        if cache is not None and pending.cache_key is not None:
            cache.put(pending.cache_key, pending.analysis)
    return pending.entry, pending.analysis


def analyze_bytes(data: bytes, kind: FileKind) -> FileAnalysis:
    # Imported on first use: a scan answered wholly from the cache never loads libcst.
    from analyzers.code.analyze import analyze_bytes as analyze

    return analyze(data, kind)


def _worker_init(owner: int) -> None:
    from analyzers.repo.lifetime import die_with_parent

    die_with_parent(owner)  # a killed scan leaves no worker behind
    load_catalog()


class AnalysisWorkers:
    """`analyze_bytes` in worker processes, so that a crash in the native parser costs one
    file (`jobs=0`: in this process). Shared by the scan and the history walk."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Imported here: a scan answered wholly from the cache starts no process.
            from concurrent.futures import ProcessPoolExecutor

            from analyzers.repo.lifetime import forkserver_context

            self._pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=forkserver_context("analyzers.code.analyze"),
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
        return self._pool

    def submit(self, data: bytes, kind: FileKind) -> Future[FileAnalysis]:
        # concurrent.futures is imported on first use, like the pool: a scan answered wholly
        # from the cache never needs it.
        from concurrent.futures import BrokenExecutor, Future

        if self.jobs <= 0:
            future: Future[FileAnalysis] = Future()
            future.set_result(analyze_bytes(data, kind))
            return future
        try:
            return self._executor().submit(analyze_bytes, data, kind)
        except BrokenExecutor:
            self._restart()
            return self._executor().submit(analyze_bytes, data, kind)

    def result(self, future: Future[FileAnalysis], data: bytes, kind: FileKind) -> FileAnalysis:
        """The analysis `future` holds; if its worker died (the parser crashed on some file,
        which one is unknown), the file is analysed again alone."""
        from concurrent.futures import BrokenExecutor

        try:
            return future.result()
        except BrokenExecutor:
            return self.run_isolated(data, kind)

    def run_isolated(self, data: bytes, kind: FileKind) -> FileAnalysis:
        from concurrent.futures import BrokenExecutor

        self._restart()
        try:
            return self._executor().submit(analyze_bytes, data, kind).result()
        except BrokenExecutor:
            self._restart()
            return FileAnalysis(FileStatus.CRASH, "the analyzer's worker process died on this file")

    # Any task, for the repository pass (analyzers.repo.repository): same pool, same isolation.
    def submit_task(self, task: Callable[..., _T], *args: object) -> Future[_T]:
        from concurrent.futures import BrokenExecutor, Future

        if self.jobs <= 0:
            future: Future[_T] = Future()
            future.set_result(task(*args))
            return future
        try:
            return self._executor().submit(task, *args)
        except BrokenExecutor:
            self._restart()
            return self._executor().submit(task, *args)

    def task_result(
        self, future: Future[_T], task: Callable[..., _T], args: tuple[object, ...], crashed: _T
    ) -> _T:
        """The task's result; if its worker died, the task alone again; `crashed` if that
        dies too."""
        from concurrent.futures import BrokenExecutor

        try:
            return future.result()
        except BrokenExecutor:
            self._restart()
        try:
            return self._executor().submit(task, *args).result()
        except BrokenExecutor:
            self._restart()
            return crashed

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
