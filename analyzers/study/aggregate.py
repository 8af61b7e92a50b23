"""Study statistics: from a study directory's tables to tidy DataFrames.

A study directory holds `dataset.csv` (the pinned dataset), `repos.csv` (what happened to each
repository), `files.csv` and `calls.csv` (the scan), `signals.csv` (repository-level files such
as MLproject) and `study.json` (provenance). `load_study` reads them; every other function is
pure, DataFrames in and out, one row per observation, every column documented in `COLUMNS`.

Denominators: a share is of the *analysed* repositories (repos.csv status `analyzed`).
Repositories that failed, or that the dataset lists but repos.csv does not (status
`not-attempted`), are counted in `repo_status` and `failures`, never silently dropped; calls and
signals of repositories that were not analysed are ignored.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from analyzers.code.catalog import load_catalog
from analyzers.study.locations import (
    DEFAULT_LOCAL,
    DEFAULT_LOCAL_DEFINITION,
    LOCATION_CLASSES,
    PLACEHOLDER,
    classify_location,
    config_source,
    redact_uri,
)
from analyzers.study.versioning import (
    HF_NO_SEMVER_SHARE,
    MODEL_URI_KINDS,
    SEMVER_PATTERNS,
    TOKEN_KINDS,
    classify_model_uri,
    name_tokens,
    semantic_version,
    token_kind,
)
from analyzers.tables import restore

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution

ANALYZED = "analyzed"
NOT_ATTEMPTED = "not-attempted"
KINDS = ("any", "script", "notebook")

DATASET_COLUMNS = ("full_name", "commit", "created_at")
REPOS_COLUMNS = ("repo", "commit", "status", "detail")
FILES_COLUMNS = ("repo", "path", "kind", "status")
CALLS_COLUMNS = ("repo", "path", "api", "dimension", "keys")
SIGNALS_COLUMNS = ("repo", "path", "signal", "value")
STUDY_FILES = ("dataset.csv", "repos.csv", "files.csv", "calls.csv", "signals.csv", "study.json")

# The seed study's question: which repositories log parameters or metrics, turn on autologging,
# and point MLflow at a tracking server? `MlflowClient.log_batch` is left out: its arguments are
# never literal, so whether it logs parameters, metrics or only tags is unknown.
LOG_PARAMS = frozenset({"mlflow.log_param", "mlflow.log_params", "mlflow.MlflowClient.log_param"})
LOG_METRICS = frozenset({"mlflow.log_metric", "mlflow.log_metrics",
                         "mlflow.MlflowClient.log_metric"})
SET_TRACKING_URI = frozenset({"mlflow.set_tracking_uri"})
HEADLINE: dict[str, str] = {
    "log-params": "mlflow.log_param, mlflow.log_params or MlflowClient.log_param",
    "log-metrics": "mlflow.log_metric, mlflow.log_metrics or MlflowClient.log_metric",
    "autolog": "any autolog: mlflow.autolog or a flavor's, e.g. mlflow.sklearn.autolog",
    "any-logging": "any of log-params, log-metrics, autolog",
    "set-tracking-uri": "mlflow.set_tracking_uri",
}

# The six traceability aspects a repository can record, and what counts as evidence.
ASPECTS: dict[str, str] = {
    "code_version": "an MLproject file, or a tag whose key starts with mlflow.source",
    "parameters": "a parameters call, or autolog",
    "metrics": "a metrics call, or autolog",
    "artifacts_models": "an artifacts or models call, or autolog",
    "environment": "an MLproject environment (conda, python_env, docker) or an environment "
                   "file (requirements, conda, pyproject, Dockerfile, lock file, ...)",
    "data": "a datasets call (log_input, mlflow.data)",
}

ASPECT_LABELS: dict[str, str] = {
    "code_version": "code version", "parameters": "parameters", "metrics": "metrics",
    "artifacts_models": "artifacts and models", "environment": "environment", "data": "data",
}

REQUIREMENT_LEVELS = ("pinned", "constrained", "unpinned", "none")

_SHARE = {
    "share": "n_using / n_analysed; empty when n_analysed is 0.",
    "ci_low": "Lower bound of the 95% Wilson score interval of share.",
    "ci_high": "Upper bound of the 95% Wilson score interval of share.",
}
_N_ANALYSED = "Repositories analysed (repos.csv status analyzed): the denominator."

COLUMNS: dict[str, dict[str, str]] = {
    "repos": {
        "repo": "GitHub owner/name (dataset full_name, repos.csv repo).",
        "commit": "Pinned commit SHA (from repos.csv, else from the dataset).",
        "status": "analyzed, a failure from repos.csv (not-found, unavailable, too-large, "
                  "timeout, error, empty, ...), or not-attempted (in the dataset, not in "
                  "repos.csv).",
        "detail": "repos.csv's one-line reason for a failure; empty otherwise.",
        "in_dataset": "Whether dataset.csv lists the repository.",
        "created_year": "Year the repository was created (dataset created_at); empty if "
                        "unknown.",
        "analysed": "Whether the repository was cloned and scanned (status analyzed).",
    },
    "repo_status": {
        "status": "Repository status, as in repos.",
        "n_repos": "Repositories with this status.",
        "n_total": "All repositories of the study (dataset plus any extra in repos.csv).",
        "share": "n_repos / n_total.",
    },
    "failures": {
        "repo": "Repository that was not analysed.",
        "commit": "Its pinned commit SHA.",
        "status": "Why it was not analysed (a repos.csv failure status, or not-attempted).",
        "detail": "repos.csv's one-line reason; empty for not-attempted.",
    },
    "file_status": {
        "kind": "script, notebook or directory (files.csv kind).",
        "status": "files.csv status: analyzed, no-mlflow, syntax-error, python2, ...",
        "n_files": "Rows of files.csv with this kind and status.",
        "n_repos": "Repositories with at least one such file.",
    },
    "usage": {
        "repo": "Analysed repository.",
        "level": "api (one MLflow API) or dimension (a traceability dimension of the "
                 "catalog).",
        "name": "The API's canonical name or the dimension.",
        "calls": "Call sites of the API or dimension in the repository.",
        "script_calls": "Of which in .py files.",
        "notebook_calls": "Of which in .ipynb notebooks.",
    },
    "adoption": {
        "level": "dimension or api.",
        "name": "Traceability dimension (all of the catalog's, used or not) or canonical API "
                "name (every API seen in an analysed repository).",
        "kind": "any (calls anywhere), script (calls in .py files) or notebook (calls in "
                ".ipynb notebooks).",
        "n_using": "Analysed repositories with at least one such call (of that kind).",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
        "calls": "Call sites (of that kind) across analysed repositories.",
    },
    "headline": {
        "measure": "log-params, log-metrics, autolog, any-logging or set-tracking-uri.",
        "definition": "The APIs the measure counts.",
        "n_using": "Analysed repositories calling any of them.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "coverage": {
        "repo": "Analysed repository.",
        **{aspect: f"Whether the repository records its {ASPECT_LABELS[aspect]}: {evidence}."
           for aspect, evidence in ASPECTS.items()},
        "coverage": "How many of the six aspects it records (0-6).",
    },
    "coverage_distribution": {
        "coverage": "Number of traceability aspects recorded (0-6).",
        "n_repos": "Analysed repositories recording exactly that many.",
        "n_analysed": _N_ANALYSED,
        "share": "n_repos / n_analysed; empty when n_analysed is 0.",
        "ci_low": _SHARE["ci_low"],
        "ci_high": _SHARE["ci_high"],
    },
    "traceability": {
        "aspect": "One of the six traceability aspects (see coverage).",
        "evidence": "What counts as recording it.",
        "n_using": "Analysed repositories recording it.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "cooccurrence": {
        "dimension_a": "A dimension used by at least one analysed repository.",
        "dimension_b": "Another (or the same) such dimension.",
        "n_repos": "Analysed repositories using both (on the diagonal: using dimension_a).",
    },
    "top_keys": {
        "dimension": "parameters or metrics.",
        "key": "A literal parameter or metric name (from calls.csv keys).",
        "n_repos": "Analysed repositories logging it (each repository counted once).",
        "n_calls": "Call sites logging it.",
        "rank": "1-based rank within the dimension by n_repos, then n_calls, then key.",
    },
    "signals": {
        "signal": "mlproject, mlproject-env, env-file, mlflow-requirement or dvc.",
        "value": "any (any file of that signal), an MLproject environment kind, an environment "
                 "file kind, or a requirement level: pinned (==X.Y...), constrained (another "
                 "specifier), unpinned (no specifier), none (no mlflow requirement found).",
        "n_using": "Analysed repositories with that signal and value.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "mlflow_requirements": {
        "repo": "Analysed repository.",
        "requirement": "Its strictest mlflow requirement: pinned, constrained, unpinned or "
                       "none.",
        "versions": "major.minor versions it pins, sorted, ';'-separated; empty unless pinned.",
        "specifiers": "Every mlflow specifier found, as path:specifier, ';'-separated.",
    },
    "mlflow_versions": {
        "version": "A pinned mlflow major.minor version.",
        "n_repos": "Analysed repositories pinning it (a repository pinning two versions in "
                   "different files counts for both).",
        "n_pinning": "Analysed repositories pinning any version.",
        "share": "n_repos / n_pinning.",
    },
    "adoption_by_year": {
        "year": "Year the repository was created (dataset created_at).",
        "level": "headline (a headline measure) or dimension.",
        "name": "The headline measure or dimension.",
        "n_repos": "Repositories of the study created that year, whatever their status.",
        "n_using": "Analysed repositories created that year that use it.",
        "n_analysed": "Analysed repositories created that year: the denominator.",
        **_SHARE,
    },
}


class StudyError(Exception):
    """A study directory that cannot be read; the message names the file and the problem."""


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of `successes / trials`; (nan, nan) when `trials` is 0."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return math.nan, math.nan
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def _share(k: int, n: int) -> tuple[float, float, float]:
    return (k / n if n else math.nan, *wilson_interval(k, n))


def _frame(table: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame with exactly the documented columns of `table`, in order."""
    columns = list(COLUMNS[table])
    frame = pd.DataFrame(list(rows), columns=columns)
    if list(frame.columns) != columns:
        raise AssertionError(f"{table}: columns {list(frame.columns)} != {columns}")
    return frame


def _with_share(row: dict[str, Any], k: str = "n_using", n: str = "n_analysed") -> dict[str, Any]:
    share, low, high = _share(row[k], row[n])
    return {**row, "share": share, "ci_low": low, "ci_high": high}


# ---------------------------------------------------------------------------------------------
# Reading a study


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
    facts: pd.DataFrame = field(default_factory=lambda: _empty_facts())
    has_facts: bool = False

    @property
    def analysed(self) -> list[str]:
        return sorted(self.repos.loc[self.repos["analysed"], "repo"])

    @property
    def n_analysed(self) -> int:
        return int(self.repos["analysed"].sum())

    @property
    def name(self) -> str:
        return str(self.provenance.get("name") or self.root.name)


