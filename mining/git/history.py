"""When MLflow and each traceability practice arrived in a repository, and whether they stayed.

    from mining.git.history import HistoryOptions, walk_history
    result = walk_history(RepoRef(checkout, "owner/name", head_sha), HistoryOptions())
    result.summary["first_mlflow_commit"], result.dimensions, result.events

Strategy
--------
The checkout must have history: the cloner's history mode (`CloneSettings(history=True)`) is a
partial clone, `--filter=blob:none` without `--depth`, so every commit and tree is local and no
file content is. Then, with GitPython on that repository:

1. One `git log` walks the pinned commit's history (first parent by default: the default
   branch as it moved; `first_parent=False` walks every commit in topological order) with the
   raw diff of each commit against its first parent (`--diff-merges=first-parent`,
   `--no-renames`, so nothing needs a blob). Caps: `max_commits` (the newest N) and `since`.
2. The candidate files are `.py` and `.ipynb` files (vendored trees skipped) and dependency
   files (requirements, pyproject, setup, Pipfile, conda and python_env files). Every version
   of a candidate that a walked commit writes is a (blob SHA, kind) to know.
3. The content cache (`analyzers.repo.cache.AnalysisCache`) is keyed by blob SHA, so it is asked
   *before* anything is fetched: a blob analysed once, by this walk, an earlier one or a scan,
   is never fetched or analysed again (`cache_hits`).
4. The other blobs that are not already local are fetched from the promisor remote the way
   git's own lazy fetch does it (`fetch.negotiationAlgorithm=noop`, `--filter=blob:none`, the
   wanted blob ids), in large batches sorted by path so that successive versions of a file
   travel as deltas of one another; then read with GitPython's object database.
5. The byte pre-filter (`analyzers.code.analyze.may_use_mlflow`, `mlflow` for dependency files)
   skips blobs that cannot use MLflow (`blobs_skipped`); the rest are analysed
   (`blobs_parsed`): `analyze_bytes` for code, the `analyzers.repo.signals` detectors for an
   `mlflow` requirement in dependency files. Every result goes into the cache, no-mlflow ones
   included.
6. The commits are replayed in order: each path contributes the dimensions of its calls
   (catalog dimensions) and `mlflow` when it has a call or an mlflow requirement; a dimension is
   present at a commit when a file of that commit's tree contributes it.

Measured (`benchmarks/bench_history.py`, git 2.39, 2 cores, over file://; see its docstring):
on ludwig-ai/ludwig, 3,082 first-parent commits, the history clone is 1.1 s and 8.0 MB; the
cold walk 9.4 s and 16.3 MB in 2 requests (11,898 blobs fetched, 266 parsed, 12,507 skipped
by the pre-filter): 0.34 s and 0.79 MB per 100 commits. A second walk fetches and parses
nothing (12,773 cache hits, 0.5 s). Letting git fetch each blob lazily instead would cost one
request per blob (~14 ms and 3.4 kB each over file://, a round trip each over a network).

Tables (documented column by column in README.md):

* `history.csv` (`HISTORY_COLUMNS`): per repository and dimension, when it first appeared,
  when it was first removed again, whether the head still has it;
* `history_events.csv` (`EVENT_COLUMNS`): every commit where a dimension appeared or went;
* `history_summary.csv` (`SUMMARY_COLUMNS`): per repository, the walk and what it cost.

Safety: the walk only reads (log, ls-tree, cat-file) and fetches objects through
`analyzers.repo.gitsafe` settings: no hooks, no filters, no credential helper, allowed protocols only,
a deadline and a size limit on the fetched bytes. Nothing from the repository is run.
"""

from __future__ import annotations

import fnmatch
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from git import Repo
from git.exc import GitCommandError

from analyzers.code.catalog import load_catalog
from analyzers.code.prefilter import may_use_mlflow
from analyzers.records import FileAnalysis, FileKind, FileStatus, RepoRef
from analyzers.repo.cache import AnalysisCache, default_cache_path
from analyzers.repo.detectors import DETECTORS as SIGNAL_DETECTORS
from analyzers.repo.files import ALWAYS_SKIPPED, VENDORED_DIRS
from analyzers.repo.gitsafe import GitAborted, GitTimeout, GitTooLarge, SafeGit, tree_size
from analyzers.repo.scanner import AnalysisWorkers
from analyzers.schema import columns
from analyzers.tables import csv_table

