"""Error recovery: a syntax error costs the top-level statement it is in, not the file.

Each row: a file (or a notebook cell) with the calls reported, the status, and the start of
its detail. Calls inside the broken statement are not reported: only what parses counts.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from analyzers.code.analyze import analyze_bytes
from analyzers.code.recovery import statement_starts
from analyzers.records import FileKind, FileStatus

SCRIPTS: list[tuple[str, str, FileStatus, str, list[str]]] = [
    (
        "unclosed-bracket-between-calls",
        """
        import mlflow
        mlflow.set_experiment("churn")
        params = dict(lr=0.1,
        mlflow.log_param("lr", 0.1)
        def train():
            mlflow.log_metric("auc", 0.9)
        """,
        FileStatus.PARTIAL,
        "line 3: '(' was never closed; line 3 skipped",
        ["2 mlflow.set_experiment", "4 mlflow.log_param lr", "6 mlflow.log_metric auc"],
    ),
    (
        "broken-function-header",
        """
        import mlflow
        def train(:
            mlflow.log_metric("auc", 0.9)
        mlflow.log_param("lr", 0.1)
        """,
        FileStatus.PARTIAL,
        "line 2: invalid syntax; lines 2-3 skipped",
        ["4 mlflow.log_param lr"],
    ),
    (
        "lab-placeholder-costs-its-function",
        """
        import mlflow
        def train(data):
            model = <FILL_IN>
            mlflow.sklearn.log_model(model, "model")
        with mlflow.start_run():
            mlflow.log_param("rows", 10)
        """,
        FileStatus.PARTIAL,
        "line 3: invalid syntax; lines 2-4 skipped",
        ["5 mlflow.start_run", "6 mlflow.log_param rows"],
    ),
    (
        "decorator-goes-with-its-function",
        """
        import mlflow
        @mlflow.trace
        def answer(q) -> str
            return q
        mlflow.log_param("model", "gpt")
        """,
        FileStatus.PARTIAL,
        "line 3: expected ':'; lines 2-4 skipped",
        ["5 mlflow.log_param model"],
    ),
    (
        "missing-block-blames-the-statement-that-needs-it",
        """
        import mlflow
        with mlflow.start_run():
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("auc", 0.9)
        """,
        FileStatus.PARTIAL,
        "line 3: expected an indented block after 'with' statement on line 2; line 2 skipped",
        ["3 mlflow.log_param lr", "4 mlflow.log_metric auc"],
    ),
    (
        "broken-else-costs-the-whole-if",
        """
        import mlflow
        if remote:
            mlflow.set_tracking_uri("http://mlflow:5000")
        else:
            mlflow.set_tracking_uri("file:./mlruns"
        mlflow.autolog()
        """,
        FileStatus.PARTIAL,
        "line 5: '(' was never closed; lines 2-5 skipped",
        ["6 mlflow.autolog"],
    ),
    (
        "two-broken-statements",
        """
        import mlflow
        x = = 1
        mlflow.log_param("a", 1)
        y = )
        mlflow.log_metric("m", 1)
        """,
        FileStatus.PARTIAL,
        "line 4: unmatched ')'; lines 2, 4 skipped, the rest analysed",
        ["3 mlflow.log_param a", "5 mlflow.log_metric m"],
    ),
    (
        "neg-the-broken-call-itself-is-not-reported",
        """
        import mlflow
        mlflow.log_param("lr", 0.1))
        mlflow.log_metric("auc", 0.9)
        """,
        FileStatus.PARTIAL,
        "line 2: unmatched ')'; line 2 skipped",
        ["3 mlflow.log_metric auc"],
    ),
    (
        "neg-a-skipped-import-binds-nothing",
        """
        from mlflow import log_param,
        import os
        log_param("lr", 0.1)
        """,
        FileStatus.PARTIAL,
        "line 1: trailing comma not allowed without surrounding parentheses; line 1 skipped",
        [],
    ),
    (
        "neg-python2-stays-python2",
        """
        import mlflow
        print "training"
        mlflow.log_param("lr", 0.1)
        """,
        FileStatus.PYTHON2,
        "Python 2 syntax: print statement at line 2",
        [],
    ),
]


def _calls(analysis) -> set[tuple[int, str, tuple[str, ...]]]:
    return {(call.line, call.api, call.keys) for call in analysis.calls}


def _expected(lines: list[str]) -> set[tuple[int, str, tuple[str, ...]]]:
    result = set()
    for text in lines:
        parts = text.split()
        result.add((int(parts[0]), parts[1], tuple(parts[2].split(";")) if len(parts) > 2 else ()))
    return result


@pytest.mark.parametrize(
    ("source", "status", "detail", "expected"),
    [case[1:] for case in SCRIPTS],
    ids=[case[0] for case in SCRIPTS],
)
def test_a_syntax_error_costs_only_its_statement(
    source: str, status: FileStatus, detail: str, expected: list[str]
) -> None:
    code = textwrap.dedent(source).lstrip("\n")
    analysis = analyze_bytes(code.encode(), FileKind.SCRIPT)
    assert (analysis.status, analysis.detail[: len(detail)]) == (status, detail)
    assert _calls(analysis) == _expected(expected)


def test_a_notebook_cell_recovers_the_same_way() -> None:
    cells = [
        "import mlflow",
        "mlflow.set_experiment('churn')\nmodel = train(<FILL_IN>)\nmlflow.log_param('lr', 0.1)",
        "mlflow.log_metric('auc', 0.9)",
    ]
    notebook = {
        "cells": [{"cell_type": "code", "source": source} for source in cells],
        "metadata": {},
        "nbformat": 4,
    }
    analysis = analyze_bytes(json.dumps(notebook).encode(), FileKind.NOTEBOOK)
    assert analysis.status is FileStatus.PARTIAL
    assert analysis.detail == (
        "1 of 3 code cells do not parse in full: cell 1 line 2: invalid syntax; "
        "line 2 skipped, the rest analysed"
    )
    assert {(c.cell, c.line, c.api) for c in analysis.calls} == {
        (1, 1, "mlflow.set_experiment"),
        (1, 3, "mlflow.log_param"),
        (2, 1, "mlflow.log_metric"),
    }


@pytest.mark.parametrize(
    ("source", "starts"),
    [
        ("a = 1\nb = 2\n", [0, 1]),
        ("if a:\n    b = 1\nelse:\n    b = 2\nc = 3\n", [0, 4]),
        ("@dec\n@other\ndef f():\n    pass\nx = 1\n", [0, 4]),
        ("x = (1,\n     2)\ny = 3\n", [0, 2]),
        ("s = '''\ntext at column 0\n'''\nz = 1\n", [0, 3]),
        ("try:\n    a()\nexcept E:\n    b()\nfinally:\n    c()\n", [0]),
        ("x = (1,\ny = 2\n# note\n    z\nw = 3\n", [0, 1, 4]),
    ],
    ids=["simple", "clauses", "decorators", "brackets", "string", "try", "unclosed"],
)
def test_statement_starts_follow_tokens_then_indentation(source: str, starts: list[int]) -> None:
    assert statement_starts(source) == starts
