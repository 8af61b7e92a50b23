"""Where checkouts live in the clone cache, and what a killed run left there.

A checkout of `owner/name` at `sha` is `<cache>/<owner>__<name>/<sha>/`; it is built in
`<sha>.partial-<pid>-<n>` beside it and renamed into place once verified, so a `.partial-*`
directory is never trusted: `sweep_partials` deletes those of processes that no longer run.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from pathlib import Path

from analyzers.repo.lifetime import is_running

SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_GITHUB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_PARTIAL = re.compile(r"\.partial-(\d+)-\d+$")


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
    if not SHA.fullmatch(commit):
        raise ValueError(f"not a full hex commit id: {commit!r}")
    path = cache / cache_key(full_name) / commit
    if path.resolve().parent.parent != cache.resolve():
        raise ValueError(f"repository name escapes the cache: {full_name!r}")
    return path


def partial_path(target: Path, pid: int, serial: int) -> Path:
    """Where a checkout is built before it is renamed to `target`."""
    return target.with_name(f"{target.name}.partial-{pid}-{serial}")


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
            if match and not is_running(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


def remove(path: Path) -> None:
    """Delete `path` if it exists, without following it if it is a symlink."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)
