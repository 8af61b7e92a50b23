"""Python code: the MLOps tools a script or notebook imports or calls.

This is repository-level evidence of a tool, not call resolution: cheap regular expressions
over lines, whole-line and trailing comments removed (a string that spells `import wandb` on a
line of its own would count). Notebooks give their code cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from analyzers.code.notebooks import NotebookError, code_cells
from analyzers.repo.detectors.base import (
    ECOSYSTEM,
    Content,
    Detect,
    Detector,
    Example,
    Finding,
    tool,
)

_TRAILING_COMMENT = re.compile(r"(^|[ \t])#[^'\"\n]*$")
# Any of these bytes must be in a file for a code detector to find something in it.
KEYWORDS = (
    b"dvc",
    b"hydra",
    b"optuna",
    b"wandb",
    b"neptune",
    b"comet_ml",
    b"tensorboard",
    b"summary",
)


def python_code(data: bytes, notebook: bool) -> str:
    """The code of a script or of a notebook's code cells, comments removed (approximately:
    whole-line comments, and trailing comments without a quote in them); "" when the file
    holds none of `KEYWORDS`."""
    if not any(keyword in data for keyword in KEYWORDS):
        return ""
    if notebook:
        try:
            cells, _language = code_cells(data)
        except NotebookError:
            return ""
        text = "\n".join(cell.source for cell in cells)
    else:
        text = data.decode("utf-8", errors="replace")
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            lines.append("")
        else:
            lines.append(_TRAILING_COMMENT.sub("", line) if "#" in line else line)
    return "\n".join(lines)


def imports(module: str) -> str:
    """A regex for a line importing `module` or one of its submodules, in any form:
    `import m`, `import m.sub as x`, `import os, m`, `from m import x`, `from m.sub import x`."""
    escaped = re.escape(module)
    return (
        rf"^[ \t]*(?:import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*{escaped}"
        rf"(?![\w])|from[ \t]+{escaped}(?:\.[\w.]+)?[ \t]+import\b)"
    )


_FROM_IMPORTING = r"^[ \t]*from[ \t]+{module}[ \t]+import[ \t]+[^\n]*\b{name}\b"


def _rules(name: str, rules: Iterable[tuple[str, str]]) -> Detect:
    """A detector of `name` yielding each evidence whose pattern is found in the code."""
    compiled = [(evidence, re.compile(pattern, re.MULTILINE)) for evidence, pattern in rules]

    def detect(path: str, code: str | None) -> Iterator[Finding]:
        for evidence, pattern in compiled:
            if code and pattern.search(code):
                yield tool(path, name, evidence)

    return detect


def _code_detector(
    id: str, name: str, rules: Iterable[tuple[str, str]], description: str, *examples: Example
) -> Detector:
    return Detector(
        id,
        ("*.py", "*.ipynb"),
        _rules(name, rules),
        description,
        finds=tuple(example for example in examples if example.finds),
        ignores=tuple(example for example in examples if not example.finds),
        content=Content.CODE,
    )


def _finds(path: str, text: str, name: str, *evidence: str) -> Example:
    return Example(path, text, tuple((ECOSYSTEM, name, item) for item in evidence))


DETECTORS: tuple[Detector, ...] = (
    _code_detector(
        "D17",
        "dvc",
        [
            (
                "import dvc.api",
                imports("dvc.api") + "|" + _FROM_IMPORTING.format(module="dvc", name="api"),
            )
        ],
        "DVC's Python API: import dvc.api, from dvc import api.",
        _finds(
            "pipeline.py",
            "import dvc.api\n\nwith dvc.api.open('x') as f:\n    pass\n",
            "dvc",
            "import dvc.api",
        ),
        _finds("pipeline.py", "from dvc import api\n", "dvc", "import dvc.api"),
        _finds("pipeline.py", "from dvc.api import params_show\n", "dvc", "import dvc.api"),
        _finds("pipeline.py", "# import dvc.api\nprint('dvc.api')\n", "dvc"),
        _finds("pipeline.py", "import dvclive\n", "dvc"),
    ),
    _code_detector(
        "D18",
        "hydra",
        [
            ("@hydra.main", r"^[ \t]*@hydra\.main\b"),
            (
                "hydra.compose",
                r"\bhydra\.compose[ \t]*\(|"
                + _FROM_IMPORTING.format(module="hydra", name="compose"),
            ),
        ],
        "Hydra entry points (@hydra.main) and the compose API (hydra.compose).",
        _finds(
            "train.py",
            "import hydra\n\n@hydra.main(config_path='conf')\ndef main(cfg):\n    pass\n",
            "hydra",
            "@hydra.main",
        ),
        _finds(
            "train.py",
            "from hydra import compose, initialize\ncfg = compose('config')\n",
            "hydra",
            "hydra.compose",
        ),
        _finds(
            "train.py",
            "import hydra\ncfg = hydra.compose(config_name='x')\n",
            "hydra",
            "hydra.compose",
        ),
        _finds("train.py", "# @hydra.main is what we would use\nhydra_mode = 1\n", "hydra"),
    ),
    _code_detector(
        "D19",
        "optuna",
        [
            (
                "optuna.create_study",
                r"\boptuna\.create_study[ \t]*\(|"
                + _FROM_IMPORTING.format(module="optuna", name="create_study"),
            ),
            (
                "MLflowCallback",
                _FROM_IMPORTING.format(
                    module=r"optuna(?:\.integration|_integration)(?:\.mlflow)?",
                    name="MLflowCallback",
                )
                + r"|\boptuna(?:\.integration|_integration)(?:\.mlflow)?\.MLflowCallback\b",
            ),
        ],
        "Optuna studies (optuna.create_study) and the MLflow-Optuna callback (MLflowCallback "
        "from optuna.integration or optuna_integration).",
        _finds(
            "tune.py",
            "import optuna\nstudy = optuna.create_study(direction='minimize')\n",
            "optuna",
            "optuna.create_study",
        ),
        _finds("tune.py", "from optuna import create_study\n", "optuna", "optuna.create_study"),
        _finds(
            "tune.py",
            "from optuna.integration.mlflow import MLflowCallback\n",
            "optuna",
            "MLflowCallback",
        ),
        _finds(
            "tune.py", "from optuna_integration import MLflowCallback\n", "optuna", "MLflowCallback"
        ),
        _finds(
            "tune.py",
            "import optuna\ncb = optuna.integration.MLflowCallback(metric_name='x')\n",
            "optuna",
            "MLflowCallback",
        ),
        _finds("tune.py", "import optuna\ntrial = optuna.trial.FixedTrial({})\n", "optuna"),
        _finds("tune.py", "from mlflow_helpers import MLflowCallback\n", "optuna"),
    ),
    _code_detector(
        "D20",
        "wandb",
        [("import wandb", imports("wandb"))],
        "Weights & Biases: import wandb.",
        _finds("train.py", "import wandb\nwandb.init()\n", "wandb", "import wandb"),
        _finds("train.py", "import os, wandb\n", "wandb", "import wandb"),
        _finds(
            "train.py",
            "from wandb.integration.keras import WandbCallback\n",
            "wandb",
            "import wandb",
        ),
        _finds(
            "explore.ipynb",
            '{"cells": [{"cell_type": "code", "source": "import wandb"}], "metadata": '
            '{"kernelspec": {"language": "python"}}, "nbformat": 4}',
            "wandb",
            "import wandb",
        ),
        _finds("train.py", "import wandb_helpers\nfrom wandbx import y\n", "wandb"),
        _finds("train.py", "    # import wandb\n", "wandb"),
        _finds(
            "explore.ipynb",
            '{"cells": [{"cell_type": "code", "source": "print(\'import wandb\')"}], '
            '"metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4}',
            "wandb",
        ),
    ),
    _code_detector(
        "D21",
        "neptune",
        [("import neptune", imports("neptune"))],
        "Neptune: import neptune.",
        _finds(
            "train.py", "import neptune\nrun = neptune.init_run()\n", "neptune", "import neptune"
        ),
        _finds("train.py", "import neptune.new as neptune\n", "neptune", "import neptune"),
        _finds("train.py", "from neptune.types import File\n", "neptune", "import neptune"),
        _finds("train.py", "import neptune_tensorboard_plugin\n", "neptune"),
    ),
    _code_detector(
        "D22",
        "comet",
        [("import comet_ml", imports("comet_ml"))],
        "Comet: import comet_ml.",
        _finds(
            "train.py",
            "import comet_ml\nexperiment = comet_ml.Experiment()\n",
            "comet",
            "import comet_ml",
        ),
        _finds("train.py", "from comet_ml import Experiment\n", "comet", "import comet_ml"),
        _finds("train.py", "comet = 'comet_ml'\n", "comet"),
    ),
    _code_detector(
        "D23",
        "tensorboard",
        [
            (
                "torch.utils.tensorboard",
                imports("torch.utils.tensorboard")
                + "|"
                + _FROM_IMPORTING.format(module=r"torch\.utils", name="tensorboard"),
            ),
            ("tensorboardX", imports("tensorboardX")),
            ("tf.summary", r"\b(?:tf|tensorflow)\.summary\.\w+"),
        ],
        "TensorBoard: torch.utils.tensorboard, tensorboardX, tf.summary.",
        _finds(
            "train.py",
            "from torch.utils.tensorboard import SummaryWriter\n",
            "tensorboard",
            "torch.utils.tensorboard",
        ),
        _finds(
            "train.py",
            "from torch.utils import tensorboard\n",
            "tensorboard",
            "torch.utils.tensorboard",
        ),
        _finds(
            "train.py", "from tensorboardX import SummaryWriter\n", "tensorboard", "tensorboardX"
        ),
        _finds(
            "train.py",
            "import tensorflow as tf\nw = tf.summary.create_file_writer('logs')\n",
            "tensorboard",
            "tf.summary",
        ),
        _finds(
            "train.py",
            "summary = model.summary()\n# from torch.utils.tensorboard import x\n",
            "tensorboard",
        ),
    ),
)
