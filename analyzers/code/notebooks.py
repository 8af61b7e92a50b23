"""Jupyter notebooks (nbformat 3 and 4) as a sequence of Python code cells."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Cell magics whose body is Python; any other cell magic (%%bash, %%sql, ...) is not.
PYTHON_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "python", "python3", "debug", "memit", "mprun", "skip"}
)
# `%%writefile train.py` (or `%%file`, with flags such as `-a`): the cell is a script of its own.
_WRITTEN_SCRIPT = re.compile(
    r"[ \t]*%%(?:writefile|file)((?:[ \t]+-\w+)*)[ \t]+(\S+\.py)[ \t]*(?:\r?\n|\r|$)"
)
# Databricks switches a cell's language with a magic on its first line (`%sql`, `%md # Title`,
# `%sh ls`): the rest of the cell is not Python. `%sql` counts only alone on its line, since
# Jupyter's ipython-sql has a one-line `%sql SELECT ...` magic.
_DATABRICKS_LANGUAGE = re.compile(
    r"[ \t]*%(?:(?:md|md-sandbox|sh|fs|scala|r)(?:[ \t].*)?|sql[ \t]*)$"
)
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.\[\]'\", ]+?\s*=\s*)[!%].*$")
_HELP = re.compile(r"^\s*[\w.]+\?\??\s*$|^\s*\?")


class NotebookError(ValueError):
    """The file is not a notebook this tool can read; the message says why."""


@dataclass(frozen=True, slots=True)
class CodeCell:
    index: int  # among ALL cells of the notebook, markdown included
    source: str


def code_cells(data: bytes) -> tuple[list[CodeCell], str]:
    """The notebook's code cells in order, and its kernel language ("" when not stated)."""
    notebook = _load(data)
    cells, source_key = _cells(notebook)
    result = []
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            result.append(CodeCell(index, _source(cell, source_key, index)))
    return result, _language(notebook)


def _load(data: bytes) -> dict[str, object]:
    try:
        notebook = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookError(f"not JSON: {error}") from None
    except RecursionError:
        raise NotebookError("not JSON: nested too deeply") from None
    if not isinstance(notebook, dict):
        raise NotebookError("not a notebook: top level is not an object")
    return notebook


def _cells(notebook: dict[str, object]) -> tuple[list[object], str]:
    """Every cell, markdown included, and the key that holds a cell's source."""
    if "cells" in notebook:
        cells, source_key = notebook["cells"], "source"
    elif "worksheets" in notebook:  # nbformat 3
        worksheets = notebook["worksheets"]
        if not isinstance(worksheets, list):
            raise NotebookError("not a notebook: worksheets is not a list")
        cells = [
            cell
            for sheet in worksheets
            if isinstance(sheet, dict)
            for cell in sheet.get("cells", []) or []
        ]
        source_key = "input"
    else:
        raise NotebookError("not a notebook: no cells")
    if not isinstance(cells, list):
        raise NotebookError("not a notebook: cells is not a list")
    return cells, source_key


def _source(cell: dict[str, object], source_key: str, index: int) -> str:
    source = cell.get(source_key, cell.get("source", ""))
    if isinstance(source, list):
        if not all(isinstance(part, str) for part in source):
            raise NotebookError(f"cell {index}: source is not text")
        source = "".join(source)
    if not isinstance(source, str):
        raise NotebookError(f"cell {index}: source is not text")
    return source


def _language(notebook: dict[str, object]) -> str:
    metadata = notebook.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(section)
        language = value.get(key) if isinstance(value, dict) else None
        if isinstance(language, str):
            return language.lower()
    return ""


@dataclass(frozen=True, slots=True)
class WrittenScript:
    """A cell that writes a Python file (`%%writefile [-a] train.py`): its body is the
    project's code, a module of its own."""

    name: str
    append: bool


def written_script(source: str) -> WrittenScript | None:
    match = _WRITTEN_SCRIPT.match(source)
    if match is None:
        return None
    return WrittenScript(match.group(2), "-a" in match.group(1).split())


