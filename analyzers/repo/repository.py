"""The repository pass: each file of a checkout resolved with what the others mean.

1. Outline every `.py`/`.ipynb` file: whether the pre-filter lets it through, and its imports
   (from the cache when its stat signature is unchanged, else read without parsing).
2. Order the files after the modules they import and the `conftest.py` files above them
   (the members of an import cycle are ordered among themselves arbitrarily).
3. Resolve each file, as soon as what it depends on is resolved, in the worker pool, with its
   `RepoContext` (`contexts`); keep its `ModuleSummary` for the files that import it.
4. Calls into other modules with MLflow arguments become the callee's incoming arguments;
   every file whose context changed is resolved again, round after round, until nothing
   changes or MAX_ROUNDS have run (so cycles terminate).

The cache key of a file includes the digest of the context it used: after an edit to
`utils.py`, only `utils.py` and the files whose context its new summary changes are analysed
again. What is held per repository is an outline and a summary per file, and no file's
bytes: the worker processes read the files themselves, for their outlines (in batches) and
again for their analyses, so the parent sends paths and the pool's queue stays small.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzers.code.outline import import_specs
from analyzers.code.prefilter import may_use_mlflow
from analyzers.code.resolver_summaries import ModuleSummary, RepoContext
from analyzers.records import FileAnalysis, FileKind, FileStatus, RepoRef
from analyzers.repo.cache import AnalysisCache, KnownFile, blob_sha
from analyzers.repo.contexts import (
    Incoming,
    Outline,
    RepoFile,
    callees_of,
    context_of,
    dependencies,
    digest_of,
    incoming_calls,
    mentions,
    relevant_words,
    trivial,
)
from analyzers.repo.files import Entry, escape_path, read_file
from analyzers.repo.modules import ModuleIndex

if TYPE_CHECKING:
    from concurrent.futures import Future

    from analyzers.repo.scanner import AnalysisWorkers, ScanSettings

MAX_ROUNDS = 4
OUTLINE_BATCH = 32  # files per outline task: a few milliseconds of work each
_IRRELEVANT = "-"  # the digest of a ruled-out file whose context names nothing it could use
# An analysis, the file's summary, the blob SHA of the bytes read, what it asked of its context.
_Analysed = tuple[FileAnalysis, str, str | None, list[list[str]] | None]
_CRASHED: _Analysed = (
    FileAnalysis(FileStatus.CRASH, "the analyzer's worker process died on this file"),
    ModuleSummary().to_json(),
    None,
    None,
)


def analyze_repository(
    repo: RepoRef,
    entries: list[Entry],
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> Iterator[tuple[Entry, FileAnalysis, str | None]]:
    """Analyses (and blob SHAs) of a directory's entries, in entry order, once the whole
    checkout is done."""
    # The file index is keyed by absolute paths escaped as the entries' are (files.py).
    root = escape_path(os.path.abspath(repo.root))
    known = cache.known_files(root) if cache is not None else {}
    outlines = cache.outlines_under(root) if cache is not None else {}
    files = [
        _remembered(f"{root}/{entry.path}", entry, settings, known, outlines) for entry in entries
    ]
    unread = [file for file in files if file.analysis is None and file.blob is None]
    _outline(unread, root, settings, cache, workers)
    pending = [file for file in files if file.analysis is None]
    index = ModuleIndex(f.key for f in pending if f.entry.kind is FileKind.SCRIPT)
    rounds = _Rounds(pending, index, settings, cache, workers)
    for _ in range(MAX_ROUNDS):
        if not rounds.run(incoming_calls(pending)):
            break
    for file in files:
        yield file.entry, file.analysis or FileAnalysis(FileStatus.NO_MLFLOW), file.blob


def _remembered(
    index_key: str,
    entry: Entry,
    settings: ScanSettings,
    known: dict[str, KnownFile],
    outlines: dict[str, str],
) -> RepoFile:
    """The file with its status if it is not to be read, or its outline from the cache when
    its stat signature is unchanged; else with neither (it is to be read)."""
    file = RepoFile(entry, entry.source)
    if entry.status is not None:
        file.analysis = FileAnalysis(entry.status, entry.detail)
        return file
    cap = settings.max_bytes(entry.kind)
    if entry.size > cap:
        detail = f"{entry.size} bytes is over the {cap}-byte cap"
        file.analysis = FileAnalysis(FileStatus.TOO_LARGE, detail)
        return file
    stamp = entry.stamp
    remembered = known.get(index_key)
    unchanged = stamp is not None and remembered and remembered.stamp_key == stamp.key
    if unchanged and remembered and remembered.blob in outlines:
        file.blob, file.outline = remembered.blob, Outline.from_json(outlines[remembered.blob])
    return file


_Outlined = tuple[str, Outline] | FileAnalysis  # the blob SHA and outline, or why not read


def _outline(
    files: list[RepoFile],
    root: str,
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> None:
    """Outline the files in the worker processes, a batch of paths per task (reading and
    pre-filtering every file of a checkout is a fifth of a cold scan's work); a batch whose
    worker dies or runs over the budget is outlined here."""
    batches = [
        files[start : start + OUTLINE_BATCH] for start in range(0, len(files), OUTLINE_BATCH)
    ]
    tasks = [
        [(f.path, settings.max_bytes(f.entry.kind), f.entry.kind) for f in batch]
        for batch in batches
    ]
    futures = [workers.submit_task(outline_task, task) for task in tasks]
    for batch, task, future in zip(batches, tasks, futures, strict=True):
        unanswered: list[_Outlined] = []
        outlined = workers.task_result(future, outline_task, (task,), unanswered, unanswered)
        for file, result in zip(batch, outlined or outline_task(task), strict=True):
            if isinstance(result, FileAnalysis):
                file.analysis = result
                continue
            file.blob, file.outline = result
            if cache is not None:
                if file.entry.stamp is not None:
                    index_key = f"{root}/{file.entry.path}"
                    cache.remember_file(
                        index_key, file.entry.stamp, file.blob, not result[1].mlflow
                    )
                cache.remember_outline(file.blob, file.outline.to_json())


def outline_task(files: list[tuple[str, int, FileKind]]) -> list[_Outlined]:
    """In a worker process: each file (path, byte cap, kind) read, its blob SHA and outline."""
    outlined: list[_Outlined] = []
    for path, cap, kind in files:
        data = read_file(path, cap)
        if isinstance(data, FileAnalysis):
            outlined.append(data)
            continue
        notebook = kind is FileKind.NOTEBOOK
        outline = Outline(may_use_mlflow(data), import_specs(data, notebook))
        outlined.append((blob_sha(data), outline))
    return outlined


def _read(file: RepoFile, cap: int) -> bytes | None:
    """The file's bytes; else None, its analysis saying why (never a FIFO opened)."""
    data = read_file(file.path, cap)
    if isinstance(data, FileAnalysis):
        file.analysis = data
        return None
    return data


@dataclass(slots=True)
class _InFlight:
    file: RepoFile
    context: str
    key: str | None
    before: ModuleSummary
    repo_context: RepoContext


class _Rounds:
    """The files of one checkout, and the rounds that resolve them: in each, a file starts
    once the files it depends on are done (members of a cycle do not wait for each other)."""

    def __init__(
        self,
        files: list[RepoFile],
        index: ModuleIndex,
        settings: ScanSettings,
        cache: AnalysisCache | None,
        workers: AnalysisWorkers,
    ) -> None:
        self.files, self.index, self.settings = files, index, settings
        self.cache, self.workers = cache, workers
        self.by_key = {file.key: file for file in files}
        self.depends = {
            file.key: {d for d in dependencies(file, index) if d in self.by_key} for file in files
        }
        _break_cycles(self.depends)
        self.dependents: dict[str, list[str]] = {}
        for key, needs in self.depends.items():
            for need in needs:
                self.dependents.setdefault(need, []).append(key)
        self.in_flight_limit = max(1, workers.jobs) * 8
        # When each file's summary and incoming calls last changed, on one clock; what each
        # file's context was built from, and when. A file none of whose sources changed since
        # would get the same context, digest and outcome: it is not started again.
        self.clock = 0
        self.summary_changed: dict[str, int] = {}
        self.incoming_changed: dict[str, int] = {}
        self.incoming: Incoming = {}
        self.sources: dict[str, tuple[int, set[str]]] = {}

    def run(self, incoming: Incoming) -> bool:
        """One round; whether any summary changed."""
        self._note_incoming(incoming)
        waiting = {key: len(needs) for key, needs in self.depends.items()}
        ready = deque(file for file in self.files if not waiting[file.key])
        in_flight: dict[Future[_Analysed], _InFlight] = {}
        changed = False
        while ready or in_flight:
            while ready and len(in_flight) < self.in_flight_limit:
                file = ready.popleft()
                started = self._start(file, incoming) if self._stale(file) else False
                if isinstance(started, bool):
                    changed |= self._note_summary(file, started)
                    ready.extend(self._release(file, waiting))
                else:
                    in_flight[started[0]] = started[1]
            if in_flight:
                done = _first_done(in_flight, self.workers.budget)
                if not done:  # none finished within a budget: the oldest task is stuck
                    stuck = next(iter(in_flight))
                    flight = in_flight.pop(stuck)
                    changed |= self._note_summary(flight.file, self._finish(stuck, flight, 0))
                    ready.extend(self._release(flight.file, waiting))
                for future in done:
                    flight = in_flight.pop(future)
                    changed |= self._note_summary(flight.file, self._finish(future, flight))
                    ready.extend(self._release(flight.file, waiting))
        return changed

    def _note_incoming(self, incoming: Incoming) -> None:
        self.clock += 1
        for key in {*self.incoming, *incoming}:
            if self.incoming.get(key) != incoming.get(key):
                self.incoming_changed[key] = self.clock
        self.incoming = incoming

    def _note_summary(self, file: RepoFile, changed: bool) -> bool:
        if changed:
            self.clock += 1
            self.summary_changed[file.key] = self.clock
        return changed

    def _stale(self, file: RepoFile) -> bool:
        """Whether the file must be started: never was, or a summary or the incoming calls
        its last context was built from changed since."""
        if file.key not in self.sources:
            return True
        started, read = self.sources[file.key]
        return self.incoming_changed.get(file.key, 0) > started or any(
            self.summary_changed.get(key, 0) > started
            or self.incoming_changed.get(key, 0) > started
            for key in read
        )

    def _release(self, file: RepoFile, waiting: dict[str, int]) -> list[RepoFile]:
        freed = []
        for dependent in self.dependents.get(file.key, []):
            waiting[dependent] -= 1
            if not waiting[dependent]:
                freed.append(self.by_key[dependent])
        return freed

    def _start(
        self, file: RepoFile, incoming: Incoming
    ) -> bool | tuple[Future[_Analysed], _InFlight]:
        """Settle the file from its context without parsing if possible (whether its summary
        changed), else submit its analysis."""
        read: set[str] = set()
        self.sources[file.key] = (self.clock, read)
        context = context_of(file, self.index, self.by_key, incoming, read)
        # Callees matter only to a file the pre-filter ruled out (whether to read it at all).
        callees = callees_of(file, incoming) if not file.outline.mlflow else set()
        words = relevant_words(context, callees) if not file.outline.mlflow else None
        if words is not None and not words:  # nothing it could name: no need to look
            if file.digest == _IRRELEVANT:
                return False
            before, file.digest = file.summary, _IRRELEVANT
            return self._settle(file, before, None, (FileAnalysis(FileStatus.NO_MLFLOW), None))
        text = context.to_json()
        digest = "" if trivial(context) else digest_of(text, callees)
        if digest == file.digest:
            return False
        before, file.digest = file.summary, digest
        key = None
        if self.cache is not None and file.blob is not None:
            key = self.cache.context_key(file.blob, file.entry.kind.value, digest)
        cached = self._cached(key)
        if cached is not None:
            return self._settle(file, before, None, cached)
        if not file.outline.mlflow:  # read here: most such files are settled without a worker
            data = _read(file, self.settings.max_bytes(file.entry.kind))
            if data is None:
                return False
            if not mentions(data, words):
                result = (FileAnalysis(FileStatus.NO_MLFLOW), None)
                return self._settle(file, before, key, result)
        reused = _reusable(file, context)
        if reused is not None:  # nothing the last analysis asked of its context has changed
            demand, view = file.demand, file.view
            changed = self._settle(file, before, key, reused)
            file.demand, file.view = demand, view
            return changed
        future = self.workers.submit_task(analyze_file_task, *self._arguments(file, text))
        return future, _InFlight(file, text, key, before, context)

    def _arguments(self, file: RepoFile, context: str) -> tuple[str, int, FileKind, str]:
        return file.path, self.settings.max_bytes(file.entry.kind), file.entry.kind, context

    def _settle(
        self,
        file: RepoFile,
        before: ModuleSummary,
        key: str | None,
        result: tuple[FileAnalysis, ModuleSummary | None],
    ) -> bool:
        file.analysis, file.summary = result[0], result[1] or ModuleSummary()
        file.demand = file.view = None
        if self.cache is not None and key is not None:  # a rerun need not read it
            self.cache.put(key, file.analysis)
            self.cache.put_summary(key, file.summary.to_json())
        return file.summary != before

    def _finish(
        self,
        future: Future[_Analysed],
        flight: _InFlight,
        budget: float | None = None,
    ) -> bool:
        file = flight.file
        arguments = self._arguments(file, flight.context)
        timed_out = (self.workers.over_budget(), ModuleSummary().to_json(), None, None)
        analysis, summary, blob, demand = self.workers.task_result(
            future, analyze_file_task, arguments, _CRASHED, timed_out, budget
        )
        file.analysis, file.summary = analysis, ModuleSummary.from_json(summary)
        # A crash or a timeout may be the machine's fault, and a file that changed since its
        # outline was read does not have the analysis its cache key names: neither is kept.
        kept = analysis.status not in (FileStatus.CRASH, FileStatus.TIMEOUT) and blob == file.blob
        file.demand = tuple(map(tuple, demand)) if kept and demand is not None else None
        file.view = flight.repo_context.view(file.demand) if file.demand is not None else None
        if self.cache is not None and flight.key is not None and kept:
            self.cache.put(flight.key, analysis)
            self.cache.put_summary(flight.key, summary)
        return file.summary != flight.before

    def _cached(self, key: str | None) -> tuple[FileAnalysis, ModuleSummary | None] | None:
        if self.cache is None or key is None:
            return None
        summary = self.cache.summary(key)
        analysis = self.cache.get(key) if summary is not None else None
        if analysis is None or summary is None:
            return None
        return analysis, ModuleSummary.from_json(summary)


def _reusable(file: RepoFile, context: RepoContext) -> tuple[FileAnalysis, ModuleSummary] | None:
    """The file's last analysis and summary, if they are what it would be analysed to under
    `context`: every question that analysis asked of its context gets the same answer."""
    if file.demand is None or file.analysis is None or context.view(file.demand) != file.view:
        return None
    return file.analysis, file.summary


def _first_done(
    in_flight: dict[Future[_Analysed], _InFlight], budget: float | None
) -> set[Future[_Analysed]]:
    """The tasks done first; none when none finished within `budget` seconds."""
    from concurrent.futures import FIRST_COMPLETED, wait

    done, _ = wait(list(in_flight), timeout=budget, return_when=FIRST_COMPLETED)
    return done


def _break_cycles(depends: dict[str, set[str]]) -> None:
    """Drop the edges that close import cycles (depth-first, in path order), so that every
    file can start; what cycle members tell each other is settled by the next rounds."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(depends):
        if root in state:
            continue
        stack = [(root, iter(sorted(depends[root])))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                depends[node].discard(child)
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(depends[child]))))


def analyze_file_task(path: str, cap: int, kind: FileKind, context: str) -> _Analysed:
    """One file of a repository read and analysed in a worker process: its analysis, its
    summary and the blob SHA of the bytes read (None: not read, the analysis says why)."""
    data = read_file(path, cap)
    if isinstance(data, FileAnalysis):
        return data, ModuleSummary().to_json(), None, None
    analysis, summary, demand = analyze_task(data, kind, context)
    return analysis, summary, blob_sha(data), demand


def analyze_task(
    data: bytes, kind: FileKind, context: str
) -> tuple[FileAnalysis, str, list[list[str]]]:
    """One file of a repository, in a worker process: its analysis, its summary and the
    questions it asked of its context (`RepoContext.view`)."""
    from analyzers.code.in_repository import analyze_in_repository  # the parser loads here only

    repo_context = RepoContext.from_json(context)
    analysis, summary = analyze_in_repository(data, kind, repo_context)
    return analysis, summary.to_json(), sorted(map(list, repo_context.demand))
