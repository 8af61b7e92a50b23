"""Repository-level signals read from files, never by running anything.

Each detector has an ID, the file names it reads, and a function from (path, text) to signals;
they all live in `DETECTORS`. A signal is one tidy row: `repo, commit, path, signal, value`.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from analyzers.files import skipped_directory
from analyzers.records import RepoRef

MAX_SIGNAL_FILE_BYTES = 1024 * 1024
SIGNAL_COLUMNS = ("repo", "commit", "path", "signal", "value")


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

    def reads(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.patterns)


# --------------------------------------------------------------------------- requirements
# `mlflow`, `mlflow-skinny` and `mlflow[extras]` with an optional version specifier.
_REQUIREMENT = re.compile(
    r"""(?ix)^\s*(?P<name>mlflow(?:[-_]skinny)?)(?:\[[^\]]*\])?\s*
        (?P<spec>(?:[<>=!~]=?|===)\s*[\w.*+!-]+(?:\s*,\s*(?:[<>=!~]=?|===)\s*[\w.*+!-]+)*)?
        \s*(?:;.*)?$""")
_QUOTED = re.compile(r"""["']([^"'\n]+)["']""")


def _requirement_value(line: str) -> str | None:
    """The specifier of an mlflow requirement line ("" when unpinned), else None."""
    match = _REQUIREMENT.match(line.split("#", 1)[0].strip())
    if match is None:
        return None
    return re.sub(r"\s+", "", match.group("spec") or "")


def _requirements_txt(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "requirements")
    for line in text.splitlines():
        value = _requirement_value(line)
        if value is not None:
            yield Signal(path, "mlflow-requirement", value)


def _quoted_requirements(path: str, text: str) -> Iterator[Signal]:
    """setup.py and friends: requirement strings wherever they are quoted."""
    for quoted in _QUOTED.findall(text):
        value = _requirement_value(quoted)
        if value is not None:
            yield Signal(path, "mlflow-requirement", value)


def _setup_py(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "setup")
    yield from _quoted_requirements(path, text)


def _setup_cfg(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "setup")
    for line in text.splitlines():
        value = _requirement_value(line)
        if value is not None:
            yield Signal(path, "mlflow-requirement", value)


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
            value = _requirement_value(requirement)
            if value is not None:
                yield Signal(path, "mlflow-requirement", value)
    poetry = table.get("tool", {}).get("poetry", {})
    sections = [poetry.get("dependencies", {})]
    sections += [group.get("dependencies", {}) for group in poetry.get("group", {}).values()]
    for section in sections:
        for name, spec in (section or {}).items():
            if _requirement_value(name) is not None:
                version = spec if isinstance(spec, str) else (spec or {}).get("version", "")
                yield Signal(path, "mlflow-requirement", _poetry_spec(str(version)))


def _poetry_spec(version: str) -> str:
    version = version.strip()
    if version in ("", "*"):
        return ""
    return version if version[0] in "<>=!~^" else f"=={version}"


def _pipfile(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "pipfile")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    for section in ("packages", "dev-packages"):
        for name, spec in (table.get(section, {}) or {}).items():
            if _requirement_value(name) is not None:
                version = spec if isinstance(spec, str) else (spec or {}).get("version", "")
                yield Signal(path, "mlflow-requirement", _poetry_spec(str(version)))


# `- mlflow=2.3`, `- mlflow==2.3` (pip section), `- mlflow`
_CONDA_ITEM = re.compile(r"^\s*-\s*(?P<item>[^#\n]+)")


def _conda(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "conda")
    for line in text.splitlines():
        match = _CONDA_ITEM.match(line)
        if match is None:
            continue
        item = match.group("item").strip().strip("'\"")
        item = re.sub(r"^conda-forge::", "", item)
        # conda's single `=` means "this version": normalise to pip's `==`.
        item = re.sub(r"^(mlflow(?:[-_]skinny)?)\s*=(?!=)\s*", r"\1==", item, flags=re.I)
        value = _requirement_value(item)
        if value is not None:
            yield Signal(path, "mlflow-requirement", value)


def _python_env(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "env-file", "python_env")
    for line in text.splitlines():
        match = _CONDA_ITEM.match(line)
        if match is not None:
            value = _requirement_value(match.group("item").strip().strip("'\""))
            if value is not None:
                yield Signal(path, "mlflow-requirement", value)


_MLPROJECT_ENV = re.compile(r"^(conda_env|python_env|docker_env)\s*:", re.MULTILINE)
_ENV_NAMES = {"conda_env": "conda", "python_env": "python_env", "docker_env": "docker"}


def _mlproject(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "mlproject")
    kinds = sorted({_ENV_NAMES[key] for key in _MLPROJECT_ENV.findall(text)})
    for kind in kinds or ["none"]:
        yield Signal(path, "mlproject-env", kind)


def _file_kind(kind: str) -> Callable[[str, str], Iterator[Signal]]:
    def detect(path: str, text: str) -> Iterator[Signal]:
        yield Signal(path, "env-file", kind)

    return detect


def _dvc(path: str, text: str) -> Iterator[Signal]:
    yield Signal(path, "dvc")


DETECTORS: tuple[Detector, ...] = (
    Detector("S001", ("MLproject", "MLProject"), _mlproject,
             "An MLflow Project file and the environment it declares."),
    Detector("S002", ("requirements*.txt", "requirements*.in"), _requirements_txt,
             "pip requirements, and the mlflow pin in them."),
    Detector("S003", ("pyproject.toml",), _pyproject,
             "PEP 621 / Poetry dependencies, and the mlflow pin in them."),
    Detector("S004", ("setup.py",), _setup_py, "setuptools install_requires strings."),
    Detector("S005", ("setup.cfg",), _setup_cfg, "setuptools install_requires lines."),
    Detector("S006", ("Pipfile",), _pipfile, "Pipenv packages."),
    Detector("S007", ("environment.yml", "environment.yaml", "conda.yml", "conda.yaml",
                      "*conda*.yml", "*conda*.yaml"), _conda, "conda environments."),
    Detector("S008", ("python_env.yaml", "python_env.yml"), _python_env,
             "MLflow's python_env files."),
    Detector("S009", ("Dockerfile", "Dockerfile.*", "*.dockerfile"), _file_kind("dockerfile"),
             "Docker images."),
    Detector("S010", ("poetry.lock",), _file_kind("poetry-lock"), "Poetry lock files."),
    Detector("S011", ("uv.lock",), _file_kind("uv-lock"), "uv lock files."),
    Detector("S012", ("dvc.yaml", "*.dvc"), _dvc, "DVC pipelines and tracked data."),
)


def detect_signals(repo: RepoRef, include_vendored: bool = False) -> Iterator[Signal]:
    """Signals of every file in the repository that a detector reads, in path order."""
    for path, full in _files(repo.root, "", include_vendored):
        name = path.rsplit("/", 1)[-1]
        detectors = [d for d in DETECTORS if d.reads(name)]
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


def _files(root: str, relative: str, include_vendored: bool) -> Iterator[tuple[str, str]]:
    directory = os.path.join(root, relative) if relative else root
    try:
        with os.scandir(directory) as it:
            children = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for child in children:
        path = f"{relative}/{child.name}" if relative else child.name
        try:
            mode = child.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            if skipped_directory(child, include_vendored) is None:
                yield from _files(root, path, include_vendored)
        elif stat.S_ISREG(mode):
            yield path, child.path


def signal_rows(repo: RepoRef, include_vendored: bool = False) -> Iterator[dict[str, str]]:
    for signal in detect_signals(repo, include_vendored):
        yield {"repo": repo.name, "commit": repo.commit, "path": signal.path,
               "signal": signal.signal, "value": signal.value}
