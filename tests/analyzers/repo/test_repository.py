"""The repository pass: flows across files, each case a small repository of our own writing.

Each row: the files of a checkout and the exact (path, line, api) set the scan reports, so a
false positive fails as surely as a miss. Look-alike negatives share the table.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from analyzers.code.outline import import_specs
from analyzers.records import FileStatus
from analyzers.repo import cache as cache_module
from analyzers.repo.scanner import ScanSettings, scan

REPOS: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "client-built-in-a-helper-module",
        {
            "utils.py": """
                from mlflow import MlflowClient
                def get_client():
                    return MlflowClient(tracking_uri="http://mlflow:5000")
            """,
            "train.py": """
                from utils import get_client
                client = get_client()
                client.log_metric("run-1", "auc", 0.9)
            """,
        },
        ["utils.py 3 mlflow.MlflowClient", "train.py 3 mlflow.MlflowClient.log_metric auc"],
    ),
    (
        "package-init-re-exports",
        {
            "pkg/__init__.py": "from .tracking import tracker\n",
            "pkg/tracking.py": """
                import mlflow
                tracker = mlflow.MlflowClient()
            """,
            "main.py": """
                from pkg import tracker
                import pkg
                tracker.create_experiment("demo")
                pkg.tracker.set_experiment_tag("1", "team", "ml")
            """,
        },
        [
            "pkg/tracking.py 2 mlflow.MlflowClient",
            "main.py 3 mlflow.MlflowClient.create_experiment",
            "main.py 4 mlflow.MlflowClient.set_experiment_tag team",
        ],
    ),
    (
        "relative-imports-and-submodules",
        {
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/registry.py": """
                import mlflow
                def latest(name):
                    return mlflow.MlflowClient()
            """,
            "app/jobs/promote.py": """
                from ..core import registry
                from ..core.registry import latest
                registry.latest("churn").get_latest_versions("churn")
                latest("churn").delete_registered_model("old")
            """,
        },
        [
            "app/core/registry.py 3 mlflow.MlflowClient",
            "app/jobs/promote.py 3 mlflow.MlflowClient.get_latest_versions",
            "app/jobs/promote.py 4 mlflow.MlflowClient.delete_registered_model",
        ],
    ),
    (
        "star-import-of-a-repository-module",
        {
            "helpers.py": """
                from mlflow import log_metric as record
                from mlflow.deployments import get_deploy_client
                endpoint = get_deploy_client("databricks")
            """,
            "serve.py": """
                from helpers import *
                record("latency", 0.2)
                endpoint.predict(endpoint="chat", inputs={})
            """,
        },
        [
            "helpers.py 3 mlflow.deployments.get_deploy_client",
            "serve.py 2 mlflow.log_metric latency",
            "serve.py 3 mlflow.deployments.BaseDeploymentClient.predict",
        ],
    ),
    (
        "module-that-re-exports-mlflow",
        {
            "mlflow_extend/__init__.py": "",
            "mlflow_extend/mlflow.py": """
                from mlflow import *
                def log_figure_grid(figures):
                    pass
            """,
            "experiment.py": """
                from mlflow_extend import mlflow
                mlflow.log_param("lr", 0.1)
                mlflow.log_figure_grid([])
            """,
        },
        ["experiment.py 2 mlflow.log_param lr"],
    ),
    (
        "conftest-fixture-by-pytest-rules",
        {
            "tests/conftest.py": """
                import pytest
                import mlflow
                @pytest.fixture
                def tracking_client():
                    yield mlflow.MlflowClient()
            """,
            "tests/unit/test_runs.py": """
                def test_search(tracking_client):
                    assert tracking_client.search_runs(["1"]) == []
            """,
            "other/test_elsewhere.py": """
                def test_search(tracking_client):
                    tracking_client.search_runs(["1"])
            """,
        },
        [
            "tests/conftest.py 5 mlflow.MlflowClient",
            "tests/unit/test_runs.py 2 mlflow.MlflowClient.search_runs",
        ],
    ),
    (
        "module-passed-by-an-orchestrator",
        {
            "steps/train.py": """
                import mlflow
                def train_step(mlflow, data):
                    mlflow.log_metric("rows", len(data))
                    mlflow.sklearn.log_model(model, "model")
            """,
            "steps/evaluate.py": """
                def evaluate_step(tracker, score):
                    tracker.log_metric("score", score)
            """,
            "pipeline.py": """
                import mlflow
                from steps.train import train_step
                from steps import evaluate
                with mlflow.start_run():
                    train_step(mlflow, rows)
                    evaluate.evaluate_step(tracker=mlflow, score=0.9)
            """,
        },
        [
            "steps/train.py 3 mlflow.log_metric rows",
            "steps/train.py 4 mlflow.sklearn.log_model",
            "steps/evaluate.py 2 mlflow.log_metric score",
            "pipeline.py 4 mlflow.start_run",
        ],
    ),
    (
        "service-object-of-another-module",
        {
            "services.py": """
                from mlflow.tracking import MlflowClient
                class Registry:
                    def __init__(self):
                        self.client = MlflowClient()
                    def stage(self, name):
                        return self.client.get_latest_versions(name)
            """,
            "promote.py": """
                from services import Registry
                registry = Registry()
                registry.client.transition_model_version_stage("churn", "3", "Production")
            """,
        },
        [
            "services.py 4 mlflow.MlflowClient",
            "services.py 6 mlflow.MlflowClient.get_latest_versions",
            "promote.py 3 mlflow.MlflowClient.transition_model_version_stage",
        ],
    ),
    (
        "import-cycle-terminates",
        {
            "a.py": """
                import mlflow
                import b
                client = mlflow.MlflowClient()
                def run():
                    b.report()
            """,
            "b.py": """
                import a
                def report():
                    a.client.log_metric("run", "m", 1)
            """,
        },
        ["a.py 3 mlflow.MlflowClient", "b.py 3 mlflow.MlflowClient.log_metric m"],
    ),
    (
        "src-layout-and-namespace-package",
        {
            "src/shop/tracking.py": """
                import mlflow.pyfunc
                def load(uri):
                    return mlflow.pyfunc.load_model(uri)
            """,
            "tests/test_serving.py": """
                from shop.tracking import load
                def test_predict():
                    load("models:/churn/1").predict(frame)
            """,
        },
        [
            "src/shop/tracking.py 3 mlflow.pyfunc.load_model",
            "tests/test_serving.py 3 mlflow.pyfunc.PyFuncModel.predict",
        ],
    ),
    (
        "tracing-helpers-across-files",
        {
            "tracing.py": """
                import mlflow
                def span(name):
                    return mlflow.start_span_no_context(name)
            """,
            "agent.py": """
                from tracing import span
                root = span("answer")
                root.set_inputs({"q": q})
            """,
        },
        [
            "tracing.py 3 mlflow.start_span_no_context",
            "agent.py 3 mlflow.entities.Span.set_inputs",
        ],
    ),
    (
        "service-held-by-a-base-class-in-a-module-that-never-names-mlflow",
        {
            "app/io/services.py": """
                import mlflow
                class MlflowService:
                    def client(self) -> mlflow.MlflowClient:
                        return mlflow.MlflowClient()
            """,
            "app/jobs/base.py": """
                from app.io import services
                class Job:
                    mlflow_service = services.MlflowService()
            """,
            "app/jobs/promotion.py": """
                from app.jobs import base
                class PromotionJob(base.Job):
                    def run(self):
                        client = self.mlflow_service.client()
                        client.set_registered_model_alias("churn", "champion", 3)
            """,
        },
        [
            "app/io/services.py 4 mlflow.MlflowClient",
            "app/jobs/promotion.py 5 mlflow.MlflowClient.set_registered_model_alias",
        ],
    ),
    (
        "neg-module-parameter-given-a-user-object-elsewhere",
        {
            "steps.py": """
                import mlflow
                def train_step(mlflow, data):
                    mlflow.log_metric("rows", len(data))
            """,
            "pipeline.py": """
                import mlflow
                from steps import train_step
                train_step(mlflow, rows)
            """,
            "tests/test_steps.py": """
                from steps import train_step
                class FakeMlflow:
                    def log_metric(self, key, value):
                        pass
                def test_step():
                    train_step(FakeMlflow(), [1])
            """,
        },
        [],
    ),
    (
        "neg-same-module-name-in-another-directory",
        {
            "a/utils.py": """
                import mlflow
                client = mlflow.MlflowClient()
            """,
            "b/utils.py": "client = object()\n",
            "b/job.py": """
                from utils import client
                client.log_metric("run", "m", 1)
            """,
        },
        ["a/utils.py 2 mlflow.MlflowClient"],
    ),
    (
        "neg-imported-name-rebound-locally",
        {
            "utils.py": """
                import mlflow
                client = mlflow.MlflowClient()
            """,
            "job.py": """
                from utils import client
                client = make_other_client()
                client.log_metric("run", "m", 1)
            """,
        },
        ["utils.py 2 mlflow.MlflowClient"],
    ),
]


def _write(root: Path, files: dict[str, str]) -> None:
    for path, source in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")


def _found(root: Path, settings: ScanSettings) -> set[str]:
    results = list(scan(root, settings=settings))
    assert not [r for r in results if r.status.is_error], [r for r in results if r.status.is_error]
    return {
        f"{r.path} {c.line} {c.api}" + (f" {';'.join(c.keys)}" if c.keys else "")
        for r in results
        for c in r.calls
    }


@pytest.mark.parametrize(
    ("files", "expected"), [case[1:] for case in REPOS], ids=[case[0] for case in REPOS]
)
def test_reports_exactly_the_calls_across_files(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    _write(tmp_path / "repo", files)
    assert _found(tmp_path / "repo", ScanSettings(jobs=0, use_cache=False)) == set(expected)


def test_parallel_and_cached_scans_agree(tmp_path: Path) -> None:
    files = {name: source for _, repo, _ in REPOS[:8] for name, source in repo.items()}
    _write(tmp_path / "repo", files)
    inline = _found(tmp_path / "repo", ScanSettings(jobs=0, use_cache=False))
    settings = ScanSettings(jobs=2, cache_path=tmp_path / "cache.sqlite")
    assert _found(tmp_path / "repo", settings) == inline
    assert _found(tmp_path / "repo", settings) == inline


def test_an_edit_reanalyzes_the_file_and_its_importers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    root = tmp_path / "repo"
    _write(
        root,
        {
            "utils.py": "import mlflow\ndef get_client():\n    return mlflow.MlflowClient()\n",
            "train.py": "from utils import get_client\nget_client().log_metric('r', 'm', 1)\n",
            "report.py": "import mlflow\nmlflow.log_param('a', 1)\n",
        },
    )
    settings = ScanSettings(jobs=0, cache_path=tmp_path / "cache.sqlite")
    list(scan(root, settings=settings))
    analysed: list[str] = []

    import analyzers.repo.repository as repository

    original = repository.analyze_task

    def counting(data: bytes, kind, context: str):
        analysed.append(data.decode().splitlines()[0])
        return original(data, kind, context)

    monkeypatch.setattr(repository, "analyze_task", counting)
    list(scan(root, settings=settings))
    assert analysed == []
    (root / "utils.py").write_text("import mlflow\ndef get_client():\n    return mlflow\n")
    results = {r.path: r for r in scan(root, settings=settings)}
    assert sorted(analysed) == ["from utils import get_client", "import mlflow"]
    assert [c.api for c in results["train.py"].calls] == ["mlflow.log_metric"]
    assert results["report.py"].status is FileStatus.ANALYZED


def test_a_notebook_uses_what_the_repository_modules_mean(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _write(root, {"utils.py": "import mlflow\ndef client():\n    return mlflow.MlflowClient()\n"})
    cells = ["from utils import client", "c = client()\nc.log_metric('run', 'auc', 0.9)"]
    notebook = {
        "cells": [{"cell_type": "code", "source": source} for source in cells],
        "metadata": {},
        "nbformat": 4,
    }
    (root / "explore.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    results = {r.path: r for r in scan(root, settings=ScanSettings(jobs=0, use_cache=False))}
    assert [(c.cell, c.line, c.api) for c in results["explore.ipynb"].calls] == [
        (1, 2, "mlflow.MlflowClient.log_metric")
    ]


@pytest.mark.parametrize(
    ("source", "plain", "from_"),
    [
        ("import os, utils.io as uio\n", ("os", "utils.io"), ()),
        ("from . import config, helpers as h\n", (), ((".", ("config", "helpers")),)),
        (
            "from ..core import (\n    make,\n    Other as O,\n)\n",
            (),
            (("..core", ("make", "Other")),),
        ),
        ("def f():\n    from .deep import y  # late\n", (), ((".deep", ("y",)),)),
        ("from x import *\ntext = 'import nothing'\n", (), (("x", ()),)),
    ],
    ids=["plain", "relative", "parenthesised", "in-a-function", "star-and-a-string"],
)
def test_outline_reads_imports_without_parsing(source: str, plain: tuple, from_: tuple) -> None:
    imports = import_specs(source.encode())
    assert (imports.plain, imports.from_) == (plain, from_)


def _utils_context(names: dict[str, list[object]]) -> str:
    from analyzers.code.resolver_summaries import RepoContext

    exports = {"names": names, "fixtures": {}, "star": []}
    return RepoContext("train.py", {"utils": "utils.py"}, {"utils.py": exports}).to_json()


def _view_decides(data: bytes, first: str, alike: str, different: str) -> list[tuple[str, ...]]:
    """Analysed under context `first`, the file calls `log_metric` of a client; `alike` gives
    the same view of what that analysis asked (and the same analysis), `different` another
    view and no call. The questions asked."""
    from analyzers.code.resolver_summaries import RepoContext
    from analyzers.records import FileKind
    from analyzers.repo.repository import analyze_task

    analysis, _, asked = analyze_task(data, FileKind.SCRIPT, first)
    demand = [tuple(question) for question in asked]
    views = [RepoContext.from_json(text).view(demand) for text in (first, alike, different)]
    assert views[0] == views[1]
    assert views[0] != views[2]
    assert [c.api for c in analysis.calls] == ["mlflow.MlflowClient.log_metric"]
    assert analyze_task(data, FileKind.SCRIPT, alike)[0] == analysis
    assert analyze_task(data, FileKind.SCRIPT, different)[0].calls == ()
    return demand


def test_an_analysis_is_the_same_under_any_context_that_answers_its_questions_alike() -> None:
    """What the repository pass relies on to skip an analysis in a later round: the view of
    what the analysis asked; a change to a name it never looked up leaves the view alone, a
    change to one it did changes both the view and the result."""
    data = b"from utils import get_client\nget_client().log_metric('r', 'm', 1)\n"
    client: list[object] = ["f", ["i", "mlflow.MlflowClient"]]
    first = _utils_context({"get_client": client})
    unrelated = _utils_context({"get_client": client, "URI": ["s", "sqlite:///a.db"]})
    related = _utils_context({"get_client": ["f", ["s", "sqlite:///a.db"]]})
    demand = _view_decides(data, first, unrelated, related)
    assert ("m", "utils.py", "get_client") in demand


def test_a_view_of_incoming_calls_holds_what_they_do_to_the_parameters() -> None:
    """A second call site that passes what the first did changes no parameter: the view (and
    the analysis) stays; a site that no longer passes the client changes both."""
    from analyzers.code.resolver_summaries import RepoContext

    data = b"def log(client, step):\n    client.log_metric('m', 1, step=step)\n"
    site: list[Any] = [0, [[0, ["i", "mlflow.MlflowClient"], False], [1, None, True]]]

    def context(sites: list[list[Any]]) -> str:
        return RepoContext("train.py", incoming={"log": sites}).to_json()

    first, repeated, other = (
        context([site]),
        context([site, site]),
        context([[0, [[0, None, True]]]]),
    )
    _view_decides(data, first, repeated, other)


def test_a_later_round_starts_only_the_files_whose_sources_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Round 2 exists because train.py passes a client to utils.log: utils.py is started
    again, the unrelated files (their context cannot have changed) are not."""
    import analyzers.repo.repository as repository

    root = tmp_path / "repo"
    unrelated = {f"m{index}.py": f"VALUE = {index}\n" for index in range(20)}
    _write(
        root,
        {
            **unrelated,
            "utils.py": "def log(client):\n    client.log_metric('run', 'm', 1)\n",
            "train.py": "import mlflow\nfrom utils import log\nlog(mlflow.MlflowClient())\n",
        },
    )
    started: list[str] = []
    original = repository._Rounds._start

    def counting(self: Any, file: Any, incoming: Any) -> Any:
        started.append(file.key)
        return original(self, file, incoming)

    monkeypatch.setattr(repository._Rounds, "_start", counting)
    results = {r.path: r for r in scan(root, settings=ScanSettings(jobs=0, use_cache=False))}
    assert [c.api for c in results["utils.py"].calls] == ["mlflow.MlflowClient.log_metric"]
    assert started.count("utils.py") == 2
    assert all(started.count(name) == 1 for name in unrelated)


def test_a_warm_rerun_never_loads_the_parser(tmp_path: Path) -> None:
    """Every analysis from the cache: the process that reruns the scan never imports libcst
    (its import alone is a tenth of a second)."""
    import subprocess
    import sys

    files = {name: source for _, repo, _ in REPOS[:8] for name, source in repo.items()}
    _write(tmp_path / "repo", files)
    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from analyzers.repo.scanner import ScanSettings, scan\n"
        f"settings = ScanSettings(jobs=2, cache_path=Path({str(tmp_path / 'c.sqlite')!r}))\n"
        f"found = sum(len(r.calls) for r in scan({str(tmp_path / 'repo')!r}, settings=settings))\n"
        "print(found, 'libcst' in sys.modules)\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][0] == runs[1][0] != "0"
    assert runs[1][1] == "False"
