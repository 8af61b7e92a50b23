"""Bad input: every kind of file gets a clear status and never crashes the analyzer."""

from __future__ import annotations

import json

import pytest

from analyzers.code.analyze import analyze_bytes, may_use_mlflow
from analyzers.records import FileKind, FileStatus

CALL = b"mlflow.log_param('a', 1)\n"
FULLWIDTH = "".join(chr(0xFF00 + ord(c) - 0x20) for c in "mlflow")  # NFKC: "mlflow"

BAD_INPUT = [
    ("python2-print", b"import mlflow\nprint 'hello'\n" + CALL, FileStatus.PYTHON2, "line 2"),
    (
        "python2-except",
        b"import mlflow\ntry:\n    x\nexcept Exception, e:\n    pass\n",
        FileStatus.PYTHON2,
        "Python 2",
    ),
    (
        "python2-octal",
        b"import mlflow, os\nos.chmod('f', 0755)\n" + CALL,
        FileStatus.PYTHON2,
        "octal literal without 0o at line 2",
    ),
    (
        "python2-long",
        b"import mlflow\nn = 10L\n" + CALL,
        FileStatus.PYTHON2,
        "long integer literal at line 2",
    ),
    ("python2-backtick", b"import mlflow\ns = `n`\n" + CALL, FileStatus.PYTHON2, "backtick"),
    ("python2-not-equal", b"import mlflow\nif a <> b: pass\n" + CALL, FileStatus.PYTHON2, "<>"),
    ("python2-ur-prefix", b"import mlflow\ns = ur'x'\n" + CALL, FileStatus.PYTHON2, "ur string"),
    ("python2-exec", b"import mlflow\nexec 'x = 1'\n" + CALL, FileStatus.PYTHON2, "exec"),
    ("python2-raise", b"import mlflow\nraise ValueError, 'bad'\n", FileStatus.PYTHON2, "raise"),
    (
        "python2-print-after-colon",
        b"import mlflow\nif x: print x\n",
        FileStatus.PYTHON2,
        "print statement at line 2",
    ),
    ("syntax-error", b"from mlflow import (\n", FileStatus.SYNTAX_ERROR, "line 1"),
    (
        "syntax-error-nothing-parses",
        b"from mlflow import log_param\n    log_param('a', 1)\n",
        FileStatus.SYNTAX_ERROR,
        "line 2",
    ),
    # Python 2 look-alikes in comments and strings are no evidence: it is a plain syntax error.
    (
        "syntax-error-with-python2-lookalikes",
        b"import mlflow\n# a <> b, 0755, ada-002\ns = 'print x, 10L'\ndef f(:\n",
        FileStatus.PARTIAL,
        "line 4",
    ),
    ("non-utf8", b"import mlflow\nname = '\xe9t\xe9'\n", FileStatus.DECODE_ERROR, "utf-8"),
    (
        "bad-cookie",
        b"# -*- coding: klingon -*-\nimport mlflow\n",
        FileStatus.DECODE_ERROR,
        "klingon",
    ),
    ("binary", b"\x7fELF\x00\x00import mlflow\x00\x01", FileStatus.BINARY, "NUL"),
    (
        "deep-parentheses",
        b"import mlflow\nx = " + b"(" * 300 + b"1" + b")" * 300 + b"\n",
        FileStatus.TOO_DEEP,
        "nested",
    ),
    (
        "deep-chain",
        b"import mlflow\nx = " + b"+".join([b"a"] * 20000) + b"\n",
        FileStatus.TOO_DEEP,
        "nested",
    ),
    (
        "deep-indentation",
        b"import mlflow\n"
        + b"".join(b" " * i + b"if x:\n" for i in range(120))
        + b" " * 120
        + b"pass\n",
        FileStatus.TOO_DEEP,
        "indentation",
    ),
]


