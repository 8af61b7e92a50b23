"""Notebooks: code cells only, magics neutralised, cells resolved as one module."""

from __future__ import annotations

import json

import pytest

from analyzers.code.analyze import analyze_bytes
from analyzers.code.notebooks import neutralise_magics
from analyzers.records import FileKind, FileStatus


def notebook_v4(*cells: tuple[str, str], language: str = "python") -> bytes:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"language": language, "name": "k"}},
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": source.splitlines(True),
                    **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                }
                for kind, source in cells
            ],
        }
    ).encode()


def notebook_v3(*cells: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {},
            "worksheets": [
                {
                    "cells": [
                        {
                            "cell_type": kind,
                            **(
                                {"input": source, "language": "python"}
                                if kind == "code"
                                else {"source": source}
                            ),
                        }
                        for kind, source in cells
                    ]
                }
            ],
        }
    ).encode()


def found(data: bytes) -> set[tuple[int | None, int, str]]:
    return {(c.cell, c.line, c.api) for c in analyze_bytes(data, FileKind.NOTEBOOK).calls}


def test_import_in_first_cell_resolves_call_in_later_cell() -> None:
    data = notebook_v4(
        ("markdown", "# mlflow.log_param('no', 1)"),
        ("code", "import mlflow as mf"),
        ("markdown", "text"),
        ("code", "x = 1\nmf.log_param('lr', 0.1)"),
    )
    assert found(data) == {(3, 2, "mlflow.log_param")}


def test_nbformat_v3_worksheets() -> None:
    data = notebook_v3(
        ("markdown", "intro"), ("code", "import mlflow"), ("code", "mlflow.autolog()")
    )
    assert found(data) == {(2, 1, "mlflow.autolog")}


@pytest.mark.parametrize(
    ("cell", "line"),
    [
        ("%pip install mlflow\nimport mlflow\nmlflow.autolog()", 3),
        ("!pip install mlflow\nimport mlflow\nmlflow.autolog()", 3),
        ("%%time\nimport mlflow\nmlflow.autolog()", 3),
        ("import mlflow\nfiles = !ls\nmlflow.autolog()", 3),
        ("import mlflow\nmlflow.autolog?\nmlflow.autolog()", 3),
        ("import mlflow\nfor i in range(3):\n    !echo hi\n    mlflow.autolog()", 4),
        ("%matplotlib inline\r\nimport mlflow\r\nmlflow.autolog()", 3),
        ("import mlflow\n!python train.py \\\n    --epochs 3 \\\n  --out x\nmlflow.autolog()", 5),
    ],
)
def test_magics_are_neutralised_and_lines_stay_true(cell: str, line: int) -> None:
    assert found(notebook_v4(("code", cell))) == {(0, line, "mlflow.autolog")}


def test_non_python_cell_magic_body_is_not_analyzed() -> None:
    data = notebook_v4(
        ("code", "import mlflow"),
        ("code", "%%bash\nmlflow.log_param x\n"),
        ("code", "mlflow.end_run()"),
    )
    assert found(data) == {(2, 1, "mlflow.end_run")}


@pytest.mark.parametrize(
    "cell",
    [
        "%sql\nSELECT model, COUNT(*) FROM runs\nGROUP BY model",
        "%md # Results\nThe model is logged with mlflow.log_model(...)",
        "%sh ls /dbfs/mlflow\nmlflow runs list --experiment-id 1",
        "%scala\nval x = mlflow.log_param(1)",
    ],
)
def test_a_databricks_language_cell_is_not_python_and_not_skipped(cell: str) -> None:
    analysis = analyze_bytes(
        notebook_v4(("code", "import mlflow"), ("code", cell), ("code", "mlflow.end_run()")),
        FileKind.NOTEBOOK,
    )
    assert analysis.detail == "", "no cell was skipped"
    assert {(c.cell, c.line, c.api) for c in analysis.calls} == {(2, 1, "mlflow.end_run")}


@pytest.mark.parametrize(
    "broken",
    [
        "import mlflow\nfrom mlflow import (\n    log_metric,\n)\nx = <FILL_IN>",
        "%pip install mlflow\nimport mlflow\nfrom mlflow import log_metric\nThen run the cell below.",
    ],
)
def test_imports_of_a_cell_that_does_not_parse_still_bind(broken: str) -> None:
    analysis = analyze_bytes(
        notebook_v4(("code", broken), ("code", "mlflow.log_param('a', 1)\nlog_metric('m', 1)")),
        FileKind.NOTEBOOK,
    )
    assert analysis.status is FileStatus.PARTIAL
    assert analysis.detail.startswith("1 of 2 code cells do not parse in full: cell 0")
    assert {(c.cell, c.line, c.api) for c in analysis.calls} == {
        (1, 1, "mlflow.log_param"),
        (1, 2, "mlflow.log_metric"),
    }


def test_a_one_line_sql_magic_leaves_the_cell_python() -> None:
    cell = "%sql SELECT 1\nimport mlflow\nmlflow.autolog()"
    assert found(notebook_v4(("code", cell))) == {(0, 3, "mlflow.autolog")}


