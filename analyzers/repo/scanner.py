"""Scan repositories: walk → read → pre-filter → content cache → parallel analysis → records.

`scan(path)` is a generator of `FileResult` records in a stable order (repository, then path),
so a user's script is a for-loop and nothing holds more than a small window of files in memory.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from analyzers.code.catalog import catalog_version, load_catalog
from analyzers.code.prefilter import may_use_mlflow
from analyzers.records import FileAnalysis, FileKind, FileResult, FileStatus, RepoRef
from analyzers.repo.cache import (
    AnalysisCache,
    KnownFile,
    blob_sha,
    default_cache_path,
    file_blob_sha,
)
from analyzers.repo.checkout import Layout, describe_repo, layout_of
from analyzers.repo.configvalues import ConfigIndex, resolve_facts
from analyzers.repo.files import Entry, escape_path, read_file, walk

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

MIB = 1024 * 1024
DEFAULT_FILE_TIMEOUT = 60.0
# The bytes of files sent to workers and not yet answered, whatever the number of jobs (with 64
# jobs, 32 files each could hold gigabytes of notebooks).
WINDOW_BYTES = 64 * MIB
_T = TypeVar("_T")

__all__ = [
    "DEFAULT_FILE_TIMEOUT",
    "MIB",
    "AnalysisWorkers",
    "Progress",
    "ScanSettings",
    "describe_repo",
    "scan",
    "scan_repos",
]


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """How to scan. `jobs=0` analyses in this process (no crash isolation and no time budget;
    for debugging). `file_timeout` is the time budget of one file's analysis, in seconds (0:
    none); a file over it gets the status `timeout`."""

    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_script_bytes: int = 5 * MIB
    max_notebook_bytes: int = 50 * MIB
    include_vendored: bool = False
    use_cache: bool = True
    cache_path: Path | None = None  # None: the user's cache directory
    file_timeout: float = DEFAULT_FILE_TIMEOUT
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
    """One record per file of each repository; paths are relative to the repository's root
    even when `repo.root` is a folder or a file inside it."""
    settings = settings or ScanSettings()
    repos = list(repos)
    cache = None
    if settings.use_cache:
        cache = AnalysisCache(settings.cache_path or default_cache_path(), catalog_version())
    workers = AnalysisWorkers(settings.jobs, settings.file_timeout)
    try:
        for index, repo in enumerate(repos):
            layout = layout_of(repo)
            entries = list(walk(repo.root, settings.include_vendored))
            if not entries:
                yield FileResult(
                    repo.name,
                    repo.commit,
                    layout.prefix.rstrip("/"),
                    FileKind.DIRECTORY,
                    FileStatus.EMPTY,
                    "no .py or .ipynb files",
                )
            configs = ConfigIndex(repo.root if os.path.isdir(repo.root) else "")
            analyses = _analyses(repo, entries, settings, cache, workers)
            for done, (entry, analysis, blob) in enumerate(analyses, start=1):
                yield FileResult(
                    repo.name,
                    repo.commit,
                    layout.prefix + entry.path,
                    entry.kind,
                    analysis.status,
                    analysis.detail,
                    analysis.calls,
                    # a value read from a configuration file by key, and where each comes from
                    resolve_facts(analysis.facts, configs, entry.path, layout.prefix),
                    _dirty(layout, entry, blob),
                )
                if progress is not None:
                    progress(Progress(repo.name, index, len(repos), done, len(entries)))
    finally:
        workers.close()
        if cache is not None:
            cache.close()


def _dirty(layout: Layout, entry: Entry, blob: str | None) -> bool | None:
    """Whether the file on disk differs from what the commit holds at its path (None: no
    commit to compare with, a directory row, or a file that could not be read)."""
    if layout.committed is None or entry.kind is FileKind.DIRECTORY:
        return None
    committed = layout.committed.get(layout.prefix + entry.path)
    if committed is None or entry.status is FileStatus.NOT_REGULAR:
        return True
    if entry.status is FileStatus.SYMLINK:  # git holds a link as a blob of its target
        try:
            blob = blob_sha(os.readlink(os.fsencode(entry.source)))
        except OSError:
            return None
    elif blob is None:  # over the size cap, or unreadable: hashed without holding it
        if entry.stamp is not None and committed.size >= 0 and entry.size != committed.size:
            return True
        blob = file_blob_sha(entry.source)
    return None if blob is None else blob != committed.blob


def _analyses(
    repo: RepoRef,
    entries: list[Entry],
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> Iterator[tuple[Entry, FileAnalysis, str | None]]:
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
    blob: str | None = None  # the bytes' git blob SHA, when they were read or remembered


def _analyze_entries(
    repo: RepoRef,
    entries: list[Entry],
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> Iterator[tuple[Entry, FileAnalysis, str | None]]:
    """Analyses (and blob SHAs) in entry order, with up to a few files per worker in flight,
    and their bytes held up to WINDOW_BYTES (beyond one file)."""
    window: deque[_Pending] = deque()
    limit = max(1, settings.jobs) * 32
    held = 0  # bytes of the files in the window
    # The file index is keyed by absolute paths escaped as the entries' are: escaping works
    # character by character, so the root's escape and the entry's path join up.
    root = escape_path(os.path.abspath(repo.root))
    known = cache.known_files(root) if cache is not None else {}
    directory = os.path.isdir(repo.root)  # else the repository is a single file
    for entry in entries:
        index_key = f"{root}/{entry.path}" if directory else root
        window.append(_prepare(index_key, entry, settings, cache, workers, known))
        held += len(window[-1].data)
        while len(window) > limit or held > WINDOW_BYTES or (window and window[0].future is None):
            held -= len(window[0].data)
            yield _finish(window.popleft(), cache, workers)
    while window:
        yield _finish(window.popleft(), cache, workers)


def _prepare(
    index_key: str,
    entry: Entry,
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
    known: dict[str, KnownFile],
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
    remembered = known.get(index_key)
    if cache is not None and stamp is not None and remembered and remembered.stamp_key == stamp.key:
        # Unchanged since a scan read it: no need to read it again.
        if remembered.prefiltered:
            return _Pending(entry, FileAnalysis(FileStatus.NO_MLFLOW), blob=remembered.blob)
        cached = cache.get(cache.key(remembered.blob, entry.kind.value))
        if cached is not None:
            return _Pending(entry, cached, blob=remembered.blob)
    data = read_file(entry.source, cap)
    if isinstance(data, FileAnalysis):
        return _Pending(entry, data)
    blob = blob_sha(data)
    prefiltered = not may_use_mlflow(data)
    if cache is not None and stamp is not None:
        cache.remember_file(index_key, stamp, blob, prefiltered)
    if prefiltered:
        return _Pending(entry, FileAnalysis(FileStatus.NO_MLFLOW), blob=blob)
    key = None
    if cache is not None:
        key = cache.key(blob, entry.kind.value)
        cached = cache.get(key)
        if cached is not None:
            return _Pending(entry, cached, blob=blob)
    future = workers.submit(data, entry.kind)
    return _Pending(entry, data=data, cache_key=key, future=future, blob=blob)


def _finish(
    pending: _Pending, cache: AnalysisCache | None, workers: AnalysisWorkers
) -> tuple[Entry, FileAnalysis, str | None]:
    if pending.analysis is None:
        assert pending.future is not None
        pending.analysis = workers.result(pending.future, pending.data, pending.entry.kind)
        if cache is not None and pending.cache_key is not None:
            cache.put(pending.cache_key, pending.analysis)
    return pending.entry, pending.analysis, pending.blob


def analyze_bytes(data: bytes, kind: FileKind) -> FileAnalysis:
    # Imported on first use: a scan answered wholly from the cache never loads libcst.
    from analyzers.code.analyze import analyze_bytes as analyze

    return analyze(data, kind)


def _worker_init(owner: int) -> None:
    from analyzers.repo.lifetime import die_with_parent

    die_with_parent(owner)  # a killed scan leaves no worker behind
    load_catalog()


class AnalysisWorkers:
    """Tasks (`analyze_bytes`, the repository pass's `analyze_task`) in worker processes, so
    that a crash in the native parser costs one file (`jobs=0`: in this process, with no time
    budget), and a file that runs over its time budget costs only itself. Shared by the scan,
    the repository pass and the history walk.

    The budget is kept by the parent: a worker stuck in native code does not answer signals
    it could catch, so the parent kills the pool's workers (a pool cannot lose one alone) and
    sends the other tasks they held to a new pool."""

    def __init__(self, jobs: int, file_timeout: float = DEFAULT_FILE_TIMEOUT) -> None:
        self.jobs = jobs
        self.file_timeout = file_timeout
        self._pool: ProcessPoolExecutor | None = None
        # Tasks in the pool: future -> (task, its arguments, the pool), to send again if the
        # pool is stopped for another task; and the stopped futures' replacements.
        self._inflight: dict[Future[Any], tuple[Callable[..., Any], tuple[Any, ...], object]] = {}
        self._resent: dict[Future[Any], Future[Any]] = {}

    @property
    def budget(self) -> float | None:
        """Seconds a task may run (None: no limit)."""
        return self.file_timeout if self.file_timeout > 0 and self.jobs > 0 else None

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        # Imported here: a scan answered wholly from the cache starts no process.
        from concurrent.futures import ProcessPoolExecutor

        from analyzers.repo.lifetime import forkserver_context

        return ProcessPoolExecutor(
            workers,
            mp_context=forkserver_context("analyzers.code.analyze"),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = self._new_pool(self.jobs)
        return self._pool

    def submit(self, data: bytes, kind: FileKind) -> Future[FileAnalysis]:
        return self.submit_task(analyze_bytes, data, kind)

    def submit_task(self, task: Callable[..., _T], *args: Any) -> Future[_T]:
        # concurrent.futures is imported on first use, like the pool: a scan answered wholly
        # from the cache never needs it.
        from concurrent.futures import BrokenExecutor, Future

        if self.jobs <= 0:
            future: Future[_T] = Future()
            future.set_result(task(*args))
            return future
        try:
            future = self._executor().submit(task, *args)
        except BrokenExecutor:
            self._restart()
            future = self._executor().submit(task, *args)
        self._inflight[future] = (task, args, self._pool)
        return future

    def result(self, future: Future[FileAnalysis], data: bytes, kind: FileKind) -> FileAnalysis:
        """The analysis `future` holds; if its worker died (the parser crashed on some file,
        which one is unknown), the file is analysed again alone; if it runs over the budget
        (counted from now: the files before it are done), the status `timeout`."""
        crashed = FileAnalysis(FileStatus.CRASH, "the analyzer's worker process died on this file")
        return self.task_result(future, analyze_bytes, (data, kind), crashed, self.over_budget())

    def task_result(
        self,
        future: Future[_T],
        task: Callable[..., _T],
        args: tuple[Any, ...],
        crashed: _T,
        timed_out: _T,
        budget: float | None = None,
    ) -> _T:
        """The task's result; if its worker died, the task alone again (`crashed` if that dies
        too); `timed_out` if it runs over `budget` seconds from now (default: the budget)."""
        from concurrent.futures import BrokenExecutor

        while future in self._resent:  # sent again when the pool was stopped for another task
            future = self._resent.pop(future)
        self._inflight.pop(future, None)
        try:
            return future.result(timeout=self.budget if budget is None else budget)
        except TimeoutError:
            self._stop_pool()
            return timed_out
        except BrokenExecutor:
            return self._run_isolated(task, args, crashed, timed_out)

    def run_isolated(self, data: bytes, kind: FileKind) -> FileAnalysis:
        """`data` analysed alone, in a worker of its own: if that worker dies, the file did it."""
        crashed = FileAnalysis(FileStatus.CRASH, "the analyzer's worker process died on this file")
        return self._run_isolated(analyze_bytes, (data, kind), crashed, self.over_budget())

    def _run_isolated(
        self, task: Callable[..., _T], args: tuple[Any, ...], crashed: _T, timed_out: _T
    ) -> _T:
        from concurrent.futures import BrokenExecutor

        if self.jobs <= 0:
            return task(*args)
        pool = self._new_pool(1)
        try:
            outcome = pool.submit(task, *args).result(timeout=self.budget)
        except TimeoutError:
            _kill_workers(pool)
            outcome = timed_out
        except BrokenExecutor:
            outcome = crashed
        pool.shutdown(wait=True, cancel_futures=True)
        return outcome

    def over_budget(self) -> FileAnalysis:
        return FileAnalysis(
            FileStatus.TIMEOUT,
            f"analysis ran over the time budget of {self.file_timeout:g} s per file "
            "(--file-timeout); its worker was stopped",
        )

    def _stop_pool(self) -> None:
        """Kill the pool's workers, one of them stuck on the task being waited for, and send
        the tasks the others held to a new pool."""
        pool = self._pool
        if pool is None:
            return
        _kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        stranded, self._inflight = self._inflight, {}
        for old, (task, args, owner) in stranded.items():
            finished = old.done() and not old.cancelled() and old.exception() is None
            if owner is pool and not finished:
                self._resent[old] = self.submit_task(task, *args)
            else:
                self._inflight[old] = (task, args, owner)

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            if not all(future.done() for future in self._inflight):
                _kill_workers(self._pool)  # abandoned files must not hold up the exit
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._inflight.clear()
        self._resent.clear()


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.kill()
