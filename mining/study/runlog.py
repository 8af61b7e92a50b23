"""The run log: what one run of a study cost, on which machine, and when.

Everything else a study writes is the same, byte for byte, whenever the same study is run
again; the run log (`run-log.json` in the study folder) is the one file that is not: it holds
the dates, the seconds each stage took, the machine (operating system, processor, Python, cores:
never its name or a path), how many repositories were analysed in this run and how many were
already done, what walking their histories cost (blobs parsed, skipped, found in the cache,
fetched), how many repositories were in flight at most (submitted to workers, not yet
collected), and how many charts were drawn or reused.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzers.tables import atomic_text

RUN_LOG = "run-log.json"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def machine() -> dict[str, Any]:
    """The machine a run ran on, without its name or any path."""
    return {
        "system": platform.system(),
        "release": platform.release(),
        "processor": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
    }


@dataclass
class RunLog:
    """Collects a run's timings and costs; `write` puts them into the study folder."""

    command: str
    started_at: str = field(default_factory=_now)
    _started: float = field(default_factory=time.monotonic)
    seconds: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage `name` (added to what the stage took before)."""
        started = time.monotonic()
        try:
            yield
        finally:
            spent = time.monotonic() - started
            self.seconds[name] = round(self.seconds.get(name, 0.0) + spent, 3)

    def record(self, **facts: Any) -> None:
        self.facts.update(facts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "started_at": self.started_at,
            "finished_at": _now(),
            "seconds": {**self.seconds, "total": round(time.monotonic() - self._started, 3)},
            "machine": machine(),
            **self.facts,
        }

    def write(self, folder: Path) -> Path:
        path = folder / RUN_LOG
        with atomic_text(path) as handle:
            json.dump(self.as_dict(), handle, indent=2, sort_keys=True)
            handle.write("\n")
        return path


def history_costs(costs: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Per repository analysed in this run, what it cost, and the totals."""
    totals: dict[str, float] = {}
    for repo_costs in costs.values():
        for key, value in repo_costs.items():
            totals[key] = round(totals.get(key, 0.0) + value, 3)
    return {"totals": dict(sorted(totals.items())), "by_repository": dict(sorted(costs.items()))}
