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
   (`blobs_parsed`): `analyze_bytes` for code, the `analyzers.repo.detectors` detectors for an
   `mlflow` requirement in dependency files. Every result goes into the cache, no-mlflow ones
   included.
6. The commits are replayed in order: each path contributes the dimensions of its calls
   (catalog dimensions) and `mlflow` when it has a call or an mlflow requirement; a dimension is
   present at a commit when a file of that commit's tree contributes it.

Steps 2-5 are `mining.git.versions` (`candidate_kinds`, `BlobFeatures`), step 6 is
`mining.git.replay`; this module walks the log and writes the tables.

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
* `history_summary.csv` (`SUMMARY_COLUMNS`): per repository, the walk (what it cost is the
  run's, not the repository's: `write_history` returns it for the study's run log).

Safety: the walk only reads (log, ls-tree, cat-file) and fetches objects through
`analyzers.repo.gitsafe` settings: no hooks, no filters, no credential helper, allowed protocols only,
a deadline and a size limit on the fetched bytes. Nothing from the repository is run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from git import Repo
from git.exc import GitCommandError

from analyzers.code.catalog import load_catalog
from analyzers.records import RepoRef
from analyzers.repo.cache import AnalysisCache, default_cache_path
from analyzers.repo.gitsafe import GitAborted, GitTimeout, SafeGit
from analyzers.schema import columns
from analyzers.tables import csv_table
from mining.git.replay import Commit, replay
from mining.git.versions import (
    DEPENDENCY_PATTERNS,
    MLFLOW,
    BlobFeatures,
    HistoryError,
    analyze_dependency,
    candidate_kinds,
    features_of,
)

HISTORY_COLUMNS = columns("history")  # the three tables are declared in analyzers/schema.py
EVENT_COLUMNS = columns("history_events")
SUMMARY_COLUMNS = columns("history_summary")
HISTORY_TABLES: dict[str, tuple[str, ...]] = {
    "history.csv": HISTORY_COLUMNS,
    "history_events.csv": EVENT_COLUMNS,
    "history_summary.csv": SUMMARY_COLUMNS,
}

_REGULAR = ("100644", "100755")
_ZERO = "0" * 40


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


class GitObjects:
    """The checkout's object database: what is local, never the promisor's. Sizes and contents
    are read in bulk, one `git cat-file` process for many blobs (not a round trip each)."""

    def __init__(self, repo: Repo, git: SafeGit, checkout: Path) -> None:
        self.repo, self.git, self.checkout = repo, git, checkout

    def local_blobs(self, timeout: float) -> set[str]:
        """Blob ids in the local object store. `--batch-all-objects` lists what is there and
        never asks the promisor remote for anything."""
        raw = self.repo.git.cat_file(
            "--batch-all-objects",
            "--unordered",
            "--batch-check=%(objecttype) %(objectname)",
            kill_after_timeout=timeout,
        )
        return {line[5:] for line in raw.splitlines() if line.startswith("blob ")}

    def _cat(self, batch: str, blobs: Sequence[str], timeout: float) -> bytes:
        try:
            output = self.git.run(
                ["cat-file", batch],
                repo=self.checkout,
                deadline=time.monotonic() + timeout,
                stdin="".join(f"{blob}\n" for blob in blobs).encode("ascii"),
            )
        except (GitTimeout, GitAborted) as error:
            raise HistoryError(f"cannot read blobs: {error}") from None
        if not output.ok:
            raise HistoryError(f"cannot read blobs: {output.stderr.strip()[-200:]}")
        return output.raw

    def sizes(self, blobs: Sequence[str], timeout: float) -> dict[str, int]:
        """Blob id -> size, for every blob of `blobs` (all must be local)."""
        sizes: dict[str, int] = {}
        if not blobs:
            return sizes
        raw = self._cat("--batch-check=%(objectname) %(objecttype) %(objectsize)", blobs, timeout)
        for line in raw.decode("ascii", "replace").splitlines():
            name, _, rest = line.partition(" ")
            kind, _, size = rest.partition(" ")
            if kind != "blob":
                raise HistoryError(f"cannot read blob {name}: {rest or 'missing'}")
            sizes[name] = int(size)
        return sizes

    def read(self, blobs: Sequence[str], timeout: float) -> dict[str, bytes]:
        """Blob id -> content, for every blob of `blobs` (all must be local)."""
        contents: dict[str, bytes] = {}
        if not blobs:
            return contents
        raw = self._cat("--batch", blobs, timeout)
        at = 0
        while at < len(raw):
            end = raw.index(b"\n", at)
            name, _, rest = raw[at:end].decode("ascii", "replace").partition(" ")
            kind, _, size = rest.partition(" ")
            if kind != "blob":
                raise HistoryError(f"cannot read blob {name}: {rest or 'missing'}")
            start = end + 1
            contents[name] = raw[start : start + int(size)]
            at = start + int(size) + 1
        return contents


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
    fetch_seconds: float = 0.0  # of `seconds`, waiting for blob fetches
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class HistoryResult:
    """A walk's tables (rows with `HISTORY_COLUMNS`, `EVENT_COLUMNS`; `summary` has
    `SUMMARY_COLUMNS`) and its costs."""

    dimensions: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]
    summary: dict[str, Any]
    stats: HistoryStats


# --------------------------------------------------------------------------- git


def parse_log(raw: bytes) -> list[Commit]:
    """Commits of `git log -z --raw --format=%x01%H %P%x00%ct`, as printed (newest first).

    Only changes to candidate files are kept; a change to anything that is not a regular file
    (a symlink, a submodule) counts as the path going away."""
    commits: list[Commit] = []
    tokens = raw.split(b"\0")
    index = 0
    while index < len(tokens):
        token = tokens[index].lstrip(b"\n")
        index += 1
        if token.startswith(b"\x01"):
            sha, *parents = token[1:].decode("ascii").split()
            stamp = tokens[index].strip() if index < len(tokens) else b"0"
            index += 1
            commits.append(Commit(sha, tuple(parents), int(stamp or b"0")))
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
    resolver = BlobFeatures(
        GitObjects(repo, git, checkout), git, checkout, cache, options, stats, deadline
    )
    resolver.resolve(wanted)
    dimensions, events, summary = replay(
        commits, bases, resolver.features, repo_ref, head, options.first_parent
    )
    stats.seconds = round(time.monotonic() - started, 3)
    summary["file_versions"] = len(wanted)
    return HistoryResult(dimensions, events, summary, stats)


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
) -> tuple[dict[str, Any], HistoryStats]:
    """Walk and write `history.csv`, `history_events.csv` and `history_summary.csv` into
    `out_dir` (each atomically); a walk that fails writes its reason in the summary. Returns
    the summary row and what the walk cost (which the tables leave out: it is the run's)."""
    cache = open_cache(cache_path)
    stats = HistoryStats()
    try:
        result = walk_history(repo_ref, options, cache, log)
        dimensions, events, summary = result.dimensions, result.events, result.summary
        stats = result.stats
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
    return summary, stats


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
    "analyze_dependency",
    "candidate_kinds",
    "failed_summary",
    "features_of",
    "open_cache",
    "parse_log",
    "walk_history",
    "write_history",
]