MLFLOW = "mlflow"  # the pseudo-dimension "any MLflow evidence": a call or a requirement
_CALL, _DEPENDENCY = "mlflow-call", "mlflow-dependency"

HISTORY_COLUMNS = columns("history")  # the three tables are declared in analyzers/schema.py
EVENT_COLUMNS = columns("history_events")
SUMMARY_COLUMNS = columns("history_summary")
HISTORY_TABLES: dict[str, tuple[str, ...]] = {
    "history.csv": HISTORY_COLUMNS,
    "history_events.csv": EVENT_COLUMNS,
    "history_summary.csv": SUMMARY_COLUMNS,
}

MAX_SCRIPT_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_DEPENDENCY_BYTES = 1024 * 1024
# Bump when what a dependency file's analysis means changes: cached results are then ignored.
_DEPENDENCY_VERSION = "1"
# Dependency files whose `analyzers.repo.signals` detectors can find an mlflow requirement.
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
_REGULAR = ("100644", "100755")
_ZERO = "0" * 40


@dataclass(frozen=True, slots=True)
class HistoryOptions:
    """How to walk. `max_commits`: the newest N commits of the walk; `since`: commits after this
    date (anything `git log --since` reads; ISO 8601 is safest). Either cap makes the walk start
    inside the history (`truncated`): what the oldest walked commit's parent already had is
    attributed to the oldest walked commit (`present_at_start`). `jobs`: parser processes (0 =
    in this process). `batch`: blob ids per fetch request. `max_fetch_mb`: bytes the walk may
    add to the object store (None = no limit)."""

    max_commits: int | None = None
    since: str | None = None
    first_parent: bool = True
    protocols: tuple[str, ...] = ("https",)
    timeout: float = 3600.0
    max_fetch_mb: float | None = 2048.0
    batch: int = 8000
    jobs: int = 0

    def marker(self) -> dict[str, Any]:
        """What makes two walks' results the same (for the study's resume marker)."""
        return {
            "max_commits": self.max_commits,
            "since": self.since,
            "first_parent": self.first_parent,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class HistoryStats:
    """What a walk cost. A blob is counted once per kind it was read as."""

    commits_analysed: int = 0
    blobs_parsed: int = 0
    blobs_skipped: int = 0
    cache_hits: int = 0
    blobs_fetched: int = 0
    bytes_fetched: int = 0
    fetch_requests: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class HistoryResult:
    """A walk's tables (rows with `HISTORY_COLUMNS`, `EVENT_COLUMNS`; `summary` has
    `SUMMARY_COLUMNS`) and its costs."""

    dimensions: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]
    summary: dict[str, Any]
    stats: HistoryStats


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
        return frozenset({_DEPENDENCY}) if analysis.status is FileStatus.ANALYZED else frozenset()
    if not analysis.calls:
        return frozenset()
    return frozenset({_CALL, *(call.dimension for call in analysis.calls)})


