"""The headline: the seed study's measures, registry use and unresolved storage, each for every
population (`headline.csv`: measure, population, definition, numerator, denominator, share and
its 95% Wilson interval).

A measure is a set of repositories (`measure_users`); its share in a population is the part of
the population in that set. The definitions are the codebook's (`HEADLINE`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analyzers.codebook import HEADLINE, UNRESOLVED_LOCATION
from analyzers.study.load import Study
from analyzers.study.locations import locations
from analyzers.study.populations import available, members
from analyzers.study.registry import model_uris, registry_use
from analyzers.study.stats import in_group, share_interval, table_frame

# What an indirect use records (indirect.csv `records`) that makes it logging.
LOGGING_RECORDS = frozenset({"params", "metrics"})


def indirect_logging(study: Study) -> set[str]:
    """Repositories with an integration that logs parameters or metrics to MLflow for them."""
    logs = [
        bool(LOGGING_RECORDS & set(records.split(";"))) for records in study.indirect["records"]
    ]
    return set(study.indirect.loc[logs, "repo"]) if logs else set()


def measure_users(
    study: Study, registry_use: pd.DataFrame, locations: pd.DataFrame
) -> dict[str, set[str]]:
    """Each headline measure (in codebook order) -> the analysed repositories it holds for."""
    calls = study.calls
    users = {
        measure: set(calls.loc[in_group(calls["api"], measure), "repo"])
        for measure in ("log-params", "log-metrics", "autolog", "set-tracking-uri")
    }
    users["any-logging"] = users["log-params"] | users["log-metrics"] | users["autolog"]
    users["any-logging-incl-indirect"] = users["any-logging"] | indirect_logging(study)
    users["uses-registry"] = set(registry_use.loc[registry_use["uses_registry"], "repo"])
    # A repository whose storage cannot be told: it sets locations, and the repository holds
    # none of their values (every one is of class unknown).
    classes = locations.groupby("repo")["location"].agg(set)
    users["location-unresolved"] = {
        repo for repo, found in classes.items() if found == {UNRESOLVED_LOCATION}
    }
    analysed = set(study.analysed)
    return {measure: users[measure] & analysed for measure in HEADLINE}


def headline(study: Study, users: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """One row per headline measure and available population, measures in codebook order.
    `users` (from `measure_users`) saves computing the findings a second time."""
    if users is None:
        uris = model_uris(study)
        users = measure_users(study, registry_use(study, uris), locations(study))
    found = members(study)
    rows = []
    for measure, definition in HEADLINE.items():
        for entry in available(study):
            inside = found[entry.name]
            k, n = len(users[measure] & inside), len(inside)
            share, low, high = share_interval(k, n)
            rows.append(
                {
                    "measure": measure,
                    "population": entry.name,
                    "definition": definition,
                    "numerator": k,
                    "denominator": n,
                    "share": share,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return table_frame("headline", rows)


def indirect_uses(study: Study, users: dict[str, set[str]]) -> pd.DataFrame:
    """Per integration: the analysed repositories using it, and how many of them log through
    integrations only (no direct logging call)."""
    direct = users["any-logging"]
    rows: list[dict[str, Any]] = []
    for integration, part in study.indirect.groupby("integration", sort=True):
        repos = set(part["repo"])
        records = sorted({r for value in part["records"] for r in value.split(";") if r})
        k, n = len(repos), study.n_analysed
        share, low, high = share_interval(k, n)
        rows.append(
            {
                "integration": integration,
                "records": ";".join(records),
                "n_using": k,
                "n_only": len(repos - direct),
                "n_analysed": n,
                "share": share,
                "ci_low": low,
                "ci_high": high,
            }
        )
    rows.sort(key=lambda row: (-row["n_using"], row["integration"]))
    return table_frame("indirect_uses", rows)
