"""Walk a repository for the files the analyzer reads, never leaving it.

Symbolic links are reported, never followed, so nothing outside the scanned root is read.
Vendored trees are reported once and skipped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from operator import attrgetter

from analyzers.records import FileKind, FileStatus

SUFFIX_KINDS = {".py": FileKind.SCRIPT, ".ipynb": FileKind.NOTEBOOK}
# Directory names that hold other people's code or build output, not the project's own.
VENDORED_DIRS = frozenset(
    {
        "venv",
        ".venv",
        "site-packages",
        "node_modules",
        "build",
        "dist",
        ".tox",
        ".nox",
        ".eggs",
        "__pypackages__",
    }
)
ALWAYS_SKIPPED = frozenset({".git", ".hg", ".svn", "__pycache__", ".ipynb_checkpoints"})


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What `stat` says of a file; while it is unchanged, so are the file's bytes."""

    size: int
    modified_ns: int
    changed_ns: int  # ctime: content or metadata last changed (cannot be set back by hand)
    inode: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileStamp:
        return cls(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)

    @property
    def key(self) -> str:
        return f"{self.size}:{self.modified_ns}:{self.changed_ns}:{self.inode}"


@dataclass(frozen=True, slots=True)
class Entry:
    """A file to analyse (status None) or something seen and not analysed (status set)."""

    path: str  # relative to the root, "/"-separated
    kind: FileKind
    status: FileStatus | None = None
    detail: str = ""
    stamp: FileStamp | None = None  # for a file to analyse

    @property
    def size(self) -> int:
        return self.stamp.size if self.stamp is not None else 0


def walk(root: str, include_vendored: bool = False) -> Iterator[Entry]:
    """Entries under `root` in a stable order (sorted by path)."""
    root = os.path.abspath(root)
    if os.path.isfile(root):
        name = os.path.basename(root)
        kind = SUFFIX_KINDS.get(os.path.splitext(name)[1])
        if kind is not None:
            yield Entry(name, kind, stamp=FileStamp.of(os.stat(root)))
        return
    for path, child, info in _tree(root, include_vendored):
        if isinstance(info, OSError):
            if child is None:
                yield Entry(
                    path,
                    FileKind.DIRECTORY,
                    FileStatus.UNREADABLE,
                    f"cannot list directory: {info.strerror}",
                )
            else:
                yield Entry(
                    path,
                    _kind_of(child.name),
                    FileStatus.UNREADABLE,
                    f"cannot stat: {info.strerror}",
                )
        elif stat.S_ISREG(info.st_mode):
            kind = SUFFIX_KINDS.get(os.path.splitext(path)[1])
            if kind is not None:
                yield Entry(path, kind, stamp=FileStamp.of(info))
        elif stat.S_ISLNK(info.st_mode):
            kind = _kind_of(path)
            if kind is not FileKind.DIRECTORY or _points_to_dir(child.path):
                yield Entry(path, kind, FileStatus.SYMLINK, _describe_link(root, child.path))
        elif stat.S_ISDIR(info.st_mode):
            yield Entry(
                path,
                FileKind.DIRECTORY,
                FileStatus.VENDORED,
                "vendored or generated tree skipped (--include-vendored scans it)",
            )


def regular_files(root: str, include_vendored: bool = False) -> Iterator[tuple[str, str]]:
    """(relative path, full path) of every regular file under `root` in path order, skipping
    what the scan skips and never following a symlink."""
    for path, child, info in _tree(root, include_vendored):
        if child is not None and not isinstance(info, OSError) and stat.S_ISREG(info.st_mode):
            yield path, child.path


_Seen = tuple[str, "os.DirEntry[str] | None", "os.stat_result | OSError"]


def _tree(root: str, include_vendored: bool) -> Iterator[_Seen]:
    """(path, entry, stat) for everything under `root` in path order, depth first, stat-ed
    without following symlinks. Directories the scan walks are descended into, not yielded;
    a vendored one is yielded instead. A directory that cannot be listed comes as
    (path, None, error), an entry that cannot be stat-ed as (path, entry, error).

    A stack of listings rather than recursion: a recursive generator passes every entry up
    through one frame per level."""
    stack = [_listing(root, "")]
    while stack:
        for path, child, info in stack[-1]:
            if child is not None and not isinstance(info, OSError) and stat.S_ISDIR(info.st_mode):
                skip = skipped_directory(child, include_vendored)
                if skip is None:
                    stack.append(_listing(root, path))
                    break
                if skip is not FileStatus.VENDORED:
                    continue
            yield path, child, info
        else:
            stack.pop()


_name = attrgetter("name")


def _listing(root: str, relative: str) -> Iterator[_Seen]:
    directory = os.path.join(root, relative) if relative else root
    try:
        with os.scandir(directory) as it:
            children = sorted(it, key=_name)
    except OSError as error:
        yield relative or ".", None, error
        return
    prefix = f"{relative}/" if relative else ""
    for child in children:
        try:
            yield prefix + child.name, child, child.stat(follow_symlinks=False)
        except OSError as error:
            yield prefix + child.name, child, error


def skipped_directory(directory: os.DirEntry[str], include_vendored: bool) -> FileStatus | None:
    """Why a directory is not walked: VENDORED (reported), EMPTY (never reported: VCS
    metadata and caches), or None when it is walked."""
    if directory.name in ALWAYS_SKIPPED:
        return FileStatus.EMPTY
    if not include_vendored and (
        directory.name in VENDORED_DIRS
        or os.path.exists(os.path.join(directory.path, "pyvenv.cfg"))
    ):
        return FileStatus.VENDORED
    return None


def _kind_of(name: str) -> FileKind:
    return SUFFIX_KINDS.get(os.path.splitext(name)[1], FileKind.DIRECTORY)


def _points_to_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _describe_link(root: str, link: str) -> str:
    """Where a link points, without ever reading what it points to."""
    try:
        target = os.readlink(link)
    except OSError as error:
        return f"symlink not followed (unreadable: {error.strerror})"
    resolved = os.path.realpath(os.path.join(os.path.dirname(link), target))
    real_root = os.path.realpath(root)
    if os.path.commonpath([resolved, real_root]) != real_root:
        return "symlink not followed: points outside the scanned root"
    return f"symlink not followed: points to {os.path.relpath(resolved, real_root)}"
