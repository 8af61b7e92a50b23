"""Configuration files: MLflow Projects, Docker, DVC, `.env`, Compose, GitHub workflows and Hydra
config trees: what they declare, the tracking and registry URIs they set, the tools they show.

YAML files (MLproject, Compose, workflows) are parsed (`documents.load_yaml`); a file that does
not parse is read line by line instead, as the tolerant fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from analyzers.code.uris import redact_uri
from analyzers.repo.detectors.base import (
    ECOSYSTEM,
    SIGNALS,
    Content,
    Detector,
    Example,
    Finding,
    signal,
    tool,
)
from analyzers.repo.detectors.documents import load_yaml, strings, walk

HYDRA_CONF_DIRS = ("conf", "configs")

# --------------------------------------------------------------------------- locations

# MLFLOW_TRACKING_URI=..., MLFLOW_TRACKING_URI: ..., ENV MLFLOW_TRACKING_URI ..., and
# ["MLFLOW_TRACKING_URI", "..."] (MLproject docker_env), in .env, compose, workflow files.
_LOCATION_SETTING = re.compile(
    r"""(?P<var>MLFLOW_(?:TRACKING|REGISTRY)_URI)["']?\s*(?:[:=,]|\s(?=\S))\s*
        (?P<value>"[^"\n]*"|'[^'\n]*'|\$\{\{[^}]*\}\}|[^\s#,\]]+)""",
    re.VERBOSE,
)
_ENV_REFERENCE = re.compile(r"^\$\{\{\s*(?:secrets|vars|env)\.(\w+)\s*\}\}$|^\$\{?(\w+)[^}]*\}?$")
LOCATION_FACTS = {"MLFLOW_TRACKING_URI": "tracking-uri", "MLFLOW_REGISTRY_URI": "registry-uri"}


def location_value(raw: str) -> str:
    """A configured URI as stored: unquoted, `env:NAME` for a variable, credentials hidden."""
    value = raw.strip().strip("'\"")
    reference = _ENV_REFERENCE.match(value)
    if reference:
        return f"env:{reference.group(1) or reference.group(2)}"
    return redact_uri(value)


def line_locations(path: str, text: str) -> Iterator[Finding]:
    """URIs set on the lines of `text` (commented lines skipped)."""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in _LOCATION_SETTING.finditer(line):
            yield signal(path, LOCATION_FACTS[match["var"]], location_value(match["value"]))


def _scalar(value: object) -> str | None:
    return str(value) if isinstance(value, str | int | float) and value is not True else None


def document_locations(path: str, document: object) -> Iterator[Finding]:
    """URIs a parsed YAML document sets: `VAR: value` entries, `[VAR, value]` pairs, and
    `VAR=value` inside any string (Compose lists, commands, scripts), in document order."""
    for key, value in walk(document):
        pair = value if isinstance(value, list) and len(value) == 2 else None
        if isinstance(key, str) and key in LOCATION_FACTS:
            scalar = _scalar(value)
            if scalar is not None:
                yield signal(path, LOCATION_FACTS[key], location_value(scalar))
        elif pair is not None and isinstance(pair[0], str) and pair[0] in LOCATION_FACTS:
            scalar = _scalar(pair[1])
            if scalar is not None:
                yield signal(path, LOCATION_FACTS[pair[0]], location_value(scalar))
        elif isinstance(value, str):
            yield from line_locations(path, value)


def _yaml_locations(path: str, text: str) -> Iterator[Finding]:
    document = load_yaml(text)
    if document is None:
        yield from line_locations(path, text)
    else:
        yield from document_locations(path, document)


# --------------------------------------------------------------------------- detectors

_MLPROJECT_ENV = re.compile(r"^(conda_env|python_env|docker_env)\s*:", re.MULTILINE)
_ENV_NAMES = {"conda_env": "conda", "python_env": "python_env", "docker_env": "docker"}


def mlproject(path: str, text: str | None) -> Iterator[Finding]:
    """An MLflow Project: the environment it declares and the URIs it sets."""
    yield signal(path, "mlproject")
    if text is None:
        return
    document = load_yaml(text)
    if isinstance(document, dict):
        keys = [key for key in _ENV_NAMES if key in document]
    else:
        keys = _MLPROJECT_ENV.findall(text)
    for kind in sorted({_ENV_NAMES[key] for key in keys}) or ["none"]:
        yield signal(path, "mlproject-env", kind)
    if isinstance(document, dict):
        yield from document_locations(path, document)
    else:
        yield from line_locations(path, text)


def dockerfile(path: str, text: str | None) -> Iterator[Finding]:
    yield signal(path, "env-file", "dockerfile")
    if text is not None:
        yield from line_locations(path, text)
    yield tool(path, "docker", "Dockerfile")


