"""The MLOps tools that travel with MLflow, read from files and imports, never by running them.

Each detector has an ID, the paths it reads, a function from (path, text) to evidence, and a
description; they all live in `DETECTORS`, in the style of `analyzers.repo.signals`. A piece of
evidence is one tidy row: `repo, commit, path, tool, evidence`, e.g.

    demo/churn-sklearn, 1a2b..., dvc.yaml,                      dvc,            dvc.yaml
    demo/churn-sklearn, 1a2b..., src/train.py,                  wandb,          import wandb
    demo/churn-sklearn, 1a2b..., .github/workflows/train.yml,   cml,            workflow: cml comment

Where evidence comes from:

* file names (DVC's `dvc.yaml`/`*.dvc`, `uv.lock`, `poetry.lock`, conda environments,
  Dockerfiles): from the git tree of the checkout when there is one, so files that the sparse
  checkout did not fetch (a 2 MB `uv.lock`) still count, else from the directory;
* file contents (workflows, Hydra `conf/` trees, `pyproject.toml`, Python scripts and the code
  cells of notebooks): from the files on disk. Python code is matched with cheap regular
  expressions over lines, whole-line comments and trailing comments removed: this is repository
  -level evidence of a tool, not call resolution (a string that spells `import wandb` on a line
  of its own would count).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from analyzers.code.notebooks import NotebookError, code_cells
from analyzers.records import RepoRef
from analyzers.repo.files import ALWAYS_SKIPPED, VENDORED_DIRS, regular_files
from analyzers.repo.gitsafe import GitTimeout, SafeGit
from analyzers.schema import columns

ECOSYSTEM_COLUMNS = columns("ecosystem")
TOOLS = (
    "dvc",
    "hydra",
    "cml",
    "github-actions",
    "optuna",
    "wandb",
    "neptune",
    "comet",
    "tensorboard",
    "uv",
    "poetry",
    "conda",
    "docker",
)
MAX_TEXT_BYTES = 1024 * 1024  # workflows, YAML, pyproject.toml
MAX_SCRIPT_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
HYDRA_CONF_DIRS = ("conf", "configs")
TREE_SECONDS = 120  # listing a tree reads no blob: minutes would mean a broken repository


@dataclass(frozen=True, slots=True)
class Evidence:
    path: str
    tool: str
    evidence: str


@dataclass(frozen=True, slots=True)
class EcosystemDetector:
    """`patterns` are fnmatch patterns: with a `/`, on the repository-relative path (at any
    depth: `conf/*.yaml` also matches `src/conf/db/x.yaml`); without, on the file name.
    `content` says whether `detect` reads the text (else it gets "": the name is the evidence).
    """

    id: str
    patterns: tuple[str, ...]
    detect: Callable[[str, str], Iterator[Evidence]]
    description: str
    content: bool = True

    def reads(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        for pattern in self.patterns:
            if "/" not in pattern:
                if fnmatch.fnmatchcase(name, pattern):
                    return True
            elif fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, "*/" + pattern):
                return True
        return False


# --------------------------------------------------------------------------- Python code

_TRAILING_COMMENT = re.compile(r"(^|[ \t])#[^'\"\n]*$")


def python_code(data: bytes, notebook: bool) -> str:
    """The code of a script or of a notebook's code cells, comments removed (approximately:
    whole-line comments, and trailing comments without a quote in them)."""
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


def _code_detector(
    tool: str, rules: Iterable[tuple[str, str]]
) -> Callable[[str, str], Iterator[Evidence]]:
    compiled = [(evidence, re.compile(pattern, re.MULTILINE)) for evidence, pattern in rules]

    def detect(path: str, code: str) -> Iterator[Evidence]:
        for evidence, pattern in compiled:
            if pattern.search(code):
                yield Evidence(path, tool, evidence)

    return detect


_FROM_IMPORTING = r"^[ \t]*from[ \t]+{module}[ \t]+import[ \t]+[^\n]*\b{name}\b"

_DVC_API = _code_detector(
    "dvc",
    [
        (
            "import dvc.api",
            imports("dvc.api") + "|" + _FROM_IMPORTING.format(module=r"dvc", name="api"),
        ),
    ],
)
_HYDRA_CODE = _code_detector(
    "hydra",
    [
        ("@hydra.main", r"^[ \t]*@hydra\.main\b"),
        (
            "hydra.compose",
            r"\bhydra\.compose[ \t]*\("
            "|" + _FROM_IMPORTING.format(module="hydra", name="compose"),
        ),
    ],
)
_OPTUNA = _code_detector(
    "optuna",
    [
        (
            "optuna.create_study",
            r"\boptuna\.create_study[ \t]*\("
            "|" + _FROM_IMPORTING.format(module="optuna", name="create_study"),
        ),
        (
            "MLflowCallback",
            _FROM_IMPORTING.format(
                module=r"optuna(?:\.integration|_integration)(?:\.mlflow)?", name="MLflowCallback"
            )
            + r"|\boptuna(?:\.integration|_integration)(?:\.mlflow)?\.MLflowCallback\b",
        ),
    ],
)
_WANDB = _code_detector("wandb", [("import wandb", imports("wandb"))])
_NEPTUNE = _code_detector("neptune", [("import neptune", imports("neptune"))])
_COMET = _code_detector("comet", [("import comet_ml", imports("comet_ml"))])
_TENSORBOARD = _code_detector(
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
)
# Any of these bytes must be in a file for a Python detector to find something in it.
_PYTHON_KEYWORDS = (
    b"dvc",
    b"hydra",
    b"optuna",
    b"wandb",
    b"neptune",
    b"comet_ml",
    b"tensorboard",
    b"summary",
)

# --------------------------------------------------------------------------- workflows

_YAML_COMMENT = re.compile(r"(^|[ \t])#.*$", re.MULTILINE)
_WORKFLOW_RULES: tuple[tuple[str, str, str], ...] = (
    (
        "github-actions",
        "workflow: train",
        r"\bpython3?(?:[ \t]+-[uBO])*[ \t]+(?:[\w./-]*/)?train[\w-]*\.py\b"
        r"|\bpython3?(?:[ \t]+-[uBO])*[ \t]+-m[ \t]+[\w.]*\btrain\w*\b",
    ),
    ("github-actions", "workflow: dvc repro", r"\bdvc[ \t]+repro\b"),
    ("github-actions", "workflow: mlflow run", r"\bmlflow[ \t]+run\b"),
    ("github-actions", "workflow: mlflow server", r"\bmlflow[ \t]+(?:server|ui)\b"),
    ("cml", "workflow: setup-cml", r"\buses:[ \t]*['\"]?iterative/setup-cml\b"),
    ("cml", "workflow: cml comment", r"\bcml[ \t]+(?:comment|send-comment)\b|\bcml-send-comment\b"),
    ("cml", "workflow: cml runner", r"\bcml[ \t]+runner\b|\bcml-runner\b"),
    ("cml", "workflow: cml publish", r"\bcml[ \t]+publish\b|\bcml-publish\b"),
)
_WORKFLOW_PATTERNS = tuple(
    (tool, evidence, re.compile(pattern)) for tool, evidence, pattern in _WORKFLOW_RULES
)


def _workflow(path: str, text: str) -> Iterator[Evidence]:
    """A GitHub Actions workflow, and the steps that train, report with CML or serve MLflow."""
    if not path.startswith(".github/workflows/"):
        return  # only the repository's own workflows run
    yield Evidence(path, "github-actions", "workflow")
    code = _YAML_COMMENT.sub("", text)
    for tool, evidence, pattern in _WORKFLOW_PATTERNS:
        if pattern.search(code):
            yield Evidence(path, tool, evidence)


# --------------------------------------------------------------------------- Hydra config trees

# A Hydra config: a top-level defaults list, an instantiable `_target_`, the `hydra:` section
# or a `# @package` header. A conf/ directory of plain YAML settings is not evidence.
_HYDRA_YAML = re.compile(
    r"^defaults[ \t]*:|^[ \t-]*_target_[ \t]*:|^hydra[ \t]*:|^#[ \t]*@package\b", re.MULTILINE
)


def _hydra_conf(path: str, text: str) -> Iterator[Evidence]:
    parts = path.split("/")
    for index, part in enumerate(parts[:-1]):
        if part in HYDRA_CONF_DIRS:
            if _HYDRA_YAML.search(text):
                yield Evidence("/".join(parts[: index + 1]), "hydra", f"{part}/ tree")
            return


# --------------------------------------------------------------------------- files and locks


def _named(tool: str, evidence: str | None = None) -> Callable[[str, str], Iterator[Evidence]]:
    """Evidence that is the file itself: `evidence`, or the file's name."""

    def detect(path: str, text: str) -> Iterator[Evidence]:
        yield Evidence(path, tool, evidence or path.rsplit("/", 1)[-1])

    return detect


