"""`mlflow-miner clone`: materialise each repository of a dataset at its pinned commit, fetching
only the files the analyses read.

Strategy
--------
For each repository: `git init` into a private `<sha>.partial-*` directory, then

    git fetch --depth=1 --filter=blob:none --no-tags origin <pinned sha>
    git checkout --detach <pinned sha>          # with a non-cone sparse checkout

The fetch brings one commit and its trees, no file contents; the checkout then asks the server,
in one batch, for the blobs that match `SPARSE_PATTERNS` and nothing else: two requests in all.
History, data files, models and images are never transferred. `benchmarks/bench_clone.py`
measured (git 2.39, over file://, so seconds are mostly local CPU; on a network they follow the
bytes) on a generated repository of 3,000 commits, 400 Python modules, 20 notebooks and 60 MB of
binary data (40 MB more rewritten during the history), 119 MB packed:

    strategy                                   transferred  requests  files  seconds
    full clone (git clone)                        119.2 MB         1    456     1.76
    shallow clone (--depth=1)                      66.1 MB         1    456     1.07
    blobless clone (--filter=blob:none)            68.0 MB         2    456     1.22
    pinned sha + tree:0 + sparse                    1.2 MB         3    423     0.41
    pinned sha + blob:none + sparse (chosen)        1.2 MB         2    423     0.31
    the same, rerun from the cache                     0 B         0    423     0.00

and on microsoft/MLOpsPython (429 commits, 128 files, 14.9 MB packed): full clone 13.6 MB,
shallow 2.5 MB, ours 56 kB (the 40 files the analyses read).

`tree:0` was rejected: trees are small, so it saved nothing measurable and costs one more
request (git lazily fetches the missing trees before the blobs). A server-side `sparse:oid`
filter could save the second request, but GitHub does not serve it.

Fallbacks, each recorded in the `strategy` column:

* the server ignores the filter (`uploadpack.allowFilter` off): the fetch still works, with
  every blob of that one commit (`+full-blobs` instead of `+blobless`);
* the server refuses an unadvertised SHA (protocol v0 without `allowReachableSHA1InWant`): fetch
  the default branch at depth 64 and deepen (x2, five times) until the commit appears
  (`branch-deepen`), then all branches and tags with full history (`all-refs`). A commit that is
  still missing was rewritten away: status `error`.

Cache and atomicity
-------------------
A checkout lives at `<cache>/<owner>__<name>/<sha>/` (see `checkout_path`; names that are not
plain GitHub names are sanitised and suffixed with a hash, so nothing escapes the cache). It is
built in `<sha>.partial-<pid>-<n>` and renamed into place only after HEAD is verified to be the
pinned SHA, so the rename is the commit point: a killed run leaves only `.partial-*`
directories, which the next run deletes. A checkout is reused (status `cached`, no git command
at all) when its HEAD is the pinned SHA and its sparse patterns are the current ones; after a
pattern change it is moved back to a partial, re-sparsed (fetching only the newly wanted blobs)
and renamed into place again (`resparse`).

The status table goes to `--repos-csv`, by default `results/<dataset stem>.repos.csv`: one per
dataset, beside the other results rather than in the cache (which is shared by datasets) or in
`datasets/` (inputs, not outcomes). It is written atomically when the run ends.

Limits: POSIX only (process groups). A checkout is a partial clone whose promisor is the origin,
so a git command that reads an excluded blob (`git show HEAD:data.csv`) fetches it; read the
work tree instead. If the runner itself is SIGKILLed, its git children are orphaned until their
fetch ends or fails; their partial directories are swept by the next run.

Safety (see `analyzers.repo.gitsafe`)
-----------------------------
No repository code runs: no hooks (empty template, `core.hooksPath=/dev/null`), no submodules,
no filter drivers (`$GIT_DIR/info/attributes` unsets `filter` for every path, which beats any
`.gitattributes`, and the lfs driver is blanked), no credential helper or prompt, protocols
limited to https unless more are asked for. `core.symlinks=false`: a symlink is checked out as
a small regular file holding its target path, so nothing downstream can follow it out of the
tree. `text`, `eol` and `working-tree-encoding` are unset too, so every checked-out file is
byte-identical to its blob. Each repository has a deadline (its git process group is killed)
and a size limit checked against the dataset's `size_kb` before and against the object store
while fetching.

Serving over file:// runs `git upload-pack` on the source repository with that repository's own
config: allow `file` only for repositories you trust.

Statuses (`repos.csv`): cloned, cached, not-found (deleted, private, or no such path),
unavailable (DMCA / HTTP 451 / disabled by GitHub), too-large, timeout, error. `bytes` is what
this run added to the object store (0 when cached); `seconds` is wall time for the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from analyzers.repo.cache import cache_root
from analyzers.repo.gitsafe import (
    GitAborted,
    GitOutput,
    GitTimeout,
    GitTooLarge,
    SafeGit,
    scrub,
    tree_size,
)
from analyzers.schema import columns

# Non-cone sparse-checkout patterns (gitignore syntax: no slash = any depth).
SPARSE_PATTERNS: tuple[str, ...] = (
    "*.py",
    "*.ipynb",
    # MLflow finds its MLproject file case-insensitively.
    "[Mm][Ll][Pp][Rr][Oo][Jj][Ee][Cc][Tt]",
    "python_env.yaml",
    "python_env.yml",
    "*conda*.yaml",
    "*conda*.yml",
    "environment*.yml",
    "environment*.yaml",
    "requirements*.txt",
    "**/requirements/*.txt",
    "constraints*.txt",
    "setup.cfg",
    "pyproject.toml",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose.yml",
    "compose.yaml",
    "/.github/workflows/*",
    "/[Rr][Ee][Aa][Dd][Mm][Ee]*",  # the root README: its headings tell a repository's purpose
    "dvc.yaml",
    "dvc.lock",
    "*.dvc",
    ".env",
    ".env.*",
    # Hydra config trees (analyzers.repo.ecosystem): conf/ or configs/ at any depth.
    "**/conf/**/*.yaml",
    "**/conf/**/*.yml",
    "**/configs/**/*.yaml",
    "**/configs/**/*.yml",
)

REQUIRED_COLUMNS = ("full_name", "clone_url", "commit")
REPOS_COLUMNS = columns("clones")  # declared in analyzers/schema.py

# Wins over every .gitattributes in the tree: no filter driver can run, and files are checked
# out exactly as their blobs.
_ATTRIBUTES = "* -filter -ident -text -eol -working-tree-encoding\n"

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_GITHUB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_BRANCH = re.compile(r"(?!-)(?!.*\.\.)(?!.*@\{)(?!.*//)[^\x00-\x20\x7f~^:?*\[\\]{1,250}(?<![./])")
_PARTIAL = re.compile(r"\.partial-(\d+)-\d+$")
_DEEPEN_START, _DEEPEN_ROUNDS = 64, 5


class CloneStatus(StrEnum):
    CLONED = "cloned"
    CACHED = "cached"
    NOT_FOUND = "not-found"
    UNAVAILABLE = "unavailable"
    TOO_LARGE = "too-large"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class CloneRequest:
    """One dataset row: which repository, from where, at which commit."""

    full_name: str
    clone_url: str
    commit: str
    size_kb: int | None = None
    default_branch: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CloneRequest:
        """Read the columns we use from a dataset row; unknown columns are ignored."""
        size = str(row.get("size_kb") or "").strip()
        return cls(
            full_name=str(row.get("full_name") or "").strip(),
            clone_url=str(row.get("clone_url") or "").strip(),
            commit=str(row.get("commit") or "").strip().lower(),
            size_kb=int(size) if size.isdigit() else None,
            default_branch=str(row.get("default_branch") or "").strip(),
        )


@dataclass(frozen=True, slots=True)
class CloneResult:
    """How one repository ended up. `path` is set for `cloned` and `cached` only."""

    full_name: str
    commit: str
    status: CloneStatus
    detail: str = ""
    path: str = ""
    seconds: float = 0.0
    bytes: int = 0
    strategy: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (CloneStatus.CLONED, CloneStatus.CACHED)

    def as_row(self) -> dict[str, object]:
        return {column: getattr(self, column) for column in REPOS_COLUMNS}


@dataclass(frozen=True, slots=True)
class CloneSettings:
    """`protocols` beyond https must be asked for; `file` runs the *source* repository's config.

    `max_size_mb=None` means no limit. `protocol_version` forces git's wire protocol (0 makes a
    server refuse unadvertised SHAs unless configured otherwise, exercising the fallback).

    `history=True` (for `mining.git.history`) fetches the pinned commit's whole history, commits
    and trees only (`--filter=blob:none` without `--depth`); the work tree is the same sparse
    checkout. A cached shallow checkout is deepened in place (strategy `unshallow`); a history
    checkout also serves runs without history.
    """

    cache: Path = field(default_factory=lambda: cache_root() / "repos")
    jobs: int = 4
    timeout: float = 600.0
    max_size_mb: float | None = 2048.0
    protocols: tuple[str, ...] = ("https",)
    patterns: tuple[str, ...] = SPARSE_PATTERNS
    protocol_version: int | None = None
    history: bool = False

    @property
    def max_bytes(self) -> int | None:
        return None if self.max_size_mb is None else int(self.max_size_mb * 1024 * 1024)


def cache_key(full_name: str) -> str:
    """A single, safe directory name for a repository.

    Plain GitHub names map to `owner__name` (GitHub owners cannot contain `_`, so this is
    unambiguous); anything else is reduced to `[A-Za-z0-9._-]`, shortened, and suffixed with
    a hash of the original so two different names never share a directory.
    """
    owner, slash, name = full_name.partition("/")
    if (
        slash
        and _GITHUB_OWNER.fullmatch(owner)
        and _GITHUB_NAME.fullmatch(name)
        and name not in (".", "..")
    ):
        return f"{owner}__{name}"
    digest = hashlib.sha256(full_name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", unicodedata.normalize("NFKC", full_name))
    readable = readable[:64].strip("._-") or "repo"
    return f"{readable}-{digest}"


def checkout_path(cache: Path, full_name: str, commit: str) -> Path:
    """Where the checkout of `full_name` at `commit` lives (or would live) in `cache`."""
    if not _SHA.fullmatch(commit):
        raise ValueError(f"not a full hex commit id: {commit!r}")
    path = cache / cache_key(full_name) / commit
    if path.resolve().parent.parent != cache.resolve():
        raise ValueError(f"repository name escapes the cache: {full_name!r}")
    return path


def classify_failure(message: str) -> CloneStatus:
    """The status for a failed git fetch, from git's (English) error output."""
    text = message.lower()
    if any(
        s in text
        for s in (
            "dmca",
            "error: 451",
            "unavailable for legal reasons",
            "repository unavailable",
            "access to this repository has been disabled",
        )
    ):
        return CloneStatus.UNAVAILABLE
    if any(
        s in text
        for s in (
            "repository not found",
            "does not appear to be a git repository",
            "could not read username",
            "could not read password",
            "terminal prompts disabled",
            "authentication failed",
            "error: 404",
            "error: 401",
        )
    ):
        return CloneStatus.NOT_FOUND
    return CloneStatus.ERROR


