"""The house's layering, from every import of the packages (read with `ast`, nothing imported).

* `analyzers` never imports `mining`: the analysis layer holds no network or cloning code.
* `analyzers.code` (one file) imports no other level; `analyzers.repo` (one checkout) never
  imports `analyzers.study`; the shared modules import no level above `analyzers.code`.
* click only in `mining.cli`, the command line.
* git only through `analyzers.repo.gitsafe`: no other module imports `subprocess` or GitPython,
  except the ones listed in `GIT_EXCEPTIONS` with why (a stale entry fails too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping

import pytest

from tests.paths import ROOT

PACKAGES = ("analyzers", "mining")
SHARED = ("analyzers.records", "analyzers.tables", "analyzers.schema", "analyzers.codebook")

# (importer, imported, why): a module under the first prefix never imports one under the second.
RULES: tuple[tuple[str, str, str], ...] = (
    ("analyzers", "mining", "analyzers never imports mining: mining fetches, analyzers reads"),
    ("analyzers.code", "analyzers.repo", "one file's analysis knows nothing of checkouts"),
    ("analyzers.code", "analyzers.study", "one file's analysis knows nothing of studies"),
    ("analyzers.code", "analyzers.schema", "the schema documents levels above the code level"),
    ("analyzers.code", "analyzers.codebook", "the codebook is the study's vocabulary"),
    ("analyzers.repo", "analyzers.study", "one checkout's analysis knows nothing of studies"),
    *(
        (shared, level, "shared modules sit below the repository and study levels")
        for shared in SHARED
        for level in ("analyzers.repo", "analyzers.study", "mining")
    ),
)
CLICK_HOME = "mining.cli"
GIT_GATEWAY = "analyzers.repo.gitsafe"
GIT_MODULES = ("subprocess", "git")
# Modules that still run git (or other programs) themselves, and why; remove an entry when the
# module goes through the gateway.
GIT_EXCEPTIONS: dict[str, str] = {
    "mining.git.history": "reads the object database with GitPython, with gitsafe's environment "
    "and -c settings (HistoryGit)",
    "mining.study.demo": "builds the demo's own repositories (git init, commit) and copies "
    "fixtures with cp",
}


def module_name(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str) -> set[str]:
    """Every module `source` imports, anywhere (functions and TYPE_CHECKING blocks too);
    `from a import b` counts as `a` and `a.b` (b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def project_imports() -> dict[str, set[str]]:
    graph = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            graph[module_name(relative)] = imports_of(path.read_text(encoding="utf-8"))
    return graph


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(graph: Mapping[str, set[str]]) -> Iterator[str]:
    for module, imported in sorted(graph.items()):
        for name in sorted(imported):
            for importer, forbidden, why in RULES:
                if _under(module, importer) and _under(name, forbidden):
                    yield f"{module} imports {name}: {why}"
            if _under(name, "click") and not _under(module, CLICK_HOME):
                yield f"{module} imports {name}: click is used only in {CLICK_HOME}"
            if (
                any(_under(name, git) for git in GIT_MODULES)
                and module != GIT_GATEWAY
                and module not in GIT_EXCEPTIONS
            ):
                yield f"{module} imports {name}: run git through {GIT_GATEWAY}"


def test_the_packages_respect_the_layering() -> None:
    assert list(violations(project_imports())) == []


@pytest.mark.parametrize("module", sorted(GIT_EXCEPTIONS))
def test_every_git_exception_is_still_needed(module: str) -> None:
    imported = project_imports()[module]
    assert any(_under(name, git) for name in imported for git in GIT_MODULES), (
        f"{module} no longer runs programs itself: remove it from GIT_EXCEPTIONS"
    )


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("analyzers.repo.cache", "from mining.paths import cache_root", True),
        ("analyzers.cli", "def f():\n    from mining.github import remote", True),
        ("analyzers.code.walk", "from analyzers.repo.files import walk", True),
        ("analyzers.code.walk", "import analyzers.study.load", True),
        ("analyzers.repo.signals", "from analyzers.study import stats", True),
        ("analyzers.schema", "from analyzers.repo import outputs", True),
        ("analyzers.study.report", "import click", True),
        ("analyzers.repo.ecosystem", "import subprocess", True),
        ("analyzers.study.load", "from git import Repo", True),
        ("mining.cli.scan", "import click", False),
        ("analyzers.repo.gitsafe", "from git.cmd import Git", False),
        ("analyzers.study.load", "from analyzers.code.uris import redact_uri", False),
        ("analyzers.repo.outputs", "from analyzers.schema import columns", False),
        ("mining.study.run", "from analyzers.repo.scanner import scan", False),
        ("analyzers.study.stats", "from analyzers.codebook import ASPECTS", False),
    ],
    ids=lambda value: str(value)[:40],
)
def test_the_check_sees_a_broken_layer(module: str, source: str, broken: bool) -> None:
    assert bool(list(violations({module: imports_of(source)}))) is broken
