"""What a detector is: an ID, the paths it reads, a function, a description and its examples."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

SIGNALS, ECOSYSTEM, INDIRECT = "signals", "ecosystem", "indirect"


@dataclass(frozen=True, slots=True)
class Finding:
    """One row of `signals.csv` (`name` is the signal) or of `ecosystem.csv` (`name` is the
    tool, `value` the kind of evidence)."""

    table: str  #: `signals`, `ecosystem` or `indirect` (name: the integration, value: records)
    path: str  #: the file (a Hydra config tree: its directory), relative to the repository
    name: str
    value: str = ""


def signal(path: str, name: str, value: str = "") -> Finding:
    return Finding(SIGNALS, path, name, value)


def tool(path: str, name: str, evidence: str) -> Finding:
    return Finding(ECOSYSTEM, path, name, evidence)


def indirect(path: str, integration: str, records: str) -> Finding:
    """An indirect use of MLflow a configuration or dependency file declares (indirect.csv)."""
    return Finding(INDIRECT, path, integration, records)


class Content(Enum):
    """What a detector's function is given besides the path."""

    NAME = "name"  #: nothing: the file's name is the evidence (None)
    TEXT = "text"  #: the file decoded as UTF-8 (None when it is not on disk or too large)
    CODE = "code"  #: Python code: a script, or a notebook's code cells; comments removed


@dataclass(frozen=True, slots=True)
class Example:
    """A file and what the detector must find in it (nothing, for a counter-example)."""

    path: str
    text: str
    finds: tuple[tuple[str, str, str], ...] = ()  #: (table, name, value) in order


Detect = Callable[[str, str | None], Iterator[Finding]]


@dataclass(frozen=True, slots=True)
class Detector:
    """`patterns` are fnmatch patterns, case-sensitive: without a `/` on the file name; with
    one on the path at any depth (`conf/*.yaml` also matches `src/conf/db/x.yaml`), or from
    the repository root when it starts with `/`. `finds` and `ignores` (Fixit's INVALID and
    VALID) are examples the tests run."""

    id: str
    patterns: tuple[str, ...]
    detect: Detect
    description: str
    finds: tuple[Example, ...]
    ignores: tuple[Example, ...]
    content: Content = Content.TEXT

    @property
    def tables(self) -> frozenset[str]:
        """The tables its examples write to."""
        return frozenset(table for example in self.finds for table, _, _ in example.finds)

    def reads(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        for pattern in self.patterns:
            if pattern.startswith("/"):
                if fnmatch.fnmatchcase(path, pattern[1:]):
                    return True
            elif "/" not in pattern:
                if fnmatch.fnmatchcase(name, pattern):
                    return True
            elif fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, "*/" + pattern):
                return True
        return False
