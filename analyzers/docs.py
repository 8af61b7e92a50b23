"""Regenerate README.md's generated blocks (`make docs`): data dictionaries and the file
statuses from `analyzers/schema.py`, the detectors from their registry, the make targets from
the Makefile.

A block is everything between `<!-- make docs: SPEC -->` and `<!-- end make docs -->`, where
SPEC is `tables NAME...` (pipeline tables), `file-statuses`, `detectors` (the registry of
`analyzers/repo/detectors`), `purpose-rules` (`analyzers/repo/purpose.toml`), `traceability`
(the codebook's rules), `integrations` (the catalog's `[integrations]`), `populations`,
`headline` (the headline measures) or `make-targets` (the Makefile's `##` lines, which
`make help` prints). Everything else in the README is left as it is. `tests/test_docs.py` fails when README.md differs from what this
would write, so CI catches a column documented in one place and not the other.

    python -m analyzers.docs [README.md]      # rewrite in place
    python -m analyzers.docs --check          # exit 1 if it would change anything
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from analyzers.schema import FILE_STATUSES, PIPELINE

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(<!-- make docs: (?P<spec>[^>]*?) -->\n)(?P<body>.*?)(<!-- end make docs -->)", re.S
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def tables(names: Sequence[str]) -> str:
    """The data dictionary of pipeline tables: one row per column."""
    return markdown_table(
        ("table", "column", "type", "meaning"),
        (
            (name, f"`{column.name}`", column.type.value, column.description)
            for name in names
            for column in PIPELINE[name].columns
        ),
    )


def file_statuses() -> str:
    return markdown_table(
        ("status", "meaning"), ((f"`{status}`", text) for status, text in FILE_STATUSES.items())
    )


def detectors() -> str:
    """The repository detectors (analyzers/repo/detectors), as the registry describes them."""
    from analyzers.repo.detectors import DETECTORS

    return markdown_table(
        ("id", "writes", "reads", "finds"),
        (
            (
                detector.id,
                ", ".join(f"`{table}.csv`" for table in sorted(detector.tables)),
                ", ".join(f"`{pattern.lstrip('/')}`" for pattern in detector.patterns),
                detector.description,
            )
            for detector in DETECTORS
        ),
    )


def traceability() -> str:
    """The traceability codebook (analyzers/codebook.py): every rule of every aspect, with its
    first example."""
    from analyzers.codebook import TRACEABILITY, example_text

    return markdown_table(
        ("aspect", "rule", "counts?", "what", "example"),
        (
            (
                aspect.label,
                f"`{rule.id}`",
                "yes" if include else "no",
                rule.text,
                f"`{example_text(rule.cases[0])}`",
            )
            for aspect in TRACEABILITY
            for include, rules in ((True, aspect.includes), (False, aspect.excludes))
            for rule in rules
        ),
    )


def purpose_rules() -> str:
    """The purpose rules (analyzers/repo/purpose.toml), in the order they are tried."""
    from analyzers.repo.purpose import load_rules

    return markdown_table(
        ("rule", "purpose", "needs", "evidence"),
        (
            (
                f"`{rule.id}`",
                rule.purpose,
                ", ".join(
                    [
                        *(["words"] if rule.words is not None else []),
                        *(
                            [f"{rule.min_headings}+ README headings"]
                            if rule.headings is not None
                            else []
                        ),
                        *(_layout_condition(*condition) for condition in rule.layout),
                    ]
                ),
                rule.evidence,
            )
            for rule in load_rules()
        ),
    )


def integrations() -> str:
    """The catalog's `[integrations]`: each integration's names and what it records."""
    from analyzers.code.catalog import load_catalog
    from analyzers.code.integrations import rows

    return markdown_table(
        ("integration", "names", "when", "records"),
        (
            (
                f"`{row.integration}`",
                ", ".join(f"`{name}`" for name in (row.name, *row.names)),
                " or ".join(f"`{c.keyword}={c.value}`" for c in row.when) or "any use",
                ", ".join(row.records) or "(opens runs only)",
            )
            for row in rows(load_catalog().integrations)
        ),
    )


def populations() -> str:
    """The populations a share can be of (analyzers/study/populations.py)."""
    from analyzers.study.populations import POPULATIONS

    return markdown_table(
        ("population", "repositories"),
        ((f"`{entry.name}`", entry.definition) for entry in POPULATIONS),
    )


def headline() -> str:
    """The headline measures (analyzers/codebook.py HEADLINE)."""
    from analyzers.codebook import HEADLINE

    return markdown_table(
        ("measure", "a repository counts when it has"),
        ((f"`{measure}`", definition) for measure, definition in HEADLINE.items()),
    )


def _layout_condition(feature: str, operator: str, value: int) -> str:
    booleans = {"package", "published", "app", "deploys", "ml_project", "tests", "notebooks_only"}
    if feature in booleans:
        return f"`{feature}`" if value else f"no `{feature}`"
    return f"`{feature}` {operator} {value}"


MAKE_TARGET = re.compile(r"^(?P<target>[a-z][a-z-]*):[^#\n]*## (?P<text>.*)$", re.M)


def make_targets() -> str:
    """Every target of the Makefile with its `##` line, as `make help` prints them."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return markdown_table(
        ("target", "what it does"),
        ((f"`make {m['target']}`", m["text"]) for m in MAKE_TARGET.finditer(makefile)),
    )


RENDERERS: dict[str, Callable[[list[str]], str]] = {
    "tables": tables,
    "file-statuses": lambda _args: file_statuses(),
    "make-targets": lambda _args: make_targets(),
    "detectors": lambda _args: detectors(),
    "traceability": lambda _args: traceability(),
    "integrations": lambda _args: integrations(),
    "populations": lambda _args: populations(),
    "headline": lambda _args: headline(),
    "purpose-rules": lambda _args: purpose_rules(),
}


def render(text: str) -> str:
    """`text` with every generated block written anew."""

    def block(match: re.Match[str]) -> str:
        kind, *args = match["spec"].split()
        if kind not in RENDERERS:
            raise ValueError(f"unknown generated block: {match['spec']!r}")
        return match.group(1) + RENDERERS[kind](args) + match.group(4)

    return BLOCK.sub(block, text)


def main(argv: Sequence[str]) -> int:
    check = "--check" in argv
    paths = [Path(arg) for arg in argv if arg != "--check"] or [ROOT / "README.md"]
    stale = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'out of date, run make docs' if check else 'rewritten'}", file=sys.stderr)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
