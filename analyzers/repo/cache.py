"""A content-addressed cache of file analyses, shared by every scan on this machine.

The key is the file's git blob SHA (so a file shared by forks, template copies and reruns is
analysed once, and history walks can look blobs up without reading them), its kind, and the
versions of the analyzer and the catalog: changing either invalidates every entry.

Beside it, a file index remembers, per absolute path (escaped as the tables' paths are, by
`files.escape_path`), the file's stat signature (size, mtime, ctime, inode) and what reading it
gave: its blob SHA (which also tells whether it differs from a commit) and whether the
pre-filter ruled it out. A rerun over unchanged files then reads no file at all. As in git's index, a file changed too
recently to trust its timestamps (ctime within the last 2 s) is not remembered.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from analyzers.records import CallSite, Fact, FileAnalysis, FileStatus
from analyzers.repo.files import FileStamp

# 9: the repository pass; 10: the file index keeps every blob (for dirty) and paths escaped;
# 11: facts carry the reference of a non-literal value and where the value came from;
# 12-14: string values through functions, parameters, paths and command-line defaults.
ANALYZER_VERSION = "14"
RACY_NS = 2_000_000_000  # files changed more recently than this are not remembered
MIB = 1024 * 1024


def blob_sha(data: bytes) -> str:
    """The SHA git gives these bytes as a blob."""
    digest = hashlib.sha1(b"blob %d\x00" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


def file_blob_sha(path: str, chunk: int = MIB) -> str | None:
    """The blob SHA of the regular file at `path`, read a chunk at a time (for files too large
    to hold); None if it cannot be read or changes while read. Never follows a link or waits
    on a FIFO."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with open(descriptor, "rb", closefd=True) as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return None
        digest = hashlib.sha1(b"blob %d\x00" % info.st_size, usedforsecurity=False)
        read = 0
        try:
            while block := handle.read(chunk):
                digest.update(block)
                read += len(block)
        except OSError:
            return None
    return digest.hexdigest() if read == info.st_size else None


def encode(analysis: FileAnalysis) -> str:
    return json.dumps(
        [
            analysis.status.value,
            analysis.detail,
            [[c.cell, c.line, c.column, c.api, c.dimension, list(c.keys)] for c in analysis.calls],
            [
                [f.cell, f.line, f.column, f.fact, f.value, f.source, f.reference]
                for f in analysis.facts
            ],
        ],
        separators=(",", ":"),
    )


def decode(text: str) -> FileAnalysis:
    status, detail, calls, facts = json.loads(text)
    return FileAnalysis(
        FileStatus(status),
        detail,
        tuple(
            CallSite(
                cell=cell, line=line, column=column, api=api, dimension=dimension, keys=tuple(keys)
            )
            for cell, line, column, api, dimension, keys in calls
        ),
        tuple(
            Fact(
                cell=cell,
                line=line,
                column=column,
                fact=fact,
                value=value,
                source=source,
                reference=reference,
            )
            for cell, line, column, fact, value, source, reference in facts
        ),
    )


@dataclass(frozen=True, slots=True)
class KnownFile:
    """The file index's memory of one path."""

    stamp_key: str  # `FileStamp.key` when it was read
    blob: str
    prefiltered: bool  # the pre-filter found nothing to resolve: status no-mlflow