def _dvc_file(path: str, text: str) -> Iterator[Evidence]:
    name = path.rsplit("/", 1)[-1]
    yield Evidence(
        path,
        "dvc",
        "*.dvc"
        if name.endswith(".dvc")
        else ".dvc/config"
        if path.endswith(".dvc/config")
        else name,
    )


def _pyproject(path: str, text: str) -> Iterator[Evidence]:
    for tool in ("poetry", "uv"):
        if re.search(rf"^[ \t]*\[tool\.{tool}(?:\.[\w.-]+)?\][ \t]*$", text, re.MULTILINE):
            yield Evidence(path, tool, f"[tool.{tool}]")


DETECTORS: tuple[EcosystemDetector, ...] = (
    EcosystemDetector(
        "E001",
        ("dvc.yaml", "dvc.lock", "*.dvc", ".dvc/config"),
        _dvc_file,
        "DVC pipelines (dvc.yaml, dvc.lock), tracked data (*.dvc), a DVC repository (.dvc/config).",
        content=False,
    ),
    EcosystemDetector(
        "E002",
        ("*.py", "*.ipynb"),
        _DVC_API,
        "DVC's Python API: import dvc.api, from dvc import api.",
    ),
    EcosystemDetector(
        "E003",
        ("*.py", "*.ipynb"),
        _HYDRA_CODE,
        "Hydra entry points (@hydra.main) and the compose API (hydra.compose).",
    ),
    EcosystemDetector(
        "E004",
        tuple(f"{d}/*.{ext}" for d in HYDRA_CONF_DIRS for ext in ("yaml", "yml")),
        _hydra_conf,
        "A Hydra config tree: conf/ or configs/ with YAML using defaults lists, "
        "_target_, hydra: or # @package.",
    ),
    EcosystemDetector(
        "E005",
        (".github/workflows/*.yml", ".github/workflows/*.yaml"),
        _workflow,
        "GitHub Actions workflows, and steps that train (python train*.py, dvc "
        "repro, mlflow run), report with CML (cml comment, setup-cml, runner, "
        "publish) or start an MLflow server (mlflow server/ui).",
    ),
    EcosystemDetector(
        "E006",
        ("*.py", "*.ipynb"),
        _OPTUNA,
        "Optuna studies (optuna.create_study) and the MLflow-Optuna callback "
        "(MLflowCallback from optuna.integration or optuna_integration).",
    ),
    EcosystemDetector("E007", ("*.py", "*.ipynb"), _WANDB, "Weights & Biases: import wandb."),
    EcosystemDetector("E008", ("*.py", "*.ipynb"), _NEPTUNE, "Neptune: import neptune."),
    EcosystemDetector("E009", ("*.py", "*.ipynb"), _COMET, "Comet: import comet_ml."),
    EcosystemDetector(
        "E010",
        ("*.py", "*.ipynb"),
        _TENSORBOARD,
        "TensorBoard: torch.utils.tensorboard, tensorboardX, tf.summary.",
    ),
    EcosystemDetector("E011", ("uv.lock",), _named("uv"), "uv lock files.", content=False),
    EcosystemDetector(
        "E012", ("poetry.lock",), _named("poetry"), "Poetry lock files.", content=False
    ),
    EcosystemDetector(
        "E013",
        ("pyproject.toml",),
        _pyproject,
        "[tool.poetry] or [tool.uv] sections of pyproject.toml.",
    ),
    EcosystemDetector(
        "E014",
        (
            "environment.yml",
            "environment.yaml",
            "environment-*.yml",
            "environment-*.yaml",
            "environment_*.yml",
            "environment_*.yaml",
        ),
        _named("conda", "environment.yml"),
        "conda environment files.",
        content=False,
    ),
    EcosystemDetector(
        "E015",
        ("conda.yaml", "conda.yml", "*conda*.yaml", "*conda*.yml"),
        _named("conda", "conda.yaml"),
        "conda environment files named after conda (MLflow Projects' conda.yaml).",
        content=False,
    ),
    EcosystemDetector(
        "E016",
        ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile"),
        _named("docker", "Dockerfile"),
        "Docker images.",
        content=False,
    ),
    EcosystemDetector(
        "E017",
        ("docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml"),
        _named("docker", "docker-compose"),
        "Docker Compose files.",
        content=False,
    ),
)
DETECTOR_IDS = tuple(detector.id for detector in DETECTORS)