def _read_table(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise StudyError(f"{path}: file not found (a study directory holds "
                         f"{', '.join(STUDY_FILES)})")
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
        frame = pd.read_csv(path, usecols=list(columns), dtype=str, keep_default_na=False,
                            na_filter=False, encoding="utf-8")
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise StudyError(f"{path}: cannot be parsed: {error}") from error
    for column in columns:  # cells neutralised against spreadsheet formulas, back to data
        quoted = frame[column].str.startswith("'")
        if quoted.any():
            frame.loc[quoted, column] = frame.loc[quoted, column].map(restore)
    return frame[list(columns)]


def _read_provenance(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise StudyError(f"{path}: file not found (the pipeline writes the study's provenance "
                         "there)")
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
        candidates += [path] if path.is_absolute() else [
            Path.cwd() / path, root / path, *(parent / path for parent in root.resolve().parents)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise StudyError(f"{root / 'dataset.csv'}: file not found"
                     + (f", nor study.json's dataset {declared}" if declared else "")
                     + f" (a study directory holds {', '.join(STUDY_FILES)})")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _repo_table(dataset: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    dataset = dataset.drop_duplicates("full_name").rename(
        columns={"full_name": "repo", "commit": "pinned_commit"})
    # A repository listed twice in repos.csv was retried: its last outcome stands.
    outcomes = outcomes.drop_duplicates("repo", keep="last")
    created = pd.to_datetime(dataset["created_at"], errors="coerce", utc=True, format="ISO8601")
    dataset = dataset.assign(created_year=created.dt.year.astype("Int64"))
    merged = dataset[["repo", "pinned_commit", "created_year"]].merge(
        outcomes, on="repo", how="outer", sort=False, indicator=True)
    commit = merged["commit"].fillna("").astype(str)
    status = merged["status"].fillna("").astype(str)
    repos = pd.DataFrame({
        "repo": merged["repo"].astype(str),
        "commit": commit.mask(commit == "", merged["pinned_commit"].fillna("").astype(str)),
        "status": status.mask(status == "", NOT_ATTEMPTED),
        "detail": merged["detail"].fillna("").astype(str),
        "in_dataset": (merged["_merge"] != "right_only").astype(bool),
        "created_year": merged["created_year"].astype("Int64"),
    })
    repos["analysed"] = repos["status"] == ANALYZED
    return repos.sort_values("repo", kind="stable").reset_index(drop=True)


def load_study(study_dir: str | Path) -> Study:
    """Read a study directory; raises `StudyError` naming the file that is missing or bad."""
    root = Path(study_dir)
    if not root.is_dir():
        raise StudyError(f"{root}: not a directory")
    provenance = _read_provenance(root / "study.json")
    dataset_path = find_dataset(root, provenance)
    dataset = _read_table(dataset_path, DATASET_COLUMNS)
    repos = _read_table(root / "repos.csv", REPOS_COLUMNS)
    files = _read_table(root / "files.csv", FILES_COLUMNS)
    calls = _read_table(root / "calls.csv", CALLS_COLUMNS)
    signals = _read_table(root / "signals.csv", SIGNALS_COLUMNS)
    table = _repo_table(dataset, repos)
    analysed = set(table.loc[table["analysed"], "repo"])
    calls = calls[calls["repo"].isin(analysed)].reset_index(drop=True)
    calls["kind"] = calls["path"].str.lower().str.endswith(".ipynb").map(
        {True: "notebook", False: "script"}).astype(str)
    signals = _redact_signals(signals[signals["repo"].isin(analysed)].reset_index(drop=True))
    facts, has_facts = _read_facts(root, analysed)
    return Study(root=root, provenance=provenance, dataset_path=dataset_path,
                 dataset_sha256=file_sha256(dataset_path), repos=table, files=files,
                 calls=calls, signals=signals, facts=facts, has_facts=has_facts)


# ---------------------------------------------------------------------------------------------
# Repositories and files


def repos_table(study: Study) -> pd.DataFrame:
    """One row per repository of the study, with its status and creation year."""
    return _frame("repos", study.repos.to_dict("records"))


def repo_status(study: Study) -> pd.DataFrame:
    """How many repositories ended in each status: analysed first, then failures by count."""
    counts = study.repos["status"].value_counts()
    total = len(study.repos)
    order = sorted(counts.items(), key=lambda item: (item[0] != ANALYZED, -item[1], item[0]))
    return _frame("repo_status", ({"status": status, "n_repos": int(n), "n_total": total,
                                   "share": n / total} for status, n in order))


def failures(study: Study) -> pd.DataFrame:
    """Every repository that was not analysed, with why."""
    failed = study.repos[~study.repos["analysed"]]
    failed = failed.sort_values(["status", "repo"], kind="stable")
    return _frame("failures", failed[list(COLUMNS["failures"])].to_dict("records"))


def file_status(study: Study) -> pd.DataFrame:
    """Files by kind and status, over all rows of files.csv."""
    files = study.files
    if files.empty:
        return _frame("file_status", [])
    grouped = files.groupby(["kind", "status"], sort=True).agg(
        n_files=("repo", "size"), n_repos=("repo", "nunique")).reset_index()
    return _frame("file_status", grouped.to_dict("records"))


# ---------------------------------------------------------------------------------------------
# Which repository uses what


def dimensions(study: Study) -> list[str]:
    """The catalog's dimensions in its order, then any other dimension seen in calls.csv."""
    known = list(load_catalog().dimensions)
    return known + sorted(set(study.calls["dimension"]) - set(known))


def usage(study: Study) -> pd.DataFrame:
    """Repository x API and repository x dimension call counts, tidy (non-zero pairs only)."""
    frames = []
    calls = study.calls
    for level in ("api", "dimension"):
        if calls.empty:
            break
        counts = calls.groupby(["repo", level, "kind"]).size().unstack("kind", fill_value=0)
        counts = counts.reindex(columns=["script", "notebook"], fill_value=0).astype(int)
        frames.append(pd.DataFrame({
            "repo": counts.index.get_level_values(0), "level": level,
            "name": counts.index.get_level_values(1),
            "calls": counts["script"].to_numpy() + counts["notebook"].to_numpy(),
            "script_calls": counts["script"].to_numpy(),
            "notebook_calls": counts["notebook"].to_numpy()}))
    rows = pd.concat(frames, ignore_index=True).to_dict("records") if frames else []
    return _frame("usage", rows)


def usage_matrix(usage_table: pd.DataFrame, level: str, repos: Sequence[str],
                 values: str = "uses", names: Sequence[str] | None = None) -> pd.DataFrame:
    """Wide repository x name matrix from `usage`: booleans (`values="uses"`) or call counts
    (`values="calls"`, `"script_calls"`, `"notebook_calls"`); every repo in `repos` is a row."""
    subset = usage_table[usage_table["level"] == level]
    column = "calls" if values == "uses" else values
    wide = subset.pivot_table(index="repo", columns="name", values=column, aggfunc="sum",
                              fill_value=0)
    wide = wide.reindex(index=list(repos), columns=list(names) if names is not None
                        else sorted(subset["name"].unique()), fill_value=0)
    wide = wide.fillna(0).astype(int)
    wide.columns.name = level
    return wide > 0 if values == "uses" else wide


def adoption(study: Study) -> pd.DataFrame:
    """Share of analysed repositories using each dimension and each API, overall and by kind
    of file, with Wilson intervals."""
    n = study.n_analysed
    calls = study.calls
    apis = sorted(set(calls["api"]))
    rows: list[dict[str, Any]] = []
    for level, names in (("dimension", dimensions(study)), ("api", apis)):
        for kind in KINDS:
            subset = calls if kind == "any" else calls[calls["kind"] == kind]
            users = subset.groupby(level)["repo"].nunique()
            sites = subset.groupby(level).size()
            block = [_with_share({"level": level, "name": name, "kind": kind,
                                  "n_using": int(users.get(name, 0)), "n_analysed": n,
                                  "calls": int(sites.get(name, 0))}) for name in names]
            rows.extend(sorted(block, key=lambda row: (-row["n_using"], row["name"])))
    return _frame("adoption", rows)


def _headline_users(calls: pd.DataFrame) -> dict[str, set[str]]:
    api = calls["api"]
    users = {
        "log-params": set(calls.loc[api.isin(LOG_PARAMS), "repo"]),
        "log-metrics": set(calls.loc[api.isin(LOG_METRICS), "repo"]),
        "autolog": set(calls.loc[api.str.endswith(".autolog"), "repo"]),
        "set-tracking-uri": set(calls.loc[api.isin(SET_TRACKING_URI), "repo"]),
    }
    users["any-logging"] = users["log-params"] | users["log-metrics"] | users["autolog"]
    return users


def headline(study: Study) -> pd.DataFrame:
    """The seed study's question: shares of analysed repositories that log parameters, metrics,
    autolog, any of those, and set a tracking URI."""
    users = _headline_users(study.calls)
    return _frame("headline", (_with_share({
        "measure": measure, "definition": definition, "n_using": len(users[measure]),
        "n_analysed": study.n_analysed}) for measure, definition in HEADLINE.items()))


def _split_keys(calls: pd.DataFrame) -> pd.DataFrame:
    """One row per (call, key) for calls with literal keys."""
    with_keys = calls[calls["keys"] != ""]
    exploded = with_keys.assign(key=with_keys["keys"].str.split(";")).explode("key")
    return exploded[exploded["key"] != ""]


def coverage(study: Study) -> pd.DataFrame:
    """Per analysed repository: which of the six traceability aspects it records, and how many."""
    calls, signals = study.calls, study.signals
    by_dimension = calls.groupby("dimension")["repo"].agg(set).to_dict()

    def using(*names: str) -> set[str]:
        return set().union(*(by_dimension.get(name, set()) for name in names))

    def signalled(signal: str, exclude: Iterable[str] = ()) -> set[str]:
        rows = signals[(signals["signal"] == signal) & ~signals["value"].isin(list(exclude))]
        return set(rows["repo"])

    keys = _split_keys(calls)
    source_tags = set(keys.loc[keys["key"].str.startswith("mlflow.source"), "repo"])
    autolog = using("autolog")
    evidence = {
        "code_version": signalled("mlproject") | source_tags,
        "parameters": using("parameters") | autolog,
        "metrics": using("metrics") | autolog,
        "artifacts_models": using("artifacts", "models") | autolog,
        "environment": signalled("mlproject-env", exclude=("", "none")) | signalled("env-file"),
        "data": using("datasets"),
    }
    rows = []
    for repo in study.analysed:
        row: dict[str, Any] = {"repo": repo}
        row.update({aspect: repo in evidence[aspect] for aspect in ASPECTS})
        row["coverage"] = sum(row[aspect] for aspect in ASPECTS)
        rows.append(row)
    return _frame("coverage", rows)


def coverage_distribution(coverage_table: pd.DataFrame) -> pd.DataFrame:
    """How many analysed repositories record exactly 0, 1, ..., 6 aspects."""
    n = len(coverage_table)
    counts = coverage_table["coverage"].value_counts()
    rows = []
    for value in range(len(ASPECTS) + 1):
        k = int(counts.get(value, 0))
        share, low, high = _share(k, n)
        rows.append({"coverage": value, "n_repos": k, "n_analysed": n, "share": share,
                     "ci_low": low, "ci_high": high})
    return _frame("coverage_distribution", rows)


def traceability(coverage_table: pd.DataFrame) -> pd.DataFrame:
    """Share of analysed repositories recording each traceability aspect."""
    n = len(coverage_table)
    return _frame("traceability", (_with_share({
        "aspect": aspect, "evidence": evidence, "n_using": int(coverage_table[aspect].sum()),
        "n_analysed": n}) for aspect, evidence in ASPECTS.items()))


def cooccurrence(study: Study, usage_table: pd.DataFrame) -> pd.DataFrame:
    """Dimension x dimension: analysed repositories using both, for every used dimension."""
    used = usage_table.loc[usage_table["level"] == "dimension", "name"].unique()
    names = [name for name in dimensions(study) if name in set(used)]
    matrix = usage_matrix(usage_table, "dimension", study.analysed, names=names).astype(int)
    both = matrix.T @ matrix
    return _frame("cooccurrence", ({"dimension_a": a, "dimension_b": b,
                                    "n_repos": int(both.loc[a, b])}
                                   for a in names for b in names))


def cooccurrence_matrix(cooccurrence_table: pd.DataFrame) -> pd.DataFrame:
    """The square dimension x dimension matrix of `cooccurrence`, in its row order."""
    order = list(dict.fromkeys(cooccurrence_table["dimension_a"]))
    wide = cooccurrence_table.pivot(index="dimension_a", columns="dimension_b", values="n_repos")
    return wide.reindex(index=order, columns=order)


def top_keys(study: Study) -> pd.DataFrame:
    """Logged parameter and metric names: in how many repositories and calls each appears."""
    calls = study.calls[study.calls["dimension"].isin(["parameters", "metrics"])]
    keys = _split_keys(calls)
    rows: list[dict[str, Any]] = []
    for dimension in ("parameters", "metrics"):
        subset = keys[keys["dimension"] == dimension]
        if subset.empty:
            continue
        grouped = subset.groupby("key").agg(n_repos=("repo", "nunique"),
                                            n_calls=("repo", "size")).reset_index()
        ranked = sorted(grouped.to_dict("records"),
                        key=lambda row: (-row["n_repos"], -row["n_calls"], row["key"]))
        rows.extend({"dimension": dimension, "key": row["key"], "n_repos": int(row["n_repos"]),
                     "n_calls": int(row["n_calls"]), "rank": rank}
                    for rank, row in enumerate(ranked, start=1))
    return _frame("top_keys", rows)


# ---------------------------------------------------------------------------------------------
# Repository-level signals

_PIN = re.compile(r"===?\s*v?(\d+)(?:\.(\d+))?(?:\.\d+)*(?:[a-z]+\d*|\.post\d+|\.dev\d+)*",
                  re.IGNORECASE)


def classify_requirement(specifier: str) -> tuple[str, str]:
    """(level, major.minor) of an mlflow version specifier: `==2.16.2` -> (pinned, 2.16),
    `>=2.0` or `==2.*` -> (constrained, ""), `` -> (unpinned, "")."""
    clauses = [clause.strip() for clause in specifier.split(";", 1)[0].split(",")]
    clauses = [clause for clause in clauses if clause]
    if not clauses:
        return "unpinned", ""
    for clause in clauses:
        match = _PIN.fullmatch(clause)
        if match:
            return "pinned", f"{int(match[1])}.{int(match[2] or 0)}"
    return "constrained", ""


def mlflow_requirements(study: Study) -> pd.DataFrame:
    """Per analysed repository: its strictest mlflow requirement and the versions it pins."""
    requirements = study.signals[study.signals["signal"] == "mlflow-requirement"]
    by_repo: dict[str, list[tuple[str, str]]] = {}
    for row in requirements.sort_values(["repo", "path"], kind="stable").itertuples():
        by_repo.setdefault(row.repo, []).append((row.path, row.value))
    rows = []
    for repo in study.analysed:
        found = by_repo.get(repo, [])
        levels = [classify_requirement(spec) for _, spec in found]
        level = min((lvl for lvl, _ in levels), key=REQUIREMENT_LEVELS.index, default="none")
        versions = sorted({v for _, v in levels if v}, key=_version_key)
        rows.append({"repo": repo, "requirement": level, "versions": ";".join(versions),
                     "specifiers": ";".join(f"{path}:{spec}" for path, spec in found)})
    return _frame("mlflow_requirements", rows)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def mlflow_versions(requirements: pd.DataFrame) -> pd.DataFrame:
    """How many analysed repositories pin each mlflow major.minor version."""
    pinning = requirements[requirements["requirement"] == "pinned"]
    counts: dict[str, int] = {}
    for versions in pinning["versions"]:
        for version in filter(None, versions.split(";")):
            counts[version] = counts.get(version, 0) + 1
    n = len(pinning)
    return _frame("mlflow_versions", ({"version": version, "n_repos": k, "n_pinning": n,
                                       "share": k / n}
                                      for version, k in sorted(counts.items(),
                                                               key=lambda i: _version_key(i[0]))))


def signal_summary(study: Study, requirements: pd.DataFrame) -> pd.DataFrame:
    """Shares of analysed repositories with MLproject files (and their environments),
    environment files by kind, mlflow requirements by level, and DVC."""
    n = study.n_analysed
    signals = study.signals
    rows: list[dict[str, Any]] = []

    def add(signal: str, value: str, repos: Iterable[str]) -> None:
        rows.append(_with_share({"signal": signal, "value": value,
                                 "n_using": len(set(repos)), "n_analysed": n}))

    for signal in ("mlproject", "mlproject-env", "env-file"):
        subset = signals[signals["signal"] == signal]
        if signal != "mlproject-env":
            add(signal, "any", subset["repo"])
        if signal != "mlproject":
            for value in sorted(set(subset["value"])):
                add(signal, value or "unknown", subset.loc[subset["value"] == value, "repo"])
    for level in REQUIREMENT_LEVELS:
        add("mlflow-requirement", level,
            requirements.loc[requirements["requirement"] == level, "repo"])
    add("dvc", "any", signals.loc[signals["signal"] == "dvc", "repo"])
    return _frame("signals", rows)


# ---------------------------------------------------------------------------------------------
# Over time


def adoption_by_year(study: Study) -> pd.DataFrame:
    """Per creation year: shares of that year's analysed repositories using each headline
    measure and each dimension. Repositories of unknown creation date are left out."""
    repos = study.repos[study.repos["created_year"].notna()]
    years = sorted(int(year) for year in repos["created_year"].unique())
    year_of = dict(zip(repos["repo"], repos["created_year"].astype(int), strict=True))
    analysed = repos[repos["analysed"]]
    per_year_total = repos["created_year"].value_counts()
    per_year_analysed = analysed["created_year"].value_counts()
    groups: list[tuple[str, str, set[str]]] = [
        ("headline", measure, users) for measure, users in _headline_users(study.calls).items()]
    by_dimension = study.calls.groupby("dimension")["repo"].agg(set).to_dict()
    groups.sort(key=lambda group: list(HEADLINE).index(group[1]))
    groups += [("dimension", name, by_dimension.get(name, set())) for name in dimensions(study)]
    rows = []
    for year in years:
        n = int(per_year_analysed.get(year, 0))
        for level, name, users in groups:
            k = sum(1 for repo in users if year_of.get(repo) == year)
            rows.append(_with_share({"year": year, "level": level, "name": name,
                                     "n_repos": int(per_year_total.get(year, 0)),
                                     "n_using": k, "n_analysed": n}))
    return _frame("adoption_by_year", rows)


# ---------------------------------------------------------------------------------------------
# Findings beyond call counts: where runs are stored, a traceability profile per repository,
# model versioning in the registry. Read from facts.csv (values the analyzer found in code:
# URIs, model names, ...) beside calls.csv and signals.csv; a study without facts.csv (older
# than the facts) gives these tables from calls and signals alone, and `Study.has_facts` says so.

FACTS_COLUMNS = ("repo", "path", "cell", "line", "fact", "value", "source")
LOCATION_SETTINGS = ("tracking-uri", "registry-uri")
SET_URI_APIS = {"mlflow.set_tracking_uri": "tracking-uri",
                "mlflow.set_registry_uri": "registry-uri"}
ANY_LOCATION = "any-location"
LOCATION_VIEWS = (("any", "classes"), ("tracking-uri", "tracking"), ("registry-uri", "registry"))

PROFILE_ASPECTS: dict[str, str] = {
    "code_version": "an MLproject file, a git tag set by hand (mlflow.source.git.*, or a tag key "
                    "naming git, commit or revision), or a source file (.py, .ipynb) logged as "
                    "an artifact",
    "parameters_metrics": "a parameters or metrics call, or autolog",
    "environment": "an MLproject environment (conda, python_env, docker), conda_env / "
                   "pip_requirements / extra_pip_requirements given to a log_model or "
                   "save_model, or an environment file (requirements, conda, pyproject, "
                   "Dockerfile, lock file, ...)",
    "dependencies": "mlflow pinned to an exact version (==), and every ML framework the "
                    "repository declares (scikit-learn, torch, tensorflow, ...) pinned too",
    "data": "log_input or mlflow.data (the datasets dimension), a data file logged as an "
            "artifact (.csv, .parquet, .json, ...), or DVC",
}
PROFILE_LABELS: dict[str, str] = {
    "code_version": "code version", "parameters_metrics": "parameters and metrics",
    "environment": "environment", "dependencies": "dependencies", "data": "data",
}
FULLY_TRACEABLE = "fully-traceable"
SOURCE_SUFFIXES = (".py", ".ipynb")
DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".json", ".jsonl", ".ndjson", ".feather",
                 ".arrow", ".h5", ".hdf5", ".npz", ".npy", ".avro", ".orc", ".xlsx", ".xls",
                 ".tfrecord", ".tfrecords")
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip")
_GIT_TAG = re.compile(r"^mlflow\.source\.git|git|commit|revision", re.IGNORECASE)
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(.*)")

# Registered models and their versions (the registry dimension also holds webhooks, MCP
# servers and skills, which are no model versioning).
_MODEL_REGISTRY_API = re.compile(r"registered_model|model_version|register_model|"
                                 r"latest_versions")
TRANSITION_API = "mlflow.MlflowClient.transition_model_version_stage"
SET_ALIAS_API = "mlflow.MlflowClient.set_registered_model_alias"
ALIAS_APIS = frozenset({SET_ALIAS_API, "mlflow.MlflowClient.get_model_version_by_alias",
                        "mlflow.MlflowClient.delete_registered_model_alias"})
REGISTRY_MEASURES: dict[str, str] = {
    "uses-registry": "any of register-model, log-model-registration, client-registry",
    "register-model": "mlflow.register_model",
    "log-model-registration": "registered_model_name= given to a log_model call",
    "client-registry": "an MlflowClient method on registered models or model versions "
                       "(create_registered_model, create_model_version, get_latest_versions, "
                       "transition_model_version_stage, set_registered_model_alias, ...)",
    "stage-transitions": "MlflowClient.transition_model_version_stage (deprecated since "
                         "MLflow 2.9)",
    "alias-assignments": "MlflowClient.set_registered_model_alias",
    "stages": "the stage lifecycle: a stage transition, a stage literal or a stage model URI "
              "(models:/NAME/Production)",
    "aliases": "the alias lifecycle: an alias set, read or deleted, an alias literal or an alias "
               "model URI (models:/NAME@champion)",
    "stages-only": "stages and no aliases",
    "aliases-only": "aliases and no stages",
    "stages-and-aliases": "both stages and aliases",
}
NAMING_GROUPS = ("versioning", "pattern", "token")

_PER_REPO_POSITION = {
    "path": "File the value was found in, relative to the repository root.",
    "cell": "Notebooks: 0-based cell index, as in calls.csv; empty for .py files and "
            "configuration files.",
    "line": "1-based line (inside the cell for notebooks); empty for configuration files.",
}
_PROFILE_FLAGS = {aspect: f"Whether the repository records its {PROFILE_LABELS[aspect]}: "
                          f"{evidence}." for aspect, evidence in PROFILE_ASPECTS.items()}

FINDINGS_COLUMNS: dict[str, dict[str, str]] = {
    "locations": {
        "repo": "Analysed repository.",
        **_PER_REPO_POSITION,
        "setting": "tracking-uri or registry-uri.",
        "origin": "code (facts.csv: a call, constructor keyword or environment assignment in a "
                  ".py/.ipynb file) or configuration (signals.csv: .env, docker-compose, GitHub "
                  "workflow, MLproject).",
        "source": "The API or construct it came from (mlflow.set_tracking_uri, "
                  "mlflow.MlflowClient, os.environ) or the kind of configuration file (.env, "
                  "docker-compose, github-workflow, MLproject).",
        "value": "The location with user, password and query values replaced by ***; env:NAME "
                 "when read from an environment variable; {…} for non-literal parts; empty when "
                 "not a literal (also for a set_tracking_uri/set_registry_uri call facts.csv "
                 "has no value for).",
        "location": "Its class: local-file, local-database, remote-database, server-localhost, "
                    "server-remote, server-unknown-host, databricks, environment or unknown.",
    },
    "repo_locations": {
        "repo": "Analysed repository.",
        "uses_mlflow": "Whether it has at least one MLflow call.",
        "n_locations": "Locations found (rows of locations).",
        "tracking": "Classes of the tracking URIs it sets, ';'-separated, in class order.",
        "registry": "Classes of the registry URIs it sets, ';'-separated, in class order.",
        "classes": "Classes of every location it sets; default-local when it calls MLflow but "
                   "sets none; empty when it neither calls MLflow nor sets a location.",
    },
    "location_shares": {
        "setting": "any (tracking or registry URI), tracking-uri or registry-uri.",
        "location": "any-location (at least one), a location class, or default-local (calls "
                    "MLflow, sets no location of that setting; not for registry-uri, which "
                    "defaults to the tracking URI).",
        "definition": "What the class covers.",
        "n_using": "Analysed repositories setting a location of that class.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "profile": {
        "repo": "Analysed repository.",
        "aspect": "code_version, parameters_metrics, environment, dependencies or data.",
        "recorded": "Whether the repository records the aspect.",
        "evidence": "What was found, '; '-separated, with the file in brackets: MLproject, "
                    "tags, logged files, APIs, environment files, requirements (for "
                    "dependencies also when they fall short of pinning).",
    },
    "profile_matrix": {
        "repo": "Analysed repository.",
        **_PROFILE_FLAGS,
        "n_aspects": "How many of the five aspects it records (0-5).",
        "fully_traceable": "Whether it records all five.",
        "missing": "The aspects it does not record, ';'-separated.",
        "mlflow_pins": "Exact mlflow versions it pins (==), sorted, ';'-separated.",
        "framework_requirements": "Every ML framework requirement found, as name plus "
                                  "specifier (no specifier: unpinned), sorted, ';'-separated.",
    },
    "profile_shares": {
        "aspect": "A profile aspect, or fully-traceable (all five).",
        "definition": "What counts as recording it.",
        "n_using": "Analysed repositories recording it.",
        "n_missing": "Analysed repositories not recording it.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
        "most_missing": "Whether it is the aspect missing most often (ties all true).",
    },
    "profile_combinations": {
        "combination": "The aspects recorded, '+'-joined in aspect order; none for none.",
        **{aspect: f"Whether the combination includes {PROFILE_LABELS[aspect]}."
           for aspect in PROFILE_ASPECTS},
        "n_aspects": "Number of aspects in the combination.",
        "n_repos": "Analysed repositories recording exactly that combination.",
        "n_analysed": _N_ANALYSED,
        "share": "n_repos / n_analysed.",
        "ci_low": _SHARE["ci_low"],
        "ci_high": _SHARE["ci_high"],
    },
    "registry_use": {
        "repo": "Analysed repository.",
        "uses_registry": "register_model, registered_model_name= or a client registry method.",
        "register_model": "Whether it calls mlflow.register_model.",
        "log_model_registration": "Whether it gives registered_model_name= to a log_model.",
        "client_registry": "Whether it calls an MlflowClient method on registered models or "
                           "model versions.",
        "stage_transitions": "Calls of MlflowClient.transition_model_version_stage.",
        "alias_assignments": "Calls of MlflowClient.set_registered_model_alias.",
        "uses_stages": "Stage lifecycle: a stage transition, stage literal or stage model URI.",
        "uses_aliases": "Alias lifecycle: an alias call, alias literal or alias model URI.",
        "stage_names": "Literal stages it transitions to, sorted, ';'-separated.",
        "alias_names": "Literal aliases it sets or reads, sorted, ';'-separated.",
        "model_uri_kinds": "Kinds of the model URI literals it holds, ';'-separated.",
        "n_model_names": "Distinct registered model names found (literal or partly literal).",
    },
    "registry_summary": {
        "measure": ", ".join(REGISTRY_MEASURES) + ".",
        "definition": "What the measure counts.",
        "n_using": "Analysed repositories it holds for.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "model_uris": {
        "repo": "Analysed repository.",
        **_PER_REPO_POSITION,
        "value": "The models:/ or runs:/ string literal, {…} for non-literal parts.",
        "kind": "stage, alias, version, latest, logged-model, run or unknown.",
    },
    "model_uri_kinds": {
        "kind": "A model URI kind.",
        "definition": "What the kind covers.",
        "n_uris": "Model URI literals of that kind.",
        "uri_share": "n_uris / all model URI literals; empty when there is none.",
        "n_using": "Analysed repositories holding at least one.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "model_names": {
        "repo": "Analysed repository.",
        "name": "A registered model name as written ({…} for non-literal parts).",
        "sources": "The APIs it was given to, sorted, ';'-separated.",
        "literal": "Whether the whole name is a literal (only those count in model_naming).",
        "semver": "Whether it holds a semantic version.",
        "pattern": "The first version pattern found: vX, vX.Y, vX.Y.Z, vX-Y, X.Y, X.Y.Z or "
                   "X-Y; empty when none.",
        "version": "The version as written; empty when none.",
        "tokens": "Its lowercase tokens (split on - _ . space / and camelCase), ';'-separated.",
        "token_kinds": "The kind of each token, in the same order.",
    },
    "model_naming": {
        "group": "versioning (semver or not), pattern (a version pattern) or token (a token "
                 "kind).",
        "name": "semver, no-semver, a pattern, or a token kind.",
        "definition": "What it covers.",
        "n_names": "Literal registered model names (one per repository and name) it holds "
                   "for.",
        "n_total": "Literal registered model names: the denominator.",
        "share": "n_names / n_total; empty when n_total is 0.",
        "ci_low": _SHARE["ci_low"],
        "ci_high": _SHARE["ci_high"],
        "reference": "The Hugging Face naming study's share for the same measure (79% of models "
                     "follow no semantic versioning); empty where it has none.",
    },
    "name_tokens": {
        "token": "A lowercase token of literal registered model names.",
        "kind": "version, date, parameter-count, size-label, fine-tuned, number or word.",
        "n_names": "Literal names holding it.",
        "n_repos": "Analysed repositories with such a name.",
    },
}
COLUMNS.update(FINDINGS_COLUMNS)


def _empty_facts() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=str) for column in FACTS_COLUMNS})