@pytest.mark.parametrize(
    ("data", "status", "detail"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_gets_a_status_and_reason(data: bytes, status: FileStatus, detail: str) -> None:
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    assert analysis.status is status
    assert detail.lower() in analysis.detail.lower()
    assert analysis.calls == ()


GOOD_ENCODINGS = [
    ("bom", b"\xef\xbb\xbfimport mlflow\n" + CALL, 2),
    ("crlf", b"import mlflow\r\nx = 1\r\n" + CALL.replace(b"\n", b"\r\n"), 3),
    ("latin1-cookie", b"# -*- coding: latin-1 -*-\nimport mlflow\nname = '\xe9'\n" + CALL, 4),
    ("non-ascii-identifiers", "import mlflow\nnäme = 1\n".encode() + CALL, 3),
    ("nfkc-identifier", f"import {FULLWIDTH}\n{FULLWIDTH}.log_param('a', 1)\n".encode(), 2),
    (
        "moderately-deep-but-fine",
        b"import mlflow\nx = " + b"+".join([b"a"] * 600) + b"\n" + CALL,
        3,
    ),
    ("python312-type-statement", b"import mlflow\ntype Vector = list[float]\n" + CALL, 3),
    # Each link's receiver is evaluated once: asking twice per link would double per link.
    ("long-method-chain", b"import mlflow\nx = (df" + b".pipe(f)" * 200 + b")\n" + CALL, 3),
]


PYTHON2_LOOKALIKES = [
    # A date, a model name or markup in comments and strings is not Python 2 syntax.
    (
        "magic-and-a-date",
        b"%pip install mlflow\nimport mlflow\nmlflow.log_param('d', '2024-01-05')\n",
        3,
    ),
    (
        "databricks-magic-comment",
        b"# Databricks notebook source\n%pip install mlflow \\\n  pandas\n"
        b"# COMMAND ----------\n# MAGIC %md text-embedding-ada-002 <b>x</b>\nimport mlflow\n"
        b"mlflow.log_param('model', 'ada-002')\n",
        7,
    ),
    (
        "newer-fstring-and-a-date",
        b"import mlflow\nd = {'a': 1}\nmlflow.log_param('when', '2024-01-05')\n"
        b'print(f"{d["a"]}")\n',
        3,
    ),
    (
        "print-as-a-name",
        b"import mlflow\nprint = mlflow.log_param\nprint('a', 1)\nmlflow.log_param('a', 1)\n",
        3,
    ),
]


@pytest.mark.parametrize(
    ("data", "line"),
    [case[1:] for case in PYTHON2_LOOKALIKES],
    ids=[case[0] for case in PYTHON2_LOOKALIKES],
)
def test_python2_lookalikes_are_analyzed(data: bytes, line: int) -> None:
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    assert analysis.status is FileStatus.ANALYZED, analysis.detail
    assert (line, "mlflow.log_param") in [(c.line, c.api) for c in analysis.calls]


@pytest.mark.parametrize(
    ("data", "line"),
    [case[1:] for case in GOOD_ENCODINGS],
    ids=[case[0] for case in GOOD_ENCODINGS],
)
def test_unusual_but_valid_files_are_analyzed(data: bytes, line: int) -> None:
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    assert analysis.status is FileStatus.ANALYZED, analysis.detail
    assert [(c.line, c.api) for c in analysis.calls] == [(line, "mlflow.log_param")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"import mlflow", True),
        (b"from mlflow.tracking import MlflowClient", True),
        (b"import os\nprint('MLflow')", False),
        (b"# we used to import mlflow.log_param here\n", True),  # comments may not be parsed away
        (b"x = 1  # see mlflow.org\nmlflow_utils.log(1)\n", False),
        (b"import os, mlflow\n", True),
        (b"from \\\n    mlflow import log_param\n", True),
        (b'm = importlib.import_module("mlflow")\n', True),
        (b"os.environ['MLFLOW_TRACKING_URI'] = x\n", True),
        (b"# MAGIC %run ./setup\nmlflow.autolog()\n", True),
        # An integration that logs to MLflow for the user: its indirect use is resolved too.
        (b"from pytorch_lightning.loggers import MLFlowLogger\n", True),
        (b"args = TrainingArguments(report_to='wandb')\n", True),
        (b"from pytorch_lightning.loggers import TensorBoardLogger\n", False),
        (b"", False),
        (f"import {FULLWIDTH}".encode(), True),
        ("# ünïcode but no tracker".encode(), False),
        # A notebook cell's source as one JSON string, not a list of lines: its calls were lost.
        (b'{"source": "x = 1\\nimport mlflow\\nmlflow.autolog()"}', True),
        (b'{"source": "if x:\\n\\tfrom mlflow import log_param"}', True),
    ],
)
def test_prefilter(data: bytes, expected: bool) -> None:
    assert may_use_mlflow(data) is expected


def test_prefilter_never_loses_a_resolvable_file() -> None:
    """Every snippet of the accuracy table that yields calls passes the pre-filter."""
    from tests.analyzers.code.test_resolution import CASES

    for _, source, expected in CASES:
        if expected:
            assert may_use_mlflow(source.encode())


def test_databricks_source_with_a_broken_cell_keeps_the_other_cells_and_its_imports() -> None:
    source = (
        b"# Databricks notebook source\nimport os\n\n# COMMAND ----------\n\n"
        b"import mlflow\nx = (\n\n# COMMAND ----------\n\nmlflow.log_param('depth', 3)\n"
    )
    analysis = analyze_bytes(source, FileKind.SCRIPT)
    assert analysis.status is FileStatus.PARTIAL
    assert "1 of 3 Databricks cells do not parse in full: cell at line 5" in analysis.detail
    assert [(c.cell, c.line, c.api, c.keys) for c in analysis.calls] == [
        (None, 11, "mlflow.log_param", ("depth",))
    ]


def test_databricks_cell_with_a_leading_indent_runs_as_ipython_runs_it() -> None:
    """IPython strips the first code line's indentation from a cell: a stray space does not
    stop the cell from running, so it does not hide its calls."""
    source = (
        b"# Databricks notebook source\nimport mlflow\n\n# COMMAND ----------\n\n"
        b" run = mlflow.start_run()\n if run:\n     mlflow.end_run()\n"
    )
    analysis = analyze_bytes(source, FileKind.SCRIPT)
    assert analysis.status is FileStatus.ANALYZED
    assert analysis.detail.startswith("parsed as 2 Databricks cells")
    assert [(c.line, c.column, c.api) for c in analysis.calls] == [
        (6, 7, "mlflow.start_run"),
        (8, 5, "mlflow.end_run"),
    ]