def one_line(message: str, limit: int = 240) -> str:
    """The most telling line of git's output, without credentials, at most `limit` characters."""
    lines = [line.strip() for line in scrub(message).splitlines() if line.strip()]
    # git's first fatal/error line names the cause ("'x' does not appear to be a git
    # repository"); the ones after it are consequences ("Could not read from remote").
    tagged = [line for line in lines if line.lower().startswith(("fatal:", "error:"))]
    remote = [line for line in lines if line.lower().startswith("remote:")]
    chosen = tagged[0] if tagged else remote[-1] if remote else lines[-1] if lines else "git failed"
    text = " ".join(chosen.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sweep_partials(cache: Path) -> int:
    """Delete `.partial-*` checkouts left by runs that died; returns how many were removed.

    Partials of processes still alive (another run sharing the cache) are left alone.
    """
    removed = 0
    if not cache.is_dir():
        return 0
    for repo_dir in cache.iterdir():
        if not repo_dir.is_dir() or repo_dir.is_symlink():
            continue
        for entry in repo_dir.iterdir():
            match = _PARTIAL.search(entry.name)
            if match and not _alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


def clone_all(
    rows: Iterable[Mapping[str, Any] | CloneRequest],
    settings: CloneSettings,
    progress: Callable[[int, int, CloneResult], None] | None = None,
) -> Iterator[CloneResult]:
    """Clone every row (dataset dicts or `CloneRequest`s); yield results in input order.

    `progress(done, total, result)` is called as each repository finishes, in completion order.
    Closing the generator early kills the git commands still running and removes their partial
    checkouts.
    """
    requests = [r if isinstance(r, CloneRequest) else CloneRequest.from_row(r) for r in rows]
    settings = replace(settings, cache=settings.cache.resolve())
    settings.cache.mkdir(parents=True, exist_ok=True)
    sweep_partials(settings.cache)
    with tempfile.TemporaryDirectory(prefix="mlflow-miner-git-") as scratch:
        extra = (
            []
            if settings.protocol_version is None
            else [("protocol.version", str(settings.protocol_version))]
        )
        git = _Cloner(settings, SafeGit(Path(scratch), settings.protocols, extra))
        done = itertools.count(1)
        done_lock = threading.Lock()

        def work(request: CloneRequest) -> CloneResult:
            result = git.clone(request)
            if progress is not None:
                with done_lock:
                    progress(next(done), len(requests), result)
            return result

        executor = ThreadPoolExecutor(max_workers=max(1, settings.jobs), thread_name_prefix="clone")
        futures: list[Future[CloneResult]] = [executor.submit(work, r) for r in requests]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
            git.git.abort()
            executor.shutdown(wait=True)


class _Failure(Exception):
    def __init__(self, status: CloneStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _Cloner:
    def __init__(self, settings: CloneSettings, git: SafeGit) -> None:
        self.settings = settings
        self.git = git
        self.patterns_text = "".join(f"{p}\n" for p in settings.patterns)
        self._locks: dict[Path, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._serial = itertools.count()

    def _lock(self, path: Path) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(path, threading.Lock())

    def clone(self, request: CloneRequest) -> CloneResult:
        start = time.monotonic()
        strategy: list[str] = [""]

        def result(
            status: CloneStatus, detail: str = "", path: str = "", size: int = 0
        ) -> CloneResult:
            return CloneResult(
                request.full_name,
                request.commit,
                status,
                detail,
                path,
                round(time.monotonic() - start, 3),
                size,
                strategy[0],
            )

        try:
            target = self._check(request)
            with self._lock(target):
                state = self._state(target, request.commit)
                if state == "ok":
                    strategy[0] = "cache"
                    return result(CloneStatus.CACHED, path=str(target))
                limit = self.settings.max_bytes
                if (
                    limit is not None
                    and request.size_kb is not None
                    and request.size_kb * 1024 > limit
                ):
                    return result(
                        CloneStatus.TOO_LARGE,
                        f"size_kb {request.size_kb} is over {self.settings.max_size_mb:g} MB",
                    )
                partial = target.with_name(
                    f"{target.name}.partial-{os.getpid()}-{next(self._serial)}"
                )
                try:
                    if state in ("patterns", "shallow"):
                        os.rename(target, partial)
                        before = tree_size(partial / ".git" / "objects")
                        strategy[0] = "resparse"
                        if self.settings.history and (partial / ".git" / "shallow").exists():
                            strategy[0] = "unshallow"
                            self._unshallow(request, partial, start)
                        if state == "patterns":
                            self._resparse(partial, start)
                    else:
                        if state == "bad":
                            os.rename(target, partial)
                            _remove(partial)
                        before = 0
                        self._materialise(request, partial, start, strategy)
                    fetched = tree_size(partial / ".git" / "objects") - before
                    if limit is not None and fetched > limit:
                        raise GitTooLarge(f"{fetched} bytes")
                    if self._state(partial, request.commit) != "ok":
                        raise _Failure(
                            CloneStatus.ERROR, "checkout does not match the pinned commit"
                        )
                    try:
                        os.rename(partial, target)
                    except OSError:
                        if self._state(target, request.commit) != "ok":
                            raise
                        return result(CloneStatus.CACHED, path=str(target))  # another run won
                    return result(CloneStatus.CLONED, path=str(target), size=max(fetched, 0))
                finally:
                    _remove(partial)
                    with contextlib.suppress(OSError):
                        target.parent.rmdir()  # only if empty: nothing cached for this repository
        except _Failure as failure:
            return result(failure.status, failure.detail)
        except GitTimeout:
            return result(CloneStatus.TIMEOUT, f"no result within {self.settings.timeout:g}s")
        except GitTooLarge:
            return result(
                CloneStatus.TOO_LARGE, f"fetched more than {self.settings.max_size_mb:g} MB"
            )
        except GitAborted:
            return result(CloneStatus.ERROR, "run aborted")
        except Exception as error:  # one odd repository must not end the run
            return result(CloneStatus.ERROR, one_line(f"{type(error).__name__}: {error}"))

    def _check(self, request: CloneRequest) -> Path:
        """Validate a request before anything touches the disk or the network."""
        if not request.full_name:
            raise _Failure(CloneStatus.ERROR, "no full_name")
        if not request.commit:
            raise _Failure(CloneStatus.ERROR, "no pinned commit")
        if not _SHA.fullmatch(request.commit):
            raise _Failure(CloneStatus.ERROR, "pinned commit is not a full hex SHA")
        scheme, sep, _rest = request.clone_url.partition("://")
        if (
            not sep
            or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme)
            or any(ord(c) < 0x21 or c == "\x7f" for c in request.clone_url)
        ):
            raise _Failure(CloneStatus.ERROR, "clone_url is not a plain scheme://… URL")
        if scheme.lower() not in self.settings.protocols:
            raise _Failure(
                CloneStatus.ERROR,
                f"protocol {scheme.lower()!r} not allowed "
                f"(allowed: {', '.join(self.settings.protocols)})",
            )
        try:
            return checkout_path(self.settings.cache, request.full_name, request.commit)
        except ValueError as error:
            raise _Failure(CloneStatus.ERROR, str(error)) from None

    def _state(self, path: Path, commit: str) -> str:
        """'ok' (trust it), 'patterns' (right commit, other patterns), 'bad', or 'absent'."""
        if not path.exists() and not path.is_symlink():
            return "absent"
        try:
            if path.is_symlink() or not path.is_dir():
                return "bad"
            head = (path / ".git" / "HEAD").read_text(encoding="ascii").strip()
            patterns = (path / ".git" / "info" / "sparse-checkout").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return "bad"
        if head != commit:
            return "bad"
        if patterns != self.patterns_text:
            return "patterns"
        if self.settings.history and (path / ".git" / "shallow").exists():
            return "shallow"  # history wanted, a depth-1 checkout cached
        return "ok"

    def _git(
        self, args: list[str], repo: Path, start: float, *, network: bool = False
    ) -> GitOutput:
        watch = repo / ".git" / "objects" if network else None
        return self.git.run(
            args,
            repo=repo,
            deadline=start + self.settings.timeout,
            watch=watch,
            max_bytes=self.settings.max_bytes if network else None,
        )

    def _must(
        self, args: list[str], repo: Path, start: float, *, network: bool = False
    ) -> GitOutput:
        output = self._git(args, repo, start, network=network)
        if not output.ok:
            raise _Failure(classify_failure(output.stderr), one_line(output.stderr))
        return output

    def _materialise(
        self, request: CloneRequest, repo: Path, start: float, strategy: list[str]
    ) -> None:
        repo.mkdir(parents=True)
        self._must(["init", "--quiet", f"--template={self.git.template}"], repo, start)
        for key, value in (
            ("remote.origin.url", request.clone_url),
            ("core.sparseCheckout", "true"),
            ("core.sparseCheckoutCone", "false"),
            ("core.symlinks", "false"),
            ("core.hooksPath", os.devnull),
            ("submodule.recurse", "false"),
        ):
            self._must(["config", key, value], repo, start)
        info = repo / ".git" / "info"
        info.mkdir(exist_ok=True)
        (info / "attributes").write_text(_ATTRIBUTES, encoding="utf-8")
        (info / "sparse-checkout").write_text(self.patterns_text, encoding="utf-8")

        fetch = [
            "fetch",
            "--no-tags",
            "--no-recurse-submodules",
            "--no-auto-gc",
            "--filter=blob:none",
        ]
        strategy[0] = "pinned-sha"
        depth = [] if self.settings.history else ["--depth=1"]
        output = self._git([*fetch, *depth, "origin", request.commit], repo, start, network=True)
        stderr = output.stderr
        if not output.ok:
            status = classify_failure(output.stderr)
            if status is not CloneStatus.ERROR or not _refused(output.stderr):
                raise _Failure(status, one_line(output.stderr))
            stderr = self._fetch_history(request, repo, start, fetch, strategy)
            if self.settings.history and (repo / ".git" / "shallow").exists():
                self._unshallow(request, repo, start)
        strategy[0] += "+full-blobs" if "filtering not recognized" in stderr else "+blobless"
        if self.settings.history:
            strategy[0] += "+history"
        self._must(
            ["checkout", "--quiet", "--no-recurse-submodules", "--detach", request.commit],
            repo,
            start,
            network=True,
        )

    def _fetch_history(
        self, request: CloneRequest, repo: Path, start: float, fetch: list[str], strategy: list[str]
    ) -> str:
        """The server will not send the pinned SHA by name: find it in the branch history."""
        branch = request.default_branch
        if branch and not _BRANCH.fullmatch(branch):
            raise _Failure(CloneStatus.ERROR, "default_branch is not a valid branch name")
        refspec = (
            f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
            if branch
            else "+HEAD:refs/remotes/origin/HEAD"
        )
        strategy[0] = "branch-deepen"
        stderr = self._must(
            [*fetch, f"--depth={_DEEPEN_START}", "origin", refspec], repo, start, network=True
        ).stderr
        deepen = _DEEPEN_START
        for _ in range(_DEEPEN_ROUNDS):
            if (
                self._has_commit(repo, request.commit, start)
                or not (repo / ".git" / "shallow").exists()
            ):
                break
            self._must([*fetch, f"--deepen={deepen}", "origin", refspec], repo, start, network=True)
            deepen *= 2
        if not self._has_commit(repo, request.commit, start):
            strategy[0] = "all-refs"
            unshallow = ["--unshallow"] if (repo / ".git" / "shallow").exists() else []
            self._must(
                [
                    *fetch,
                    *unshallow,
                    "origin",
                    "+refs/heads/*:refs/remotes/origin/*",
                    "+refs/tags/*:refs/tags/*",
                ],
                repo,
                start,
                network=True,
            )
            if not self._has_commit(repo, request.commit, start):
                raise _Failure(
                    CloneStatus.ERROR, "pinned commit is not on the server (history rewritten?)"
                )
        return stderr

    def _unshallow(self, request: CloneRequest, repo: Path, start: float) -> None:
        """Deepen a shallow checkout to the pinned commit's whole history (commits and trees;
        blobs stay on the server): by the pinned SHA, else from every branch."""
        fetch = [
            "fetch",
            "--no-tags",
            "--no-recurse-submodules",
            "--no-auto-gc",
            "--filter=blob:none",
            "--unshallow",
            "origin",
        ]
        output = self._git([*fetch, request.commit], repo, start, network=True)
        if not output.ok:
            self._must([*fetch, "+refs/heads/*:refs/remotes/origin/*"], repo, start, network=True)

    def _has_commit(self, repo: Path, commit: str, start: float) -> bool:
        # rev-list walks commits only, so it never triggers a lazy fetch from the promisor remote
        # (cat-file -e would ask the server for the very object it refused to send).
        return commit in self._must(["rev-list", "--all"], repo, start).stdout.split()

    def _resparse(self, repo: Path, start: float) -> None:
        (repo / ".git" / "info" / "sparse-checkout").write_text(
            self.patterns_text, encoding="utf-8"
        )
        self._must(["sparse-checkout", "reapply"], repo, start, network=True)


def _remove(path: Path) -> None:
    """Delete `path` if it exists, without following it if it is a symlink."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _refused(stderr: str) -> bool:
    text = stderr.lower()
    return any(
        s in text
        for s in (
            "not our ref",
            "unadvertised object",
            "couldn't find remote ref",
            "no such remote ref",
        )
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
