"""The seed study's text search: which term stands for an API, what a word match finds in a
line, a notebook's cells, and the rows of a checkout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from analyzers.records import RepoRef
from analyzers.repo.textsearch import (
    api_terms,
    matches_in,
    notebook_cells,
    search_term,
    text_match_rows,
)


@pytest.mark.parametrize(
    ("api", "term"),
    [
        ("mlflow.log_param", "log_param"),
        ("mlflow.MlflowClient.log_metric", "log_metric"),
        ("mlflow.MlflowClient", "MlflowClient"),
        ("mlflow.sklearn.autolog", "autolog"),
        ("mlflow.sklearn.log_model", "log_model"),
        ("mlflow.run", "mlflow.run"),
        ("mlflow.models.Model.log", "Model.log"),
        ("mlflow.genai.scorers.mean", "scorers.mean"),
        ("mlflow.trace", "mlflow.trace"),
    ],
)
def test_an_api_is_searched_by_its_name_or_with_its_module_when_the_name_is_common(
    api: str, term: str
) -> None:
    assert search_term(api) == term


def test_one_term_stands_for_every_api_that_shares_it() -> None:
    terms = api_terms()
    assert {"mlflow.log_metric", "mlflow.MlflowClient.log_metric"} <= set(terms["log_metric"])
    assert {"mlflow.sklearn.log_model", "mlflow.pytorch.log_model"} <= set(terms["log_model"])
    assert "run" not in terms, "plain words are never searched alone"
    assert "log" not in terms, "plain words are never searched alone"


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("mlflow.log_param('a', 1)", ["log_param"]),
        ("mf.log_param('a', 1)  # also log_param", ["log_param"]),
        ("# we log_params here", ["log_params"]),
        ("self.logger.log_metrics(values)", ["log_metrics"]),
        ("log = mlflow.log_metric", ["log_metric"]),
        ("log('x', 1)", []),
        ("run(config)", []),
        ("mlflow.run(uri)", ["mlflow.run"]),
        ("mlflow.runs_dir", []),
        ("my_log_param_helper()", []),
        ("client = MlflowClient()", ["MlflowClient"]),
        ("mlflow.sklearn.autolog(); mlflow.log_params(p)", ["autolog", "log_params"]),
    ],
    ids=[
        "fluent",
        "alias-module-once-per-line",
        "comment",
        "other-library",
        "alias-assignment",
        "alias-call",
        "plain-word",
        "qualified-common-name",
        "longer-word",
        "inside-a-name",
        "class",
        "two-terms",
    ],
)
def test_a_word_match_finds_what_grep_finds(line: str, found: list[str]) -> None:
    assert [term for _line, term in matches_in(line)] == found


def test_line_numbers_count_from_one() -> None:
    text = "import mlflow\n\nmlflow.log_param('a', 1)\nx = 1\nmlflow.log_metric('m', 2)\n"
    assert list(matches_in(text)) == [(3, "log_param"), (5, "log_metric")]


def notebook(*cells: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "source": source.splitlines(keepends=True), "outputs": []}
                for kind, source in cells
            ],
            "metadata": {},
        }
    ).encode()


def test_code_and_markdown_cells_are_searched_outputs_are_not() -> None:
    data = notebook(
        ("markdown", "We call `log_metric` below."),
        ("raw", "log_param"),
        ("code", "import mlflow\nmlflow.log_metric('a', 1)"),
    )
    assert notebook_cells(data) == [
        (0, "We call `log_metric` below."),
        (2, "import mlflow\nmlflow.log_metric('a', 1)"),
    ]


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"cells": 3}'], ids=["text", "list", "bad"])
def test_what_is_not_a_notebook_has_no_cells(data: bytes) -> None:
    assert notebook_cells(data) == []


def test_a_checkout_s_rows_skip_vendored_trees_and_links(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("import mlflow\nmlflow.log_param('a', 1)\n")
    (tmp_path / "nb.ipynb").write_bytes(notebook(("code", "mlflow.autolog()")))
    (tmp_path / "venv" / "lib").mkdir(parents=True)
    (tmp_path / "venv" / "lib" / "x.py").write_text("mlflow.log_param('v', 1)\n")
    os.symlink(tmp_path / "src" / "train.py", tmp_path / "link.py")
    rows = list(text_match_rows(RepoRef(str(tmp_path), "o/r", "c" * 40)))
    assert [(r["path"], r["cell"], r["line"], r["term"]) for r in rows] == [
        ("nb.ipynb", 0, 1, "autolog"),
        ("src/train.py", None, 2, "log_param"),
    ]
    assert {(r["repo"], r["commit"]) for r in rows} == {("o/r", "c" * 40)}
