"""Dependency files: environment files by kind, and the mlflow and ML framework requirements in
them (read by `requirements`); YAML files parsed, with a line reader as the fallback.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator

from analyzers.repo.detectors.base import (
    ECOSYSTEM,
    INDIRECT,
    SIGNALS,
    Content,
    Detect,
    Detector,
    Example,
    Finding,
    signal,
    tool,
)
from analyzers.repo.detectors.documents import load_yaml, strings
from analyzers.repo.detectors.requirements import (
    conda_item,
    listed_items,
    pinned_environment,
    requirements,
    table_requirements,
)

_QUOTED = re.compile(r"""["']([^"'\n]+)["']""")


def requirements_txt(path: str, text: str | None) -> Iterator[Finding]:
    yield signal(path, "env-file", "requirements")
    if text is not None:
        yield from requirements(path, text.splitlines())
        yield from pinned_environment(path, "requirements", text.splitlines())


def pyproject(path: str, text: str | None) -> Iterator[Finding]:
    yield signal(path, "env-file", "pyproject")
    if text is None:
        return
    for name in ("poetry", "uv"):
        if re.search(rf"^[ \t]*\[tool\.{name}(?:\.[\w.-]+)?\][ \t]*$", text, re.MULTILINE):
            yield tool(path, name, f"[tool.{name}]")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        yield from requirements(path, _QUOTED.findall(text))
        return
    project = table.get("project", {})
    found = list(project.get("dependencies", []) or [])
    for extra in (project.get("optional-dependencies", {}) or {}).values():
        found.extend(extra or [])
    for group in (table.get("dependency-groups", {}) or {}).values():
        found.extend(item for item in group or [] if isinstance(item, str))
    yield from requirements(path, (item for item in found if isinstance(item, str)))
    poetry = table.get("tool", {}).get("poetry", {})
    sections = [poetry.get("dependencies", {})]
    sections += [group.get("dependencies", {}) for group in poetry.get("group", {}).values()]
    for section in sections:
        yield from table_requirements(path, section)


def setup_py(path: str, text: str | None) -> Iterator[Finding]:
    """setup.py: requirement strings wherever they are quoted (it is code, never run)."""
    yield signal(path, "env-file", "setup")
    if text is not None:
        yield from requirements(path, _QUOTED.findall(text))


def setup_cfg(path: str, text: str | None) -> Iterator[Finding]:
    yield signal(path, "env-file", "setup")
    if text is not None:
        yield from requirements(path, text.splitlines())


def pipfile(path: str, text: str | None) -> Iterator[Finding]:
    yield signal(path, "env-file", "pipfile")
    if text is None:
        return
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    for section in ("packages", "dev-packages"):
        yield from table_requirements(path, table.get(section, {}))


def _conda_dependencies(text: str) -> list[str]:
    document = load_yaml(text)
    if not isinstance(document, dict):
        return listed_items(text)
    items: list[str] = []
    for item in document.get("dependencies") or []:
        if isinstance(item, dict):
            items += strings(item.get("pip"))
        elif isinstance(item, str | int | float):
            items.append(str(item))
    return items


def conda(path: str, text: str | None) -> Iterator[Finding]:
    """A conda environment: its conda and pip dependencies; the tool, by the file's name."""
    yield signal(path, "env-file", "conda")
    if text is not None:
        items = [conda_item(item) for item in _conda_dependencies(text)]
        yield from requirements(path, items)
        yield from pinned_environment(path, "conda", items)
    name = path.rsplit("/", 1)[-1]
    if re.fullmatch(r"environment(?:[-_].*)?\.ya?ml", name):
        yield tool(path, "conda", "environment.yml")
    if "conda" in name:
        yield tool(path, "conda", "conda.yaml")


def python_env(path: str, text: str | None) -> Iterator[Finding]:
    """MLflow's python_env.yaml: `build_dependencies` and `dependencies`, pip requirements."""
    yield signal(path, "env-file", "python_env")
    if text is None:
        return
    document = load_yaml(text)
    if isinstance(document, dict):
        items = strings(document.get("build_dependencies"))
        items += strings(document.get("dependencies"))
    else:
        items = listed_items(text)
    items = [item.strip("'\"") for item in items]
    yield from requirements(path, items)
    yield from pinned_environment(path, "python_env", items)