def _read_facts(root: Path, analysed: set[str]) -> tuple[pd.DataFrame, bool]:
    """facts.csv of the analysed repositories and whether the study has one. Every value is
    redacted again: a credential the analyzer missed never reaches an output."""
    path = root / "facts.csv"
    if not path.is_file():
        return _empty_facts(), False
    facts = _read_table(path, FACTS_COLUMNS)
    facts = facts[facts["repo"].isin(analysed)].reset_index(drop=True)
    facts["value"] = [redact_uri(value) for value in facts["value"]]
    return facts, True


def _redact_signals(signals: pd.DataFrame) -> pd.DataFrame:
    signals = signals.copy()
    signals["value"] = [redact_uri(value) for value in signals["value"]]
    return signals


def _number(text: object) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isdigit() else None


def _as_int(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.array(list(frame[column]), dtype="Int64")
    return frame


def _position(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["repo"], row["path"], -1 if row["cell"] is None else row["cell"],
            -1 if row["line"] is None else row["line"])


def _joined(values: Iterable[str], order: Sequence[str] | None = None) -> str:
    distinct = {value for value in values if value}
    if order is None:
        return ";".join(sorted(distinct))
    return ";".join(sorted(distinct, key=lambda v: (order.index(v) if v in order else len(order),
                                                    v)))


# --- Where runs are stored -------------------------------------------------------------------

def locations(study: Study) -> pd.DataFrame:
    """Every tracking and registry location an analysed repository sets, classified: from code
    (facts.csv), from configuration files (signals.csv), and one of value unknown for each
    set_tracking_uri / set_registry_uri call of a repository facts.csv has no such value for."""
    rows: list[dict[str, Any]] = []

    def add(repo: str, path: str, cell: object, line: object, setting: str, origin: str,
            source: str, value: str) -> None:
        value = redact_uri(value)
        rows.append({"repo": repo, "path": path, "cell": _number(cell), "line": _number(line),
                     "setting": setting, "origin": origin, "source": source, "value": value,
                     "location": classify_location(value)})

    facts = study.facts[study.facts["fact"].isin(LOCATION_SETTINGS)]
    for fact in facts.to_dict("records"):
        add(fact["repo"], fact["path"], fact["cell"], fact["line"], fact["fact"], "code",
            fact["source"], fact["value"])
    signals = study.signals[study.signals["signal"].isin(LOCATION_SETTINGS)]
    for signal in signals.to_dict("records"):
        add(signal["repo"], signal["path"], "", "", signal["signal"], "configuration",
            config_source(signal["path"]), signal["value"])
    covered = set(zip(facts["repo"], facts["source"], strict=True))
    calls = study.calls[study.calls["api"].isin(list(SET_URI_APIS))]
    for call in calls.to_dict("records"):
        if (call["repo"], call["api"]) not in covered:
            add(call["repo"], call["path"], "", "", SET_URI_APIS[call["api"]], "code",
                call["api"], "")
    rows.sort(key=lambda row: (*_position(row), row["setting"], row["origin"], row["source"],
                               row["value"]))
    return _as_int(_frame("locations", rows), "cell", "line")


def repo_locations(study: Study, locations_table: pd.DataFrame) -> pd.DataFrame:
    """Per analysed repository: the classes of the tracking and registry locations it sets."""
    order = list(LOCATION_CLASSES)
    found: dict[str, dict[str, set[str]]] = {}
    counts: dict[str, int] = {}
    for repo, setting, location in zip(locations_table["repo"], locations_table["setting"],
                                       locations_table["location"], strict=True):
        found.setdefault(repo, {}).setdefault(setting, set()).add(location)
        counts[repo] = counts.get(repo, 0) + 1
    users = set(study.calls["repo"])
    rows = []
    for repo in study.analysed:
        settings = found.get(repo, {})
        every = _joined(set().union(*settings.values()), order)
        rows.append({"repo": repo, "uses_mlflow": repo in users, "n_locations": counts.get(repo, 0),
                     "tracking": _joined(settings.get("tracking-uri", ()), order),
                     "registry": _joined(settings.get("registry-uri", ()), order),
                     "classes": every or (DEFAULT_LOCAL if repo in users else "")})
    return _frame("repo_locations", rows)


def location_shares(repo_table: pd.DataFrame) -> pd.DataFrame:
    """Share of analysed repositories setting a location of each class: any setting, tracking
    URIs, registry URIs; default-local for those that call MLflow and set none."""
    n = len(repo_table)
    rows = []
    for setting, column in LOCATION_VIEWS:
        sets = [set(value.split(";")) - {"", DEFAULT_LOCAL} for value in repo_table[column]]
        entries = [(ANY_LOCATION, "at least one location, of any class",
                    sum(1 for classes in sets if classes))]
        entries += [(name, definition, sum(1 for classes in sets if name in classes))
                    for name, definition in LOCATION_CLASSES.items()]
        if setting != "registry-uri":
            entries.append((DEFAULT_LOCAL, DEFAULT_LOCAL_DEFINITION, sum(
                1 for classes, uses in zip(sets, repo_table["uses_mlflow"], strict=True)
                if uses and not classes)))
        rows += [_with_share({"setting": setting, "location": name, "definition": definition,
                              "n_using": k, "n_analysed": n}) for name, definition, k in entries]
    return _frame("location_shares", rows)


# --- A traceability profile per repository ---------------------------------------------------

def _data_file(path: str) -> bool:
    lower = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        lower = lower.removesuffix(suffix)
    return lower.endswith(DATA_SUFFIXES)


def _split_requirement(value: str) -> tuple[str, str]:
    """`scikit-learn==1.4.2` -> (scikit-learn, ==1.4.2); `torch` -> (torch, "")."""
    match = _REQUIREMENT_NAME.fullmatch(value)
    if match is None:
        return value.strip(), ""
    return match[1].lower(), re.sub(r"\s+", "", match[2])


def _exact_versions(specifier: str) -> list[str]:
    """The versions `==`/`===` clauses of a specifier pin exactly."""
    clauses = [clause.strip() for clause in specifier.split(";", 1)[0].split(",")]
    return [re.sub(r"^===?\s*v?", "", clause) for clause in clauses if _PIN.fullmatch(clause)]


def _strictest(levels: Iterable[str]) -> str:
    return min(levels, key=REQUIREMENT_LEVELS.index, default="none")


@dataclass(frozen=True, slots=True)
class _Dependencies:
    recorded: bool
    evidence: list[str]
    mlflow_pins: list[str]
    framework_requirements: list[str]


def _dependencies(study: Study) -> dict[str, _Dependencies]:
    """Per analysed repository: whether mlflow and every declared framework are pinned."""
    signals = study.signals.sort_values(["repo", "path", "signal", "value"], kind="stable")
    mlflow: dict[str, list[tuple[str, str]]] = {}
    frameworks: dict[str, list[tuple[str, str, str]]] = {}
    for row in signals.to_dict("records"):
        if row["signal"] == "mlflow-requirement":
            mlflow.setdefault(row["repo"], []).append((row["path"], row["value"]))
        elif row["signal"] == "framework-requirement":
            name, spec = _split_requirement(row["value"])
            frameworks.setdefault(row["repo"], []).append((row["path"], name, spec))
    result = {}
    for repo in study.analysed:
        specs = mlflow.get(repo, [])
        declared = frameworks.get(repo, [])
        level = _strictest(classify_requirement(spec)[0] for _, spec in specs)
        per_framework: dict[str, list[str]] = {}
        for _, name, spec in declared:
            per_framework.setdefault(name, []).append(classify_requirement(spec)[0])
        pinned = level == "pinned" and all(_strictest(levels) == "pinned"
                                           for levels in per_framework.values())
        evidence = [f"mlflow{spec or ' (unpinned)'} [{path}]" for path, spec in specs]
        evidence = evidence or ["no mlflow requirement"]
        evidence += [f"{name}{spec or ' (unpinned)'} [{path}]" for path, name, spec in declared]
        pins = sorted({version for _, spec in specs for version in _exact_versions(spec)},
                      key=_release_key)
        result[repo] = _Dependencies(pinned, evidence, pins,
                                     sorted({name + spec for _, name, spec in declared}))
    return result


def _release_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in re.split(r"[.+-]", version))


