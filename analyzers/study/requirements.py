"""Requirements read from dependency files: how strictly mlflow and the ML frameworks are
pinned, and which mlflow versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzers.codebook import REQUIREMENT_LEVELS
from analyzers.study.load import Study
from analyzers.study.stats import table_frame, with_share

PIN = re.compile(
    r"===?\s*v?(\d+)(?:\.(\d+))?(?:\.\d+)*(?:[a-z]+\d*|\.post\d+|\.dev\d+)*", re.IGNORECASE
)


def classify_requirement(specifier: str) -> tuple[str, str]:
    """(level, major.minor) of an mlflow version specifier: `==2.16.2` -> (pinned, 2.16),
    `>=2.0` or `==2.*` -> (constrained, ""), `` -> (unpinned, "")."""
    clauses = [clause.strip() for clause in specifier.split(";", 1)[0].split(",")]
    clauses = [clause for clause in clauses if clause]
    if not clauses:
        return "unpinned", ""
    for clause in clauses:
        match = PIN.fullmatch(clause)
        if match:
            return "pinned", f"{int(match[1])}.{int(match[2] or 0)}"
    return "constrained", ""


def mlflow_requirements(study: Study) -> pd.DataFrame:
    """Per analysed repository: its strictest mlflow requirement and the versions it pins."""
    requirements = study.signals[study.signals["signal"] == "mlflow-requirement"]
    by_repo: dict[str, list[tuple[str, str]]] = {}
    for row in requirements.sort_values(["repo", "path"], kind="stable").itertuples():
        by_repo.setdefault(row.repo, []).append((row.path, row.value))
    rows = []
    for repo in study.analysed:
        found = by_repo.get(repo, [])
        levels = [classify_requirement(spec) for _, spec in found]
        level = min((lvl for lvl, _ in levels), key=REQUIREMENT_LEVELS.index, default="none")
        versions = sorted({v for _, v in levels if v}, key=version_key)
        rows.append(
            {
                "repo": repo,
                "requirement": level,
                "versions": ";".join(versions),
                "specifiers": ";".join(f"{path}:{spec}" for path, spec in found),
            }
        )
    return table_frame("mlflow_requirements", rows)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def mlflow_versions(requirements: pd.DataFrame) -> pd.DataFrame:
    """How many analysed repositories pin each mlflow major.minor version."""
    pinning = requirements[requirements["requirement"] == "pinned"]
    counts: dict[str, int] = {}
    for versions in pinning["versions"]:
        for version in filter(None, versions.split(";")):
            counts[version] = counts.get(version, 0) + 1
    n = len(pinning)
    return table_frame(
        "mlflow_versions",
        (
            {"version": version, "n_repos": k, "n_pinning": n, "share": k / n}
            for version, k in sorted(counts.items(), key=lambda i: version_key(i[0]))
        ),
    )


def signal_summary(study: Study, requirements: pd.DataFrame) -> pd.DataFrame:
    """Shares of analysed repositories with MLproject files (and their environments),
    environment files by kind, mlflow requirements by level, and DVC."""
    n = study.n_analysed
    signals = study.signals
    rows: list[dict[str, Any]] = []

    def add(signal: str, value: str, repos: Iterable[str]) -> None:
        rows.append(
            with_share(
                {"signal": signal, "value": value, "n_using": len(set(repos)), "n_analysed": n}
            )
        )

    for signal in ("mlproject", "mlproject-env", "env-file"):
        subset = signals[signals["signal"] == signal]
        if signal != "mlproject-env":
            add(signal, "any", subset["repo"])
        if signal != "mlproject":
            for value in sorted(set(subset["value"])):
                add(signal, value or "unknown", subset.loc[subset["value"] == value, "repo"])
    for level in REQUIREMENT_LEVELS:
        add(
            "mlflow-requirement",
            level,
            requirements.loc[requirements["requirement"] == level, "repo"],
        )
    add("dvc", "any", signals.loc[signals["signal"] == "dvc", "repo"])
    return table_frame("signals", rows)


_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._\-]*)\s*(.*)")


def split_requirement(value: str) -> tuple[str, str]:
    """`scikit-learn==1.4.2` -> (scikit-learn, ==1.4.2); `torch` -> (torch, "")."""
    match = _REQUIREMENT_NAME.fullmatch(value)
    if match is None:
        return value.strip(), ""
    return match[1].lower(), re.sub(r"\s+", "", match[2])


def exact_versions(specifier: str) -> list[str]:
    """The versions `==`/`===` clauses of a specifier pin exactly."""
    clauses = [clause.strip() for clause in specifier.split(";", 1)[0].split(",")]
    return [re.sub(r"^===?\s*v?", "", clause) for clause in clauses if PIN.fullmatch(clause)]


def strictest(levels: Iterable[str]) -> str:
    return min(levels, key=REQUIREMENT_LEVELS.index, default="none")


@dataclass(frozen=True, slots=True)
class Dependencies:
    recorded: bool
    evidence: list[str]
    mlflow_pins: list[str]
    framework_requirements: list[str]


def dependency_evidence(study: Study) -> dict[str, Dependencies]:
    """Per analysed repository: whether mlflow and every declared framework are pinned."""
    signals = study.signals.sort_values(["repo", "path", "signal", "value"], kind="stable")
    mlflow: dict[str, list[tuple[str, str]]] = {}
    frameworks: dict[str, list[tuple[str, str, str]]] = {}
    for row in signals.to_dict("records"):
        if row["signal"] == "mlflow-requirement":
            mlflow.setdefault(row["repo"], []).append((row["path"], row["value"]))
        elif row["signal"] == "framework-requirement":
            name, spec = split_requirement(row["value"])
            frameworks.setdefault(row["repo"], []).append((row["path"], name, spec))
    result = {}
    for repo in study.analysed:
        specs = mlflow.get(repo, [])
        declared = frameworks.get(repo, [])
        level = strictest(classify_requirement(spec)[0] for _, spec in specs)
        per_framework: dict[str, list[str]] = {}
        for _, name, spec in declared:
            per_framework.setdefault(name, []).append(classify_requirement(spec)[0])
        pinned = level == "pinned" and all(
            strictest(levels) == "pinned" for levels in per_framework.values()
        )
        evidence = [f"mlflow{spec or ' (unpinned)'} [{path}]" for path, spec in specs]
        evidence = evidence or ["no mlflow requirement"]
        evidence += [f"{name}{spec or ' (unpinned)'} [{path}]" for path, name, spec in declared]
        pins = sorted(
            {version for _, spec in specs for version in exact_versions(spec)}, key=release_key
        )
        result[repo] = Dependencies(
            pinned, evidence, pins, sorted({name + spec for _, name, spec in declared})
        )
    return result


def release_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.+-]", version)
    )
