"""A small world of real git repositories for sampling studies, served by the fake GitHub.

Template copies, a fork, an archived project, a tutorial, a course, a library, an application
and a near-copy below the duplicate threshold: each a real git repository (tests/conftest.py
`make_git_repo`) cloned over file://, each described by a `FakeRepo` whose code the fake's
`/search/code` searches. `EXPECTED` says what a study must conclude about each one.

Run it to serve the world for `make study` (see README, "Sampling"):

    python -m tests.mining.study.sampling_world DIR
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import git, make_git_repo
from tests.mining.github.fake_github import FakeGitHub, FakeRepo, code_files

# GitHub leaves forks out of a search unless it says fork:true: with it, the fork is listed,
# then excluded by the study's filter and counted.
QUERY = '"import mlflow" language:Python fork:true'
TOPIC = "mlflow-project"
DAY = 86400


def _at(year: int, month: int = 1) -> int:
    return int(datetime(year, month, 1, tzinfo=UTC).timestamp())


TRAIN = """import mlflow
from features import build

with mlflow.start_run():
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("rmse", 0.1)
"""
FEATURES = "import pandas as pd\n\n\ndef build(frame):\n    return frame.dropna()\n"
EVALUATE = "import mlflow\n\nmlflow.log_metric('mae', 0.2)\n"
SERVE = "import mlflow\n\nmodel = mlflow.pyfunc.load_model('models:/churn/1')\n"
UTILS = "def clean(text):\n    return text.strip()\n"
TEMPLATE: dict[str, str | bytes] = {
    "README.md": "# Churn prediction service\n\n## Run\n",
    "src/train.py": TRAIN,
    "src/features.py": FEATURES,
    "src/evaluate.py": EVALUATE,
    "src/serve.py": SERVE,
    "src/utils.py": UTILS,
    "app.py": "from src.serve import model\n",
    "Dockerfile": "FROM python:3.11\n",
}


@dataclass(frozen=True)
class Expected:
    """What a study with default filters concludes about a repository."""

    frames: str
    status: str  # analyzed or excluded
    purpose: str = ""
    duplicate_of: str = ""
    cluster_size: int | None = None


CODE = f"code:{QUERY}"
BOTH = f"topic:{TOPIC};{CODE}"
EXPECTED: dict[str, Expected] = {
    "origin/churn-service": Expected(BOTH, "analyzed", "application", "", 4),
    "alice/churn-copy": Expected(CODE, "analyzed", "application", "origin/churn-service", 4),
    "bob/churn-copy": Expected(CODE, "analyzed", "application", "origin/churn-service", 4),
    "carol/churn-plus": Expected(CODE, "analyzed", "application", "origin/churn-service", 4),
    "dave/churn-fork": Expected(CODE, "excluded"),
    "erin/churn-remix": Expected(CODE, "analyzed", "application", "", 1),
    "learner/mlflow-tutorial": Expected(CODE, "analyzed", "tutorial", "", 1),
    "student/mlops-zoomcamp-homework": Expected(BOTH, "analyzed", "course", "", 1),
    "acme/mlflow-store-plugin": Expected(CODE, "analyzed", "library", "", 1),
    "old/archived-demo": Expected(CODE, "analyzed", "example", "", 1),
    "topic/only-topic": Expected(f"topic:{TOPIC}", "analyzed", "unknown", "", 1),
}


def _repositories() -> list[tuple[str, dict[str, str | bytes], dict[str, object]]]:
    """(full_name, files, FakeRepo fields) for every repository of the world."""
    remix: dict[str, str | bytes] = {
        k: v for k, v in TEMPLATE.items() if k not in ("src/serve.py", "src/utils.py")
    }
    remix.update({"src/model.py": "import mlflow\nmlflow.autolog()\n", "src/io.py": "x = 1\n"})
    return [
        ("origin/churn-service", TEMPLATE, {"created": _at(2021), "stars": 40, "topics": (TOPIC,)}),
        ("alice/churn-copy", TEMPLATE, {"created": _at(2023), "stars": 1}),
        ("bob/churn-copy", TEMPLATE, {"created": _at(2023, 6), "stars": 0}),
        # One file more than the template: 6 of 7 blobs shared (86%), still a copy.
        (
            "carol/churn-plus",
            {**TEMPLATE, "src/extra.py": "y = 2\n"},
            {"created": _at(2024), "stars": 2},
        ),
        ("dave/churn-fork", TEMPLATE, {"created": _at(2022), "fork": True, "stars": 3}),
        # Two of the six code files replaced: 4 of 6 shared (67%), not a copy.
        ("erin/churn-remix", remix, {"created": _at(2022, 3), "stars": 2}),
        (
            "learner/mlflow-tutorial",
            {
                "README.md": "# MLflow tutorial\n\n## Lesson 1\n",
                "lesson1/track.py": "import mlflow\nmlflow.log_param('lr', 0.1)\n",
                "lesson2/autolog.py": "import mlflow\nmlflow.autolog()\n",
                "lesson3/registry.py": "import mlflow\nmlflow.register_model('runs:/1/m', 'm')\n",
            },
            {"created": _at(2024, 2), "stars": 5},
        ),
        (
            "student/mlops-zoomcamp-homework",
            {
                "README.md": "# Homework\n",
                "week1/duration.py": "import mlflow\nmlflow.set_tracking_uri('sqlite:///m.db')\n",
                "week2/tracking.py": "import mlflow\nmlflow.log_metric('rmse', 5.1)\n",
            },
            {"created": _at(2024, 5), "topics": (TOPIC,)},
        ),
        (
            "acme/mlflow-store-plugin",
            {
                "README.md": "# A tracking store plugin for MLflow\n",
                "pyproject.toml": "[project]\nname = 'store'\n",
                "store/__init__.py": "import mlflow\nfrom mlflow.store import tracking\n",
                "tests/test_store.py": "import mlflow\n",
                "CHANGELOG.md": "## 1.0\n",
            },
            {"created": _at(2020), "stars": 120},
        ),
        (
            "old/archived-demo",
            {"README.md": "# Demo\n", "demo.py": "import mlflow\nmlflow.log_param('a', 1)\n"},
            {"created": _at(2019), "archived": True, "stars": 8},
        ),
        (
            "topic/only-topic",
            {"README.md": "# Stuff\n", "run.py": "print('no tracking here')\n"},
            {"created": _at(2022, 9), "topics": (TOPIC,), "stars": 1},
        ),
    ]


def build_world(root: Path) -> list[FakeRepo]:
    """Create every repository under `root` (git, committed) and describe it for the fake."""
    world = []
    for full_name, files, fields in _repositories():
        path = root / full_name.replace("/", "__")
        head = make_git_repo(path, files)
        if full_name == "carol/churn-plus":  # a second commit: history to count
            (path / "src/extra.py").write_text("y = 3\n")
            git(path, "commit", "-q", "-am", "tweak")
            head = git(path, "rev-parse", "HEAD")
            files = {**files, "src/extra.py": "y = 3\n"}
        world.append(
            FakeRepo(
                full_name=full_name,
                clone_url=path.as_uri(),
                head_sha=head,
                code=code_files(files),
                pushed=int(fields.get("created", _at(2024))) + 30 * DAY,  # type: ignore[call-overload]
                **fields,  # type: ignore[arg-type]
            )
        )
    return world


def study_toml(name: str, settings: Mapping[str, object] | None = None, note: str = "") -> str:
    """A study file for the world: the topic and the code search, file:// clones allowed."""
    lines = [
        f'name = "{name}"',
        f'topics = ["{TOPIC}"]',
        "code_search = ['" + QUERY + "']",
        'protocols = ["https", "file"]',
        "jobs = 2",
    ]
    for key, value in (settings or {}).items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else value}")
    return (f"# {note}\n" if note else "") + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Build the world in DIR, write DIR/datasets/sampling.toml, serve until Ctrl-C."""
    if len(argv) != 1:
        print("usage: python -m tests.mining.study.sampling_world DIR", file=sys.stderr)
        return 2
    root = Path(argv[0]).resolve()
    (root / "datasets").mkdir(parents=True, exist_ok=True)
    world = build_world(root / "origins")
    with FakeGitHub(world) as server:
        server.code_search_limit = 30
        study = root / "datasets" / "sampling.toml"
        study.write_text(study_toml("sampling", note=f"served by {server.url}"), encoding="utf-8")
        print(f"GITHUB_API_URL={server.url} GITHUB_TOKEN=test make study STUDY={study}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
