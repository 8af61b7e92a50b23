"""Where runs are stored: `classify_location` and `config_source`, by table; that
redaction keeps a location's class (redaction itself: test_uris.py)."""

from __future__ import annotations

import pytest

from analyzers.study.locations import LOCATION_CLASSES, classify_location, config_source, redact_uri


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # local file store: MLflow reads any scheme-less value as a path
        ("mlruns", "local-file"),
        ("./mlruns", "local-file"),
        ("../experiments/mlruns", "local-file"),
        ("/data/mlruns", "local-file"),
        ("~/mlruns", "local-file"),
        ("C:\\Users\\me\\mlruns", "local-file"),  # a drive letter is no scheme
        ("file:./mlruns", "local-file"),
        ("file:///tmp/mlruns", "local-file"),
        ("FILE:/tmp/mlruns", "local-file"),
        ("{…}/mlruns", "local-file"),  # f"{root}/mlruns": a path, whatever the root
        # databases
        ("sqlite:///mlflow.db", "local-database"),
        ("sqlite:////abs/path/mlflow.db", "local-database"),
        ("postgresql://***:***@db:5432/mlflow", "remote-database"),
        ("postgresql+psycopg2://***:***@localhost/mlflow", "remote-database"),  # host not looked at
        ("postgres://db/mlflow", "remote-database"),
        ("mysql+pymysql://***:***@{…}/mlflow", "remote-database"),
        ("mssql+pyodbc://***:***@dsn", "remote-database"),
        ("oracle://db:1521/mlflow", "remote-database"),
        # tracking servers on this machine
        ("http://localhost:5000", "server-localhost"),
        ("https://LOCALHOST", "server-localhost"),
        ("http://127.0.0.1:5000", "server-localhost"),
        ("http://127.1.2.3", "server-localhost"),
        ("http://0.0.0.0:8080/", "server-localhost"),
        ("http://[::1]:5000", "server-localhost"),
        ("http://host.docker.internal:5000", "server-localhost"),
        ("http://mlflow.localhost", "server-localhost"),
        ("http://localhost:{…}", "server-localhost"),  # only the port is not a literal
        ("uc:http://localhost:8080", "server-localhost"),  # open-source Unity Catalog
        # tracking servers elsewhere
        ("https://mlflow.example.com", "server-remote"),
        ("http://10.0.0.5:5000", "server-remote"),  # a private address is another machine
        ("http://mlflow:5000", "server-remote"),  # a docker-compose service name
        ("http://***:***@tracking.example.org/path?x=***", "server-remote"),
        ("http://127.0.0.1.example.com", "server-remote"),
        ("http://{…}:5000", "server-unknown-host"),
        ("https://{…}", "server-unknown-host"),
        ("http://${MLFLOW_HOST}:5000", "server-unknown-host"),
        ("http://mlflow.{…}.example.com", "server-unknown-host"),
        # Databricks
        ("databricks", "databricks"),
        ("databricks-uc", "databricks"),
        ("Databricks", "databricks"),
        ("databricks://my-profile", "databricks"),
        ("databricks-uc://profile:prefix", "databricks"),
        # not a literal: an environment variable or secret
        ("env:MLFLOW_TRACKING_URI", "environment"),
        ("${MLFLOW_TRACKING_URI}", "environment"),
        ("${MLFLOW_TRACKING_URI:-http://localhost:5000}", "environment"),
        ("${{ secrets.MLFLOW_TRACKING_URI }}", "environment"),
        ("$MLFLOW_TRACKING_URI", "environment"),
        ("%MLFLOW_TRACKING_URI%", "environment"),
        # unknown
        ("", "unknown"),
        ("   ", "unknown"),
        ("{…}", "unknown"),
        ("{…}{…}", "unknown"),
        ("localhost:5000", "unknown"),  # a scheme MLflow does not know
        ("s3://bucket/mlruns", "unknown"),
        ("mlflow-artifacts:/", "unknown"),
        ("http:localhost", "unknown"),
        ("http://", "unknown"),
        ("{…}://{…}", "unknown"),
    ],
)
def test_classify_location(value: str, expected: str) -> None:
    assert expected in LOCATION_CLASSES
    assert classify_location(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://user:s3cr3t@db/mlflow",
        "https://alice:s3cr3t@host/x",
        "https://host/x?password=s3cr3t",
        "https://s3cr3t@host",
        "mssql://a:s3cr3t@b@c/d",
    ],
)
def test_redaction_keeps_the_class(value: str) -> None:
    assert classify_location(redact_uri(value)) == classify_location(value)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        (".env", ".env"),
        ("deploy/.env.production", ".env"),
        ("config/prod.env", ".env"),
        ("docker-compose.yml", "docker-compose"),
        ("docker/docker-compose.dev.yaml", "docker-compose"),
        ("compose.yaml", "docker-compose"),
        (".github/workflows/train.yml", "github-workflow"),
        ("MLproject", "MLproject"),
        ("examples/MLproject", "MLproject"),
        ("settings.toml", "settings.toml"),
    ],
)
def test_config_source(path: str, source: str) -> None:
    assert config_source(path) == source