def _profile_evidence(study: Study) -> dict[str, dict[str, tuple[bool, list[str]]]]:
    """aspect -> repository -> (recorded, evidence items), for repositories with evidence."""
    calls, signals, facts = study.calls, study.signals, study.facts
    items: dict[str, dict[str, list[str]]] = {aspect: {} for aspect in PROFILE_ASPECTS}

    def note(aspect: str, repo: str, item: str) -> None:
        found = items[aspect].setdefault(repo, [])
        if item not in found:
            found.append(item)

    def signalled(name: str) -> list[dict[str, Any]]:
        rows = signals[signals["signal"] == name]
        return rows.sort_values(["repo", "path", "value"], kind="stable").to_dict("records")

    def apis(dimensions_: Sequence[str]) -> list[tuple[str, str]]:
        subset = calls[calls["dimension"].isin(list(dimensions_))]
        return sorted(set(zip(subset["repo"], subset["api"], strict=True)))

    ordered_facts = facts.sort_values(["repo", "path", "fact", "value"], kind="stable")
    artifacts = ordered_facts[ordered_facts["fact"] == "artifact-path"].to_dict("records")
    environments = ordered_facts[ordered_facts["fact"] == "log-model-environment"]

    for row in signalled("mlproject"):
        note("code_version", row["repo"], f"MLproject [{row['path']}]")
    tags = _split_keys(calls[calls["dimension"] == "tags"])
    tags = tags.sort_values(["repo", "key", "path"], kind="stable")
    for repo, key, path in zip(tags["repo"], tags["key"], tags["path"], strict=True):
        if _GIT_TAG.search(key):
            note("code_version", repo, f"tag {key} [{path}]")
    for row in artifacts:
        if row["value"].lower().endswith(SOURCE_SUFFIXES):
            note("code_version", row["repo"], f"source artifact {row['value']} [{row['path']}]")

    for repo, api in apis(("parameters", "metrics", "autolog")):
        note("parameters_metrics", repo, api)

    for row in signalled("mlproject-env"):
        if row["value"] not in ("", "none"):
            note("environment", row["repo"], f"MLproject {row['value']} [{row['path']}]")
    for row in environments.to_dict("records"):
        note("environment", row["repo"], f"{row['source']} {row['value']} [{row['path']}]")
    for row in signalled("env-file"):
        note("environment", row["repo"], f"env file {row['value']} [{row['path']}]")

    for repo, api in apis(("datasets",)):
        note("data", repo, api)
    for row in artifacts:
        if _data_file(row["value"]):
            note("data", row["repo"], f"data artifact {row['value']} [{row['path']}]")
    for row in signalled("dvc"):
        note("data", row["repo"], f"DVC [{row['path']}]")

    evidence = {aspect: {repo: (True, found) for repo, found in by_repo.items()}
                for aspect, by_repo in items.items()}
    evidence["dependencies"] = {repo: (deps.recorded, deps.evidence)
                                for repo, deps in _dependencies(study).items()}
    return evidence


