"""Every table of a study, computed once and shared by the report and the export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from analyzers.codebook import MIN_N_PER_YEAR
from analyzers.schema import study_tables
from analyzers.study.accounting import exclusions, failures, file_status, repo_status
from analyzers.study.adoption import (
    adoption,
    adoption_by_year,
    cooccurrence,
    top_keys,
    usage,
)
from analyzers.study.comparison import MethodComparison, method_comparison
from analyzers.study.evolution import Evolution, evolution_tables
from analyzers.study.headline import headline, indirect_uses, measure_users
from analyzers.study.load import Study, load_study
from analyzers.study.locations import (
    location_shares,
    locations,
    repo_locations,
)
from analyzers.study.populations import members, populations_table, repository_table
from analyzers.study.registry import (
    model_names,
    model_naming,
    model_uri_kinds,
    model_uris,
    name_tokens_table,
    registry_summary,
    registry_use,
)
from analyzers.study.requirements import mlflow_requirements, mlflow_versions, signal_summary
from analyzers.study.traceability import traceability_tables


@dataclass(frozen=True, slots=True)
class Options:
    """How a study is aggregated (`mlflow-miner report/export --min-n`)."""

    min_n_per_year: int = MIN_N_PER_YEAR

    def __post_init__(self) -> None:
        if self.min_n_per_year < 1:
            raise ValueError(f"--min-n must be at least 1, got {self.min_n_per_year}")


def findings(study: Study) -> dict[str, pd.DataFrame]:
    """Every table of the findings, by name (`study_tables("findings")`)."""
    found = locations(study)
    per_repo = repo_locations(study, found)
    uris = model_uris(study)
    registry_table = registry_use(study, uris)
    names = model_names(study)
    return {
        "locations": found,
        "repo_locations": per_repo,
        "location_shares": location_shares(per_repo),
        "registry_use": registry_table,
        "registry_summary": registry_summary(registry_table),
        "model_uris": uris,
        "model_uri_kinds": model_uri_kinds(uris, study.n_analysed),
        "model_names": names,
        "model_naming": model_naming(names),
        "name_tokens": name_tokens_table(names),
    }


@dataclass(frozen=True)
class Aggregates:
    """Every table of a study, computed once and shared by the report and the export."""

    study: Study
    repos: pd.DataFrame
    repo_status: pd.DataFrame
    failures: pd.DataFrame
    exclusions: pd.DataFrame
    populations: pd.DataFrame
    file_status: pd.DataFrame
    headline: pd.DataFrame
    indirect_uses: pd.DataFrame
    usage: pd.DataFrame
    adoption: pd.DataFrame
    cooccurrence: pd.DataFrame
    top_keys: pd.DataFrame
    signals: pd.DataFrame
    mlflow_requirements: pd.DataFrame
    mlflow_versions: pd.DataFrame
    adoption_by_year: pd.DataFrame
    # The traceability codebook's tables (study_tables("traceability"))
    traceability: dict[str, pd.DataFrame]
    # Findings beyond call counts (study_tables("findings"))
    locations: pd.DataFrame
    repo_locations: pd.DataFrame
    location_shares: pd.DataFrame
    registry_use: pd.DataFrame
    registry_summary: pd.DataFrame
    model_uris: pd.DataFrame
    model_uri_kinds: pd.DataFrame
    model_names: pd.DataFrame
    model_naming: pd.DataFrame
    name_tokens: pd.DataFrame
    # Each headline measure -> the analysed repositories it holds for
    measure_users: dict[str, set[str]] = field(default_factory=dict)
    options: Options = field(default_factory=Options)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (`study_tables()`), in documentation order."""
        # study_tables("traceability"), study_tables("evolution") and study_tables("comparison")
        extra = {**self.traceability, **self.evolution.tables, **self.comparison.tables}
        return {
            name: extra[name] if name in extra else getattr(self, name) for name in study_tables()
        }

    @cached_property
    def evolution(self) -> Evolution:
        """Evolution and ecosystem tables (issue 6), from the study's optional ecosystem.csv
        and history tables; computed on first use."""
        return evolution_tables(self)

    @cached_property
    def population_members(self) -> dict[str, set[str]]:
        """Population name -> its repositories (the populations this study can form)."""
        return members(self.study)

    @cached_property
    def comparison(self) -> MethodComparison:
        """What a text search would have found beside the resolved calls (text_matches.csv
        and calls.csv); computed on first use."""
        return method_comparison(self.study)

    @property
    def n_total(self) -> int:
        return len(self.repos)

    @property
    def n_analysed(self) -> int:
        return self.study.n_analysed

    @property
    def n_failed(self) -> int:
        return self.n_total - self.n_analysed


def aggregate(study: Study, options: Options | None = None) -> Aggregates:
    """Compute every table of `study`."""
    options = options or Options()
    usage_table = usage(study)
    requirements = mlflow_requirements(study)
    found = findings(study)
    users = measure_users(study, found["registry_use"], found["locations"])
    return Aggregates(
        study=study,
        repos=repository_table(study),
        repo_status=repo_status(study),
        failures=failures(study),
        exclusions=exclusions(study),
        populations=populations_table(study),
        file_status=file_status(study),
        headline=headline(study, users),
        indirect_uses=indirect_uses(study, users),
        usage=usage_table,
        adoption=adoption(study),
        cooccurrence=cooccurrence(study, usage_table),
        top_keys=top_keys(study),
        signals=signal_summary(study, requirements),
        mlflow_requirements=requirements,
        mlflow_versions=mlflow_versions(requirements),
        adoption_by_year=adoption_by_year(study, users, options.min_n_per_year),
        traceability=traceability_tables(study),
        measure_users=users,
        options=options,
        **found,
    )


def aggregate_study(
    study_dir: str | Path,
    progress: Callable[[str], None] | None = None,
    options: Options | None = None,
) -> Aggregates:
    """Read a study directory and compute every table."""
    if progress:
        progress(f"reading {study_dir}")
    study = load_study(study_dir)
    if progress:
        progress(
            f"{len(study.repos)} repositories ({study.n_analysed} analysed), "
            f"{len(study.calls)} calls; aggregating"
        )
    return aggregate(study, options)
