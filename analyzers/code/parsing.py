"""The cost of parsing around libcst's parser: its node validation and Python's cycle collector.

libcst builds every node through a dataclass constructor whose `__post_init__` validates the
node (`CSTNode._validate`: is this whitespace really whitespace, are these parentheses
balanced...). That guards trees built by hand; a tree the parser builds from text is valid by
construction, and on real repositories the checks cost about a sixth of the parse (libcst's
own comment on `__post_init__` suggests moving validation out of parsing). `parse_module` skips
them for the parser's nodes only: nodes built afterwards are validated as usual.

Python's cycle collector runs every few hundred allocations and, as a tree grows, walks every
live object again and again: about a tenth of an analysis. libcst's trees hold no cycles, so
they are freed by reference counting the moment the analysis drops them; `collection_paused`
holds the collector off for one analysis (whatever cycles it made are collected afterwards).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import libcst as cst


def _no_validation(node: cst.CSTNode) -> None:
    pass


def parse_module(text: str) -> cst.Module:
    """`libcst.parse_module(text)` without re-validating the nodes the parser builds."""
    validate = cst.CSTNode.__post_init__
    cst.CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign,assignment]
    try:
        return cst.parse_module(text)
    finally:
        cst.CSTNode.__post_init__ = validate  # type: ignore[method-assign]


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (unless the caller had it off already)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
