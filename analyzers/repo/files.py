"""Walk a repository for the files the analyzer reads, never leaving it.

Symbolic links are reported, never followed, so nothing outside the scanned root is read.
Vendored trees are reported once and skipped. FIFOs, sockets and devices are reported, never
opened (opening a FIFO blocks).

Paths are reported as text that every table and the cache can hold: a file name that is not
valid UTF-8 (git stores any bytes) is escaped here, once, by `escape_path`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from operator import attrgetter

from analyzers.records import FileAnalysis, FileKind, FileStatus

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


# A lone surrogate (os.fsdecode's stand-in for an undecodable byte) or a backslash.
_ESCAPED = re.compile("[\\\\\ud800-\udfff]")
_UNESCAPED = re.compile(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|(\\))")


def escape_path(path: str) -> str:
    """`path` (as os.fsdecode gives it) as valid Unicode text, reversibly: each byte that was
    not UTF-8 (decoded by surrogateescape to U+DC80-U+DCFF) becomes `\\xNN`, NN its value in
    lowercase hex; any other lone surrogate `\\uNNNN`; and a backslash `\\\\`. A valid
    UTF-8 name without a backslash, nearly every name, is unchanged."""
    if _ESCAPED.search(path) is None:
        return path
    return _ESCAPED.sub(_escape_character, path)


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x5C:
        return "\\\\"
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def unescape_path(text: str) -> str:
    """The inverse of `escape_path`: `os.fsencode(unescape_path(p))` are the file name's bytes."""
    if "\\" not in text:
        return text
    return _UNESCAPED.sub(_unescape_character, text)


def _unescape_character(match: re.Match[str]) -> str:
    byte, code, _ = match.groups()
    if byte is not None:
        return chr(0xDC00 + int(byte, 16))
    return chr(int(code, 16)) if code is not None else "\\"


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
    """A file to analyze (status None) or something seen and not analysed (status set)."""

    path: str  # relative to the root, "/"-separated, escaped by `escape_path`
    kind: FileKind
    status: FileStatus | None = None
    detail: str = ""
    stamp: FileStamp | None = None  # for a file to analyze
    source: str = ""  # where it is on disk, as the OS names it (not escaped)

    @property
    def size(self) -> int:
        return self.stamp.size if self.stamp is not None else 0


def walk(root: str, include_vendored: bool = False) -> Iterator[Entry]:
    """Entries under `root` in a stable order (sorted by path); `root` may be a single file."""
    root = os.path.abspath(root)
    try:
        info = os.stat(root)  # a root named on purpose is followed if it is a link
    except OSError:
        info = None  # reported by the listing below
    if info is not None and not stat.S_ISDIR(info.st_mode):
        name = os.path.basename(root)
        kind = SUFFIX_KINDS.get(os.path.splitext(name)[1])
        if kind is not None:
            yield _file_entry(escape_path(name), root, kind, info)
        return
    for path, child, found in _tree(root, include_vendored):
        if isinstance(found, OSError):
            if child is None:
                yield Entry(
                    path,
                    FileKind.DIRECTORY,
                    FileStatus.UNREADABLE,
                    f"cannot list directory: {found.strerror}",
                )
            else:
                yield Entry(
                    path,
                    _kind_of(child.name),
                    FileStatus.UNREADABLE,
                    f"cannot stat: {found.strerror}",
                    source=child.path,
                )
            continue
        assert child is not None
        if stat.S_ISLNK(found.st_mode):
            kind = _kind_of(child.name)
            if kind is not FileKind.DIRECTORY or _points_to_dir(child.path):
                detail = _describe_link(root, child.path)
                yield Entry(path, kind, FileStatus.SYMLINK, detail, source=child.path)
        elif stat.S_ISDIR(found.st_mode):
            yield Entry(
                path,
                FileKind.DIRECTORY,
                FileStatus.VENDORED,
                "vendored or generated tree skipped (--include-vendored scans it)",
                source=child.path,
            )
        elif (kind := SUFFIX_KINDS.get(os.path.splitext(child.name)[1])) is not None:
            yield _file_entry(path, child.path, kind, found)


_NOT_REGULAR = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _file_entry(path: str, source: str, kind: FileKind, info: os.stat_result) -> Entry:
    if stat.S_ISREG(info.st_mode):
        return Entry(path, kind, stamp=FileStamp.of(info), source=source)
    what = _NOT_REGULAR.get(stat.S_IFMT(info.st_mode), "not a regular file")
    return Entry(path, kind, FileStatus.NOT_REGULAR, f"{what}: never opened", source=source)


def read_file(path: str, cap: int) -> bytes | FileAnalysis:
    """Up to `cap` bytes of the regular file at `path`, or why not. Opened without following a
    link and without blocking, so a file swapped for a link or a FIFO since the walk is
    neither followed nor waited on."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return FileAnalysis(FileStatus.SYMLINK, "symlink not followed (it was replaced)")
        return FileAnalysis(FileStatus.UNREADABLE, f"cannot read: {error.strerror}")
    with open(descriptor, "rb", closefd=True) as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return FileAnalysis(FileStatus.NOT_REGULAR, "not a regular file: never read")
        try:
            data = handle.read(cap + 1)
        except OSError as error:
            return FileAnalysis(FileStatus.UNREADABLE, f"cannot read: {error.strerror}")
    if len(data) > cap:
        return FileAnalysis(FileStatus.TOO_LARGE, f"over the {cap}-byte cap")
    return data


def regular_files(root: str, include_vendored: bool = False) -> Iterator[tuple[str, str]]:
    """(relative path, full path) of every regular file under `root` in path order, skipping
    what the scan skips and never following a symlink."""
    for path, child, info in _tree(root, include_vendored):
        if child is not None and not isinstance(info, OSError) and stat.S_ISREG(info.st_mode):
            yield path, child.path


_Seen = tuple[str, "os.DirEntry[str] | None", "os.stat_result | OSError"]


def _tree(root: str, include_vendored: bool) -> Iterator[_Seen]:
    """(path, entry, stat) for everything under `root` in path order, depth first, stat-ed
    without following symlinks; `path` is relative to `root` and escaped. Directories the scan
    walks are descended into, not yielded; a vendored one is yielded instead. A directory that
    cannot be listed comes as (path, None, error), an entry that cannot be stat-ed as
    (path, entry, error).

    A stack of listings rather than recursion: a recursive generator passes every entry up
    through one frame per level."""
    stack = [_listing(root, "")]
    while stack:
        for path, child, info in stack[-1]:
            if child is not None and not isinstance(info, OSError) and stat.S_ISDIR(info.st_mode):
                skip = skipped_directory(child, include_vendored)
                if skip is None:
                    stack.append(_listing(child.path, path))
                    break
                if skip is not FileStatus.VENDORED:
                    continue
            yield path, child, info
        else:
            stack.pop()


_name = attrgetter("name")


def _listing(directory: str, relative: str) -> Iterator[_Seen]:
    """The entries of `directory` (on disk), named under `relative` (escaped)."""
    try:
        with os.scandir(directory) as it:
            children = sorted(it, key=_name)
    except OSError as error:
        yield relative or ".", None, error
        return
    prefix = f"{relative}/" if relative else ""
    for child in children:
        path = prefix + escape_path(child.name)
        try:
            yield path, child, child.stat(follow_symlinks=False)
        except OSError as error:
            yield path, child, error


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
    target = escape_path(os.path.relpath(resolved, real_root))
    return f"symlink not followed: points to {target}"
