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
    StaticExport,
    build_charts,
    write_html,
    write_static,
)
from analyzers.study.report import counts
from analyzers.study.report.evolution import evolution_sections
from analyzers.study.report.findings import findings_sections, traceability_section
from analyzers.study.report.html import esc, figure_html
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


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:0 1.5em 3em;color:#222;line-height:1.45}
h1{margin-top:1.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
nav a{margin-right:.8em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border-bottom:1px solid #e4e4e4;padding:.25em .7em;text-align:left;vertical-align:top}
th{background:#f6f6f6}.num{text-align:right;font-variant-numeric:tabular-nums}
td.empty{color:#888;font-style:italic}
figure{margin:1.5em 0}figcaption{color:#555;font-size:.9em}
.side{display:flex;gap:2em;flex-wrap:wrap}.warning{color:#a40000;font-weight:600}
"""


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
        ("repositories", "Repositories", counts.repositories(aggregates)),
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
<style>{_STYLE}</style>
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
) -> Report:
    """Aggregate a study and write `<out_dir>/index.html` (default `<study>/report/`) with
    its charts under `charts/`: HTML always, PNG and SVG when `static` and a browser allow."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    aggregates = aggregate_study(study_dir, progress=say, options=options)
    out = Path(out_dir) if out_dir is not None else Path(study_dir) / "report"
    charts_dir = out / "charts"
    charts = build_charts(aggregates)
    say(f"writing {len(charts)} interactive charts to {charts_dir}")
    chart_files = write_html(charts, charts_dir)
    for chart in charts:
        for fmt in STATIC_FORMATS:
            (charts_dir / f"{chart.name}.{fmt}").unlink(missing_ok=True)  # never a stale image
    exported: StaticExport | None = None
    warnings: list[str] = []
    if static:
        say(f"exporting {len(charts) * len(STATIC_FORMATS)} static images in one batch")
        exported = write_static(charts, charts_dir)
        warnings.extend(exported.warnings)
        for warning in exported.warnings:
            say(f"warning: {warning}")
        say(f"static export: {len(exported.files)} images in {exported.seconds:.1f}s")
    formats: dict[str, list[str]] = {}
    for path in exported.files if exported else ():
        formats.setdefault(path.stem, []).append(path.suffix.lstrip("."))
    page = render_index(aggregates, charts, formats, warnings)
    index = out / "index.html"
    with atomic_path(index) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Report(index, tuple(chart_files), exported, tuple(warnings), time.monotonic() - started)


# Findings beyond call counts
