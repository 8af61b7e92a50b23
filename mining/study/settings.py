"""What a study is: its study file (TOML), checked key by key before anything runs.

Every key the file may hold is one line of `STUDY_KEYS` (its kind and an example); a key that
is not there, a value of the wrong kind (`topics = "mlflow"` is a string, not a list of
topics) or a malformed file is a `StudyFileError` naming the file, the key and what to write.
Relative paths in the file are resolved against the folder the study file is in.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzers.repo.gitsafe import PROTOCOLS
from mining.git.history import HistoryOptions
from mining.study.filters import StudyFilters

DEFAULT_TOPICS = ("mlflow-project", "mlflow-projects")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class StudySetupError(ValueError):
    """The study cannot start as it is set up; the message says what to change."""


class StudyFileError(StudySetupError):
    """The study file cannot be used; the message names the file, the key and the fix."""


class MissingDependency(RuntimeError):
    """An optional package the settings ask for is not installed."""

    environment = True


def _string(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(_string(item) for item in value)


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _fraction(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1


@dataclass(frozen=True, slots=True)
class StudyKey:
    """One key a study file may hold: what its value must be, and an example of it."""

    name: str
    kind: str  # how the error message describes a valid value
    valid: Callable[[Any], bool]
    example: str


STUDY_KEYS: dict[str, StudyKey] = {
    key.name: key
    for key in (
        StudyKey(
            "name",
            "a name of letters, digits, '.', '_' and '-'",
            lambda v: isinstance(v, str) and bool(_NAME.fullmatch(v)),
            '"mlflow-topics"',
        ),
        StudyKey("dataset", "a path (a string)", _string, '"mlflow-topics.csv"'),
        StudyKey("output", "a path (a string)", _string, '"../results/mlflow-topics"'),
        StudyKey("topics", "a list of strings", _strings, '["mlflow-project"]'),
        StudyKey("qualifiers", "a list of strings", _strings, '["language:python"]'),
        StudyKey(
            "code_search", "a list of strings", _strings, """['"import mlflow" language:Python']"""
        ),
        StudyKey("exclude_forks", "true or false", lambda v: isinstance(v, bool), "true"),
        StudyKey("exclude_archived", "true or false", lambda v: isinstance(v, bool), "false"),
        StudyKey("min_stars", "a whole number of at least 0", _count, "10"),
        StudyKey("min_commits", "a whole number of at least 0", _count, "5"),
        StudyKey("duplicate_threshold", "a number above 0 and at most 1", _fraction, "0.8"),
        StudyKey("crawl", "true or false", lambda v: isinstance(v, bool), "true"),
        StudyKey(
            "protocols",
            f"a list of protocols among {', '.join(PROTOCOLS)}",
            lambda v: _strings(v) and set(v) <= set(PROTOCOLS),
            '["https"]',
        ),
        StudyKey("jobs", "a whole number of at least 1", _positive, "4"),
        StudyKey("history", "true or false", lambda v: isinstance(v, bool), "true"),
        StudyKey("max_commits", "a whole number of at least 1", _positive, "500"),
        StudyKey("since", "a date (a string)", _string, '"2022-01-01"'),
        StudyKey("first_parent", "true or false", lambda v: isinstance(v, bool), "true"),
    )
}


def read_study_file(path: Path) -> dict[str, Any]:
    """The study file's table, every key checked against `STUDY_KEYS`."""
    try:
        with open(path, "rb") as handle:
            table = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise StudyFileError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise StudyFileError(f"{path}: not valid TOML: not UTF-8 text") from None
    unknown = sorted(set(table) - set(STUDY_KEYS))
    if unknown:
        raise StudyFileError(
            f"{path}: unknown key(s) {', '.join(unknown)} (a study file may hold "
            f"{', '.join(STUDY_KEYS)})"
        )
    if "name" not in table:
        raise StudyFileError(f"{path}: no name (e.g. name = {STUDY_KEYS['name'].example})")
    for key, value in table.items():
        spec = STUDY_KEYS[key]
        if not spec.valid(value):
            raise StudyFileError(
                f"{path}: {key} must be {spec.kind}, not {type(value).__name__} {value!r} "
                f"(e.g. {key} = {spec.example})"
            )
    return table


@dataclass(frozen=True, slots=True)
class StudySettings:
    """What a study is: read from a study file (TOML) and overridable from the command line."""

    name: str
    dataset: Path
    output: Path
    topics: tuple[str, ...] = DEFAULT_TOPICS
    qualifiers: tuple[str, ...] = ()
    code_search: tuple[str, ...] = ()  # code-search frames beside the topics
    crawl: bool = True
    protocols: tuple[str, ...] = ("https",)
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    executor: str = "local"
    scheduler: str | None = None
    clone_cache: Path | None = None
    analysis_cache: Path | None = None
    # The cloner's caps (mining.git.clone.CloneSettings): a repository, and a file written.
    max_size_mb: float | None = 2048.0
    max_file_mb: float | None = 50.0
    url_rewrites: tuple[tuple[str, str], ...] = ()  # the cloner's (the demo's origins)
    # --history (mining.git.history): walk each repository's history too; caps on the walk.
    history: bool = False
    max_commits: int | None = None
    since: str | None = None
    first_parent: bool = True
    # Who is left out (mining.study.filters) and when two repositories are one cluster.
    filters: StudyFilters = field(default_factory=StudyFilters)
    duplicate_threshold: float = 0.8

    def history_options(self) -> HistoryOptions | None:
        """How each repository's history is walked, or None without --history."""
        if not self.history:
            return None
        return HistoryOptions(
            max_commits=self.max_commits,
            since=self.since,
            first_parent=self.first_parent,
            protocols=self.protocols,
        )

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str], **overrides: Any) -> StudySettings:
        """Read a study file. Relative paths in it are relative to the file's own folder; the
        dataset defaults to NAME.csv and the output to results/NAME, both in that folder."""
        path = Path(path)
        table = read_study_file(path)
        base = path.resolve().parent
        name = table["name"]
        settings = cls(
            name=name,
            dataset=base / table.get("dataset", f"{name}.csv"),
            output=base / table.get("output", f"results/{name}"),
            # Only code searches named: that frame alone; no frame named: the default topics.
            topics=tuple(table.get("topics", () if "code_search" in table else DEFAULT_TOPICS)),
            qualifiers=tuple(table.get("qualifiers", ())),
            code_search=tuple(table.get("code_search", ())),
            crawl=table.get("crawl", True),
            protocols=tuple(table.get("protocols", ("https",))),
        )
        optional = ("jobs", "history", "max_commits", "since", "first_parent")
        settings = replace(settings, **{key: table[key] for key in optional if key in table})
        filters = ("exclude_forks", "exclude_archived", "min_stars", "min_commits")
        settings = replace(
            settings,
            filters=StudyFilters(**{key: table[key] for key in filters if key in table}),
            duplicate_threshold=float(table.get("duplicate_threshold", 0.8)),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