def analyse_dependency(path: str, data: bytes) -> FileAnalysis:
    """An mlflow requirement in a dependency file, with the `analyzers.repo.signals` detectors:
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


# --------------------------------------------------------------------------- git


class HistoryGit(SafeGit):
    """`SafeGit` for the walk: fetches go through `run` (deadline, size watch, process group);
    reads go through a GitPython `Repo` whose git commands get the same environment and `-c`
    settings. Reads never need the network: every blob read was fetched first."""

    def open_repo(self, checkout: Path) -> Repo:
        git_dir = checkout / ".git"
        repo = Repo(checkout)
        repo.git.update_environment(
            **{
                **self._env,
                "GIT_DIR": str(git_dir),
                "GIT_WORK_TREE": str(checkout),
                "GIT_INDEX_FILE": str(git_dir / "index"),
                "GIT_OBJECT_DIRECTORY": str(git_dir / "objects"),
                "GIT_COMMON_DIR": str(git_dir),
            }
        )
        repo.git.set_persistent_git_options(c=self._config_args[1::2])
        return repo


@dataclass(slots=True)
class _Commit:
    sha: str
    parents: tuple[str, ...]
    time: int
    changes: list[tuple[str, str]] = field(default_factory=list)  # (path, blob or "")


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_log(raw: bytes) -> list[_Commit]:
    """Commits of `git log -z --raw --format=%x01%H %P%x00%ct`, as printed (newest first).

    Only changes to candidate files are kept; a change to anything that is not a regular file
    (a symlink, a submodule) counts as the path going away."""
    commits: list[_Commit] = []
    tokens = raw.split(b"\0")
    index = 0
    while index < len(tokens):
        token = tokens[index].lstrip(b"\n")
        index += 1
        if token.startswith(b"\x01"):
            sha, *parents = token[1:].decode("ascii").split()
            stamp = tokens[index].strip() if index < len(tokens) else b"0"
            index += 1
            commits.append(_Commit(sha, tuple(parents), int(stamp or b"0")))
        elif token.startswith(b":"):
            path = tokens[index].decode("utf-8", errors="surrogateescape")
            index += 1
            if not commits or not candidate_kinds(path):
                continue
            _old_mode, new_mode, _old, new, status = token[1:].decode("ascii").split()
            gone = status.startswith("D") or new_mode not in _REGULAR or new == _ZERO
            commits[-1].changes.append((path, "" if gone else new))
        elif token:
            raise HistoryError(f"unexpected git log output near {token[:60]!r}")
    return commits


def _ls_tree(repo: Repo, commit: str, timeout: float) -> dict[str, str]:
    """Candidate files of a commit's tree: path -> blob SHA (regular files only)."""
    raw = repo.git.ls_tree(
        "-r", "-z", "--full-tree", commit, stdout_as_string=False, kill_after_timeout=timeout
    )
    files = {}
    for entry in raw.split(b"\0"):
        meta, tab, path_bytes = entry.partition(b"\t")
        if not tab:
            continue
        mode, _type, sha = meta.decode("ascii").split()
        path = path_bytes.decode("utf-8", errors="surrogateescape")
        if mode in _REGULAR and candidate_kinds(path):
            files[path] = sha
    return files


# --------------------------------------------------------------------------- analysis


class _Resolver:
    """Features of (blob, kind) pairs: from the cache, else fetched, pre-filtered, analysed."""

    def __init__(
        self,
        repo: Repo,
        git: HistoryGit,
        checkout: Path,
        cache: AnalysisCache | None,
        options: HistoryOptions,
        stats: HistoryStats,
        deadline: float,
    ) -> None:
        self.repo, self.git, self.checkout, self.cache = repo, git, checkout, cache
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
        self._fetch(sorted(set(order) - self._local_blobs(), key=order.__getitem__))
        parsers = AnalysisWorkers(self.options.jobs)
        try:
            self._analyse(missing, parsers)
        finally:
            parsers.close()
            if self.cache is not None:
                self.cache.flush()

    def _local_blobs(self) -> set[str]:
        """Blob ids in the local object store. `--batch-all-objects` lists what is there and
        never asks the promisor remote for anything."""
        raw = self.repo.git.cat_file(
            "--batch-all-objects",
            "--unordered",
            "--batch-check=%(objecttype) %(objectname)",
            kill_after_timeout=self._remaining(),
        )
        return {line[5:] for line in raw.splitlines() if line.startswith("blob ")}

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise HistoryError(f"no result within {self.options.timeout:g}s")
        return remaining

    def _fetch(self, blobs: Sequence[str]) -> None:
        objects = self.checkout / ".git" / "objects"
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
                    [
                        "-c",
                        "fetch.negotiationAlgorithm=noop",
                        "fetch",
                        "--no-tags",
                        "--no-write-fetch-head",
                        "--recurse-submodules=no",
                        "--no-auto-gc",
                        "--filter=blob:none",
                        "origin",
                        *chunk,
                    ],
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

    def _read(self, blob: str) -> bytes:
        try:
            return self.repo.odb.stream(bytes.fromhex(blob)).read()
        except (ValueError, OSError, GitCommandError) as error:
            raise HistoryError(f"cannot read blob {blob}: {error}") from None

    def _analyse(self, missing: dict[tuple[str, str], str], parsers: AnalysisWorkers) -> None:
        window: list[tuple[tuple[str, str], str, bytes, Future[FileAnalysis]]] = []
        limit = max(1, parsers.jobs) * 4
        for (blob, kind), path in missing.items():
            self._remaining()
            data = self._read(blob)
            if kind.startswith("requirements"):
                if len(data) > MAX_DEPENDENCY_BYTES or b"mlflow" not in data.lower():
                    self._done((blob, kind), FileAnalysis(FileStatus.NO_MLFLOW), counted=False)
                else:
                    self._done((blob, kind), analyse_dependency(path, data), counted=True)
                continue
            cap = MAX_NOTEBOOK_BYTES if kind == FileKind.NOTEBOOK.value else MAX_SCRIPT_BYTES
            if len(data) > cap:
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
                self._done(key, parsers.result(future, data_, FileKind(kind_)), counted=True)
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


