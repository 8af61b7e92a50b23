"""What a checkout holds, from git's tree: each file's path and blob, read without a blob.

Two per-repository tables come from it:

* `blobs.csv`: the git blob SHA of every `.py` and `.ipynb` file of the pinned commit, so a
  study can tell template copies and near-duplicates apart (`analyzers.study.duplicates`);
* `layout.csv`: the evidence the purpose rule reads from a checkout (`analyzers.repo.purpose`):
  README headings and layout counts.

The tree is listed through `gitsafe` (the checkout's own config runs nothing), so files a
sparse checkout left out still count. Outside git, the files on disk are listed and hashed the
way git would.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Any

from analyzers.records import RepoRef
from analyzers.repo.cache import blob_sha
from analyzers.repo.files import ALWAYS_SKIPPED, VENDORED_DIRS, escape_path
from analyzers.repo.gitsafe import head_tree
from analyzers.repo.purpose import evidence_row
from analyzers.schema import columns

BLOB_COLUMNS = columns("blobs")  # declared in analyzers/schema.py
LAYOUT_COLUMNS = columns("layout")
MAX_HASHED_BYTES = 50 * 1024 * 1024  # outside git, larger files are not hashed
CODE_SUFFIXES = (".py", ".ipynb")


def tree_files(root: str) -> list[tuple[str, str]] | None:
    """(path, blob SHA) of every regular file of the checkout's HEAD tree, or None when `root`
    is not the top of a git checkout."""
    listing = head_tree(root)
    if listing is None:
        return None
    files = []
    for entry in os.fsdecode(listing).split("\0"):  # names as the walk decodes them
        meta, tab, path = entry.partition("\t")
        fields = meta.split(" ")
        # Regular files only: no symlink (120000), no submodule (160000).
        if tab and len(fields) == 3 and fields[0] in ("100644", "100755"):
            files.append((escape_path(path), fields[2]))
    return files


def _vendored(path: str) -> bool:
    return any(part in VENDORED_DIRS or part in ALWAYS_SKIPPED for part in path.split("/")[:-1])


def _disk_files(root: str) -> list[tuple[str, str]]:
    """(path, blob SHA) of the .py and .ipynb files on disk, as git would hash them."""
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in ALWAYS_SKIPPED)
        relative = os.path.relpath(directory, root)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in sorted(names):
            full = os.path.join(directory, name)
            if not name.endswith(CODE_SUFFIXES):
                continue
            try:
                info = os.lstat(full)  # no link followed, no FIFO opened (it would block)
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_HASHED_BYTES:
                    continue
                with open(full, "rb") as handle:
                    found.append((escape_path(prefix + name), blob_sha(handle.read())))
            except OSError:
                continue
    return found


def blob_rows(repo: RepoRef) -> Iterator[dict[str, Any]]:
    """One row per .py and .ipynb file outside vendored trees: its blob SHA."""
    files = tree_files(repo.root)
    if files is None:
        files = _disk_files(repo.root)
    for path, blob in sorted(files):
        if path.endswith(CODE_SUFFIXES) and not _vendored(path):
            yield {"repo": repo.name, "commit": repo.commit, "path": path, "blob": blob}


def layout_rows(repo: RepoRef) -> Iterator[dict[str, Any]]:
    """The one row of layout.csv: README headings and layout counts for the purpose rule."""
    files = tree_files(repo.root)
    paths = None if files is None else [path for path, _ in files]
    yield evidence_row(repo.name, repo.commit, repo.root, paths)
