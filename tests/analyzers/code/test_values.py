"""Tracking URIs followed to the value the code holds, or to what it reads them from: defaults of
environment reads, `.get` and `getattr`, settings classes, paths, functions, parameters and
command-line options; and the reference kept for the scan's configuration lookup."""

from __future__ import annotations

import textwrap

import pytest

from analyzers.code.analyze import analyze_bytes
from analyzers.records import FileKind


def uri(source: str) -> tuple[str, str]:
    """(value, reference) of the one tracking-uri fact of `source`."""
    facts = analyze_bytes(textwrap.dedent(source).encode(), FileKind.SCRIPT).facts
    (fact,) = [f for f in facts if f.fact == "tracking-uri"]
    return fact.value, fact.reference


@pytest.mark.parametrize(
    ("source", "value", "reference"),
    [
        pytest.param(
            """
            import os, mlflow
            mlflow.set_tracking_uri(os.getenv("MLFLOW_TRACKING_URI", "http://localhost:5000"))
            """,
            "http://localhost:5000",
            "",
            id="getenv-default",
        ),
        pytest.param(
            """
            import os, mlflow
            mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI"))
            """,
            "env:MLFLOW_TRACKING_URI",
            "",
            id="environment-without-default",
        ),
        pytest.param(
            """
            import os, mlflow
            mlflow.set_tracking_uri(os.getenv("URI") or "sqlite:///mlflow.db")
            """,
            "sqlite:///mlflow.db",
            "",
            id="or-default",
        ),
        pytest.param(
            """
            import mlflow
            uri = config.get("mlflow", {}).get("tracking_uri", "file:./mlruns")
            mlflow.set_tracking_uri(uri)
            """,
            "file:./mlruns",
            "config.mlflow.tracking_uri",
            id="get-default-and-reference",
        ),
        pytest.param(
            """
            import mlflow
            mlflow.set_tracking_uri(getattr(cfg, "tracking_uri", "./mlruns"))
            """,
            "./mlruns",
            "cfg.tracking_uri",
            id="getattr-default",
        ),
        pytest.param(
            """
            import mlflow
            cfg = load()["tracking_server"]
            client = mlflow.MlflowClient(cfg["host"])
            """,
            "",
            "load().tracking_server.host",
            id="subscript-reference",
        ),
        pytest.param(
            """
            import mlflow
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                mlflow_tracking_uri: str = "http://tracker:5000"

            mlflow.set_tracking_uri(Settings().mlflow_tracking_uri)
            """,
            "http://tracker:5000",
            "",
            id="settings-class-default",
        ),
        pytest.param(
            """
            import mlflow
            from dataclasses import dataclass

            @dataclass
            class Service:
                tracking_uri: str = "./mlruns"

                def start(self):
                    mlflow.set_tracking_uri(self.tracking_uri)
            """,
            "./mlruns",
            "",
            id="dataclass-self-default",
        ),
        pytest.param(
            """
            import mlflow
            from pathlib import Path
            ROOT = Path(__file__).resolve().parent
            mlflow.set_tracking_uri(str(ROOT / "mlruns"))
            """,
            "{…}/mlruns",
            "",
            id="path",
        ),
        pytest.param(
            """
            import mlflow
            def tracking_uri(name):
                return f"sqlite:///{name}.db"
            def serve(profile):
                mlflow.set_tracking_uri(tracking_uri(profile.db))
            """,
            "sqlite:///{…}.db",
            "",
            id="function-returning-a-location",
        ),
        pytest.param(
            """
            import mlflow
            def setup(uri):
                mlflow.set_tracking_uri(uri)
            setup("http://tracker:5000")
            """,
            "http://tracker:5000",
            "",
            id="parameter-given-by-the-caller",
        ),
        pytest.param(
            """
            import argparse, mlflow
            def main():
                args = parse()
                mlflow.set_tracking_uri(args.tracking_uri)
            def parse():
                parser = argparse.ArgumentParser()
                parser.add_argument("--tracking-uri", default="http://localhost:5000")
                return parser.parse_args()
            """,
            "http://localhost:5000",
            "parse().tracking_uri",
            id="argparse-default",
        ),
        pytest.param(
            """
            import mlflow
            def main(tracking_uri):
                mlflow.set_tracking_uri(tracking_uri)
            """,
            "",
            "tracking_uri",
            id="parameter-nobody-gives",
        ),
    ],
)
def test_the_value_or_its_reference(source: str, value: str, reference: str) -> None:
    assert uri(source) == (value, reference)


def test_a_reference_never_hides_an_import() -> None:
    source = """
    try:
        import mlflow
    except ImportError:
        mlflow = None
    mlflow.log_param("a", 1)
    """
    calls = analyze_bytes(textwrap.dedent(source).encode(), FileKind.SCRIPT).calls
    assert [call.api for call in calls] == ["mlflow.log_param"]
