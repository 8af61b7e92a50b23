"""The catalog is the only place that names MLflow APIs: the study package (and its codebook)
asks it for groups.

A study module fails here when a string in it spells an MLflow API or tag (`"mlflow.x"`), the
suffix of catalogued APIs (`".autolog"`), or a regular expression that picks APIs by a part of
their names (`"registered_model|model_version"`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzers.code.catalog import load_catalog
from tests.paths import ROOT

STUDY = ROOT / "analyzers" / "study"
MODULES = [*sorted(STUDY.rglob("*.py")), ROOT / "analyzers" / "codebook.py"]
CATALOG = load_catalog()
API_NAMES = [*CATALOG.entries, *(entry.name for entry in CATALOG.flavor_entries())]
LAST_SEGMENTS = {name.rsplit(".", 1)[-1] for name in API_NAMES}
REGEX_FUNCTIONS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "split"}
_NAME_PART = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)+")


def _regex_literals(tree: ast.AST) -> Iterator[ast.Constant]:
    """String literals used as a pattern: `re.compile("...")` and the like, `.str.contains`."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        is_re = isinstance(receiver, ast.Name) and receiver.id == "re"
        if (is_re and node.func.attr in REGEX_FUNCTIONS) or node.func.attr in ("contains", "match"):
            for argument in node.args[:1]:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    yield argument


def api_names_in(source: str) -> list[str]:
    """Every string of `source` that names MLflow APIs, with why."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if text.startswith("mlflow.") or "mlflow\\." in text:
            found.append(f"line {node.lineno}: {text!r} spells an MLflow name")
        elif text.startswith(".") and any(name.endswith(text) for name in API_NAMES):
            found.append(f"line {node.lineno}: {text!r} is the suffix of catalogued APIs")
    for node in _regex_literals(tree):
        parts = [
            part
            for part in _NAME_PART.findall(node.value)
            if any(part in segment for segment in LAST_SEGMENTS)
        ]
        if parts:
            found.append(f"line {node.lineno}: the pattern {node.value!r} picks APIs by {parts}")
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_study_module_names_an_mlflow_api(module: Path) -> None:
    assert api_names_in(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ('LOG_PARAMS = {"mlflow.log_param", "mlflow.log_params"}', True),
        ('calls[calls["api"] == "mlflow.register_model"]', True),
        ('api.str.endswith(".autolog")', True),
        ('names["source"].str.endswith(".log_model")', True),
        ('re.compile(r"^mlflow\\.source\\.git|git")', True),
        ('re.compile(r"registered_model|model_version|latest_versions")', True),
        ('api.str.contains("registered_model")', True),
        ('keys.str.startswith("mlflow.source")', True),
        ('in_group(calls["api"], "log-params")', False),
        ('path.endswith((".py", ".ipynb"))', False),
        ('re.compile(r"git|commit|revision", re.IGNORECASE)', False),
        ('"a datasets call (log_input, mlflow.data)"', False),
        ('row["log_model_registration"]', False),
    ],
    ids=lambda value: str(value)[:48],
)
def test_the_check_sees_api_names(source: str, named: bool) -> None:
    assert bool(api_names_in(source)) is named
