"""Outputs that name no path of this machine: a study's files are the same on every machine.

Messages from git and from the operating system quote the paths they worked on (`fatal:
'/home/me/.cache/mlflow-miner/demo/origins/x' does not appear to be a git repository`). Before
such a message is written into a table, every path of this machine that it can hold is replaced
by a placeholder: the checkout by nothing (paths become relative to the repository), the
caches by `<cache>` and `<clone-cache>`, the study's folder by `<study>`, the working directory
by `.` and the home directory by `~`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def _spellings(path: Path) -> set[str]:
    """The path as given, absolute, and with links resolved."""
    found = {str(path)}
    for variant in (path.absolute, path.resolve):
        with contextlib.suppress(OSError):
            found.add(str(variant()))
    return {text.rstrip("/") for text in found if len(text.rstrip("/")) > 1}


@dataclass(frozen=True, slots=True)
class MachinePaths:
    """Absolute paths of this machine and the placeholder each becomes, longest first."""

    roots: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, named: Iterable[tuple[Path | None, str]]) -> MachinePaths:
        """From (path, placeholder) pairs; a path given earlier wins over a later one that is
        the same text. The working directory and the home directory are always added."""
        pairs: dict[str, str] = {}
        for path, placeholder in (*named, (Path.cwd(), "."), (Path.home(), "~")):
            if path is None:
                continue
            for spelling in _spellings(Path(path)):
                pairs.setdefault(spelling, placeholder)
        ordered = sorted(pairs.items(), key=lambda pair: (-len(pair[0]), pair[0]))
        return cls(tuple(ordered))

    def with_root(self, root: str | os.PathLike[str]) -> MachinePaths:
        """These paths and a checkout `root`, which becomes nothing: paths under it read as
        relative to the repository."""
        pairs = {**dict(self.roots), **{spelling: "" for spelling in _spellings(Path(root))}}
        return MachinePaths(tuple(sorted(pairs.items(), key=lambda pair: (-len(pair[0]), pair[0]))))

    def scrub(self, text: str) -> str:
        """`text` with every path of this machine replaced by its placeholder."""
        if not text or not self.roots or "/" not in text:
            return text
        for root, placeholder in self.roots:
            if root not in text:
                continue
            # Only whole path components: /tmp/x is not the start of /tmp/xy.
            pattern = re.escape(root) + r"(?=/|$|[^\w.\-~/])"
            if placeholder:
                text = re.sub(pattern, placeholder, text)
            else:
                text = re.sub(pattern + r"/?", "", text)
        return text