# --------------------------------------------------------------------------- walking a repository


def _vendored(path: str) -> bool:
    return any(part in VENDORED_DIRS or part in ALWAYS_SKIPPED for part in path.split("/")[:-1])


def tree_paths(root: str) -> list[str] | None:
    """Every file path of the checkout's HEAD tree (including files a sparse checkout left out),
    or None when `root` is not the top of a git checkout. Reads trees only, never a blob, and
    through `gitsafe`, so the checkout's own config cannot run anything."""
    if not os.path.isdir(os.path.join(root, ".git")):
        return None
    with tempfile.TemporaryDirectory(prefix="mlflow-miner-git-") as scratch:
        # safe.directory: a study's checkouts may belong to another user (a shared cache).
        git = SafeGit(Path(scratch), extra_config=(("safe.directory", "*"),))
        try:
            done = git.run(
                ["ls-tree", "-r", "-z", "--full-tree", "HEAD"],
                repo=Path(root),
                deadline=time.monotonic() + TREE_SECONDS,
            )
        except (OSError, GitTimeout):
            return None
    if not done.ok:
        return None
    paths = []
    for entry in done.stdout.split("\0"):
        meta, tab, path = entry.partition("\t")
        # Regular files only: no symlink (120000), no submodule (160000).
        if tab and meta.split(" ")[0] in ("100644", "100755"):
            paths.append(path)
    return sorted(paths)


