"""Reading YAML documents from repositories: a parser first, never trusting the document.

`yaml.safe_load` builds only plain data (no tags that construct objects). A document that does
not parse, or that nests deeper than the parser can take, gives None: the caller then falls back
to its tolerant line reader, so a broken file still says what it can. `walk` visits a parsed
document in document order, each node once (YAML aliases can make a small file a huge graph).
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

MAX_DEPTH = 64


def load_yaml(text: str) -> object | None:
    """The document `text` holds, or None when it is not YAML (or is empty)."""
    try:
        document: object = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    return document


def walk(document: object) -> Iterator[tuple[object, object]]:
    """(None, document) first, then (key, value) for every mapping entry and (None, item) for
    every list item, depth first in document order. A mapping or list reached twice (through
    an alias) is entered once, and nothing deeper than `MAX_DEPTH`."""
    yield None, document
    seen: set[int] = set()
    stack = [_children(document, seen)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        yield entry
        if len(stack) < MAX_DEPTH:
            stack.append(_children(entry[1], seen))


def _children(node: object, seen: set[int]) -> Iterator[tuple[object, object]]:
    if not isinstance(node, dict | list) or id(node) in seen:
        return iter(())
    seen.add(id(node))
    if isinstance(node, dict):
        return iter(list(node.items()))
    return iter([(None, item) for item in node])


def strings(value: object) -> list[str]:
    """A YAML list of strings (or one string) as a list; anything else as []."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
