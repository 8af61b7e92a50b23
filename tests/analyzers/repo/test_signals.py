"""Repository-level signals: one table row per (file, content) and the signals it yields."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzers.records import RepoRef
from analyzers.repo.signals import DETECTORS, Signal, detect_signals

MLPROJECT_CONDA = (
    "name: x\nconda_env: conda.yaml\nentry_points:\n  main:\n    command: python t.py\n"
)

CASES = [
    ("MLproject", MLPROJECT_CONDA, [("mlproject", ""), ("mlproject-env", "conda")]),
    (
        "MLproject",
        "name: x\npython_env: python_env.yaml\n",
        [("mlproject", ""), ("mlproject-env", "python_env")],
    ),
    (
        "MLproject",
        "name: x\ndocker_env:\n  image: img\n",
        [("mlproject", ""), ("mlproject-env", "docker")],
    ),
    ("MLproject", "name: x\nentry_points: {}\n", [("mlproject", ""), ("mlproject-env", "none")]),
    (
        "MLproject",
        "name: x\n# conda_env: old.yaml\n",
        [("mlproject", ""), ("mlproject-env", "none")],
    ),
    (
        "requirements.txt",
        "mlflow==2.16.2\nnumpy\n",
        [("env-file", "requirements"), ("mlflow-requirement", "==2.16.2")],
    ),
    ("requirements.txt", "mlflow\n", [("env-file", "requirements"), ("mlflow-requirement", "")]),
    (
        "requirements.txt",
        "mlflow[extras] >= 2.0, <3  # tracking\n",
        [("env-file", "requirements"), ("mlflow-requirement", ">=2.0,<3")],
    ),
    (
        "requirements-dev.txt",
        "MLflow-Skinny~=2.9\n",
        [("env-file", "requirements"), ("mlflow-requirement", "~=2.9")],
    ),
    (
        "requirements.txt",
        "mlflow-export-import==1.2\nmlflowx\n# mlflow==1\n",
        [("env-file", "requirements")],
    ),
    (
        "requirements.txt",
        "mlflow==2.1; python_version >= '3.8'\n",
        [("env-file", "requirements"), ("mlflow-requirement", "==2.1")],
    ),
    (
        "pyproject.toml",
        '[project]\ndependencies = ["mlflow>=2.10", "pandas"]\n',
        [("env-file", "pyproject"), ("mlflow-requirement", ">=2.10")],
    ),
    (
        "pyproject.toml",
        '[project.optional-dependencies]\ntrack = ["mlflow==3.1.0"]\n',
        [("env-file", "pyproject"), ("mlflow-requirement", "==3.1.0")],
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\npython = "^3.10"\nmlflow = "^2.9.2"\n',
        [("env-file", "pyproject"), ("mlflow-requirement", "^2.9.2")],
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\nmlflow = {version = "2.8.0", extras = []}\n',
        [("env-file", "pyproject"), ("mlflow-requirement", "==2.8.0")],
    ),
    (
        "pyproject.toml",
        '[tool.poetry.group.dev.dependencies]\nmlflow = "*"\n',
        [("env-file", "pyproject"), ("mlflow-requirement", "")],
    ),
    (
        "pyproject.toml",
        "this is [not toml\n'mlflow==1.0'\n",
        [("env-file", "pyproject"), ("mlflow-requirement", "==1.0")],
    ),
    (
        "setup.py",
        'setup(install_requires=["mlflow>=1.20", "scikit-learn"])\n',
        [
            ("env-file", "setup"),
            ("mlflow-requirement", ">=1.20"),
            ("framework-requirement", "scikit-learn"),
        ],
    ),
    (
        "setup.py",
        'setup(name="mlflow-plugin", install_requires=["requests"])\n',
        [("env-file", "setup")],
    ),
    (
        "setup.cfg",
        "[options]\ninstall_requires =\n    mlflow==2.3.1\n",
        [("env-file", "setup"), ("mlflow-requirement", "==2.3.1")],
    ),
    (
        "Pipfile",
        '[packages]\nmlflow = "==2.4"\n',
        [("env-file", "pipfile"), ("mlflow-requirement", "==2.4")],
    ),
    (
        "conda.yaml",
        "dependencies:\n  - python=3.10\n  - pip:\n    - mlflow==2.5.0\n",
        [("env-file", "conda"), ("mlflow-requirement", "==2.5.0")],
    ),
    (
        "environment.yml",
        "dependencies:\n  - conda-forge::mlflow=2.6\n",
        [("env-file", "conda"), ("mlflow-requirement", "==2.6")],
    ),
    (
        "environment.yml",
        "dependencies:\n  - mlflow\n",
        [("env-file", "conda"), ("mlflow-requirement", "")],
    ),
    (
        "python_env.yaml",
        "python: 3.10\ndependencies:\n  - mlflow==2.7\n",
        [("env-file", "python_env"), ("mlflow-requirement", "==2.7")],
    ),
    ("Dockerfile", "FROM python:3.11\nRUN pip install mlflow\n", [("env-file", "dockerfile")]),
    ("uv.lock", "version = 1\n", [("env-file", "uv-lock")]),
    ("poetry.lock", "", [("env-file", "poetry-lock")]),
    ("dvc.yaml", "stages: {}\n", [("dvc", "")]),
    ("data.csv.dvc", "outs:\n- md5: x\n", [("dvc", "")]),
    (
        "requirements.txt",
        "torch==2.2.1\nscikit_learn>=1.3\nnumpy==1.26\n",
        [
            ("env-file", "requirements"),
            ("framework-requirement", "torch==2.2.1"),
            ("framework-requirement", "scikit-learn>=1.3"),
        ],
    ),
    (
        "environment.yml",
        "dependencies:\n  - pytorch::torch=2.1\n  - xgboost\n",
        [
            ("env-file", "conda"),
            ("framework-requirement", "torch==2.1"),
            ("framework-requirement", "xgboost"),
        ],
    ),
    (
        ".env",
        "MLFLOW_TRACKING_URI=http://mlflow:5000\n# MLFLOW_REGISTRY_URI=x\n",
        [("tracking-uri", "http://mlflow:5000")],
    ),
    (
        ".env.prod",
        "export MLFLOW_TRACKING_URI='postgresql://u:pw@db/ml'\n",
        [("tracking-uri", "postgresql://***:***@db/ml")],
    ),
    (
        "docker-compose.yml",
        "services:\n  app:\n    environment:\n"
        "      - MLFLOW_TRACKING_URI=http://tracking:5000\n"
        "      MLFLOW_REGISTRY_URI: ${REGISTRY_URI}\n",
        [("tracking-uri", "http://tracking:5000"), ("registry-uri", "env:REGISTRY_URI")],
    ),
    (
        ".github/workflows/train.yml",
        "env:\n  MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_URI }}\n",
        [("tracking-uri", "env:MLFLOW_URI")],
    ),
    ("other.yml", "MLFLOW_TRACKING_URI: http://not-read\n", []),
    (
        "MLproject",
        'name: x\ndocker_env:\n  image: i\n  environment: [["MLFLOW_TRACKING_URI", '
        '"sqlite:///m.db"]]\n',
        [("mlproject", ""), ("mlproject-env", "docker"), ("tracking-uri", "sqlite:///m.db")],
    ),
    (
        "Dockerfile",
        "FROM python\nENV MLFLOW_TRACKING_URI http://mlflow:5000\n",
        [("env-file", "dockerfile"), ("tracking-uri", "http://mlflow:5000")],
    ),
    ("README.md", "mlflow==2.0\n", []),
    ("train.py", "import mlflow\n", []),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"), CASES, ids=[f"{i}-{case[0]}" for i, case in enumerate(CASES)]
)
def test_signals_of_one_file(
    tmp_path: Path, name: str, content: str, expected: list[tuple[str, str]]
) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(content, encoding="utf-8")
    signals = list(detect_signals(RepoRef(str(tmp_path), "r")))
    assert signals == [Signal(name, signal, value) for signal, value in expected]


def test_signals_walk_the_tree_but_not_vendored_or_symlinks(tmp_path: Path) -> None:
    (tmp_path / "svc" / "api").mkdir(parents=True)
    (tmp_path / "svc" / "api" / "requirements.txt").write_text("mlflow==1.0\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "requirements.txt").write_text("mlflow==9\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("mlflow==6.6.6\n")
    (tmp_path / "requirements-link.txt").symlink_to(outside)
    signals = list(detect_signals(RepoRef(str(tmp_path), "r")))
    assert [(s.path, s.value) for s in signals if s.signal == "mlflow-requirement"] == [
        ("svc/api/requirements.txt", "==1.0")
    ]


def test_detector_ids_are_unique() -> None:
    assert len({d.id for d in DETECTORS}) == len(DETECTORS)
    assert all(d.description for d in DETECTORS)