# A Databricks notebook exported as .py: cells end at `# COMMAND ----------`, and a magic
# cell's lines start with `# MAGIC ` (8 columns), as comments Python skips.
DATABRICKS_SEPARATOR = re.compile(r"^# COMMAND -{5,}\s*$")
MAGIC_COLUMNS = len("# MAGIC ")
_MAGIC_LINE = re.compile(r"# MAGIC(?: |$)")


def databricks_written_scripts(text: str) -> list[str]:
    """The Python files that `# MAGIC %%writefile train.py` cells of a Databricks source
    notebook write (`-a` cells continue one), each as a text as long as the notebook: the cells'
    lines without their `# MAGIC ` prefix, every other line empty, so positions stay the
    notebook's (columns shifted by MAGIC_COLUMNS)."""
    lines = text.splitlines(keepends=True)
    blank = [_ending(line) for line in lines]
    scripts: dict[str, list[str]] = {}
    ordered: list[list[str]] = []
    cell_starts = [0] + [i + 1 for i, line in enumerate(lines) if DATABRICKS_SEPARATOR.match(line)]
    for number, start in enumerate(cell_starts):
        end = cell_starts[number + 1] if number + 1 < len(cell_starts) else len(lines)
        first = next((i for i in range(start, end) if lines[i].strip()), None)
        if first is None or not _MAGIC_LINE.match(lines[first]):
            continue
        script = written_script(lines[first][MAGIC_COLUMNS:])
        if script is None:
            continue
        if not script.append or script.name not in scripts:
            scripts[script.name] = list(blank)
            ordered.append(scripts[script.name])
        target = scripts[script.name]
        for index in range(first + 1, end):
            if _MAGIC_LINE.match(lines[index]):
                target[index] = lines[index][MAGIC_COLUMNS:] or _ending(lines[index])
    return ["".join(script) for script in ordered]


def neutralise_magics(source: str) -> str:
    """IPython-only lines replaced by Python with the same line count and indentation.

    `%pip install mlflow` and `!mlflow ui` become `pass`, `x = !ls` becomes `x = None`, a
    non-Python cell magic (`%%bash`, `%%writefile config.yml`, Databricks' `%sql`) turns the
    whole cell into empty lines, and `obj?` help lines are dropped, so the rest of the cell
    parses and its line numbers stay true.
    """
    lines = source.splitlines(keepends=True)
    if not lines:
        return source
    if _DATABRICKS_LANGUAGE.match(lines[0].rstrip("\r\n")):
        return "".join(_ending(line) for line in lines)
    first = lines[0].lstrip()
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if first[2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS and written_script(source) is None:
            return "".join(_ending(line) for line in lines)  # its body is not Python
        lines[0] = _blank(lines[0])
    out = []
    continued = False  # the previous line was a magic or shell line ending in a backslash
    for line in lines:
        stripped = line.lstrip()
        if continued or stripped.startswith(("%", "!")) or _HELP.match(line):
            # A continuation line of a magic (`!python x.py \`) is part of it.
            out.append(_ending(line) if continued else _blank(line))
            continued = line.rstrip("\r\n").endswith("\\")
            continue
        assigned = _ASSIGNED_MAGIC.match(line.rstrip("\r\n"))
        if assigned and not _is_comparison(assigned.group(1)):
            out.append(assigned.group(1) + "None" + line[len(line.rstrip("\r\n")) :])
            continue
        out.append(line)
    return "".join(out)


def without_leading_indent(source: str) -> tuple[str, int]:
    """The cell as IPython runs it when its first code line is indented (a stray space, or
    code pasted from inside a block): that line's indentation removed from every line that
    starts with it; and how many columns were removed."""
    lines = source.splitlines(keepends=True)
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return source, 0
    return "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines), len(
        indent
    )


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _is_comparison(prefix: str) -> bool:
    return prefix.rstrip().endswith(("!=", "==", "<=", ">="))


def _blank(line: str) -> str:
    """`pass` at the line's own indentation, keeping its line ending."""
    body = line.rstrip("\r\n")
    indent = body[: len(body) - len(body.lstrip())]
    return indent + "pass" + line[len(body) :]
