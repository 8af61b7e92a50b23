"""Facts read beside the calls: each snippet with the exact (line, fact, value, source) set."""

from __future__ import annotations

import textwrap

import pytest

from analyzers.code.analyze import analyze_bytes
from analyzers.records import FileKind

SET_URI = "mlflow.set_tracking_uri"
ENV = "os.environ"

CASES: list[tuple[str, str, set[tuple[int, str, str, str]]]] = [
    (
        "literal-server",
        """
        import mlflow
        mlflow.set_tracking_uri("http://localhost:5000")
        """,
        {(2, "tracking-uri", "http://localhost:5000", SET_URI)},
    ),
    (
        "module-constant",
        """
        import mlflow
        TRACKING = "sqlite:///mlflow.db"
        def main():
            mlflow.set_tracking_uri(TRACKING)
        """,
        {(4, "tracking-uri", "sqlite:///mlflow.db", SET_URI)},
    ),
    (
        "f-string-with-literal-parts",
        """
        import mlflow
        HOST = "mlflow.internal"
        mlflow.set_tracking_uri(f"http://{HOST}:{port}")
        """,
        {(3, "tracking-uri", "http://mlflow.internal:{…}", SET_URI)},
    ),
    (
        "f-string-with-environment-host",
        """
        import os, mlflow
        mlflow.set_tracking_uri(f"http://{os.environ['MLFLOW_HOST']}:5000")
        """,
        {(2, "tracking-uri", "http://{…}:5000", SET_URI)},
    ),
    (
        "concatenation",
        """
        import mlflow
        mlflow.set_tracking_uri("http://" + host + ":5000")
        """,
        {(2, "tracking-uri", "http://{…}:5000", SET_URI)},
    ),
    (
        "environment-read",
        """
        import os, mlflow
        mlflow.set_tracking_uri(os.environ["MLFLOW_URI"])
        mlflow.set_registry_uri(os.getenv("REGISTRY", "sqlite:///r.db"))
        """,
        {
            (2, "tracking-uri", "env:MLFLOW_URI", SET_URI),
            # the default is what runs when the variable is unset: the repository holds it
            (3, "registry-uri", "sqlite:///r.db", "mlflow.set_registry_uri"),
        },
    ),
    (
        "not-a-literal",
        """
        import mlflow
        mlflow.set_tracking_uri(config.uri)
        """,
        {(2, "tracking-uri", "", SET_URI)},
    ),
    (
        "password-redacted",
        """
        import mlflow
        mlflow.set_tracking_uri("postgresql://admin:s3cr3t@db:5432/mlflow")
        """,
        {(2, "tracking-uri", "postgresql://***:***@db:5432/mlflow", SET_URI)},
    ),
    (
        "query-token-redacted",
        """
        import mlflow
        mlflow.set_tracking_uri("https://mlflow.example.com?token=abc123")
        """,
        {(2, "tracking-uri", "https://mlflow.example.com?token=***", SET_URI)},
    ),
    (
        "client-keywords",
        """
        from mlflow import MlflowClient
        client = MlflowClient(tracking_uri="databricks", registry_uri="databricks-uc")
        """,
        {
            (2, "tracking-uri", "databricks", "mlflow.MlflowClient"),
            (2, "registry-uri", "databricks-uc", "mlflow.MlflowClient"),
        },
    ),
    (
        "client-without-uri",
        """
        from mlflow import MlflowClient
        MlflowClient()
        """,
        set(),
    ),
    (
        "environ-assignment-without-mlflow-import",
        """
        import os
        os.environ["MLFLOW_TRACKING_URI"] = "file:./mlruns"
        """,
        {(2, "tracking-uri", "file:./mlruns", ENV)},
    ),
    (
        "environ-setdefault-and-putenv",
        """
        import os
        os.environ.setdefault("MLFLOW_TRACKING_URI", "http://127.0.0.1:8080")
        os.putenv("MLFLOW_REGISTRY_URI", "sqlite:///reg.db")
        """,
        {
            (2, "tracking-uri", "http://127.0.0.1:8080", ENV),
            (3, "registry-uri", "sqlite:///reg.db", ENV),
        },
    ),
    (
        "environ-update",
        """
        import os
        os.environ.update({"MLFLOW_TRACKING_URI": "http://x:5000", "OTHER": "1"})
        """,
        {(2, "tracking-uri", "http://x:5000", ENV)},
    ),
    (
        "other-environment-variables-are-not-facts",
        """
        import os, mlflow
        os.environ["MLFLOW_EXPERIMENT_NAME"] = "exp"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "never-read"
        """,
        set(),
    ),
    (
        "register-model-name",
        """
        import mlflow
        mlflow.register_model("runs:/abc/model", "churn-classifier")
        """,
        {
            (2, "registered-model-name", "churn-classifier", "mlflow.register_model"),
            (2, "model-uri", "runs:/abc/model", "string-literal"),
        },
    ),
    (
        "log-model-registered-name-and-environment",
        """
        import mlflow.sklearn
        mlflow.sklearn.log_model(m, "model", registered_model_name="rf-v1.2",
                                 pip_requirements=["scikit-learn==1.4"])
        """,
        {
            (2, "registered-model-name", "rf-v1.2", "mlflow.sklearn.log_model"),
            (2, "log-model-environment", "pip_requirements", "mlflow.sklearn.log_model"),
        },
    ),
    (
        "save-model-conda-env",
        """
        import mlflow.pyfunc
        mlflow.pyfunc.save_model("out", python_model=m, conda_env="conda.yaml")
        """,
        {(2, "log-model-environment", "conda_env", "mlflow.pyfunc.save_model")},
    ),
    (
        "stage-transition",
        """
        from mlflow import MlflowClient
        c = MlflowClient()
        c.transition_model_version_stage("churn", "3", "Production")
        """,
        {
            (
                3,
                "registered-model-name",
                "churn",
                "mlflow.MlflowClient.transition_model_version_stage",
            ),
            (3, "model-stage", "Production", "mlflow.MlflowClient.transition_model_version_stage"),
        },
    ),
    (
        "alias",
        """
        from mlflow import MlflowClient
        MlflowClient().set_registered_model_alias(name="churn", alias="champion", version=3)
        """,
        {
            (2, "registered-model-name", "churn", "mlflow.MlflowClient.set_registered_model_alias"),
            (2, "model-alias", "champion", "mlflow.MlflowClient.set_registered_model_alias"),
        },
    ),
    (
        "model-uri-literals",
        """
        import mlflow
        a = mlflow.pyfunc.load_model("models:/churn@champion")
        b = f"models:/{name}/Production"
        c = "models:/" "churn/3"
        d = "not a models:/ uri"
        """,
        {
            (2, "model-uri", "models:/churn@champion", "string-literal"),
            (3, "model-uri", "models:/{…}/Production", "string-literal"),
            (4, "model-uri", "models:/churn/3", "string-literal"),
        },
    ),
    (
        "model-uri-spellings",
        """
        import mlflow
        PREFIX = "runs:/"
        a = f"{PREFIX}abc/model"
        b = r'runs:/def/model' + suffix
        c = "\\x6dodels:/escaped/1"
        d = ""
        """,
        {
            (2, "model-uri", "runs:/", "string-literal"),
            (3, "model-uri", "runs:/abc/model", "string-literal"),
            (4, "model-uri", "runs:/def/model", "string-literal"),
            (5, "model-uri", "models:/escaped/1", "string-literal"),
        },
    ),
    (
        "artifact-paths",
        """
        import mlflow
        mlflow.log_artifact("src/train.py")
        mlflow.log_artifacts("data", artifact_path="inputs")
        mlflow.log_artifact(local_path=figure_path)
        """,
        {
            (2, "artifact-path", "src/train.py", "mlflow.log_artifact"),
            (3, "artifact-path", "data", "mlflow.log_artifacts"),
            (4, "artifact-path", "", "mlflow.log_artifact"),
        },
    ),
    (
        "not-mlflow-set-tracking-uri",
        """
        import mlflow
        from mytracker import set_tracking_uri
        set_tracking_uri("http://never")
        """,
        set(),
    ),
    (
        "shadowed-constant",
        """
        import mlflow
        URI = "http://first"
        URI = compute()
        mlflow.set_tracking_uri(URI)
        """,
        {(4, "tracking-uri", "", SET_URI)},
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [(s, e) for _, s, e in CASES], ids=[case[0] for case in CASES]
)
def test_facts(source: str, expected: set[tuple[int, str, str, str]]) -> None:
    code = textwrap.dedent(source).lstrip("\n")
    facts = analyze_bytes(code.encode(), FileKind.SCRIPT).facts
    assert {(f.line, f.fact, f.value, f.source) for f in facts} == expected


def test_table_size() -> None:
    assert len(CASES) >= 20


def test_no_password_survives_anywhere_in_the_scan(tmp_path) -> None:
    from analyzers.repo.outputs import write_scan
    from analyzers.repo.scanner import ScanSettings, scan

    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "train.py").write_text(
        'import mlflow, os\nmlflow.set_tracking_uri("postgresql://u:s3cr3t@db/m")\n'
        'os.environ["MLFLOW_TRACKING_URI"] = "https://tok:s3cr3t@h"\n'
    )
    write_scan(
        scan(tmp_path / "r", settings=ScanSettings(jobs=0, use_cache=False)), tmp_path / "out"
    )
    for output in (tmp_path / "out").iterdir():
        assert "s3cr3t" not in output.read_text(), output.name
