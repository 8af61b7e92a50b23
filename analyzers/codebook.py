"""The study's codebook: what each measure, aspect and practice means, written once.

Every table, chart, report section and column description that names a measure takes its
definition from here; where a measure is a set of MLflow APIs, the definition is the
description of that catalog group (`analyzers/code/catalog.toml`, `[groups]`), so the catalog
stays the one place that names MLflow APIs. Shared by the schema and the study; importing it
loads the catalog.
"""

from __future__ import annotations

from analyzers import schema
from analyzers.code.catalog import load_catalog


def _defined_by(group: str) -> str:
    """The definition of a measure that is a catalog group: the group's description."""
    return load_catalog().group(group).description


ANALYZED = "analyzed"


NOT_ATTEMPTED = "not-attempted"


KINDS = ("any", "script", "notebook")


# The seed study's question: which repositories log parameters or metrics, turn on autologging,
# and point MLflow at a tracking server? Each measure but any-logging is a catalog group.
HEADLINE: dict[str, str] = {
    "log-params": _defined_by("log-params"),
    "log-metrics": _defined_by("log-metrics"),
    "autolog": _defined_by("autolog"),
    "any-logging": "any of log-params, log-metrics, autolog",
    "set-tracking-uri": _defined_by("set-tracking-uri"),
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
        aspect: f"records its {ASPECT_LABELS[aspect]} (coverage: {evidence})"
        for aspect, evidence in ASPECTS.items()
    },
    "log-input": "calls " + _defined_by("log-input"),
    "autolog": HEADLINE["autolog"],
    "set-tracking-uri": HEADLINE["set-tracking-uri"],
    "registry": "a registry call (registered models, versions, stages, aliases)",
}
