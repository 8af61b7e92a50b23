"""Property-based tests of one file's analysis, fed generated Python, mutated fixtures and
notebooks of any shape: no exception escapes, every status comes with a one-line detail, the
pre-filter never drops a file that has something to report, and every reported position is
where ast says a call (or, for facts, some node) starts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from analyzers.code.analyze import (
    UndecodableSource,
    _analyze_notebook,
    _analyze_script,
    analyze_bytes,
    decode_source,
)
from analyzers.code.catalog import load_catalog
from analyzers.code.notebooks import NotebookError, code_cells, neutralise_magics
from analyzers.code.prefilter import MODEL_URI_PREFIXES as PREFILTER_URI_PREFIXES
from analyzers.code.prefilter import may_use_mlflow
from analyzers.records import FileAnalysis, FileKind, FileStatus
from tests.fuzz.profiles import examples
from tests.fuzz.strategies import (
    NOTEBOOK_SEEDS,
    SCRIPT_SEEDS,
    generated_with_calls,
    mutated,
    notebooks,
    relaid,
    starts,
)

# The grammar generator compiles what it makes: "'int' object is not callable" and the like.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

_ORACLE_FAILS = (SyntaxError, ValueError, RecursionError, MemoryError, UnicodeError)


def _well_formed(analysis: FileAnalysis) -> None:
    assert isinstance(analysis.status, FileStatus)
    assert "\n" not in analysis.detail, analysis.detail
    assert "\r" not in analysis.detail, analysis.detail
    if analysis.status not in (FileStatus.ANALYZED, FileStatus.PARTIAL):
        assert analysis.calls == ()
        assert analysis.facts == ()
    for site in (*analysis.calls, *analysis.facts):
        assert site.line >= 1
        assert site.column >= 0


def _positions_hold(analysis: FileAnalysis, text: str, cell: int | None = None) -> None:
    try:
        calls, anything = starts(text)
    except _ORACLE_FAILS:
        return  # ast cannot read it (Python 2, newer grammar): no oracle
    for call in analysis.calls:
        if call.cell == cell:
            assert (call.line, call.column) in calls, (call, text)
    for fact in analysis.facts:
        if fact.cell == cell:
            assert (fact.line, fact.column) in anything, (fact, text)


@settings(max_examples=examples(100))
@given(generated_with_calls())
def test_calls_in_generated_python_are_found_where_they_are(source: str) -> None:
    data = source.encode("utf-8", "surrogatepass")
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    _well_formed(analysis)
    if analysis.status is FileStatus.ANALYZED and not analysis.detail:
        _positions_hold(analysis, decode_source(data))


@settings(max_examples=examples(80))
@given(relaid(SCRIPT_SEEDS))
def test_positions_follow_the_code_whatever_its_layout(data: bytes) -> None:
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    _well_formed(analysis)
    if analysis.status is FileStatus.ANALYZED and not analysis.detail:
        _positions_hold(analysis, decode_source(data))


@settings(max_examples=examples(120))
@given(mutated(SCRIPT_SEEDS))
def test_a_mutated_script_gets_a_status_and_true_positions(data: bytes) -> None:
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    _well_formed(analysis)
    if analysis.status is FileStatus.ANALYZED and not analysis.detail:  # parsed as written
        try:
            text = decode_source(data)
        except UndecodableSource:
            raise AssertionError("analysed, yet not decodable") from None
        _positions_hold(analysis, text)
    if not may_use_mlflow(data):
        whole = _analyze_script(data, load_catalog())
        assert (whole.calls, whole.facts) == ((), ()), "the pre-filter dropped a finding"


@settings(max_examples=examples(120))
@given(notebooks() | mutated(NOTEBOOK_SEEDS))
def test_any_notebook_gets_a_status_and_true_positions(data: bytes) -> None:
    analysis = analyze_bytes(data, FileKind.NOTEBOOK)
    _well_formed(analysis)
    if not may_use_mlflow(data):
        whole = _analyze_notebook(data, load_catalog())
        assert (whole.calls, whole.facts) == ((), ()), "the pre-filter dropped a finding"
    if analysis.status is not FileStatus.ANALYZED:
        return
    try:
        cells = {cell.index: cell.source for cell in code_cells(data)[0]}
    except NotebookError:
        raise AssertionError("analysed, yet not a notebook") from None
    for index in {site.cell for site in (*analysis.calls, *analysis.facts)}:
        assert index in cells
        source = cells[index]
        neutral = neutralise_magics(source)
        _positions_hold(analysis, neutral if neutral != source else source, index)


def test_the_strategies_reach_calls() -> None:
    """The harness is worth its time only if its inputs hold MLflow calls."""
    seeds = [analyze_bytes(seed, FileKind.SCRIPT) for seed in SCRIPT_SEEDS]
    assert sum(len(analysis.calls) for analysis in seeds) > 100
    notebook = json.dumps(
        {"cells": [{"cell_type": "code", "source": "import mlflow\nmlflow.autolog()"}]}
    )
    assert analyze_bytes(notebook.encode(), FileKind.NOTEBOOK).calls


# What `make fuzz` found, kept as examples that every run of the suite tries.
FOUND = [
    # libcst drops a form feed at the start of a line: its columns there were one short.
    ("form-feed", b'import mlflow\n\x0cmlflow.log_param("lr", 0.1)\n', [(2, 1)]),
    # libcst parses a backslash line after a block into the block: its tree does not line up
    # with ast's, and its own whole-module positions were a line off.
    (
        "backslash-line-after-a-block",
        b"import mlflow\ndef f(c, r):\n    c.log(r)\n\\\nf(o, 'r')\nf(*[mlflow.MlflowClient()], 'r')\n",
        [(6, 4)],
    ),
    # ... and drops a backslash line between a decorator and its def: the decorator's call
    # was put a line low.
    (
        "backslash-line-after-a-decorator",
        b'import mlflow\n@mlflow.trace(name="predict")\n\\\ndef predict(x):\n    return x\n',
        [(2, 1)],
    ),
]


@pytest.mark.parametrize(("data", "expected"), [f[1:] for f in FOUND], ids=[f[0] for f in FOUND])
def test_what_the_fuzzer_found(data: bytes, expected: list[tuple[int, int]]) -> None:
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    assert [(call.line, call.column) for call in analysis.calls] == expected
    _positions_hold(analysis, decode_source(data))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_notebook_in_any_json_encoding_keeps_its_calls(encoding: str) -> None:
    """json.loads reads UTF-16 and UTF-32; the byte pre-filter did not, and dropped the file."""
    cell = {"cell_type": "code", "source": "import mlflow\nmlflow.autolog()"}
    data = json.dumps({"cells": [cell]}).encode(encoding)
    assert may_use_mlflow(data)
    assert [c.api for c in analyze_bytes(data, FileKind.NOTEBOOK).calls] == ["mlflow.autolog"]


def test_a_model_uri_without_an_import_passes_the_prefilter() -> None:
    """Found by make fuzz after the repository pass: a model URI literal is a fact without any
    import of mlflow (a config module's MODEL_URI), which the pre-filter dropped."""
    from analyzers.code.resolver_calls import MODEL_URI_PREFIXES

    assert tuple(p.encode() for p in MODEL_URI_PREFIXES) == PREFILTER_URI_PREFIXES
    data = b'MODEL_URI = "models:/churn/Production"\n'
    assert may_use_mlflow(data)
    assert [f.fact for f in analyze_bytes(data, FileKind.SCRIPT).facts] == ["model-uri"]