# --------------------------------------------------------------------------- replay


class _State:
    """The candidate files of one commit's tree and what each contributes."""

    __slots__ = ("counts", "files")

    def __init__(
        self, files: dict[str, frozenset[str]] | None = None, counts: Counter[str] | None = None
    ) -> None:
        self.files: dict[str, frozenset[str]] = files if files is not None else {}
        self.counts: Counter[str] = counts if counts is not None else Counter()

    def copy(self) -> _State:
        return _State(dict(self.files), Counter(self.counts))

    def set(self, path: str, features: frozenset[str] | None) -> None:
        old = self.files.pop(path, frozenset())
        self.counts.subtract(old)
        if features is not None:
            self.files[path] = features
            self.counts.update(features)

    def present(self) -> frozenset[str]:
        found = {feature for feature, n in self.counts.items() if n > 0}
        if _CALL in found or _DEPENDENCY in found:
            found.add(MLFLOW)
        return frozenset(found)


def _path_features(
    features: dict[tuple[str, str], frozenset[str]], path: str, blob: str
) -> frozenset[str]:
    return frozenset().union(
        *(features.get((blob, kind), frozenset()) for kind in candidate_kinds(path))
    )


def _evidence(present: frozenset[str]) -> str:
    return "+".join(
        name
        for name, feature in (("call", _CALL), ("dependency", _DEPENDENCY))
        if feature in present
    )


# --------------------------------------------------------------------------- the walk


