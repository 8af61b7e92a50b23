"""What git says of a local checkout: where its work tree starts, its name and commit, and
which files on disk are not the ones that commit holds.

Every git command goes through the hardened runner (`gitsafe.SafeGit`), so the checkout's own
hooks, config and filters run nothing. Whether a file differs from the commit is decided here,
on bytes, against the blob SHAs `git ls-tree` lists: git's own `status` or `diff` would run the
clean filters a checkout's config names. A file git converts at checkout (an `eol=crlf`
attribute, a filter) therefore counts as changed.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzers.records import RepoRef
from analyzers.repo.files import escape_path

_GITHUB_REMOTE = re.compile(r"github\.com[:/]+([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")
_SHA = re.compile(r"[0-9a-f]{7,64}")
GIT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Committed:
    """A file as the commit holds it."""

    blob: str
    size: int  # -1 when git does not say (not a blob)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a scanned path sits: `prefix` makes its entries' paths relative to the repository
    root (escaped, "" or ending in "/"); `committed` lists what `commit` holds under it, by the
    same paths (None: no commit to compare with)."""

    prefix: str = ""
    committed: Mapping[str, Committed] | None = None


def worktree_of(path: str | os.PathLike[str]) -> str | None:
    """The top of the git work tree holding `path` (the directory with the `.git`), or None."""
    current = os.path.realpath(path)
    if not os.path.isdir(current):
        current = os.path.dirname(current)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def describe_repo(
    path: str | os.PathLike[str], name: str | None = None, commit: str | None = None
) -> RepoRef:
    """A RepoRef for a local path: its GitHub `owner/name` from the `origin` remote when there
    is one (else the name of the repository's directory, or of `path` outside git) and its
    HEAD commit (empty outside git, or before the first commit)."""
    root = os.path.abspath(path)
    top = worktree_of(root)
    if top is None:
        return RepoRef(root=root, name=name or escape_path(os.path.basename(root)), commit="")
    if name is None:
        remote = _git(top, "config", "--get", "remote.origin.url")
        match = _GITHUB_REMOTE.search(remote)
        name = f"{match.group(1)}/{match.group(2)}" if match else escape_path(os.path.basename(top))
    if commit is None:
        commit = _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return RepoRef(root=root, name=name, commit=commit)


def layout_of(repo: RepoRef) -> Layout:
    """The prefix of `repo.root` inside its repository, and what `repo.commit` holds there."""
    top = worktree_of(repo.root)
    if top is None:
        return Layout()
    directory = os.path.realpath(repo.root)
    if not os.path.isdir(directory):
        directory = os.path.dirname(directory)
    relative = os.path.relpath(directory, top)
    below = "" if relative == "." else relative.replace(os.sep, "/") + "/"
    # A commit is named by its SHA: anything else (an option, say) is never passed to git.
    sha = _SHA.fullmatch(repo.commit) is not None
    committed = _committed(top, repo.commit, below) if sha else None
    return Layout(escape_path(below), committed)


def _committed(top: str, commit: str, below: str) -> dict[str, Committed] | None:
    """Escaped path (from the repository root) → blob, for the files `commit` holds under
    `below`; None when git cannot tell."""
    pathspec = ["--", below] if below else []
    args = ["--literal-pathspecs", "ls-tree", "-r", "-z", "-l", "--full-tree", commit, *pathspec]
    raw = _run(top, args)
    if raw is None:
        return None
    listing = os.fsdecode(raw)  # file names as the walk decodes them, exact whatever the bytes
    committed = {}
    for record in listing.split("\0"):
        meta, tab, path = record.partition("\t")
        fields = meta.split()
        if tab and len(fields) == 4:
            size = int(fields[3]) if fields[3].isdigit() else -1
            committed[escape_path(path)] = Committed(fields[2], size)
    return committed


def _git(top: str, *args: str) -> str:
    """Read-only git in the work tree `top`: its output, or "" when it fails."""
    return (_run(top, args) or b"").decode("utf-8", "replace").strip()


def _run(top: str, args: Sequence[str]) -> bytes | None:
    # Imported here: GitPython costs time, and a scan of a plain directory never needs it.
    from analyzers.repo.gitsafe import SafeGit

    with tempfile.TemporaryDirectory(prefix="mlflow-miner-git-") as scratch:
        git = SafeGit(Path(scratch), protocols=("file",), extra_config=[("safe.directory", "*")])
        try:
            done = git.run(args, repo=Path(top), deadline=time.monotonic() + GIT_SECONDS)
        except Exception:  # no git, a timeout...: what git would have said stays unknown
            return None
    return done.raw if done.returncode == 0 else None
