"""Reading a study directory: the tables the pipeline wrote, joined on the repository.

A study directory holds `dataset.csv` (the pinned dataset), `repos.csv` (what happened to each
repository), `files.csv` and `calls.csv` (the scan), `signals.csv` (repository-level files such
as MLproject), `facts.csv` (values found beside calls) and `study.json` (provenance), and,
when the study has them, `ecosystem.csv` and the history tables.

Denominators: a share is of a population (analyzers/study/populations.py), by default the
*analysed* repositories (repos.csv status `analyzed`, or `partial` when some files could not be
read).
Repositories that failed, or that the dataset lists but repos.csv does not (status
`not-attempted`), are counted in `repo_status` and `failures`, never silently dropped; calls and
signals of repositories that were not analysed are ignored.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analyzers.code.uris import redact_uri
from analyzers.codebook import ANALYSED_STATUSES, NOT_ATTEMPTED
from analyzers.schema import REPORTED_DATASET_COLUMNS
from analyzers.tables import restore

DATASET_COLUMNS = REPORTED_DATASET_COLUMNS


REPOS_COLUMNS = ("repo", "commit", "status", "detail")
# Written by studies since issue 14 (purpose and near-duplicates); an older repos.csv lacks them
# and the populations that need them are left out.
REPOS_STRATA = ("purpose", "duplicate_of", "cluster_size")


FILES_COLUMNS = ("repo", "path", "kind", "status")


CALLS_COLUMNS = ("repo", "path", "api", "dimension", "keys")


SIGNALS_COLUMNS = ("repo", "path", "signal", "value")


INDIRECT_COLUMNS = ("repo", "path", "cell", "line", "integration", "records")


STUDY_FILES = ("dataset.csv", "repos.csv", "files.csv", "calls.csv", "signals.csv", "study.json")


class StudyError(Exception):
    """A study directory that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Study:
    """A study directory's tables, joined on the repository and restricted where it matters.

    `calls` and `signals` hold analysed repositories only; `calls` gains a `kind` column
    (script or notebook, from the file's extension). `repos` has one row per repository.
    """

    root: Path
    provenance: Mapping[str, Any]
    dataset_path: Path
    dataset_sha256: str
    repos: pd.DataFrame
    files: pd.DataFrame
    calls: pd.DataFrame
    signals: pd.DataFrame
    # facts.csv (analysed repositories only, values redacted); empty, and has_facts False, for
    # a study that predates it.
    facts: pd.DataFrame = field(default_factory=lambda: empty_facts())
    has_facts: bool = False
    # indirect.csv (analysed repositories only): integrations that log to MLflow on the
    # repository's behalf; empty, and has_indirect False, for a study that predates it.
    indirect: pd.DataFrame = field(default_factory=lambda: empty_table(INDIRECT_COLUMNS))
    has_indirect: bool = False
    # Which of REPOS_STRATA repos.csv has; `repos` holds all of them, empty when missing.
    stratified: frozenset[str] = frozenset()

    @property
    def analysed(self) -> list[str]:
        return sorted(self.repos.loc[self.repos["analysed"], "repo"])

    @property
    def n_analysed(self) -> int:
        return int(self.repos["analysed"].sum())

    @property
    def name(self) -> str:
        return str(self.provenance.get("name") or self.root.name)


def read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise StudyError(
            f"{path}: file not found (a study directory holds {', '.join(STUDY_FILES)})"
        )
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise StudyError(f"{path}: cannot be read: {error}") from error
    if not header:
        raise StudyError(f"{path}: empty file, expected a header with {', '.join(columns)}")
    missing = [column for column in columns if column not in header]
    if missing:
        raise StudyError(f"{path}: missing column(s) {', '.join(missing)}")
    try:
        # Every cell as text, and an empty cell as "": a key named "NA" is a key, not a gap.
        frame = pd.read_csv(
            path,
            usecols=list(columns),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
        )
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise StudyError(f"{path}: cannot be parsed: {error}") from error
    for column in columns:  # cells neutralised against spreadsheet formulas, back to data
        # A guard may stand at the start of any line of a cell, not only the first.
        quoted = frame[column].str.contains("'", regex=False)
        if quoted.any():
            frame.loc[quoted, column] = frame.loc[quoted, column].map(restore)
    return frame[list(columns)]


