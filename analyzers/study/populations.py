"""Populations: the sets of repositories a share is taken among, each named and defined once.

Every headline figure is reported for every population the study can form, side by side, so a
reader sees whether a finding holds without template copies or without teaching material:

* `analysed`: every repository cloned and scanned;
* `deduplicated`: one repository per cluster of near-duplicates (`duplicate_of` empty);
* `non-tutorial`: purpose neither tutorial, course nor example.

A population is a definition and a predicate: a mask over the study's repository table (it may
read the study's other tables too). Adding one is one entry in `POPULATIONS`; a population
whose inputs a study lacks (an older study has no `purpose` column) is left out and said so.
`headline.csv` has one row per measure and population.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analyzers.codebook import HEADLINE
from analyzers.study.adoption import headline_users
from analyzers.study.load import Study
from analyzers.study.stats import share_interval, table_frame

TEACHING = ("tutorial", "course", "example")  # purposes the non-tutorial population leaves out


@dataclass(frozen=True, slots=True)
class Population:
    name: str
    definition: str
    members: Callable[[Study], pd.Series]  # a boolean mask over study.repos
    needs: tuple[str, ...] = ()  # repos columns it reads, beyond the always-present ones


POPULATIONS: tuple[Population, ...] = (
    Population(
        "analysed",
        "every repository cloned and scanned (repos.csv status analyzed)",
        lambda study: study.repos["analysed"],
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


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    definition: str
    users: Callable[[Study], set[str]]  # the repositories the measure counts


def _headline_measure(name: str) -> Measure:
    return Measure(name, HEADLINE[name], lambda study: headline_users(study.calls)[name])


MEASURES: tuple[Measure, ...] = tuple(_headline_measure(name) for name in HEADLINE)


def available(study: Study) -> tuple[Population, ...]:
    """The populations this study can form: those whose columns it has."""
    return tuple(p for p in POPULATIONS if all(c in study.stratified for c in p.needs))


def members(study: Study) -> dict[str, set[str]]:
    """Each available population's repositories."""
    return {
        population.name: set(study.repos.loc[population.members(study), "repo"])
        for population in available(study)
    }


def populations_table(study: Study) -> pd.DataFrame:
    """Every population of POPULATIONS: its definition and size, or why it is missing."""
    found = members(study)
    rows = []
    for population in POPULATIONS:
        size = len(found[population.name]) if population.name in found else None
        share, low, high = (
            share_interval(size, study.n_analysed) if size is not None else (math.nan,) * 3
        )
        rows.append(
            {
                "population": population.name,
                "definition": population.definition,
                "available": size is not None,
                "n_repos": size or 0,
                "n_analysed": study.n_analysed,
                "share": share,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return table_frame("populations", rows)


def headline(study: Study) -> pd.DataFrame:
    """One row per headline measure and available population, measures in codebook order."""
    found = members(study)
    rows = []
    for measure in MEASURES:
        users = measure.users(study)
        for population in available(study):
            inside = found[population.name]
            numerator, denominator = len(users & inside), len(inside)
            share, low, high = share_interval(numerator, denominator)
            rows.append(
                {
                    "measure": measure.name,
                    "population": population.name,
                    "definition": measure.definition,
                    "numerator": numerator,
                    "denominator": denominator,
                    "share": share,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return table_frame("headline", rows)
