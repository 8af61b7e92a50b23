"""Populations: the sets of repositories a share is taken among, each named and defined once.

Every headline figure is reported for every population the study can form, side by side, so a
reader sees whether a finding holds among the repositories that use MLflow at all, without
template copies, or without teaching material:

* `analysed`: every repository cloned and scanned (status analyzed or partial);
* `mlflow-evidence`: analysed, with MLflow evidence at the pinned commit (a resolved call, an
  indirect use, or mlflow in a dependency file);
* `deduplicated`: one repository per cluster of near-duplicates (`duplicate_of` empty);
* `non-tutorial`: purpose neither tutorial, course nor example.

A population is a definition and a predicate: a mask over the study's repository table (it may
read the study's other tables too). Adding one is one entry in `POPULATIONS`; a population
whose inputs a study lacks (an older study has no `purpose` column) is left out and said so.
`repository_table` is the export's `repos.csv`: each repository with the evidence the
predicates read and the populations it belongs to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analyzers.study.load import Study
from analyzers.study.stats import records, share_interval, table_frame

TEACHING = ("tutorial", "course", "example")  # purposes the non-tutorial population leaves out


@dataclass(frozen=True, slots=True)
class Population:
    name: str
    definition: str
    members: Callable[[Study], pd.Series]  # a boolean mask over study.repos
    needs: tuple[str, ...] = ()  # repos columns it reads, beyond the always-present ones


ANALYSED = "analysed"
MLFLOW_EVIDENCE = "mlflow-evidence"


def evidence(study: Study) -> pd.DataFrame:
    """Per repository of `study.repos` (same order): its MLflow call sites, indirect uses, and
    whether a dependency file requires mlflow, at the pinned commit."""
    calls = study.calls["repo"].value_counts()
    indirect = study.indirect["repo"].value_counts()
    signals = study.signals
    required = set(signals.loc[signals["signal"] == "mlflow-requirement", "repo"])
    repos = study.repos["repo"]
    return pd.DataFrame(
        {
            "mlflow_calls": [int(calls.get(repo, 0)) for repo in repos],
            "indirect_uses": [int(indirect.get(repo, 0)) for repo in repos],
            "mlflow_dependency": (repos.isin(required) & study.repos["analysed"]).to_numpy(),
        },
        index=study.repos.index,
    )


def _with_evidence(study: Study) -> pd.Series:
    found = evidence(study)
    return study.repos["analysed"] & (
        (found["mlflow_calls"] > 0) | (found["indirect_uses"] > 0) | found["mlflow_dependency"]
    )


POPULATIONS: tuple[Population, ...] = (
    Population(
        ANALYSED,
        "every repository cloned and scanned (repos.csv status analyzed or partial), whatever "
        "it holds: one with no Python file, or that removed MLflow, counts",
        lambda study: study.repos["analysed"],
    ),
    Population(
        MLFLOW_EVIDENCE,
        "analysed repositories with MLflow evidence at the pinned commit: a resolved MLflow "
        "call, an indirect use (an integration that logs to MLflow), or mlflow in a dependency "
        "file",
        _with_evidence,
    ),
    Population(
        "deduplicated",
        "analysed repositories that are no other's near-duplicate (duplicate_of empty): one "
        "per cluster of template copies and forks",
        lambda study: study.repos["analysed"] & (study.repos["duplicate_of"] == ""),
        needs=("duplicate_of",),
    ),
    Population(
        "non-tutorial",
        "analysed repositories whose purpose is not " + ", ".join(TEACHING),
        lambda study: study.repos["analysed"] & ~study.repos["purpose"].isin(TEACHING),
        needs=("purpose",),
    ),
)


def population(name: str) -> Population:
    for entry in POPULATIONS:
        if entry.name == name:
            return entry
    raise KeyError(f"no population {name!r}: {', '.join(p.name for p in POPULATIONS)}")


def available(study: Study) -> tuple[Population, ...]:
    """The populations this study can form: those whose columns it has."""
    return tuple(p for p in POPULATIONS if all(c in study.stratified for c in p.needs))


def members(study: Study) -> dict[str, set[str]]:
    """Each available population's repositories."""
    return {
        entry.name: set(study.repos.loc[entry.members(study).astype(bool), "repo"])
        for entry in available(study)
    }


def repository_table(study: Study) -> pd.DataFrame:
    """One row per repository of the study: its status, creation year, purpose and cluster,
    the MLflow evidence at its pinned commit, and the populations it belongs to."""
    table = pd.concat([study.repos, evidence(study)], axis=1)
    masks = {entry.name: entry.members(study).astype(bool) for entry in available(study)}
    table["populations"] = [
        ";".join(name for name, mask in masks.items() if mask.iloc[index])
        for index in range(len(table))
    ]
    return table_frame("repos", records(table))


def populations_table(study: Study) -> pd.DataFrame:
    """Every population of POPULATIONS: its definition and size, or why it is missing."""
    found = members(study)
    rows = []
    for entry in POPULATIONS:
        size = len(found[entry.name]) if entry.name in found else None
        share, low, high = (
            share_interval(size, study.n_analysed) if size is not None else (math.nan,) * 3
        )
        rows.append(
            {
                "population": entry.name,
                "definition": entry.definition,
                "available": size is not None,
                "n_repos": size or 0,
                "n_analysed": study.n_analysed,
                "share": share,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return table_frame("populations", rows)