def _read(root: str, path: str, limit: int) -> bytes | None:
    """The file's bytes if it is a regular file on disk within `limit`, else None."""
    full = os.path.join(root, *path.split("/"))
    try:
        info = os.lstat(full)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with open(full, "rb") as handle:
            return handle.read(limit + 1)
    except OSError:
        return None


def detect_file(path: str, data: bytes | None) -> Iterator[Evidence]:
    """Evidence from one file: its name, and its content when `data` is given."""
    detectors = [detector for detector in DETECTORS if detector.reads(path)]
    if not detectors:
        return
    python = path.endswith((".py", ".ipynb"))
    text: str | None = None
    for detector in detectors:
        if not detector.content:
            yield from detector.detect(path, "")
            continue
        if data is None:
            continue
        if text is None:
            if python:
                keywords = any(keyword in data for keyword in _PYTHON_KEYWORDS)
                text = python_code(data, path.endswith(".ipynb")) if keywords else ""
            else:
                text = data.decode("utf-8", errors="replace")
        if text:
            yield from detector.detect(path, text)


def detect_ecosystem(repo: RepoRef) -> Iterator[Evidence]:
    """Evidence of every file in the repository that a detector reads, in path order, each
    (path, tool, evidence) once. Vendored trees (venv/, site-packages/, ...) are skipped."""
    listed = tree_paths(repo.root)
    paths = listed if listed is not None else [path for path, _ in regular_files(repo.root)]
    seen: set[Evidence] = set()
    for path in paths:
        if _vendored(path):
            continue
        if not any(detector.reads(path) for detector in DETECTORS):
            continue
        limit = (
            MAX_NOTEBOOK_BYTES
            if path.endswith(".ipynb")
            else MAX_SCRIPT_BYTES
            if path.endswith(".py")
            else MAX_TEXT_BYTES
        )
        data = _read(repo.root, path, limit)
        if data is not None and len(data) > limit:
            data = None
        for evidence in detect_file(path, data):
            if evidence not in seen:
                seen.add(evidence)
                yield evidence


def ecosystem_rows(repo: RepoRef) -> Iterator[dict[str, str]]:
    """The `ecosystem.csv` rows of a repository (a `mining.study.run.RepoTable` function)."""
    for evidence in detect_ecosystem(repo):
        yield {
            "repo": repo.name,
            "commit": repo.commit,
            "path": evidence.path,
            "tool": evidence.tool,
            "evidence": evidence.evidence,
        }


__all__ = [
    "DETECTORS",
    "DETECTOR_IDS",
    "ECOSYSTEM_COLUMNS",
    "TOOLS",
    "EcosystemDetector",
    "Evidence",
    "detect_ecosystem",
    "detect_file",
    "ecosystem_rows",
    "imports",
    "python_code",
    "tree_paths",
]
