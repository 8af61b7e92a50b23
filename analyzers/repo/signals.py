"""Repository-level signals read from files, never by running anything.

Each detector has an ID, the file names it reads, and a function from (path, text) to signals;
they all live in `DETECTORS`. A signal is one tidy row: `repo, commit, path, signal, value`.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from analyzers.code.uris import redact_uri
from analyzers.records import RepoRef
from analyzers.repo.files import regular_files
from analyzers.schema import columns

MAX_SIGNAL_FILE_BYTES = 1024 * 1024
SIGNAL_COLUMNS = columns("signals")


@dataclass(frozen=True, slots=True)
class Signal:
    path: str
    signal: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Detector:
    id: str
    patterns: tuple[str, ...]  # fnmatch patterns on the file name
    detect: Callable[[str, str], Iterator[Signal]]
    description: str

    def reads(self, path: str) -> bool:
        """Patterns with a `/` match the repository-relative path, others the file name."""
        name = path.rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatch(path if "/" in pattern else name, pattern) for pattern in self.patterns
        )


# --------------------------------------------------------------------------- requirements
# A requirement: a distribution name, optional extras, an optional version specifier.
_REQUIREMENT = re.compile(
    r"""(?ix)^\s*(?P<name>[a-z0-9][a-z0-9._-]*)(?:\[[^\]]*\])?\s*
        (?P<spec>(?:===|[<>=!~]=?|\^)\s*[\w.*+!-]+(?:\s*,\s*(?:===|[<>=!~]=?)\s*[\w.*+!-]+)*)?
        \s*(?:;.*)?$"""
)
_QUOTED = re.compile(r"""["']([^"'\n]+)["']""")
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


def _requirement(line: str) -> tuple[str, str] | None:
    """(normalised name, specifier) of a requirement line, "" when unpinned; else None."""
    match = _REQUIREMENT.match(line.split("#", 1)[0].strip())
    if match is None:
        return None
    name = re.sub(r"[-_.]+", "-", match.group("name").lower())
    return name, re.sub(r"\s+", "", match.group("spec") or "")


def _requirement_signals(path: str, line: str) -> Iterator[Signal]:
    parsed = _requirement(line)
    if parsed is None:
        return
    name, spec = parsed
    if name in MLFLOW_DISTRIBUTIONS:
        yield Signal(path, "mlflow-requirement", spec)
    elif name in FRAMEWORKS:
        yield Signal(path, "framework-requirement", name + spec)


def _requirements_txt(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "requirements")
    for line in text.splitlines():
        yield from _requirement_signals(path, line)


def _quoted_requirements(path: str, text: str) -> Iterator[Signal]:
    """setup.py and friends: requirement strings wherever they are quoted."""
    for quoted in _QUOTED.findall(text):
        yield from _requirement_signals(path, quoted)


def _setup_py(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "setup")
    yield from _quoted_requirements(path, text)


def _setup_cfg(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "setup")
    for line in text.splitlines():
        yield from _requirement_signals(path, line)


def _pyproject(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "pyproject")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        yield from _quoted_requirements(path, text)
        return
    project = table.get("project", {})
    requirements = list(project.get("dependencies", []) or [])
    for extra in (project.get("optional-dependencies", {}) or {}).values():
        requirements.extend(extra or [])
    for group in (table.get("dependency-groups", {}) or {}).values():
        requirements.extend(item for item in group or [] if isinstance(item, str))
    for requirement in requirements:
        if isinstance(requirement, str):
            yield from _requirement_signals(path, requirement)
    poetry = table.get("tool", {}).get("poetry", {})
    sections = [poetry.get("dependencies", {})]
    sections += [group.get("dependencies", {}) for group in poetry.get("group", {}).values()]
    for section in sections:
        yield from _table_requirements(path, section)


def _table_requirements(path: str, section: dict[str, Any] | None) -> Iterator[Signal]:
    """Poetry and Pipenv tables: `name = "^1.2"` or `name = {version = "1.2"}`."""
    for name, spec in (section or {}).items():
        version = spec if isinstance(spec, str) else (spec or {}).get("version", "")
        yield from _requirement_signals(path, name + _poetry_spec(str(version)))


def _poetry_spec(version: str) -> str:
    version = version.strip()
    if version in ("", "*"):
        return ""
    if version.startswith("^"):  # Poetry's caret: compatible release
        return version
    return version if version[0] in "<>=!~" else f"=={version}"


def _pipfile(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "pipfile")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    for section in ("packages", "dev-packages"):
        yield from _table_requirements(path, table.get(section, {}))


# `- mlflow=2.3`, `- mlflow==2.3` (pip section), `- mlflow`
_CONDA_ITEM = re.compile(r"^\s*-\s*(?P<item>[^#\n]+)")


def _conda(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "conda")
    for line in text.splitlines():
        match = _CONDA_ITEM.match(line)
        if match is None:
            continue
        item = match.group("item").strip().strip("'\"")
        item = re.sub(r"^[\w-]+::", "", item)
        # conda's single `=` means "this version": normalise to pip's `==`.
        item = re.sub(r"^([\w.-]+)\s*=(?!=)\s*", r"\1==", item)
        yield from _requirement_signals(path, item)


def _python_env(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "python_env")
    for line in text.splitlines():
        match = _CONDA_ITEM.match(line)
        if match is not None:
            yield from _requirement_signals(path, match.group("item").strip().strip("'\""))


_MLPROJECT_ENV = re.compile(r"^(conda_env|python_env|docker_env)\s*:", re.MULTILINE)
_ENV_NAMES = {"conda_env": "conda", "python_env": "python_env", "docker_env": "docker"}


def _mlproject(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "mlproject")
    kinds = sorted({_ENV_NAMES[key] for key in _MLPROJECT_ENV.findall(text)})
    for kind in kinds or ["none"]:
        yield Signal(path, "mlproject-env", kind)


# MLFLOW_TRACKING_URI=..., MLFLOW_TRACKING_URI: ..., ENV MLFLOW_TRACKING_URI ..., and
# ["MLFLOW_TRACKING_URI", "..."] (MLproject docker_env), in .env, compose, workflow files.
_LOCATION_SETTING = re.compile(
    r"""(?P<var>MLFLOW_(?:TRACKING|REGISTRY)_URI)["']?\s*(?:[:=,]|\s(?=\S))\s*
        (?P<value>"[^"\n]*"|'[^'\n]*'|\$\{\{[^}]*\}\}|[^\s#,\]]+)""",
    re.VERBOSE,
)
_ENV_REFERENCE = re.compile(r"^\$\{\{\s*(?:secrets|vars|env)\.(\w+)\s*\}\}$|^\$\{?(\w+)[^}]*\}?$")
_LOCATION_FACTS = {"MLFLOW_TRACKING_URI": "tracking-uri", "MLFLOW_REGISTRY_URI": "registry-uri"}


