"""Report section: what a text search (the seed study's method) would have found beside the
calls found by resolving names, per API, with examples of each disagreement."""

from __future__ import annotations

from collections.abc import Callable

from analyzers.study.aggregate import Aggregates
from analyzers.study.comparison import ANY, RESOLVED_ONLY, TEXT_ONLY, Disagreement
from analyzers.study.report.html import DASH, link, pct, table
from analyzers.study.stats import records

MAX_TERMS_SHOWN = 30
_KINDS = {
    TEXT_ONLY: "Counted by the text search, but no call starts there (a comment, a string, "
    "another library's method of that name, a markdown cell)",
    RESOLVED_ONLY: "Calls the text search misses (an alias, a star import, a client under "
    "another name)",
}

_LINKS_NOTE = (
    "<p>Links open the line at the pinned commit; a notebook's link opens the file (GitHub "
    "cannot point into a cell), and the location names the cell.</p>"
)

RepoPage = Callable[[str], str]  # a repository's name -> the link to its page, or ""


def _share(k: int, n: int) -> str:
    return pct(k / n) if n else DASH


def _intro(row: dict[str, int]) -> str:
    return (
        "<p>A text search, the seed study's method (a whole-word match of each catalogued "
        "API's name over .py files and notebook cells), finds "
        f"<strong>{row['lines_text']}</strong> lines in <strong>{row['repos_text']}</strong> "
        "analysed repositories; resolving names finds "
        f"<strong>{row['lines_resolved']}</strong> calls in "
        f"<strong>{row['repos_resolved']}</strong>. They agree on {row['lines_both']} lines. "
        f"The text search counts {row['lines_text_only']} lines where no call starts "
        f"({_share(row['lines_text_only'], row['lines_text'])} of its lines) and "
        f"{row['text_only']} repositories with no call at all; it misses "
        f"{row['lines_resolved_only']} calls ({_share(row['lines_resolved_only'], row['lines_resolved'])}"
        f" of them) and {row['resolved_only']} repositories. method_comparison.csv has every "
        "API; a name shared by several APIs (every flavor's log_model) is one row, as a text "
        "search cannot tell them apart.</p>"
    )


def _examples(examples: tuple[Disagreement, ...], page: RepoPage) -> str:
    parts = []
    for kind, title in _KINDS.items():
        items = [example for example in examples if example.kind == kind]
        rows = [
            (
                example.term,
                link(page(example.location.repo), example.location.repo)
                if page(example.location.repo)
                else example.location.repo,
                link(example.location.url, example.location.where),
            )
            for example in items
        ]
        parts.append(
            table(("API name", "repository", "line at the pinned commit"), rows, caption=title)
        )
    return "\n".join(parts)


def comparison_section(
    aggregates: Aggregates, figure: Callable[[str], str], page: RepoPage = lambda _repo: ""
) -> str:
    compared = aggregates.comparison
    if not compared.has_text:
        return (
            '<p class="warning">This study has no text_matches.csv (its repositories were '
            "analysed before the text search existed): rerun the study to compare.</p>"
        )
    rows = records(compared.table)
    overall = next(row for row in rows if row["api"] == ANY)
    shown = [row for row in rows if row["api"] != ANY][:MAX_TERMS_SHOWN]
    terms = table(
        (
            "API name searched",
            "repos: text",
            "resolved",
            "both",
            "text only",
            "resolved only",
            "lines: text",
            "resolved",
            "text only",
            "resolved only",
        ),
        (
            (
                r["api"],
                r["repos_text"],
                r["repos_resolved"],
                r["both"],
                r["text_only"],
                r["resolved_only"],
                r["lines_text"],
                r["lines_resolved"],
                r["lines_text_only"],
                r["lines_resolved_only"],
            )
            for r in shown
        ),
        numeric=range(1, 10),
        caption=f"The {len(shown)} API names with the most repositories calling them",
    )
    return (
        _intro(overall)
        + figure("method-comparison")
        + terms
        + _examples(compared.examples, page)
        + _LINKS_NOTE
    )
