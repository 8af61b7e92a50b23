"""Report section: what a text search (the seed study's method) would have found beside the
calls found by resolving names, per API, with examples of each disagreement."""

from __future__ import annotations

from collections.abc import Callable

from analyzers.study.aggregate import Aggregates
from analyzers.study.comparison import ANY, RESOLVED_ONLY, TEXT_ONLY, Disagreement
from analyzers.study.report.html import DASH, ci, esc, link, pct, table
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


def validation_section(aggregates: Aggregates) -> str:
    """The tool's measured accuracy, once `mlflow-miner validate score` wrote it."""
    from analyzers.study.validation import number, read_validation

    validation = read_validation(aggregates.study.root)
    if validation is None:
        return (
            "<p>Not measured yet. Draw a sample with <code>mlflow-miner validate sample "
            "STUDY_DIR --out sample.csv</code>, judge each row (correct or wrong for a call, "
            "missed or not-a-call for a line naming an API where no call was reported), then "
            "<code>mlflow-miner validate score sample.csv</code>.</p>"
        )

    def cells(part: dict[str, object]) -> tuple[object, ...]:
        share, low, high = (number(part[key]) for key in ("share", "ci_low", "ci_high"))
        return (f"{part['k']}/{part['n']}", pct(share), ci(low, high))

    rows = [
        ("precision: reported calls judged correct", *cells(validation["precision"])),
        ("miss rate: candidate lines judged missed", *cells(validation["miss_rate"])),
    ]
    strata = [
        (f"{row['kind']}: {row['stratum']}", *cells(row)) for row in validation.get("strata", [])
    ]
    agreement = validation.get("agreement")
    kappa = (
        f"<p>Two raters: Cohen's kappa {float(agreement['kappa']):.2f} on {agreement['n']} rows "
        "both judged.</p>"
        if isinstance(agreement, dict)
        else ""
    )
    return (
        f"<p>From the judged sample {esc(validation.get('sample', ''))} (seed "
        f"{esc(validation.get('seed', ''))}, {esc(validation.get('rows', ''))} rows), 95% "
        "Wilson intervals.</p>"
        + table(("measure", "judged", "share", "95% CI"), rows, numeric=(1, 2, 3))
        + kappa
        + table(
            ("stratum", "judged", "share", "95% CI"),
            strata,
            numeric=(1, 2, 3),
            caption="By stratum",
        )
    )
