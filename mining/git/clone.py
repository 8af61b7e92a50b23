"""`mlflow-miner clone`: materialise each repository of a dataset at its pinned commit, fetching
only the files the analyses read.

For each repository: `git init` into a private `<sha>.partial-*` directory, fetch the pinned
commit without any file content (`mining.git.fetch`: the strategy, its measurements and its
fallbacks), decide what the sparse checkout may write and fetch just that (`mining.git.sparse`:
the patterns and the size guard), then `git checkout --detach <sha>`.

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
work tree instead. If the runner itself is killed, its git commands die with it
(`analyzers.repo.lifetime`); their partial directories are swept by the next run.

Safety (see `analyzers.repo.gitsafe`)
-----------------------------
No repository code runs: no hooks (empty template, `core.hooksPath=/dev/null`), no submodules,
no filter drivers (`$GIT_DIR/info/attributes` unsets `filter` for every path, which beats any
`.gitattributes`, and the lfs driver is blanked), no credential helper or prompt, protocols
limited to https unless more are asked for. `core.symlinks=false`: a symlink is checked out as
a small regular file holding its target path, so nothing downstream can follow it out of the
tree. `text`, `eol` and `working-tree-encoding` are unset too, so every checked-out file is
byte-identical to its blob. Each repository has a deadline (its git process group is killed)
and a size limit checked against the dataset's `size_kb` before, against the object store
while fetching, and against the blobs' sizes before anything is written (a file over the
per-file cap is left out, the rest checked out).

Serving over file:// runs `git upload-pack` on the source repository with that repository's own
config: allow `file` only for repositories you trust.

Statuses (`repos.csv`): cloned, cached, unpinned (no commit in the dataset), not-found
(deleted, private, or no such path), unavailable (DMCA / HTTP 451 / disabled by GitHub),
too-large, timeout, error; README's "Bad input" says what a run does with each. `bytes` is what
this run added to the object store (0 when cached); `seconds` is wall time for the repository.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzers.repo.cache import cache_root
from analyzers.repo.gitsafe import (
    GitAborted,
    GitTimeout,
    GitTooLarge,
    SafeGit,
    tree_size,
)
from analyzers.schema import columns
from mining.git.checkouts import (
    SHA,
    checkout_path,
    partial_path,
    remove,
    sweep_partials,
)
from mining.git.fetch import (
    CloneFailure,
    CloneStatus,
    RepoGit,
    one_line,
)
from mining.git.sparse import (
    SPARSE_PATTERNS,
    LeftOut,
    TooLarge,
    matches,
    plan_checkout,
    read_left_out,
)

REQUIRED_COLUMNS = ("full_name", "clone_url", "commit")
REPOS_COLUMNS = columns("clones")  # declared in analyzers/schema.py

# Wins over every .gitattributes in the tree: no filter driver can run, and files are checked
# out exactly as their blobs.
_ATTRIBUTES = "* -filter -ident -text -eol -working-tree-encoding\n"


@dataclass(frozen=True, slots=True)
class CloneRequest:
    """One dataset row: which repository, from where, at which commit."""

    full_name: str
    clone_url: str
    commit: str
    size_kb: int | None = None
    default_branch: str = ""
    note: str = ""  # the crawler's reason when it could not pin a commit

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
            note=str(row.get("note") or "").strip(),
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
    left_out: tuple[LeftOut, ...] = ()  # files over the per-file cap, not written

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
    # The largest file any analysis reads (a notebook, 50 MiB): bigger ones are left out.
    max_file_mb: float | None = 50.0
    protocols: tuple[str, ...] = ("https",)
    patterns: tuple[str, ...] = SPARSE_PATTERNS
    protocol_version: int | None = None
    history: bool = False
    # (prefix as the dataset writes it, prefix fetched instead): git's url.<base>.insteadOf,
    # kept in each checkout's config; the demo's dataset names no path of this machine.
    url_rewrites: tuple[tuple[str, str], ...] = ()

    @property
    def max_bytes(self) -> int | None:
        return None if self.max_size_mb is None else int(self.max_size_mb * 1024 * 1024)

    @property
    def max_file_bytes(self) -> int | None:
        caps = [cap for cap in (self.max_file_mb, self.max_size_mb) if cap is not None]
        return int(min(caps) * 1024 * 1024) if caps else None


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
            status: CloneStatus,
            detail: str = "",
            path: str = "",
            size: int = 0,
            left_out: tuple[LeftOut, ...] = (),
        ) -> CloneResult:
            return CloneResult(
                request.full_name,
                request.commit,
                status,
                detail or _left_out_detail(left_out, self.settings.max_file_bytes),
                path,
                round(time.monotonic() - start, 3),
                size,
                strategy[0],
                left_out,
            )

        try:
            target = self._check(request)
            with self._lock(target):
                state = self._state(target, request.commit)
                if state == "ok":
                    strategy[0] = "cache"
                    return result(CloneStatus.CACHED, path=str(target), left_out=_left(target))
                self._check_size(request)
                partial = partial_path(target, os.getpid(), next(self._serial))
                try:
                    fetched = self._build(request, target, partial, state, start, strategy)
                    try:
                        os.rename(partial, target)
                    except OSError:
                        if self._state(target, request.commit) != "ok":
                            raise
                        # another run won
                        return result(CloneStatus.CACHED, path=str(target), left_out=_left(target))
                    return result(
                        CloneStatus.CLONED, path=str(target), size=fetched, left_out=_left(target)
                    )
                finally:
                    remove(partial)
                    with contextlib.suppress(OSError):
                        target.parent.rmdir()  # only if empty: nothing cached for this repository
        except CloneFailure as failure:
            return result(failure.status, failure.detail)
        except GitTimeout:
            return result(CloneStatus.TIMEOUT, f"no result within {self.settings.timeout:g}s")
        except GitTooLarge:
            return result(
                CloneStatus.TOO_LARGE, f"fetched more than {self.settings.max_size_mb:g} MB"
            )
        except TooLarge as error:
            return result(CloneStatus.TOO_LARGE, str(error))
        except GitAborted:
            return result(CloneStatus.ERROR, "run aborted")
        except Exception as error:  # one odd repository must not end the run
            return result(CloneStatus.ERROR, one_line(f"{type(error).__name__}: {error}"))

    def _check_size(self, request: CloneRequest) -> None:
        limit = self.settings.max_bytes
        if limit is not None and request.size_kb is not None and request.size_kb * 1024 > limit:
            raise CloneFailure(
                CloneStatus.TOO_LARGE,
                f"size_kb {request.size_kb} is over {self.settings.max_size_mb:g} MB",
            )

    def _build(
        self,
        request: CloneRequest,
        target: Path,
        partial: Path,
        state: str,
        start: float,
        strategy: list[str],
    ) -> int:
        """Make a verified checkout at `partial` (anew, or from the cached one at `target`);
        returns the bytes it fetched."""
        if state in ("patterns", "shallow"):
            os.rename(target, partial)
            before = tree_size(partial / ".git" / "objects")
            strategy[0] = "resparse"
            if self.settings.history and (partial / ".git" / "shallow").exists():
                strategy[0] = "unshallow"
                self._repo_git(partial, start).unshallow(request.commit)
            if state == "patterns":
                self._resparse(request.commit, partial, start)
        else:
            if state == "bad":
                os.rename(target, partial)
                remove(partial)
            before = 0
            self._materialise(request, partial, start, strategy)
        fetched = tree_size(partial / ".git" / "objects") - before
        limit = self.settings.max_bytes
        if limit is not None and fetched > limit:
            raise GitTooLarge(f"{fetched} bytes")
        if self._state(partial, request.commit) != "ok":
            raise CloneFailure(CloneStatus.ERROR, "checkout does not match the pinned commit")
        return max(fetched, 0)

    def _check(self, request: CloneRequest) -> Path:
        """Validate a request before anything touches the disk or the network."""
        if not request.full_name:
            raise CloneFailure(CloneStatus.ERROR, "no full_name")
        if not request.commit:
            raise CloneFailure(CloneStatus.UNPINNED, request.note or "no pinned commit")
        if not SHA.fullmatch(request.commit):
            raise CloneFailure(CloneStatus.ERROR, "pinned commit is not a full hex SHA")
        scheme, sep, _rest = request.clone_url.partition("://")
        if (
            not sep
            or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme)
            or any(ord(c) < 0x21 or c == "\x7f" for c in request.clone_url)
        ):
            raise CloneFailure(CloneStatus.ERROR, "clone_url is not a plain scheme://… URL")
        if scheme.lower() not in self.settings.protocols:
            raise CloneFailure(
                CloneStatus.ERROR,
                f"protocol {scheme.lower()!r} not allowed "
                f"(allowed: {', '.join(self.settings.protocols)})",
            )
        try:
            return checkout_path(self.settings.cache, request.full_name, request.commit)
        except ValueError as error:
            raise CloneFailure(CloneStatus.ERROR, str(error)) from None

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
        if not matches(patterns, self.patterns_text, self.settings.max_file_bytes):
            return "patterns"  # other patterns, or another per-file cap
        if self.settings.history and (path / ".git" / "shallow").exists():
            return "shallow"  # history wanted, a depth-1 checkout cached
        return "ok"

    def _repo_git(self, repo: Path, start: float) -> RepoGit:
        return RepoGit(self.git, repo, start + self.settings.timeout, self.settings.max_bytes)

    def _materialise(
        self, request: CloneRequest, repo: Path, start: float, strategy: list[str]
    ) -> None:
        git = self._repo_git(repo, start)
        repo.mkdir(parents=True)
        git(["init", "--quiet", f"--template={self.git.template}"])
        # One write instead of a `git config` process per key: a clone's configuration costs
        # one git process (`init`), the runner's `-c` overrides still win over all of it.
        with (repo / ".git" / "config").open("a", encoding="utf-8") as config:
            config.write(checkout_config(request.clone_url, self.settings.url_rewrites))
        info = repo / ".git" / "info"
        info.mkdir(exist_ok=True)
        (info / "attributes").write_text(_ATTRIBUTES, encoding="utf-8")
        # What the checkout may write is decided by `_plan`, once the trees are here.
        (info / "sparse-checkout").write_text("", encoding="utf-8")
        git.fetch_pinned(request.commit, request.default_branch, self.settings.history, strategy)
        self._plan(request.commit, git, blobless="+blobless" in strategy[0])
        git(
            ["checkout", "--quiet", "--no-recurse-submodules", "--detach", request.commit],
            network=True,
        )

    def _resparse(self, commit: str, repo: Path, start: float) -> None:
        git = self._repo_git(repo, start)
        self._plan(commit, git)
        git(["sparse-checkout", "reapply"], network=True)

    def _plan(self, commit: str, git: RepoGit, blobless: bool = False) -> tuple[LeftOut, ...]:
        """Before anything is written: what the checkout writes, within the size caps."""
        return plan_checkout(
            git,
            git.repo,
            commit,
            self.patterns_text,
            self.settings.max_file_bytes,
            self.settings.max_bytes,
            blobless,
        )


def _quoted(text: str) -> str:
    """`text` as a double-quoted git config value or subsection name."""
    if any(c in text for c in "\n\r\0"):
        raise CloneFailure(CloneStatus.ERROR, "a URL in the clone settings spans lines")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def checkout_config(clone_url: str, url_rewrites: Iterable[tuple[str, str]] = ()) -> str:
    """What a checkout's `.git/config` gets beside `git init`'s own: the origin, the sparse
    checkout's mode and the safety settings it keeps for every later git command on it."""
    lines = [
        "[core]",
        "\tsparseCheckout = true",
        "\tsparseCheckoutCone = false",
        "\tsymlinks = false",
        f"\thooksPath = {_quoted(os.devnull)}",
        "[submodule]",
        "\trecurse = false",
        '[remote "origin"]',
        f"\turl = {_quoted(clone_url)}",
    ]
    for prefix, to in url_rewrites:
        lines += [f"[url {_quoted(to)}]", f"\tinsteadOf = {_quoted(prefix)}"]
    return "".join(f"{line}\n" for line in lines)


def _left(checkout: Path) -> tuple[LeftOut, ...]:
    return read_left_out(checkout / ".git")


def _left_out_detail(left_out: tuple[LeftOut, ...], cap: int | None) -> str:
    """repos.csv's detail for a checkout that left files out: too large (analysed as
    too-large) or unreadable (the server could not send them)."""
    parts = []
    for unreadable, reason in (
        (False, f" over {cap / 1024 / 1024:g} MB" if cap is not None else ""),
        (True, " the server could not send"),
    ):
        items = [item for item in left_out if item.unreadable is unreadable]
        if items:
            shown = ", ".join(item.describe() for item in items[:3])
            more = f" and {len(items) - 3} more" if len(items) > 3 else ""
            parts.append(f"left out {len(items)} file(s){reason}, the rest analysed: {shown}{more}")
    return "; ".join(parts)


__all__ = [
    "REPOS_COLUMNS",
    "REQUIRED_COLUMNS",
    "SPARSE_PATTERNS",
    "CloneRequest",
    "CloneResult",
    "CloneSettings",
    "CloneStatus",
    "LeftOut",
    "clone_all",
]
