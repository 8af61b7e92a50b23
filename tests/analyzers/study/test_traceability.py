"""Traceability: the codebook's examples, run end to end, and the fixture study by hand.

Every example repository of `analyzers.codebook.TRACEABILITY` becomes a test: its files are
committed to a real git repository, analysed as a study analyses a checkout (scanner,
catalog, detectors: `mining.study.run.analyze_checkout`), read back as a one-repository study,
and judged. An inclusion rule's example must record the aspect by that very rule; an exclusion
rule's example must not record it at all.

The fixture study (tests/fixtures/study), by hand:

    repository            code  params metrics env  deps input
    acme/churn-sklearn     x      x      x      x    x     -     git-run, MLproject; pinned files
    acme/keras-notebooks   -      x      x      -    -     x     notebooks only; data artifact
    beta/genai-agent       x      x      x      x    x     -     autolog in a script; uv.lock
    beta/registry-client   -      x      x      -    -     -     MlflowClient only
    delta/broken-files     x      -      -      -    -     -     start_run in main.py
    eta/projects-demo      x      x      x      x    x     -     MLproject python_env
    gamma/lightning-only   -      -      -      -    -     -     no MLflow call
    gamma/mixed            x      x      x      -    x     x     Dockerfile only; log_input, DVC
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analyzers.codebook import ASPECTS, FULLY_TRACEABLE, TRACEABILITY, Aspect, Case, Rule
from analyzers.study.aggregate import Aggregates, aggregate
from analyzers.study.load import Study, load_study
from analyzers.study.traceability import FINDERS, is_input_artifact, traceability_tables
from analyzers.tables import csv_table
from mining.study.run import REPO_COLUMNS, RepoTask, analyze_checkout
from tests.analyzers.study.study_fixture import STUDY, copy_study
from tests.conftest import make_git_repo

EXAMPLES = [
    pytest.param(aspect, rule, case, include, id=f"{aspect.name}-{rule.id}-{index}")
    for aspect in TRACEABILITY
    for include, rules in ((True, aspect.includes), (False, aspect.excludes))
    for rule in rules
    for index, case in enumerate(rule.cases)
]


def study_of(tmp_path: Path, files: dict[str, str]) -> Study:
    """A one-repository study of `files`, analysed by the pipeline's own unit of work."""
    repo, out = tmp_path / "repo", tmp_path / "study"
    sha = make_git_repo(repo, files)
    work = out / "repos" / "one"
    outcome = analyze_checkout(
        RepoTask("codebook/example", sha, str(repo), "", "", str(work), None)
    )
    assert outcome.status == "analyzed"
    for table in ("calls.csv", "files.csv", "facts.csv", "signals.csv", "indirect.csv"):
        (out / table).write_bytes((work / table).read_bytes())
    with csv_table(out / "repos.csv", REPO_COLUMNS) as writer:
        writer.write(outcome.as_row())
    with csv_table(out / "dataset.csv", ("full_name", "commit", "created_at")) as writer:
        writer.write({"full_name": "codebook/example", "commit": sha, "created_at": ""})
    (out / "study.json").write_text(json.dumps({"name": "codebook"}), encoding="utf-8")
    return load_study(out)


@pytest.mark.parametrize(("aspect", "rule", "case", "include"), EXAMPLES)
def test_the_codebook_example_is_judged_as_it_says(
    tmp_path: Path, aspect: Aspect, rule: Rule, case: Case, include: bool
) -> None:
    assert case.recorded is include, "an inclusion example records, an exclusion one does not"
    evidence = traceability_tables(study_of(tmp_path, dict(case.files)))["traceability_evidence"]
    row = evidence.set_index("aspect").loc[aspect.name]
    assert bool(row["recorded"]) is case.recorded, row["evidence"]
    if include:
        assert rule.id in row["rules"].split(";"), row["rules"]


def test_every_inclusion_rule_has_a_finder_and_every_finder_a_rule() -> None:
    included = [rule.id for aspect in TRACEABILITY for rule in aspect.includes]
    excluded = [rule.id for aspect in TRACEABILITY for rule in aspect.excludes]
    assert len(set(included + excluded)) == len(included + excluded), "rule ids are unique"
    assert set(included) == set(FINDERS)