def _read_provenance(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise StudyError(
            f"{path}: file not found (the pipeline writes the study's provenance there)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StudyError(f"{path}: not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise StudyError(f"{path}: expected a JSON object")
    return data


def find_dataset(root: Path, provenance: Mapping[str, Any]) -> Path:
    """`<study>/dataset.csv`, else the dataset study.json names: absolute, or relative to the
    working directory, the study directory or one of its parents (the project)."""
    candidates = [root / "dataset.csv"]
    declared = str(provenance.get("dataset") or "")
    if declared:
        path = Path(declared)
        candidates += (
            [path]
            if path.is_absolute()
            else [
                Path.cwd() / path,
                root / path,
                *(parent / path for parent in root.resolve().parents),
            ]
        )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise StudyError(
        f"{root / 'dataset.csv'}: file not found"
        + (f", nor study.json's dataset {declared}" if declared else "")
        + f" (a study directory holds {', '.join(STUDY_FILES)})"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _repo_table(dataset: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    dataset = dataset.drop_duplicates("full_name").rename(
        columns={"full_name": "repo", "commit": "pinned_commit"}
    )
    # A repository listed twice in repos.csv was retried: its last outcome stands.
    outcomes = outcomes.drop_duplicates("repo", keep="last")
    created = pd.to_datetime(dataset["created_at"], errors="coerce", utc=True, format="ISO8601")
    dataset = dataset.assign(created_year=created.dt.year.astype("Int64"))
    merged = dataset[["repo", "pinned_commit", "created_year"]].merge(
        outcomes, on="repo", how="outer", sort=False, indicator=True
    )
    commit = merged["commit"].fillna("").astype(str)
    status = merged["status"].fillna("").astype(str)
    repos = pd.DataFrame(
        {
            "repo": merged["repo"].astype(str),
            "commit": commit.mask(commit == "", merged["pinned_commit"].fillna("").astype(str)),
            "status": status.mask(status == "", NOT_ATTEMPTED),
            "detail": merged["detail"].fillna("").astype(str),
            "in_dataset": (merged["_merge"] != "right_only").astype(bool),
            "created_year": merged["created_year"].astype("Int64"),
        }
    )
    repos["analysed"] = repos["status"].isin(ANALYSED_STATUSES)
    for column in REPOS_STRATA:
        values = merged[column].fillna("").astype(str) if column in merged else ""
        repos[column] = values
    repos["cluster_size"] = pd.array(
        [int(v) if v.isdigit() else None for v in repos["cluster_size"]], dtype="Int64"
    )
    return repos.sort_values("repo", kind="stable").reset_index(drop=True)


def load_study(study_dir: str | Path) -> Study:
    """Read a study directory; raises `StudyError` naming the file that is missing or bad."""
    root = Path(study_dir)
    if not root.is_dir():
        raise StudyError(f"{root}: not a directory")
    provenance = _read_provenance(root / "study.json")
    dataset_path = find_dataset(root, provenance)
    dataset = read_table(dataset_path, DATASET_COLUMNS)
    stratified = frozenset(c for c in REPOS_STRATA if c in _header(root / "repos.csv"))
    repos = read_table(root / "repos.csv", (*REPOS_COLUMNS, *sorted(stratified)))
    files = read_table(root / "files.csv", FILES_COLUMNS)
    calls = read_table(root / "calls.csv", CALLS_COLUMNS)
    signals = read_table(root / "signals.csv", SIGNALS_COLUMNS)
    table = _repo_table(dataset, repos)
    analysed = set(table.loc[table["analysed"], "repo"])
    calls = calls[calls["repo"].isin(analysed)].reset_index(drop=True)
    calls["kind"] = (
        calls["path"]
        .str.lower()
        .str.endswith(".ipynb")
        .map({True: "notebook", False: "script"})
        .astype(str)
    )
    signals = _redact_signals(signals[signals["repo"].isin(analysed)].reset_index(drop=True))
    facts, has_facts = _read_facts(root, analysed)
    indirect, has_indirect = _optional_table(root / "indirect.csv", INDIRECT_COLUMNS, analysed)
    return Study(
        root=root,
        provenance=provenance,
        dataset_path=dataset_path,
        dataset_sha256=file_sha256(dataset_path),
        repos=table,
        files=files,
        calls=calls,
        signals=signals,
        facts=facts,
        has_facts=has_facts,
        indirect=indirect,
        has_indirect=has_indirect,
        stratified=stratified,
    )


def _header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # read_table says what is wrong with it


FACTS_COLUMNS = ("repo", "path", "cell", "line", "fact", "value", "source")


def empty_table(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=str) for column in columns})


def empty_facts() -> pd.DataFrame:
    return empty_table(FACTS_COLUMNS)


def _read_facts(root: Path, analysed: set[str]) -> tuple[pd.DataFrame, bool]:
    """facts.csv of the analysed repositories and whether the study has one. Every value is
    redacted again: a credential the analyzer missed never reaches an output."""
    path = root / "facts.csv"
    if not path.is_file():
        return empty_facts(), False
    facts = read_table(path, FACTS_COLUMNS)
    facts = facts[facts["repo"].isin(analysed)].reset_index(drop=True)
    facts["value"] = facts["value"].map(redact_uri).astype(str)
    return facts, True


def _redact_signals(signals: pd.DataFrame) -> pd.DataFrame:
    signals = signals.copy()
    signals["value"] = signals["value"].map(redact_uri).astype(str)
    return signals


ECOSYSTEM_INPUT_COLUMNS = ("repo", "path", "tool", "evidence")


HISTORY_INPUT_COLUMNS = (
    "repo",
    "dimension",
    "first_commit",
    "first_date",
    "removed_commit",
    "removed_date",
    "present_at_head",
)


EVENTS_INPUT_COLUMNS = ("repo", "dimension", "event", "event_commit", "event_date")


SUMMARY_INPUT_COLUMNS = (
    "repo",
    "status",
    "commits_analysed",
    "truncated",
    "oldest_date",
    "head_date",
    "first_mlflow_commit",
    "first_mlflow_date",
    "file_versions",
)


@dataclass(frozen=True)
class EvolutionInputs:
    """The study's optional issue-6 tables, analysed repositories only; `has_*` say whether the
    study has them at all."""

    ecosystem: pd.DataFrame
    history: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame
    created_at: dict[str, str]
    has_ecosystem: bool
    has_history: bool


def _optional_table(
    path: Path, columns: Sequence[str], analysed: set[str]
) -> tuple[pd.DataFrame, bool]:
    if not path.is_file():
        return empty_table(columns), False
    frame = read_table(path, columns)
    return frame[frame["repo"].isin(analysed)].reset_index(drop=True), True


def load_evolution_inputs(study: Study) -> EvolutionInputs:
    """ecosystem.csv and the history tables of `study`, when it has them."""
    analysed = set(study.analysed)
    ecosystem, has_ecosystem = _optional_table(
        study.root / "ecosystem.csv", ECOSYSTEM_INPUT_COLUMNS, analysed
    )
    summary, has_history = _optional_table(
        study.root / "history_summary.csv", SUMMARY_INPUT_COLUMNS, analysed
    )
    history, _ = _optional_table(study.root / "history.csv", HISTORY_INPUT_COLUMNS, analysed)
    events, _ = _optional_table(study.root / "history_events.csv", EVENTS_INPUT_COLUMNS, analysed)
    walked = set(summary.loc[summary["status"] == "walked", "repo"])
    history = history[history["repo"].isin(walked)].reset_index(drop=True)
    events = events[events["repo"].isin(walked)].reset_index(drop=True)
    dataset = read_table(study.dataset_path, ("full_name", "created_at"))
    created = dict(zip(dataset["full_name"], dataset["created_at"], strict=True))
    return EvolutionInputs(ecosystem, history, events, summary, created, has_ecosystem, has_history)
