"""The study's codebook: what each measure, aspect and practice means, written once.

Every table, chart and report section that names a measure takes its definition from here.
"""

from __future__ import annotations

ANALYZED = "analyzed"


NOT_ATTEMPTED = "not-attempted"


KINDS = ("any", "script", "notebook")


# The seed study's question: which repositories log parameters or metrics, turn on autologging,
# and point MLflow at a tracking server? `MlflowClient.log_batch` is left out: its arguments are
# never literal, so whether it logs parameters, metrics or only tags is unknown.
LOG_PARAMS = frozenset({"mlflow.log_param", "mlflow.log_params", "mlflow.MlflowClient.log_param"})


LOG_METRICS = frozenset(
    {"mlflow.log_metric", "mlflow.log_metrics", "mlflow.MlflowClient.log_metric"}
)


SET_TRACKING_URI = frozenset({"mlflow.set_tracking_uri"})


HEADLINE: dict[str, str] = {
    "log-params": "mlflow.log_param, mlflow.log_params or MlflowClient.log_param",
    "log-metrics": "mlflow.log_metric, mlflow.log_metrics or MlflowClient.log_metric",
    "autolog": "any autolog: mlflow.autolog or a flavor's, e.g. mlflow.sklearn.autolog",
    "any-logging": "any of log-params, log-metrics, autolog",
    "set-tracking-uri": "mlflow.set_tracking_uri",
}


# The six traceability aspects a repository can record, and what counts as evidence.
ASPECTS: dict[str, str] = {
    "code_version": "an MLproject file, or a tag whose key starts with mlflow.source",
    "parameters": "a parameters call, or autolog",
    "metrics": "a metrics call, or autolog",
    "artifacts_models": "an artifacts or models call, or autolog",
    "environment": "an MLproject environment (conda, python_env, docker) or an environment "
    "file (requirements, conda, pyproject, Dockerfile, lock file, ...)",
    "data": "a datasets call (log_input, mlflow.data)",
}


ASPECT_LABELS: dict[str, str] = {
    "code_version": "code version",
    "parameters": "parameters",
    "metrics": "metrics",
    "artifacts_models": "artifacts and models",
    "environment": "environment",
    "data": "data",
}


REQUIREMENT_LEVELS = ("pinned", "constrained", "unpinned", "none")


ANY_LOCATION = "any-location"


PROFILE_ASPECTS: dict[str, str] = {
    "code_version": "an MLproject file, a git tag set by hand (mlflow.source.git.*, or a tag key "
    "naming git, commit or revision), or a source file (.py, .ipynb) logged as "
    "an artifact",
    "parameters_metrics": "a parameters or metrics call, or autolog",
    "environment": "an MLproject environment (conda, python_env, docker), conda_env / "
    "pip_requirements / extra_pip_requirements given to a log_model or "
    "save_model, or an environment file (requirements, conda, pyproject, "
    "Dockerfile, lock file, ...)",
    "dependencies": "mlflow pinned to an exact version (==), and every ML framework the "
    "repository declares (scikit-learn, torch, tensorflow, ...) pinned too",
    "data": "log_input or mlflow.data (the datasets dimension), a data file logged as an "
    "artifact (.csv, .parquet, .json, ...), or DVC",
}


PROFILE_LABELS: dict[str, str] = {
    "code_version": "code version",
    "parameters_metrics": "parameters and metrics",
    "environment": "environment",
    "dependencies": "dependencies",
    "data": "data",
}


FULLY_TRACEABLE = "fully-traceable"


REGISTRY_MEASURES: dict[str, str] = {
    "uses-registry": "any of register-model, log-model-registration, client-registry",
    "register-model": "mlflow.register_model",
    "log-model-registration": "registered_model_name= given to a log_model call",
    "client-registry": "an MlflowClient method on registered models or model versions "
    "(create_registered_model, create_model_version, get_latest_versions, "
    "transition_model_version_stage, set_registered_model_alias, ...)",
    "stage-transitions": "MlflowClient.transition_model_version_stage (deprecated since "
    "MLflow 2.9)",
    "alias-assignments": "MlflowClient.set_registered_model_alias",
    "stages": "the stage lifecycle: a stage transition, a stage literal or a stage model URI "
    "(models:/NAME/Production)",
    "aliases": "the alias lifecycle: an alias set, read or deleted, an alias literal or an alias "
    "model URI (models:/NAME@champion)",
    "stages-only": "stages and no aliases",
    "aliases-only": "aliases and no stages",
    "stages-and-aliases": "both stages and aliases",
}


ECOSYSTEM_TOOLS = (
    "dvc",
    "hydra",
    "cml",
    "github-actions",
    "optuna",
    "wandb",
    "neptune",
    "comet",
    "tensorboard",
    "uv",
    "poetry",
    "conda",
    "docker",
)


HISTORY_MLFLOW = "mlflow"  # history.csv's pseudo-dimension: any MLflow call or requirement


# MLflow practices compared between a tool's users and the other analysed repositories.
PRACTICES: dict[str, str] = {
    **{
        aspect: f"records its {ASPECT_LABELS[aspect]} (coverage: {evidence})"
        for aspect, evidence in ASPECTS.items()
    },
    "log-input": "calls mlflow.log_input or MlflowClient.log_inputs (datasets as run inputs)",
    "autolog": HEADLINE["autolog"],
    "set-tracking-uri": HEADLINE["set-tracking-uri"],
    "registry": "a registry call (registered models, versions, stages, aliases)",
}


LOG_INPUT = frozenset({"mlflow.log_input", "mlflow.MlflowClient.log_inputs"})