def profile(study: Study) -> pd.DataFrame:
    """Tidy: per analysed repository and profile aspect, whether it is recorded and the
    evidence found."""
    evidence = _profile_evidence(study)
    rows = []
    for repo in study.analysed:
        for aspect in PROFILE_ASPECTS:
            recorded, found = evidence[aspect].get(repo, (False, []))
            rows.append({"repo": repo, "aspect": aspect, "recorded": recorded,
                         "evidence": "; ".join(found)})
    return _frame("profile", rows)


def profile_matrix(study: Study, profile_table: pd.DataFrame) -> pd.DataFrame:
    """Wide: one row per analysed repository, one boolean column per aspect, the count, what
    is missing, and the versions it pins."""
    recorded = {(repo, aspect): flag for repo, aspect, flag in zip(
        profile_table["repo"], profile_table["aspect"], profile_table["recorded"], strict=True)}
    dependencies = _dependencies(study)
    rows = []
    for repo in study.analysed:
        row: dict[str, Any] = {"repo": repo}
        row.update({aspect: bool(recorded.get((repo, aspect), False))
                    for aspect in PROFILE_ASPECTS})
        row["n_aspects"] = sum(row[aspect] for aspect in PROFILE_ASPECTS)
        row["fully_traceable"] = row["n_aspects"] == len(PROFILE_ASPECTS)
        row["missing"] = ";".join(aspect for aspect in PROFILE_ASPECTS if not row[aspect])
        row["mlflow_pins"] = ";".join(dependencies[repo].mlflow_pins)
        row["framework_requirements"] = ";".join(dependencies[repo].framework_requirements)
        rows.append(row)
    return _frame("profile_matrix", rows)