def dvc(path: str, text: str | None) -> Iterator[Finding]:
    yield signal(path, "dvc")
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".dvc"):
        yield tool(path, "dvc", "*.dvc")
    else:
        yield tool(path, "dvc", ".dvc/config" if path.endswith(".dvc/config") else name)


def dotenv(path: str, text: str | None) -> Iterator[Finding]:
    if text is not None:
        yield from line_locations(path, text)


def compose(path: str, text: str | None) -> Iterator[Finding]:
    if text is not None:
        yield from _yaml_locations(path, text)
    yield tool(path, "docker", "docker-compose")


_SHELL_COMMENT = re.compile(r"(^|[ \t])#.*$", re.MULTILINE)
# (tool, evidence, read from `uses` rather than the `run` scripts, pattern), in report order
_WORKFLOW_RULES: tuple[tuple[str, str, bool, re.Pattern[str]], ...] = tuple(
    (name, evidence, uses, re.compile(pattern))
    for name, evidence, uses, pattern in (
        (
            "github-actions",
            "workflow: train",
            False,
            r"\bpython3?(?:[ \t]+-[uBO])*[ \t]+(?:[\w./-]*/)?train[\w-]*\.py\b"
            r"|\bpython3?(?:[ \t]+-[uBO])*[ \t]+-m[ \t]+[\w.]*\btrain\w*\b",
        ),
        ("github-actions", "workflow: dvc repro", False, r"\bdvc[ \t]+repro\b"),
        ("github-actions", "workflow: mlflow run", False, r"\bmlflow[ \t]+run\b"),
        ("github-actions", "workflow: mlflow server", False, r"\bmlflow[ \t]+(?:server|ui)\b"),
        ("cml", "workflow: setup-cml", True, r"['\"]?iterative/setup-cml\b"),
        (
            "cml",
            "workflow: cml comment",
            False,
            r"\bcml[ \t]+(?:comment|send-comment)\b|\bcml-send-comment\b",
        ),
        ("cml", "workflow: cml runner", False, r"\bcml[ \t]+runner\b|\bcml-runner\b"),
        ("cml", "workflow: cml publish", False, r"\bcml[ \t]+publish\b|\bcml-publish\b"),
    )
)
_USES = re.compile(r"\buses:[ \t]*(\S+)")


def _steps(document: dict[object, object]) -> tuple[str, list[str]]:
    """The `run` scripts (joined) and the `uses` actions of a workflow's jobs and steps."""
    runs: list[str] = []
    uses: list[str] = []
    jobs = document.get("jobs")
    for job in jobs.values() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        uses += strings(job.get("uses"))
        for step in job.get("steps") or ():
            if isinstance(step, dict):
                runs += strings(step.get("run"))
                uses += strings(step.get("uses"))
    return "\n".join(runs), uses


def workflow(path: str, text: str | None) -> Iterator[Finding]:
    """A GitHub Actions workflow (only the repository's own, at its root, run): the URIs it
    sets, and the steps that train, report with CML or serve MLflow."""
    yield tool(path, "github-actions", "workflow")
    if text is None:
        return
    document = load_yaml(text)
    if isinstance(document, dict):
        yield from document_locations(path, document)
        runs, uses = _steps(document)
    else:  # the tolerant reader: every line is a script line, `uses:` wherever it is
        yield from line_locations(path, text)
        runs, uses = text, _USES.findall(_SHELL_COMMENT.sub("", text))
    runs = _SHELL_COMMENT.sub("", runs)
    for name, evidence, in_uses, rule in _WORKFLOW_RULES:
        if any(rule.match(action) for action in uses) if in_uses else rule.search(runs):
            yield tool(path, name, evidence)


# A Hydra config: a top-level defaults list, an instantiable `_target_`, the `hydra:` section
# or a `# @package` header. A conf/ directory of plain YAML settings is not evidence.
_HYDRA_YAML = re.compile(
    r"^defaults[ \t]*:|^[ \t-]*_target_[ \t]*:|^hydra[ \t]*:|^#[ \t]*@package\b", re.MULTILINE
)


def hydra_conf(path: str, text: str | None) -> Iterator[Finding]:
    """Reported once per config directory (the row's path), whichever file shows it."""
    parts = path.split("/")
    for index, part in enumerate(parts[:-1]):
        if part in HYDRA_CONF_DIRS:
            if text is not None and _HYDRA_YAML.search(text):
                yield tool("/".join(parts[: index + 1]), "hydra", f"{part}/ tree")
            return


