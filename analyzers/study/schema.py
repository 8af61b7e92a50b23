"""The columns of every study table, each with its meaning, in documentation order.

`COLUMNS[table]` lists the table's columns; `frame` (analyzers.study.stats) builds every
DataFrame from it, and `export.data_dictionary` writes it out, so a column is documented once.
"""

from __future__ import annotations

from analyzers.codebook import (
    ASPECT_LABELS,
    ASPECTS,
    ECOSYSTEM_TOOLS,
    PRACTICES,
    PROFILE_ASPECTS,
    PROFILE_LABELS,
    REGISTRY_MEASURES,
)

_SHARE = {
    "share": "n_using / n_analysed; empty when n_analysed is 0.",
    "ci_low": "Lower bound of the 95% Wilson score interval of share.",
    "ci_high": "Upper bound of the 95% Wilson score interval of share.",
}


_N_ANALYSED = "Repositories analysed (repos.csv status analyzed): the denominator."


COLUMNS: dict[str, dict[str, str]] = {
    "repos": {
        "repo": "GitHub owner/name (dataset full_name, repos.csv repo).",
        "commit": "Pinned commit SHA (from repos.csv, else from the dataset).",
        "status": "analyzed, a failure from repos.csv (not-found, unavailable, too-large, "
        "timeout, error, empty, ...), or not-attempted (in the dataset, not in "
        "repos.csv).",
        "detail": "repos.csv's one-line reason for a failure; empty otherwise.",
        "in_dataset": "Whether dataset.csv lists the repository.",
        "created_year": "Year the repository was created (dataset created_at); empty if unknown.",
        "analysed": "Whether the repository was cloned and scanned (status analyzed).",
    },
    "repo_status": {
        "status": "Repository status, as in repos.",
        "n_repos": "Repositories with this status.",
        "n_total": "All repositories of the study (dataset plus any extra in repos.csv).",
        "share": "n_repos / n_total.",
    },
    "failures": {
        "repo": "Repository that was not analysed.",
        "commit": "Its pinned commit SHA.",
        "status": "Why it was not analysed (a repos.csv failure status, or not-attempted).",
        "detail": "repos.csv's one-line reason; empty for not-attempted.",
    },
    "file_status": {
        "kind": "script, notebook or directory (files.csv kind).",
        "status": "files.csv status: analyzed, no-mlflow, syntax-error, python2, ...",
        "n_files": "Rows of files.csv with this kind and status.",
        "n_repos": "Repositories with at least one such file.",
    },
    "usage": {
        "repo": "Analysed repository.",
        "level": "api (one MLflow API) or dimension (a traceability dimension of the catalog).",
        "name": "The API's canonical name or the dimension.",
        "calls": "Call sites of the API or dimension in the repository.",
        "script_calls": "Of which in .py files.",
        "notebook_calls": "Of which in .ipynb notebooks.",
    },
    "adoption": {
        "level": "dimension or api.",
        "name": "Traceability dimension (all of the catalog's, used or not) or canonical API "
        "name (every API seen in an analysed repository).",
        "kind": "any (calls anywhere), script (calls in .py files) or notebook (calls in "
        ".ipynb notebooks).",
        "n_using": "Analysed repositories with at least one such call (of that kind).",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
        "calls": "Call sites (of that kind) across analysed repositories.",
    },
    "headline": {
        "measure": "log-params, log-metrics, autolog, any-logging or set-tracking-uri.",
        "definition": "The APIs the measure counts.",
        "n_using": "Analysed repositories calling any of them.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "coverage": {
        "repo": "Analysed repository.",
        **{
            aspect: f"Whether the repository records its {ASPECT_LABELS[aspect]}: {evidence}."
            for aspect, evidence in ASPECTS.items()
        },
        "coverage": "How many of the six aspects it records (0-6).",
    },
    "coverage_distribution": {
        "coverage": "Number of traceability aspects recorded (0-6).",
        "n_repos": "Analysed repositories recording exactly that many.",
        "n_analysed": _N_ANALYSED,
        "share": "n_repos / n_analysed; empty when n_analysed is 0.",
        "ci_low": _SHARE["ci_low"],
        "ci_high": _SHARE["ci_high"],
    },
    "traceability": {
        "aspect": "One of the six traceability aspects (see coverage).",
        "evidence": "What counts as recording it.",
        "n_using": "Analysed repositories recording it.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "cooccurrence": {
        "dimension_a": "A dimension used by at least one analysed repository.",
        "dimension_b": "Another (or the same) such dimension.",
        "n_repos": "Analysed repositories using both (on the diagonal: using dimension_a).",
    },
    "top_keys": {
        "dimension": "parameters or metrics.",
        "key": "A literal parameter or metric name (from calls.csv keys).",
        "n_repos": "Analysed repositories logging it (each repository counted once).",
        "n_calls": "Call sites logging it.",
        "rank": "1-based rank within the dimension by n_repos, then n_calls, then key.",
    },
    "signals": {
        "signal": "mlproject, mlproject-env, env-file, mlflow-requirement or dvc.",
        "value": "any (any file of that signal), an MLproject environment kind, an environment "
        "file kind, or a requirement level: pinned (==X.Y...), constrained (another "
        "specifier), unpinned (no specifier), none (no mlflow requirement found).",
        "n_using": "Analysed repositories with that signal and value.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "mlflow_requirements": {
        "repo": "Analysed repository.",
        "requirement": "Its strictest mlflow requirement: pinned, constrained, unpinned or none.",
        "versions": "major.minor versions it pins, sorted, ';'-separated; empty unless pinned.",
        "specifiers": "Every mlflow specifier found, as path:specifier, ';'-separated.",
    },
    "mlflow_versions": {
        "version": "A pinned mlflow major.minor version.",
        "n_repos": "Analysed repositories pinning it (a repository pinning two versions in "
        "different files counts for both).",
        "n_pinning": "Analysed repositories pinning any version.",
        "share": "n_repos / n_pinning.",
    },
    "adoption_by_year": {
        "year": "Year the repository was created (dataset created_at).",
        "level": "headline (a headline measure) or dimension.",
        "name": "The headline measure or dimension.",
        "n_repos": "Repositories of the study created that year, whatever their status.",
        "n_using": "Analysed repositories created that year that use it.",
        "n_analysed": "Analysed repositories created that year: the denominator.",
        **_SHARE,
    },
}


