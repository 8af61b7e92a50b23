"""The study's figures (plotly): how they look (`theme`, `labels`), what they draw, by family of
findings (`adoption`, `findings`, `evolution`, `comparison`), and how they are written (`output`: offline HTML, and PNG,
SVG and PDF through kaleido when it is installed; `stable`: the same bytes on every run).

Adding a chart: a function from `Aggregates` to a `Chart` in its family's module, built with the
theme's helpers (no colours or layouts of its own), listed in that family's `*_charts`; the
report places it by name (`analyzers.study.report`).
"""

from __future__ import annotations

from dataclasses import replace

from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.adoption import adoption_charts
from analyzers.study.charts.comparison import comparison_charts
from analyzers.study.charts.evolution import evolution_charts
from analyzers.study.charts.findings import findings_charts
from analyzers.study.charts.output import (
    BROWSER_NAMES,
    PLOTLY_CONFIG,
    STATIC_FORMATS,
    DrawnCharts,
    StaticExport,
    chart_digest,
    chart_div,
    draw_charts,
    find_browser,
    write_html,
    write_static,
)
from analyzers.study.charts.theme import Chart


def build_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """Every chart of the report, in report order; a chart that does not say what it counts
    counts the study's analysed repositories."""
    charts = (
        *adoption_charts(aggregates),
        *findings_charts(aggregates),
        *evolution_charts(aggregates),
        *comparison_charts(aggregates),
    )
    every = f"{aggregates.n_analysed} analysed repositories"
    return tuple(chart if chart.n else replace(chart, n=every) for chart in charts)


__all__ = [
    "BROWSER_NAMES",
    "PLOTLY_CONFIG",
    "STATIC_FORMATS",
    "Chart",
    "DrawnCharts",
    "StaticExport",
    "adoption_charts",
    "build_charts",
    "chart_digest",
    "chart_div",
    "draw_charts",
    "evolution_charts",
    "find_browser",
    "findings_charts",
    "write_html",
    "write_static",
]
