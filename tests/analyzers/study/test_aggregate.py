"""Study statistics against numbers worked out by hand from tests/fixtures/study.

The fixture: 13 repositories in the dataset; 8 analysed; 4 failures in repos.csv (not-found,
too-large, timeout, empty) and 1 the dataset lists but repos.csv does not (not-attempted). The
timed-out eps/slow has a stray call in calls.csv, which must not count.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analyzers.codebook import HEADLINE
from analyzers.schema import study_tables
from analyzers.study.adoption import cooccurrence_matrix, usage_matrix
from analyzers.study.aggregate import Aggregates, Options, aggregate
from analyzers.study.load import StudyError, load_study
from analyzers.study.requirements import classify_requirement, exact_versions, version_key
from analyzers.study.stats import wilson_interval
from tests.analyzers.study.study_fixture import STUDY, copy_study

ANALYSED = [
    "acme/churn-sklearn",
    "acme/keras-notebooks",
    "beta/genai-agent",
    "beta/registry-client",
    "delta/broken-files",
    "eta/projects-demo",
    "gamma/lightning-only",
    "gamma/mixed",
]


@pytest.fixture(scope="module")
def agg() -> Aggregates:
    return aggregate(load_study(STUDY))


# --- Wilson score interval -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        (1, 2, 0.0945, 0.9055),
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_interval_known_values(k: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)
    assert 0.0 <= got[0] <= k / n <= got[1] <= 1.0


def test_wilson_interval_is_exact_at_the_bounds_and_empty_without_trials() -> None:
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 1.0
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


@pytest.mark.parametrize(("k", "n"), [(-1, 3), (4, 3), (0, -1)])
def test_wilson_interval_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="need 0 <= successes <= trials"):
        wilson_interval(k, n)


# --- Reading a study -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["dataset.csv", "repos.csv", "files.csv", "calls.csv", "signals.csv", "study.json"]
)
def test_a_missing_file_is_named(tmp_path: Path, name: str) -> None:
    study = copy_study(tmp_path)
    (study / name).unlink()
    with pytest.raises(StudyError, match=rf"{name}: file not found"):
        load_study(study)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("calls.csv", "repo,path,api,keys\n", "calls.csv: missing column(s) dimension"),
        ("repos.csv", "", "repos.csv: empty file"),
        ("study.json", "{not json", "study.json: not valid JSON"),
        ("study.json", "[1, 2]", "study.json: expected a JSON object"),
    ],
)
def test_a_bad_file_is_named(tmp_path: Path, name: str, content: str, message: str) -> None:
    study = copy_study(tmp_path)
    (study / name).write_text(content, encoding="utf-8")
    with pytest.raises(StudyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_study(study)


def test_the_dataset_study_json_names_is_found_beside_the_study(tmp_path: Path) -> None:
    study = copy_study(tmp_path / "results")
    (tmp_path / "datasets").mkdir()
    shutil.move(study / "dataset.csv", tmp_path / "datasets" / "fixture-2025-06.csv")
    loaded = load_study(study)
    assert loaded.dataset_path == tmp_path / "datasets" / "fixture-2025-06.csv"
    assert loaded.dataset_sha256 == load_study(STUDY).dataset_sha256
    assert len(loaded.repos) == 13


def test_calls_and_signals_of_repositories_not_analyzed_are_ignored() -> None:
    study = load_study(STUDY)
    assert study.analysed == ANALYSED
    assert study.n_analysed == 8
    assert "eps/slow" not in set(study.calls["repo"])
    assert len(study.calls) == 42
    assert set(study.signals["repo"]) <= set(ANALYSED)


def test_keys_that_look_like_missing_values_stay_text(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    with open(study / "calls.csv", "a", encoding="utf-8") as handle:
        handle.write(
            "gamma/mixed,5555555555555555555555555555555555555555,train.py,,30,0,"
            "mlflow.log_param,parameters,NA;null\n"
        )
    keys = aggregate(load_study(study)).top_keys
    assert {"NA", "null"} <= set(keys.loc[keys["dimension"] == "parameters", "key"])


# --- Denominators and failures ---------------------------------------------------------------


def test_failures_are_counted_never_dropped(agg: Aggregates) -> None:
    assert (agg.n_total, agg.n_analysed, agg.n_failed) == (13, 8, 5)
    assert dict(zip(agg.repo_status["status"], agg.repo_status["n_repos"], strict=True)) == {
        "analyzed": 8,
        "empty": 1,
        "not-attempted": 1,
        "not-found": 1,
        "timeout": 1,
        "too-large": 1,
    }
    assert agg.repo_status["status"].iloc[0] == "analyzed"
    assert set(agg.repo_status["n_total"]) == {13}
    assert sorted(agg.failures["repo"]) == [
        "delta/gone",
        "delta/huge",
        "eps/empty",
        "eps/slow",
        "zeta/not-cloned",
    ]
    assert set(agg.adoption["n_analysed"]) == {8}
    denominators = agg.headline.groupby("population")["denominator"].unique()
    assert {name: list(values) for name, values in denominators.items()} == {
        "analysed": [8],
        "mlflow-evidence": [7],
    }


def test_a_repository_only_in_repos_csv_is_kept(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    with open(study / "repos.csv", "a", encoding="utf-8") as handle:
        handle.write("omega/extra,eeee,error,git exited 128\n")
    repos = aggregate(load_study(study)).repos.set_index("repo")
    assert repos.loc["omega/extra", "status"] == "error"
    assert not repos.loc["omega/extra", "in_dataset"]
    assert pd.isna(repos.loc["omega/extra", "created_year"])
    assert repos.loc["zeta/not-cloned", "status"] == "not-attempted"
    assert repos.loc["zeta/not-cloned", "commit"] == "d" * 40  # from the dataset


def test_a_study_without_any_call(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    (study / "calls.csv").write_text(
        "repo,commit,path,cell,line,column,api,dimension,keys\n", encoding="utf-8"
    )
    result = aggregate(load_study(study))
    assert result.usage.empty
    assert result.top_keys.empty
    assert result.cooccurrence.empty
    dims = result.adoption[result.adoption["level"] == "dimension"]
    assert set(dims["n_using"]) == {0}
    assert set(dims["n_analysed"]) == {8}
    headline = result.headline.set_index(["measure", "population"])
    assert headline.loc[("any-logging", "analysed"), "numerator"] == 0
    # Without calls, MLflow evidence is the mlflow requirement in a dependency file alone;
    # delta/broken-files had only calls, gamma/lightning-only never had any.
    assert headline.loc[("any-logging", "mlflow-evidence"), "denominator"] == 6
    # files and facts still count: MLproject, pinned environments, logged files, DVC
    distribution = result.traceability["traceability_distribution"]
    # (beta/genai-agent keeps two: its uv.lock is a pinned environment, and it locks mlflow)
    assert distribution.set_index("n_aspects")["n_repos"].to_dict() == {
        0: 3,
        1: 1,
        2: 1,
        3: 3,
        4: 0,
        5: 0,
        6: 0,
    }


# --- Adoption --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "name", "kind", "n_using", "calls"),
    [
        ("dimension", "parameters", "any", 5, 5),
        ("dimension", "parameters", "script", 4, 4),
        ("dimension", "parameters", "notebook", 1, 1),
        ("dimension", "metrics", "any", 5, 9),
        ("dimension", "metrics", "script", 4, 5),
        ("dimension", "metrics", "notebook", 2, 4),
        ("dimension", "run-lifecycle", "any", 4, 5),
        ("dimension", "tracking-setup", "any", 3, 4),
        ("dimension", "tracking-setup", "notebook", 1, 1),
        ("dimension", "autolog", "script", 1, 1),
        ("dimension", "autolog", "notebook", 1, 1),
        ("dimension", "artifacts", "script", 0, 0),
        ("dimension", "artifacts", "notebook", 2, 2),  # keras-notebooks logs a data file
        ("dimension", "querying", "notebook", 1, 1),
        ("dimension", "prompts", "any", 0, 0),
        ("api", "mlflow.start_run", "any", 4, 4),
        ("api", "mlflow.log_metric", "any", 3, 7),
        ("api", "mlflow.log_param", "any", 2, 2),  # eps/slow's log_param does not count
        ("api", "mlflow.set_tracking_uri", "any", 3, 3),
        ("api", "mlflow.MlflowClient.log_param", "any", 1, 1),
    ],
)
def test_adoption(
    agg: Aggregates, level: str, name: str, kind: str, n_using: int, calls: int
) -> None:
    row = agg.adoption.set_index(["level", "name", "kind"]).loc[(level, name, kind)]
    assert (row["n_using"], row["n_analysed"], row["calls"]) == (n_using, 8, calls)
    assert row["share"] == n_using / 8
    assert (row["ci_low"], row["ci_high"]) == wilson_interval(n_using, 8)


def test_adoption_lists_every_catalog_dimension_for_every_kind(agg: Aggregates) -> None:
    dims = agg.adoption[agg.adoption["level"] == "dimension"]
    assert dims.groupby("kind").size().to_dict() == {"any": 20, "notebook": 20, "script": 20}


@pytest.mark.parametrize(
    ("measure", "analysed", "evidence"),
    [
        ("log-params", 5, 5),
        ("log-metrics", 5, 5),
        ("autolog", 2, 2),
        ("any-logging", 6, 6),
        ("any-logging-incl-indirect", 6, 6),  # no indirect.csv: as any-logging
        ("set-tracking-uri", 3, 3),
        ("uses-registry", 2, 2),  # churn-sklearn (registered_model_name=), registry-client
        # gamma/mixed sets one location the repository does not hold, but others it does
        ("location-unresolved", 0, 0),
    ],
)
def test_headline(agg: Aggregates, measure: str, analysed: int, evidence: int) -> None:
    headline = agg.headline.set_index(["measure", "population"])
    for population, k, n in (("analysed", analysed, 8), ("mlflow-evidence", evidence, 7)):
        row = headline.loc[(measure, population)]
        assert (row["numerator"], row["denominator"]) == (k, n)
        assert row["share"] == k / n
        assert (row["ci_low"], row["ci_high"]) == wilson_interval(k, n)


def test_headline_has_exactly_its_columns_and_every_measure_for_every_population(
    agg: Aggregates,
) -> None:
    assert list(agg.headline.columns) == [
        "measure",
        "population",
        "definition",
        "numerator",
        "denominator",
        "share",
        "ci_low",
        "ci_high",
    ]
    assert len(agg.headline) == len(HEADLINE) * 2
    assert list(dict.fromkeys(agg.headline["measure"])) == list(HEADLINE)
    wide = agg.headline.pivot(index="measure", columns="population", values="numerator")
    assert (wide["mlflow-evidence"] <= wide["analysed"]).all()
    logging = wide.loc[["log-params", "log-metrics", "autolog"]]
    assert (wide.loc["any-logging"] >= logging.max()).all()
    assert (wide.loc["any-logging-incl-indirect"] >= wide.loc["any-logging"]).all()


def test_populations(agg: Aggregates) -> None:
    table = agg.populations.set_index("population")
    sizes = table.loc[table["available"], "n_repos"].to_dict()
    assert sizes == {"analysed": 8, "mlflow-evidence": 7}  # no purpose or duplicate_of here
    repos = agg.repos.set_index("repo")
    # Analysed, with neither a call nor an mlflow requirement: not in mlflow-evidence.
    assert repos.loc["gamma/lightning-only", "populations"] == "analysed"
    # A call alone (no dependency file) is evidence.
    assert repos.loc["delta/broken-files", "populations"] == "analysed;mlflow-evidence"
    assert not repos.loc["delta/broken-files", "mlflow_dependency"]
    assert repos.loc["delta/gone", "populations"] == ""


def _with_status(tmp_path: Path, repo: str, status: str, detail: str = "") -> Path:
    study = copy_study(tmp_path)
    lines = (study / "repos.csv").read_text(encoding="utf-8").splitlines()
    lines = [
        ",".join([*line.split(",")[:2], status, detail]) if line.startswith(repo + ",") else line
        for line in lines
    ]
    (study / "repos.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return study


def test_a_repository_with_no_python_file_is_analyzed_without_mlflow_evidence(
    tmp_path: Path,
) -> None:
    """The pipeline writes `analyzed` for a repository with no .py/.ipynb file (files.csv
    holds its `empty` row): it counts in analysed, and in no population that needs MLflow."""
    result = aggregate(load_study(_with_status(tmp_path, "eps/empty", "analyzed")))
    sizes = result.populations.set_index("population")["n_repos"].to_dict()
    assert (sizes["analysed"], sizes["mlflow-evidence"]) == (9, 7)
    assert result.repos.set_index("repo").loc["eps/empty", "populations"] == "analysed"


def test_a_partial_repository_is_analyzed(tmp_path: Path) -> None:
    study = _with_status(tmp_path, "gamma/mixed", "partial", "1 file unreadable")
    result = aggregate(load_study(study))
    assert result.n_analysed == 8
    assert "gamma/mixed" in result.study.analysed
    assert list(result.repo_status["status"][:2]) == ["analyzed", "partial"]
    assert "gamma/mixed" in result.measure_users["any-logging"]


# --- Co-occurrence, keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        ("parameters", "metrics", 5),
        ("parameters", "parameters", 5),
        ("parameters", "autolog", 1),
        ("run-lifecycle", "parameters", 3),
        ("tracking-setup", "parameters", 2),
        ("tracing", "autolog", 1),
        ("tracing", "metrics", 0),
    ],
)
def test_cooccurrence(agg: Aggregates, a: str, b: str, n: int) -> None:
    matrix = cooccurrence_matrix(agg.cooccurrence)
    assert matrix.loc[a, b] == matrix.loc[b, a] == n


def test_cooccurrence_covers_used_dimensions_only(agg: Aggregates) -> None:
    matrix = cooccurrence_matrix(agg.cooccurrence)
    assert list(matrix.index) == list(matrix.columns)
    assert "prompts" not in matrix.index
    assert len(matrix) == 15


@pytest.mark.parametrize(
    ("dimension", "key", "n_repos", "n_calls", "rank"),
    [
        ("metrics", "accuracy", 4, 5, 1),  # gamma/mixed logs it twice: one repository, two calls
        ("metrics", "loss", 1, 1, 4),
        ("metrics", '=HYPERLINK("http://x.invalid","win")', 1, 1, 2),
        ("parameters", "lr", 1, 1, 4),  # not 2: eps/slow was not analysed
        ("parameters", "alpha", 1, 1, 1),
    ],
)
def test_top_keys(
    agg: Aggregates, dimension: str, key: str, n_repos: int, n_calls: int, rank: int
) -> None:
    row = agg.top_keys.set_index(["dimension", "key"]).loc[(dimension, key)]
    assert (row["n_repos"], row["n_calls"], row["rank"]) == (n_repos, n_calls, rank)


def test_usage_matrix(agg: Aggregates) -> None:
    uses = usage_matrix(agg.usage, "dimension", ANALYSED)
    assert list(uses.index) == ANALYSED
    assert uses.dtypes.unique().tolist() == [bool]
    assert uses.sum().to_dict()["parameters"] == 5
    assert not uses.loc["gamma/lightning-only"].any()
    calls = usage_matrix(agg.usage, "api", ANALYSED, values="calls")
    assert calls.loc["acme/churn-sklearn", "mlflow.log_metric"] == 2
    notebook = usage_matrix(agg.usage, "dimension", ANALYSED, values="notebook_calls")
    assert notebook.loc["gamma/mixed", "metrics"] == 3


# --- Signals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specifier", "level", "version"),
    [
        ("==2.16.2", "pinned", "2.16"),
        ("== 3.1.0", "pinned", "3.1"),
        ("===2.9.2", "pinned", "2.9"),
        ("==2", "pinned", "2.0"),
        ("==2.3.0rc1", "pinned", "2.3"),
        (">=2.0,==2.16.1", "pinned", "2.16"),
        ("==2.16.2; python_version>'3.8'", "pinned", "2.16"),
        (">=2.0", "constrained", ""),
        ("~=2.1", "constrained", ""),
        ("==2.*", "constrained", ""),
        ("<3,>=2", "constrained", ""),
        ("", "unpinned", ""),
        ("  ", "unpinned", ""),
        ("^2.9.2", "constrained", ""),  # Poetry's caret is a range
        ("===nightly", "constrained", ""),  # arbitrary equality with no version
        ("==2.3.post1", "pinned", "2.3"),
        ("==1!2.4", "pinned", "2.4"),  # an epoch
        ("==v2.5", "pinned", "2.5"),
    ],
)
def test_classify_requirement(specifier: str, level: str, version: str) -> None:
    assert classify_requirement(specifier) == (level, version)


def test_versions_are_in_pep_440_order() -> None:
    versions = ["2.10", "2.0", "2.9", "2.0rc1", "not-a-version", "2.0.post1"]
    assert sorted(versions, key=version_key) == [
        "2.0rc1",
        "2.0",
        "2.0.post1",
        "2.9",
        "2.10",
        "not-a-version",
    ]
    assert exact_versions(">=2,==v2.3.0,===2.4") == ["2.3.0", "2.4"]


@pytest.mark.parametrize(
    ("signal", "value", "n_using"),
    [
        ("mlproject", "any", 2),
        ("mlproject-env", "conda", 1),
        ("mlproject-env", "python_env", 1),
        ("mlproject-env", "none", 1),
        ("env-file", "any", 7),
        ("env-file", "requirements", 5),
        ("env-file", "pyproject", 2),
        ("mlflow-requirement", "pinned", 4),
        ("mlflow-requirement", "constrained", 1),
        ("mlflow-requirement", "unpinned", 1),
        ("mlflow-requirement", "none", 2),
        ("dvc", "any", 1),
    ],
)
def test_signals(agg: Aggregates, signal: str, value: str, n_using: int) -> None:
    row = agg.signals.set_index(["signal", "value"]).loc[(signal, value)]
    assert (row["n_using"], row["n_analysed"]) == (n_using, 8)


def test_strictest_requirement_wins_and_versions_are_counted(agg: Aggregates) -> None:
    requirements = agg.mlflow_requirements.set_index("repo")
    assert requirements.loc["eta/projects-demo", "requirement"] == "pinned"  # and unpinned
    assert requirements.loc["eta/projects-demo", "versions"] == "2.16"
    assert requirements.loc["gamma/lightning-only", "requirement"] == "none"
    versions = agg.mlflow_versions
    assert list(versions["version"]) == ["2.9", "2.16", "3.1"]  # numeric order
    assert list(versions["n_repos"]) == [1, 2, 1]
    assert set(versions["n_pinning"]) == {4}


# --- Over time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "name", "n_repos", "n_using", "n_analysed"),
    [
        (2018, "any-logging", 1, 0, 0),  # only zeta/not-cloned
        (2019, "any-logging", 2, 1, 2),  # churn-sklearn logs, broken-files does not
        (2020, "any-logging", 2, 1, 1),  # delta/gone failed: not in the denominator
        (2021, "log-params", 2, 1, 2),
        (2023, "set-tracking-uri", 2, 1, 1),
        (2024, "autolog", 2, 1, 1),
    ],
)
def test_adoption_by_year(
    agg: Aggregates, year: int, name: str, n_repos: int, n_using: int, n_analysed: int
) -> None:
    row = agg.adoption_by_year.set_index(["year", "level", "name"]).loc[(year, "headline", name)]
    assert (row["n_repos"], row["n_using"], row["n_analysed"]) == (n_repos, n_using, n_analysed)
    assert math.isnan(row["share"]) == (n_analysed == 0)
    assert row["n_min"] == 10
    assert not row["min_n_met"]


def test_adoption_by_year_minimum_is_configurable() -> None:
    result = aggregate(load_study(STUDY), Options(min_n_per_year=2))
    rows = result.adoption_by_year
    met = rows.loc[rows["min_n_met"], "year"].unique()
    assert sorted(met) == [2019, 2021]  # two analysed repositories each
    assert set(rows["n_min"]) == {2}
    with pytest.raises(ValueError, match="at least 1"):
        Options(min_n_per_year=0)


def test_every_table_has_exactly_its_documented_columns(agg: Aggregates) -> None:
    tables = agg.tables()
    assert list(tables) == list(study_tables())
    for name, frame in tables.items():
        assert list(frame.columns) == list(study_tables()[name].names), name


def test_a_repository_logging_only_through_an_integration_moves_to_logging(
    tmp_path: Path,
) -> None:
    """gamma/lightning-only logs through Lightning's MLFlowLogger and calls no MLflow API: with
    its indirect use it has MLflow evidence, logs in any-logging-incl-indirect (not in
    any-logging), records parameters and metrics, and stores its runs in ./mlruns."""
    study = copy_study(tmp_path)
    (study / "indirect.csv").write_text(
        "repo,commit,path,cell,line,column,integration,records\n"
        "gamma/lightning-only,6666666666666666666666666666666666666666,train.py,,12,9,"
        "lightning,params;metrics\n"
        # a repository that was not analysed counts nowhere
        "eps/slow,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,x.py,,1,0,optuna,params;metrics\n",
        encoding="utf-8",
    )
    result = aggregate(load_study(study))
    headline = result.headline.set_index(["measure", "population"])
    assert headline.loc[("any-logging", "analysed"), "numerator"] == 6
    assert headline.loc[("any-logging-incl-indirect", "analysed"), "numerator"] == 7
    assert headline.loc[("any-logging-incl-indirect", "mlflow-evidence"), "denominator"] == 8
    repos = result.repos.set_index("repo")
    assert repos.loc["gamma/lightning-only", "indirect_uses"] == 1
    assert repos.loc["gamma/lightning-only", "populations"] == "analysed;mlflow-evidence"
    matrix = result.traceability["traceability_matrix"].set_index("repo")
    assert matrix.loc["gamma/lightning-only", ["parameters", "metrics"]].tolist() == [True, True]
    where = result.repo_locations.set_index("repo").loc["gamma/lightning-only", "classes"]
    assert where == "default-local"


def test_a_repository_whose_every_location_is_unknown_is_unresolved(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    with open(study / "facts.csv", "a", encoding="utf-8") as handle:
        handle.write(
            "delta/broken-files,7777777777777777777777777777777777777777,main.py,,2,0,"
            "tracking-uri,,mlflow.set_tracking_uri\n"
        )
    result = aggregate(load_study(study))
    headline = result.headline.set_index(["measure", "population"])
    assert headline.loc[("location-unresolved", "analysed"), "numerator"] == 1
    assert result.measure_users["location-unresolved"] == {"delta/broken-files"}