def test_a_written_script_is_resolved_as_a_module_of_its_own() -> None:
    """`%%writefile train.py` holds the project's training script: its calls count, with its
    own imports (an appending cell continues it), and names do not cross between it and the
    notebook."""
    data = notebook_v4(
        ("code", "import mlflow as mf"),
        (
            "code",
            "%%writefile src/train.py\nimport mlflow\nfrom mlflow import log_metric\n"
            "mlflow.log_param('lr', 0.1)\nmf.log_param('not', 'bound here')\n",
        ),
        ("code", "%%writefile -a src/train.py\nlog_metric('loss', 0.2)\n"),
        ("code", "%%writefile config.yml\nrun: mlflow.log_param('a', 1)\n"),
        ("code", "log_metric('not', 1)\nmf.end_run()"),
    )
    assert found(data) == {
        (1, 4, "mlflow.log_param"),
        (2, 2, "mlflow.log_metric"),
        (4, 2, "mlflow.end_run"),
    }


def test_a_cell_with_a_leading_indent_runs_as_ipython_runs_it() -> None:
    data = notebook_v4(
        ("code", "import mlflow"),
        ("code", "\n  for i in range(2):\n      mlflow.log_metric('m', i)\n"),
    )
    (call,) = analyze_bytes(data, FileKind.NOTEBOOK).calls
    assert (call.cell, call.line, call.column, call.api) == (1, 3, 6, "mlflow.log_metric")


def test_an_indented_non_python_cell_body_is_not_a_skipped_cell() -> None:
    data = notebook_v4(
        ("code", "%%writefile env/conda.yaml\nname: env\ndependencies:\n  - mlflow\n"),
        ("code", "import mlflow\nmlflow.end_run()"),
    )
    analysis = analyze_bytes(data, FileKind.NOTEBOOK)
    assert analysis.detail == ""
    assert [(c.cell, c.line, c.api) for c in analysis.calls] == [(1, 2, "mlflow.end_run")]


def test_modulo_continuation_lines_survive_when_cell_parses() -> None:
    cell = 'import mlflow\nname = ("%s"\n    % run)\nmlflow.set_tag("name", name)'
    assert found(notebook_v4(("code", cell))) == {(0, 4, "mlflow.set_tag")}


def test_neutralise_keeps_line_count() -> None:
    source = "%load_ext x\n!ls\nx = 1\n%%not-first\n"
    assert neutralise_magics(source).count("\n") == source.count("\n")


def test_broken_cell_is_skipped_and_said_so() -> None:
    data = notebook_v4(
        ("code", "import mlflow"), ("code", "def broken(:\n"), ("code", "mlflow.log_metric('m', 1)")
    )
    analysis = analyze_bytes(data, FileKind.NOTEBOOK)
    assert analysis.status is FileStatus.PARTIAL
    assert "1 of 3 code cells do not parse in full" in analysis.detail
    assert "cell 1 line 1: invalid syntax (skipped)" in analysis.detail
    assert {(c.cell, c.api) for c in analysis.calls} == {(2, "mlflow.log_metric")}


@pytest.mark.parametrize(
    ("data", "status", "detail"),
    [
        (b"{not json import mlflow", FileStatus.BAD_NOTEBOOK, "not JSON"),
        (b'["import mlflow"]', FileStatus.BAD_NOTEBOOK, "top level is not an object"),
        (
            b'{"metadata": {}, "nbformat": 4, "x": "import mlflow"}',
            FileStatus.BAD_NOTEBOOK,
            "no cells",
        ),
        (b'{"cells": "import mlflow"}', FileStatus.BAD_NOTEBOOK, "cells is not a list"),
        (
            b'{"cells": [{"cell_type": "code", "source": 5}], "m": "import mlflow"}',
            FileStatus.BAD_NOTEBOOK,
            "source is not text",
        ),
        (b'\xff\xfe{"cells": []} import mlflow', FileStatus.BAD_NOTEBOOK, "not JSON"),
        (
            notebook_v4(("code", "library(\"mlflow\")\nmlflow_log_param('a', 1)"), language="R"),
            FileStatus.NOT_PYTHON,
            "kernel language is r",
        ),
        (notebook_v4(("markdown", "just text")), FileStatus.NO_MLFLOW, ""),
    ],
)
def test_bad_notebooks_get_a_status(data: bytes, status: FileStatus, detail: str) -> None:
    analysis = analyze_bytes(data, FileKind.NOTEBOOK)
    assert analysis.status is status
    assert detail in analysis.detail


def test_run_magic_brings_mlflow_from_the_other_notebook() -> None:
    data = notebook_v4(("code", "%run ./setup_mlflow"), ("code", "mlflow.log_metric('auc', 1)"))
    assert found(data) == {(1, 1, "mlflow.log_metric")}


def test_without_run_magic_an_unbound_mlflow_is_not_reported() -> None:
    data = notebook_v4(("code", "%pip install mlflow"), ("code", "mlflow.log_metric('auc', 1)"))
    assert found(data) == set()
