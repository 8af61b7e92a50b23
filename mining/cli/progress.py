"""Progress on stderr for long commands, drawn by click: a bar per repository on a terminal,
the repository's label once per repository elsewhere (a log stays readable and small)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

import click

from analyzers.repo.scanner import Progress

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


class ScanProgress:
    """A `scan_repos` progress callback: one click progress bar per repository, over its files.

    Use it as a context manager so the last bar is finished even when the scan stops early.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._bar: ProgressBar[int] | None = None
        self._repo_index = -1
        self._shown = 0

    def __call__(self, progress: Progress) -> None:
        if self._bar is None or progress.repo_index != self._repo_index:
            self.close()
            self._repo_index = progress.repo_index
            self._shown = 0
            label = f"[{progress.repo_index + 1}/{progress.repo_count}] {progress.repo}"
            self._bar = click.progressbar(
                length=max(1, progress.files_total),
                label=label,
                file=self.stream,
                show_pos=True,
                show_eta=False,
            )
            self._bar.__enter__()
        self._bar.update(progress.files_done - self._shown)
        self._shown = progress.files_done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> ScanProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