def _lock(kind: str, name: str | None) -> Detect:
    """A lock file pins every package it resolved: an env-file and a pinned environment, and
    evidence of its tool (if the ecosystem table knows it)."""

    def detect(path: str, text: str | None) -> Iterator[Finding]:
        yield signal(path, "env-file", kind)
        yield signal(path, "pinned-env", kind)
        if name is not None:
            yield tool(path, name, path.rsplit("/", 1)[-1])

    return detect


S, E, IN = SIGNALS, ECOSYSTEM, INDIRECT

DETECTORS: tuple[Detector, ...] = (
    Detector(
        "D02",
        ("requirements*.txt", "requirements*.in"),
        requirements_txt,
        "pip requirements files, and the mlflow and framework requirements in them.",
        finds=(
            Example(
                "requirements.txt",
                "mlflow==2.16.2\nnumpy\n",
                ((S, "env-file", "requirements"), (S, "mlflow-requirement", "==2.16.2")),
            ),
            Example(
                "requirements.txt",
                "mlflow\n",
                ((S, "env-file", "requirements"), (S, "mlflow-requirement", "")),
            ),
            Example(
                "requirements.txt",
                "mlflow[extras] >= 2.0, <3  # tracking\n",
                ((S, "env-file", "requirements"), (S, "mlflow-requirement", ">=2.0,<3")),
            ),
            Example(
                "requirements-dev.txt",
                "MLflow-Skinny~=2.9\n",
                ((S, "env-file", "requirements"), (S, "mlflow-requirement", "~=2.9")),
            ),
            Example(
                "requirements.txt",
                "mlflow==2.1; python_version >= '3.8'\n",
                (
                    (S, "env-file", "requirements"),
                    (S, "mlflow-requirement", "==2.1"),
                    (S, "pinned-env", "requirements"),
                ),
            ),
            Example(
                "requirements.txt",
                "# pip freeze\n-r base.txt\npandas==2.2.2\nnumpy===1.26.4\n",
                ((S, "env-file", "requirements"), (S, "pinned-env", "requirements")),
            ),
            Example(
                "requirements.txt",
                "kedro>=0.19\nkedro-mlflow\n",
                ((S, "env-file", "requirements"), (IN, "kedro-mlflow", "params")),
            ),
            Example(
                "requirements.txt",
                "mlflow (>=2.0)\nmlflow @ git+https://github.com/mlflow/mlflow\n",
                (
                    (S, "env-file", "requirements"),
                    (S, "mlflow-requirement", ">=2.0"),
                    (S, "mlflow-requirement", ""),
                ),
            ),
            Example(
                "requirements.txt",
                "torch==2.2.1\nscikit_learn>=1.3\nnumpy==1.26\n",
                (
                    (S, "env-file", "requirements"),
                    (S, "framework-requirement", "torch==2.2.1"),
                    (S, "framework-requirement", "scikit-learn>=1.3"),
                ),
            ),
        ),
        ignores=(
            Example(
                "requirements.txt",
                "mlflow-export-import==1.2\nmlflowx\n# mlflow==1\n-r base.txt\nmlflow=2.3\n",
                ((S, "env-file", "requirements"),),
            ),
            Example("README.md", "mlflow==2.0\n"),
        ),
    ),
    Detector(
        "D03",
        ("pyproject.toml",),
        pyproject,
        "pyproject.toml: PEP 621, dependency groups and Poetry dependencies, the mlflow and "
        "framework requirements in them; [tool.poetry] and [tool.uv] sections.",
        finds=(
            Example(
                "pyproject.toml",
                '[project]\ndependencies = ["mlflow>=2.10", "pandas"]\n',
                ((S, "env-file", "pyproject"), (S, "mlflow-requirement", ">=2.10")),
            ),
            Example(
                "pyproject.toml",
                '[project.optional-dependencies]\ntrack = ["mlflow==3.1.0"]\n',
                ((S, "env-file", "pyproject"), (S, "mlflow-requirement", "==3.1.0")),
            ),
            Example(
                "pyproject.toml",
                '[tool.poetry.dependencies]\npython = "^3.10"\nmlflow = "^2.9.2"\n',
                (
                    (S, "env-file", "pyproject"),
                    (E, "poetry", "[tool.poetry]"),
                    (S, "mlflow-requirement", "^2.9.2"),
                ),
            ),
            Example(
                "pyproject.toml",
                '[tool.poetry.dependencies]\nmlflow = {version = "2.8.0", extras = []}\n',
                (
                    (S, "env-file", "pyproject"),
                    (E, "poetry", "[tool.poetry]"),
                    (S, "mlflow-requirement", "==2.8.0"),
                ),
            ),
            Example(
                "pyproject.toml",
                '[tool.poetry.group.dev.dependencies]\nmlflow = "*"\n',
                (
                    (S, "env-file", "pyproject"),
                    (E, "poetry", "[tool.poetry]"),
                    (S, "mlflow-requirement", ""),
                ),
            ),
            Example(
                "pyproject.toml",
                "this is [not toml\n'mlflow==1.0'\n",
                ((S, "env-file", "pyproject"), (S, "mlflow-requirement", "==1.0")),
            ),
            Example(
                "pyproject.toml",
                "[project]\nname = 'x'\n\n[tool.uv]\ndev-dependencies = []\n",
                ((S, "env-file", "pyproject"), (E, "uv", "[tool.uv]")),
            ),
        ),
        ignores=(
            Example(
                "pyproject.toml",
                "[project]\nname = 'uv-poetry-demo'\n# [tool.poetry]\n",
                ((S, "env-file", "pyproject"),),
            ),
            Example("tool.toml", '[project]\ndependencies = ["mlflow"]\n'),
        ),
    ),
    Detector(
        "D04",
        ("setup.py",),
        setup_py,
        "setup.py: requirement strings wherever they are quoted.",
        finds=(
            Example(
                "setup.py",
                'setup(install_requires=["mlflow>=1.20", "scikit-learn"])\n',
                (
                    (S, "env-file", "setup"),
                    (S, "mlflow-requirement", ">=1.20"),
                    (S, "framework-requirement", "scikit-learn"),
                ),
            ),
        ),
        ignores=(
            Example(
                "setup.py",
                'setup(name="mlflow-plugin", install_requires=["requests"])\n',
                ((S, "env-file", "setup"),),
            ),
        ),
    ),
    Detector(
        "D05",
        ("setup.cfg",),
        setup_cfg,
        "setup.cfg: install_requires lines.",
        finds=(
            Example(
                "setup.cfg",
                "[options]\ninstall_requires =\n    mlflow==2.3.1\n",
                ((S, "env-file", "setup"), (S, "mlflow-requirement", "==2.3.1")),
            ),
        ),
        ignores=(
            Example("setup.cfg", "[metadata]\nkeywords = mlflow\n", ((S, "env-file", "setup"),)),
        ),
    ),
    Detector(
        "D06",
        ("Pipfile",),
        pipfile,
        "Pipfile: Pipenv packages and dev-packages.",
        finds=(
            Example(
                "Pipfile",
                '[packages]\nmlflow = "==2.4"\n',
                ((S, "env-file", "pipfile"), (S, "mlflow-requirement", "==2.4")),
            ),
        ),
        ignores=(
            Example(
                "Pipfile", '[requires]\npython_version = "3.11"\n', ((S, "env-file", "pipfile"),)
            ),
            Example("Pipfile.lock", '{"default": {"mlflow": {}}}\n'),
        ),
    ),
    Detector(
        "D07",
        (
            "environment.yml",
            "environment.yaml",
            "environment-*.yml",
            "environment-*.yaml",
            "environment_*.yml",
            "environment_*.yaml",
            "*conda*.yml",
            "*conda*.yaml",
        ),
        conda,
        "conda environments (environment*.yml, *conda*.yaml): conda and pip dependencies.",
        finds=(
            Example(
                "conda.yaml",
                "dependencies:\n  - python=3.10\n  - pip:\n    - mlflow==2.5.0\n",
                (
                    (S, "env-file", "conda"),
                    (S, "mlflow-requirement", "==2.5.0"),
                    (S, "pinned-env", "conda"),
                    (E, "conda", "conda.yaml"),
                ),
            ),
            Example(
                "environment.yml",
                "dependencies:\n  - conda-forge::mlflow=2.6\n  - numpy\n",
                (
                    (S, "env-file", "conda"),
                    (S, "mlflow-requirement", "==2.6"),
                    (E, "conda", "environment.yml"),
                ),
            ),
            Example(
                "environment.yml",
                "dependencies: [python, mlflow]\n",
                (
                    (S, "env-file", "conda"),
                    (S, "mlflow-requirement", ""),
                    (E, "conda", "environment.yml"),
                ),
            ),
            Example(
                "environment-gpu.yaml",
                "dependencies:\n  - pytorch::torch=2.1\n  - xgboost\n",
                (
                    (S, "env-file", "conda"),
                    (S, "framework-requirement", "torch==2.1"),
                    (S, "framework-requirement", "xgboost"),
                    (E, "conda", "environment.yml"),
                ),
            ),
            Example(
                "envs/train_conda.yml",
                "dependencies:\n  - mlflow=2.3\n  pip: [broken\n",
                (
                    (S, "env-file", "conda"),
                    (S, "mlflow-requirement", "==2.3"),
                    (S, "pinned-env", "conda"),
                    (E, "conda", "conda.yaml"),
                ),
            ),
            Example(
                "environment.yml",
                "channels:\n  - mlflow\ndependencies:\n  - mlflow=2.3=py_0\n",
                (
                    (S, "env-file", "conda"),
                    (S, "mlflow-requirement", "==2.3"),
                    (S, "pinned-env", "conda"),
                    (E, "conda", "environment.yml"),
                ),
            ),
        ),
        ignores=(Example("environments.md", "conda\n"),),
    ),
    Detector(
        "D08",
        ("python_env.yaml", "python_env.yml"),
        python_env,
        "MLflow's python_env.yaml: build_dependencies and dependencies.",
        finds=(
            Example(
                "python_env.yaml",
                "python: 3.10\ndependencies:\n  - mlflow==2.7\n",
                (
                    (S, "env-file", "python_env"),
                    (S, "mlflow-requirement", "==2.7"),
                    (S, "pinned-env", "python_env"),
                ),
            ),
        ),
        ignores=(
            Example(
                "python_env.yaml",
                "python: 3.10\n# dependencies:\n#   - mlflow==2.7\n",
                ((S, "env-file", "python_env"),),
            ),
        ),
    ),
    Detector(
        "D10",
        ("poetry.lock",),
        _lock("poetry-lock", "poetry"),
        "Poetry lock files.",
        finds=(
            Example(
                "poetry.lock",
                "[[package]]\n",
                (
                    (S, "env-file", "poetry-lock"),
                    (S, "pinned-env", "poetry-lock"),
                    (E, "poetry", "poetry.lock"),
                ),
            ),
        ),
        ignores=(Example("poetry.lock.bak", ""),),
        content=Content.NAME,
    ),
    Detector(
        "D11",
        ("uv.lock",),
        _lock("uv-lock", "uv"),
        "uv lock files.",
        finds=(
            Example(
                "uv.lock",
                "version = 1\n",
                ((S, "env-file", "uv-lock"), (S, "pinned-env", "uv-lock"), (E, "uv", "uv.lock")),
            ),
        ),
        ignores=(Example("requirements-uv.lock.txt", "numpy\n"),),
        content=Content.NAME,
    ),
    Detector(
        "D24",
        ("Pipfile.lock",),
        _lock("pipfile-lock", None),
        "Pipenv lock files.",
        finds=(
            Example(
                "Pipfile.lock",
                '{"default": {}}\n',
                ((S, "env-file", "pipfile-lock"), (S, "pinned-env", "pipfile-lock")),
            ),
        ),
        ignores=(Example("Pipfile", "[packages]\n"),),
        content=Content.NAME,
    ),
    Detector(
        "D25",
        ("conda-lock.yml", "conda-lock.yaml", "*.conda-lock.yml", "*.conda-lock.yaml"),
        _lock("conda-lock", "conda"),
        "conda-lock lock files.",
        finds=(
            Example(
                "conda-lock.yml",
                "version: 1\n",
                (
                    (S, "env-file", "conda-lock"),
                    (S, "pinned-env", "conda-lock"),
                    (E, "conda", "conda-lock.yml"),
                ),
            ),
        ),
        ignores=(Example("conda-lock.md", ""),),
        content=Content.NAME,
    ),
)