def walk_history(
    repo_ref: RepoRef,
    options: HistoryOptions | None = None,
    cache: AnalysisCache | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> HistoryResult:
    """Walk the history of the checkout at `repo_ref.root` from `repo_ref.commit` (HEAD when
    empty). Raises `HistoryError` when the walk cannot be done."""
    options = options or HistoryOptions()
    started = time.monotonic()
    deadline = started + options.timeout
    stats = HistoryStats()
    checkout = Path(repo_ref.root)
    if not (checkout / ".git").is_dir():
        raise HistoryError(f"{checkout}: not a git checkout")
    if (checkout / ".git" / "shallow").exists():
        raise HistoryError(
            "the checkout is shallow: clone with history (CloneSettings(history=True))"
        )
    with TemporaryDirectory(prefix="mlflow-miner-history-") as scratch:
        git = HistoryGit(Path(scratch), options.protocols)
        repo = git.open_repo(checkout)
        try:
            return _walk(
                repo, git, checkout, repo_ref, options, cache, stats, deadline, started, log
            )
        except GitCommandError as error:
            lines = [
                line.strip(" '") for line in str(error.stderr).splitlines() if line.strip(" '")
            ]
            raise HistoryError(
                "git failed: " + (lines[-1] if lines else f"exit {error.status}")
            ) from None
        finally:
            repo.close()


def _walk(
    repo: Repo,
    git: HistoryGit,
    checkout: Path,
    repo_ref: RepoRef,
    options: HistoryOptions,
    cache: AnalysisCache | None,
    stats: HistoryStats,
    deadline: float,
    started: float,
    log: Callable[[str], None],
) -> HistoryResult:
    head = repo_ref.commit or repo.git.rev_parse("HEAD")
    args = ["--first-parent"] if options.first_parent else ["--topo-order"]
    args += [
        "--diff-merges=first-parent",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "-z",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--format=%x01%H %P%x00%ct",
    ]
    if options.max_commits is not None:
        args.append(f"--max-count={max(0, options.max_commits)}")
    if options.since:
        args.append(f"--since={options.since}")
    raw = repo.git.log(
        *args,
        head,
        "--",
        stdout_as_string=False,
        kill_after_timeout=max(1.0, deadline - time.monotonic()),
    )
    commits = parse_log(raw)[::-1]  # oldest first; in topological order for all-parents
    stats.commits_analysed = len(commits)
    walked = {commit.sha for commit in commits}
    # A parent outside the window (caps) starts from its tree, read without any blob.
    bases: dict[str, dict[str, str]] = {}
    for commit in commits:
        parent = commit.parents[0] if commit.parents else ""
        if parent and parent not in walked and parent not in bases:
            bases[parent] = _ls_tree(repo, parent, max(1.0, deadline - time.monotonic()))
    wanted: dict[tuple[str, str], str] = {}
    for files in bases.values():
        for path, blob in files.items():
            for kind in candidate_kinds(path):
                wanted.setdefault((blob, kind), path)
    for commit in commits:
        for path, blob in commit.changes:
            if blob:
                for kind in candidate_kinds(path):
                    wanted.setdefault((blob, kind), path)
    log(f"{repo_ref.name}: {len(commits)} commits, {len(wanted)} file versions to know")
    resolver = _Resolver(repo, git, checkout, cache, options, stats, deadline)
    resolver.resolve(wanted)
    result = _replay(commits, bases, resolver.features, repo_ref, head, options)
    stats.seconds = round(time.monotonic() - started, 3)
    result.summary.update(
        {
            key: getattr(stats, key)
            for key in (
                "blobs_parsed",
                "blobs_skipped",
                "cache_hits",
                "blobs_fetched",
                "bytes_fetched",
            )
        }
    )
    return HistoryResult(result.dimensions, result.events, result.summary, stats)


def _replay(
    commits: list[_Commit],
    bases: dict[str, dict[str, str]],
    features: dict[tuple[str, str], frozenset[str]],
    repo_ref: RepoRef,
    head: str,
    options: HistoryOptions,
) -> HistoryResult:
    children: Counter[str] = Counter(c.parents[0] for c in commits if c.parents)
    states: dict[str, _State] = {}
    base_states = {parent: _State() for parent in bases}
    for parent, files in bases.items():
        for path, blob in files.items():
            base_states[parent].set(path, _path_features(features, path, blob))
    events: list[tuple[int, str, str, _Commit]] = []  # (order, dimension, event, commit)
    at_start: set[str] = set()
    head_present: frozenset[str] = frozenset()
    evidence_at: dict[str, str] = {}
    for order, commit in enumerate(commits):
        parent = commit.parents[0] if commit.parents else ""
        if parent in states:
            children[parent] -= 1
            state = states[parent] if children[parent] == 0 else states[parent].copy()
            if children[parent] == 0:
                del states[parent]
            before = state.present()
        elif parent in base_states:
            state = base_states[parent].copy()
            before = frozenset()
            at_start |= state.present()
        else:
            state, before = _State(), frozenset()
        for path, blob in commit.changes:
            state.set(path, _path_features(features, path, blob) if blob else None)
        after = state.present()
        for dimension in sorted(after - before):
            events.append((order, dimension, "added", commit))
        for dimension in sorted(before - after):
            events.append((order, dimension, "removed", commit))
        if MLFLOW in after - before:
            evidence_at[commit.sha] = _evidence(after)
        if commit.sha == head:
            head_present = after
        if children[commit.sha] > 0:
            states[commit.sha] = state
    public = [event for event in events if not event[1].startswith("mlflow-")]
    dimensions = _dimension_rows(
        public, at_start, head_present, repo_ref, head, options.first_parent
    )
    event_rows = tuple(
        {
            "repo": repo_ref.name,
            "commit": head,
            "dimension": dimension,
            "event": kind,
            "event_commit": commit.sha,
            "event_date": _iso(commit.time),
        }
        for _order, dimension, kind, commit in public
    )
    first = next((row for row in dimensions if row["dimension"] == MLFLOW), None)
    oldest = commits[0] if commits else None
    head_commit = next((c for c in reversed(commits) if c.sha == head), None)
    summary = {
        "repo": repo_ref.name,
        "commit": head,
        "status": "walked",
        "detail": "",
        "walk": "first-parent" if options.first_parent else "all-parents",
        "commits_analysed": len(commits),
        "truncated": bool(bases),
        "oldest_commit": oldest.sha if oldest else "",
        "oldest_date": _iso(oldest.time) if oldest else "",
        "head_date": _iso(head_commit.time) if head_commit else "",
        "first_mlflow_commit": first["first_commit"] if first else "",
        "first_mlflow_date": first["first_date"] if first else "",
        "first_mlflow_evidence": evidence_at.get(first["first_commit"], "") if first else "",
    }
    return HistoryResult(dimensions, event_rows, summary, HistoryStats())


def _dimension_rows(
    events: list[tuple[int, str, str, _Commit]],
    at_start: set[str],
    head_present: frozenset[str],
    repo_ref: RepoRef,
    head: str,
    first_parent: bool,
) -> tuple[dict[str, Any], ...]:
    catalog_order = [MLFLOW, *load_catalog().dimensions]
    names = sorted(
        {dimension for _o, dimension, _k, _c in events},
        key=lambda name: (
            catalog_order.index(name) if name in catalog_order else len(catalog_order),
            name,
        ),
    )
    rows = []
    for name in names:
        mine = [event for event in events if event[1] == name]
        added = [event for event in mine if event[2] == "added"]
        # First-parent: the walk's order is the default branch's. All parents: the earliest
        # commit (by commit date) on any branch that had it.
        first = added[0] if first_parent else min(added, key=lambda e: (e[3].time, e[0]))
        removed = next(
            (event for event in mine if event[2] == "removed" and event[0] > first[0]), None
        )
        rows.append(
            {
                "repo": repo_ref.name,
                "commit": head,
                "dimension": name,
                "first_commit": first[3].sha,
                "first_date": _iso(first[3].time),
                "removed_commit": removed[3].sha if removed else "",
                "removed_date": _iso(removed[3].time) if removed else "",
                "present_at_head": name in head_present,
                "present_at_start": name in at_start,
                "removals": sum(1 for event in mine if event[2] == "removed"),
            }
        )
    return tuple(rows)


# --------------------------------------------------------------------------- study integration


def failed_summary(repo_ref: RepoRef, options: HistoryOptions, detail: str) -> dict[str, Any]:
    """The summary row of a walk that could not be done."""
    row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS, "")
    row.update(
        {
            "repo": repo_ref.name,
            "commit": repo_ref.commit,
            "status": "error",
            "detail": detail,
            "walk": "first-parent" if options.first_parent else "all-parents",
        }
    )
    return row


