"""`text_matches.csv`: what a text search for MLflow's API names finds in a checkout, the method
the seed study used, so that every study can say how far it would have been off.

The search is a word match over `.py` files and the cells of `.ipynb` notebooks (code and
markdown cells, as a text search over the file sees them; outputs are not searched), in the
files the scan walks (vendored trees and symbolic links skipped). Each catalogued API is
searched by its name as people search for it:

* its function or class name when that name is distinctive: it holds `_` or a capital letter,
  or is `autolog` (`log_param`, `set_tracking_uri`, `MlflowClient`, `autolog`);
* otherwise, a plain word that code uses for much else (`run`, `log`, `load`, `evaluate`,
  `trace`, `mean`), the name with the module or class before it (`mlflow.run`, `Model.log`,
  `pyfunc.load`, `mlflow.evaluate`, `mlflow.trace`, `scorers.mean`).

So one search term stands for every API that shares it (`log_model` for every flavor's), as
a text search cannot tell them apart. Nothing is parsed or run: lines are matched as text.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from analyzers.code.catalog import load_catalog
from analyzers.records import FileKind, RepoRef
from analyzers.repo.files import walk
from analyzers.schema import columns

TEXT_MATCH_COLUMNS = columns("text_matches")
MAX_BYTES = 50 * 1024 * 1024  # a file larger than this is not searched (the scan's notebook cap)
_DISTINCTIVE = frozenset({"autolog"})


def search_term(api: str) -> str:
    """The text a search for `api` (a canonical name, `mlflow.sklearn.log_model`) looks for."""
    parts = api.split(".")
    name = parts[-1]
    if "_" in name or name != name.lower() or name in _DISTINCTIVE or len(parts) < 2:
        return name
    return ".".join(parts[-2:])


@cache
def api_terms() -> dict[str, tuple[str, ...]]:
    """Search term -> the catalogued APIs it stands for (every entry and every flavor's)."""
    catalog = load_catalog()
    names = sorted({*catalog.entries, *(entry.name for entry in catalog.flavor_entries())})
    terms: dict[str, list[str]] = {}
    for api in names:
        terms.setdefault(search_term(api), []).append(api)
    return {term: tuple(apis) for term, apis in sorted(terms.items())}


@cache
def _pattern() -> re.Pattern[str]:
    # Longest first, so `mlflow.evaluate` is found before a shorter term could take its place.
    terms = sorted(api_terms(), key=lambda term: (-len(term), term))
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, terms)) + r")(?!\w)")


def matches_in(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line, term) for every term found in `text`, once per line and term."""
    seen: set[tuple[int, str]] = set()
    line, position = 1, 0
    for match in _pattern().finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        found = (line, match.group(0))
        if found not in seen:
            seen.add(found)
            yield found


def notebook_cells(data: bytes) -> list[tuple[int, str]]:
    """(index among all cells, source) of a notebook's code and markdown cells; [] when the
    file is not a notebook this can read."""
    try:
        notebook: Any = json.loads(data)
    except (ValueError, RecursionError):
        return []
    if not isinstance(notebook, dict):
        return []
    cells = notebook.get("cells")
    if cells is None:  # nbformat 3
        sheets = notebook.get("worksheets")
        cells = [
            cell
            for sheet in (sheets if isinstance(sheets, list) else [])
            if isinstance(sheet, dict)
            for cell in (sheet.get("cells") or [])
        ]
    found = []
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        if isinstance(source, str) and cell.get("cell_type") in ("code", "markdown"):
            found.append((index, source))
    return found


def _read(root: str, path: str) -> bytes | None:
    full = os.path.join(root, path)
    try:
        if os.path.islink(full) or os.path.getsize(full) > MAX_BYTES:
            return None
        with open(full, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def text_match_rows(repo: RepoRef) -> Iterator[dict[str, Any]]:
    """The `text_matches.csv` rows of a checkout (a `mining.study.run.RepoTable` function)."""
    for entry in walk(repo.root):
        if entry.status is not None or entry.kind is FileKind.DIRECTORY:
            continue
        data = _read(repo.root, entry.path)
        if data is None:
            continue
        base = {"repo": repo.name, "commit": repo.commit, "path": entry.path}
        if entry.kind is FileKind.NOTEBOOK:
            for cell, source in notebook_cells(data):
                for line, term in matches_in(source):
                    yield {**base, "cell": cell, "line": line, "term": term}
        else:
            text = data.decode("utf-8", errors="replace")
            for line, term in matches_in(text):
                yield {**base, "cell": None, "line": line, "term": term}
