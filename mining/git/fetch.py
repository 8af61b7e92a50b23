"""Getting one pinned commit into a partial checkout, and what git's failures mean.

    git fetch --depth=1 --filter=blob:none --no-tags origin <pinned sha>

brings one commit and its trees, no file contents; `mining.git.sparse` then fetches, in one
batch, the blobs the sparse checkout writes (and reads their sizes before anything is written):
two requests in all. History, data files, models and images are never transferred.
`benchmarks/bench_clone.py` measured (git 2.39, over file://, so seconds are mostly local CPU;
on a network they follow the bytes) on a generated repository of 3,000 commits, 400 Python
modules, 20 notebooks and 60 MB of binary data (40 MB more rewritten during the history), 119
MB packed:

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from analyzers.repo.gitsafe import GitOutput, SafeGit, scrub

_BRANCH = re.compile(r"(?!-)(?!.*\.\.)(?!.*@\{)(?!.*//)[^\x00-\x20\x7f~^:?*\[\\]{1,250}(?<![./])")
_DEEPEN_START, _DEEPEN_ROUNDS = 64, 5
_FETCH = ("fetch", "--no-tags", "--no-recurse-submodules", "--no-auto-gc", "--filter=blob:none")


class CloneStatus(StrEnum):
    CLONED = "cloned"
    CACHED = "cached"
    UNPINNED = "unpinned"
    NOT_FOUND = "not-found"
    UNAVAILABLE = "unavailable"
    TOO_LARGE = "too-large"
    TIMEOUT = "timeout"
    ERROR = "error"


class CloneFailure(Exception):
    """A repository that cannot be cloned, with its status and a one-line reason."""

    def __init__(self, status: CloneStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


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


# What git says when the server lacks an object it was asked for (a blob a snapshot or a
# damaged repository cannot send): the file is unreadable, the rest of the repository is not.
_CANNOT_SEND = (
    "not our ref",
    "unable to read",
    "possible repository corruption",
    "did not send all necessary objects",
    "bad object",
)


def cannot_send(stderr: str) -> bool:
    text = stderr.lower()
    return any(phrase in text for phrase in _CANNOT_SEND)


def one_line(message: str, limit: int = 240) -> str:
    """The most telling line of git's output, without credentials, at most `limit` characters
    (a study replaces the paths of this machine it names: `mining.study.portable`)."""
    lines = [line.strip() for line in scrub(message).splitlines() if line.strip()]
    # git's first fatal/error line names the cause ("'x' does not appear to be a git
    # repository"); the ones after it are consequences ("Could not read from remote").
    tagged = [line for line in lines if line.lower().startswith(("fatal:", "error:"))]
    remote = [line for line in lines if line.lower().startswith("remote:")]
    chosen = tagged[0] if tagged else remote[-1] if remote else lines[-1] if lines else "git failed"
    text = " ".join(chosen.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


@dataclass(frozen=True, slots=True)
class RepoGit:
    """git on one partial checkout, within the repository's deadline and size limit."""

    git: SafeGit
    repo: Path
    deadline: float
    max_bytes: int | None

    def __call__(
        self,
        args: list[str],
        *,
        network: bool = False,
        stdin: bytes | None = None,
        accept: tuple[int, ...] | None = (0,),
    ) -> GitOutput:
        """Run git; `network` commands are watched by the size limit. A return code outside
        `accept` is a `CloneFailure` (`accept=None`: any code, the caller looks)."""
        output = self.git.run(
            args,
            repo=self.repo,
            deadline=self.deadline,
            watch=self.repo / ".git" / "objects" if network else None,
            max_bytes=self.max_bytes if network else None,
            stdin=stdin,
        )
        if accept is not None and output.returncode not in accept:
            raise CloneFailure(classify_failure(output.stderr), one_line(output.stderr))
        return output

    @property
    def shallow(self) -> bool:
        return (self.repo / ".git" / "shallow").exists()

    def fetch_pinned(self, commit: str, branch: str, history: bool, strategy: list[str]) -> None:
        """Fetch `commit` (with its whole history of commits and trees if `history`);
        `strategy[0]` says how far it got, and in the end what worked."""
        depth = [] if history else ["--depth=1"]
        strategy[0] = "pinned-sha"
        output = self([*_FETCH, *depth, "origin", commit], network=True, accept=None)
        stderr = output.stderr
        if not output.ok:
            status = classify_failure(output.stderr)
            if status is not CloneStatus.ERROR or not _refused(output.stderr):
                raise CloneFailure(status, one_line(output.stderr))
            stderr = self._find_in_branches(commit, branch, strategy)
            if history and self.shallow:
                self.unshallow(commit)
        strategy[0] += "+full-blobs" if "filtering not recognized" in stderr else "+blobless"
        strategy[0] += "+history" if history else ""

    def _find_in_branches(self, commit: str, branch: str, strategy: list[str]) -> str:
        """The server will not send the pinned SHA by name: find it in the branch history."""
        if branch and not _BRANCH.fullmatch(branch):
            raise CloneFailure(CloneStatus.ERROR, "default_branch is not a valid branch name")
        refspec = (
            f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
            if branch
            else "+HEAD:refs/remotes/origin/HEAD"
        )
        strategy[0] = "branch-deepen"
        stderr = self([*_FETCH, f"--depth={_DEEPEN_START}", "origin", refspec], network=True).stderr
        deepen = _DEEPEN_START
        for _ in range(_DEEPEN_ROUNDS):
            if self.has_commit(commit) or not self.shallow:
                break
            self([*_FETCH, f"--deepen={deepen}", "origin", refspec], network=True)
            deepen *= 2
        if self.has_commit(commit):
            return stderr
        strategy[0] = "all-refs"
        unshallow = ["--unshallow"] if self.shallow else []
        every = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
        self([*_FETCH, *unshallow, "origin", *every], network=True)
        if not self.has_commit(commit):
            raise CloneFailure(
                CloneStatus.ERROR, "pinned commit is not on the server (history rewritten?)"
            )
        return stderr

    def unshallow(self, commit: str) -> None:
        """Deepen a shallow checkout to the pinned commit's whole history (commits and trees;
        blobs stay on the server): by the pinned SHA, else from every branch."""
        fetch = [*_FETCH, "--unshallow", "origin"]
        if not self([*fetch, commit], network=True, accept=None).ok:
            self([*fetch, "+refs/heads/*:refs/remotes/origin/*"], network=True)

    def has_commit(self, commit: str) -> bool:
        # rev-list walks commits only, so it never triggers a lazy fetch from the promisor remote
        # (cat-file -e would ask the server for the very object it refused to send).
        return commit in self(["rev-list", "--all"]).stdout.split()