def location_value(raw: str) -> str:
    """A configured URI as stored: unquoted, `env:NAME` for a variable, credentials hidden."""
    value = raw.strip().strip("'\"")
    reference = _ENV_REFERENCE.match(value)
    if reference:
        return f"env:{reference.group(1) or reference.group(2)}"
    return redact_uri(value)


def _locations(path: str, text: str) -> Iterator[Signal]:
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in _LOCATION_SETTING.finditer(line):
            yield Signal(
                path, _LOCATION_FACTS[match.group("var")], location_value(match.group("value"))
            )


def _with_locations(
    detect: Callable[[str, str], Iterator[Signal]],
) -> Callable[[str, str], Iterator[Signal]]:
    def both(path: str, text: str) -> Iterator[Signal]:
        yield from detect(path, text)
        yield from _locations(path, text)

    return both


def _file_kind(kind: str) -> Callable[[str, str], Iterator[Signal]]:
    def detect(path: str, text: str) -> Iterator[Signal]:
        yield Signal(path, "env-file", kind)

    return detect


def _dvc(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "dvc")


DETECTORS: tuple[Detector, ...] = (
    Detector(
        "S001",
        ("MLproject", "MLProject"),
        _with_locations(_mlproject),
        "An MLflow Project file, the environment it declares, tracking URIs it sets.",
    ),
    Detector(
        "S002",
        ("requirements*.txt", "requirements*.in"),
        _requirements_txt,
        "pip requirements, and the mlflow pin in them.",
    ),
    Detector(
        "S003",
        ("pyproject.toml",),
        _pyproject,
        "PEP 621 / Poetry dependencies, and the mlflow pin in them.",
    ),
    Detector("S004", ("setup.py",), _setup_py, "setuptools install_requires strings."),
    Detector("S005", ("setup.cfg",), _setup_cfg, "setuptools install_requires lines."),
    Detector("S006", ("Pipfile",), _pipfile, "Pipenv packages."),
    Detector(
        "S007",
        (
            "environment.yml",
            "environment.yaml",
            "conda.yml",
            "conda.yaml",
            "*conda*.yml",
            "*conda*.yaml",
        ),
        _conda,
        "conda environments.",
    ),
    Detector(
        "S008", ("python_env.yaml", "python_env.yml"), _python_env, "MLflow's python_env files."
    ),
    Detector(
        "S009",
        ("Dockerfile", "Dockerfile.*", "*.dockerfile"),
        _with_locations(_file_kind("dockerfile")),
        "Docker images (and ENV URIs).",
    ),
    Detector("S010", ("poetry.lock",), _file_kind("poetry-lock"), "Poetry lock files."),
    Detector("S011", ("uv.lock",), _file_kind("uv-lock"), "uv lock files."),
    Detector("S012", ("dvc.yaml", "*.dvc"), _dvc, "DVC pipelines and tracked data."),
    Detector(
        "S013",
        (
            ".env",
            ".env.*",
            "*.env",
            "docker-compose*.yml",
            "docker-compose*.yaml",
            "compose.yml",
            "compose.yaml",
            ".github/workflows/*.yml",
            ".github/workflows/*.yaml",
        ),
        _locations,
        "MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI set in configuration.",
    ),
)


def detect_signals(repo: RepoRef, include_vendored: bool = False) -> Iterator[Signal]:
    """Signals of every file in the repository that a detector reads, in path order."""
    for path, full in regular_files(repo.root, include_vendored):
        detectors = [d for d in DETECTORS if d.reads(path)]
        if not detectors:
            continue
        try:
            if os.path.getsize(full) > MAX_SIGNAL_FILE_BYTES:
                continue
            with open(full, "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        seen: set[Signal] = set()
        for detector in detectors:
            for signal in detector.detect(path, text):
                if signal not in seen:
                    seen.add(signal)
                    yield signal


def signal_rows(repo: RepoRef, include_vendored: bool = False) -> Iterator[dict[str, str]]:
    for signal in detect_signals(repo, include_vendored):
        yield {
            "repo": repo.name,
            "commit": repo.commit,
            "path": signal.path,
            "signal": signal.signal,
            "value": signal.value,
        }
