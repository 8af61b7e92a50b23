"""The study's figures (plotly), as offline HTML files and, through kaleido, PNG and SVG.

Static export drives a headless Chromium. Starting it costs seconds, so every image of a report
is written in one batch by one browser; without a browser the HTML is still written and the
caller gets a warning instead of an exception.
"""

from __future__ import annotations

import html
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from analyzers.aggregate import HEADLINE, Aggregates, cooccurrence_matrix
from analyzers.tables import atomic_path

STATIC_FORMATS = ("png", "svg")
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                 "chrome")
WIDTH = 900
TOP_KEYS = 15
LABEL_CHARS = 40
# No mode bar logo, and nothing that phones home: the report must work offline.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True,
                                 "toImageButtonOptions": {"format": "svg"}}
_TEMPLATE = "plotly_white"
_BLUE, _ORANGE, _GREY = "#1f77b4", "#ff7f0e", "#7f7f7f"


@dataclass(frozen=True, slots=True)
class Chart:
    """One figure of the report; `name` is its file stem and, prefixed, its HTML element id."""

    name: str
    title: str
    caption: str
    figure: go.Figure
    height: int

    @property
    def div_id(self) -> str:
        return f"chart-{self.name}"


@dataclass(frozen=True, slots=True)
class StaticExport:
    """What `write_static` wrote, and why it wrote less than asked, if it did."""

    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    seconds: float


def _label(text: object, limit: int | None = None) -> str:
    # Plotly renders a subset of HTML in labels; names come from repositories, so show them as
    # text (plotly decodes the entities back for display).
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit - 1] + "\u2026"
    return html.escape(text, quote=False)