class AnalysisCache:
    """SQLite-backed; one writer process (the scanner's), many readers are fine."""

    def __init__(self, path: Path, catalog_version: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._salt = f"{ANALYZER_VERSION}:{catalog_version}"
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS analysis (key TEXT PRIMARY KEY, value TEXT)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS files "
            "(path TEXT PRIMARY KEY, stat TEXT, salt TEXT, blob TEXT, prefiltered INTEGER)"
        )
        self._pending: list[tuple[str, str]] = []
        self._pending_files: list[tuple[str, str, str, str, bool]] = []
        self._repository_tables()
        self.hits = 0
        self.misses = 0

    def key(self, blob: str, kind: str) -> str:
        return f"{blob}:{kind}:{self._salt}"

    def get(self, key: str) -> FileAnalysis | None:
        row = self._db.execute("SELECT value FROM analysis WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return decode(row[0])

    def put(self, key: str, analysis: FileAnalysis) -> None:
        if analysis.status is FileStatus.CRASH:
            return  # a crash may be the machine's fault: try again next time
        self._pending.append((key, encode(analysis)))
        if len(self._pending) >= 200:
            self.flush()

    def known_files(self, root: str) -> dict[str, KnownFile]:
        """Path → what an earlier scan read there, for the paths under `root` (an escaped
        absolute path: a directory, or a single file)."""
        rows = self._db.execute(
            "SELECT path, stat, blob, prefiltered FROM files WHERE salt = ? AND "
            "(path = ? OR (path >= ? AND path < ?))",
            (self._salt, root, root + os.sep, root + chr(ord(os.sep) + 1)),
        )
        return {path: KnownFile(stat, blob, bool(out)) for path, stat, blob, out in rows}

    def remember_file(self, path: str, stamp: FileStamp, blob: str, prefiltered: bool) -> None:
        """What reading the file at `path` (escaped, absolute) gave: its blob SHA, and whether
        the pre-filter ruled it out."""
        if time.time_ns() - stamp.changed_ns < RACY_NS:
            return
        self._pending_files.append((path, stamp.key, self._salt, blob, prefiltered))
        if len(self._pending_files) >= 1000:
            self.flush()

    def flush(self) -> None:
        self._flush_repository()
        if self._pending or self._pending_files:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO analysis VALUES (?, ?)", self._pending)
                self._db.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", self._pending_files
                )
            self._pending.clear()
            self._pending_files.clear()

    def close(self) -> None:
        self.flush()
        self._db.close()

    # ----------------------------------------------------------------------- repository pass
    # What the repository pass (analyzers.repo.repository) keeps beside the analyses: each
    # blob's outline (its import specs, and whether the pre-filter lets it through), so that a
    # rerun orders a checkout without reading it, and each analysis's module summary.
    def _repository_tables(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS outlines (blob TEXT PRIMARY KEY, value TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS summaries (key TEXT PRIMARY KEY, value TEXT)")
        self._pending_outlines: list[tuple[str, str]] = []
        self._pending_summaries: list[tuple[str, str]] = []

    def outlines_under(self, root: str) -> dict[str, str]:
        """Blob SHA -> outline for the files earlier scans read under `root`."""
        rows = self._db.execute(
            "SELECT o.blob, o.value FROM files f JOIN outlines o ON o.blob = f.blob "
            "WHERE f.salt = ? AND (f.path = ? OR (f.path >= ? AND f.path < ?))",
            (self._salt, root, root + os.sep, root + chr(ord(os.sep) + 1)),
        )
        return dict(rows)

    def remember_outline(self, blob: str, outline: str) -> None:
        self._pending_outlines.append((blob, outline))

    def context_key(self, blob: str, kind: str, context_digest: str) -> str:
        """The key of an analysis that used what the rest of its repository means."""
        key = self.key(blob, kind)
        return f"{key}:{context_digest}" if context_digest else key

    def summary(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM summaries WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put_summary(self, key: str, summary: str) -> None:
        self._pending_summaries.append((key, summary))
        if len(self._pending_summaries) >= 200:
            self.flush()

    def _flush_repository(self) -> None:
        if self._pending_outlines or self._pending_summaries:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO outlines VALUES (?, ?)", self._pending_outlines
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO summaries VALUES (?, ?)", self._pending_summaries
                )
            self._pending_outlines.clear()
            self._pending_summaries.clear()


APP = "mlflow-miner"


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/mlflow-miner`, or `~/.cache/mlflow-miner` when the variable is unset."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / APP


def default_cache_path() -> Path:
    return cache_root() / f"analysis-v{ANALYZER_VERSION}.sqlite"
