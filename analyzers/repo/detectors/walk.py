"""The one walk of a repository for every detector: file names from the checkout's git tree (so
a file the sparse checkout did not fetch still counts by its name), contents from disk.

Paths come in the scanner's order (directory by directory, names sorted); vendored trees are
skipped. Each file is read and decoded once for all the detectors reading it; a finding is
reported once per repository. `signals.csv` and `ecosystem.csv` are each this walk with the
detectors that write to them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence

from analyzers.records import RepoRef
from analyzers.repo.detectors.base import Content, Detector, Finding
from analyzers.repo.detectors.code import python_code
from analyzers.repo.detectors.registry import DETECTORS
from analyzers.repo.files import (
    ALWAYS_SKIPPED,
    VENDORED_DIRS,
    escape_path,
    regular_files,
    unescape_path,
)
from analyzers.repo.gitsafe import head_tree

MAX_TEXT_BYTES = 1024 * 1024  # configuration and dependency files
MAX_SCRIPT_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024


def tree_paths(root: str) -> list[str] | None:
    """Every file path of the checkout's HEAD tree (including files a sparse checkout left out),
    or None when `root` is not the top of a git checkout. Reads trees only, never a blob, and
    through `gitsafe`, so the checkout's own config cannot run anything."""
    listing = head_tree(root)
    if listing is None:
        return None
    paths = []
    for entry in os.fsdecode(listing).split("\0"):  # names as the walk decodes them
        meta, tab, path = entry.partition("\t")
        # Regular files only: no symlink (120000), no submodule (160000).
        if tab and meta.split(" ")[0] in ("100644", "100755"):
            paths.append(escape_path(path))
    return paths


def _vendored(path: str) -> bool:
    return any(part in VENDORED_DIRS or part in ALWAYS_SKIPPED for part in path.split("/")[:-1])


def _limit(path: str) -> int:
    if path.endswith(".ipynb"):
        return MAX_NOTEBOOK_BYTES
    return MAX_SCRIPT_BYTES if path.endswith(".py") else MAX_TEXT_BYTES


def _read(root: str, path: str) -> bytes | None:
    """The file's bytes if it is a regular file on disk within its size limit, else None."""
    full = os.path.join(root, *unescape_path(path).split("/"))
    limit = _limit(path)
    try:
        info = os.lstat(full)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with open(full, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None


def detect_file(
    path: str, data: bytes | None, detectors: Sequence[Detector] = DETECTORS
) -> Iterator[Finding]:
    """What the detectors reading `path` find in it: by its name alone when `data` is None
    (not on disk, too large), else by its content too. Decoded once for all of them."""
    inputs: dict[Content, str | None] = {Content.NAME: None}
    for detector in detectors:
        if not detector.reads(path):
            continue
        if detector.content not in inputs:
            inputs[detector.content] = _content(detector.content, path, data)
        yield from detector.detect(path, inputs[detector.content])


def _content(content: Content, path: str, data: bytes | None) -> str | None:
    if data is None:
        return None
    if content is Content.CODE:
        return python_code(data, path.endswith(".ipynb"))
    return data.decode("utf-8", errors="replace")


def repository_paths(repo: RepoRef, include_vendored: bool = False) -> list[str]:
    """The repository's file paths in walk order: its git tree, else the files on disk;
    vendored trees skipped unless `include_vendored`."""
    listed = tree_paths(repo.root)
    if listed is None:
        return [path for path, _ in regular_files(repo.root, include_vendored)]
    kept = listed if include_vendored else [path for path in listed if not _vendored(path)]
    return sorted(kept, key=lambda path: path.split("/"))


def detect_repository(
    repo: RepoRef, table: str | None = None, include_vendored: bool = False
) -> Iterator[Finding]:
    """Every finding of the repository, for `table` only when given (then only the detectors
    writing to it run), in path order, each once."""
    detectors = [d for d in DETECTORS if table is None or table in d.tables]
    seen: set[Finding] = set()
    for path in repository_paths(repo, include_vendored):
        if not any(detector.reads(path) for detector in detectors):
            continue
        for finding in detect_file(path, _read(repo.root, path), detectors):
            if (table is None or finding.table == table) and finding not in seen:
                seen.add(finding)
                yield finding