def profile_shares(matrix: pd.DataFrame) -> pd.DataFrame:
    """Share of analysed repositories recording each aspect, and all five; which aspect is
    missing most often."""
    n = len(matrix)
    counts = {aspect: int(matrix[aspect].sum()) for aspect in PROFILE_ASPECTS}
    worst = max((n - k for k in counts.values()), default=0)
    rows = [_with_share({"aspect": aspect, "definition": PROFILE_ASPECTS[aspect],
                         "n_using": k, "n_missing": n - k, "n_analysed": n})
            | {"most_missing": worst > 0 and n - k == worst} for aspect, k in counts.items()]
    k = int(matrix["fully_traceable"].sum())
    rows.append(_with_share({"aspect": FULLY_TRACEABLE, "definition": "all five aspects",
                             "n_using": k, "n_missing": n - k, "n_analysed": n})
                | {"most_missing": False})
    return _frame("profile_shares", rows)


def profile_combinations(matrix: pd.DataFrame) -> pd.DataFrame:
    """Which combinations of aspects analysed repositories record, most common first (the bars
    of an upset chart)."""
    n = len(matrix)
    counts: dict[tuple[bool, ...], int] = {}
    for flags in zip(*(matrix[aspect] for aspect in PROFILE_ASPECTS), strict=True):
        key = tuple(bool(flag) for flag in flags)
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for flags, k in counts.items():
        chosen = [aspect for aspect, flag in zip(PROFILE_ASPECTS, flags, strict=True) if flag]
        rows.append(_with_share({"combination": "+".join(chosen) or "none",
                                 **dict(zip(PROFILE_ASPECTS, flags, strict=True)),
                                 "n_aspects": len(chosen), "n_repos": k, "n_analysed": n},
                                k="n_repos"))
    rows.sort(key=lambda row: (-row["n_repos"], -row["n_aspects"],
                               [not row[aspect] for aspect in PROFILE_ASPECTS]))
    return _frame("profile_combinations", rows)


# --- Model versioning in the registry --------------------------------------------------------

def model_uris(study: Study) -> pd.DataFrame:
    """Every models:/ and runs:/ literal in analysed repositories, with its kind."""
    facts = study.facts[study.facts["fact"] == "model-uri"]
    rows = [{"repo": fact["repo"], "path": fact["path"], "cell": _number(fact["cell"]),
             "line": _number(fact["line"]), "value": fact["value"],
             "kind": classify_model_uri(fact["value"])} for fact in facts.to_dict("records")]
    rows.sort(key=lambda row: (*_position(row), row["value"]))
    return _as_int(_frame("model_uris", rows), "cell", "line")


def model_uri_kinds(uris: pd.DataFrame, n_analysed: int) -> pd.DataFrame:
    """Model URI literals by kind: how many, and in how many analysed repositories."""
    total = len(uris)
    rows = []
    for kind, definition in MODEL_URI_KINDS.items():
        subset = uris[uris["kind"] == kind]
        rows.append(_with_share({"kind": kind, "definition": definition, "n_uris": len(subset),
                                 "uri_share": len(subset) / total if total else math.nan,
                                 "n_using": subset["repo"].nunique(),
                                 "n_analysed": n_analysed}))
    return _frame("model_uri_kinds", rows)


def registry_use(study: Study, uris: pd.DataFrame) -> pd.DataFrame:
    """Per analysed repository: how it uses the model registry and which lifecycle it
    follows (stages or aliases)."""
    calls, facts = study.calls, study.facts
    registry = calls[(calls["dimension"] == "registry")
                     & calls["api"].str.contains(_MODEL_REGISTRY_API.pattern, regex=True)]
    names = facts[facts["fact"] == "registered-model-name"]

    def repos(frame: pd.DataFrame) -> set[str]:
        return set(frame["repo"])

    def literals(fact: str) -> dict[str, set[str]]:
        subset = facts[(facts["fact"] == fact) & (facts["value"] != "")]
        return subset.groupby("repo")["value"].agg(set).to_dict()

    register = (repos(calls[calls["api"] == "mlflow.register_model"])
                | repos(names[names["source"] == "mlflow.register_model"]))
    logged = repos(names[names["source"].str.endswith(".log_model")])
    client = repos(registry[registry["api"].str.startswith("mlflow.MlflowClient.")])
    transitions = calls[calls["api"] == TRANSITION_API]["repo"].value_counts().to_dict()
    assignments = calls[calls["api"] == SET_ALIAS_API]["repo"].value_counts().to_dict()
    alias_calls = repos(calls[calls["api"].isin(list(ALIAS_APIS))])
    stages, aliases = literals("model-stage"), literals("model-alias")
    kinds = uris.groupby("repo")["kind"].agg(set).to_dict()
    n_names = names[names["value"] != ""].groupby("repo")["value"].nunique().to_dict()
    rows = []
    for repo in study.analysed:
        uri_kinds = kinds.get(repo, set())
        rows.append({
            "repo": repo, "uses_registry": repo in register | logged | client,
            "register_model": repo in register, "log_model_registration": repo in logged,
            "client_registry": repo in client,
            "stage_transitions": int(transitions.get(repo, 0)),
            "alias_assignments": int(assignments.get(repo, 0)),
            "uses_stages": bool(transitions.get(repo) or stages.get(repo)
                                or "stage" in uri_kinds),
            "uses_aliases": bool(repo in alias_calls or aliases.get(repo)
                                 or "alias" in uri_kinds),
            "stage_names": _joined(stages.get(repo, ())),
            "alias_names": _joined(aliases.get(repo, ())),
            "model_uri_kinds": _joined(uri_kinds, list(MODEL_URI_KINDS)),
            "n_model_names": int(n_names.get(repo, 0))})
    return _frame("registry_use", rows)


def registry_summary(registry_table: pd.DataFrame) -> pd.DataFrame:
    """Shares of analysed repositories using the registry, by how, and by lifecycle."""
    table = registry_table
    stages, aliases = table["uses_stages"], table["uses_aliases"]
    holds = {
        "uses-registry": table["uses_registry"], "register-model": table["register_model"],
        "log-model-registration": table["log_model_registration"],
        "client-registry": table["client_registry"],
        "stage-transitions": table["stage_transitions"] > 0,
        "alias-assignments": table["alias_assignments"] > 0,
        "stages": stages, "aliases": aliases, "stages-only": stages & ~aliases,
        "aliases-only": aliases & ~stages, "stages-and-aliases": stages & aliases,
    }
    return _frame("registry_summary", (_with_share({
        "measure": measure, "definition": definition, "n_using": int(holds[measure].sum()),
        "n_analysed": len(table)}) for measure, definition in REGISTRY_MEASURES.items()))


def model_names(study: Study) -> pd.DataFrame:
    """Every registered model name found, one row per repository and name, with its semantic
    version (if any) and tokens."""
    facts = study.facts[(study.facts["fact"] == "registered-model-name")
                        & (study.facts["value"].str.strip() != "")]
    sources = facts.groupby(["repo", "value"])["source"].agg(lambda s: _joined(s)).to_dict()
    rows = []
    for (repo, name), source in sorted(sources.items()):
        pattern, version = semantic_version(name)
        tokens = name_tokens(name)
        rows.append({"repo": repo, "name": name, "sources": source,
                     "literal": PLACEHOLDER not in name, "semver": bool(pattern),
                     "pattern": pattern, "version": version, "tokens": ";".join(tokens),
                     "token_kinds": ";".join(token_kind(token) for token in tokens)})
    return _frame("model_names", rows)


def model_naming(names: pd.DataFrame) -> pd.DataFrame:
    """Shares of literal registered model names following semantic versioning, by version
    pattern and by token kind, beside the Hugging Face naming study."""
    literal = names[names["literal"].astype(bool)] if len(names) else names
    n = len(literal)
    kinds = [set(value.split(";")) - {""} for value in literal["token_kinds"]]
    semver = int(literal["semver"].astype(bool).sum()) if n else 0
    entries: list[tuple[str, str, str, int, float]] = [
        ("versioning", "semver", "a semantic version anywhere in the name", semver,
         round(1 - HF_NO_SEMVER_SHARE, 6)),
        ("versioning", "no-semver", "no semantic version", n - semver, HF_NO_SEMVER_SHARE)]
    entries += [("pattern", pattern, definition, int((literal["pattern"] == pattern).sum()),
                 math.nan) for pattern, definition in SEMVER_PATTERNS.items()]
    entries += [("token", kind, definition, sum(1 for found in kinds if kind in found),
                 math.nan) for kind, definition in TOKEN_KINDS.items()]
    return _frame("model_naming", (_with_share({
        "group": group, "name": name, "definition": definition, "n_names": k, "n_total": n},
        k="n_names", n="n_total") | {"reference": reference}
        for group, name, definition, k, reference in entries))


def name_tokens_table(names: pd.DataFrame) -> pd.DataFrame:
    """Tokens of literal registered model names: how many names and repositories hold each."""
    literal = names[names["literal"].astype(bool)] if len(names) else names
    holders: dict[str, tuple[set[tuple[str, str]], set[str]]] = {}
    for repo, name, tokens in zip(literal["repo"], literal["name"], literal["tokens"],
                                  strict=True):
        for token in set(tokens.split(";")) - {""}:
            found = holders.setdefault(token, (set(), set()))
            found[0].add((repo, name))
            found[1].add(repo)
    rows = sorted(({"token": token, "kind": token_kind(token), "n_names": len(found[0]),
                    "n_repos": len(found[1])} for token, found in holders.items()),
                  key=lambda row: (-row["n_names"], -row["n_repos"], row["token"]))
    return _frame("name_tokens", rows)


def findings(study: Study) -> dict[str, pd.DataFrame]:
    """Every table of the three findings, by name (the keys of `FINDINGS_COLUMNS`)."""
    found = locations(study)
    per_repo = repo_locations(study, found)
    long = profile(study)
    matrix = profile_matrix(study, long)
    uris = model_uris(study)
    registry_table = registry_use(study, uris)
    names = model_names(study)
    tables = {
        "locations": found, "repo_locations": per_repo,
        "location_shares": location_shares(per_repo), "profile": long,
        "profile_matrix": matrix, "profile_shares": profile_shares(matrix),
        "profile_combinations": profile_combinations(matrix), "registry_use": registry_table,
        "registry_summary": registry_summary(registry_table), "model_uris": uris,
        "model_uri_kinds": model_uri_kinds(uris, study.n_analysed), "model_names": names,
        "model_naming": model_naming(names), "name_tokens": name_tokens_table(names),
    }
    return tables


# ---------------------------------------------------------------------------------------------
# Everything at once


