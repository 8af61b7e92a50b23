"""`redact_uri`: credentials in tracking and registry URIs become ***, nothing else does."""

from __future__ import annotations

import pytest

from analyzers.code.uris import redact_uri


@pytest.mark.parametrize(
    ("uri", "stored"),
    [
        ("postgresql://user:s3cr3t@db/mlflow", "postgresql://***:***@db/mlflow"),
        ("postgresql://***:***@db/mlflow", "postgresql://***:***@db/mlflow"),
        ("mysql+pymysql://root:pa:ss@db:3306/mlflow", "mysql+pymysql://***:***@db:3306/mlflow"),
        ("postgresql://u:pa/ss@w0rd@db/m", "postgresql://***:***@db/m"),  # unescaped / and @
        ("https://token@mlflow.example.com", "https://***@mlflow.example.com"),
        ("https://:s3cr3t@host", "https://:***@host"),
        ("https://host/api?token=abc&x=1", "https://host/api?token=***&x=***"),
        ("https://host/?key=abc;sig=def", "https://host/?key=***;sig=***"),
        ("https://host/?abcdef", "https://host/?***"),
        ("https://host/?empty=", "https://host/?empty="),
        ("https://host/path#access_token=abc", "https://host/path#access_token=***"),
        ("https://u:p@host:443/x?token=t#frag=f", "https://***:***@host:443/x?token=***#frag=***"),
        ("uc:http://user:pw@localhost:8080", "uc:http://***:***@localhost:8080"),
        ("sqlite:///mlflow.db?mode=ro", "sqlite:///mlflow.db?mode=***"),
        ("http://{…}:{…}@{…}:5000", "http://***:***@{…}:5000"),
        ("postgresql://user:s3cr3t@db:5432/mlflow", "postgresql://***:***@db:5432/mlflow"),
        ("mysql+pymysql://root:pw@localhost/mlflow", "mysql+pymysql://***:***@localhost/mlflow"),
        (
            "https://mlflow.example.com/?token=abc&x=1",
            "https://mlflow.example.com/?token=***&x=***",
        ),
        ("http://u:p@h/?k=v", "http://***:***@h/?k=***"),
        # nothing to redact
        ("http://localhost:5000", "http://localhost:5000"),
        ("http://{…}:5000", "http://{…}:5000"),
        ("./mlruns", "./mlruns"),
        ("env:MLFLOW_TRACKING_URI", "env:MLFLOW_TRACKING_URI"),
        ("databricks", "databricks"),
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
        ("databricks://profile", "databricks://profile"),
        ("models:/churn@champion", "models:/churn@champion"),  # an alias is no user
        ("runs:/abc/model", "runs:/abc/model"),
        ("", ""),
    ],
)
def test_redact_uri(uri: str, stored: str) -> None:
    assert redact_uri(uri) == stored
    assert redact_uri(stored) == stored  # idempotent
    assert "s3cr3t" not in redact_uri(uri)
