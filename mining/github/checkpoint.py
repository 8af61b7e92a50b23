"""The crawl's journal: one JSON line per finished step, so a killed crawl can pick up where it
stopped and still produce the same dataset.

Each line is written with a single `write` on an `O_APPEND` descriptor, so a kill leaves at most
one torn line at the end; loading drops it (and anything after it) and carries on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

FORMAT = 1
# topic, first and last second of the created: range; or a code-search frame, its lowest
# and highest file size (mining.github.code_search)
SliceKey = tuple[str, int, int]


class CheckpointError(Exception):
    """The checkpoint cannot be used for this crawl."""


class Checkpoint:
    """Steps already done by this crawl; kept in memory only when `path` is None."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.crawled_at: int | None = None
        self.splits: set[SliceKey] = set()
        self.slices: dict[SliceKey, list[dict[str, Any]]] = {}
        # slices GitHub said were not whole: key -> (reason, total_count reported)
        self.truncated: dict[SliceKey, tuple[str, int]] = {}
        self.pins: dict[str, tuple[str, str]] = {}
        # repositories a code search found, described by GET /repos: name -> (object, note)
        self.described: dict[str, tuple[dict[str, Any] | None, str]] = {}
        self._fd: int | None = None

    @classmethod
    def open(
        cls,
        path: Path | None,
        identity: dict[str, Any],
        now: int,
        progress: Callable[[str], None],
    ) -> Checkpoint:
        """Load `path` if it belongs to the crawl described by `identity`, else start it at `now`."""
        checkpoint = cls(path)
        if path is None:
            checkpoint.crawled_at = now
            return checkpoint
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise CheckpointError(f"{path} is in use by another crawl") from None
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read()
            valid = checkpoint._load(data, identity)
            if valid < len(data):
                progress(f"checkpoint: dropping {len(data) - valid} bytes of an unfinished entry")
                os.ftruncate(fd, valid)
        except BaseException:
            os.close(fd)
            raise
        checkpoint._fd = fd
        if checkpoint.crawled_at is None:
            checkpoint.crawled_at = now
            checkpoint._append({"kind": "crawl", "format": FORMAT, "crawled_at": now, **identity})
        else:
            progress(
                f"checkpoint: resuming ({len(checkpoint.slices)} slices, "
                f"{len(checkpoint.pins)} pins already done)"
            )
        return checkpoint

    def _load(self, data: bytes, identity: dict[str, Any]) -> int:
        """Replay the complete, readable lines of `data`; return how many bytes they span."""
        valid = 0
        for line in data.split(b"\n")[:-1]:  # the last piece has no newline: torn or empty
            try:
                entry = json.loads(line)
            except ValueError:
                break
            if not isinstance(entry, dict):
                break
            if self.crawled_at is None:
                if entry.get("kind") != "crawl":
                    break
                self._check_identity(entry, identity)
                self.crawled_at = int(entry["crawled_at"])
            else:
                self._replay(entry)
            valid += len(line) + 1
        return valid

    def _check_identity(self, entry: dict[str, Any], identity: dict[str, Any]) -> None:
        if entry.get("format") != FORMAT:
            raise CheckpointError(f"{self.path} has format {entry.get('format')}, not {FORMAT}")
        stored = {key: entry.get(key) for key in identity}
        if stored != identity:
            differs = ", ".join(key for key in identity if stored[key] != identity[key])
            raise CheckpointError(
                f"{self.path} belongs to a different crawl ({differs} differ); "
                "rerun with the same options, or pass --restart to discard it"
            )

    def _replay(self, entry: dict[str, Any]) -> None:
        kind = entry.get("kind")
        if kind == "split":
            self.splits.add((entry["topic"], entry["start"], entry["end"]))
        elif kind == "slice":
            key = (entry["topic"], entry["start"], entry["end"])
            self.slices[key] = entry["repos"]
            if entry.get("truncated"):
                self.truncated[key] = (entry["truncated"], int(entry.get("reported", 0)))
        elif kind == "pin":
            self.pins[entry["full_name"]] = (entry["commit"], entry["note"])
        elif kind == "describe":
            self.described[entry["full_name"]] = (entry["repo"], entry["note"])

    def record_split(self, key: SliceKey) -> None:
        self.splits.add(key)
        self._append({"kind": "split", "topic": key[0], "start": key[1], "end": key[2]})

    def record_slice(
        self,
        key: SliceKey,
        repos: list[dict[str, Any]],
        truncated: tuple[str, int] | None = None,
    ) -> None:
        """A listed slice; `truncated` = (reason, total_count) when GitHub said it is not whole."""
        self.slices[key] = repos
        entry: dict[str, Any] = {
            "kind": "slice",
            "topic": key[0],
            "start": key[1],
            "end": key[2],
            "repos": repos,
        }
        if truncated is not None:
            self.truncated[key] = truncated
            entry.update(truncated=truncated[0], reported=truncated[1])
        self._append(entry, sync=True)

    def record_pin(self, full_name: str, commit: str, note: str) -> None:
        self.pins[full_name] = (commit, note)
        self._append({"kind": "pin", "full_name": full_name, "commit": commit, "note": note})

    def record_description(self, full_name: str, repo: dict[str, Any] | None, note: str) -> None:
        self.described[full_name] = (repo, note)
        entry = {"kind": "describe", "full_name": full_name, "repo": repo, "note": note}
        self._append(entry)

    def _append(self, entry: dict[str, Any], sync: bool = False) -> None:
        if self._fd is None:
            return
        data = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        if written != len(data):  # a short write leaves a torn line that loading drops
            raise OSError(f"short write to {self.path}")
        # Pins are cheap to redo, so only slices pay for an fsync against power loss.
        if sync:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
