"""Evolution and ecosystem statistics against numbers worked out by hand.

The study is tests/fixtures/study with the issue-6 inputs of tests/fixtures/evolution added:
ecosystem.csv (DVC in acme/churn-sklearn and gamma/mixed, W&B in gamma/mixed, ...) and the
history tables (churn-sklearn, keras-notebooks and mixed walked; registry-client's walk failed;
eps/slow was not analysed, so its rows do not count).
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analyzers.codebook import PRACTICES
from analyzers.schema import study_tables
from analyzers.study.aggregate import Aggregates, aggregate
from analyzers.study.charts import build_charts
from analyzers.study.export import export_study
from analyzers.study.load import load_study
from analyzers.study.report import build_report, render_index
from analyzers.study.stats import wilson_interval
from analyzers.study.survival import kaplan_meier
from tests.paths import FIXTURES

INPUTS = ("ecosystem.csv", "history.csv", "history_events.csv", "history_summary.csv")


def study_with(tmp: Path, inputs: tuple[str, ...] = INPUTS) -> Path:
    target = tmp / "study"
    shutil.copytree(FIXTURES / "study", target)
    for name in inputs:
        shutil.copyfile(FIXTURES / "evolution" / name, target / name)
    return target


@pytest.fixture(scope="module")
def agg(tmp_path_factory: pytest.TempPathFactory) -> Aggregates:
    return aggregate(load_study(study_with(tmp_path_factory.mktemp("evolution"))))


def table(agg: Aggregates, name: str) -> pd.DataFrame:
    return agg.tables()[name]


def test_tool_shares(agg: Aggregates) -> None:
    tools = table(agg, "ecosystem_tools").set_index(["tool", "evidence"])
    assert tools.loc[("dvc", "any"), "n_using"] == 2  # eps/slow is not analysed
    assert tools.loc[("dvc", "*.dvc"), "n_using"] == 1  # two .dvc files, one repository
    assert tools.loc[("neptune", "any"), "n_using"] == 0  # every tool is listed
    low, high = wilson_interval(2, 8)
    assert tools.loc[("dvc", "any"), ["share", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [0.25, low, high]
    )
    assert list(tools.index.get_level_values(0).unique()[:3]) == ["dvc", "hydra", "cml"]


def test_coadoption_compares_users_with_the_others(agg: Aggregates) -> None:
    rows = table(agg, "ecosystem_coadoption").set_index(["tool", "practice"])
    dvc = rows.loc[("dvc", "log-input")]
    # gamma/mixed logs its input with log_input and uses DVC; nobody else logs inputs.
    assert (dvc["n_tool"], dvc["k_tool"], dvc["n_other"], dvc["k_other"]) == (2, 1, 6, 0)
    assert [dvc["ci_low_tool"], dvc["ci_high_tool"]] == pytest.approx(list(wilson_interval(1, 2)))
    assert [dvc["ci_low_other"], dvc["ci_high_other"]] == pytest.approx(list(wilson_interval(0, 6)))
    assert dvc["difference"] == pytest.approx(0.5)
    assert rows.loc[("tensorboard", "autolog"), ["k_tool", "n_tool"]].tolist() == [1, 1]
    assert set(rows.index.get_level_values(1)) == set(PRACTICES)
    assert "neptune" not in set(rows.index.get_level_values(0))  # no user, no comparison


def test_adoption_curve(agg: Aggregates) -> None:
    curve = table(agg, "adoption_curve").set_index(["month", "dimension"])
    months = sorted(set(curve.index.get_level_values(0)))
    assert (months[0], months[-1], len(months)) == ("2019-04", "2023-01", 46)
    assert curve.loc[("2019-04", "datasets"), "n_using"] == 1  # added mid-April
    assert curve.loc[("2019-05", "datasets"), "n_using"] == 0  # removed in May
    assert curve.loc[("2022-12", "datasets"), "n_using"] == 1
    assert [
        curve.loc[(month, "mlflow"), "n_using"]
        for month in ("2019-04", "2020-04", "2020-05", "2022-11", "2022-12")
    ] == [1, 1, 2, 2, 3]
    assert [
        curve.loc[(month, "mlflow"), "n_existing"] for month in ("2019-04", "2020-05", "2022-11")
    ] == [1, 2, 3]
    row = curve.loc[("2022-12", "mlflow")]
    assert (row["n_repos"], row["share"]) == (3, 1.0)
    assert set(curve.index.get_level_values(1)) == {"mlflow", "parameters", "datasets", "autolog"}


def test_the_curve_divides_by_the_repositories_that_existed(agg: Aggregates) -> None:
    """2020-05: churn-sklearn and keras-notebooks exist (mixed starts in 2022) and both have
    MLflow: 2/2, not 2/3. Every month's share is n_using / n_existing with its Wilson band."""
    curve = table(agg, "adoption_curve")
    row = curve.set_index(["month", "dimension"]).loc[("2020-05", "mlflow")]
    assert (row["n_using"], row["n_existing"], row["share"]) == (2, 2, 1.0)
    assert (curve["n_using"] <= curve["n_existing"]).all()
    defined = curve[curve["n_existing"] > 0]
    assert (defined["share"] == defined["n_using"] / defined["n_existing"]).all()
    for k, n, low, high in zip(
        defined["n_using"],
        defined["n_existing"],
        defined["ci_low"],
        defined["ci_high"],
        strict=True,
    ):
        assert (low, high) == wilson_interval(k, n)


