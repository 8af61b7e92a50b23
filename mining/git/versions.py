"""The file versions a history walk reads, and what each contributes to it.

A version is a (blob, kind): a `.py` script, a `.ipynb` notebook, or a dependency file read by
the `analyzers.repo.detectors` detectors (`candidate_kinds`). `BlobFeatures` knows, for every
version a walk needs, its features (`features_of`: the catalog dimensions of its calls, and
`mlflow-call` or `mlflow-dependency`): from the content cache when it has them, else fetched
from the promisor remote in batches, pre-filtered by their bytes and analysed.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from analyzers.code.prefilter import may_use_mlflow
from analyzers.records import FileAnalysis, FileKind, FileStatus
from analyzers.repo.cache import AnalysisCache
from analyzers.repo.detectors import DETECTORS as SIGNAL_DETECTORS
from analyzers.repo.files import ALWAYS_SKIPPED, VENDORED_DIRS
from analyzers.repo.gitsafe import GitAborted, GitTimeout, GitTooLarge, SafeGit, tree_size
from analyzers.repo.scanner import AnalysisWorkers
from mining.git.sparse import FETCH_BLOBS

if TYPE_CHECKING:
    from mining.git.history import HistoryOptions, HistoryStats

MLFLOW = "mlflow"  # the pseudo-dimension "any MLflow evidence": a call or a requirement
CALL, DEPENDENCY = "mlflow-call", "mlflow-dependency"

MAX_SCRIPT_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_DEPENDENCY_BYTES = 1024 * 1024
# Bump when what a dependency file's analysis means changes: cached results are then ignored.
_DEPENDENCY_VERSION = "1"
# Dependency files whose `analyzers.repo.detectors` detectors can find an mlflow requirement.
DEPENDENCY_PATTERNS = (
    "requirements*.txt",
    "requirements*.in",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Pipfile",
    "environment*.yml",
    "environment*.yaml",
    "*conda*.yml",
    "*conda*.yaml",
    "python_env.yml",
    "python_env.yaml",
)


# Content read by one `git cat-file --batch` (a group of versions): bounds the walk's memory.
READ_BYTES = 64 * 1024 * 1024


def _cap(kind: str) -> int:
    """The largest version of this kind that is read."""
    if kind.startswith("requirements"):
        return MAX_DEPENDENCY_BYTES
    return MAX_NOTEBOOK_BYTES if kind == FileKind.NOTEBOOK.value else MAX_SCRIPT_BYTES


class HistoryError(Exception):
    """The walk could not be done (no history, git failed, fetch refused, timeout...)."""


# --------------------------------------------------------------------------- candidate files


def _vendored(path: str) -> bool:
    return any(part in VENDORED_DIRS or part in ALWAYS_SKIPPED for part in path.split("/")[:-1])


def candidate_kinds(path: str) -> tuple[str, ...]:
    """How a file is read: `script`, `notebook` and/or `requirements:<detector ids>` (a
    dependency file); () when the walk ignores it."""
    if _vendored(path):
        return ()
    name = path.rsplit("/", 1)[-1]
    kinds: list[str] = []
    if name.endswith(".py"):
        kinds.append(FileKind.SCRIPT.value)
    elif name.endswith(".ipynb"):
        kinds.append(FileKind.NOTEBOOK.value)
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in DEPENDENCY_PATTERNS):
        ids = [detector.id for detector in SIGNAL_DETECTORS if detector.reads(path)]
        if ids:
            kinds.append(f"requirements-v{_DEPENDENCY_VERSION}:{'+'.join(ids)}")
    return tuple(kinds)


def features_of(kind: str, analysis: FileAnalysis) -> frozenset[str]:
    """What one file version contributes: its calls' dimensions and `mlflow-call`, or
    `mlflow-dependency` for a dependency file with an mlflow requirement."""
    if kind.startswith("requirements"):
        return frozenset({DEPENDENCY}) if analysis.status is FileStatus.ANALYZED else frozenset()
    if not analysis.calls:
        return frozenset()
    return frozenset({CALL, *(call.dimension for call in analysis.calls)})


def analyze_dependency(path: str, data: bytes) -> FileAnalysis:
    """An mlflow requirement in a dependency file, with the `analyzers.repo.detectors` detectors:
    ANALYZED (detail: the specifiers) or NO_MLFLOW."""
    text = data.decode("utf-8", errors="replace")
    specifiers = sorted(
        {
            signal.value
            for detector in SIGNAL_DETECTORS
            if detector.reads(path)
            for signal in detector.detect(path, text)
            if signal.name == "mlflow-requirement"
        }
    )
    if not specifiers:
        return FileAnalysis(FileStatus.NO_MLFLOW)
    return FileAnalysis(FileStatus.ANALYZED, ";".join(spec or "*" for spec in specifiers))


# --------------------------------------------------------------------------- objects


class ObjectStore(Protocol):
    """A checkout's local object database, read without ever asking the promisor remote
    (`mining.git.history.GitObjects`); every failure is a `HistoryError`."""

    def local_blobs(self, timeout: float) -> set[str]: ...

    def sizes(self, blobs: Sequence[str], timeout: float) -> dict[str, int]: ...

    def read(self, blobs: Sequence[str], timeout: float) -> dict[str, bytes]: ...


# --------------------------------------------------------------------------- analysis


class BlobFeatures:
    """The features of file versions, (blob, kind) pairs: from the content cache, else
    fetched, pre-filtered and analysed."""

    def __init__(
        self,
        objects: ObjectStore,
        git: SafeGit,
        checkout: Path,
        cache: AnalysisCache | None,
        options: HistoryOptions,
        stats: HistoryStats,
        deadline: float,
    ) -> None:
        self.objects, self.git, self.checkout, self.cache = objects, git, checkout, cache
        self.options, self.stats, self.deadline = options, stats, deadline
        self.features: dict[tuple[str, str], frozenset[str]] = {}

    def resolve(self, wanted: dict[tuple[str, str], str]) -> None:
        """`wanted` maps (blob, kind) to a path the blob had (dependency detectors go by
        name), in the order the walk met them."""
        missing: dict[tuple[str, str], str] = {}
        for (blob, kind), path in wanted.items():
            if (blob, kind) in self.features:
                continue
            cached = self.cache.get(self.cache.key(blob, kind)) if self.cache else None
            if cached is not None:
                self.stats.cache_hits += 1
                self.features[(blob, kind)] = features_of(kind, cached)
            else:
                missing[(blob, kind)] = path
        if not missing:
            return
        # By path, then in walk order: successive versions of a file share a fetch and travel
        # as deltas of one another.
        order: dict[str, tuple[str, int]] = {}
        for (blob, _kind), path in missing.items():
            order.setdefault(blob, (path, len(order)))
        local = self.objects.local_blobs(self._remaining())
        self._fetch(sorted(set(order) - local, key=order.__getitem__))
        parsers = AnalysisWorkers(self.options.jobs)
        try:
            self._analyze(missing, parsers)
        finally:
            parsers.close()
            if self.cache is not None:
                self.cache.flush()

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise HistoryError(f"no result within {self.options.timeout:g}s")
        return remaining

    def _fetch(self, blobs: Sequence[str]) -> None:
        objects = self.checkout / ".git" / "objects"
        started = time.monotonic()
        before = tree_size(objects)
        limit = (
            None
            if self.options.max_fetch_mb is None
            else before + int(self.options.max_fetch_mb * 1024 * 1024)
        )
        for start in range(0, len(blobs), max(1, self.options.batch)):
            chunk = blobs[start : start + max(1, self.options.batch)]
            try:
                output = self.git.run(
                    [*FETCH_BLOBS, *chunk],
                    repo=self.checkout,
                    deadline=self.deadline,
                    watch=objects,
                    max_bytes=limit,
                )
            except GitTimeout:
                raise HistoryError(
                    f"fetching blobs: no result within {self.options.timeout:g}s"
                ) from None
            except GitTooLarge:
                raise HistoryError(
                    f"fetching blobs: more than {self.options.max_fetch_mb:g} MB"
                ) from None
            except GitAborted:
                raise HistoryError("run aborted") from None
            if not output.ok:
                lines = [line for line in output.stderr.splitlines() if line.strip()]
                raise HistoryError(
                    "fetching blobs failed: " + (lines[-1] if lines else "git fetch failed")
                )
            self.stats.fetch_requests += 1
            self.stats.blobs_fetched += len(chunk)
        self.stats.bytes_fetched += max(0, tree_size(objects) - before)
        self.stats.fetch_seconds += round(time.monotonic() - started, 3)

    def _contents(
        self, missing: dict[tuple[str, str], str]
    ) -> Iterator[list[tuple[tuple[str, str], str, bytes | None]]]:
        """The versions of `missing` in order, in groups of at most `READ_BYTES` of content:
        each with its bytes, or None when the blob is over its kind's cap (sizes are read
        first: a 200 MB version is never loaded). Two git processes read a small history."""
        sizes = self.objects.sizes(list(dict.fromkeys(b for b, _ in missing)), self._remaining())
        group: list[tuple[tuple[str, str], str]] = []
        wanted: dict[str, int] = {}
        for (blob, kind), path in missing.items():
            if sizes[blob] <= _cap(kind) and blob not in wanted:
                if wanted and sum(wanted.values()) + sizes[blob] > READ_BYTES:
                    yield self._read_group(group, wanted, sizes)
                    group, wanted = [], {}
                wanted[blob] = sizes[blob]
            group.append(((blob, kind), path))
        if group:
            yield self._read_group(group, wanted, sizes)

    def _read_group(
        self,
        group: list[tuple[tuple[str, str], str]],
        wanted: dict[str, int],
        sizes: dict[str, int],
    ) -> list[tuple[tuple[str, str], str, bytes | None]]:
        data = self.objects.read(list(wanted), self._remaining())
        return [
            (key, path, data.get(key[0]) if sizes[key[0]] <= _cap(key[1]) else None)
            for key, path in group
        ]

    def _analyze(self, missing: dict[tuple[str, str], str], parsers: AnalysisWorkers) -> None:
        window: list[tuple[tuple[str, str], str, bytes, Future[FileAnalysis]]] = []
        limit = max(1, parsers.jobs) * 4
        for group in self._contents(missing):
            for (blob, kind), path, data in group:
                self._remaining()
                if kind.startswith("requirements"):
                    if data is None or b"mlflow" not in data.lower():
                        self._done((blob, kind), FileAnalysis(FileStatus.NO_MLFLOW), False)
                    else:
                        self._done((blob, kind), analyze_dependency(path, data), True)
                    continue
                if data is None:
                    # Not cached: a scan with a larger cap must not find "too large" there.
                    self.stats.blobs_skipped += 1
                    self.features[(blob, kind)] = frozenset()
                    continue
                if not may_use_mlflow(data):
                    self._done((blob, kind), FileAnalysis(FileStatus.NO_MLFLOW), counted=False)
                    continue
                window.append(((blob, kind), kind, data, parsers.submit(data, FileKind(kind))))
                while len(window) > limit:
                    key, kind_, data_, future = window.pop(0)
                    self._done(key, parsers.result(future, data_, FileKind(kind_)), True)
        for key, kind_, data_, future in window:
            self._done(key, parsers.result(future, data_, FileKind(kind_)), counted=True)

    def _done(self, key: tuple[str, str], analysis: FileAnalysis, counted: bool) -> None:
        if counted:
            self.stats.blobs_parsed += 1
        else:
            self.stats.blobs_skipped += 1
        if self.cache is not None:
            self.cache.put(self.cache.key(*key), analysis)
        self.features[key] = features_of(key[1], analysis)
