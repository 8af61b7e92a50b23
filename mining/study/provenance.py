"""`study.json`: what a study is and what made it, so that a reader can say how it was obtained.

Everything in it is the same whenever the same study is run again with the same tool (what a
run cost, and when, is the run log's: `mining.study.runlog`). `STUDY_JSON` says what each key
means; README.md's "Provenance" section lists them (tests/mining/study/test_provenance.py
checks that it does).
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from analyzers.code.catalog import load_catalog
from analyzers.repo.cache import ANALYZER_VERSION

# Every key of study.json and what it holds.
STUDY_JSON: dict[str, str] = {
    "name": "the study's name",
    "tool_version": "mlflow-miner's version",
    "tool_commit": "the git commit of mlflow-miner's source, when it runs from a git checkout "
    "(empty otherwise)",
    "analyzer": "the analyzer's version and the catalog's, `ANALYZER:CATALOG`: a change of "
    "either sends cached analyses back to the parser",
    "catalog_version": "the catalog's version (a digest of `analyzers/code/catalog.toml`'s APIs)",
    "versions": "Python's version and those of the libraries that shape the results: libcst "
    "(parsing), pandas (tables), plotly and kaleido (charts), pyarrow (Parquet)",
    "settings": "the study's settings from its study file and command line: the frames "
    "(`topics`, `qualifiers`, `code_search`), crawl, protocols, history options (`history`, "
    "`max_commits`, `since`, `first_parent`), the clone's caps (`max_size_mb`, `max_file_mb`), "
    "the filters (`exclude_forks`, `exclude_archived`, `min_stars`, `min_commits`) and the "
    "near-duplicate threshold",
    "dataset": "the dataset file, relative to the working directory (or its name)",
    "dataset_sha256": "the SHA-256 of the dataset (the study folder's `dataset.csv` is a copy)",
    "crawled_at": "when the dataset was crawled (its first row's `crawled_at`)",
    "counts": "repositories in the dataset (`repositories`) and per status in `repos.csv`",
    "totals": "files seen and MLflow calls found in the analysed repositories",
    "crawl": "how the dataset was crawled (`NAME.csv.crawl.json`: topics, qualifiers, API, "
    "truncated slices), when the crawl wrote one",
}
LIBRARIES = ("libcst", "pandas", "plotly", "kaleido", "pyarrow")
# Settings that describe this machine or where files go, not the study: left out.
_NOT_SETTINGS = frozenset(
    {"name", "dataset", "output", "jobs", "executor", "scheduler", "clone_cache"}
    | {"analysis_cache", "url_rewrites"}
)
_SHA = re.compile(r"[0-9a-f]{40}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def tool_commit(source: Path | None = None) -> str:
    """The commit the tool's source is checked out at, read from its `.git` files (no git is
    run): a plain checkout or a worktree, loose or packed refs; "" outside git."""
    root = source or Path(__file__).resolve().parents[2]
    dot_git = root / ".git"
    git_dir = dot_git
    if dot_git.is_file():  # a worktree: "gitdir: PATH"
        pointer = _read(dot_git)
        if not pointer.startswith("gitdir:"):
            return ""
        git_dir = (root / pointer.removeprefix("gitdir:").strip()).resolve()
    head = _read(git_dir / "HEAD")
    if _SHA.fullmatch(head):
        return head
    if not head.startswith("ref:"):
        return ""
    ref = head.removeprefix("ref:").strip()
    common = git_dir
    pointer = _read(git_dir / "commondir")
    if pointer:
        common = (git_dir / pointer).resolve()
    for folder in (git_dir, common):
        loose = _read(folder / ref)
        if _SHA.fullmatch(loose):
            return loose
    for line in _read(common / "packed-refs").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref and _SHA.fullmatch(sha):
            return sha
    return ""


def library_versions() -> dict[str, str]:
    """Python's version and the installed version of each of `LIBRARIES` ("" if missing)."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = ""
    return found


def tool_version() -> str:
    try:
        return version("mlflow-miner")
    except PackageNotFoundError:
        return "unknown"


def _plain(value: Any) -> Any:
    """A setting as JSON: tuples as lists, records (the filters) as objects, paths by name
    (never a path of this machine)."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, Path):
        return value.name
    return value


def study_settings(settings: Any) -> dict[str, Any]:
    """The settings that define the study (a `StudySettings`), not the machine it runs on."""
    return {
        field.name: _plain(getattr(settings, field.name))
        for field in fields(settings)
        if field.name not in _NOT_SETTINGS
    }


def study_provenance(
    settings: Any,
    dataset: str,
    dataset_sha256: str,
    crawled_at: str,
    counts: Mapping[str, int],
    totals: Mapping[str, int],
    crawl: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """study.json's content, every key of `STUDY_JSON` (`crawl` only when there is one)."""
    catalog = load_catalog().version
    provenance: dict[str, Any] = {
        "name": settings.name,
        "tool_version": tool_version(),
        "tool_commit": tool_commit(),
        "analyzer": f"{ANALYZER_VERSION}:{catalog}",
        "catalog_version": catalog,
        "versions": library_versions(),
        "settings": study_settings(settings),
        "dataset": dataset,
        "dataset_sha256": dataset_sha256,
        "crawled_at": crawled_at,
        "counts": dict(counts),
        "totals": dict(totals),
    }
    if crawl is not None:
        provenance["crawl"] = dict(crawl)
    return provenance