def test_adoption_survival(agg: Aggregates) -> None:
    """Kaplan-Meier from the first commit, over the walks that reached it (churn-sklearn and
    mixed; keras-notebooks' walk was capped): MLflow after 17.583 and 25.875 days."""
    survival = table(agg, "adoption_survival")
    assert list(dict.fromkeys(survival["dimension"])) == ["mlflow", "parameters", "datasets"]
    mlflow = survival[survival["dimension"] == "mlflow"]
    assert list(mlflow["days"]) == [0.0, 17.583, 25.875]
    assert list(mlflow["n_at_risk"]) == [2, 2, 1]
    assert list(mlflow["adopted"]) == pytest.approx([0.0, 0.5, 1.0])
    assert set(mlflow["n_repos"]) == {2}
    half = mlflow.iloc[1]
    assert (half["ci_low"], half["ci_high"]) == pytest.approx((0.0895, 0.9940), abs=5e-4)
    # mixed never logs parameters: censored at its head, 70.375 days after its first commit
    parameters = survival[survival["dimension"] == "parameters"]
    assert list(parameters["n_censored"]) == [0, 0, 1]
    assert list(parameters["adopted"]) == pytest.approx([0.0, 0.5, 0.5])


@pytest.mark.parametrize(
    ("durations", "observed", "survival"),
    [
        # Kaplan & Meier's textbook case: 6 subjects, censored at 3 and 5
        (
            [1, 2, 3, 4, 5, 6],
            [True, True, False, True, False, True],
            [1, 5 / 6, 4 / 6, 4 / 6, 0.4444, 0.4444, 0],
        ),
        ([2, 2, 2], [False, False, False], [1, 1]),
        ([0, 3], [True, True], [0.5, 0]),
    ],
)
def test_kaplan_meier(durations: list[float], observed: list[bool], survival: list[float]) -> None:
    steps = kaplan_meier(durations, observed)
    assert [step.survival for step in steps] == pytest.approx(survival, abs=1e-4)
    assert all(0 <= step.low <= step.survival <= step.high <= 1 for step in steps)


def test_kaplan_meier_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        kaplan_meier([1, 2], [True])
    with pytest.raises(ValueError, match="must not be negative"):
        kaplan_meier([-1.0], [True])


