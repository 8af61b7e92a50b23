"""Tracking URIs read from configuration files by key: the index of a checkout's configuration
values, the lookup of a reference, and the scan that writes the value and where it came from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analyzers.records import Fact, RepoRef
from analyzers.repo.configvalues import ConfigIndex, file_values, reference_keys, resolve_facts
from analyzers.repo.outputs import write_scan
from analyzers.repo.scanner import ScanSettings, scan_repos


@pytest.mark.parametrize(
    ("path", "text", "found"),
    [
        (
            "conf/config.yaml",
            "mlflow:\n  tracking_uri: http://tracker:5000\n  port: 5000\n",
            [(("mlflow", "tracking_uri"), "http://tracker:5000", 2)],
        ),
        (
            "conf/config.yaml",
            "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_TRACKING_URI}\n",
            [(("mlflow", "tracking_uri"), "env:MLFLOW_TRACKING_URI", 2)],
        ),
        (
            "conf/config.yaml",
            "mlflow:\n  tracking_uri: ${oc.env:MLFLOW_URI,'file:./mlruns'}\n",
            [(("mlflow", "tracking_uri"), "file:./mlruns", 2)],
        ),
        (
            "settings.toml",
            '[mlflow]\ntracking_uri = "sqlite:///mlflow.db"\nenabled = true\n',
            [(("mlflow", "tracking_uri"), "sqlite:///mlflow.db", 2)],
        ),
        (
            "config.json",
            '{"tracking_server_1": {"host": "http://a:5000", "model": "churn"}}',
            [
                (("tracking_server_1", "host"), "http://a:5000", None),
                (("tracking_server_1", "model"), "churn", None),
            ],
        ),
        (
            ".env",
            "# local\nexport MLFLOW_TRACKING_URI='http://localhost:5000'\n",
            [
                (("mlflow_tracking_uri",), "http://localhost:5000", 2),
            ],
        ),
        (
            "setup.cfg",
            "[mlflow]\ntracking_uri = databricks\n",
            [
                (("mlflow", "tracking_uri"), "databricks", 2),
            ],
        ),
        ("broken.yaml", "mlflow: [unclosed\n", []),
    ],
)
def test_file_values(path: str, text: str, found: list[tuple[object, ...]]) -> None:
    got = [(v.keys, v.value, v.line) for v in file_values(path, text)]
    assert got == found


def test_reference_keys_drop_self() -> None:
    assert reference_keys("self.config.MLflow.tracking_uri") == ("config", "mlflow", "tracking_uri")


def checkout(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("reference", "value"),
    [
        ("self.config.mlflow.tracking_uri", "http://tracker:5000"),  # two keys in common
        ("cfg.server.mlflow_tracking_uri", "http://kedro:5000"),
        ("tracking_uri", "http://tracker:5000"),  # a parameter: one key, a location's value
        ("settings.mlflow_tracking_uri", "http://kedro:5000"),
        ("experiment.name", "churn"),  # two keys in common: whatever the value
        ("run.name", None),  # one key in common, and not a location
        ("nothing.here", None),
    ],
)
def test_lookup(tmp_path: Path, reference: str, value: str | None) -> None:
    root = checkout(
        tmp_path,
        {
            "conf/base/config.yaml": "mlflow:\n  tracking_uri: http://tracker:5000\n"
            "experiment:\n  name: churn\n",
            "conf/local/mlflow.yml": "server:\n  mlflow_tracking_uri: http://kedro:5000\n",
            "node_modules/x/config.yaml": "mlflow:\n  tracking_uri: http://vendored\n",
        },
    )
    found = ConfigIndex(str(root)).lookup(reference)
    assert (found.value if found else None) == value


def test_resolve_facts_keeps_literals_and_fills_references(tmp_path: Path) -> None:
    root = checkout(tmp_path, {"config.yaml": "mlflow:\n  tracking_uri: http://tracker:5000\n"})
    facts = (
        Fact(
            3, 0, "tracking-uri", "", "mlflow.set_tracking_uri", reference="cfg.mlflow.tracking_uri"
        ),
        Fact(4, 0, "tracking-uri", "sqlite:///a.db", "mlflow.set_tracking_uri"),
        Fact(5, 0, "registered-model-name", "", "mlflow.register_model", reference="cfg.name"),
    )
    resolved = resolve_facts(facts, ConfigIndex(str(root)), "train.py")
    assert [(f.value, f.source_path, f.source_line) for f in resolved] == [
        ("http://tracker:5000", "config.yaml", 2),
        ("sqlite:///a.db", "train.py", 4),
        ("", "train.py", 5),  # only locations are looked up
    ]


def test_the_scan_writes_the_configured_value_and_its_origin(tmp_path: Path) -> None:
    """A Hydra-style script reads its tracking URI from conf/config.yaml by key; another from
    an environment variable with a default; a third from a settings class's default."""
    root = checkout(
        tmp_path / "repo",
        {
            "conf/config.yaml": "mlflow:\n  experiment: churn\n  tracking_uri: http://tracker:5000\n",
            "train.py": "import hydra\nimport mlflow\n\n"
            "@hydra.main(config_path='conf', config_name='config')\n"
            "def main(cfg):\n    mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)\n",
            "serve.py": "import os\nimport mlflow\n\n"
            "mlflow.set_tracking_uri(os.getenv('MLFLOW_TRACKING_URI', 'sqlite:///mlflow.db'))\n",
            "settings.py": "import mlflow\nfrom pydantic_settings import BaseSettings\n\n"
            "class Settings(BaseSettings):\n    tracking_uri: str = 'http://localhost:5000'\n\n"
            "mlflow.set_tracking_uri(Settings().tracking_uri)\n",
        },
    )
    out = tmp_path / "out"
    write_scan(scan_repos([RepoRef(str(root), "o/r")], ScanSettings(jobs=1, use_cache=False)), out)
    with open(out / "facts.csv", encoding="utf-8", newline="") as handle:
        rows = {r["path"]: r for r in csv.DictReader(handle) if r["fact"] == "tracking-uri"}
    assert (rows["train.py"]["value"], rows["train.py"]["source_path"]) == (
        "http://tracker:5000",
        "conf/config.yaml",
    )
    assert rows["train.py"]["source_line"] == "3"
    assert (rows["serve.py"]["value"], rows["serve.py"]["source_path"]) == (
        "sqlite:///mlflow.db",
        "serve.py",
    )
    assert rows["settings.py"]["value"] == "http://localhost:5000"
