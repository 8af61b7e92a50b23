"""A traceability profile per analysed repository: five aspects, each with its evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analyzers.codebook import FULLY_TRACEABLE, PROFILE_ASPECTS
from analyzers.study.adoption import split_keys
from analyzers.study.load import Study
from analyzers.study.requirements import dependency_evidence
from analyzers.study.stats import in_group, records, table_frame, with_share

SOURCE_SUFFIXES = (".py", ".ipynb")


DATA_SUFFIXES = (
    ".csv",
    ".tsv",
    ".parquet",
    ".json",
    ".jsonl",
    ".ndjson",
    ".feather",
    ".arrow",
    ".h5",
    ".hdf5",
    ".npz",
    ".npy",
    ".avro",
    ".orc",
    ".xlsx",
    ".xls",
    ".tfrecord",
    ".tfrecords",
)


COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip")


# A tag set by hand to record the code version: MLflow's git source tags, or a key of the
# user's own that names git, a commit or a revision.
_VERSION_WORD = re.compile(r"git|commit|revision", re.IGNORECASE)


def _data_file(path: str) -> bool:
    lower = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        lower = lower.removesuffix(suffix)
    return lower.endswith(DATA_SUFFIXES)


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
        return records(rows.sort_values(["repo", "path", "value"], kind="stable"))

    def apis(dimensions_: Sequence[str]) -> list[tuple[str, str]]:
        subset = calls[calls["dimension"].isin(list(dimensions_))]
        return sorted(set(zip(subset["repo"], subset["api"], strict=True)))

    ordered_facts = facts.sort_values(["repo", "path", "fact", "value"], kind="stable")
    artifacts = records(ordered_facts[ordered_facts["fact"] == "artifact-path"])
    environments = ordered_facts[ordered_facts["fact"] == "log-model-environment"]

    for row in signalled("mlproject"):
        note("code_version", row["repo"], f"MLproject [{row['path']}]")
    tags = split_keys(calls[calls["dimension"] == "tags"])
    tags = tags.sort_values(["repo", "key", "path"], kind="stable")
    keys = tags["key"]
    tags = tags[in_group(keys, "source-git-tags") | keys.str.contains(_VERSION_WORD)]
    for repo, key, path in zip(tags["repo"], tags["key"], tags["path"], strict=True):
        note("code_version", repo, f"tag {key} [{path}]")
    for row in artifacts:
        if row["value"].lower().endswith(SOURCE_SUFFIXES):
            note("code_version", row["repo"], f"source artifact {row['value']} [{row['path']}]")

    for repo, api in apis(("parameters", "metrics", "autolog")):
        note("parameters_metrics", repo, api)

    for row in signalled("mlproject-env"):
        if row["value"] not in ("", "none"):
            note("environment", row["repo"], f"MLproject {row['value']} [{row['path']}]")
    for row in records(environments):
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

    evidence = {
        aspect: {repo: (True, found) for repo, found in by_repo.items()}
        for aspect, by_repo in items.items()
    }
    evidence["dependencies"] = {
        repo: (deps.recorded, deps.evidence) for repo, deps in dependency_evidence(study).items()
    }
    return evidence


def profile(study: Study) -> pd.DataFrame:
    """Tidy: per analysed repository and profile aspect, whether it is recorded and the
    evidence found."""
    evidence = _profile_evidence(study)
    rows = []
    for repo in study.analysed:
        for aspect in PROFILE_ASPECTS:
            recorded, found = evidence[aspect].get(repo, (False, []))
            rows.append(
                {"repo": repo, "aspect": aspect, "recorded": recorded, "evidence": "; ".join(found)}
            )
    return table_frame("profile", rows)


def profile_matrix(study: Study, profile_table: pd.DataFrame) -> pd.DataFrame:
    """Wide: one row per analysed repository, one boolean column per aspect, the count, what
    is missing, and the versions it pins."""
    recorded = {
        (repo, aspect): flag
        for repo, aspect, flag in zip(
            profile_table["repo"], profile_table["aspect"], profile_table["recorded"], strict=True
        )
    }
    dependencies = dependency_evidence(study)
    rows = []
    for repo in study.analysed:
        row: dict[str, Any] = {"repo": repo}
        row.update(
            {aspect: bool(recorded.get((repo, aspect), False)) for aspect in PROFILE_ASPECTS}
        )
        row["n_aspects"] = sum(row[aspect] for aspect in PROFILE_ASPECTS)
        row["fully_traceable"] = row["n_aspects"] == len(PROFILE_ASPECTS)
        row["missing"] = ";".join(aspect for aspect in PROFILE_ASPECTS if not row[aspect])
        row["mlflow_pins"] = ";".join(dependencies[repo].mlflow_pins)
        row["framework_requirements"] = ";".join(dependencies[repo].framework_requirements)
        rows.append(row)
    return table_frame("profile_matrix", rows)


def profile_shares(matrix: pd.DataFrame) -> pd.DataFrame:
    """Share of analysed repositories recording each aspect, and all five; which aspect is
    missing most often."""
    n = len(matrix)
    counts = {aspect: int(matrix[aspect].sum()) for aspect in PROFILE_ASPECTS}
    worst = max((n - k for k in counts.values()), default=0)
    rows = [
        with_share(
            {
                "aspect": aspect,
                "definition": PROFILE_ASPECTS[aspect],
                "n_using": k,
                "n_missing": n - k,
                "n_analysed": n,
            }
        )
        | {"most_missing": worst > 0 and n - k == worst}
        for aspect, k in counts.items()
    ]
    k = int(matrix["fully_traceable"].sum())
    rows.append(
        with_share(
            {
                "aspect": FULLY_TRACEABLE,
                "definition": "all five aspects",
                "n_using": k,
                "n_missing": n - k,
                "n_analysed": n,
            }
        )
        | {"most_missing": False}
    )
    return table_frame("profile_shares", rows)


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
        rows.append(
            with_share(
                {
                    "combination": "+".join(chosen) or "none",
                    **dict(zip(PROFILE_ASPECTS, flags, strict=True)),
                    "n_aspects": len(chosen),
                    "n_repos": k,
                    "n_analysed": n,
                },
                k="n_repos",
            )
        )
    rows.sort(
        key=lambda row: (
            -row["n_repos"],
            -row["n_aspects"],
            [not row[aspect] for aspect in PROFILE_ASPECTS],
        )
    )
    return table_frame("profile_combinations", rows)