def test_time_to_adoption(agg: Aggregates) -> None:
    rows = table(agg, "time_to_adoption").set_index("repo")
    assert list(rows.index) == ["acme/churn-sklearn", "acme/keras-notebooks", "gamma/mixed"]
    assert rows.loc["acme/churn-sklearn", "days_from_creation"] == pytest.approx(17.617)
    assert rows.loc["acme/churn-sklearn", "days_from_first_commit"] == pytest.approx(17.583)
    # keras-notebooks' history predates the repository: negative, and the walk was capped.
    assert rows.loc["acme/keras-notebooks", "days_from_creation"] == pytest.approx(-31.74, 1e-3)
    assert bool(rows.loc["acme/keras-notebooks", "truncated"]) is True
    assert rows.loc["gamma/mixed", "days_from_creation"] == pytest.approx(25.903)


def test_dimension_lifecycle(agg: Aggregates) -> None:
    rows = table(agg, "dimension_lifecycle").set_index("dimension")
    datasets = rows.loc["datasets"]
    assert (
        datasets["n_repos"],
        datasets["n_adopted"],
        datasets["n_removed"],
        datasets["n_at_head"],
    ) == (3, 2, 1, 1)
    assert [datasets["ci_low"], datasets["ci_high"]] == pytest.approx(list(wilson_interval(1, 2)))
    assert datasets["median_days_after_mlflow"] == pytest.approx(7.0)
    assert rows.loc["mlflow", ["n_adopted", "n_removed", "median_days_after_mlflow"]].tolist() == [
        3,
        0,
        0.0,
    ]
    assert list(rows.index) == ["mlflow", "parameters", "datasets", "autolog"]


def test_every_new_table_has_its_documented_columns_and_types(agg: Aggregates) -> None:
    tables = agg.tables()
    assert list(tables) == list(study_tables())
    for name, table in study_tables("evolution").items():
        assert list(tables[name].columns) == list(table.names), name


def test_without_inputs_the_tables_are_empty_but_typed(tmp_path: Path, agg: Aggregates) -> None:
    bare = aggregate(load_study(study_with(tmp_path, ())))
    assert not bare.evolution.inputs.has_ecosystem
    assert not bare.evolution.inputs.has_history
    for name in study_tables("evolution"):
        empty, full = bare.tables()[name], agg.tables()[name]
        assert empty.empty
        assert list(empty.columns) == list(full.columns)
        assert list(empty.dtypes) == list(full.dtypes), name


def test_report_has_the_sections_and_charts_only_with_inputs(
    tmp_path: Path, agg: Aggregates
) -> None:
    page = render_index(agg, build_charts(agg))
    for marker in (
        'id="ecosystem"',
        'id="history"',
        'id="chart-ecosystem"',
        'id="chart-ecosystem-coadoption"',
        'id="chart-adoption-curve"',
        'id="chart-adoption-survival"',
        "Did practices stay?",
        "1 could not be walked",
        "1 walks were capped",
    ):
        assert marker in page, marker
    only_ecosystem = aggregate(load_study(study_with(tmp_path / "a", ("ecosystem.csv",))))
    page = render_index(only_ecosystem, build_charts(only_ecosystem))
    assert 'id="ecosystem"' in page
    assert 'id="history"' not in page
    assert "chart-adoption-curve" not in page
    bare = aggregate(load_study(study_with(tmp_path / "b", ())))
    page = render_index(bare, build_charts(bare))
    assert 'id="ecosystem"' not in page
    assert 'id="history"' not in page


def test_built_report_and_export(tmp_path: Path) -> None:
    study = study_with(tmp_path)
    report = build_report(study, static=False)
    charts = {path.name for path in report.charts}
    assert {"ecosystem.html", "adoption-curve.html", "adoption-survival.html"} <= charts
    out = export_study(study)
    with open(out / "data-dictionary.csv", encoding="utf-8", newline="") as handle:
        documented = {(row["table"], row["column"]) for row in csv.DictReader(handle)}
    for name, table in study_tables("evolution").items():
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert list(frame.columns) == list(table.names)
        assert {(name, column) for column in table.names} <= documented
    curve = pd.read_csv(out / "adoption_curve.csv")
    assert len(curve) == 46 * 4
    assert not math.isnan(curve["share"].iloc[0])
