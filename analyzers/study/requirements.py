"""Requirements read from dependency files: how strictly mlflow and the ML frameworks are
pinned, and which mlflow versions. Specifiers and versions are read and ordered by `packaging`
(PEP 440), as pip reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.version import InvalidVersion, Version

from analyzers.codebook import REQUIREMENT_LEVELS
from analyzers.study.load import Study
from analyzers.study.stats import records, table_frame, with_share


def _clauses(specifier: str) -> list[str]:
    """The clauses of a specifier as written (`>=2.0,<3`), its environment marker dropped."""
    return [clause.strip() for clause in specifier.split(";", 1)[0].split(",") if clause.strip()]


def pinned_version(clause: str) -> Version | None:
    """The version an `==`/`===` clause pins exactly (not `==2.*`); None for any other clause,
    a Poetry range (`^2.9`) or something that is no PEP 440 specifier."""
    try:
        specifier = Specifier(clause)
        if specifier.operator not in ("==", "===") or specifier.version.endswith(".*"):
            return None
        return Version(specifier.version)
    except (InvalidSpecifier, InvalidVersion):
        return None


def classify_requirement(specifier: str) -> tuple[str, str]:
    """(level, major.minor) of an mlflow version specifier: `==2.16.2` -> (pinned, 2.16),
    `>=2.0` or `==2.*` -> (constrained, ""), `` -> (unpinned, "")."""
    clauses = _clauses(specifier)
    if not clauses:
        return "unpinned", ""
    for clause in clauses:
        version = pinned_version(clause)
        if version is not None:
            return "pinned", f"{version.major}.{version.minor}"
    return "constrained", ""


def mlflow_requirements(study: Study) -> pd.DataFrame:
    """Per analysed repository: its strictest mlflow requirement and the versions it pins."""
    requirements = study.signals[study.signals["signal"] == "mlflow-requirement"]
    by_repo: dict[str, list[tuple[str, str]]] = {}
    for row in records(requirements.sort_values(["repo", "path"], kind="stable")):
        by_repo.setdefault(row["repo"], []).append((row["path"], row["value"]))
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


def version_key(version: str) -> tuple[int, Version | str]:
    """PEP 440 order (`2.9` < `2.10`, `2.0rc1` < `2.0`); a string that is no version last."""
    try:
        return 0, Version(version)
    except InvalidVersion:
        return 1, version


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
    """`scikit-learn==1.4.2` -> (scikit-learn, ==1.4.2); `torch` -> (torch, "") (the
    `name + specifier` that signals.csv writes)."""
    match = _REQUIREMENT_NAME.fullmatch(value)
    if match is None:
        return value.strip(), ""
    return match[1].lower(), re.sub(r"\s+", "", match[2])


def exact_versions(specifier: str) -> list[str]:
    """The versions the `==`/`===` clauses of a specifier pin exactly, normalised (`v2.3` ->
    `2.3`)."""
    pinned = (pinned_version(clause) for clause in _clauses(specifier))
    return [str(version) for version in pinned if version is not None]


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
    for row in records(signals):
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
            {version for _, spec in specs for version in exact_versions(spec)}, key=version_key
        )
        result[repo] = Dependencies(
            pinned, evidence, pins, sorted({name + spec for _, name, spec in declared})
        )
    return result
