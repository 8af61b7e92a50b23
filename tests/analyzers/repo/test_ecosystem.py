"""Ecosystem signals: every tool from files, imports and workflow steps, positive and negative."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzers.records import RepoRef
from analyzers.repo.ecosystem import (
    DETECTORS,
    ECOSYSTEM_COLUMNS,
    TOOLS,
    detect_ecosystem,
    detect_file,
    ecosystem_rows,
    python_code,
    tree_paths,
)
from mining.git.clone import SPARSE_PATTERNS
from tests.conftest import git, make_git_repo


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "code", "source": cell} for cell in cells],
            "metadata": {"kernelspec": {"language": "python"}},
            "nbformat": 4,
        }
    )


WORKFLOW = """name: ci
on: [push]
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: iterative/setup-cml@v2
      - run: |
          python src/train_model.py --epochs 3
          dvc repro
          mlflow run . -P alpha=0.5
          cml comment create report.md
      - run: mlflow server --host 0.0.0.0 &
      - run: cml runner launch --labels=gpu
      - run: cml-publish plot.png --md >> report.md
"""

# (tool the case is about, path, content, expected {(tool, evidence)}): positive and negative
# cases for every tool.
CASES: list[tuple[str, str, str, set[tuple[str, str]]]] = [
    # dvc
    ("dvc", "dvc.yaml", "stages: {}\n", {("dvc", "dvc.yaml")}),
    ("dvc", "dvc.lock", "schema: '2.0'\n", {("dvc", "dvc.lock")}),
    ("dvc", "data/raw.csv.dvc", "outs: []\n", {("dvc", "*.dvc")}),
    ("dvc", ".dvc/config", "[core]\n", {("dvc", ".dvc/config")}),
    (
        "dvc",
        "pipeline.py",
        "import dvc.api\n\nwith dvc.api.open('x') as f:\n    pass\n",
        {("dvc", "import dvc.api")},
    ),
    ("dvc", "pipeline.py", "from dvc import api\n", {("dvc", "import dvc.api")}),
    ("dvc", "pipeline.py", "from dvc.api import params_show\n", {("dvc", "import dvc.api")}),
    ("dvc", "pipeline.py", "# import dvc.api\nprint('dvc.api')\n", set()),
    ("dvc", "pipeline.py", "import dvclive\n", set()),
    ("dvc", "dvc.yml", "stages: {}\n", set()),
    ("dvc", "data.dvcignore", "x\n", set()),
    # hydra
    (
        "hydra",
        "train.py",
        "import hydra\n\n@hydra.main(config_path='conf')\ndef main(cfg):\n    pass\n",
        {("hydra", "@hydra.main")},
    ),
    (
        "hydra",
        "train.py",
        "from hydra import compose, initialize\ncfg = compose('config')\n",
        {("hydra", "hydra.compose")},
    ),
    (
        "hydra",
        "train.py",
        "import hydra\ncfg = hydra.compose(config_name='x')\n",
        {("hydra", "hydra.compose")},
    ),
    ("hydra", "train.py", "# @hydra.main is what we would use\nhydra_mode = 1\n", set()),
    (
        "hydra",
        "conf/config.yaml",
        "defaults:\n  - model: resnet\n  - _self_\n",
        {("hydra", "conf/ tree")},
    ),
    (
        "hydra",
        "src/conf/model/resnet.yaml",
        "_target_: models.ResNet\ndepth: 50\n",
        {("hydra", "conf/ tree")},
    ),
    (
        "hydra",
        "configs/experiment/a.yml",
        "# @package _global_\nlr: 0.1\n",
        {("hydra", "configs/ tree")},
    ),
    ("hydra", "conf/settings.yaml", "learning_rate: 0.1\nbatch: 32\n", set()),
    ("hydra", "myconf/config.yaml", "defaults:\n  - a\n", set()),
    ("hydra", "config.yaml", "defaults:\n  - a\n", set()),
    # github-actions and cml (a cml case is about both)
    (
        "github-actions",
        ".github/workflows/ci.yml",
        WORKFLOW,
        {
            ("github-actions", "workflow"),
            ("github-actions", "workflow: train"),
            ("github-actions", "workflow: dvc repro"),
            ("github-actions", "workflow: mlflow run"),
            ("github-actions", "workflow: mlflow server"),
            ("cml", "workflow: setup-cml"),
            ("cml", "workflow: cml comment"),
            ("cml", "workflow: cml runner"),
            ("cml", "workflow: cml publish"),
        },
    ),
    (
        "github-actions",
        ".github/workflows/report.yaml",
        "jobs:\n  r:\n    steps:\n      - run: cml-send-comment report.md\n"
        "      - run: mlflow ui --port 5000\n",
        {
            ("github-actions", "workflow"),
            ("cml", "workflow: cml comment"),
            ("github-actions", "workflow: mlflow server"),
        },
    ),
    (
        "github-actions",
        ".github/workflows/lint.yml",
        "jobs:\n  l:\n    steps:\n      - run: ruff check .\n"
        "      # - run: python train.py && cml comment create r.md\n"
        "      - run: python -m pytest tests/test_train.py  # mlflow server\n",
        {("github-actions", "workflow")},
    ),
    ("github-actions", "ci/workflows/train.yml", "steps:\n  - run: python train.py\n", set()),
    ("github-actions", ".github/workflows/README.md", "python train.py\n", set()),
    # optuna
    (
        "optuna",
        "tune.py",
        "import optuna\nstudy = optuna.create_study(direction='minimize')\n",
        {("optuna", "optuna.create_study")},
    ),
    ("optuna", "tune.py", "from optuna import create_study\n", {("optuna", "optuna.create_study")}),
    (
        "optuna",
        "tune.py",
        "from optuna.integration.mlflow import MLflowCallback\n",
        {("optuna", "MLflowCallback")},
    ),
    (
        "optuna",
        "tune.py",
        "from optuna_integration import MLflowCallback\n",
        {("optuna", "MLflowCallback")},
    ),
    (
        "optuna",
        "tune.py",
        "import optuna\ncb = optuna.integration.MLflowCallback(metric_name='x')\n",
        {("optuna", "MLflowCallback")},
    ),
    ("optuna", "tune.py", "import optuna\ntrial = optuna.trial.FixedTrial({})\n", set()),
    ("optuna", "tune.py", "from mlflow_helpers import MLflowCallback\n", set()),
    # wandb
    ("wandb", "train.py", "import wandb\nwandb.init()\n", {("wandb", "import wandb")}),
    ("wandb", "train.py", "import os, wandb\n", {("wandb", "import wandb")}),
    (
        "wandb",
        "train.py",
        "from wandb.integration.keras import WandbCallback\n",
        {("wandb", "import wandb")},
    ),
    ("wandb", "train.py", "import wandb_helpers\nfrom wandbx import y\n", set()),
    ("wandb", "train.py", "    # import wandb\n", set()),
    # neptune
    (
        "neptune",
        "train.py",
        "import neptune\nrun = neptune.init_run()\n",
        {("neptune", "import neptune")},
    ),
    ("neptune", "train.py", "import neptune.new as neptune\n", {("neptune", "import neptune")}),
    ("neptune", "train.py", "from neptune.types import File\n", {("neptune", "import neptune")}),
    ("neptune", "train.py", "import neptune_tensorboard_plugin\n", set()),
    # comet
    (
        "comet",
        "train.py",
        "import comet_ml\nexperiment = comet_ml.Experiment()\n",
        {("comet", "import comet_ml")},
    ),
    ("comet", "train.py", "from comet_ml import Experiment\n", {("comet", "import comet_ml")}),
    ("comet", "train.py", "comet = 'comet_ml'\n", set()),
    # tensorboard
    (
        "tensorboard",
        "train.py",
        "from torch.utils.tensorboard import SummaryWriter\n",
        {("tensorboard", "torch.utils.tensorboard")},
    ),
    (
        "tensorboard",
        "train.py",
        "from torch.utils import tensorboard\n",
        {("tensorboard", "torch.utils.tensorboard")},
    ),
    (
        "tensorboard",
        "train.py",
        "from tensorboardX import SummaryWriter\n",
        {("tensorboard", "tensorboardX")},
    ),
    (
        "tensorboard",
        "train.py",
        "import tensorflow as tf\nw = tf.summary.create_file_writer('logs')\n",
        {("tensorboard", "tf.summary")},
    ),
    (
        "tensorboard",
        "train.py",
        "summary = model.summary()\n# from torch.utils.tensorboard import x\n",
        set(),
    ),
    (
        "tensorboard",
        "explore.ipynb",
        notebook("import wandb\n", "from tensorboardX import SummaryWriter"),
        {("wandb", "import wandb"), ("tensorboard", "tensorboardX")},
    ),
    ("tensorboard", "explore.ipynb", notebook("print('import wandb')"), set()),
    # uv and poetry
    ("uv", "uv.lock", "version = 1\n", {("uv", "uv.lock")}),
    (
        "uv",
        "pyproject.toml",
        "[project]\nname = 'x'\n\n[tool.uv]\ndev-dependencies = []\n",
        {("uv", "[tool.uv]")},
    ),
    ("poetry", "poetry.lock", "[[package]]\n", {("poetry", "poetry.lock")}),
    (
        "poetry",
        "pyproject.toml",
        "[tool.poetry]\nname = 'x'\n\n[tool.poetry.dependencies]\n",
        {("poetry", "[tool.poetry]")},
    ),
    ("poetry", "pyproject.toml", "[project]\nname = 'uv-poetry-demo'\n# [tool.poetry]\n", set()),
    ("uv", "requirements-uv.lock.txt", "numpy\n", set()),
    # conda
    ("conda", "environment.yml", "dependencies: [python]\n", {("conda", "environment.yml")}),
    ("conda", "environment-gpu.yaml", "dependencies: [python]\n", {("conda", "environment.yml")}),
    ("conda", "conda.yaml", "dependencies: [python]\n", {("conda", "conda.yaml")}),
    ("conda", "envs/train_conda.yml", "dependencies: [python]\n", {("conda", "conda.yaml")}),
    ("conda", "environments.md", "conda\n", set()),
    # docker
    ("docker", "Dockerfile", "FROM python:3.11\n", {("docker", "Dockerfile")}),
    ("docker", "docker/Dockerfile.gpu", "FROM nvidia/cuda\n", {("docker", "Dockerfile")}),
    ("docker", "serve.Dockerfile", "FROM python\n", {("docker", "Dockerfile")}),
    ("docker", "docker-compose.yml", "services: {}\n", {("docker", "docker-compose")}),
    ("docker", "compose.yaml", "services: {}\n", {("docker", "docker-compose")}),
    ("docker", "dockerfile.md", "FROM x\n", set()),
]


@pytest.mark.parametrize(
    ("tool", "path", "content", "expected"),
    CASES,
    ids=[f"{i}-{case[0]}-{case[1]}" for i, case in enumerate(CASES)],
)
def test_detects_each_signal(
    tool: str, path: str, content: str, expected: set[tuple[str, str]]
) -> None:
    found = {(e.tool, e.evidence) for e in detect_file(path, content.encode())}
    assert found == expected


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_has_positive_and_negative_cases(tool: str) -> None:
    mine = [
        case for case in CASES if case[0] == tool or (tool == "cml" and case[0] == "github-actions")
    ]
    assert len([case for case in mine if any(t == tool for t, _ in case[3])]) >= 2, tool
    assert [case for case in mine if not case[3]], tool


def test_registry_is_well_formed() -> None:
    ids = [detector.id for detector in DETECTORS]
    assert ids == [f"E{i:03d}" for i in range(1, len(ids) + 1)]
    assert all(detector.description.strip() and detector.patterns for detector in DETECTORS)
    produced = {tool for case in CASES for tool, _ in case[3]}
    assert produced == set(TOOLS)


def test_hydra_conf_tree_is_reported_once_per_directory(tmp_path: Path) -> None:
    make_git_repo(
        tmp_path / "r",
        {
            "conf/config.yaml": "defaults:\n  - db: pg\n",
            "conf/db/pg.yaml": "_target_: db.Postgres\n",
            "conf/db/notes.yaml": "just: settings\n",
            "src/app/configs/x.yaml": "hydra:\n  run:\n    dir: out\n",
        },
    )
    found = [
        (e.path, e.tool, e.evidence) for e in detect_ecosystem(RepoRef(str(tmp_path / "r"), "r"))
    ]
    assert found == [("conf", "hydra", "conf/ tree"), ("src/app/configs", "hydra", "configs/ tree")]


def test_file_names_come_from_the_git_tree_even_when_not_checked_out(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    make_git_repo(
        repo,
        {"uv.lock": "version = 1\n", "data/x.csv.dvc": "outs: []\n", "train.py": "import wandb\n"},
    )
    (repo / "uv.lock").unlink()  # as a sparse checkout would leave it: in the tree, not on disk
    (repo / "train.py").unlink()  # content is needed for imports: not found without the file
    found = {(e.path, e.tool) for e in detect_ecosystem(RepoRef(str(repo), "r"))}
    assert found == {("uv.lock", "uv"), ("data/x.csv.dvc", "dvc")}


def test_a_plain_directory_is_walked_and_vendored_trees_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "venv" / "lib").mkdir(parents=True)
    (tmp_path / "venv" / "lib" / "w.py").write_text("import wandb\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM node\n")
    (tmp_path / "train.py").write_text("import comet_ml\n")
    found = [(e.path, e.tool) for e in detect_ecosystem(RepoRef(str(tmp_path), "d"))]
    assert found == [("train.py", "comet")]


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("import wandb\n")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "link.py").symlink_to(outside)
    assert list(detect_ecosystem(RepoRef(str(tmp_path / "repo"), "d"))) == []


def test_rows_are_tidy(tmp_path: Path) -> None:
    sha = make_git_repo(tmp_path / "r", {"Dockerfile": "FROM x\n", "a.py": "import wandb\n"})
    rows = list(ecosystem_rows(RepoRef(str(tmp_path / "r"), "o/r", sha)))
    assert rows == [
        {
            "repo": "o/r",
            "commit": sha,
            "path": "Dockerfile",
            "tool": "docker",
            "evidence": "Dockerfile",
        },
        {"repo": "o/r", "commit": sha, "path": "a.py", "tool": "wandb", "evidence": "import wandb"},
    ]
    assert all(tuple(row) == ECOSYSTEM_COLUMNS for row in rows)


def test_python_code_drops_comments_but_keeps_code() -> None:
    code = python_code(b"import a  # import wandb\n# import wandb\nx = '#' # c\n", False)
    assert "wandb" not in code and "import a" in code and "x = '#'" in code


def test_the_cloner_fetches_what_the_detectors_read(tmp_path: Path) -> None:
    """Sparse patterns cover workflows and Hydra conf trees (the rest is read by name)."""
    repo = tmp_path / "r"
    make_git_repo(
        repo,
        {
            "conf/db/pg.yaml": "_target_: x\n",
            "src/configs/a.yml": "a: 1\n",
            ".github/workflows/ci.yml": "on: push\n",
            "big.bin": "x",
        },
    )
    git(repo, "sparse-checkout", "set", "--no-cone", *SPARSE_PATTERNS)
    on_disk = {
        str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    assert on_disk == {"conf/db/pg.yaml", "src/configs/a.yml", ".github/workflows/ci.yml"}


def test_the_tree_is_listed_through_gitsafe_so_the_checkout_config_runs_nothing(
    tmp_path: Path,
) -> None:
    """A partial clone missing its trees makes `ls-tree` fetch them lazily from its promisor
    remote; a checkout's own config could point that remote at `ext::` and allow it, running
    any command. Through `gitsafe` (GIT_ALLOW_PROTOCOL) that fetch is refused."""
    make_git_repo(tmp_path / "origin", {"train.py": "import wandb\n", "uv.lock": ""})
    git(tmp_path / "origin", "config", "uploadpack.allowFilter", "true")
    url = (tmp_path / "origin").as_uri()
    git(tmp_path, "clone", "-q", "--filter=tree:0", "--no-checkout", url, "checkout")
    marker = tmp_path / "ran"
    checkout = tmp_path / "checkout"
    git(checkout, "config", "remote.origin.url", f"ext::sh -c touch% {marker}")
    git(checkout, "config", "protocol.ext.allow", "always")
    assert tree_paths(str(checkout)) is None  # the trees could not be fetched
    assert not marker.exists()
    assert tree_paths(str(tmp_path / "origin")) == ["train.py", "uv.lock"]
