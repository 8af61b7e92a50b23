"""`mlflow-miner report`: one offline HTML page per study, with its charts, tables and provenance.

The page is deterministic: the same study gives the same bytes (chart elements have fixed ids and
the only dates shown are study.json's), so it can be golden-tested and diffed between runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from plotly.offline import get_plotlyjs

from analyzers.study.aggregate import Aggregates, Options, aggregate_study
from analyzers.study.charts import (
    STATIC_FORMATS,
    Chart,
    DrawnCharts,
    StaticExport,
    build_charts,
    draw_charts,
)
from analyzers.study.report import counts
from analyzers.study.report.comparison import comparison_section, validation_section
from analyzers.study.report.evolution import evolution_sections
from analyzers.study.report.findings import findings_sections, traceability_section
from analyzers.study.report.html import STYLE, esc, figure_html, page_name
from analyzers.study.report.repos import INDEX, REPOS_DIR, write_repo_pages
from analyzers.tables import atomic_path

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Report:
    """What `build_report` wrote."""

    index: Path
    charts: tuple[Path, ...]
    static: StaticExport | None
    warnings: tuple[str, ...]
    seconds: float
    drawn: DrawnCharts | None = None  # charts drawn now and reused, and the seconds they took


def _all_repositories() -> str:
    return (
        "<p>Every repository has a page of its own (status, traceability, calls, indirect "
        "uses, facts, signals, each linked at the pinned commit): "
        f'<a href="{INDEX}">all repositories</a>, with a filter.</p>'
    )


def render_index(
    aggregates: Aggregates,
    charts: Sequence[Chart],
    static_formats: Mapping[str, Sequence[str]] | None = None,
    warnings: Sequence[str] = (),
) -> str:
    """The report page. `static_formats` maps a chart name to the image formats written for it
    (linked under the chart); plotly.js is inlined once, in the head."""
    static_formats = static_formats or {}
    by_name = {chart.name: chart for chart in charts}
    name = aggregates.study.name

    def figure(chart_name: str) -> str:
        chart = by_name.get(chart_name)
        return figure_html(chart, static_formats.get(chart_name, ())) if chart else ""

    sections = [
        ("provenance", "Provenance", counts.provenance(aggregates)),
        ("repositories", "Repositories", _all_repositories() + counts.repositories(aggregates)),
        ("headline", "Headline: logging and tracking", counts.headline(aggregates)),
        ("indirect", "Indirect use: integrations that log to MLflow", counts.indirect(aggregates)),
        (
            "adoption",
            "Adoption by traceability dimension",
            figure("adoption") + counts.adoption(aggregates) + figure("adoption-by-kind"),
        ),
        ("traceability", "Traceability", traceability_section(aggregates, figure)),
        ("cooccurrence", "Which dimensions go together", figure("cooccurrence")),
        ("keys", "Logged parameter and metric names", figure("top-keys") + counts.keys(aggregates)),
        ("signals", "Projects, environments and pinned versions", counts.signals(aggregates)),
        *findings_sections(aggregates, figure),
        *evolution_sections(aggregates, figure),
        (
            "years",
            "Adoption by creation year",
            figure("adoption-by-year") + counts.by_year(aggregates),
        ),
        ("apis", "MLflow APIs", counts.apis(aggregates)),
        (
            "text-search",
            "What a text search would have found",
            comparison_section(aggregates, figure, lambda repo: f"{REPOS_DIR}/{page_name(repo)}"),
        ),
        ("accuracy", "Accuracy of the tool on this study", validation_section(aggregates)),
        ("files", "Files", counts.files(aggregates)),
    ]
    if warnings:
        sections.append(
            (
                "notes",
                "Notes",
                "<ul>" + "".join(f"<li>{esc(warning)}</li>" for warning in warnings) + "</ul>",
            )
        )
    nav = " ".join(f'<a href="#{key}">{esc(title)}</a>' for key, title, _ in sections)
    body = "\n".join(
        f'<section id="{key}">\n<h2>{esc(title)}</h2>\n{content}\n</section>'
        for key, title, content in sections
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MLflow traceability study: {esc(name)}</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>MLflow traceability study: {esc(name)}</h1>
<p>How {aggregates.n_analysed} analysed repositories (of {aggregates.n_total}) use MLflow to
make their experiments traceable. Every share names its population (the repositories it is of)
and comes with a 95% Wilson score interval.</p>
<nav>{nav}</nav>
{body}
</body>
</html>
"""


def build_report(
    study_dir: str | Path,
    out_dir: str | Path | None = None,
    static: bool = True,
    progress: Progress | None = None,
    options: Options | None = None,
    verbose: bool = False,
) -> Report:
    """Aggregate a study and write `<out_dir>/index.html` (default `<study>/report/`) with
    its charts under `charts/`: HTML always, PNG, SVG and PDF when `static` and a browser
    allow; charts whose figure did not change are not drawn again. The browser's own messages
    are shown only when `verbose`."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    aggregates = aggregate_study(study_dir, progress=say, options=options)
    out = Path(out_dir) if out_dir is not None else Path(study_dir) / "report"
    charts = build_charts(aggregates)
    drawn = draw_charts(charts, out / "charts", static=static)
    say(
        f"charts: {drawn.drawn} drawn, {drawn.reused} unchanged, in {drawn.seconds:.1f}s"
        + (f" ({', '.join(STATIC_FORMATS)} and HTML)" if static else " (HTML only)")
    )
    for warning in drawn.warnings:
        say(f"warning: {warning}")
    if verbose and drawn.static is not None:
        for noise in drawn.static.noise:
            say(f"browser said:\n{noise}")
    pages = write_repo_pages(aggregates, out)
    say(f"{pages} repository pages, and {INDEX}")
    page = render_index(aggregates, charts, drawn.formats, drawn.warnings)
    index = out / "index.html"
    with atomic_path(index) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Report(
        index,
        drawn.html,
        drawn.static,
        drawn.warnings,
        time.monotonic() - started,
        drawn,
    )


# Findings beyond call counts
