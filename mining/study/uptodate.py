"""Whether a study's report and export are already what its tables give: then a rerun with
nothing new skips both (aggregating and building the charts cost seconds even when no chart is
drawn again).

They are up to date when, since the run that last built them,

* every file of the study folder itself (its tables, `study.json`, the validation: what the
  report and export read; not the run log, which differs on every run) has the same bytes,
* the code that turns them into a report (the `analyzers` package's sources, and the versions of
  the libraries that draw and write) and the report's options are the same,
* and every file of `report/` and `export/` is still the one that run wrote (same size and
  modification time: nothing deleted, replaced or edited since).

The record lives in the cache (`<cache>/reports/`), keyed by the study folder's absolute path,
so the study folder holds nothing that names this machine or this run. Only a report drawn
without warnings is recorded: one that could not draw its static charts is tried again.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

import analyzers
from analyzers.repo.cache import cache_root
from analyzers.tables import atomic_text
from mining.study.runlog import RUN_LOG

OUTPUTS = ("report", "export")
LIBRARIES = ("plotly", "kaleido", "pandas", "pyarrow", "numpy", "scipy")


def _record_path(study: Path) -> Path:
    key = hashlib.sha256(str(study.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return cache_root() / "reports" / f"{key[:32]}.json"


def _code_digest() -> str:
    """The analyzers' sources and the drawing libraries' versions, as one digest."""
    digest = hashlib.sha256()
    package = Path(analyzers.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml") and path.is_file():
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=absent\0".encode())
    return digest.hexdigest()


def inputs_digest(study: Path, options: str) -> str:
    """The study folder's own files (the run log aside), the code and the options."""
    digest = hashlib.sha256(f"{options}\0{_code_digest()}\0".encode())
    for path in sorted(study.iterdir()):
        if path.name != RUN_LOG and path.is_file() and not path.is_symlink():
            digest.update(path.name.encode("utf-8", "surrogateescape") + b"\0")
            with open(path, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def outputs_fingerprint(study: Path) -> dict[str, list[int]]:
    """Relative path -> [size, mtime_ns] of every file under `report/` and `export/`."""
    found: dict[str, list[int]] = {}
    for name in OUTPUTS:
        for directory, _subdirs, files in os.walk(study / name):
            for file in files:
                path = os.path.join(directory, file)
                status = os.lstat(path)
                found[os.path.relpath(path, study)] = [status.st_size, status.st_mtime_ns]
    return found


def is_current(study: Path, digest: str) -> bool:
    """Whether `report/` and `export/` are what the run that recorded `digest` wrote."""
    try:
        recorded = json.loads(_record_path(study).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict) or recorded.get("inputs") != digest:
        return False
    outputs = outputs_fingerprint(study)
    return bool(outputs) and recorded.get("outputs") == outputs


def record(study: Path, digest: str) -> None:
    """Remember that `report/` and `export/` are what inputs of `digest` give."""
    path = _record_path(study)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_text(path) as handle:
        json.dump({"inputs": digest, "outputs": outputs_fingerprint(study)}, handle, sort_keys=True)


def forget(study: Path) -> None:
    """Drop the record (before building: a build that fails half-way is not up to date)."""
    _record_path(study).unlink(missing_ok=True)