_PER_REPO_POSITION = {
    "path": "File the value was found in, relative to the repository root.",
    "cell": "Notebooks: 0-based cell index, as in calls.csv; empty for .py files and "
    "configuration files.",
    "line": "1-based line (inside the cell for notebooks); empty for configuration files.",
}


_PROFILE_FLAGS = {
    aspect: f"Whether the repository records its {PROFILE_LABELS[aspect]}: {evidence}."
    for aspect, evidence in PROFILE_ASPECTS.items()
}


FINDINGS_COLUMNS: dict[str, dict[str, str]] = {
    "locations": {
        "repo": "Analysed repository.",
        **_PER_REPO_POSITION,
        "setting": "tracking-uri or registry-uri.",
        "origin": "code (facts.csv: a call, constructor keyword or environment assignment in a "
        ".py/.ipynb file) or configuration (signals.csv: .env, docker-compose, GitHub "
        "workflow, MLproject).",
        "source": "The API or construct it came from (mlflow.set_tracking_uri, "
        "mlflow.MlflowClient, os.environ) or the kind of configuration file (.env, "
        "docker-compose, github-workflow, MLproject).",
        "value": "The location with user, password and query values replaced by ***; env:NAME "
        "when read from an environment variable; {…} for non-literal parts; empty when "
        "not a literal (also for a set_tracking_uri/set_registry_uri call facts.csv "
        "has no value for).",
        "location": "Its class: local-file, local-database, remote-database, server-localhost, "
        "server-remote, server-unknown-host, databricks, environment or unknown.",
    },
    "repo_locations": {
        "repo": "Analysed repository.",
        "uses_mlflow": "Whether it has at least one MLflow call.",
        "n_locations": "Locations found (rows of locations).",
        "tracking": "Classes of the tracking URIs it sets, ';'-separated, in class order.",
        "registry": "Classes of the registry URIs it sets, ';'-separated, in class order.",
        "classes": "Classes of every location it sets; default-local when it calls MLflow but "
        "sets none; empty when it neither calls MLflow nor sets a location.",
    },
    "location_shares": {
        "setting": "any (tracking or registry URI), tracking-uri or registry-uri.",
        "location": "any-location (at least one), a location class, or default-local (calls "
        "MLflow, sets no location of that setting; not for registry-uri, which "
        "defaults to the tracking URI).",
        "definition": "What the class covers.",
        "n_using": "Analysed repositories setting a location of that class.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "profile": {
        "repo": "Analysed repository.",
        "aspect": "code_version, parameters_metrics, environment, dependencies or data.",
        "recorded": "Whether the repository records the aspect.",
        "evidence": "What was found, '; '-separated, with the file in brackets: MLproject, "
        "tags, logged files, APIs, environment files, requirements (for "
        "dependencies also when they fall short of pinning).",
    },
    "profile_matrix": {
        "repo": "Analysed repository.",
        **_PROFILE_FLAGS,
        "n_aspects": "How many of the five aspects it records (0-5).",
        "fully_traceable": "Whether it records all five.",
        "missing": "The aspects it does not record, ';'-separated.",
        "mlflow_pins": "Exact mlflow versions it pins (==), sorted, ';'-separated.",
        "framework_requirements": "Every ML framework requirement found, as name plus "
        "specifier (no specifier: unpinned), sorted, ';'-separated.",
    },
    "profile_shares": {
        "aspect": "A profile aspect, or fully-traceable (all five).",
        "definition": "What counts as recording it.",
        "n_using": "Analysed repositories recording it.",
        "n_missing": "Analysed repositories not recording it.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
        "most_missing": "Whether it is the aspect missing most often (ties all true).",
    },
    "profile_combinations": {
        "combination": "The aspects recorded, '+'-joined in aspect order; none for none.",
        **{
            aspect: f"Whether the combination includes {PROFILE_LABELS[aspect]}."
            for aspect in PROFILE_ASPECTS
        },
        "n_aspects": "Number of aspects in the combination.",
        "n_repos": "Analysed repositories recording exactly that combination.",
        "n_analysed": _N_ANALYSED,
        "share": "n_repos / n_analysed.",
        "ci_low": _SHARE["ci_low"],
        "ci_high": _SHARE["ci_high"],
    },
    "registry_use": {
        "repo": "Analysed repository.",
        "uses_registry": "register_model, registered_model_name= or a client registry method.",
        "register_model": "Whether it calls mlflow.register_model.",
        "log_model_registration": "Whether it gives registered_model_name= to a log_model.",
        "client_registry": "Whether it calls an MlflowClient method on registered models or "
        "model versions.",
        "stage_transitions": "Calls of MlflowClient.transition_model_version_stage.",
        "alias_assignments": "Calls of MlflowClient.set_registered_model_alias.",
        "uses_stages": "Stage lifecycle: a stage transition, stage literal or stage model URI.",
        "uses_aliases": "Alias lifecycle: an alias call, alias literal or alias model URI.",
        "stage_names": "Literal stages it transitions to, sorted, ';'-separated.",
        "alias_names": "Literal aliases it sets or reads, sorted, ';'-separated.",
        "model_uri_kinds": "Kinds of the model URI literals it holds, ';'-separated.",
        "n_model_names": "Distinct registered model names found (literal or partly literal).",
    },
    "registry_summary": {
        "measure": ", ".join(REGISTRY_MEASURES) + ".",
        "definition": "What the measure counts.",
        "n_using": "Analysed repositories it holds for.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "model_uris": {
        "repo": "Analysed repository.",
        **_PER_REPO_POSITION,
        "value": "The models:/ or runs:/ string literal, {…} for non-literal parts.",
        "kind": "stage, alias, version, latest, logged-model, run or unknown.",
    },
    "model_uri_kinds": {
        "kind": "A model URI kind.",
        "definition": "What the kind covers.",
        "n_uris": "Model URI literals of that kind.",
        "uri_share": "n_uris / all model URI literals; empty when there is none.",
        "n_using": "Analysed repositories holding at least one.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "model_names": {
        "repo": "Analysed repository.",
        "name": "A registered model name as written ({…} for non-literal parts).",
        "sources": "The APIs it was given to, sorted, ';'-separated.",
        "literal": "Whether the whole name is a literal (only those count in model_naming).",
        "semver": "Whether it holds a semantic version.",
        "pattern": "The first version pattern found: vX, vX.Y, vX.Y.Z, vX-Y, X.Y, X.Y.Z or "
        "X-Y; empty when none.",
        "version": "The version as written; empty when none.",
        "tokens": "Its lowercase tokens (split on - _ . space / and camelCase), ';'-separated.",
        "token_kinds": "The kind of each token, in the same order.",
    },
    "model_naming": {
        "group": "versioning (semver or not), pattern (a version pattern) or token (a token kind).",
        "name": "semver, no-semver, a pattern, or a token kind.",
        "definition": "What it covers.",
        "n_names": "Literal registered model names (one per repository and name) it holds for.",
        "n_total": "Literal registered model names: the denominator.",
        "share": "n_names / n_total; empty when n_total is 0.",
        "ci_low": _SHARE["ci_low"],
        "ci_high": _SHARE["ci_high"],
        "reference": "The Hugging Face naming study's share for the same measure (79% of models "
        "follow no semantic versioning); empty where it has none.",
    },
    "name_tokens": {
        "token": "A lowercase token of literal registered model names.",
        "kind": "version, date, parameter-count, size-label, fine-tuned, number or word.",
        "n_names": "Literal names holding it.",
        "n_repos": "Analysed repositories with such a name.",
    },
}


