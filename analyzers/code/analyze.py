"""Analyze one file's bytes: decode, pre-filter, parse safely, resolve MLflow calls.

Everything here is a pure function of (bytes, kind, settings, catalog), which is what makes the
content cache sound. Repository code is parsed, never imported or run.
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import sys
import tokenize
import warnings
from dataclasses import replace
from typing import TypeVar

import libcst as cst

from analyzers.code.catalog import Catalog, load_catalog
from analyzers.code.notebooks import (
    MAGIC_COLUMNS,
    CodeCell,
    NotebookError,
    code_cells,
    databricks_written_scripts,
    neutralise_magics,
    without_leading_indent,
    written_script,
)
from analyzers.code.parsing import collection_paused, parse_module
from analyzers.code.positions import ParsedModule
from analyzers.code.prefilter import may_use_mlflow
from analyzers.code.python2 import python2_syntax
from analyzers.code.recovery import Recovered, Unparsable, recover
from analyzers.code.resolver import resolve_calls, resolve_in_repository
from analyzers.code.resolver_summaries import REPOSITORY_SESSION
from analyzers.records import CallSite, Fact, FileAnalysis, FileKind, FileStatus

# `%run other_notebook` runs another notebook in this one's namespace: a Jupyter line magic, or
# in a Databricks notebook exported as .py, a `# MAGIC %run` comment.
_RUN_MAGIC = re.compile(r"^[ \t]*(?:#[ \t]*MAGIC[ \t]+)?%run[ \t]", re.MULTILINE)
_DATABRICKS_CELL = re.compile(r"^# COMMAND -{5,}\s*$", re.MULTILINE)
_DEEP_SYNTAX = (
    "too many nested parentheses",
    "too many levels of indentation",
    "too many statically nested blocks",
)
# libcst's visitors recurse once per nesting level; ast has already bounded the depth.
_RECURSION_LIMIT = 20_000


_Located = TypeVar("_Located", CallSite, Fact)


class _TooDeep(Exception):
    pass


_Unparsable = Unparsable  # carries the line the parser points at, for error recovery


# Codecs that `codecs.lookup` accepts as text encodings but that cannot be trusted with a source
# file: knowledge as data, each with why. (Non-text codecs, such as rot13, hex, base64, zlib, bz2,
# uu and quopri, are refused by their codec's own flag, as CPython's tokenizer refuses them.)
REFUSED_CODECS = {
    "punycode": "its decoder takes time quadratic in the file's size",
    "undefined": "it decodes nothing",
}


class UndecodableSource(ValueError):
    """The bytes are not text in the encoding they declare (or the default UTF-8); the message
    is one line."""


def decode_source(data: bytes) -> str:
    """Decode Python source as the interpreter does (BOM, PEP 263 cookie, else UTF-8); raise
    `UndecodableSource`, never anything else, when that fails."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except Exception as error:  # SyntaxError; whatever an odd codec's lookup raises
        raise UndecodableSource(_one_line(str(error))) from None
    try:
        codec = codecs.lookup(encoding)
    except (LookupError, ValueError, TypeError, UnicodeError):
        raise UndecodableSource(f"unknown encoding {encoding}") from None
    if not getattr(codec, "_is_text_encoding", True):
        raise UndecodableSource(f"declared encoding {encoding} is not a text encoding")
    if codec.name in REFUSED_CODECS:
        raise UndecodableSource(
            f"declared encoding {encoding} refused: {REFUSED_CODECS[codec.name]}"
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UndecodableSource(
            _one_line(f"not valid {error.encoding} at byte {error.start}: {error.reason}")
        ) from None
    except Exception as error:  # a codec's own failure: UnicodeError, LookupError, ...
        raise UndecodableSource(
            _one_line(f"cannot decode as {encoding}: {type(error).__name__}: {error}")
        ) from None
    return text.removeprefix("\ufeff")


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _parse(text: str, cell: int | None = None) -> tuple[ParsedModule, str | None]:
    """Parse with libcst after `ast` has bounded the nesting depth; also return ast's error.

    libcst's native parser can overflow the C stack (a crash, not an exception) on expressions
    nested a few thousand deep; CPython's parser refuses those cleanly, so it goes first. When
    only ast fails, the file may use newer grammar than this interpreter's, or be Python 2,
    which libcst partly accepts: the caller decides.
    """
    ast_line: int | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree: ast.Module | None = ast.parse(text)
        ast_error = None
    except (RecursionError, MemoryError) as error:
        raise _TooDeep(f"nested too deeply to parse ({type(error).__name__})") from None
    except SyntaxError as error:
        if any(reason in str(error.msg) for reason in _DEEP_SYNTAX):
            raise _TooDeep(f"line {error.lineno}: {error.msg}") from None
        ast_error, tree = f"line {error.lineno}: {error.msg}", None
        ast_line = error.lineno
    except ValueError as error:  # null bytes
        raise _Unparsable(str(error)) from None
    try:
        return ParsedModule(cell, parse_module(text), tree, text=text), ast_error
    except cst.ParserSyntaxError as error:
        # ast runs on this interpreter's grammar; libcst may know a newer one. Both failed.
        message = ast_error or f"line {error.raw_line}: {error.message}"
        raise _Unparsable(message, ast_line if ast_error else error.raw_line) from None
    except RecursionError:
        raise _TooDeep("nested too deeply to parse") from None


def analyze_bytes(
    data: bytes, kind: FileKind, catalog: Catalog | None = None, prefilter: bool = True
) -> FileAnalysis:
    """The analysis of one `.py` or `.ipynb` file's content (`prefilter=False`: even when the
    pre-filter would rule it out, for a file its repository gives MLflow values to)."""
    catalog = catalog or load_catalog()
    if prefilter and not may_use_mlflow(data):
        return FileAnalysis(FileStatus.NO_MLFLOW)
    with collection_paused():
        if kind is FileKind.NOTEBOOK:
            return _analyze_notebook(data, catalog)
        return _with_written_scripts(_analyze_script(data, catalog), data, catalog)


def _resolve(
    modules: list[ParsedModule], catalog: Catalog, text: str
) -> tuple[tuple[CallSite, ...], tuple[Fact, ...]]:
    """Resolve calls; a file that `%run`s another notebook is assumed to get `mlflow` from it
    (the usual Databricks layout), which only matters where it uses `mlflow` unbound."""
    preimported = ["mlflow"] if _RUN_MAGIC.search(text) else []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        session = REPOSITORY_SESSION.get()
        if session is None:
            calls, facts = resolve_calls(modules, catalog, preimported)
        else:
            calls, facts, summary = resolve_in_repository(
                modules, catalog, preimported, session.context
            )
            session.summaries.append(summary)
        return tuple(calls), tuple(facts)
    finally:
        sys.setrecursionlimit(limit)


def _analyze_script(data: bytes, catalog: Catalog) -> FileAnalysis:
    if b"\x00" in data:
        return FileAnalysis(FileStatus.BINARY, "contains NUL bytes: not a text file")
    try:
        text = decode_source(data)
    except UndecodableSource as error:
        return FileAnalysis(FileStatus.DECODE_ERROR, str(error))
    detail = ""
    try:
        module, ast_error = _parse(text)
    except _TooDeep as error:
        return FileAnalysis(FileStatus.TOO_DEEP, str(error))
    except _Unparsable as error:
        parsed = _parse_neutralised(text, str(error), catalog)
        if isinstance(parsed, FileAnalysis):
            return parsed
        module, ast_error = parsed
        detail = "IPython magics and shell lines neutralised before parsing"
    if ast_error is not None:
        # libcst accepted what this interpreter's grammar did not: newer Python 3, or Python 2.
        python2 = python2_syntax(text)
        if python2 is not None:
            return FileAnalysis(FileStatus.PYTHON2, f"Python 2 syntax: {python2}")
    try:
        calls, facts = _resolve([module], catalog, text)
        return FileAnalysis(FileStatus.ANALYZED, detail, calls, facts)
    except RecursionError:
        return FileAnalysis(FileStatus.TOO_DEEP, "nested too deeply to resolve")


def _parse_neutralised(
    text: str, error: str, catalog: Catalog
) -> tuple[ParsedModule, str | None] | FileAnalysis:
    """A script that does not parse: parsed again with its magics neutralised (notebooks
    exported as scripts, from Databricks or Colab, keep `!pip` and `%magic` lines), else its
    analysis as Databricks cells or as an unparsable script."""
    neutral = neutralise_magics(text)
    try:
        if neutral != text:
            return _parse(neutral)
    except (_TooDeep, _Unparsable):
        pass
    if _DATABRICKS_CELL.search(text):
        cells = _analyze_databricks_cells(text, catalog, error)
        if cells.status is not FileStatus.SYNTAX_ERROR:
            return cells
    return _unparsable(neutral, error, catalog)


_MAGIC_WRITEFILE = re.compile(rb"^# MAGIC[ \t]+%%(?:writefile|file)\b", re.MULTILINE)


def _with_written_scripts(analysis: FileAnalysis, data: bytes, catalog: Catalog) -> FileAnalysis:
    """A Databricks source notebook's `# MAGIC %%writefile train.py` cells are the scripts they
    write, as in an .ipynb: each resolved as a module of its own, its calls added."""
    if analysis.status not in (FileStatus.ANALYZED, FileStatus.PARTIAL) or not (
        _MAGIC_WRITEFILE.search(data)
    ):
        return analysis
    calls, facts, broken = list(analysis.calls), list(analysis.facts), []
    for script in databricks_written_scripts(decode_source(data)):
        try:
            module: ParsedModule | None = _parse(script)[0]
        except _TooDeep:
            module = None
        except _Unparsable as error:
            recovered = _recover(script, None)
            module = recovered.parsed if recovered else None
            broken.append(recovered.describe() if recovered else str(error))
        if module is None:
            continue
        try:
            found = _resolve([replace(module, column_offset=MAGIC_COLUMNS)], catalog, script)
        except RecursionError:
            continue
        calls.extend(found[0])
        facts.extend(found[1])
    detail = analysis.detail
    if broken:
        detail = "; ".join([detail, "a written script does not parse in full: " + broken[0]])
    status = FileStatus.PARTIAL if broken else analysis.status
    return replace(
        analysis,
        status=status,
        detail=detail.lstrip("; "),
        calls=_in_order(tuple(calls)),
        facts=_in_order(tuple(facts)),
    )


def _unparsable(text: str, error: str, catalog: Catalog) -> FileAnalysis:
    python2 = python2_syntax(text)
    if python2 is not None:
        return FileAnalysis(FileStatus.PYTHON2, f"Python 2 syntax: {python2}")
    return _partial_script(text, error, catalog)


def _partial_script(text: str, error: str, catalog: Catalog) -> FileAnalysis:
    """A script that does not parse as a whole: the top-level statements that do, resolved
    together (`partial`); `syntax-error` when none does."""
    try:
        recovered = _recover(text, None)
    except _TooDeep as too_deep:
        return FileAnalysis(FileStatus.TOO_DEEP, str(too_deep))
    if recovered is None:
        return FileAnalysis(FileStatus.SYNTAX_ERROR, error)
    try:
        calls, facts = _resolve([recovered.parsed], catalog, text)
    except RecursionError:
        return FileAnalysis(FileStatus.TOO_DEEP, "nested too deeply to resolve")
    return FileAnalysis(FileStatus.PARTIAL, recovered.describe(), calls, facts)


def _recover(source: str, cell: int | None) -> Recovered[ParsedModule] | None:
    """`source` parsed without the top-level statements that break it (see `recovery`)."""
    return recover(source, lambda text: _parse(text, cell)[0])


def _analyze_databricks_cells(text: str, catalog: Catalog, error: str) -> FileAnalysis:
    """A Databricks notebook exported as .py that does not parse as a whole: its cells, split
    at `# COMMAND ----------`, are parsed one by one (a broken cell costs only itself) and
    resolved as one module; positions stay those of the file."""
    lines = text.splitlines(keepends=True)
    starts = [0] + [number + 1 for number, line in enumerate(lines) if _DATABRICKS_CELL.match(line)]
    modules: list[ParsedModule] = []
    skipped = []
    broken = 0  # cells that do not parse whole
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        source = "".join(lines[start:end])
        try:
            modules.append(_parse_cell(source, index))
        except (_TooDeep, _Unparsable) as cell_error:
            broken += 1
            parsed, note = _broken_cell(source, index, cell_error)
            skipped.append(f"cell at line {start + 1}: {note}")
            modules.extend(parsed)
    if not modules:
        return FileAnalysis(FileStatus.SYNTAX_ERROR, error)
    try:
        calls, facts = _resolve(modules, catalog, text)
    except RecursionError:
        return FileAnalysis(FileStatus.TOO_DEEP, "nested too deeply to resolve")
    # Back to file positions: a cell's line 1 is the line after its separator.
    calls = tuple(
        replace(call, cell=None, line=call.line + starts[call.cell])
        for call in calls
        if call.cell is not None
    )
    facts = tuple(
        replace(fact, cell=None, line=fact.line + starts[fact.cell])
        for fact in facts
        if fact.cell is not None
    )
    detail = f"parsed as {len(starts)} Databricks cells, the file as a whole does not: {error}"
    if skipped:
        detail = f"{broken} of {len(starts)} Databricks cells do not parse in full: " + "; ".join(
            skipped[:3]
        )
    status = FileStatus.PARTIAL if broken else FileStatus.ANALYZED
    return FileAnalysis(status, detail, calls, facts)


def _analyze_notebook(data: bytes, catalog: Catalog) -> FileAnalysis:
    try:
        cells, language = code_cells(data)
    except NotebookError as error:
        return FileAnalysis(FileStatus.BAD_NOTEBOOK, str(error))
    if language and language not in ("python", "python3", "ipython", "ipython3"):
        return FileAnalysis(FileStatus.NOT_PYTHON, f"kernel language is {language}")
    modules: list[ParsedModule] = []
    skipped = []
    for cell in cells:
        try:
            modules.append(_parse_cell(cell.source, cell.index))
        except (_TooDeep, _Unparsable) as error:
            parsed, note = _broken_cell(cell.source, cell.index, error)
            skipped.append(f"cell {cell.index} {note}")
            modules.extend(parsed)
    detail = ""
    if skipped:
        detail = f"{len(skipped)} of {len(cells)} code cells do not parse in full: " + "; ".join(
            skipped[:3]
        )
    calls: tuple[CallSite, ...] = ()
    facts: tuple[Fact, ...] = ()
    try:
        for group, text in _modules_by_file(cells, modules):
            group_calls, group_facts = _resolve(group, catalog, text)
            calls, facts = calls + group_calls, facts + group_facts
    except RecursionError:
        return FileAnalysis(FileStatus.TOO_DEEP, "nested too deeply to resolve")
    status = FileStatus.PARTIAL if skipped else FileStatus.ANALYZED
    return FileAnalysis(status, detail, _in_order(calls), _in_order(facts))


def _modules_by_file(
    cells: list[CodeCell], modules: list[ParsedModule]
) -> list[tuple[list[ParsedModule], str]]:
    """The notebook's own cells as one module, and each Python file its cells write
    (`%%writefile train.py`, then `%%writefile -a train.py`...) as a module of its own, which
    neither sees the notebook's names nor adds to them; each with the text `%run` is looked
    for in."""
    parsed = {module.cell: module for module in modules}
    notebook: list[ParsedModule] = []
    notebook_text: list[str] = []
    files: list[list[ParsedModule]] = []
    latest: dict[str, list[ParsedModule]] = {}
    for cell in cells:
        script = written_script(cell.source)
        module = parsed.get(cell.index)
        if script is None:
            notebook_text.append(cell.source)
            notebook.extend([module] if module else [])
            continue
        if not script.append or script.name not in latest:
            latest[script.name] = []
            files.append(latest[script.name])
        latest[script.name].extend([module] if module else [])
    return [(notebook, "\n".join(notebook_text)), *((group, "") for group in files)]


def _in_order(items: tuple[_Located, ...]) -> tuple[_Located, ...]:
    return tuple(sorted(items, key=lambda item: (item.cell, item.line, item.column)))


def _parse_cell(source: str, cell: int) -> ParsedModule:
    module = None
    try:
        module, ast_error = _parse(source, cell)
        if ast_error is None:
            return module
    except _Unparsable as error:
        failure = error
    # IPython syntax fails both parsers (or, like `!ls`, fools libcst): neutralise and retry.
    neutral = neutralise_magics(source)
    if neutral != source:
        try:
            return _parse(neutral, cell)[0]
        except _Unparsable as error:
            failure = error
    elif module is not None:
        return module  # only ast failed: grammar newer than this interpreter's, known to libcst
    # A cell whose first line is indented, which IPython dedents before running it.
    dedented, columns = without_leading_indent(neutral)
    if not columns:
        raise failure
    return replace(_parse(dedented, cell)[0], column_offset=columns)


def _broken_cell(
    source: str, cell: int, error: _TooDeep | _Unparsable
) -> tuple[list[ParsedModule], str]:
    """A cell that does not parse: its statements that do (error recovery), else the imports
    it ran before the broken line; and what the detail says of it."""
    if isinstance(error, _Unparsable):
        try:
            recovered = _recover(neutralise_magics(source), cell)
        except _TooDeep:
            recovered = None
        if recovered is not None:
            return [recovered.parsed], recovered.describe()
    return _imports_of(source, cell), f"{error} (skipped)"


_IMPORT_LINE = re.compile(r"(?:import|from)[ \t]")


def _imports_of(source: str, cell: int) -> list[ParsedModule]:
    """A cell that does not parse still ran its imports before the broken line (a lab's
    `x = <FILL_IN>`, prose in a code cell): its top-level import statements, every other line
    blanked so positions stay true, as a module of their own; none if they do not parse."""
    kept = []
    open_parenthesis = False
    for line in neutralise_magics(source).splitlines(keepends=True):
        body = line.rstrip("\r\n")
        keep = open_parenthesis or bool(_IMPORT_LINE.match(body))
        if keep and not open_parenthesis:
            open_parenthesis = "(" in body and ")" not in body
        elif open_parenthesis:
            open_parenthesis = ")" not in body
        kept.append(line if keep else line[len(body) :])
    text = "".join(kept)
    if not text.strip():
        return []
    try:
        module, _ = _parse(text, cell)
    except (_TooDeep, _Unparsable):
        return []
    return [module]