def open_cache(path: Path | None) -> AnalysisCache:
    """The analysis cache at `path`, else the user's (history is where the cache pays most)."""
    return AnalysisCache(path or default_cache_path(), load_catalog().version)


def write_history(
    repo_ref: RepoRef,
    out_dir: Path,
    options: HistoryOptions,
    cache_path: Path | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Walk and write `history.csv`, `history_events.csv` and `history_summary.csv` into
    `out_dir` (each atomically); a walk that fails writes its reason in the summary. Returns
    the summary row."""
    cache = open_cache(cache_path)
    try:
        result = walk_history(repo_ref, options, cache, log)
        dimensions, events, summary = result.dimensions, result.events, result.summary
    except HistoryError as error:
        dimensions, events, summary = (), (), failed_summary(repo_ref, options, str(error))
    finally:
        cache.close()
    for name, rows in (
        ("history.csv", dimensions),
        ("history_events.csv", events),
        ("history_summary.csv", (summary,)),
    ):
        with csv_table(out_dir / name, HISTORY_TABLES[name]) as table:
            table.write_all(rows)
    return summary


__all__ = [
    "DEPENDENCY_PATTERNS",
    "EVENT_COLUMNS",
    "HISTORY_COLUMNS",
    "HISTORY_TABLES",
    "MLFLOW",
    "SUMMARY_COLUMNS",
    "HistoryError",
    "HistoryGit",
    "HistoryOptions",
    "HistoryResult",
    "HistoryStats",
    "analyse_dependency",
    "candidate_kinds",
    "failed_summary",
    "features_of",
    "open_cache",
    "parse_log",
    "walk_history",
    "write_history",
]
