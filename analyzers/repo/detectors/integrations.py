"""Configuration files that make a library log to MLflow for the repository: indirect uses
written to indirect.csv beside the ones the analyzer resolves in code.

* a LightningCLI or Hydra configuration naming an integration's class (`class_path:` or
  `_target_:` with a name of the catalog's `[integrations]`, or LightningCLI's bare class name);
* MLflow Project entry points with `parameters:` (`mlflow run` logs them as run parameters);
* kedro-mlflow's `mlflow.yml` (the plugin is also found as a requirement, by `requirements`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from analyzers.code.catalog import load_catalog
from analyzers.code.integrations import Integration
from analyzers.repo.detectors.base import (
    INDIRECT,
    Content,
    Detector,
    Example,
    Finding,
    indirect,
)
from analyzers.repo.detectors.documents import load_yaml

_CLASS_KEYS = ("class_path", "_target_")


@cache
def _bare_names() -> dict[str, Integration]:
    """Class names LightningCLI resolves without their module (`class_path: MLFlowLogger`):
    the last part of every unconditional integration's names."""
    catalog = load_catalog()
    found: dict[str, Integration] = {}
    for name, row in catalog.integrations.items():
        last = name.rpartition(".")[2]
        if not row.when and last[:1].isupper():
            found.setdefault(last, row)
    return found


def _named(value: str) -> Integration | None:
    row = load_catalog().integration(value)
    if row is not None and not row.when:
        return row
    return _bare_names().get(value) if "." not in value else None


def _class_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _CLASS_KEYS and isinstance(value, str):
                yield value.strip()
            else:
                yield from _class_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _class_names(item)


def configured_class(path: str, text: str | None) -> Iterator[Finding]:
    """A YAML configuration that instantiates an integration's class."""
    if text is None:
        return
    for name in _class_names(load_yaml(text)):
        row = _named(name)
        if row is not None:
            yield indirect(path, row.integration, ";".join(row.records))


def mlproject_parameters(path: str, text: str | None) -> Iterator[Finding]:
    """An MLflow Project whose entry points declare parameters: `mlflow run` logs them."""
    document = load_yaml(text) if text is not None else None
    points = document.get("entry_points") if isinstance(document, dict) else None
    if isinstance(points, dict) and any(
        isinstance(point, dict) and point.get("parameters") for point in points.values()
    ):
        yield indirect(path, "mlproject", "params")


def kedro_mlflow(path: str, text: str | None) -> Iterator[Finding]:
    """kedro-mlflow's configuration (`conf/<env>/mlflow.yml`)."""
    yield indirect(path, "kedro-mlflow", "params")


IN = INDIRECT
_LOGGER = "trainer:\n  logger:\n    class_path: lightning.pytorch.loggers.MLFlowLogger\n"

DETECTORS: tuple[Detector, ...] = (
    Detector(
        "D26",
        (
            "conf/*.yaml",
            "conf/*.yml",
            "configs/*.yaml",
            "configs/*.yml",
            "config/*.yaml",
            "config/*.yml",
            "config*.yaml",
            "config*.yml",
        ),
        configured_class,
        "LightningCLI and Hydra configurations that instantiate a class of the catalog's "
        "[integrations] (class_path:, _target_:), e.g. Lightning's MLFlowLogger.",
        finds=(
            Example("configs/trainer.yaml", _LOGGER, ((IN, "lightning", "params;metrics"),)),
            Example(
                "configs/logger/mlflow.yaml",
                "mlflow:\n  _target_: lightning.pytorch.loggers.mlflow.MLFlowLogger\n",
                ((IN, "lightning", "params;metrics"),),
            ),
            Example(
                "config.yaml",
                "trainer:\n  logger:\n    - class_path: MLFlowLogger\n",
                ((IN, "lightning", "params;metrics"),),
            ),
        ),
        ignores=(
            Example(
                "configs/logger/tb.yaml",
                "tb:\n  _target_: lightning.pytorch.loggers.TensorBoardLogger\n",
            ),
            Example("configs/args.yaml", "class_path: transformers.TrainingArguments\n"),
            Example("docs/trainer.md", _LOGGER),
        ),
    ),
    Detector(
        "D27",
        ("[Mm][Ll][Pp][Rr][Oo][Jj][Ee][Cc][Tt]",),
        mlproject_parameters,
        "MLflow Project entry points with parameters, which `mlflow run` logs as run parameters.",
        finds=(
            Example(
                "MLproject",
                "name: churn\nentry_points:\n  main:\n    parameters:\n      alpha: float\n"
                "    command: python train.py {alpha}\n",
                ((IN, "mlproject", "params"),),
            ),
        ),
        ignores=(
            Example(
                "MLproject",
                "name: churn\nentry_points:\n  main:\n    command: python train.py\n",
            ),
        ),
    ),
    Detector(
        "D28",
        ("conf/*/mlflow.yml", "conf/*/mlflow.yaml"),
        kedro_mlflow,
        "kedro-mlflow's configuration: the plugin logs the pipeline's parameters.",
        finds=(
            Example(
                "conf/local/mlflow.yml",
                "server:\n  mlflow_tracking_uri: mlruns\n",
                ((IN, "kedro-mlflow", "params"),),
            ),
        ),
        ignores=(Example("conf/base/catalog.yml", "companies:\n  type: pandas.CSVDataset\n"),),
        content=Content.NAME,
    ),
)
