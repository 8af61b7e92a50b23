"""The study's codebook: what each measure, population, aspect and practice means, written once.

Every table, chart, report section and column description that names a measure takes its
definition from here; where a measure is a set of MLflow APIs, the definition is the
description of that catalog group (`analyzers/code/catalog.toml`, `[groups]`), so the catalog
stays the one place that names MLflow APIs. The traceability codebook (`TRACEABILITY`) is data:
each aspect's inclusion and exclusion rules carry example repositories, from which
tests/analyzers/study/test_traceability.py makes one test each (the files are scanned by the
real analyzer and detectors, then judged). Shared by the schema and the study; importing it
loads the catalog. Long by design: most of its lines are the codebook's text and examples,
which a researcher reads in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from analyzers import schema
from analyzers.code.catalog import load_catalog


def _defined_by(group: str) -> str:
    """The definition of a measure that is a catalog group: the group's description."""
    return load_catalog().group(group).description


ANALYZED = "analyzed"
PARTIAL = "partial"  # analysed, but some files could not be fetched or read (files.csv says which)
ANALYSED_STATUSES = (ANALYZED, PARTIAL)


NOT_ATTEMPTED = "not-attempted"


KINDS = ("any", "script", "notebook")


# Adoption by creation year: a year's point is drawn (and its share quoted) only from this many
# analysed repositories created that year (`--min-n`).
MIN_N_PER_YEAR = 10


# The one registry measure: the model registry of versioned models (not webhooks, MCP servers or
# skills, which the catalog's registry dimension also holds).
USES_REGISTRY = (
    "registers or manages versioned models: a call of the catalog group model-registry ("
    + _defined_by("model-registry")
    + ") or registered_model_name= given to a log_model"
)


# Where runs are stored: the location class of a value the repository does not contain.
UNRESOLVED_LOCATION = "unknown"


# The seed study's question (which repositories log parameters or metrics, turn on autologging,
# point MLflow at a tracking server), with registry use and how often the storage stays unknown.
# Each is computed for every population (analyzers/study/populations.py).
HEADLINE: dict[str, str] = {
    "log-params": _defined_by("log-params"),
    "log-metrics": _defined_by("log-metrics"),
    "autolog": _defined_by("autolog"),
    "any-logging": "any of log-params, log-metrics, autolog (direct MLflow calls only)",
    "any-logging-incl-indirect": "any-logging, or an integration that logs parameters or "
    "metrics to MLflow on the repository's behalf (indirect.csv: Lightning's MLFlowLogger, "
    "report_to=mlflow, Optuna's MLflowCallback, MLproject parameters, kedro-mlflow, ...)",
    "set-tracking-uri": _defined_by("set-tracking-uri"),
    "uses-registry": USES_REGISTRY,
    "location-unresolved": "sets a tracking or registry location, and the repository holds none "
    f"of the values it sets (every location of the repository is of class {UNRESOLVED_LOCATION} "
    "in locations.csv: a run-time argument, a value computed outside it), so where its runs "
    "are stored cannot be told",
}


REQUIREMENT_LEVELS = ("pinned", "constrained", "unpinned", "none")


ANY_LOCATION = "any-location"


# --------------------------------------------------------------------------- traceability


@dataclass(frozen=True, slots=True)
class Case:
    """A tiny repository (path, content) and whether it records the aspect."""

    files: tuple[tuple[str, str], ...]
    recorded: bool


@dataclass(frozen=True, slots=True)
class Rule:
    """One inclusion or exclusion rule of an aspect: an id the study cites as evidence, what it
    says, and example repositories."""

    id: str
    text: str
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Aspect:
    name: str  #: the column name in the traceability tables
    label: str
    question: str  #: what recording it means for a run
    includes: tuple[Rule, ...]
    excludes: tuple[Rule, ...]

    @property
    def definition(self) -> str:
        """The aspect in one line: its inclusion rules, then what does not count."""
        text = "; ".join(rule.text for rule in self.includes)
        return f"{text}. Not: " + "; ".join(rule.text for rule in self.excludes)


def _case(recorded: bool, files: Mapping[str, str]) -> Case:
    return Case(tuple(files.items()), recorded)


def yes(files: Mapping[str, str]) -> Case:
    return _case(True, files)


def no(files: Mapping[str, str]) -> Case:
    return _case(False, files)


