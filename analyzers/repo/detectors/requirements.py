"""Requirements as pip reads them, with `packaging`: PEP 508 requirements (extras, markers, URLs,
parenthesised specifiers) and the mlflow and ML framework requirements a file declares.

A specifier is written as found, clause by clause in the file's order, each clause normalised
by `packaging` (`>= 2.0, <3` gives `>=2.0,<3`); Poetry's `^`/`~` constraints, which are no PEP
440, are kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.utils import canonicalize_name

from analyzers.repo.detectors.base import Finding, indirect, signal

MLFLOW_DISTRIBUTIONS = frozenset({"mlflow", "mlflow-skinny"})
# The ML frameworks whose pins say whether an experiment's dependencies are recorded.
FRAMEWORKS = frozenset(
    {
        "scikit-learn",
        "sklearn",
        "torch",
        "tensorflow",
        "tensorflow-cpu",
        "keras",
        "xgboost",
        "lightgbm",
        "catboost",
        "pytorch-lightning",
        "lightning",
        "transformers",
        "pyspark",
        "statsmodels",
        "prophet",
        "sentence-transformers",
        "langchain",
        "openai",
    }
)
_POETRY_RANGE = re.compile(r"[\^~]\s*[\w.*+!-]+")  # ^1.2, ~1.2: Poetry's, not PEP 440
# conda: a `channel::` prefix, and `name=1.2`, conda's "this version", which pip writes `==`;
# `conda env export` writes `name=1.2=build`, whose build string pip has no word for.
_CONDA_CHANNEL = re.compile(r"^[\w-]+::")
_CONDA_EQUALS = re.compile(r"^([\w.-]+)\s*=(?!=)\s*")
_CONDA_BUILD = re.compile(r"^([\w.-]+==[^=\s]+)=[^=\s]+$")
_LIST_ITEM = re.compile(r"^\s*-\s*(?P<item>[^#\n]+)")


def parse_requirement(text: str) -> tuple[str, str] | None:
    """(canonical name, specifier) of a PEP 508 requirement, "" when unpinned (a URL
    requirement too); None when `text` is not one. A `#` comment is ignored."""
    line = text.split("#", 1)[0].strip()
    if not line:
        return None
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    name = canonicalize_name(requirement.name)
    if requirement.url:
        return name, ""
    written = line.split(";", 1)[0][len(requirement.name) :].strip()
    if written.startswith("["):
        written = written[written.index("]") + 1 :]
    clauses = written.strip().removeprefix("(").removesuffix(")").split(",")
    try:
        return name, ",".join(
            str(Specifier(clause.strip())) for clause in clauses if clause.strip()
        )
    except InvalidSpecifier:
        return None


# Plugins that log to MLflow as soon as they are installed: the requirement is the use.
# kedro-mlflow's hooks log every pipeline parameter (and the datasets the catalog declares).
LOGGING_PLUGINS = {"kedro-mlflow": ("kedro-mlflow", "params")}


def requirement_findings(path: str, requirement: tuple[str, str] | None) -> Iterator[Finding]:
    if requirement is None:
        return
    name, specifier = requirement
    if name in LOGGING_PLUGINS:
        yield indirect(path, *LOGGING_PLUGINS[name])
    if name in MLFLOW_DISTRIBUTIONS:
        yield signal(path, "mlflow-requirement", specifier)
    elif name in FRAMEWORKS:
        yield signal(path, "framework-requirement", name + specifier)


def requirements(path: str, texts: Iterable[str]) -> Iterator[Finding]:
    for text in texts:
        yield from requirement_findings(path, parse_requirement(text))


def poetry_requirement(name: str, constraint: str) -> tuple[str, str] | None:
    """Poetry and Pipenv tables: `name = "^1.2"`, `"1.2"` (exactly 1.2), `"*"`, `">=1.2"`."""
    constraint = constraint.strip()
    if constraint in ("", "*"):
        return parse_requirement(name)
    if _POETRY_RANGE.fullmatch(constraint) and not constraint.startswith("~="):
        parsed = parse_requirement(name)
        return None if parsed is None else (parsed[0], re.sub(r"\s+", "", constraint))
    if constraint[0] not in "<>=!~":
        constraint = "==" + constraint
    return parse_requirement(name + constraint)


def table_requirements(path: str, section: Mapping[str, Any] | None) -> Iterator[Finding]:
    for name, spec in (section or {}).items():
        version = spec if isinstance(spec, str) else (spec or {}).get("version", "")
        yield from requirement_findings(path, poetry_requirement(name, str(version)))


def conda_item(item: str) -> str:
    item = _CONDA_CHANNEL.sub("", item.strip().strip("'\""))
    return _CONDA_BUILD.sub(r"\1", _CONDA_EQUALS.sub(r"\1==", item))


def exact(specifier: str) -> bool:
    """Whether a specifier pins one version: an `==` clause without a wildcard, or `===`."""
    for clause in specifier.split(","):
        clause = clause.strip()
        if clause.startswith("===") or (clause.startswith("==") and not clause.endswith(".*")):
            return True
    return False


def pinned_environment(path: str, kind: str, texts: Iterable[str]) -> Iterator[Finding]:
    """`pinned-env` when every requirement `texts` lists (any package, not only mlflow and the
    frameworks) pins one version: an environment that can be rebuilt as it was."""
    found = [parsed for parsed in map(parse_requirement, texts) if parsed is not None]
    if found and all(exact(specifier) for _, specifier in found):
        yield signal(path, "pinned-env", kind)


def listed_items(text: str) -> list[str]:
    """The tolerant line reader, for a file YAML cannot parse: every `- item` line."""
    return [m["item"].strip() for line in text.splitlines() if (m := _LIST_ITEM.match(line))]
