"""Findings beyond call counts, against numbers worked out by hand from tests/fixtures/study.

The fixture's facts.csv and signals.csv make every location class, model URI kind and name
token kind occur at least once:

    repository            locations (tracking | registry)
    acme/churn-sklearn    sqlite (.env)
    acme/keras-notebooks  none: default-local
    beta/genai-agent      http://{…}:5000, env: (workflow)
    beta/registry-client  https://mlflow.acme-corp.example | databricks-uc
    delta/broken-files    none: default-local
    eta/projects-demo     localhost, 127.0.0.1, env: | sqlite (.env)
    gamma/lightning-only  none, and no MLflow call
    gamma/mixed           file:./mlruns, postgresql (compose), not a literal

Traceability has its own tests (test_traceability.py).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from analyzers.schema import study_tables
from analyzers.study.aggregate import Aggregates, aggregate
from analyzers.study.charts import findings_charts
from analyzers.study.export import export_study
from analyzers.study.load import load_study
from analyzers.study.locations import LOCATION_CLASSES
from analyzers.study.report import build_report
from analyzers.study.versioning import MODEL_URI_KINDS, TOKEN_KINDS
from tests.analyzers.study.study_fixture import STUDY, copy_study

EN = "\u2013"  # the report's en dash between interval bounds


@pytest.fixture(scope="module")
def agg() -> Aggregates:
    return aggregate(load_study(STUDY))


def append(path: Path, *lines: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.writelines(line + "\n" for line in lines)


# --- Reading facts.csv -----------------------------------------------------------------------


def test_facts_of_repositories_not_analyzed_are_ignored() -> None:
    study = load_study(STUDY)
    assert study.has_facts
    assert len(study.facts) == 27
    assert "eps/slow" not in set(study.facts["repo"])


def test_a_study_without_facts_csv_still_aggregates(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    (study / "facts.csv").unlink()
    loaded = load_study(study)
    assert not loaded.has_facts
    assert loaded.facts.empty
    result = aggregate(loaded)
    # set_tracking_uri calls without a value still count, as unknown locations
    locations = result.locations
    assert set(locations.loc[locations["origin"] == "code", "location"]) == {"unknown"}
    assert set(locations.loc[locations["origin"] == "code", "repo"]) == {
        "beta/genai-agent",
        "beta/registry-client",
        "eta/projects-demo",
    }
    assert result.model_uris.empty
    assert result.model_names.empty
    assert set(result.model_naming["n_total"]) == {0}
    assert result.model_naming["share"].isna().all()
    page = build_report(study, static=False).index.read_text(encoding="utf-8")
    assert page.count("This study has no facts.csv") == 3
    assert "No literal registered model name was found." in page
    assert (
        (export_study(study) / "model_names.csv")
        .read_text(encoding="utf-8")
        .startswith("repo,name,")
    )


@pytest.mark.parametrize("table", ["facts.csv", "signals.csv"])
def test_a_study_whose_table_has_only_its_header_still_exports(tmp_path: Path, table: str) -> None:
    study = copy_study(tmp_path)
    header = (study / table).read_text(encoding="utf-8").splitlines()[0]
    (study / table).write_text(header + "\n", encoding="utf-8")
    exported = export_study(study)
    assert (exported / "model_names.csv").read_text(encoding="utf-8").startswith("repo,name,")


def test_facts_csv_without_a_column_is_named(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    (study / "facts.csv").write_text("repo,path,fact,value\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"facts.csv: missing column\(s\) cell, line, source"):
        load_study(study)


# --- Where runs are stored -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repo", "tracking", "registry", "classes"),
    [
        ("acme/churn-sklearn", "local-database", "", "local-database"),
        ("acme/keras-notebooks", "", "", "default-local"),
        (
            "beta/genai-agent",
            "server-unknown-host;environment",
            "",
            "server-unknown-host;environment",
        ),
        ("beta/registry-client", "server-remote", "databricks", "server-remote;databricks"),
        ("delta/broken-files", "", "", "default-local"),
        (
            "eta/projects-demo",
            "server-localhost;environment",
            "local-database",
            "local-database;server-localhost;environment",
        ),
        ("gamma/lightning-only", "", "", ""),  # no MLflow call: no default either
        (
            "gamma/mixed",
            "local-file;remote-database;unknown",
            "",
            "local-file;remote-database;unknown",
        ),
    ],
)
def test_repo_locations(
    agg: Aggregates, repo: str, tracking: str, registry: str, classes: str
) -> None:
    row = agg.repo_locations.set_index("repo").loc[repo]
    assert (row["tracking"], row["registry"], row["classes"]) == (tracking, registry, classes)


def test_every_location_class_occurs(agg: Aggregates) -> None:
    assert set(agg.locations["location"]) == set(LOCATION_CLASSES)
    assert set(agg.locations["origin"]) == {"code", "configuration"}
    assert set(agg.locations["source"]) == {
        ".env",
        "docker-compose",
        "github-workflow",
        "mlflow.MlflowClient",
        "os.environ",
        "mlflow.set_tracking_uri",
    }
    assert "eps/slow" not in set(agg.locations["repo"])


@pytest.mark.parametrize(
    ("setting", "location", "n_using"),
    [
        ("any", "any-location", 5),
        ("any", "local-file", 1),
        ("any", "local-database", 2),
        ("any", "remote-database", 1),
        ("any", "server-localhost", 1),
        ("any", "server-remote", 1),
        ("any", "server-unknown-host", 1),
        ("any", "databricks", 1),
        ("any", "environment", 2),
        ("any", "unknown", 1),
        ("any", "default-local", 2),
        ("tracking-uri", "any-location", 5),
        ("tracking-uri", "local-database", 1),
        ("tracking-uri", "default-local", 2),
        ("registry-uri", "any-location", 2),
        ("registry-uri", "databricks", 1),
        ("registry-uri", "local-database", 1),
    ],
)
def test_location_shares(agg: Aggregates, setting: str, location: str, n_using: int) -> None:
    row = agg.location_shares.set_index(["setting", "location"]).loc[(setting, location)]
    assert (row["n_using"], row["n_analysed"], row["share"]) == (n_using, 8, n_using / 8)
    assert row["ci_low"] <= row["share"] <= row["ci_high"]


def test_registry_uris_have_no_default_row(agg: Aggregates) -> None:
    registry = agg.location_shares[agg.location_shares["setting"] == "registry-uri"]
    assert "default-local" not in set(registry["location"])


def test_a_set_tracking_uri_call_without_a_fact_is_unknown(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    facts = (study / "facts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (study / "facts.csv").write_text(
        "".join(line for line in facts if "http://{…}:5000" not in line), encoding="utf-8"
    )
    locations = aggregate(load_study(study)).locations
    genai = locations[(locations["repo"] == "beta/genai-agent") & (locations["origin"] == "code")]
    assert genai[["path", "source", "value", "location"]].values.tolist() == [
        ["agent.py", "mlflow.set_tracking_uri", "", "unknown"]
    ]


SECRETS = [
    "postgresql://admin:s3cr3t@db.example.com/mlflow",
    "https://alice:s3cr3t@mlflow.example.com",
    "https://mlflow.example.com/?token=s3cr3t",
    "mysql+pymysql://root:s3cr3t@{…}/mlflow",
]


def test_no_credential_reaches_any_output(tmp_path: Path) -> None:
    """The lead's redaction would write postgresql://***:***@db/mlflow; even values that
    slipped through unredacted never reach the report or the export."""
    study = copy_study(tmp_path)
    append(
        study / "facts.csv",
        "gamma/mixed,5555555555555555555555555555555555555555,train.py,,30,0,tracking-uri,"
        "postgresql://***:***@db/mlflow,mlflow.set_tracking_uri",
        *(
            f"gamma/mixed,5555555555555555555555555555555555555555,train.py,,{31 + i},0,"
            f"{fact},{value},mlflow.set_tracking_uri"
            for i, (fact, value) in enumerate(
                (fact, value)
                for value in SECRETS
                for fact in ("tracking-uri", "registry-uri", "model-uri", "artifact-path")
            )
        ),
    )
    append(
        study / "signals.csv",
        *(
            f"eta/projects-demo,8888888888888888888888888888888888888888,.env,{signal},{value}"
            for value in SECRETS
            for signal in ("tracking-uri", "registry-uri", "framework-requirement")
        ),
    )
    study_dir = Path(study)
    report = build_report(study_dir, static=False)
    exported = export_study(study_dir)
    written = [
        path for path in [*report.index.parent.rglob("*"), *exported.rglob("*")] if path.is_file()
    ]
    assert len(written) > 40
    leaks = [path.name for path in written if b"s3cr3t" in path.read_bytes()]
    assert leaks == []
    locations = pd.read_csv(exported / "locations.csv", dtype=str, keep_default_na=False)
    values = set(locations["value"])
    assert {
        "postgresql://***:***@db/mlflow",
        "postgresql://***:***@db.example.com/mlflow",
        "https://***:***@mlflow.example.com",
        "https://mlflow.example.com/?token=***",
        "mysql+pymysql://***:***@{…}/mlflow",
    } <= values
    classes = dict(zip(locations["value"], locations["location"], strict=False))
    assert classes["postgresql://***:***@db/mlflow"] == "remote-database"
    assert classes["https://***:***@mlflow.example.com"] == "server-remote"


# --- Model versioning in the registry --------------------------------------------------------


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        (
            "acme/churn-sklearn",
            dict(
                uses_registry=True,
                register_model=False,
                log_model_registration=True,
                client_registry=False,
                uses_stages=False,
                uses_aliases=False,
                model_uri_kinds="latest",
                n_model_names=1,
            ),
        ),
        (
            "beta/registry-client",
            dict(
                uses_registry=True,
                register_model=True,
                log_model_registration=False,
                client_registry=True,
                stage_transitions=1,
                alias_assignments=1,
                uses_stages=True,
                uses_aliases=True,
                stage_names="Production",
                alias_names="champion",
                model_uri_kinds="run;unknown",
                n_model_names=4,
            ),
        ),
        (
            "eta/projects-demo",
            dict(
                uses_registry=False,
                uses_stages=True,
                uses_aliases=False,
                model_uri_kinds="stage;version",
            ),
        ),
        (
            "gamma/mixed",
            dict(
                uses_registry=False, uses_stages=False, uses_aliases=True, model_uri_kinds="alias"
            ),
        ),
        ("beta/genai-agent", dict(uses_registry=False, model_uri_kinds="logged-model")),
        (
            "delta/broken-files",
            dict(
                uses_registry=False,
                uses_stages=False,
                uses_aliases=False,
                model_uri_kinds="",
                n_model_names=0,
            ),
        ),
    ],
)
def test_registry_use(agg: Aggregates, repo: str, expected: dict[str, object]) -> None:
    row = agg.registry_use.set_index("repo").loc[repo]
    assert {key: row[key] for key in expected} == expected


def test_registry_summary(agg: Aggregates) -> None:
    summary = agg.registry_summary.set_index("measure")
    assert summary["n_using"].to_dict() == {
        "uses-registry": 2,
        "register-model": 1,
        "log-model-registration": 1,
        "client-registry": 1,
        "stage-transitions": 1,
        "alias-assignments": 1,
        "stages": 2,
        "aliases": 2,
        "stages-only": 1,
        "aliases-only": 1,
        "stages-and-aliases": 1,
    }
    assert set(summary["n_analysed"]) == {8}


def test_every_model_uri_kind_occurs_once(agg: Aggregates) -> None:
    kinds = agg.model_uri_kinds.set_index("kind")
    assert list(kinds.index) == list(MODEL_URI_KINDS)
    assert set(kinds["n_uris"]) == {1}
    assert set(kinds["n_using"]) == {1}
    assert kinds["uri_share"].sum() == pytest.approx(1)
    assert len(agg.model_uris) == 7


def test_model_names(agg: Aggregates) -> None:
    names = agg.model_names.set_index("name")
    assert list(names.index) == [
        "ChurnClassifierV2",
        "bert-base-finetuned-20240115",
        "fraud_detector_1.0.3",
        "llama_7b_ft",
        "{…}_recommender",
    ]
    assert names.loc["fraud_detector_1.0.3", "sources"] == (
        "mlflow.MlflowClient.set_registered_model_alias;"
        "mlflow.MlflowClient.transition_model_version_stage;mlflow.register_model"
    )
    assert names.loc["ChurnClassifierV2", ["pattern", "version"]].tolist() == ["vX", "V2"]
    assert names.loc["llama_7b_ft", "token_kinds"] == "word;parameter-count;fine-tuned"
    assert not names.loc["{…}_recommender", "literal"]


@pytest.mark.parametrize(
    ("group", "name", "n_names", "reference"),
    [
        ("versioning", "semver", 2, 0.21),
        ("versioning", "no-semver", 2, 0.79),
        ("pattern", "vX", 1, math.nan),
        ("pattern", "X.Y.Z", 1, math.nan),
        ("pattern", "vX.Y", 0, math.nan),
        ("token", "fine-tuned", 2, math.nan),
        ("token", "date", 1, math.nan),
        ("token", "parameter-count", 1, math.nan),
        ("token", "size-label", 1, math.nan),
        ("token", "word", 4, math.nan),
    ],
)
def test_model_naming(
    agg: Aggregates, group: str, name: str, n_names: int, reference: float
) -> None:
    row = agg.model_naming.set_index(["group", "name"]).loc[(group, name)]
    assert (row["n_names"], row["n_total"]) == (n_names, 4)  # the partly literal name is out
    assert row["share"] == n_names / 4
    assert (math.isnan(row["reference"]) and math.isnan(reference)) or (
        row["reference"] == pytest.approx(reference)
    )


def test_every_token_kind_occurs(agg: Aggregates) -> None:
    assert set(agg.name_tokens["kind"]) == set(TOKEN_KINDS)
    assert "recommender" not in set(agg.name_tokens["token"])


# --- Tables, charts, report ------------------------------------------------------------------


def test_findings_tables_are_documented(agg: Aggregates) -> None:
    tables = agg.tables()
    for name, table in study_tables("findings").items():
        assert list(tables[name].columns) == list(table.names), name


def test_findings_are_deterministic(agg: Aggregates) -> None:
    again = aggregate(load_study(STUDY))
    for name in study_tables("findings"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(agg, name))


def test_charts_of_an_empty_study_build(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    (study / "facts.csv").unlink()
    (study / "calls.csv").write_text(
        "repo,commit,path,cell,line,column,api,dimension,keys\n", encoding="utf-8"
    )
    (study / "signals.csv").write_text("repo,commit,path,signal,value\n", encoding="utf-8")
    charts = findings_charts(aggregate(load_study(study)))
    assert [chart.name for chart in charts] == [
        "traceability",
        "traceability-distribution",
        "traceability-combinations",
        "locations",
        "registry-lifecycle",
        "model-uris",
        "model-naming",
    ]


def test_report_states_the_findings(tmp_path: Path) -> None:
    page = build_report(copy_study(tmp_path), static=False).index.read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    for section in ("traceability", "locations", "registry"):
        assert f'<section id="{section}">' in page
    assert "5 of 8 analysed repositories (62.5%) set a tracking or registry location" in text
    assert "2 (25.0%) call MLflow but set none" in text
    assert (
        f"0 of 8 analysed repositories (0.0%, 95% CI 0.0{EN}32.4%; population analysed, n = 8) "
        "are fully traceable"
    ) in text
    assert "Missing most often: input data (in 6 of 8)" in text
    assert (
        f"Of the 4 literal registered model names, 2 (50.0%, 95% CI 15.0{EN}85.0%) follow no "
        "semantic versioning, against 79.0% of the models in the Hugging Face naming "
        "study."
    ) in text
    assert "This study has no facts.csv" not in page
