"""Model versioning in the registry: registry use, stages and aliases, model URIs, and
semantic versions in registered model names.
"""

from __future__ import annotations

import math

import pandas as pd

from analyzers.codebook import REGISTRY_MEASURES
from analyzers.study.load import Study
from analyzers.study.locations import (
    PLACEHOLDER,
)
from analyzers.study.stats import (
    as_int,
    as_number,
    in_group,
    joined,
    position_key,
    records,
    table_frame,
    with_share,
)
from analyzers.study.versioning import (
    HF_NO_SEMVER_SHARE,
    MODEL_URI_KINDS,
    SEMVER_PATTERNS,
    TOKEN_KINDS,
    classify_model_uri,
    name_tokens,
    semantic_version,
    token_kind,
)


def model_uris(study: Study) -> pd.DataFrame:
    """Every models:/ and runs:/ literal in analysed repositories, with its kind."""
    facts = study.facts[study.facts["fact"] == "model-uri"]
    rows = [
        {
            "repo": fact["repo"],
            "path": fact["path"],
            "cell": as_number(fact["cell"]),
            "line": as_number(fact["line"]),
            "value": fact["value"],
            "kind": classify_model_uri(fact["value"]),
        }
        for fact in records(facts)
    ]
    rows.sort(key=lambda row: (*position_key(row), row["value"]))
    return as_int(table_frame("model_uris", rows), "cell", "line")


def model_uri_kinds(uris: pd.DataFrame, n_analysed: int) -> pd.DataFrame:
    """Model URI literals by kind: how many, and in how many analysed repositories."""
    total = len(uris)
    rows = []
    for kind, definition in MODEL_URI_KINDS.items():
        subset = uris[uris["kind"] == kind]
        rows.append(
            with_share(
                {
                    "kind": kind,
                    "definition": definition,
                    "n_uris": len(subset),
                    "uri_share": len(subset) / total if total else math.nan,
                    "n_using": subset["repo"].nunique(),
                    "n_analysed": n_analysed,
                }
            )
        )
    return table_frame("model_uri_kinds", rows)


def registry_use(study: Study, uris: pd.DataFrame) -> pd.DataFrame:
    """Per analysed repository: how it uses the model registry and which lifecycle it
    follows (stages or aliases)."""
    calls, facts = study.calls, study.facts
    names = facts[facts["fact"] == "registered-model-name"]

    def repos(frame: pd.DataFrame) -> set[str]:
        return set(frame["repo"])

    def literals(fact: str) -> dict[str, set[str]]:
        subset = facts[(facts["fact"] == fact) & (facts["value"] != "")]
        found: dict[str, set[str]] = {}
        for repo, value in zip(subset["repo"], subset["value"], strict=True):
            found.setdefault(repo, set()).add(value)
        return found

    api = calls["api"]
    register = repos(calls[in_group(api, "register-model")]) | repos(
        names[in_group(names["source"], "register-model")]
    )
    logged = repos(names[in_group(names["source"], "log-model")])
    client = repos(calls[in_group(api, "model-registry") & in_group(api, "client")])
    # The one registry measure (codebook USES_REGISTRY), used by the headline and everywhere.
    registry = repos(calls[in_group(api, "model-registry")]) | register | logged
    transitions = calls[in_group(api, "stage-transition")]["repo"].value_counts().to_dict()
    assignments = calls[in_group(api, "set-alias")]["repo"].value_counts().to_dict()
    alias_calls = repos(calls[in_group(api, "alias")])
    stages, aliases = literals("model-stage"), literals("model-alias")
    kinds = uris.groupby("repo")["kind"].agg(set).to_dict()
    n_names = names[names["value"] != ""].groupby("repo")["value"].nunique().to_dict()
    rows = []
    for repo in study.analysed:
        uri_kinds = kinds.get(repo, set())
        rows.append(
            {
                "repo": repo,
                "uses_registry": repo in registry,
                "register_model": repo in register,
                "log_model_registration": repo in logged,
                "client_registry": repo in client,
                "stage_transitions": int(transitions.get(repo, 0)),
                "alias_assignments": int(assignments.get(repo, 0)),
                "uses_stages": bool(
                    transitions.get(repo) or stages.get(repo) or "stage" in uri_kinds
                ),
                "uses_aliases": bool(
                    repo in alias_calls or aliases.get(repo) or "alias" in uri_kinds
                ),
                "stage_names": joined(stages.get(repo, ())),
                "alias_names": joined(aliases.get(repo, ())),
                "model_uri_kinds": joined(uri_kinds, list(MODEL_URI_KINDS)),
                "n_model_names": int(n_names.get(repo, 0)),
            }
        )
    return table_frame("registry_use", rows)


