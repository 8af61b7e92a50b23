"""The one table of human labels: what a chart shows for an identifier of the study's tables.

Tables keep their identifiers (`experiment-organisation`, `server-unknown-host`); figures for
a paper show words. Every chart's text goes through `theme.label`, which looks here first; an
identifier not listed is shown with its dashes and underscores as spaces (and
tests/analyzers/study/test_chart_labels.py lists every family that must be here).
"""

from __future__ import annotations

LABELS: dict[str, str] = {
    # catalog dimensions
    "parameters": "parameters",
    "metrics": "metrics",
    "artifacts": "artifacts",
    "models": "models",
    "datasets": "datasets",
    "tags": "tags",
    "run-lifecycle": "run lifecycle",
    "experiment-organisation": "experiments",
    "tracking-setup": "tracking setup",
    "autolog": "autolog",
    "registry": "model registry",
    "evaluation": "evaluation",
    "projects": "MLflow Projects",
    "model-loading": "model loading",
    "querying": "querying runs",
    "tracing": "tracing",
    "prompts": "prompts",
    "genai-evaluation": "GenAI evaluation",
    "deployment": "deployment",
    "other": "other MLflow APIs",
    "mlflow": "any MLflow use",
    # where runs are stored (locations)
    "any-location": "any location set",
    "local-file": "local files",
    "local-database": "local database (SQLite)",
    "remote-database": "database server",
    "server-localhost": "tracking server, localhost",
    "server-remote": "tracking server, remote host",
    "server-unknown-host": "tracking server, host not literal",
    "databricks": "Databricks",
    "unknown": "unknown",
    "default-local": "none set (default ./mlruns)",
    # traceability: the codebook's aspects (analyzers/codebook.py TRACEABILITY)
    "code_version": "code version",
    "environment": "environment",
    "dependencies": "dependencies",
    "input_data": "input data",
    "fully-traceable": "all six (fully traceable)",
    # registry measures
    "uses-registry": "uses the registry",
    "register-model": "register_model",
    "log-model-registration": "registered_model_name= in log_model",
    "client-registry": "MlflowClient registry methods",
    "stage-transitions": "stage transitions",
    "alias-assignments": "alias assignments",
    "stages": "stages (deprecated lifecycle)",
    "aliases": "aliases",
    "stages-only": "stages only",
    "aliases-only": "aliases only",
    "stages-and-aliases": "stages and aliases",
    # model URI kinds
    "stage": "stage (models:/m/Production)",
    "alias": "alias (models:/m@champion)",
    "version": "version",
    "latest": "latest (models:/m/latest)",
    "logged-model": "logged model (models:/m-id)",
    "run": "run (runs:/id/path)",
    # tokens of model names
    "date": "date",
    "parameter-count": "parameter count (7b)",
    "size-label": "size label (base, large)",
    "fine-tuned": "fine-tuned mark",
    "number": "other number",
    "word": "word",
    "no-semver": "no semantic version",
    # MLOps tools
    "dvc": "DVC",
    "hydra": "Hydra",
    "cml": "CML",
    "github-actions": "GitHub Actions",
    "optuna": "Optuna",
    "wandb": "Weights & Biases",
    "neptune": "Neptune",
    "comet": "Comet",
    "tensorboard": "TensorBoard",
    "uv": "uv",
    "poetry": "Poetry",
    "conda": "conda",
    "docker": "Docker",
    # headline measures and practices
    "log-params": "logs parameters",
    "log-metrics": "logs metrics",
    "any-logging": "logs parameters or metrics, or autologs",
    "any-logging-incl-indirect": "logs, directly or through an integration",
    "set-tracking-uri": "sets a tracking URI",
    "location-unresolved": "storage location unresolved",
    "log-input": "logs datasets (log_input)",
    "artifacts_models": "artifacts and models",
    # kinds of files
    "script": "in .py scripts",
    "notebook": "in .ipynb notebooks",
}


# Identifiers that mean something else in one family of tables than in the others.
FAMILY_LABELS: dict[str, dict[str, str]] = {
    "location": {"environment": "environment variable"},
}


def human(identifier: object, family: str = "") -> str:
    """The label for `identifier` (of `family`, when it says what the identifier is): from
    `FAMILY_LABELS`, then `LABELS`, else the identifier with `-` and `_` as spaces."""
    text = str(identifier)
    special = FAMILY_LABELS.get(family, {})
    if text in special:
        return special[text]
    return LABELS.get(text, text.replace("_", " ").replace("-", " "))
