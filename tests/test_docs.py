"""README.md's generated blocks are what `make docs` writes: a column is documented once."""

from __future__ import annotations

import re

import pytest

from analyzers.docs import BLOCK, MAKE_TARGET, render
from tests.paths import ROOT

README = ROOT / "README.md"


def test_readme_is_what_make_docs_writes() -> None:
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "README.md is out of date: run make docs"


def test_the_readme_has_its_generated_blocks() -> None:
    specs = [match["spec"] for match in BLOCK.finditer(README.read_text(encoding="utf-8"))]
    assert "tables calls files facts indirect" in specs
    assert "file-statuses" in specs


def test_a_stale_block_is_rewritten_and_the_rest_kept() -> None:
    stale = "intro\n<!-- make docs: tables repos -->\n| old |\n<!-- end make docs -->\nafter\n"
    fresh = render(stale)
    assert fresh.startswith("intro\n<!-- make docs: tables repos -->\n| table |")
    assert "| repos | `calls` | integer |" in fresh
    assert "| old |" not in fresh
    assert fresh.endswith("<!-- end make docs -->\nafter\n")
    assert render(fresh) == fresh


def test_an_unknown_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown generated block"):
        render("<!-- make docs: chart adoption -->\n<!-- end make docs -->\n")


def test_every_make_target_says_what_it_does() -> None:
    """`make help` and README.md list the targets from their `##` lines."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, re.M)
    described = [match["target"] for match in MAKE_TARGET.finditer(makefile)]
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M)
    assert targets
    assert targets == described
    assert phony is not None
    assert set(phony[1].split()) == set(targets)