def _count_axis(maximum: int) -> dict[str, Any]:
    return {"rangemode": "tozero", "tick0": 0, "dtick": max(1, -(-maximum // 5))}


def _percent(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(value) else round(100 * float(value), 4) for value in values]


def _error_bars(frame: pd.DataFrame) -> dict[str, Any]:
    return {"type": "data", "symmetric": False, "color": _GREY, "thickness": 1.2,
            "array": _percent(frame["ci_high"] - frame["share"]),
            "arrayminus": _percent(frame["share"] - frame["ci_low"])}


def _layout(figure: go.Figure, title: str, height: int, **extra: Any) -> go.Figure:
    figure.update_layout(title={"text": _label(title), "x": 0.01}, template=_TEMPLATE,
                         height=height, margin={"l": 10, "r": 20, "t": 60, "b": 50},
                         font={"size": 13}, **extra)
    return figure


def adoption_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories using each dimension, with 95% Wilson intervals."""
    rows = aggregates.adoption
    rows = rows[(rows["level"] == "dimension") & (rows["kind"] == "any")]
    rows = rows.sort_values(["share", "name"], ascending=[True, False], kind="stable")
    n = aggregates.n_analysed
    hover = [f"{_label(name)}: {k}/{n} repositories ({100 * s:.1f}%, 95% CI "
             f"{100 * lo:.1f}-{100 * hi:.1f}%)" for name, k, s, lo, hi
             in zip(rows["name"], rows["n_using"], rows["share"].fillna(0),
                    rows["ci_low"].fillna(0), rows["ci_high"].fillna(0), strict=True)]
    figure = go.Figure(go.Bar(
        x=_percent(rows["share"]), y=[_label(name) for name in rows["name"]], orientation="h",
        marker_color=_BLUE, error_x=_error_bars(rows), text=[f"{k}/{n}" for k in rows["n_using"]],
        textposition="outside", cliponaxis=False, hovertext=hover, hoverinfo="text"))
    height = 140 + 26 * len(rows)
    _layout(figure, f"MLflow usage by traceability dimension ({n} analysed repositories)",
            height, xaxis={"title": "repositories using it (%)", "range": [0, 105]},
            yaxis={"automargin": True})
    return Chart("adoption", "Adoption by dimension",
                 "Share of analysed repositories with at least one call of each dimension; "
                 "error bars: 95% Wilson score intervals.", figure, height)


def adoption_by_kind_chart(aggregates: Aggregates) -> Chart:
    """Per dimension, share of analysed repositories using it in scripts and in notebooks."""
    rows = aggregates.adoption[aggregates.adoption["level"] == "dimension"]
    order = (rows[rows["kind"] == "any"]
             .sort_values(["share", "name"], ascending=[True, False], kind="stable")["name"])
    order = [name for name in order
             if rows.loc[(rows["name"] == name) & (rows["kind"] == "any"), "n_using"].iloc[0]]
    figure = go.Figure()
    for kind, colour, label in (("script", _BLUE, "in .py scripts"),
                                ("notebook", _ORANGE, "in .ipynb notebooks")):
        part = rows[rows["kind"] == kind].set_index("name").reindex(order).reset_index()
        figure.add_trace(go.Bar(
            x=_percent(part["share"]), y=[_label(name) for name in part["name"]],
            orientation="h", name=label, marker_color=colour, error_x=_error_bars(part),
            hovertext=[f"{_label(name)} {label}: {k}/{n}" for name, k, n
                       in zip(part["name"], part["n_using"], part["n_analysed"], strict=True)],
            hoverinfo="text"))
    height = 160 + 40 * max(1, len(order))
    _layout(figure, "Where repositories call MLflow: scripts vs notebooks", height,
            barmode="group", xaxis={"title": "repositories using it (%)", "range": [0, 105]},
            yaxis={"automargin": True}, legend={"orientation": "h", "y": -0.12})
    return Chart("adoption-by-kind", "Scripts vs notebooks",
                 "Share of analysed repositories with a call of each used dimension in .py "
                 "files and in notebooks (a repository can count in both); 95% Wilson "
                 "intervals.", figure, height)


def coverage_chart(aggregates: Aggregates) -> Chart:
    """How many of the six traceability aspects each analysed repository records."""
    rows = aggregates.coverage_distribution
    figure = go.Figure(go.Bar(
        x=[str(value) for value in rows["coverage"]], y=list(rows["n_repos"]),
        marker_color=_BLUE, text=[f"{100 * s:.0f}%" if pd.notna(s) else "" for s in rows["share"]],
        textposition="outside", cliponaxis=False,
        hovertext=[f"{k} repositories record {c} of 6 aspects" for c, k
                   in zip(rows["coverage"], rows["n_repos"], strict=True)], hoverinfo="text"))
    height = 420
    _layout(figure, "Traceability coverage: aspects recorded per repository", height,
            xaxis={"title": "aspects recorded (of 6)", "type": "category"},
            yaxis={"title": "repositories", **_count_axis(int(rows["n_repos"].max()))})
    return Chart("coverage", "Traceability coverage",
                 "Analysed repositories by the number of traceability aspects they record "
                 "(code version, parameters, metrics, artifacts and models, environment, "
                 "data).", figure, height)


def cooccurrence_chart(aggregates: Aggregates) -> Chart:
    """Heatmap: how many analysed repositories use both dimensions."""
    matrix = cooccurrence_matrix(aggregates.cooccurrence)
    labels = [_label(name) for name in matrix.index]
    figure = go.Figure(go.Heatmap(
        z=matrix.to_numpy().tolist(), x=labels, y=labels, colorscale="Blues",
        texttemplate="%{z}", hovertemplate="%{y} and %{x}: %{z} repositories<extra></extra>",
        colorbar={"title": {"text": "repos"}}))
    height = 260 + 28 * max(1, len(labels))
    _layout(figure, "Co-occurrence of dimensions (repositories using both)", height,
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"tickangle": -45, "automargin": True})
    return Chart("cooccurrence", "Co-occurrence",
                 "Analysed repositories using both dimensions; the diagonal is the number "
                 "using each.", figure, height)


def top_keys_chart(aggregates: Aggregates, limit: int = TOP_KEYS) -> Chart:
    """The most common literal parameter and metric names, by repositories logging them."""
    keys = aggregates.top_keys
    figure = make_subplots(rows=1, cols=2, subplot_titles=("parameters", "metrics"),
                           horizontal_spacing=0.3)
    longest = 1
    for column, dimension in enumerate(("parameters", "metrics"), start=1):
        part = keys[(keys["dimension"] == dimension) & (keys["rank"] <= limit)]
        part = part.sort_values("rank", ascending=False, kind="stable")
        longest = max(longest, len(part))
        figure.add_trace(go.Bar(
            x=list(part["n_repos"]), y=[_label(key, LABEL_CHARS) for key in part["key"]],
            orientation="h",
            marker_color=_BLUE if column == 1 else _ORANGE, showlegend=False,
            hovertext=[f"{_label(key)}: {r} repositories, {c} calls" for key, r, c
                       in zip(part["key"], part["n_repos"], part["n_calls"], strict=True)],
            hoverinfo="text"), row=1, col=column)
        figure.update_xaxes(title_text="repositories", row=1, col=column,
                            **_count_axis(int(part["n_repos"].max()) if len(part) else 1))
        figure.update_yaxes(automargin=True, type="category", row=1, col=column)
    height = 180 + 24 * longest
    _layout(figure, f"Most logged names (top {limit})", height)
    return Chart("top-keys", "Top parameter and metric names",
                 f"The {limit} literal parameter and metric names logged by the most analysed "
                 "repositories (each repository counted once per name).", figure, height)


def adoption_by_year_chart(aggregates: Aggregates) -> Chart:
    """Headline measures by repository creation year, with 95% Wilson intervals."""
    rows = aggregates.adoption_by_year
    rows = rows[(rows["level"] == "headline") & (rows["n_analysed"] > 0)]
    figure = go.Figure()
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
    for colour, measure in zip(palette, HEADLINE, strict=True):
        part = rows[rows["name"] == measure]
        figure.add_trace(go.Scatter(
            x=[str(year) for year in part["year"]], y=_percent(part["share"]),
            mode="lines+markers", name=measure, line={"color": colour},
            error_y={**_error_bars(part), "color": colour, "thickness": 1},
            hovertext=[f"{measure}, {year}: {k}/{n}" for year, k, n
                       in zip(part["year"], part["n_using"], part["n_analysed"], strict=True)],
            hoverinfo="text"))
    height = 460
    _layout(figure, "Adoption by repository creation year", height,
            xaxis={"title": "year created", "type": "category"},
            yaxis={"title": "analysed repositories (%)", "range": [0, 105]},
            legend={"orientation": "h", "y": -0.2})
    return Chart("adoption-by-year", "Adoption by creation year",
                 "Headline measures among the analysed repositories created each year; years "
                 "with no analysed repository are left out; 95% Wilson intervals.",
                 figure, height)


def build_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """Every chart of the report, in report order."""
    return (adoption_chart(aggregates), adoption_by_kind_chart(aggregates),
            coverage_chart(aggregates), cooccurrence_chart(aggregates),
            top_keys_chart(aggregates), adoption_by_year_chart(aggregates))


def chart_div(chart: Chart) -> str:
    """The chart as an HTML fragment with a fixed element id, without plotly.js."""
    return pio.to_html(chart.figure, config=PLOTLY_CONFIG, include_plotlyjs=False,
                       full_html=False, div_id=chart.div_id, default_height=chart.height)


def write_html(charts: Sequence[Chart], out_dir: str | Path) -> list[Path]:
    """One self-contained HTML file per chart (plotly.js inline, so it works offline)."""
    paths = []
    for chart in charts:
        path = Path(out_dir) / f"{chart.name}.html"
        page = pio.to_html(chart.figure, config=PLOTLY_CONFIG, include_plotlyjs=True,
                           full_html=True, div_id=chart.div_id, default_height=chart.height)
        with atomic_path(path) as tmp:
            tmp.write_text(page, encoding="utf-8")
        paths.append(path)
    return paths


def find_browser() -> str | None:
    """Chromium or Chrome for static export: `$BROWSER_PATH`, else the first on PATH."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_static(charts: Sequence[Chart], out_dir: str | Path,
                 formats: Sequence[str] = STATIC_FORMATS) -> StaticExport:
    """Write every chart in every format with one browser; never raises for a missing or
    failing browser: what could not be written is reported in `warnings`."""
    started = time.monotonic()
    browser = find_browser()
    if browser is None:
        return StaticExport((), ("static export skipped: no Chromium or Chrome found (install "
                                 "chromium, or point BROWSER_PATH at one); the HTML charts "
                                 "were written",), 0.0)
    try:
        import kaleido
    except ImportError as error:
        return StaticExport((), (f"static export skipped: kaleido is not installed ({error})",),
                            0.0)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs, targets = [], []
    for chart in charts:
        for fmt in formats:
            # kaleido writes in place; a temporary name keeps a half-written image from
            # replacing a good one.
            target = out / f"{chart.name}.{fmt}"
            tmp = out / f".{chart.name}.tmp.{fmt}"
            specs.append({"fig": chart.figure.to_dict(), "path": tmp,
                          "opts": {"format": fmt, "width": WIDTH, "height": chart.height,
                                   "scale": 1}})
            targets.append((tmp, target))
    warnings: list[str] = []
    try:
        # mathjax=False: the default would fetch MathJax from the network for every page.
        errors = kaleido.write_fig_from_object_sync(
            specs, kopts={"mathjax": False, "path": browser}, cancel_on_error=False)
    except Exception as error:  # a broken browser must cost the images, not the report
        errors = ()
        reason = error.args[0] if error.args else error
        warnings.append(f"static export failed with {browser}: {type(error).__name__}: {reason}")
    for error in errors or ():
        warnings.append(f"static export: {type(error).__name__}: {error}")
    written = []
    for tmp, target in targets:
        if tmp.is_file() and tmp.stat().st_size > 0:
            os.replace(tmp, target)
            written.append(target)
        else:
            tmp.unlink(missing_ok=True)
            if not warnings:
                warnings.append(f"static export: {target.name} was not written")
    return StaticExport(tuple(written), tuple(warnings), time.monotonic() - started)


__all__ = ["BROWSER_NAMES", "PLOTLY_CONFIG", "STATIC_FORMATS", "Chart", "StaticExport",
           "adoption_by_kind_chart", "adoption_by_year_chart", "adoption_chart",
           "build_charts", "chart_div", "cooccurrence_chart", "coverage_chart", "find_browser",
           "top_keys_chart", "write_html", "write_static"]