COLUMNS.update(FINDINGS_COLUMNS)


_N_HISTORY = (
    "Analysed repositories whose history was walked (history_summary.csv status "
    "walked): the denominator."
)


_TOOL_SHARE = {
    "n_tool": "Analysed repositories using the tool (ecosystem.csv).",
    "k_tool": "Of which with the practice.",
    "share_tool": "k_tool / n_tool; empty when n_tool is 0.",
    "ci_low_tool": "Lower bound of the 95% Wilson score interval of share_tool.",
    "ci_high_tool": "Upper bound of the 95% Wilson score interval of share_tool.",
    "n_other": "Analysed repositories not using the tool.",
    "k_other": "Of which with the practice.",
    "share_other": "k_other / n_other; empty when n_other is 0.",
    "ci_low_other": "Lower bound of the 95% Wilson score interval of share_other.",
    "ci_high_other": "Upper bound of the 95% Wilson score interval of share_other.",
    "difference": "share_tool - share_other (empty when either is).",
}


EVOLUTION_COLUMNS: dict[str, dict[str, str]] = {
    "ecosystem_tools": {
        "tool": "An MLOps tool: " + ", ".join(ECOSYSTEM_TOOLS) + ".",
        "evidence": "any (any evidence of the tool), or one kind of evidence: a file "
        "(dvc.yaml, *.dvc, uv.lock, Dockerfile, ...), an import (import wandb, "
        "torch.utils.tensorboard, ...), a call (optuna.create_study, "
        "@hydra.main, ...) or a workflow step (workflow: cml comment, workflow: "
        "mlflow server, ...).",
        "n_using": "Analysed repositories with that evidence.",
        "n_analysed": _N_ANALYSED,
        **_SHARE,
    },
    "ecosystem_coadoption": {
        "tool": "An MLOps tool used by at least one analysed repository.",
        "practice": "An MLflow practice: "
        + "; ".join(f"{name}: {text}" for name, text in PRACTICES.items())
        + ".",
        **_TOOL_SHARE,
    },
    "adoption_curve": {
        "month": "Calendar month (YYYY-MM), from the first month a walked history has an "
        "MLflow event to the last head commit's month; the state is the one at the "
        "month's end.",
        "dimension": "mlflow (any MLflow call or mlflow requirement) or a traceability "
        "dimension of the catalog seen in some history.",
        "n_using": "Repositories whose default branch had the dimension at the month's end "
        "(history_events.csv: the last event by then is an addition).",
        "n_existing": "Repositories whose walked history had started by the month's end "
        "(oldest walked commit at or before it).",
        "n_repos": _N_HISTORY,
        "share": "n_using / n_repos; empty when n_repos is 0.",
        "ci_low": "Lower bound of the 95% Wilson score interval of share.",
        "ci_high": "Upper bound of the 95% Wilson score interval of share.",
    },
    "time_to_adoption": {
        "repo": "Analysed repository whose history was walked.",
        "created_at": "When the GitHub repository was created (dataset created_at); empty "
        "if unknown.",
        "oldest_date": "Date of the oldest commit walked (its first commit unless the walk "
        "was capped).",
        "first_mlflow_commit": "First commit with MLflow evidence (a call or an mlflow "
        "requirement); empty if none.",
        "first_mlflow_date": "Its commit date (UTC).",
        "days_from_creation": "first_mlflow_date - created_at, in days; negative when the "
        "history predates the GitHub repository (an imported history); "
        "empty without MLflow or a creation date.",
        "days_from_first_commit": "first_mlflow_date - oldest_date, in days; empty without MLflow.",
        "truncated": "Whether --max-commits or --since cut the walk short of the first "
        "commit (then MLflow may have come earlier).",
    },
    "dimension_lifecycle": {
        "dimension": "mlflow or a traceability dimension seen in some history.",
        "n_repos": _N_HISTORY,
        "n_adopted": "Repositories where it appeared at some commit.",
        "n_removed": "Of which it later disappeared from at least once (present at a commit, "
        "absent at a later one).",
        "n_at_head": "Repositories whose head commit has it.",
        "share_removed": "n_removed / n_adopted; empty when n_adopted is 0.",
        "ci_low": "Lower bound of the 95% Wilson score interval of share_removed.",
        "ci_high": "Upper bound of the 95% Wilson score interval of share_removed.",
        "median_days_after_mlflow": "Median days from the repository's first MLflow commit to "
        "the dimension's first commit (mlflow: 0).",
    },
}


COLUMNS.update(EVOLUTION_COLUMNS)


# Column types of these tables, so that an empty table (no input) has the types of a full one.
EVOLUTION_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "n_using",
            "n_analysed",
            "n_tool",
            "k_tool",
            "n_other",
            "k_other",
            "n_existing",
            "n_repos",
            "n_adopted",
            "n_removed",
            "n_at_head",
        ),
        "int64",
    ),
    **dict.fromkeys(
        (
            "share",
            "ci_low",
            "ci_high",
            "share_tool",
            "ci_low_tool",
            "ci_high_tool",
            "share_other",
            "ci_low_other",
            "ci_high_other",
            "difference",
            "days_from_creation",
            "days_from_first_commit",
            "share_removed",
            "median_days_after_mlflow",
        ),
        "float64",
    ),
    "truncated": "bool",
}