def registry_summary(registry_table: pd.DataFrame) -> pd.DataFrame:
    """Shares of analysed repositories using the registry, by how, and by lifecycle."""
    table = registry_table
    stages, aliases = table["uses_stages"], table["uses_aliases"]
    holds = {
        "uses-registry": table["uses_registry"],
        "register-model": table["register_model"],
        "log-model-registration": table["log_model_registration"],
        "client-registry": table["client_registry"],
        "stage-transitions": table["stage_transitions"] > 0,
        "alias-assignments": table["alias_assignments"] > 0,
        "stages": stages,
        "aliases": aliases,
        "stages-only": stages & ~aliases,
        "aliases-only": aliases & ~stages,
        "stages-and-aliases": stages & aliases,
    }
    return table_frame(
        "registry_summary",
        (
            with_share(
                {
                    "measure": measure,
                    "definition": definition,
                    "n_using": int(holds[measure].sum()),
                    "n_analysed": len(table),
                }
            )
            for measure, definition in REGISTRY_MEASURES.items()
        ),
    )


def model_names(study: Study) -> pd.DataFrame:
    """Every registered model name found, one row per repository and name, with its semantic
    version (if any) and tokens."""
    facts = study.facts[
        (study.facts["fact"] == "registered-model-name") & (study.facts["value"].str.strip() != "")
    ]
    given: dict[tuple[str, str], list[str]] = {}
    for repo, name, source in zip(facts["repo"], facts["value"], facts["source"], strict=True):
        given.setdefault((repo, name), []).append(source)
    rows = []
    for (repo, name), source in sorted((key, joined(found)) for key, found in given.items()):
        pattern, version = semantic_version(name)
        tokens = name_tokens(name)
        rows.append(
            {
                "repo": repo,
                "name": name,
                "sources": source,
                "literal": PLACEHOLDER not in name,
                "semver": bool(pattern),
                "pattern": pattern,
                "version": version,
                "tokens": ";".join(tokens),
                "token_kinds": ";".join(token_kind(token) for token in tokens),
            }
        )
    return table_frame("model_names", rows)


def model_naming(names: pd.DataFrame) -> pd.DataFrame:
    """Shares of literal registered model names following semantic versioning, by version
    pattern and by token kind, beside the Hugging Face naming study."""
    literal = names[names["literal"].astype(bool)] if len(names) else names
    n = len(literal)
    kinds = [set(value.split(";")) - {""} for value in literal["token_kinds"]]
    semver = int(literal["semver"].astype(bool).sum()) if n else 0
    entries: list[tuple[str, str, str, int, float]] = [
        (
            "versioning",
            "semver",
            "a semantic version anywhere in the name",
            semver,
            round(1 - HF_NO_SEMVER_SHARE, 6),
        ),
        ("versioning", "no-semver", "no semantic version", n - semver, HF_NO_SEMVER_SHARE),
    ]
    entries += [
        ("pattern", pattern, definition, int((literal["pattern"] == pattern).sum()), math.nan)
        for pattern, definition in SEMVER_PATTERNS.items()
    ]
    entries += [
        ("token", kind, definition, sum(1 for found in kinds if kind in found), math.nan)
        for kind, definition in TOKEN_KINDS.items()
    ]
    return table_frame(
        "model_naming",
        (
            with_share(
                {
                    "group": group,
                    "name": name,
                    "definition": definition,
                    "n_names": k,
                    "n_total": n,
                },
                k="n_names",
                n="n_total",
            )
            | {"reference": reference}
            for group, name, definition, k, reference in entries
        ),
    )


def name_tokens_table(names: pd.DataFrame) -> pd.DataFrame:
    """Tokens of literal registered model names: how many names and repositories hold each."""
    literal = names[names["literal"].astype(bool)] if len(names) else names
    holders: dict[str, tuple[set[tuple[str, str]], set[str]]] = {}
    for repo, name, tokens in zip(literal["repo"], literal["name"], literal["tokens"], strict=True):
        for token in set(tokens.split(";")) - {""}:
            found = holders.setdefault(token, (set(), set()))
            found[0].add((repo, name))
            found[1].add(repo)
    ranked = sorted(holders.items(), key=lambda item: (-len(item[1][0]), -len(item[1][1]), item[0]))
    rows = [
        {
            "token": token,
            "kind": token_kind(token),
            "n_names": len(names_with),
            "n_repos": len(repos_with),
        }
        for token, (names_with, repos_with) in ranked
    ]
    return table_frame("name_tokens", rows)