@dataclass(frozen=True)
class Aggregates:
    """Every table of a study, computed once and shared by the report and the export."""

    study: Study
    repos: pd.DataFrame
    repo_status: pd.DataFrame
    failures: pd.DataFrame
    file_status: pd.DataFrame
    usage: pd.DataFrame
    adoption: pd.DataFrame
    headline: pd.DataFrame
    coverage: pd.DataFrame
    coverage_distribution: pd.DataFrame
    traceability: pd.DataFrame
    cooccurrence: pd.DataFrame
    top_keys: pd.DataFrame
    signals: pd.DataFrame
    mlflow_requirements: pd.DataFrame
    mlflow_versions: pd.DataFrame
    adoption_by_year: pd.DataFrame
    # Findings beyond call counts (FINDINGS_COLUMNS)
    locations: pd.DataFrame
    repo_locations: pd.DataFrame
    location_shares: pd.DataFrame
    profile: pd.DataFrame
    profile_matrix: pd.DataFrame
    profile_shares: pd.DataFrame
    profile_combinations: pd.DataFrame
    registry_use: pd.DataFrame
    registry_summary: pd.DataFrame
    model_uris: pd.DataFrame
    model_uri_kinds: pd.DataFrame
    model_names: pd.DataFrame
    model_naming: pd.DataFrame
    name_tokens: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (the keys of `COLUMNS`), in documentation order."""
        extra = self.evolution.tables  # issue 6: EVOLUTION_COLUMNS
        return {name: extra[name] if name in extra else getattr(self, name) for name in COLUMNS}

    @cached_property
    def evolution(self) -> Evolution:
        """Evolution and ecosystem tables (issue 6), from the study's optional ecosystem.csv
        and history tables; computed on first use."""
        return evolution_tables(self)

    @property
    def n_total(self) -> int:
        return len(self.repos)

    @property
    def n_analysed(self) -> int:
        return self.study.n_analysed

    @property
    def n_failed(self) -> int:
        return self.n_total - self.n_analysed


def aggregate(study: Study) -> Aggregates:
    """Compute every table of `study`."""
    usage_table = usage(study)
    coverage_table = coverage(study)
    requirements = mlflow_requirements(study)
    return Aggregates(
        study=study, repos=repos_table(study), repo_status=repo_status(study),
        failures=failures(study), file_status=file_status(study), usage=usage_table,
        adoption=adoption(study), headline=headline(study), coverage=coverage_table,
        coverage_distribution=coverage_distribution(coverage_table),
        traceability=traceability(coverage_table),
        cooccurrence=cooccurrence(study, usage_table), top_keys=top_keys(study),
        signals=signal_summary(study, requirements), mlflow_requirements=requirements,
        mlflow_versions=mlflow_versions(requirements), adoption_by_year=adoption_by_year(study),
        **findings(study))


def aggregate_study(study_dir: str | Path,
                    progress: Callable[[str], None] | None = None) -> Aggregates:
    """Read a study directory and compute every table."""
    if progress:
        progress(f"reading {study_dir}")
    study = load_study(study_dir)
    if progress:
        progress(f"{len(study.repos)} repositories ({study.n_analysed} analysed), "
                 f"{len(study.calls)} calls; aggregating")
    return aggregate(study)


__all__ = ["ASPECTS", "ASPECT_LABELS", "COLUMNS", "HEADLINE", "Z95", "Aggregates", "Study",
           "StudyError", "adoption", "adoption_by_year", "aggregate", "aggregate_study",
           "classify_requirement", "cooccurrence", "cooccurrence_matrix", "coverage",
           "coverage_distribution", "dimensions", "failures", "file_sha256", "file_status",
           "find_dataset",
           "headline", "load_study", "mlflow_requirements", "mlflow_versions", "repo_status",
           "repos_table", "signal_summary", "top_keys", "traceability", "usage", "usage_matrix",
           "wilson_interval"]
# Findings beyond call counts
__all__ += ["FACTS_COLUMNS", "FINDINGS_COLUMNS", "FULLY_TRACEABLE", "PROFILE_ASPECTS",
            "PROFILE_LABELS", "REGISTRY_MEASURES", "findings", "location_shares", "locations",
            "model_names", "model_naming", "model_uri_kinds", "model_uris", "name_tokens_table",
            "profile", "profile_combinations", "profile_matrix", "profile_shares",
            "registry_summary", "registry_use", "repo_locations"]


# ---------------------------------------------------------------------------------------------
# Evolution and ecosystem (issue 6). Read from the study's optional tables: ecosystem.csv (the
# MLOps tools beside MLflow, analyzers.repo.ecosystem) and, for a study run with --history,
# history.csv, history_events.csv and history_summary.csv (mining.git.history). Every table below
# exists in every study; without its input it is empty, and `EvolutionInputs` says so (the
# report then leaves its section out).

ECOSYSTEM_INPUT_COLUMNS = ("repo", "path", "tool", "evidence")
HISTORY_INPUT_COLUMNS = ("repo", "dimension", "first_commit", "first_date", "removed_commit",
                         "removed_date", "present_at_head")
EVENTS_INPUT_COLUMNS = ("repo", "dimension", "event", "event_commit", "event_date")
SUMMARY_INPUT_COLUMNS = ("repo", "status", "commits_analysed", "truncated", "oldest_date",
                         "head_date", "first_mlflow_commit", "first_mlflow_date",
                         "blobs_parsed", "blobs_skipped", "cache_hits")
ECOSYSTEM_TOOLS = ("dvc", "hydra", "cml", "github-actions", "optuna", "wandb", "neptune",
                   "comet", "tensorboard", "uv", "poetry", "conda", "docker")
HISTORY_MLFLOW = "mlflow"  # history.csv's pseudo-dimension: any MLflow call or requirement
# MLflow practices compared between a tool's users and the other analysed repositories.
PRACTICES: dict[str, str] = {
    **{aspect: f"records its {ASPECT_LABELS[aspect]} (coverage: {evidence})"
       for aspect, evidence in ASPECTS.items()},
    "log-input": "calls mlflow.log_input or MlflowClient.log_inputs (datasets as run inputs)",
    "autolog": HEADLINE["autolog"],
    "set-tracking-uri": HEADLINE["set-tracking-uri"],
    "registry": "a registry call (registered models, versions, stages, aliases)",
}
LOG_INPUT = frozenset({"mlflow.log_input", "mlflow.MlflowClient.log_inputs"})

_N_HISTORY = ("Analysed repositories whose history was walked (history_summary.csv status "
              "walked): the denominator.")
_TOOL_SHARE = {
    "n_tool": "Analysed repositories using the tool (ecosystem.csv).",
    "k_tool": "Of which with the practice.",
    "share_tool": "k_tool / n_tool; empty when n_tool is 0.",
    "ci_low_tool": "Lower bound of the 95% Wilson score interval of share_tool.",
    "ci_high_tool": "Upper bound of the 95% Wilson score interval of share_tool.",
    "n_other": "Analysed repositories not using the tool.",
    "k_other": "Of which with the practice.",
    "share_other": "k_other / n_other; empty when n_other is 0.",
    "ci_low_other": "Lower bound of the 95% Wilson score interval of share_other.",
    "ci_high_other": "Upper bound of the 95% Wilson score interval of share_other.",
    "difference": "share_tool - share_other (empty when either is).",
}
EVOLUTION_COLUMNS: dict[str, dict[str, str]] = {
    "ecosystem_tools": {
        "tool": "An MLOps tool: " + ", ".join(ECOSYSTEM_TOOLS) + ".",
        "evidence": "any (any evidence of the tool), or one kind of evidence: a file "
                    "(dvc.yaml, *.dvc, uv.lock, Dockerfile, ...), an import (import wandb, "
                    "torch.utils.tensorboard, ...), a call (optuna.create_study, "
                    "@hydra.main, ...) or a workflow step (workflow: cml comment, workflow: "
                    "mlflow server, ...).",
        "n_using": "Analysed repositories with that evidence.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "ecosystem_coadoption": {
        "tool": "An MLOps tool used by at least one analysed repository.",
        "practice": "An MLflow practice: " + "; ".join(f"{name}: {text}" for name, text
                                                       in PRACTICES.items()) + ".",
        **_TOOL_SHARE,
    },
    "adoption_curve": {
        "month": "Calendar month (YYYY-MM), from the first month a walked history has an "
                 "MLflow event to the last head commit's month; the state is the one at the "
                 "month's end.",
        "dimension": "mlflow (any MLflow call or mlflow requirement) or a traceability "
                     "dimension of the catalog seen in some history.",
        "n_using": "Repositories whose default branch had the dimension at the month's end "
                   "(history_events.csv: the last event by then is an addition).",
        "n_existing": "Repositories whose walked history had started by the month's end "
                      "(oldest walked commit at or before it).",
        "n_repos": _N_HISTORY,
        "share": "n_using / n_repos; empty when n_repos is 0.",
        "ci_low": "Lower bound of the 95% Wilson score interval of share.",
        "ci_high": "Upper bound of the 95% Wilson score interval of share.",
    },
    "time_to_adoption": {
        "repo": "Analysed repository whose history was walked.",
        "created_at": "When the GitHub repository was created (dataset created_at); empty "
                      "if unknown.",
        "oldest_date": "Date of the oldest commit walked (its first commit unless the walk "
                       "was capped).",
        "first_mlflow_commit": "First commit with MLflow evidence (a call or an mlflow "
                               "requirement); empty if none.",
        "first_mlflow_date": "Its commit date (UTC).",
        "days_from_creation": "first_mlflow_date - created_at, in days; negative when the "
                              "history predates the GitHub repository (an imported history); "
                              "empty without MLflow or a creation date.",
        "days_from_first_commit": "first_mlflow_date - oldest_date, in days; empty without "
                                  "MLflow.",
        "truncated": "Whether --max-commits or --since cut the walk short of the first "
                     "commit (then MLflow may have come earlier).",
    },
    "dimension_lifecycle": {
        "dimension": "mlflow or a traceability dimension seen in some history.",
        "n_repos": _N_HISTORY,
        "n_adopted": "Repositories where it appeared at some commit.",
        "n_removed": "Of which it later disappeared from at least once (present at a commit, "
                     "absent at a later one).",
        "n_at_head": "Repositories whose head commit has it.",
        "share_removed": "n_removed / n_adopted; empty when n_adopted is 0.",
        "ci_low": "Lower bound of the 95% Wilson score interval of share_removed.",
        "ci_high": "Upper bound of the 95% Wilson score interval of share_removed.",
        "median_days_after_mlflow": "Median days from the repository's first MLflow commit to "
                                    "the dimension's first commit (mlflow: 0).",
    },
}
COLUMNS.update(EVOLUTION_COLUMNS)
# Column types of these tables, so that an empty table (no input) has the types of a full one.
_EVOLUTION_TYPES: dict[str, str] = {
    **dict.fromkeys(("n_using", "n_analysed", "n_tool", "k_tool", "n_other", "k_other",
                     "n_existing", "n_repos", "n_adopted", "n_removed", "n_at_head"), "int64"),
    **dict.fromkeys(("share", "ci_low", "ci_high", "share_tool", "ci_low_tool", "ci_high_tool",
                     "share_other", "ci_low_other", "ci_high_other", "difference",
                     "days_from_creation", "days_from_first_commit", "share_removed",
                     "median_days_after_mlflow"), "float64"),
    "truncated": "bool",
}


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


def _optional_table(path: Path, columns: Sequence[str], analysed: set[str]
                    ) -> tuple[pd.DataFrame, bool]:
    if not path.is_file():
        return pd.DataFrame({column: pd.Series(dtype=str) for column in columns}), False
    frame = _read_table(path, columns)
    return frame[frame["repo"].isin(analysed)].reset_index(drop=True), True


def load_evolution_inputs(study: Study) -> EvolutionInputs:
    """ecosystem.csv and the history tables of `study`, when it has them."""
    analysed = set(study.analysed)
    ecosystem, has_ecosystem = _optional_table(study.root / "ecosystem.csv",
                                               ECOSYSTEM_INPUT_COLUMNS, analysed)
    summary, has_history = _optional_table(study.root / "history_summary.csv",
                                           SUMMARY_INPUT_COLUMNS, analysed)
    history, _ = _optional_table(study.root / "history.csv", HISTORY_INPUT_COLUMNS, analysed)
    events, _ = _optional_table(study.root / "history_events.csv", EVENTS_INPUT_COLUMNS,
                                analysed)
    walked = set(summary.loc[summary["status"] == "walked", "repo"])
    history = history[history["repo"].isin(walked)].reset_index(drop=True)
    events = events[events["repo"].isin(walked)].reset_index(drop=True)
    dataset = _read_table(study.dataset_path, ("full_name", "created_at"))
    created = dict(zip(dataset["full_name"], dataset["created_at"], strict=True))
    return EvolutionInputs(ecosystem, history, events, summary, created, has_ecosystem,
                           has_history)


def _typed(table: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = _frame(table, rows)
    return frame.astype({column: _EVOLUTION_TYPES.get(column, "str")
                         for column in frame.columns})


def ecosystem_tools(inputs: EvolutionInputs, n_analysed: int) -> pd.DataFrame:
    """Per tool: share of analysed repositories with any evidence of it, then with each kind
    of evidence, with Wilson intervals. Every tool is listed (with 0) once the study has an
    ecosystem.csv."""
    if not inputs.has_ecosystem:
        return _typed("ecosystem_tools", [])
    eco = inputs.ecosystem
    tools = list(ECOSYSTEM_TOOLS) + sorted(set(eco["tool"]) - set(ECOSYSTEM_TOOLS))
    rows = []
    for tool in tools:
        mine = eco[eco["tool"] == tool]
        rows.append(_with_share({"tool": tool, "evidence": "any",
                                 "n_using": mine["repo"].nunique(), "n_analysed": n_analysed}))
        by_evidence = mine.groupby("evidence")["repo"].nunique()
        for evidence in sorted(by_evidence.index, key=lambda e: (-by_evidence[e], e)):
            rows.append(_with_share({"tool": tool, "evidence": evidence,
                                     "n_using": int(by_evidence[evidence]),
                                     "n_analysed": n_analysed}))
    return _typed("ecosystem_tools", rows)


def practice_users(aggregates: Aggregates) -> dict[str, set[str]]:
    """For each practice of `PRACTICES`, the analysed repositories that have it."""
    coverage_table = aggregates.coverage
    users = {aspect: set(coverage_table.loc[coverage_table[aspect].astype(bool), "repo"])
             for aspect in ASPECTS}
    calls = aggregates.study.calls
    headline_users = _headline_users(calls)
    users["log-input"] = set(calls.loc[calls["api"].isin(LOG_INPUT), "repo"])
    users["autolog"] = headline_users["autolog"]
    users["set-tracking-uri"] = headline_users["set-tracking-uri"]
    users["registry"] = set(calls.loc[calls["dimension"] == "registry", "repo"])
    return users


def ecosystem_coadoption(inputs: EvolutionInputs, aggregates: Aggregates) -> pd.DataFrame:
    """Tool x practice: the share of the tool's users with the practice beside the share of
    the other analysed repositories, each with a Wilson interval, and their difference."""
    if not inputs.has_ecosystem:
        return _typed("ecosystem_coadoption", [])
    analysed = set(aggregates.study.analysed)
    users = practice_users(aggregates)
    by_tool = inputs.ecosystem.groupby("tool")["repo"].agg(set).to_dict()
    tools = [tool for tool in ECOSYSTEM_TOOLS if by_tool.get(tool)]
    tools += sorted(set(by_tool) - set(ECOSYSTEM_TOOLS))
    rows = []
    for tool in tools:
        with_tool = by_tool[tool] & analysed
        others = analysed - with_tool
        for practice in PRACTICES:
            k_tool = len(with_tool & users[practice])
            k_other = len(others & users[practice])
            share_tool, low_tool, high_tool = _share(k_tool, len(with_tool))
            share_other, low_other, high_other = _share(k_other, len(others))
            rows.append({"tool": tool, "practice": practice, "n_tool": len(with_tool),
                         "k_tool": k_tool, "share_tool": share_tool, "ci_low_tool": low_tool,
                         "ci_high_tool": high_tool, "n_other": len(others), "k_other": k_other,
                         "share_other": share_other, "ci_low_other": low_other,
                         "ci_high_other": high_other, "difference": share_tool - share_other})
    return _typed("ecosystem_coadoption", rows)


def _month(date: str) -> str:
    return date[:7]


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _history_dimensions(history: pd.DataFrame) -> list[str]:
    known = [HISTORY_MLFLOW, *load_catalog().dimensions]
    seen = set(history["dimension"])
    return [name for name in known if name in seen] + sorted(seen - set(known))


def adoption_curve(inputs: EvolutionInputs) -> pd.DataFrame:
    """Month by month, the share of repositories with a walked history whose default branch
    had each dimension at the month's end."""
    summary = inputs.summary[inputs.summary["status"] == "walked"]
    events = inputs.events
    if summary.empty or events.empty:
        return _typed("adoption_curve", [])
    n_repos = len(summary)
    first = _month(min(events["event_date"]))
    last = max((_month(date) for date in summary["head_date"] if date), default=first)
    months = _months(first, max(first, last))
    starts = [_month(date) for date in summary["oldest_date"] if date]
    ordered = events.sort_values(["event_date"], kind="stable")
    rows = []
    for dimension in _history_dimensions(inputs.history):
        mine = ordered[ordered["dimension"] == dimension]
        timeline: dict[str, list[tuple[str, bool]]] = {}
        for event in mine.itertuples():
            timeline.setdefault(event.repo, []).append((_month(event.event_date),
                                                        event.event == "added"))
        for month in months:
            using = 0
            for changes in timeline.values():
                state = False
                for when, present in changes:
                    if when > month:
                        break
                    state = present
                using += state
            rows.append(_with_share({"month": month, "dimension": dimension, "n_using": using,
                                     "n_existing": sum(start <= month for start in starts),
                                     "n_repos": n_repos}, n="n_repos"))
    return _typed("adoption_curve", rows)