DATABRICKS_WRITTEN = (
    b"# Databricks notebook source\nimport mlflow\nmlflow.set_experiment('/demo')\n\n"
    b"# COMMAND ----------\n\n"
    b"# MAGIC %%writefile train.py\n# MAGIC import mlflow\n# MAGIC\n# MAGIC def main():\n"
    b"# MAGIC     mlflow.log_param('lr', 0.1)\n\n"
    b"# COMMAND ----------\n\n"
    b"# MAGIC %%writefile -a train.py\n# MAGIC main()\n# MAGIC mlflow.log_metric('auc', 1)\n\n"
    b"# COMMAND ----------\n\n"
    b"# MAGIC %%writefile conf.yaml\n# MAGIC mlflow.log_param: not python\n\n"
    b"# COMMAND ----------\n\n"
    b"# MAGIC %%writefile serve.py\n# MAGIC mlflow.log_metric('unbound', 1)\n\n"
    b"# COMMAND ----------\n\n"
    b"# MAGIC %md mlflow.log_param('in markdown', 1)\n"
)


def test_databricks_written_scripts_are_analyzed_as_the_scripts_they_write() -> None:
    """A `# MAGIC %%writefile train.py` cell is a script of its own (appending cells continue
    it), at the notebook's lines, its columns past the `# MAGIC ` prefix. Not the YAML one, not
    markdown, and a written script does not see the notebook's `import mlflow`."""
    analysis = analyze_bytes(DATABRICKS_WRITTEN, FileKind.SCRIPT)
    assert analysis.status is FileStatus.ANALYZED
    assert [(c.line, c.column, c.api, c.keys) for c in analysis.calls] == [
        (3, 0, "mlflow.set_experiment", ()),
        (11, 12, "mlflow.log_param", ("lr",)),
        (17, 8, "mlflow.log_metric", ("auc",)),
    ]


def _with_cookie(encoding: str) -> bytes:
    return f"# -*- coding: {encoding} -*-\nimport mlflow\n".encode() + CALL


NOT_SOURCE_CODECS = [
    # name in the cookie, what the detail says
    ("rot13", "not a text encoding"),
    ("hex", "not a text encoding"),
    ("base64", "not a text encoding"),
    ("zlib", "not a text encoding"),
    ("bz2", "not a text encoding"),
    ("uu", "not a text encoding"),
    ("quopri", "not a text encoding"),
    ("undefined", "decodes nothing"),
    ("punycode", "quadratic"),
    ("mbcs", "unknown encoding"),  # Windows only
    ("aliases", "unknown encoding"),  # a module of the encodings package, not a codec
]


@pytest.mark.parametrize(
    ("encoding", "detail"), NOT_SOURCE_CODECS, ids=[c[0] for c in NOT_SOURCE_CODECS]
)
def test_a_cookie_naming_a_codec_that_is_not_a_source_encoding_is_a_decode_error(
    encoding: str, detail: str
) -> None:
    analysis = analyze_bytes(_with_cookie(encoding), FileKind.SCRIPT)
    assert (analysis.status, analysis.calls) == (FileStatus.DECODE_ERROR, ())
    assert encoding in analysis.detail
    assert detail in analysis.detail
    assert "\n" not in analysis.detail


def _stdlib_codecs() -> list[str]:
    import encodings
    import pkgutil

    return sorted(module.name for module in pkgutil.iter_modules(encodings.__path__))


@pytest.mark.parametrize("encoding", _stdlib_codecs())
def test_any_codec_in_a_cookie_gives_a_status_never_an_exception(encoding: str) -> None:
    """Every module of the `encodings` package as a cookie, in a script and in a notebook
    cell (where, as in Jupyter, a cookie is only a comment: the cell is already text)."""
    script = analyze_bytes(_with_cookie(encoding), FileKind.SCRIPT)
    assert script.status in (FileStatus.ANALYZED, FileStatus.DECODE_ERROR, FileStatus.SYNTAX_ERROR)
    assert "\n" not in script.detail
    cell = _with_cookie(encoding).decode()
    notebook = json.dumps({"cells": [{"cell_type": "code", "source": cell}], "nbformat": 4})
    analysis = analyze_bytes(notebook.encode(), FileKind.NOTEBOOK)
    assert analysis.status is FileStatus.ANALYZED
    assert [call.api for call in analysis.calls] == ["mlflow.log_param"]


def test_a_quadratic_codec_is_refused_before_it_runs() -> None:
    """punycode decodes 200 kB in 1.6 s and 5 MB (the size cap) in about 20 minutes."""
    data = _with_cookie("punycode") + b"x-" + b"abcdefghij" * 20_000
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    assert analysis.status is FileStatus.DECODE_ERROR
    assert "quadratic" in analysis.detail