def notebook(*cells: str) -> str:
    """A Jupyter notebook (nbformat 4) of Python code cells."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "outputs": [], "source": cell}
                for cell in cells
            ],
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def example_text(case: Case) -> str:
    """An example repository in one line: `path: content` per file, notebooks as their cells."""
    parts = []
    for path, content in case.files:
        if path.endswith(".ipynb"):
            cells = json.loads(content)["cells"]
            content = " | ".join(cell["source"] for cell in cells)
        parts.append(f"{path}: " + " ⏎ ".join(line for line in content.splitlines() if line))
    return "; ".join(parts)


_RUN = "import mlflow\n\nwith mlflow.start_run():\n    mlflow.log_param('lr', 0.1)\n"
_CLIENT = (
    "from mlflow import MlflowClient\n\nclient = MlflowClient()\nrun = client.create_run('1')\n"
)
_MLPROJECT = "name: churn\nentry_points:\n  main:\n    command: python train.py\n"
_MLPROJECT_PARAMETERS = (
    "name: churn\nentry_points:\n  main:\n    parameters:\n      alpha: float\n"
    "    command: python train.py --alpha {alpha}\n"
)
_LIGHTNING = (
    "from lightning.pytorch import Trainer\nfrom lightning.pytorch.loggers import MLFlowLogger\n\n"
    "trainer = Trainer(logger=MLFlowLogger(experiment_name='churn'))\n"
)

# The seed study's hypothesis: a run is traceable when its code version, parameters, environment
# and dependencies are recorded, plus its metrics and input data.
TRACEABILITY: tuple[Aspect, ...] = (
    Aspect(
        "code_version",
        "code version",
        "the run can be traced to the commit of the code that produced it",
        includes=(
            Rule(
                "git-run",
                "a run started from a .py script (the starts-run group: start_run, a fluent "
                "logging call, autolog, mlflow.run, mlflow.evaluate): the repository is a git "
                "checkout, and MLflow records the commit itself (mlflow.source.git.commit)",
                (yes({"train.py": _RUN}),),
            ),
            Rule(
                "mlproject",
                "an MLproject file: mlflow run records the project's commit",
                (yes({"MLproject": _MLPROJECT}),),
            ),
            Rule(
                "version-tag",
                "a tag set by hand that names the version: MLflow's git source tags or a key "
                "naming git, a commit or a revision",
                (yes({"log.py": _CLIENT + "client.set_tag(run.info.run_id, 'git_sha', sha)\n"}),),
            ),
            Rule(
                "source-artifact",
                "the source itself logged as an artifact (a .py or .ipynb file)",
                (yes({"nb.ipynb": notebook("import mlflow\nmlflow.log_artifact('train.py')")}),),
            ),
        ),
        excludes=(
            Rule(
                "notebook-run",
                "runs started only in notebooks: the kernel's main file is not in the "
                "repository, so MLflow records no commit",
                (
                    no(
                        {
                            "nb.ipynb": notebook(
                                "import mlflow",
                                "with mlflow.start_run():\n    mlflow.log_param('lr', 0.1)",
                            )
                        }
                    ),
                ),
            ),
            Rule(
                "client-run",
                "runs created only with MlflowClient.create_run: the client adds no context tags",
                (no({"log.py": _CLIENT + "client.log_param(run.info.run_id, 'lr', 0.1)\n"}),),
            ),
        ),
    ),
    Aspect(
        "parameters",
        "parameters",
        "the hyperparameters and configuration of the run are recorded as parameters",
        includes=(
            Rule(
                "params-call",
                "a call of the log-params group",
                (yes({"train.py": _RUN}),),
            ),
            Rule(
                "params-autolog",
                "autolog, which records the estimator's or trainer's parameters",
                (yes({"train.py": "import mlflow\n\nmlflow.sklearn.autolog()\n"}),),
            ),
            Rule(
                "params-indirect",
                "an integration that logs parameters for the repository (indirect.csv records "
                "params: Lightning's MLFlowLogger, MLproject entry-point parameters, ...)",
                (
                    yes({"train.py": _LIGHTNING}),
                    yes({"MLproject": _MLPROJECT_PARAMETERS}),
                ),
            ),
        ),
        excludes=(
            Rule(
                "params-as-tags",
                "hyperparameters written as tags: a tag is not a parameter",
                (no({"train.py": "import mlflow\n\nmlflow.set_tag('lr', 0.1)\n"}),),
            ),
            Rule(
                "config-artifact",
                "a configuration file logged as an artifact: stored, but not as parameters",
                (no({"train.py": "import mlflow\n\nmlflow.log_artifact('config.yaml')\n"}),),
            ),
        ),
    ),
    Aspect(
        "metrics",
        "metrics",
        "the run's results are recorded as metrics",
        includes=(
            Rule(
                "metrics-call",
                "a call of the log-metrics group",
                (yes({"train.py": "import mlflow\n\nmlflow.log_metric('rmse', 0.3)\n"}),),
            ),
            Rule(
                "metrics-autolog",
                "autolog, which records the training metrics",
                (yes({"train.py": "import mlflow\n\nmlflow.autolog()\n"}),),
            ),
            Rule(
                "metrics-indirect",
                "an integration that logs metrics for the repository (indirect.csv records "
                "metrics: Lightning's MLFlowLogger, report_to=mlflow, ...)",
                (yes({"train.py": _LIGHTNING}),),
            ),
            Rule(
                "metrics-evaluate",
                "a call of the evaluate group, which logs the evaluation's metrics",
                (yes({"eval.py": "import mlflow\n\nmlflow.evaluate(uri, data, targets='y')\n"}),),
            ),
        ),
        excludes=(
            Rule(
                "metrics-file",
                "results written to a file and logged as an artifact",
                (
                    no(
                        {
                            "train.py": "import mlflow\n\nmlflow.log_artifact('results/scores.json')\n"
                        }
                    ),
                ),
            ),
        ),
    ),
    Aspect(
        "environment",
        "environment",
        "the software environment the run used can be rebuilt: pinned or exported",
        includes=(
            Rule(
                "lock-file",
                "a lock file (uv.lock, poetry.lock, Pipfile.lock, conda-lock)",
                (yes({"pyproject.toml": "[project]\nname = 'x'\n", "uv.lock": "version = 1\n"}),),
            ),
            Rule(
                "pinned-file",
                "a requirements, conda or python_env file that pins every requirement it "
                "lists to one version (conda env export writes such a file)",
                (
                    yes({"requirements.txt": "numpy==1.26.4\npandas==2.2.2\n"}),
                    yes(
                        {"environment.yml": "dependencies:\n  - python=3.10.13\n  - numpy=1.26.4\n"}
                    ),
                ),
            ),
            Rule(
                "mlproject-env",
                "an MLproject environment (conda_env, python_env, docker_env)",
                (yes({"MLproject": _MLPROJECT + "python_env: python_env.yaml\n"}),),
            ),
            Rule(
                "log-model-env",
                "conda_env, pip_requirements or extra_pip_requirements given to a log_model or "
                "save_model",
                (
                    yes(
                        {
                            "train.py": "import mlflow\n\nmlflow.sklearn.log_model(model, 'model', "
                            "pip_requirements=['scikit-learn==1.4.2'])\n"
                        }
                    ),
                ),
            ),
        ),
        excludes=(
            Rule(
                "unpinned-file",
                "a requirements or conda file with a requirement not pinned to one version",
                (no({"requirements.txt": "numpy\npandas>=2\n"}),),
            ),
            Rule(
                "package-metadata",
                "dependencies declared by pyproject.toml, setup.py or setup.cfg: what a package "
                "accepts, not the environment a run used",
                (
                    no(
                        {
                            "pyproject.toml": "[project]\nname = 'x'\ndependencies = ['numpy==1.26.4']\n"
                        }
                    ),
                ),
            ),
            Rule(
                "dockerfile",
                "a Dockerfile alone: it rebuilds whatever its base image and installs resolve to",
                (no({"Dockerfile": "FROM python:3.11\nRUN pip install mlflow\n"}),),
            ),
            Rule(
                "inferred-model-env",
                "a log_model with no environment given: MLflow infers the model's serving "
                "requirements, not the run's environment",
                (no({"train.py": "import mlflow\n\nmlflow.sklearn.log_model(model, 'model')\n"}),),
            ),
        ),
    ),
    Aspect(
        "dependencies",
        "dependencies",
        "the versions of MLflow and of the ML frameworks the run used are known",
        includes=(
            Rule(
                "pinned-frameworks",
                "mlflow pinned to one version (==), and every ML framework the repository "
                "declares pinned too (the strictest requirement per package wins)",
                (yes({"requirements.txt": "mlflow==2.16.2\nscikit-learn==1.4.2\n"}),),
            ),
            Rule(
                "locked-mlflow",
                "a lock file beside a declared mlflow requirement: the lock pins it and every "
                "framework",
                (
                    yes(
                        {
                            "pyproject.toml": "[project]\nname = 'x'\ndependencies = ['mlflow>=2']\n",
                            "poetry.lock": "[[package]]\nname = 'mlflow'\n",
                        }
                    ),
                ),
            ),
        ),
        excludes=(
            Rule(
                "unpinned-framework",
                "mlflow pinned but a declared framework not",
                (no({"requirements.txt": "mlflow==2.16.2\ntorch>=2\n"}),),
            ),
            Rule(
                "no-mlflow-requirement",
                "no mlflow requirement at all (mlflow preinstalled where the run happens)",
                (no({"requirements.txt": "scikit-learn==1.4.2\n"}),),
            ),
        ),
    ),
    Aspect(
        "input_data",
        "input data",
        "the data the run read is recorded or versioned",
        includes=(
            Rule(
                "log-input",
                "a call of the datasets dimension (log_input, mlflow.data)",
                (
                    yes(
                        {
                            "train.py": "import mlflow\n\nmlflow.log_input(dataset, context='training')\n"
                        }
                    ),
                ),
            ),
            Rule(
                "input-artifact",
                "a data file (.csv, .parquet, .json, ...) logged as an artifact, unless its name "
                "says it is an output (predictions, results, metrics, report, ...), or a "
                "directory named as an input (data, dataset, raw, train, test, ...)",
                (
                    yes({"train.py": "import mlflow\n\nmlflow.log_artifact('data/train.csv')\n"}),
                    yes({"train.py": "import mlflow\n\nmlflow.log_artifacts('data/raw')\n"}),
                ),
            ),
            Rule(
                "dvc-tracked",
                "data versioned by DVC: a .dvc file or a dvc.yaml/dvc.lock pipeline",
                (yes({"data/raw.csv.dvc": "outs:\n- md5: 1a2b\n  path: raw.csv\n"}),),
            ),
        ),
        excludes=(
            Rule(
                "output-artifact",
                "outputs logged as artifacts: predictions, results, metrics, reports, figures",
                (
                    no({"train.py": "import mlflow\n\nmlflow.log_artifact('predictions.csv')\n"}),
                    no({"train.py": "import mlflow\n\nmlflow.log_artifact('plots/roc.png')\n"}),
                ),
            ),
            Rule(
                "dvc-config-only",
                "a DVC repository with nothing tracked (.dvc/config alone)",
                (no({".dvc/config": "[core]\n    remote = storage\n"}),),
            ),
        ),
    ),
)
ASPECTS: dict[str, Aspect] = {aspect.name: aspect for aspect in TRACEABILITY}
ASPECT_LABELS: dict[str, str] = {aspect.name: aspect.label for aspect in TRACEABILITY}


FULLY_TRACEABLE = "fully-traceable"


# Words in a logged file's path that say it is an input or an output (input-artifact rule).
INPUT_WORDS = frozenset(
    {
        "data",
        "dataset",
        "datasets",
        "input",
        "inputs",
        "raw",
        "train",
        "training",
        "test",
        "testing",
        "valid",
        "validation",
        "features",
        "sample",
        "samples",
    }
)
OUTPUT_WORDS = frozenset(
    {
        "pred",
        "preds",
        "prediction",
        "predictions",
        "output",
        "outputs",
        "result",
        "results",
        "report",
        "reports",
        "metric",
        "metrics",
        "score",
        "scores",
        "submission",
        "submissions",
        "forecast",
        "forecasts",
        "evaluation",
        "eval",
        "summary",
        "importance",
        "importances",
        "confusion",
    }
)


REGISTRY_MEASURES: dict[str, str] = {
    "uses-registry": USES_REGISTRY,
    "register-model": _defined_by("register-model"),
    "log-model-registration": "registered_model_name= given to a log_model call",
    "client-registry": "an MlflowClient method on registered models or model versions "
    "(create_registered_model, create_model_version, get_latest_versions, "
    "transition_model_version_stage, set_registered_model_alias, ...)",
    "stage-transitions": _defined_by("stage-transition"),
    "alias-assignments": _defined_by("set-alias"),
    "stages": "the stage lifecycle: a stage transition, a stage literal or a stage model URI "
    "(models:/NAME/Production)",
    "aliases": "the alias lifecycle: an alias set, read or deleted, an alias literal or an alias "
    "model URI (models:/NAME@champion)",
    "stages-only": "stages and no aliases",
    "aliases-only": "aliases and no stages",
    "stages-and-aliases": "both stages and aliases",
}


ECOSYSTEM_TOOLS = schema.ECOSYSTEM_TOOLS  # declared with the ecosystem table


HISTORY_MLFLOW = "mlflow"  # history.csv's pseudo-dimension: any MLflow call or requirement


# MLflow practices compared between a tool's users and the other analysed repositories.
PRACTICES: dict[str, str] = {
    **{
        aspect.name: f"records its {aspect.label} (traceability codebook)"
        for aspect in TRACEABILITY
    },
    "log-input": "calls " + _defined_by("log-input"),
    "autolog": HEADLINE["autolog"],
    "set-tracking-uri": HEADLINE["set-tracking-uri"],
    "uses-registry": USES_REGISTRY,
}