def _days(later: str, earlier: str) -> float:
    if not later or not earlier:
        return math.nan
    stamps = pd.to_datetime([later, earlier], utc=True, format="ISO8601", errors="coerce")
    if stamps.isna().any():
        return math.nan
    return round((stamps[0] - stamps[1]).total_seconds() / 86400, 3)


def time_to_adoption(inputs: EvolutionInputs) -> pd.DataFrame:
    """Per repository with a walked history: from creation, and from its first commit, to the
    first commit with MLflow evidence."""
    summary = inputs.summary[inputs.summary["status"] == "walked"].sort_values("repo")
    rows = []
    for row in summary.to_dict("records"):
        created = inputs.created_at.get(row["repo"], "")
        rows.append({
            "repo": row["repo"], "created_at": created, "oldest_date": row["oldest_date"],
            "first_mlflow_commit": row["first_mlflow_commit"],
            "first_mlflow_date": row["first_mlflow_date"],
            "days_from_creation": _days(row["first_mlflow_date"], created),
            "days_from_first_commit": _days(row["first_mlflow_date"], row["oldest_date"]),
            "truncated": str(row["truncated"]).lower() == "true"})
    return _typed("time_to_adoption", rows)


def dimension_lifecycle(inputs: EvolutionInputs) -> pd.DataFrame:
    """Per dimension: in how many walked histories it appeared, was later removed, and is at
    the head; how long after MLflow it came."""
    summary = inputs.summary[inputs.summary["status"] == "walked"]
    history = inputs.history
    if summary.empty:
        return _typed("dimension_lifecycle", [])
    first_mlflow = dict(zip(summary["repo"], summary["first_mlflow_date"], strict=True))
    rows = []
    for dimension in _history_dimensions(history):
        mine = history[history["dimension"] == dimension]
        adopted = mine["repo"].nunique()
        removed = mine.loc[mine["removed_commit"] != "", "repo"].nunique()
        at_head = mine.loc[mine["present_at_head"].str.lower() == "true", "repo"].nunique()
        delays = [_days(date, first_mlflow.get(repo, "")) for repo, date
                  in zip(mine["repo"], mine["first_date"], strict=True)]
        delays = [delay for delay in delays if not math.isnan(delay)]
        share, low, high = _share(removed, adopted)
        rows.append({"dimension": dimension, "n_repos": len(summary), "n_adopted": adopted,
                     "n_removed": removed, "n_at_head": at_head, "share_removed": share,
                     "ci_low": low, "ci_high": high,
                     "median_days_after_mlflow": float(pd.Series(delays).median())
                     if delays else math.nan})
    return _typed("dimension_lifecycle", rows)


@dataclass(frozen=True)
class Evolution:
    """The issue-6 tables (keys of `EVOLUTION_COLUMNS`) and the inputs they came from."""

    inputs: EvolutionInputs
    tables: dict[str, pd.DataFrame]


def evolution_tables(aggregates: Aggregates) -> Evolution:
    """Every table of `EVOLUTION_COLUMNS` for a study (empty ones where an input is absent)."""
    inputs = load_evolution_inputs(aggregates.study)
    return Evolution(inputs, {
        "ecosystem_tools": ecosystem_tools(inputs, aggregates.n_analysed),
        "ecosystem_coadoption": ecosystem_coadoption(inputs, aggregates),
        "adoption_curve": adoption_curve(inputs),
        "time_to_adoption": time_to_adoption(inputs),
        "dimension_lifecycle": dimension_lifecycle(inputs),
    })


__all__ += ["ECOSYSTEM_TOOLS", "EVOLUTION_COLUMNS", "PRACTICES", "Evolution", "EvolutionInputs",
            "adoption_curve", "dimension_lifecycle", "ecosystem_coadoption", "ecosystem_tools",
            "evolution_tables", "load_evolution_inputs", "practice_users", "time_to_adoption"]
