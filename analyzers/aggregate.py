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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analyzers.catalog import load_catalog
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
    signals = signals[signals["repo"].isin(analysed)].reset_index(drop=True)
    return Study(root=root, provenance=provenance, dataset_path=dataset_path,
                 dataset_sha256=file_sha256(dataset_path), repos=table, files=files,
                 calls=calls, signals=signals)


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

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (the keys of `COLUMNS`), in documentation order."""
        return {name: getattr(self, name) for name in COLUMNS}

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
        mlflow_versions=mlflow_versions(requirements), adoption_by_year=adoption_by_year(study))


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
