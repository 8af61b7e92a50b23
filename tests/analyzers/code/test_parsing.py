"""Parsing without libcst's node validation, and with the cycle collector held off."""

from __future__ import annotations

import gc

import libcst as cst
import pytest

from analyzers.code.catalog import simple_string_value
from analyzers.code.parsing import collection_paused, parse_module
from tests.analyzers.code.test_walk import EVERY_SYNTAX, NEWER_SYNTAX


@pytest.mark.parametrize("source", [EVERY_SYNTAX, NEWER_SYNTAX], ids=["every", "newer"])
def test_the_tree_is_libcsts_own(source: str) -> None:
    tree = parse_module(source)
    assert tree.deep_equals(cst.parse_module(source))
    assert tree.code == source


def test_nodes_built_after_parsing_are_validated_again() -> None:
    parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_a_parse_error_restores_validation() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


@pytest.mark.parametrize("enabled", [True, False], ids=["collector-on", "collector-off"])
def test_the_collector_is_held_off_then_left_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


LITERALS = [
    '"plain"',
    "'single'",
    '"""triple\nlines"""',
    "'''triple'''",
    'r"raw"',
    'r"raw \\d backslash"',
    'u"unicode é"',
    '"escaped \\n newline"',
    '"quote \\" inside"',
    "'tab\\tx'",
    '"models:/name/1"',
    'b"bytes"',
    'rb"raw bytes"',
    '"""ends with quote\\""""',
    '""',
]


@pytest.mark.parametrize("literal", LITERALS)
def test_a_string_literals_value_is_what_python_evaluates(literal: str) -> None:
    node = cst.parse_expression(literal)
    assert isinstance(node, cst.SimpleString)
    expected = node.evaluated_value
    assert simple_string_value(node) == (expected if isinstance(expected, str) else None)