def test_every_aspect_has_rules_both_ways_with_examples() -> None:
    assert list(ASPECTS) == [
        "code_version",
        "parameters",
        "metrics",
        "environment",
        "dependencies",
        "input_data",
    ]
    for aspect in TRACEABILITY:
        assert aspect.includes, aspect.name
        assert aspect.excludes, aspect.name
        for rule in (*aspect.includes, *aspect.excludes):
            assert rule.cases, rule.id
        assert aspect.definition.startswith(aspect.includes[0].text)


@pytest.mark.parametrize(
    ("path", "is_input"),
    [
        ("data/train.csv", True),
        ("iris.csv.gz", True),
        ("data/raw", True),
        ("datasets/", True),
        ("predictions.csv", False),
        ("results/metrics.json", False),
        ("outputs", False),
        ("test_predictions.parquet", False),
        ("plots/roc.png", False),
        ("model", False),
        ("train.py", False),
    ],
)
def test_input_artifacts(path: str, is_input: bool) -> None:
    assert is_input_artifact(path) is is_input


# --- The fixture study -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def agg() -> Aggregates:
    return aggregate(load_study(STUDY))


@pytest.mark.parametrize(
    ("repo", "aspects"),
    [
        ("acme/churn-sklearn", "code_version parameters metrics environment dependencies"),
        ("acme/keras-notebooks", "parameters metrics input_data"),
        ("beta/genai-agent", "code_version parameters metrics environment dependencies"),
        ("beta/registry-client", "parameters metrics"),
        ("delta/broken-files", "code_version"),
        ("eta/projects-demo", "code_version parameters metrics environment dependencies"),
        ("gamma/lightning-only", ""),
        ("gamma/mixed", "code_version parameters metrics dependencies input_data"),
    ],
)
def test_traceability_matrix(agg: Aggregates, repo: str, aspects: str) -> None:
    row = agg.traceability["traceability_matrix"].set_index("repo").loc[repo]
    recorded = {aspect for aspect in ASPECTS if row[aspect]}
    assert recorded == set(aspects.split())
    assert row["n_aspects"] == len(recorded)
    assert row["fully_traceable"] == (len(recorded) == len(ASPECTS))
    assert row["missing"] == ";".join(a for a in ASPECTS if a not in recorded)


@pytest.mark.parametrize(
    ("repo", "aspect", "rules", "evidence"),
    [
        (
            "acme/churn-sklearn",
            "code_version",
            "git-run;mlproject",
            "git-run: mlflow.log_metric [src/train.py]; git-run: mlflow.log_params "
            "[src/train.py]; git-run: mlflow.start_run [src/train.py]; mlproject: MLproject "
            "[MLproject]",
        ),
        (
            "gamma/mixed",
            "code_version",
            "git-run;version-tag;source-artifact",
            None,
        ),
        ("acme/keras-notebooks", "code_version", "", ""),  # every call is in a notebook
        ("beta/registry-client", "code_version", "", ""),  # MlflowClient only
        (
            "acme/churn-sklearn",
            "environment",
            "pinned-file;mlproject-env;log-model-env",
            "pinned-file: requirements [requirements.txt]; mlproject-env: MLproject conda "
            "[MLproject]; log-model-env: mlflow.sklearn.log_model pip_requirements "
            "[src/train.py]",
        ),
        ("gamma/mixed", "environment", "", ""),  # a Dockerfile and an unpinned requirements file
        (
            "beta/genai-agent",
            "dependencies",
            "locked-mlflow",
            "locked-mlflow: uv-lock [uv.lock] with an mlflow requirement",
        ),
        (
            "acme/keras-notebooks",
            "dependencies",
            "",
            "mlflow (unpinned) [requirements.txt]; tensorflow==2.15.0 [requirements.txt]",
        ),
        (
            "gamma/lightning-only",
            "dependencies",
            "",
            "no mlflow requirement; pytorch-lightning (unpinned) [requirements.txt]",
        ),
        (
            "acme/keras-notebooks",
            "input_data",
            "input-artifact",
            "input-artifact: input artifact data/fashion_sample.csv [fashion.ipynb]",
        ),
        (
            "gamma/mixed",
            "input_data",
            "log-input;dvc-tracked",
            "log-input: mlflow.log_input [train.py]; dvc-tracked: DVC raw.dvc [data/raw.dvc]; "
            "dvc-tracked: DVC dvc.yaml [dvc.yaml]",
        ),
    ],
)
def test_traceability_evidence(
    agg: Aggregates, repo: str, aspect: str, rules: str, evidence: str | None
) -> None:
    table = agg.traceability["traceability_evidence"].set_index(["repo", "aspect"])
    row = table.loc[(repo, aspect)]
    assert row["rules"] == rules
    assert bool(row["recorded"]) is bool(rules)
    if evidence is not None:
        assert row["evidence"] == evidence


