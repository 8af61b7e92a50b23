"""Inputs for the fuzzing harness: generated Python, byte mutations of the project's own
fixtures, notebooks valid and not, and file names of any bytes; and the position oracle."""

from __future__ import annotations

import ast
import json
import re
import textwrap
import warnings

import hypothesmith
from hypothesis import assume
from hypothesis import strategies as st

from analyzers.code.prefilter import may_use_mlflow
from tests.analyzers.code.test_resolution import CASES
from tests.paths import FIXTURES

# ---------------------------------------------------------------- seeds: the project's fixtures


def _fixture_files(suffix: str) -> list[bytes]:
    return [path.read_bytes() for path in sorted(FIXTURES.rglob(f"*{suffix}")) if path.is_file()]


_SCRIPTS = [
    *(textwrap.dedent(source).lstrip("\n").encode() for _, source, _ in CASES),
    *_fixture_files(".py"),
]
# Those the pre-filter lets through first: Hypothesis draws (and shrinks towards) early ones
# most, and a mutation of a file the pre-filter drops tests little.
SCRIPT_SEEDS = sorted(_SCRIPTS, key=lambda seed: not may_use_mlflow(seed))
NOTEBOOK_SEEDS = _fixture_files(".ipynb")

# Byte strings that tend to matter to a decoder, a tokenizer, a parser or a CSV reader.
INTERESTING = [
    b"\r",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\\\n",
    b"(",
    b")",
    b"[",
    b"'''",
    b'"',
    b"#",
    b"\t",
    b"    ",
    b"\f",
    b"\x1a",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xe9",
    "\u2028".encode(),
    "é".encode(),
    b"# -*- coding: rot13 -*-\n",
    b"# coding: latin-1\n",
    b"# coding: utf-16\n",
    b"%pip install mlflow\n",
    b"!ls\n",
    b"%%time\n",
    b"# COMMAND ----------\n",
    b"# MAGIC %run ./x\n",
    b"import mlflow\n",
    b"import mlflow as mf\n",
    b"from mlflow import *\n",
    b"mlflow.",
    b"mlflow.log_param('k', 1)\n",
    b"@mlflow.trace\n",
    b"MlflowClient().",
    b"async ",
    b"lambda: ",
    b"f'{",
    b"}'",
    b"=",
    b"+",
    b"@",
    b"print ",
    b"0755",
    b"\\N{",
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few changes: an interesting byte string inserted or put in place of a
    few bytes, a part of another seed spliced in, bytes deleted, a bit flipped, random bytes
    inserted (in that order of likelihood)."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        line_starts = [0, *(i + 1 for i, byte in enumerate(data) if byte == 0x0A)]
        where = draw(st.one_of(st.sampled_from(line_starts), st.integers(0, len(data))))
        operation = draw(
            st.sampled_from(["interesting", "replace", "splice", "delete", "flip", "random"])
        )
        if operation in ("interesting", "replace"):
            end = where + (draw(st.integers(1, 8)) if operation == "replace" else 0)
            data[where:end] = draw(st.sampled_from(INTERESTING))
        elif operation == "splice":
            other = draw(st.sampled_from(seeds))
            start = draw(st.integers(0, len(other)))
            data[where:where] = other[start : start + draw(st.integers(1, 200))]
        elif operation == "delete":
            del data[where : where + draw(st.integers(1, 16))]
        elif operation == "flip" and data:
            where = min(where, len(data) - 1)
            data[where] ^= 1 << draw(st.integers(0, 7))
        else:
            data[where:where] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


# Edits that keep a module valid but move its code about: blank and comment lines, form feeds,
# CRLF and CR line ends, a BOM, statements that nest what follows...
_LINE_PREFIXES = [
    b"\n",
    b"# c\n",
    b"\r\n",
    b"\x0c",
    b"   \n",
    b"pass; ",
    b"x = (1,\n  2)\n",
    b'"""doc\n\nstring"""\n',
    b"if True: pass\n",
    b"\\\n",
    "é = 'ü'; ".encode(),
]


@st.composite
def relaid(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with its layout changed but its meaning kept (most of the time)."""
    lines = draw(st.sampled_from(seeds)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(lines)))
        lines.insert(index, draw(st.sampled_from(_LINE_PREFIXES)))
    ending = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    data = b"".join(
        line.rstrip(b"\r\n") + ending if line.endswith(b"\n") else line for line in lines
    )
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + data


# ---------------------------------------------------------------- generated Python


# Built once: hypothesmith reads Python's grammar each time a strategy is made.
_MODULE = hypothesmith.from_grammar()
# Expressions are written here rather than drawn from the grammar, which takes ~0.2 s each.
_ATOM = st.one_of(
    st.sampled_from(["x", "self.a", "mlflow", "None", "...", "run.info.run_id", "é", "_"]),
    st.integers(-5, 10**20).map(str),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=8).map(repr),
    st.sampled_from(["'''a\nb'''", 'b"\\x00"', "f'{x!r:>{w}}'", 'r"\\d"', "0x_f", "1_0.5j"]),
)
_EXPRESSION = st.recursive(
    _ATOM,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: f"{p[0]} if {p[1]} else {p[0]}"),
        st.tuples(inner, inner).map(lambda p: f"[{p[0]},\n {p[1]}]"),
        st.tuples(inner, inner).map(lambda p: f"{{{p[0]}: {p[1]}}}"),
        inner.map(lambda e: f"(lambda q: {e})(1)"),
        inner.map(lambda e: f"g(*{e}, k=\\\n {e})"),
        inner.map(lambda e: f"[y for y in {e} if y]"),
        inner.map(lambda e: f"(w := {e})"),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"mlflow.log_param('inner', {e})"),
        inner.map(lambda e: f"f'{{ {e} }}'"),
    ),
    max_leaves=6,
)

# MLflow calls in the contexts the resolver walks; {e} is a generated expression.
TEMPLATES = [
    "mlflow.log_metric({e}, {e})",
    "x = ({e}, mlflow.log_param('p', {e}))",
    "if {e}:\n    mlflow.autolog()\nelif {e}:\n    mlflow.end_run()\nelse:\n    pass",
    "with mlflow.start_run() as run:\n    y = {e}\n    mlflow.log_params({{'a': {e}}})",
    "@mlflow.trace\ndef f(a={e}):\n    return mlflow.log_metric('m', a)",
    "@mlflow.trace(name={e})\nasync def g():\n    await mlflow.log_param('q', {e})",
    "class C({e}):\n    client = mlflow.MlflowClient()\n\n    def m(self):\n"
    "        self.client.log_metric('r', 'k', {e})",
    "h = lambda: mlflow.log_param('l', {e})",
    "try:\n    mlflow.set_tag('t', {e})\nexcept {e}:\n    mlflow.log_text({e}, 'x.txt')",
    "for i in {e}: mlflow.log_metric('i', i); mlflow.log_metric('j', {e})",
    "z = [mlflow.log_param(k, v) for k, v in {e}]",
    "match {e}:\n    case [a] if mlflow.log_param('c', a):\n        mlflow.end_run()",
    "s = f'{{mlflow.log_param(\"f\", 1)}} {{x}}'",
]


@st.composite
def generated_with_calls(draw: st.DrawFn) -> str:
    """A module from the grammar (hypothesmith: odd layout, comments, continuations), then
    MLflow calls in many contexts around generated expressions."""
    parts = ["import mlflow", draw(_MODULE).rstrip("\\")]
    for template in draw(st.lists(st.sampled_from(TEMPLATES), min_size=1, max_size=4)):
        expressions = [f"({draw(_EXPRESSION).strip()}\n)" for _ in range(template.count("{e}"))]
        parts.append(template.replace("{e}", "\0").replace("{{", "{").replace("}}", "}"))
        for expression in expressions:
            parts[-1] = parts[-1].replace("\0", expression, 1)
    source = "\n".join(parts) + "\n"
    try:
        _parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)
    return source


# ---------------------------------------------------------------- notebooks

CELL_SOURCES = [
    "import mlflow\nmlflow.autolog()",
    "%pip install mlflow\nimport mlflow\nmlflow.log_param('a', 1)\n",
    "  mlflow.log_metric('indented', 1)\n  x = 2",
    "%%time\nmlflow.end_run()",
    "%%writefile train.py\nimport mlflow\nmlflow.sklearn.autolog()\n",
    "%%bash\nmlflow ui",
    "%sql\nSELECT 1",
    "!pip install mlflow \\\n  pandas\nfrom mlflow import log_param\nlog_param('x', 1)",
    "x = !ls\nmlflow.set_tracking_uri('http://user:secret@host')",
    "def f(:\n  pass",
    "client = mlflow.MlflowClient()\nclient.log_metric('r', 'm', 1)",
    "%run ./other.ipynb\nmlflow.log_param('p', 2)",
    "",
]

_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
_cell_source = st.one_of(
    st.sampled_from(CELL_SOURCES),
    st.sampled_from(CELL_SOURCES).map(lambda text: text.splitlines(keepends=True)),
    st.text(max_size=60),
    st.lists(st.one_of(st.text(max_size=20), _json_leaf), max_size=4),
    _json_leaf,
)
_cell = st.one_of(
    st.fixed_dictionaries(
        {"cell_type": st.sampled_from(["code", "code", "markdown", "raw", "other"])},
        optional={
            "source": _cell_source,
            "input": _cell_source,
            "metadata": st.dictionaries(st.text(max_size=5), _json_leaf, max_size=2),
            "outputs": st.lists(_json_leaf, max_size=2),
        },
    ),
    _json_leaf,
)
_language = st.sampled_from(["python", "python3", "R", "julia", "", "scala"])
_notebook = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "cells": st.one_of(st.lists(_cell, max_size=6), _json_leaf),
            "metadata": st.fixed_dictionaries(
                {},
                optional={
                    "kernelspec": st.fixed_dictionaries({"language": _language}),
                    "language_info": st.fixed_dictionaries({"name": _language}),
                },
            ),
            "nbformat": st.integers(2, 5),
        },
    ),
    st.fixed_dictionaries(
        {
            "worksheets": st.one_of(
                st.lists(st.fixed_dictionaries({"cells": st.lists(_cell, max_size=4)}), max_size=2),
                _json_leaf,
            )
        }
    ),
    _json_leaf,
    st.lists(_json_leaf, max_size=3),
)


@st.composite
def _cell_text(draw: st.DrawFn) -> str:
    """The source of a code cell: one of CELL_SOURCES or a script seed, maybe mutated."""
    seed = draw(
        st.one_of(st.sampled_from(CELL_SOURCES).map(str.encode), st.sampled_from(SCRIPT_SEEDS))
    )
    if draw(st.booleans()):
        seed = draw(mutated([seed]))
    return seed.decode("utf-8", errors="replace")


_code_cell = st.builds(
    lambda text, as_lines: {
        "cell_type": "code",
        "source": text.splitlines(keepends=True) if as_lines else text,
        "metadata": {},
        "outputs": [],
    },
    _cell_text(),
    st.booleans(),
)
_markdown = st.just({"cell_type": "markdown", "source": ["# mlflow.log_param('no', 1)"]})
_valid_notebook = st.builds(
    lambda cells: {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
    st.lists(st.one_of(_code_cell, _markdown), min_size=1, max_size=5),
)


@st.composite
def notebooks(draw: st.DrawFn) -> bytes:
    """A notebook as bytes: well formed with code cells from the seeds (mutated or not), or
    JSON of any shape, in UTF-8 or another encoding, or broken JSON."""
    notebook = draw(st.one_of(_valid_notebook, _notebook))
    text = json.dumps(notebook, ensure_ascii=draw(st.booleans()))
    shape = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "truncated", "mutated"]))
    if shape == "truncated":
        return text.encode()[: draw(st.integers(0, len(text)))]
    if shape == "mutated":
        return draw(mutated([text.encode()]))
    return text.encode(shape, errors="surrogatepass")


# ---------------------------------------------------------------- file names

_SKIPPED_NAMES = {b".", b"..", b"venv", b".venv", b"site-packages", b"node_modules", b"build"}
_name_part = st.one_of(
    st.binary(min_size=1, max_size=12),
    st.sampled_from(
        [
            b"caf\xe9",
            b"\xff\xfe",
            b"a\\b",
            b"cr\rkey",
            b"lf\nkey",
            b"=cmd",
            b"+1",
            b"-x",
            b"@s",
            b"\t",
            b"'=q",
            b'"q"',
            b"a,b",
        ]
    ),
).map(lambda name: name.replace(b"/", b"_").replace(b"\x00", b"_"))


@st.composite
def file_names(draw: st.DrawFn) -> bytes:
    """A relative path of one or two parts, of any bytes a file system allows, most of them
    ending .py or .ipynb."""
    parts = draw(st.lists(_name_part, min_size=1, max_size=2))
    assume(not any(part in _SKIPPED_NAMES or part.startswith(b".") for part in parts))
    suffix = draw(st.sampled_from([b".py", b".py", b".ipynb", b".txt"]))
    return b"/".join(parts) + suffix


# ---------------------------------------------------------------- the position oracle

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning: "'int' object is not callable"...
        return ast.parse(text)


def starts(text: str) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Where ast says each call or decorator expression starts, and where any node starts:
    (1-based line, 0-based column in characters), lines as Python's tokenizer counts them."""
    tree = _parse(text)
    lines = _LINE_BREAK.split(text)

    def position(node: ast.AST) -> tuple[int, int]:
        line = lines[node.lineno - 1].encode("utf-8", "surrogatepass")  # type: ignore[attr-defined]
        column = len(line[: node.col_offset].decode("utf-8", "surrogatepass"))  # type: ignore[attr-defined]
        return node.lineno, column  # type: ignore[attr-defined]

    calls: set[tuple[int, int]] = set()
    anything: set[tuple[int, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.expr | ast.stmt):
            anything.add(position(node))
        if isinstance(node, ast.Call):
            calls.add(position(node))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            calls.update(position(decorator) for decorator in node.decorator_list)
    return calls, anything
