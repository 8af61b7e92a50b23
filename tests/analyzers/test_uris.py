from __future__ import annotations

import pytest

from analyzers.uris import redact_uri


@pytest.mark.parametrize(("uri", "stored"), [
    ("postgresql://user:s3cr3t@db:5432/mlflow", "postgresql://***:***@db:5432/mlflow"),
    ("mysql+pymysql://root:pw@localhost/mlflow", "mysql+pymysql://***:***@localhost/mlflow"),
    ("https://token@mlflow.example.com", "https://***@mlflow.example.com"),
    ("https://mlflow.example.com/?token=abc&x=1", "https://mlflow.example.com/?token=***&x=***"),
    ("http://u:p@h/?k=v", "http://***:***@h/?k=***"),
    ("http://localhost:5000", "http://localhost:5000"),
    ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
    ("databricks", "databricks"),
    ("databricks://profile", "databricks://profile"),
    ("./mlruns", "./mlruns"),
    ("env:MLFLOW_TRACKING_URI", "env:MLFLOW_TRACKING_URI"),
    ("http://{…}:5000", "http://{…}:5000"),
    ("", ""),
])
def test_redact_uri(uri: str, stored: str) -> None:
    assert redact_uri(uri) == stored
    assert redact_uri(stored) == stored  # idempotent
