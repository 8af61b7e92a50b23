"""`export/methods.md` and `methods.tex`: the study's method section, written from what the study
recorded, so that the text a paper starts from cannot disagree with its numbers.

It states the sampling frame (topics, qualifiers, the crawl's date and truncated slices), the
filters and what they removed, the counts at each stage (listed, pinned, cloned, analysed, files,
calls), the populations, the tool and its versions, the measured accuracy once the study is
validated (`mlflow-miner validate`), and how a text search would have differed. One document
model (headings, paragraphs, bullets, tables) is rendered twice, as Markdown and as LaTeX.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzers.study.aggregate import Aggregates
from analyzers.study.latex import latex_escape, latex_prose
from analyzers.study.macros import percent
from analyzers.study.stats import records


@dataclass
class Document:
    """Blocks in order: ("h", text), ("p", text), ("ul", items), ("table", (headers, rows))."""

    title: str
    blocks: list[tuple[str, Any]] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(("h", text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("p", text))

    def bullets(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.blocks.append(("table", (list(headers), [list(map(str, row)) for row in rows])))


def _share(k: int, n: int, share: float, low: float, high: float) -> str:
    if n == 0 or math.isnan(share):
        return f"none of {n}"
    return f"{percent(share)}% ({k} of {n}; 95% CI {percent(low)}-{percent(high)}%)"


def _frame(doc: Document, aggregates: Aggregates) -> None:
    meta = aggregates.study.provenance
    settings = meta.get("settings", {}) if isinstance(meta.get("settings"), Mapping) else {}
    crawl = meta.get("crawl") if isinstance(meta.get("crawl"), Mapping) else None
    doc.heading("Sampling frame")
    n = aggregates.n_total
    if crawl is not None:
        topics = ", ".join(f"`{topic}`" for topic in crawl.get("topics", []))
        qualifiers = str(crawl.get("qualifiers", "")).strip()
        searches = crawl.get("code_search") if isinstance(crawl.get("code_search"), Mapping) else {}
        frames = []
        if topics:
            frames.append(
                f"every GitHub repository the search API listed under the topics {topics}"
                + (f" with the qualifiers `{qualifiers}`" if qualifiers else "")
                + " (split by creation date so that the 1,000-result cap hides nothing)"
            )
        frames += [
            f"every repository a GitHub code search for `{query}` found "
            f"({found.get('results', '?')} files in {found.get('repositories', '?')} "
            "repositories)"
            for query, found in searches.items()
            if isinstance(found, Mapping)
        ]
        text = (
            "The sample is "
            + "; and ".join(frames or ["the repositories the crawl listed"])
            + f", crawled on {str(crawl.get('crawled_at', ''))[:10]}: {n} repositories, each "
            "pinned to the commit at the head of its default branch."
        )
        truncated = [
            *(crawl.get("truncated_slices") or []),
            *(crawl.get("truncated_code_slices") or []),
        ]
        if truncated:
            text += (
                f" {len(truncated)} search slices were still incomplete or over the cap at "
                "the narrowest split; their repositories may be missing (study.json, crawl)."
            )
        doc.paragraph(text)
    else:
        crawled = str(meta.get("crawled_at", ""))[:10]
        doc.paragraph(
            f"The study read the dataset `{meta.get('dataset', 'dataset.csv')}` (SHA-256 "
            f"`{str(meta.get('dataset_sha256', ''))[:16]}…`), listed on {crawled or 'an unknown date'}"
            f": {n} repositories, each pinned to a commit."
        )
    flat = {
        **{key: value for key, value in settings.items() if not isinstance(value, Mapping)},
        **{
            inner: value
            for outer in settings.values()
            if isinstance(outer, Mapping)
            for inner, value in outer.items()
        },
    }
    described = [
        f"`{key}` = `{_setting(value)}`"
        for key, value in flat.items()
        if value not in (None, (), [], "") and key not in ("crawl",)
    ]
    if described:
        doc.paragraph("Settings (study.json): " + "; ".join(described) + ".")


def _setting(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def _stages(doc: Document, aggregates: Aggregates) -> None:
    doc.heading("Filters and counts per stage")
    exclusions = records(aggregates.exclusions)
    if exclusions:
        doc.paragraph(
            "Filters removed repositories before analysis (a repository can fail several): "
            + "; ".join(
                f"`{r['filter']}` {r['n_repos']} ({r['n_only']} by it alone)" for r in exclusions
            )
            + "."
        )
    else:
        doc.paragraph("No filter removed a repository before analysis.")
    statuses = records(aggregates.repo_status)
    doc.table(
        ("stage or status", "repositories"),
        [("listed in the dataset", aggregates.n_total)]
        + [(r["status"], r["n_repos"]) for r in statuses],
    )
    files = aggregates.file_status
    calls = aggregates.study.calls
    scripts = int(files.loc[files["kind"] == "script", "n_files"].sum())
    notebooks = int(files.loc[files["kind"] == "notebook", "n_files"].sum())
    parsed = int(files.loc[files["status"] == "analyzed", "n_files"].sum())
    doc.paragraph(
        f"In the {aggregates.n_analysed} analysed repositories, {scripts} Python scripts and "
        f"{notebooks} Jupyter notebooks were seen; {parsed} mentioned MLflow and were parsed "
        f"(the others were skipped by a byte pre-filter or could not be read: file_status.csv). "
        f"They hold {len(calls)} MLflow call sites in {calls['repo'].nunique()} repositories."
    )
    populations = [r for r in records(aggregates.populations) if r["available"]]
    if len(populations) > 1:
        doc.paragraph(
            "Shares are reported among several populations: "
            + "; ".join(
                f"{r['population']} ({r['n_repos']}): {r['definition']}" for r in populations
            )
            + "."
        )


def _tool(doc: Document, aggregates: Aggregates) -> None:
    meta = aggregates.study.provenance
    versions = meta.get("versions") if isinstance(meta.get("versions"), Mapping) else {}
    doc.heading("Tool")
    commit = str(meta.get("tool_commit", ""))
    text = (
        f"Calls were found with mlflow-miner {meta.get('tool_version', 'unknown')}"
        + (f" (commit `{commit[:12]}`)" if commit else "")
        + f", analyzer and catalog version `{meta.get('analyzer', 'unknown')}`, which resolves "
        "the names of Python scripts and notebooks with libcst the way Python binds them "
        "(imports, aliases, `MlflowClient` instances) instead of matching text; repository "
        "code was only read, never run."
    )
    if versions:
        text += " Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items() if v) + "."
    doc.paragraph(text)


def _accuracy(doc: Document, validation: Mapping[str, Any] | None) -> None:
    doc.heading("Accuracy")
    if not validation:
        doc.paragraph(
            "The tool's accuracy on this sample has not been measured yet: draw a sample with "
            "`mlflow-miner validate sample`, judge each row, then `mlflow-miner validate score` "
            "writes the measured precision and miss rate here."
        )
        return
    from analyzers.study.validation import number

    def judged(part: str) -> str:
        found = validation[part]
        return _share(
            int(found["k"]),
            int(found["n"]),
            number(found["share"]),
            number(found["ci_low"]),
            number(found["ci_high"]),
        )

    text = (
        f"Two kinds of lines were drawn at random (seed {validation['seed']}) and judged by "
        "reading them at the pinned commit: reported calls, stratified by dimension and by "
        "scripts and notebooks, for precision, and lines whose text names a catalogued API "
        f"where no call was reported, for recall. Precision: {judged('precision')} of the "
        "judged calls were MLflow calls of the reported API. Among the judged candidate "
        f"lines, {judged('miss_rate')} were calls the tool missed."
    )
    agreement = validation.get("agreement")
    if isinstance(agreement, Mapping):
        text += (
            f" Two raters agreed on {agreement['n']} shared rows with Cohen's kappa "
            f"{agreement['kappa']:.2f}."
        )
    doc.paragraph(text)


def _headline(doc: Document, aggregates: Aggregates) -> None:
    doc.heading("Headline figures")
    doc.table(
        ("measure", "population", "repositories", "share (95% CI)"),
        [
            (
                r["measure"],
                r["population"],
                f"{r['numerator']}/{r['denominator']}",
                _share(r["numerator"], r["denominator"], r["share"], r["ci_low"], r["ci_high"]),
            )
            for r in records(aggregates.headline)
        ],
    )


def methods_document(
    aggregates: Aggregates,
    validation: Mapping[str, Any] | None = None,
    comparison: Sequence[str] = (),
) -> Document:
    """The method section's content; `comparison` holds the text-search paragraphs."""
    doc = Document(f"Methods: {aggregates.study.name}")
    _frame(doc, aggregates)
    _stages(doc, aggregates)
    _tool(doc, aggregates)
    _accuracy(doc, validation)
    if comparison:
        doc.heading("What a text search would have found")
        for paragraph in comparison:
            doc.paragraph(paragraph)
    _headline(doc, aggregates)
    return doc


