"""Typed, immutable records that one stage of the pipeline hands to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FileKind(StrEnum):
    SCRIPT = "script"
    NOTEBOOK = "notebook"
    DIRECTORY = "directory"


class FileStatus(StrEnum):
    """Why a file produced the calls it did (or none). Documented in the data dictionary."""

    ANALYZED = "analyzed"
    PARTIAL = "partial"  # parsed and analysed but for the top-level statements that break it
    NO_MLFLOW = "no-mlflow"
    SYNTAX_ERROR = "syntax-error"
    PYTHON2 = "python2"
    DECODE_ERROR = "decode-error"
    BINARY = "binary"
    TOO_LARGE = "too-large"
    TOO_DEEP = "too-deep"
    BAD_NOTEBOOK = "bad-notebook"
    NOT_PYTHON = "not-python"
    UNREADABLE = "unreadable"
    VENDORED = "vendored"
    SYMLINK = "symlink"
    NOT_REGULAR = "not-regular"  # a FIFO, socket or device named .py/.ipynb: never opened
    EMPTY = "empty"
    CRASH = "crash"
    TIMEOUT = "timeout"  # the analysis ran over its time budget per file

    @property
    def is_error(self) -> bool:
        return self not in _NOT_ERRORS


_NOT_ERRORS = frozenset(
    {
        FileStatus.ANALYZED,
        FileStatus.NO_MLFLOW,
        FileStatus.VENDORED,
        FileStatus.SYMLINK,
        FileStatus.NOT_REGULAR,
        FileStatus.EMPTY,
    }
)


@dataclass(frozen=True, slots=True)
class CallSite:
    """One MLflow call in one file. `cell` is None for scripts; `line` is 1-based, `column` 0-based."""

    line: int
    column: int
    api: str
    dimension: str
    keys: tuple[str, ...] = ()
    cell: int | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """A value the analyzer read from the code beside a call: a tracking URI, a registered
    model's name, a model URI literal... `value` never holds a credential."""

    line: int
    column: int
    fact: str
    value: str
    source: str  # the canonical API or construct it came from
    cell: int | None = None
    # What the code read a non-literal value from (`cfg.mlflow.tracking_uri`): the scan of a
    # checkout looks it up in the repository's configuration files (analyzers.repo.configvalues).
    reference: str = ""
    # Where the value is written: the configuration file and line it came from, else the file
    # and line of the fact itself (set when the scan writes facts.csv).
    source_path: str = ""
    source_line: int | None = None


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    """What the analyzer found in one file's bytes, independent of where the file lives.

    This is the unit the content cache stores: the same bytes always give the same analysis.
    """

    status: FileStatus
    detail: str = ""
    calls: tuple[CallSite, ...] = ()
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True, slots=True)
class RepoRef:
    """A repository or directory to scan: where it is on disk and how to name it in results."""

    root: str
    name: str
    commit: str = ""


@dataclass(frozen=True, slots=True)
class FileResult:
    """One `.py`/`.ipynb` file (or skipped directory) seen while scanning a repository."""

    repo: str
    commit: str
    path: str
    kind: FileKind
    status: FileStatus
    detail: str = ""
    calls: tuple[CallSite, ...] = field(default=())
    facts: tuple[Fact, ...] = field(default=())
    # True when the file on disk is not the one `commit` holds (changed or untracked); None
    # when there is no commit to compare with, or for a directory row.
    dirty: bool | None = None
