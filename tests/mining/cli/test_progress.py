"""Scan progress: click's bars on a terminal, one label line per repository elsewhere."""

from __future__ import annotations

import io
import os
import pty
import select

from analyzers.repo.scanner import Progress
from mining.cli.progress import ScanProgress

STEPS = [Progress("acme/one", 0, 2, done, 3) for done in range(4)] + [
    Progress("acme/two", 1, 2, done, 2) for done in range(3)
]


def test_a_log_gets_each_repository_once() -> None:
    stream = io.StringIO()
    with ScanProgress(stream) as progress:
        for step in STEPS:
            progress(step)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    assert lines == ["[1/2] acme/one", "[2/2] acme/two"]


def _read_all(leader: int) -> bytes:
    """Everything written to the terminal so far (a pty hands it over in pieces)."""
    chunks = []
    while select.select([leader], [], [], 0.5)[0]:
        chunk = os.read(leader, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_terminal_gets_a_bar_that_reaches_the_total() -> None:
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as stream, ScanProgress(stream) as progress:
            for step in STEPS:
                progress(step)
        drawn = _read_all(leader).decode("utf-8", "replace")
    finally:
        os.close(leader)
        os.close(follower)
    assert "[1/2] acme/one" in drawn
    assert "3/3" in drawn
    assert "[2/2] acme/two" in drawn
    assert "2/2" in drawn