def markdown(doc: Document) -> str:
    out = [f"# {doc.title}", ""]
    for kind, content in doc.blocks:
        if kind == "h":
            out += [f"## {content}", ""]
        elif kind == "p":
            out += [content, ""]
        elif kind == "ul":
            out += [f"- {item}" for item in content] + [""]
        else:
            headers, rows = content
            out.append("| " + " | ".join(headers) + " |")
            out.append("| " + " | ".join("---" for _ in headers) + " |")
            out += [
                "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
            ]
            out.append("")
    return "\n".join(out)


def latex(doc: Document) -> str:
    out = [
        "% Generated by mlflow-miner export from the study's own records; needs booktabs.",
        rf"\section*{{{latex_escape(doc.title)}}}",
    ]
    for kind, content in doc.blocks:
        if kind == "h":
            out.append(rf"\subsection*{{{latex_escape(content)}}}")
        elif kind == "p":
            out += [latex_prose(content), ""]
        elif kind == "ul":
            out.append(r"\begin{itemize}")
            out += [rf"\item {latex_prose(item)}" for item in content]
            out.append(r"\end{itemize}")
        else:
            headers, rows = content
            out += [
                r"\begin{tabular}{" + "l" * len(headers) + "}",
                r"\toprule",
                " & ".join(latex_escape(h) for h in headers) + r" \\",
                r"\midrule",
                *(" & ".join(latex_escape(c) for c in row) + r" \\" for row in rows),
                r"\bottomrule",
                r"\end{tabular}",
                "",
            ]
    return "\n".join(out) + "\n"
