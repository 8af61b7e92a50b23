"""Populations: the named sets of repositories a share can be of, and the repository table their
predicates read.

A population is a name, a one-line definition and a predicate over the study's repository table
(`repository_table`: one row per repository with its status and the MLflow evidence found at
its pinned commit). Adding a population is one `Population` in `POPULATIONS` (and, if its
predicate needs a new column, that column in `repository_table`); the headline (`headline.csv`)
is computed for every population, and `populations.csv` lists them with their sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analyzers.study.load import Study
from analyzers.study.stats import records, table_frame

Predicate = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True, slots=True)
class Population:
    name: str
    definition: str
    predicate: Predicate  #: the repository table -> which rows belong (a boolean Series)


ANALYSED = "analysed"
MLFLOW_EVIDENCE = "mlflow-evidence"


def _evidence(table: pd.DataFrame) -> pd.Series:
    return (table["mlflow_calls"] > 0) | (table["indirect_uses"] > 0) | table["mlflow_dependency"]


POPULATIONS: tuple[Population, ...] = (
    Population(
        ANALYSED,
        "every repository that was cloned and scanned (status analyzed or partial), whatever "
        "it holds: one with no Python file, or that removed MLflow, counts",
        lambda table: table["analysed"],
    ),
    Population(
        MLFLOW_EVIDENCE,
        "analysed repositories with MLflow evidence at the pinned commit: a resolved MLflow "
        "call, an indirect use (an integration that logs to MLflow), or mlflow in a dependency "
        "file",
        lambda table: table["analysed"] & _evidence(table),
    ),
)


def population(name: str) -> Population:
    for entry in POPULATIONS:
        if entry.name == name:
            return entry
    raise KeyError(f"no population {name!r}: {', '.join(p.name for p in POPULATIONS)}")


def repository_table(study: Study) -> pd.DataFrame:
    """One row per repository of the study: its status, creation year, whether it was analysed,
    the MLflow evidence at its pinned commit, and the populations it belongs to."""
    table = study.repos.copy()
    calls = study.calls["repo"].value_counts()
    indirect = study.indirect["repo"].value_counts()
    requirements = study.signals.loc[study.signals["signal"] == "mlflow-requirement", "repo"]
    analysed = table["analysed"]
    table["mlflow_calls"] = [int(calls.get(repo, 0)) for repo in table["repo"]]
    table["indirect_uses"] = [int(indirect.get(repo, 0)) for repo in table["repo"]]
    table["mlflow_dependency"] = table["repo"].isin(set(requirements)) & analysed
    member = {entry.name: entry.predicate(table).astype(bool) for entry in POPULATIONS}
    table["populations"] = [
        ";".join(name for name, flags in member.items() if flags.iloc[index])
        for index in range(len(table))
    ]
    return table_frame("repos", records(table))


def members(repos: pd.DataFrame) -> dict[str, set[str]]:
    """Population name -> the repositories in it, from `repository_table`'s rows."""
    return {
        entry.name: set(repos.loc[entry.predicate(repos).astype(bool), "repo"])
        for entry in POPULATIONS
    }


def populations_table(repos: pd.DataFrame) -> pd.DataFrame:
    """Every population with its definition and size."""
    found = members(repos)
    return table_frame(
        "populations",
        (
            {
                "population": entry.name,
                "definition": entry.definition,
                "n_repos": len(found[entry.name]),
                "n_total": len(repos),
            }
            for entry in POPULATIONS
        ),
    )
