"""Traceability per analysed repository: the six aspects of the codebook, each judged by its
inclusion rules (`analyzers.codebook.TRACEABILITY`), with the evidence each rule found.

One function per inclusion rule, keyed by the rule's id (`FINDERS`): it yields (repository,
evidence) pairs from the study's tables. Exclusion rules have no function: they say what these
functions deliberately do not count, and their examples check it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from analyzers.codebook import (
    ASPECTS,
    FULLY_TRACEABLE,
    INPUT_WORDS,
    OUTPUT_WORDS,
    TRACEABILITY,
    example_text,
)
from analyzers.study.adoption import split_keys
from analyzers.study.load import Study
from analyzers.study.requirements import dependency_evidence
from analyzers.study.stats import in_group, records, share_interval, table_frame, with_share

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


# The kinds of environment files the detectors report as pinned (signals.csv `pinned-env`).
LOCK_KINDS = frozenset({"uv-lock", "poetry-lock", "pipfile-lock", "conda-lock"})


# A tag set by hand to record the code version: a key of the user's own that names git, a
# commit or a revision (MLflow's git source tags come from the catalog group).
_VERSION_WORD = re.compile(r"git|commit|revision", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")


Evidence = Iterator[tuple[str, str]]


def _calls(study: Study, mask: pd.Series) -> list[dict[str, Any]]:
    rows = study.calls[mask].sort_values(["repo", "path", "api"], kind="stable")
    return records(rows)


def _signals(study: Study, name: str) -> list[dict[str, Any]]:
    rows = study.signals[study.signals["signal"] == name]
    return records(rows.sort_values(["repo", "path", "value"], kind="stable"))


def _facts(study: Study, name: str) -> list[dict[str, Any]]:
    rows = study.facts[study.facts["fact"] == name]
    return records(rows.sort_values(["repo", "path", "value"], kind="stable"))


def _api_evidence(study: Study, mask: pd.Series) -> Evidence:
    for call in _calls(study, mask):
        yield call["repo"], f"{call['api']} [{call['path']}]"


def _group(group: str) -> Callable[[Study], Evidence]:
    return lambda study: _api_evidence(study, in_group(study.calls["api"], group))


def git_run(study: Study) -> Evidence:
    calls = study.calls
    yield from _api_evidence(
        study, in_group(calls["api"], "starts-run") & (calls["kind"] == "script")
    )


def mlproject(study: Study) -> Evidence:
    for row in _signals(study, "mlproject"):
        yield row["repo"], f"MLproject [{row['path']}]"


def version_tag(study: Study) -> Evidence:
    tags = split_keys(study.calls[study.calls["dimension"] == "tags"])
    tags = tags.sort_values(["repo", "key", "path"], kind="stable")
    keys = tags["key"]
    tags = tags[in_group(keys, "source-git-tags") | keys.str.contains(_VERSION_WORD)]
    for repo, key, path in zip(tags["repo"], tags["key"], tags["path"], strict=True):
        yield repo, f"tag {key} [{path}]"


def _stem(path: str) -> str:
    lower = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        lower = lower.removesuffix(suffix)
    return lower


def source_artifact(study: Study) -> Evidence:
    for row in _facts(study, "artifact-path"):
        if _stem(row["value"]).endswith(SOURCE_SUFFIXES):
            yield row["repo"], f"source artifact {row['value']} [{row['path']}]"


def is_input_artifact(path: str) -> bool:
    """Whether a logged file or directory is input data (the input-artifact rule): a data
    file whose name says nothing of an output, or a directory named as an input."""
    stem = _stem(path.strip().rstrip("/"))
    words = set(_WORD.findall(stem.rsplit(".", 1)[0] if "." in stem.rsplit("/", 1)[-1] else stem))
    if words & OUTPUT_WORDS:
        return False
    last = stem.rsplit("/", 1)[-1]
    if "." in last:
        return last.endswith(DATA_SUFFIXES)
    return bool(words & INPUT_WORDS)


def input_artifact(study: Study) -> Evidence:
    for row in _facts(study, "artifact-path"):
        if row["value"] and is_input_artifact(row["value"]):
            yield row["repo"], f"input artifact {row['value']} [{row['path']}]"


def _pinned_environments(study: Study, locks: bool) -> Evidence:
    for row in _signals(study, "pinned-env"):
        if (row["value"] in LOCK_KINDS) == locks:
            yield row["repo"], f"{row['value']} [{row['path']}]"


def mlproject_env(study: Study) -> Evidence:
    for row in _signals(study, "mlproject-env"):
        if row["value"] not in ("", "none"):
            yield row["repo"], f"MLproject {row['value']} [{row['path']}]"


def log_model_env(study: Study) -> Evidence:
    for row in _facts(study, "log-model-environment"):
        yield row["repo"], f"{row['source']} {row['value']} [{row['path']}]"


def pinned_frameworks(study: Study) -> Evidence:
    for repo, found in dependency_evidence(study).items():
        if found.recorded:
            yield repo, "; ".join(found.evidence)


def locked_mlflow(study: Study) -> Evidence:
    declared = set(study.signals.loc[study.signals["signal"] == "mlflow-requirement", "repo"])
    for repo, evidence in _pinned_environments(study, locks=True):
        if repo in declared:
            yield repo, f"{evidence} with an mlflow requirement"


def _indirect(what: str) -> Callable[[Study], Evidence]:
    """Integrations whose indirect.csv rows record `what` (params, metrics, ...)."""

    def find(study: Study) -> Evidence:
        rows = study.indirect.sort_values(["repo", "path", "integration"], kind="stable")
        for row in records(rows):
            if what in row["records"].split(";"):
                yield row["repo"], f"{row['integration']} [{row['path']}]"

    return find


def dvc_tracked(study: Study) -> Evidence:
    for row in _signals(study, "dvc"):
        name = row["path"].rsplit("/", 1)[-1]
        if name.endswith(".dvc") or name in ("dvc.yaml", "dvc.lock"):
            yield row["repo"], f"DVC {name} [{row['path']}]"


FINDERS: dict[str, Callable[[Study], Evidence]] = {
    "git-run": git_run,
    "mlproject": mlproject,
    "version-tag": version_tag,
    "source-artifact": source_artifact,
    "params-call": _group("log-params"),
    "params-autolog": _group("autolog"),
    "params-indirect": _indirect("params"),
    "metrics-call": _group("log-metrics"),
    "metrics-autolog": _group("autolog"),
    "metrics-indirect": _indirect("metrics"),
    "metrics-evaluate": _group("evaluate"),
    "lock-file": lambda study: _pinned_environments(study, locks=True),
    "pinned-file": lambda study: _pinned_environments(study, locks=False),
    "mlproject-env": mlproject_env,
    "log-model-env": log_model_env,
    "pinned-frameworks": pinned_frameworks,
    "locked-mlflow": locked_mlflow,
    "log-input": lambda study: _api_evidence(study, study.calls["dimension"] == "datasets"),
    "input-artifact": input_artifact,
    "dvc-tracked": dvc_tracked,
}


RuleHits = dict[str, dict[str, list[str]]]  # rule id -> repository -> evidence


def rule_hits(study: Study) -> RuleHits:
    """For every inclusion rule, the analysed repositories it holds for, with the evidence."""
    analysed = set(study.analysed)
    hits: RuleHits = {}
    for aspect in TRACEABILITY:
        for rule in aspect.includes:
            found: dict[str, list[str]] = {}
            for repo, evidence in FINDERS[rule.id](study):
                if repo in analysed and evidence not in found.setdefault(repo, []):
                    found[repo].append(evidence)
            hits[rule.id] = found
    return hits


def traceability_evidence(study: Study, hits: RuleHits) -> pd.DataFrame:
    """Tidy: per analysed repository and aspect, whether it is recorded, by which rules, and
    the evidence found (for dependencies not recorded, what fell short)."""
    dependencies = dependency_evidence(study)
    rows = []
    for repo in study.analysed:
        for aspect in TRACEABILITY:
            rules = [rule.id for rule in aspect.includes if repo in hits[rule.id]]
            evidence = [f"{rule}: {item}" for rule in rules for item in hits[rule][repo]]
            if aspect.name == "dependencies" and not rules:
                evidence = dependencies[repo].evidence
            rows.append(
                {
                    "repo": repo,
                    "aspect": aspect.name,
                    "recorded": bool(rules),
                    "rules": ";".join(rules),
                    "evidence": "; ".join(evidence),
                }
            )
    return table_frame("traceability_evidence", rows)


def traceability_matrix(study: Study, evidence: pd.DataFrame) -> pd.DataFrame:
    """Wide: one row per analysed repository, one boolean column per aspect, the count, what
    is missing, and the versions it pins."""
    recorded = {
        (repo, aspect): bool(flag)
        for repo, aspect, flag in zip(
            evidence["repo"], evidence["aspect"], evidence["recorded"], strict=True
        )
    }
    dependencies = dependency_evidence(study)
    rows = []
    for repo in study.analysed:
        row: dict[str, Any] = {"repo": repo}
        row.update({aspect: recorded.get((repo, aspect), False) for aspect in ASPECTS})
        row["n_aspects"] = sum(row[aspect] for aspect in ASPECTS)
        row["fully_traceable"] = row["n_aspects"] == len(ASPECTS)
        row["missing"] = ";".join(aspect for aspect in ASPECTS if not row[aspect])
        row["mlflow_pins"] = ";".join(dependencies[repo].mlflow_pins)
        row["framework_requirements"] = ";".join(dependencies[repo].framework_requirements)
        rows.append(row)
    return table_frame("traceability_matrix", rows)


def traceability_shares(matrix: pd.DataFrame) -> pd.DataFrame:
    """Share of analysed repositories recording each aspect, and all six; which aspect is
    missing most often."""
    n = len(matrix)
    counts = {aspect: int(matrix[aspect].sum()) for aspect in ASPECTS}
    worst = max((n - k for k in counts.values()), default=0)
    rows = [
        with_share(
            {
                "aspect": aspect,
                "definition": ASPECTS[aspect].definition,
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
                "definition": f"all {len(ASPECTS)} aspects",
                "n_using": k,
                "n_missing": n - k,
                "n_analysed": n,
            }
        )
        | {"most_missing": False}
    )
    return table_frame("traceability_shares", rows)


def traceability_rules(study: Study, hits: RuleHits) -> pd.DataFrame:
    """Per inclusion rule: how many analysed repositories it holds for (a repository can meet
    an aspect by several rules)."""
    n = study.n_analysed
    return table_frame(
        "traceability_rules",
        (
            with_share(
                {
                    "aspect": aspect.name,
                    "rule": rule.id,
                    "definition": rule.text,
                    "n_using": len(hits[rule.id]),
                    "n_analysed": n,
                }
            )
            for aspect in TRACEABILITY
            for rule in aspect.includes
        ),
    )


def traceability_distribution(matrix: pd.DataFrame) -> pd.DataFrame:
    """How many analysed repositories record exactly 0, 1, ..., 6 aspects."""
    n = len(matrix)
    counts = matrix["n_aspects"].value_counts()
    rows = []
    for value in range(len(ASPECTS) + 1):
        k = int(counts.get(value, 0))
        share, low, high = share_interval(k, n)
        rows.append(
            {
                "n_aspects": value,
                "n_repos": k,
                "n_analysed": n,
                "share": share,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return table_frame("traceability_distribution", rows)


def traceability_combinations(matrix: pd.DataFrame) -> pd.DataFrame:
    """Which combinations of aspects analysed repositories record, most common first (the bars
    of an upset chart)."""
    n = len(matrix)
    counts: dict[tuple[bool, ...], int] = {}
    for flags in zip(*(matrix[aspect] for aspect in ASPECTS), strict=True):
        key = tuple(bool(flag) for flag in flags)
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for flags, k in counts.items():
        chosen = [aspect for aspect, flag in zip(ASPECTS, flags, strict=True) if flag]
        rows.append(
            with_share(
                {
                    "combination": "+".join(chosen) or "none",
                    **dict(zip(ASPECTS, flags, strict=True)),
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
            [not row[aspect] for aspect in ASPECTS],
        )
    )
    return table_frame("traceability_combinations", rows)


def traceability_codebook() -> pd.DataFrame:
    """The codebook itself, one row per rule and example: the data dictionary's companion."""
    return table_frame(
        "traceability_codebook",
        (
            {
                "aspect": aspect.name,
                "question": aspect.question,
                "rule": rule.id,
                "kind": kind,
                "definition": rule.text,
                "example": example_text(case),
                "recorded": case.recorded,
            }
            for aspect in TRACEABILITY
            for kind, rules in (("include", aspect.includes), ("exclude", aspect.excludes))
            for rule in rules
            for case in rule.cases
        ),
    )


def traceability_tables(study: Study) -> dict[str, pd.DataFrame]:
    """Every traceability table, by name (`study_tables("traceability")`)."""
    hits = rule_hits(study)
    evidence = traceability_evidence(study, hits)
    matrix = traceability_matrix(study, evidence)
    return {
        "traceability_codebook": traceability_codebook(),
        "traceability_evidence": evidence,
        "traceability_matrix": matrix,
        "traceability_shares": traceability_shares(matrix),
        "traceability_rules": traceability_rules(study, hits),
        "traceability_distribution": traceability_distribution(matrix),
        "traceability_combinations": traceability_combinations(matrix),
    }