def test_evidence_is_tidy_and_matches_the_matrix(agg: Aggregates) -> None:
    evidence = agg.traceability["traceability_evidence"]
    assert len(evidence) == 8 * len(ASPECTS)
    wide = evidence.pivot(index="repo", columns="aspect", values="recorded")
    matrix = agg.traceability["traceability_matrix"].set_index("repo")[list(ASPECTS)]
    pd.testing.assert_frame_equal(wide[list(ASPECTS)].astype(bool), matrix, check_names=False)


def test_pinned_versions_are_reported(agg: Aggregates) -> None:
    matrix = agg.traceability["traceability_matrix"].set_index("repo")
    assert matrix.loc["acme/churn-sklearn", "mlflow_pins"] == "2.16.2"
    assert matrix.loc["eta/projects-demo", "mlflow_pins"] == "2.16.0"
    assert matrix.loc["gamma/mixed", "framework_requirements"] == (
        "pytorch-lightning==2.2.1;torch==2.2.0"
    )
    assert matrix.loc["beta/registry-client", "framework_requirements"] == "xgboost>=2.0"


def test_the_strictest_framework_requirement_wins(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    with open(study / "signals.csv", "a", encoding="utf-8") as handle:
        # setup.py constrains, requirements.txt pins: pinned
        handle.write(
            "gamma/mixed,5555555555555555555555555555555555555555,setup.py,"
            "framework-requirement,torch>=2\n"
        )
        # a framework pinned nowhere: the repository's dependencies are not pinned
        handle.write(
            "acme/churn-sklearn,1111111111111111111111111111111111111111,setup.py,"
            "framework-requirement,xgboost\n"
        )
    matrix = aggregate(load_study(study)).traceability["traceability_matrix"].set_index("repo")
    assert matrix.loc["gamma/mixed", "dependencies"]
    assert not matrix.loc["acme/churn-sklearn", "dependencies"]


def test_traceability_shares(agg: Aggregates) -> None:
    shares = agg.traceability["traceability_shares"].set_index("aspect")
    assert shares["n_using"].to_dict() == {
        "code_version": 5,
        "parameters": 6,
        "metrics": 6,
        "environment": 3,
        "dependencies": 4,
        "input_data": 2,
        FULLY_TRACEABLE: 0,
    }
    assert set(shares["n_analysed"]) == {8}
    assert (shares["n_using"] + shares["n_missing"] == 8).all()
    assert shares.index[shares["most_missing"]].tolist() == ["input_data"]


def test_traceability_rules(agg: Aggregates) -> None:
    rules = agg.traceability["traceability_rules"].set_index("rule")
    assert rules["n_using"].to_dict() == {
        "git-run": 5,
        "mlproject": 2,
        "version-tag": 1,
        "source-artifact": 1,
        "params-call": 5,
        "params-autolog": 2,
        "params-indirect": 0,  # the fixture has no indirect.csv (test_aggregate adds one)
        "metrics-call": 5,
        "metrics-autolog": 2,
        "metrics-indirect": 0,
        "metrics-evaluate": 0,
        "lock-file": 1,
        "pinned-file": 1,
        "mlproject-env": 2,
        "log-model-env": 1,
        "pinned-frameworks": 3,
        "locked-mlflow": 1,
        "log-input": 1,
        "input-artifact": 1,
        "dvc-tracked": 1,
    }


def test_traceability_distribution_and_combinations(agg: Aggregates) -> None:
    distribution = agg.traceability["traceability_distribution"].set_index("n_aspects")
    assert distribution["n_repos"].to_dict() == {0: 1, 1: 1, 2: 1, 3: 1, 4: 0, 5: 4, 6: 0}
    combos = agg.traceability["traceability_combinations"]
    assert combos["n_repos"].sum() == 8
    assert combos["share"].sum() == pytest.approx(1)
    assert combos["combination"].is_unique
    first = combos.iloc[0]
    assert first["combination"] == "code_version+parameters+metrics+environment+dependencies"
    assert first["n_repos"] == 3
    for row in combos.to_dict("records"):
        held = [aspect for aspect in ASPECTS if row[aspect]]
        assert row["combination"] == ("+".join(held) or "none")
        assert row["n_aspects"] == len(held)