S, E = SIGNALS, ECOSYSTEM
_CONDA_PROJECT = (
    "name: x\nconda_env: conda.yaml\nentry_points:\n  main:\n    command: python t.py\n"
)
_WORKFLOW = """name: ci
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


DETECTORS: tuple[Detector, ...] = (
    Detector(
        "D01",
        ("[Mm][Ll][Pp][Rr][Oo][Jj][Ee][Cc][Tt]",),
        mlproject,
        "MLflow Project files (any case, as MLflow finds them): the environment they declare "
        "and the tracking URIs they set.",
        finds=(
            Example(
                "MLproject",
                _CONDA_PROJECT,
                ((S, "mlproject", ""), (S, "mlproject-env", "conda")),
            ),
            Example(
                "MLproject",
                "name: x\npython_env: python_env.yaml\n",
                ((S, "mlproject", ""), (S, "mlproject-env", "python_env")),
            ),
            Example(
                "mlproject",
                'name: x\ndocker_env:\n  image: i\n  environment: [["MLFLOW_TRACKING_URI", '
                '"sqlite:///m.db"]]\n',
                (
                    (S, "mlproject", ""),
                    (S, "mlproject-env", "docker"),
                    (S, "tracking-uri", "sqlite:///m.db"),
                ),
            ),
            Example(
                "MLProject",
                "name: x\nentry_points:\n  main:\n    command: MLFLOW_TRACKING_URI=http://h:5000 "
                "python t.py\n",
                (
                    (S, "mlproject", ""),
                    (S, "mlproject-env", "none"),
                    (S, "tracking-uri", "http://h:5000"),
                ),
            ),
            Example(
                "MLproject",
                "name: x\nconda_env: [broken\n",
                ((S, "mlproject", ""), (S, "mlproject-env", "conda")),
            ),
        ),
        ignores=(
            Example(
                "MLproject",
                "name: x\n# conda_env: old.yaml\n",
                ((S, "mlproject", ""), (S, "mlproject-env", "none")),
            ),
            Example("MLproject.md", "conda_env: conda.yaml\n"),
        ),
    ),
    Detector(
        "D09",
        ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile"),
        dockerfile,
        "Docker images, and the tracking URIs their ENV lines set.",
        finds=(
            Example(
                "Dockerfile",
                "FROM python:3.11\nRUN pip install mlflow\n",
                ((S, "env-file", "dockerfile"), (E, "docker", "Dockerfile")),
            ),
            Example(
                "docker/Dockerfile.gpu",
                "FROM python\nENV MLFLOW_TRACKING_URI http://mlflow:5000\n",
                (
                    (S, "env-file", "dockerfile"),
                    (S, "tracking-uri", "http://mlflow:5000"),
                    (E, "docker", "Dockerfile"),
                ),
            ),
            Example(
                "serve.Dockerfile",
                "FROM python\n",
                ((S, "env-file", "dockerfile"), (E, "docker", "Dockerfile")),
            ),
        ),
        ignores=(Example("dockerfile.md", "FROM x\n"),),
    ),
    Detector(
        "D12",
        ("dvc.yaml", "dvc.lock", "*.dvc", ".dvc/config"),
        dvc,
        "DVC: pipelines (dvc.yaml, dvc.lock), tracked data (*.dvc), a DVC repository "
        "(.dvc/config).",
        finds=(
            Example("dvc.yaml", "stages: {}\n", ((S, "dvc", ""), (E, "dvc", "dvc.yaml"))),
            Example("dvc.lock", "schema: '2.0'\n", ((S, "dvc", ""), (E, "dvc", "dvc.lock"))),
            Example("data/raw.csv.dvc", "outs: []\n", ((S, "dvc", ""), (E, "dvc", "*.dvc"))),
            Example(".dvc/config", "[core]\n", ((S, "dvc", ""), (E, "dvc", ".dvc/config"))),
        ),
        ignores=(Example("dvc.yml", "stages: {}\n"), Example("data.dvcignore", "x\n")),
        content=Content.NAME,
    ),
    Detector(
        "D13",
        (".env", ".env.*", "*.env"),
        dotenv,
        ".env files: the tracking and registry URIs they set.",
        finds=(
            Example(
                ".env",
                "MLFLOW_TRACKING_URI=http://mlflow:5000\n# MLFLOW_REGISTRY_URI=x\n",
                ((S, "tracking-uri", "http://mlflow:5000"),),
            ),
            Example(
                ".env.prod",
                "export MLFLOW_TRACKING_URI='postgresql://u:pw@db/ml'\n",
                ((S, "tracking-uri", "postgresql://***:***@db/ml"),),
            ),
        ),
        ignores=(Example(".env", "OTHER=1\n"), Example(".envrc", "MLFLOW_TRACKING_URI=x\n")),
    ),
    Detector(
        "D14",
        ("docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml"),
        compose,
        "Docker Compose files, and the tracking and registry URIs their services set.",
        finds=(
            Example(
                "docker-compose.yml",
                "services:\n  app:\n    environment:\n"
                "      - MLFLOW_TRACKING_URI=http://tracking:5000\n",
                ((S, "tracking-uri", "http://tracking:5000"), (E, "docker", "docker-compose")),
            ),
            Example(
                "compose.yaml",
                "services:\n  app:\n    environment:\n      MLFLOW_REGISTRY_URI: ${REGISTRY_URI}\n",
                ((S, "registry-uri", "env:REGISTRY_URI"), (E, "docker", "docker-compose")),
            ),
            Example(
                "docker-compose.yml",
                "services:\n  app:\n    environment:\n"
                "      - MLFLOW_TRACKING_URI=http://tracking:5000\n"
                "      MLFLOW_REGISTRY_URI: ${REGISTRY_URI}\n",
                (
                    (S, "tracking-uri", "http://tracking:5000"),
                    (S, "registry-uri", "env:REGISTRY_URI"),
                    (E, "docker", "docker-compose"),
                ),
            ),
        ),
        ignores=(Example("other.yml", "MLFLOW_TRACKING_URI: http://not-read\n"),),
    ),
    Detector(
        "D15",
        ("/.github/workflows/*.yml", "/.github/workflows/*.yaml"),
        workflow,
        "GitHub Actions workflows: the tracking URIs they set, and steps that train (python "
        "train*.py, dvc repro, mlflow run), report with CML (setup-cml, cml comment, runner, "
        "publish) or start an MLflow server (mlflow server/ui).",
        finds=(
            Example(
                ".github/workflows/ci.yml",
                _WORKFLOW,
                (
                    (E, "github-actions", "workflow"),
                    (E, "github-actions", "workflow: train"),
                    (E, "github-actions", "workflow: dvc repro"),
                    (E, "github-actions", "workflow: mlflow run"),
                    (E, "github-actions", "workflow: mlflow server"),
                    (E, "cml", "workflow: setup-cml"),
                    (E, "cml", "workflow: cml comment"),
                    (E, "cml", "workflow: cml runner"),
                    (E, "cml", "workflow: cml publish"),
                ),
            ),
            Example(
                ".github/workflows/report.yaml",
                "jobs:\n  r:\n    steps:\n      - run: cml-send-comment report.md\n"
                "      - run: mlflow ui --port 5000\n",
                (
                    (E, "github-actions", "workflow"),
                    (E, "github-actions", "workflow: mlflow server"),
                    (E, "cml", "workflow: cml comment"),
                ),
            ),
            Example(
                ".github/workflows/train.yml",
                "env:\n  MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_URI }}\n",
                ((E, "github-actions", "workflow"), (S, "tracking-uri", "env:MLFLOW_URI")),
            ),
            Example(
                ".github/workflows/broken.yml",
                "jobs: [\n  - run: dvc repro\n  - uses: iterative/setup-cml@v2\n",
                (
                    (E, "github-actions", "workflow"),
                    (E, "github-actions", "workflow: dvc repro"),
                    (E, "cml", "workflow: setup-cml"),
                ),
            ),
        ),
        ignores=(
            Example(
                ".github/workflows/lint.yml",
                "jobs:\n  l:\n    steps:\n      - run: ruff check .\n"
                "      # - run: python train.py && cml comment create r.md\n"
                "      - run: python -m pytest tests/test_train.py  # mlflow server\n"
                "      - name: dvc repro\n        run: |\n          # cml comment x\n"
                "          echo done\n",
                ((E, "github-actions", "workflow"),),
            ),
            Example("ci/workflows/train.yml", "steps:\n  - run: python train.py\n"),
            Example("src/.github/workflows/train.yml", "steps:\n  - run: python train.py\n"),
            Example(".github/workflows/README.md", "python train.py\n"),
        ),
    ),
    Detector(
        "D16",
        tuple(f"{d}/*.{ext}" for d in HYDRA_CONF_DIRS for ext in ("yaml", "yml")),
        hydra_conf,
        "A Hydra config tree: conf/ or configs/ with YAML using defaults lists, _target_, "
        "hydra: or # @package (the row's path is the directory).",
        finds=(
            Example(
                "conf/config.yaml",
                "defaults:\n  - model: resnet\n  - _self_\n",
                ((E, "hydra", "conf/ tree"),),
            ),
            Example(
                "src/conf/model/resnet.yaml",
                "_target_: models.ResNet\ndepth: 50\n",
                ((E, "hydra", "conf/ tree"),),
            ),
            Example(
                "configs/experiment/a.yml",
                "# @package _global_\nlr: 0.1\n",
                ((E, "hydra", "configs/ tree"),),
            ),
        ),
        ignores=(
            Example("conf/settings.yaml", "learning_rate: 0.1\nbatch: 32\n"),
            Example("myconf/config.yaml", "defaults:\n  - a\n"),
            Example("config.yaml", "defaults:\n  - a\n"),
        ),
    ),
)
