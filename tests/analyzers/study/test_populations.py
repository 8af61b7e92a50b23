"""Populations: every headline measure among analysed, mlflow-evidence, deduplicated and
non-tutorial repositories; the last two read from repos.csv's purpose and duplicate_of
columns."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from analyzers.codebook import HEADLINE
from analyzers.study.aggregate import aggregate
from analyzers.study.headline import headline
from analyzers.study.load import load_study
from analyzers.study.populations import POPULATIONS, Population, available
from analyzers.study.report.counts import headline as headline_html
from tests.analyzers.study.study_fixture import copy_study
from tests.paths import STUDY

# The fixture's eight analysed repositories: what the purpose rule and the clustering said.
STRATA = {
    "acme/churn-sklearn": ("application", "", "2"),
    "acme/keras-notebooks": ("tutorial", "", "1"),
    "beta/registry-client": ("library", "", "1"),
    "beta/genai-agent": ("example", "", "1"),
    "gamma/mixed": ("application", "acme/churn-sklearn", "2"),
    "gamma/lightning-only": ("course", "", "1"),
    "delta/broken-files": ("unknown", "", "1"),
    "eta/projects-demo": ("example", "", "1"),
}


def stratified_study(tmp_path: Path) -> Path:
    study = copy_study(tmp_path)
    with open(study / "repos.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(study / "repos.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, [*rows[0], "purpose", "duplicate_of", "cluster_size"], lineterminator="\n"
        )
        writer.writeheader()
        for row in rows:
            purpose, duplicate_of, size = STRATA.get(row["repo"], ("", "", ""))
            writer.writerow(
                {**row, "purpose": purpose, "duplicate_of": duplicate_of, "cluster_size": size}
            )
    return study


@pytest.fixture
def stratified(tmp_path: Path) -> pd.DataFrame:
    return headline(load_study(stratified_study(tmp_path)))


@pytest.mark.parametrize(
    ("population", "members"),
    [
        ("analysed", set(STRATA)),
        ("mlflow-evidence", set(STRATA) - {"gamma/lightning-only"}),
        ("deduplicated", set(STRATA) - {"gamma/mixed"}),
        (
            "non-tutorial",
            {"acme/churn-sklearn", "beta/registry-client", "gamma/mixed", "delta/broken-files"},
        ),
    ],
)
def test_every_measure_is_reported_for_every_population(
    stratified: pd.DataFrame, population: str, members: set[str]
) -> None:
    rows = stratified[stratified["population"] == population].set_index("measure")
    assert list(rows.index) == list(HEADLINE)
    assert set(rows["denominator"]) == {len(members)}
    for measure, users in aggregate(load_study(STUDY)).measure_users.items():
        row = rows.loc[measure]
        assert row["numerator"] == len(users & members), measure
        assert row["share"] == pytest.approx(len(users & members) / len(members))
        assert row["ci_low"] <= row["share"] <= row["ci_high"]


def test_an_older_study_has_only_the_analyzed_population(tmp_path: Path) -> None:
    study = load_study(copy_study(tmp_path))
    assert [p.name for p in available(study)] == ["analysed", "mlflow-evidence"]
    table = aggregate(study).populations.set_index("population")
    assert list(table["available"]) == [True, True, False, False]
    assert math.isnan(table["share"].to_dict()["deduplicated"])


def test_a_population_is_one_entry(tmp_path: Path) -> None:
    study = load_study(stratified_study(tmp_path))
    applications = Population(
        "applications",
        "analysed repositories whose purpose is application",
        lambda s: s.repos["analysed"] & (s.repos["purpose"] == "application"),
        needs=("purpose",),
    )
    import analyzers.study.populations as populations

    original = populations.POPULATIONS
    populations.POPULATIONS = (*POPULATIONS, applications)
    try:
        rows = headline(study)
    finally:
        populations.POPULATIONS = original
    only = rows[rows["population"] == "applications"]
    assert set(only["denominator"]) == {2}
    assert len(only) == len(HEADLINE)


def test_the_report_shows_populations_side_by_side_and_what_changes(tmp_path: Path) -> None:
    html = headline_html(aggregate(load_study(stratified_study(tmp_path))))
    assert "deduplicated: repositories" in html
    assert "non-tutorial: repositories" in html
    assert "Among deduplicated repositories the shares move by at most" in html
    assert "Among non-tutorial repositories the shares move by at most" in html
    assert " pp)" in html
