"""The study's figures (plotly), as offline HTML files and, through kaleido, PNG and SVG.

kaleido is an optional extra (`mlflow-miner[static]`; `make install` has it). Static export
drives a headless Chromium. Starting it costs seconds, so every image of a report
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

from analyzers.codebook import (
    ANY_LOCATION,
    FULLY_TRACEABLE,
    HEADLINE,
    PROFILE_ASPECTS,
    PROFILE_LABELS,
)
from analyzers.study.adoption import cooccurrence_matrix
from analyzers.study.aggregate import Aggregates
from analyzers.study.locations import DEFAULT_LOCAL
from analyzers.study.versioning import HF_NO_SEMVER_SHARE
from analyzers.tables import atomic_path

STATIC_FORMATS = ("png", "svg")
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
WIDTH = 900
TOP_KEYS = 15
LABEL_CHARS = 40
# No mode bar logo, and nothing that phones home: the report must work offline.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "svg"},
}
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
        text = text[: limit - 1] + "\u2026"
    return html.escape(text, quote=False)


def _count_axis(maximum: int) -> dict[str, Any]:
    return {"rangemode": "tozero", "tick0": 0, "dtick": max(1, -(-maximum // 5))}


def _percent(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(value) else round(100 * float(value), 4) for value in values]


def _error_bars(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "type": "data",
        "symmetric": False,
        "color": _GREY,
        "thickness": 1.2,
        "array": _percent(frame["ci_high"] - frame["share"]),
        "arrayminus": _percent(frame["share"] - frame["ci_low"]),
    }


def _layout(figure: go.Figure, title: str, height: int, **extra: Any) -> go.Figure:
    figure.update_layout(
        title={"text": _label(title), "x": 0.01},
        template=_TEMPLATE,
        height=height,
        margin={"l": 10, "r": 20, "t": 60, "b": 50},
        font={"size": 13},
        **extra,
    )
    return figure


def adoption_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories using each dimension, with 95% Wilson intervals."""
    rows = aggregates.adoption
    rows = rows[(rows["level"] == "dimension") & (rows["kind"] == "any")]
    rows = rows.sort_values(["share", "name"], ascending=[True, False], kind="stable")
    n = aggregates.n_analysed
    hover = [
        f"{_label(name)}: {k}/{n} repositories ({100 * s:.1f}%, 95% CI "
        f"{100 * lo:.1f}-{100 * hi:.1f}%)"
        for name, k, s, lo, hi in zip(
            rows["name"],
            rows["n_using"],
            rows["share"].fillna(0),
            rows["ci_low"].fillna(0),
            rows["ci_high"].fillna(0),
            strict=True,
        )
    ]
    figure = go.Figure(
        go.Bar(
            x=_percent(rows["share"]),
            y=[_label(name) for name in rows["name"]],
            orientation="h",
            marker_color=_BLUE,
            error_x=_error_bars(rows),
            text=[f"{k}/{n}" for k in rows["n_using"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=hover,
            hoverinfo="text",
        )
    )
    height = 140 + 26 * len(rows)
    _layout(
        figure,
        f"MLflow usage by traceability dimension ({n} analysed repositories)",
        height,
        xaxis={"title": "repositories using it (%)", "range": [0, 105]},
        yaxis={"automargin": True},
    )
    return Chart(
        "adoption",
        "Adoption by dimension",
        "Share of analysed repositories with at least one call of each dimension; "
        "error bars: 95% Wilson score intervals.",
        figure,
        height,
    )


def adoption_by_kind_chart(aggregates: Aggregates) -> Chart:
    """Per dimension, share of analysed repositories using it in scripts and in notebooks."""
    rows = aggregates.adoption[aggregates.adoption["level"] == "dimension"]
    order = rows[rows["kind"] == "any"].sort_values(
        ["share", "name"], ascending=[True, False], kind="stable"
    )["name"]
    order = [
        name
        for name in order
        if rows.loc[(rows["name"] == name) & (rows["kind"] == "any"), "n_using"].iloc[0]
    ]
    figure = go.Figure()
    for kind, colour, label in (
        ("script", _BLUE, "in .py scripts"),
        ("notebook", _ORANGE, "in .ipynb notebooks"),
    ):
        part = rows[rows["kind"] == kind].set_index("name").reindex(order).reset_index()
        figure.add_trace(
            go.Bar(
                x=_percent(part["share"]),
                y=[_label(name) for name in part["name"]],
                orientation="h",
                name=label,
                marker_color=colour,
                error_x=_error_bars(part),
                hovertext=[
                    f"{_label(name)} {label}: {k}/{n}"
                    for name, k, n in zip(
                        part["name"], part["n_using"], part["n_analysed"], strict=True
                    )
                ],
                hoverinfo="text",
            )
        )
    height = 160 + 40 * max(1, len(order))
    _layout(
        figure,
        "Where repositories call MLflow: scripts vs notebooks",
        height,
        barmode="group",
        xaxis={"title": "repositories using it (%)", "range": [0, 105]},
        yaxis={"automargin": True},
        legend={"orientation": "h", "y": -0.12},
    )
    return Chart(
        "adoption-by-kind",
        "Scripts vs notebooks",
        "Share of analysed repositories with a call of each used dimension in .py "
        "files and in notebooks (a repository can count in both); 95% Wilson "
        "intervals.",
        figure,
        height,
    )


def coverage_chart(aggregates: Aggregates) -> Chart:
    """How many of the six traceability aspects each analysed repository records."""
    rows = aggregates.coverage_distribution
    figure = go.Figure(
        go.Bar(
            x=[str(value) for value in rows["coverage"]],
            y=list(rows["n_repos"]),
            marker_color=_BLUE,
            text=[f"{100 * s:.0f}%" if pd.notna(s) else "" for s in rows["share"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{k} repositories record {c} of 6 aspects"
                for c, k in zip(rows["coverage"], rows["n_repos"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    height = 420
    _layout(
        figure,
        "Traceability coverage: aspects recorded per repository",
        height,
        xaxis={"title": "aspects recorded (of 6)", "type": "category"},
        yaxis={"title": "repositories", **_count_axis(int(rows["n_repos"].max()))},
    )
    return Chart(
        "coverage",
        "Traceability coverage",
        "Analysed repositories by the number of traceability aspects they record "
        "(code version, parameters, metrics, artifacts and models, environment, "
        "data).",
        figure,
        height,
    )


def cooccurrence_chart(aggregates: Aggregates) -> Chart:
    """Heatmap: how many analysed repositories use both dimensions."""
    matrix = cooccurrence_matrix(aggregates.cooccurrence)
    labels = [_label(name) for name in matrix.index]
    figure = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy().tolist(),
            x=labels,
            y=labels,
            colorscale="Blues",
            texttemplate="%{z}",
            hovertemplate="%{y} and %{x}: %{z} repositories<extra></extra>",
            colorbar={"title": {"text": "repos"}},
        )
    )
    height = 260 + 28 * max(1, len(labels))
    _layout(
        figure,
        "Co-occurrence of dimensions (repositories using both)",
        height,
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"tickangle": -45, "automargin": True},
    )
    return Chart(
        "cooccurrence",
        "Co-occurrence",
        "Analysed repositories using both dimensions; the diagonal is the number using each.",
        figure,
        height,
    )


def top_keys_chart(aggregates: Aggregates, limit: int = TOP_KEYS) -> Chart:
    """The most common literal parameter and metric names, by repositories logging them."""
    keys = aggregates.top_keys
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=("parameters", "metrics"), horizontal_spacing=0.3
    )
    longest = 1
    for column, dimension in enumerate(("parameters", "metrics"), start=1):
        part = keys[(keys["dimension"] == dimension) & (keys["rank"] <= limit)]
        part = part.sort_values("rank", ascending=False, kind="stable")
        longest = max(longest, len(part))
        figure.add_trace(
            go.Bar(
                x=list(part["n_repos"]),
                y=[_label(key, LABEL_CHARS) for key in part["key"]],
                orientation="h",
                marker_color=_BLUE if column == 1 else _ORANGE,
                showlegend=False,
                hovertext=[
                    f"{_label(key)}: {r} repositories, {c} calls"
                    for key, r, c in zip(part["key"], part["n_repos"], part["n_calls"], strict=True)
                ],
                hoverinfo="text",
            ),
            row=1,
            col=column,
        )
        figure.update_xaxes(
            title_text="repositories",
            row=1,
            col=column,
            **_count_axis(int(part["n_repos"].max()) if len(part) else 1),
        )
        figure.update_yaxes(automargin=True, type="category", row=1, col=column)
    height = 180 + 24 * longest
    _layout(figure, f"Most logged names (top {limit})", height)
    return Chart(
        "top-keys",
        "Top parameter and metric names",
        f"The {limit} literal parameter and metric names logged by the most analysed "
        "repositories (each repository counted once per name).",
        figure,
        height,
    )


def adoption_by_year_chart(aggregates: Aggregates) -> Chart:
    """Headline measures by repository creation year, with 95% Wilson intervals."""
    rows = aggregates.adoption_by_year
    rows = rows[(rows["level"] == "headline") & (rows["n_analysed"] > 0)]
    figure = go.Figure()
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
    for colour, measure in zip(palette, HEADLINE, strict=True):
        part = rows[rows["name"] == measure]
        figure.add_trace(
            go.Scatter(
                x=[str(year) for year in part["year"]],
                y=_percent(part["share"]),
                mode="lines+markers",
                name=measure,
                line={"color": colour},
                error_y={**_error_bars(part), "color": colour, "thickness": 1},
                hovertext=[
                    f"{measure}, {year}: {k}/{n}"
                    for year, k, n in zip(
                        part["year"], part["n_using"], part["n_analysed"], strict=True
                    )
                ],
                hoverinfo="text",
            )
        )
    height = 460
    _layout(
        figure,
        "Adoption by repository creation year",
        height,
        xaxis={"title": "year created", "type": "category"},
        yaxis={"title": "analysed repositories (%)", "range": [0, 105]},
        legend={"orientation": "h", "y": -0.2},
    )
    return Chart(
        "adoption-by-year",
        "Adoption by creation year",
        "Headline measures among the analysed repositories created each year; years "
        "with no analysed repository are left out; 95% Wilson intervals.",
        figure,
        height,
    )


# ---------------------------------------------------------------------------------------------
# Findings beyond call counts: where runs are stored, traceability profiles, model versioning

_GREEN, _LIGHT = "#2ca02c", "#d9d9d9"
MAX_COMBINATIONS = 20


def _share_bars(
    rows: pd.DataFrame, labels: list[str], colours: list[str], n_column: str = "n_analysed"
) -> go.Bar:
    """Horizontal bars of `share` with Wilson error bars, `k/n` as text, top to bottom in the
    order of `rows` (plotly draws the first category at the bottom, so they are reversed)."""
    rows, labels, colours = rows.iloc[::-1], labels[::-1], colours[::-1]
    return go.Bar(
        x=_percent(rows["share"]),
        y=[_label(label) for label in labels],
        orientation="h",
        marker_color=colours,
        error_x=_error_bars(rows),
        text=[f"{k}/{n}" for k, n in zip(rows["n_using"], rows[n_column], strict=True)],
        textposition="outside",
        cliponaxis=False,
        hovertext=[
            f"{_label(label)}: {k}/{n} ({100 * s:.1f}%, 95% CI {100 * lo:.1f}-{100 * hi:.1f}%)"
            for label, k, n, s, lo, hi in zip(
                labels,
                rows["n_using"],
                rows[n_column],
                rows["share"].fillna(0),
                rows["ci_low"].fillna(0),
                rows["ci_high"].fillna(0),
                strict=True,
            )
        ],
        hoverinfo="text",
    )


def _share_figure(
    rows: pd.DataFrame,
    labels: list[str],
    colours: list[str],
    title: str,
    axis_title: str,
    row_height: int = 28,
) -> tuple[go.Figure, int]:
    """A figure of `_share_bars` on a 0-105% axis, and its height for the number of rows."""
    height = 140 + row_height * len(rows)
    figure = go.Figure(_share_bars(rows, labels, colours))
    _layout(
        figure,
        title,
        height,
        xaxis={"title": axis_title, "range": [0, 105]},
        yaxis={"automargin": True},
    )
    return figure, height


def locations_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories setting a location of each class, with 95% Wilson
    intervals; default-local (calls MLflow, sets nothing) and unknown in grey."""
    rows = aggregates.location_shares
    rows = rows[(rows["setting"] == "any") & (rows["location"] != ANY_LOCATION)]
    names = list(rows["location"])
    colours = [_GREY if name in (DEFAULT_LOCAL, "unknown") else _BLUE for name in names]
    figure, height = _share_figure(
        rows,
        names,
        colours,
        f"Where runs are stored ({aggregates.n_analysed} analysed repositories)",
        "repositories setting it (%)",
    )
    return Chart(
        "locations",
        "Where runs are stored",
        "Share of analysed repositories setting a tracking or registry location of "
        "each class (a repository can set several); default-local: calls MLflow but "
        "sets no location; 95% Wilson score intervals.",
        figure,
        height,
    )


def profile_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories recording each profile aspect, and all five."""
    rows = aggregates.profile_shares
    labels = [
        PROFILE_LABELS.get(aspect, "fully traceable (all five)")
        + (" (most often missing)" if missing else "")
        for aspect, missing in zip(rows["aspect"], rows["most_missing"], strict=True)
    ]
    colours = [_ORANGE if aspect == FULLY_TRACEABLE else _BLUE for aspect in rows["aspect"]]
    figure, height = _share_figure(
        rows,
        labels,
        colours,
        "Traceability profile: what repositories record",
        "analysed repositories (%)",
        row_height=32,
    )
    return Chart(
        "profile",
        "Traceability profile",
        "Share of analysed repositories recording their code version, parameters and "
        "metrics, environment, pinned dependencies and data, and all five; 95% Wilson "
        "score intervals.",
        figure,
        height,
    )


def profile_combinations_chart(aggregates: Aggregates, limit: int = MAX_COMBINATIONS) -> Chart:
    """Upset-style: bars of how many repositories record each combination of aspects, above a
    dot matrix of which aspects the combination holds."""
    combos = aggregates.profile_combinations.head(limit)
    aspects = list(PROFILE_ASPECTS)
    positions = list(range(len(combos)))
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.03
    )
    figure.add_trace(
        go.Bar(
            x=positions,
            y=list(combos["n_repos"]),
            marker_color=_BLUE,
            showlegend=False,
            text=[str(k) for k in combos["n_repos"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{_label(combination)}: {k} repositories ({100 * s:.1f}%)"
                for combination, k, s in zip(
                    combos["combination"], combos["n_repos"], combos["share"].fillna(0), strict=True
                )
            ],
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    dots: dict[bool, tuple[list[int], list[int]]] = {True: ([], []), False: ([], [])}
    lines_x: list[int | None] = []
    lines_y: list[int | None] = []
    for position, row in zip(positions, combos.to_dict("records"), strict=True):
        held = [index for index, aspect in enumerate(aspects) if row[aspect]]
        for index, aspect in enumerate(aspects):
            dots[bool(row[aspect])][0].append(position)
            dots[bool(row[aspect])][1].append(index)
        if len(held) > 1:
            lines_x += [position, position, None]
            lines_y += [min(held), max(held), None]
    figure.add_trace(
        go.Scatter(
            x=lines_x,
            y=lines_y,
            mode="lines",
            showlegend=False,
            line={"color": "#333333", "width": 2},
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    for held, colour in ((False, _LIGHT), (True, "#333333")):
        figure.add_trace(
            go.Scatter(
                x=dots[held][0],
                y=dots[held][1],
                mode="markers",
                showlegend=False,
                marker={"size": 11, "color": colour},
                hoverinfo="skip",
            ),
            row=2,
            col=1,
        )
    figure.update_xaxes(showticklabels=False, range=[-0.6, max(len(combos), 1) - 0.4])
    figure.update_yaxes(
        title_text="repositories",
        row=1,
        col=1,
        **_count_axis(int(combos["n_repos"].max()) if len(combos) else 1),
    )
    figure.update_yaxes(
        tickvals=list(range(len(aspects))),
        ticktext=[_label(PROFILE_LABELS[aspect]) for aspect in aspects],
        range=[len(aspects) - 0.5, -0.5],
        automargin=True,
        row=2,
        col=1,
    )
    height = 520
    _layout(figure, "Which aspects repositories record together", height)
    return Chart(
        "profile-combinations",
        "Combinations of aspects",
        f"Upset-style chart: analysed repositories by the exact combination of aspects "
        f"they record (top {limit} combinations), the dots below marking the aspects "
        "of each.",
        figure,
        height,
    )


_REGISTRY_COLOURS = {
    "stage-transitions": _ORANGE,
    "stages": _ORANGE,
    "stages-only": _ORANGE,
    "alias-assignments": _GREEN,
    "aliases": _GREEN,
    "aliases-only": _GREEN,
    "stages-and-aliases": _GREY,
}


def registry_lifecycle_chart(aggregates: Aggregates) -> Chart:
    """Registry use and lifecycle (stages vs aliases), with 95% Wilson intervals."""
    rows = aggregates.registry_summary
    names = list(rows["measure"])
    colours = [_REGISTRY_COLOURS.get(name, _BLUE) for name in names]
    figure, height = _share_figure(
        rows,
        names,
        colours,
        "Model registry: use and lifecycle (stages vs aliases)",
        "analysed repositories (%)",
    )
    return Chart(
        "registry-lifecycle",
        "Registry use and lifecycle",
        "Share of analysed repositories using the model registry, and following the "
        "deprecated stage lifecycle (orange) or aliases (green); 95% Wilson score "
        "intervals.",
        figure,
        height,
    )


def model_uris_chart(aggregates: Aggregates) -> Chart:
    """Model URI literals by kind."""
    rows = aggregates.model_uri_kinds
    colours = [
        _ORANGE if kind == "stage" else _GREEN if kind == "alias" else _BLUE
        for kind in rows["kind"]
    ]
    figure = go.Figure(
        go.Bar(
            x=[_label(kind) for kind in rows["kind"]],
            y=list(rows["n_uris"]),
            marker_color=colours,
            text=[f"{100 * s:.0f}%" if pd.notna(s) else "" for s in rows["uri_share"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{_label(kind)}: {k} literals in {r} repositories"
                for kind, k, r in zip(rows["kind"], rows["n_uris"], rows["n_using"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    height = 420
    _layout(
        figure,
        f"Model URIs in code, by kind ({int(rows['n_uris'].sum())} literals)",
        height,
        xaxis={"title": "kind", "type": "category"},
        yaxis={"title": "literals", **_count_axis(int(rows["n_uris"].max() or 1))},
    )
    return Chart(
        "model-uris",
        "Model URIs by kind",
        "models:/ and runs:/ string literals by what they point at: a stage, an "
        "alias, a version number, the latest version, a logged model or a run.",
        figure,
        height,
    )


def model_naming_chart(aggregates: Aggregates) -> Chart:
    """Registered model names without semantic versioning, beside the Hugging Face figure, and
    the kinds of tokens in them."""
    naming = aggregates.model_naming
    no_semver = naming[naming["name"] == "no-semver"]
    tokens = naming[naming["group"] == "token"].iloc[::-1]
    n = int(no_semver["n_total"].iloc[0]) if len(no_semver) else 0
    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.4, 0.6],
        horizontal_spacing=0.18,
        subplot_titles=("no semantic versioning", "token kinds in names"),
    )
    figure.add_trace(
        go.Bar(
            x=[f"MLflow registry (n={n})"] * len(no_semver),
            y=_percent(no_semver["share"]),
            marker_color=_BLUE,
            showlegend=False,
            error_y=_error_bars(no_semver),
            hovertext=[f"{k}/{n} literal registered model names" for k in no_semver["n_names"]],
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Bar(
            x=["Hugging Face study"],
            y=[round(100 * HF_NO_SEMVER_SHARE, 4)],
            marker_color=_GREY,
            showlegend=False,
            hovertext=[f"{100 * HF_NO_SEMVER_SHARE:.0f}% of Hugging Face models"],
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Bar(
            x=_percent(tokens["share"]),
            y=[_label(kind) for kind in tokens["name"]],
            orientation="h",
            marker_color=_BLUE,
            showlegend=False,
            error_x=_error_bars(tokens),
            hovertext=[
                f"{_label(kind)}: {k}/{n} names"
                for kind, k in zip(tokens["name"], tokens["n_names"], strict=True)
            ],
            hoverinfo="text",
        ),
        row=1,
        col=2,
    )
    figure.update_yaxes(title_text="names (%)", range=[0, 105], row=1, col=1)
    figure.update_xaxes(title_text="names (%)", range=[0, 105], row=1, col=2)
    figure.update_yaxes(automargin=True, row=1, col=2)
    height = 440
    _layout(figure, "Registered model names: semantic versioning and tokens", height)
    return Chart(
        "model-naming",
        "Model naming",
        "Share of literal registered model names with no semantic version (vX, vX.Y, "
        "X.Y.Z, ...), beside the Hugging Face naming study's 79%, and the kinds of "
        "tokens the names hold; 95% Wilson score intervals.",
        figure,
        height,
    )


def findings_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """The charts of the three findings, in report order."""
    return (
        locations_chart(aggregates),
        profile_chart(aggregates),
        profile_combinations_chart(aggregates),
        registry_lifecycle_chart(aggregates),
        model_uris_chart(aggregates),
        model_naming_chart(aggregates),
    )


def build_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """Every chart of the report, in report order."""
    return (
        adoption_chart(aggregates),
        adoption_by_kind_chart(aggregates),
        coverage_chart(aggregates),
        cooccurrence_chart(aggregates),
        top_keys_chart(aggregates),
        adoption_by_year_chart(aggregates),
        *findings_charts(aggregates),
        *evolution_charts(aggregates),
    )


def chart_div(chart: Chart) -> str:
    """The chart as an HTML fragment with a fixed element id, without plotly.js."""
    return pio.to_html(
        chart.figure,
        config=PLOTLY_CONFIG,
        include_plotlyjs=False,
        full_html=False,
        div_id=chart.div_id,
        default_height=chart.height,
    )


def write_html(charts: Sequence[Chart], out_dir: str | Path) -> list[Path]:
    """One self-contained HTML file per chart (plotly.js inline, so it works offline)."""
    paths = []
    for chart in charts:
        path = Path(out_dir) / f"{chart.name}.html"
        page = pio.to_html(
            chart.figure,
            config=PLOTLY_CONFIG,
            include_plotlyjs=True,
            full_html=True,
            div_id=chart.div_id,
            default_height=chart.height,
        )
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


def write_static(
    charts: Sequence[Chart], out_dir: str | Path, formats: Sequence[str] = STATIC_FORMATS
) -> StaticExport:
    """Write every chart in every format with one browser; never raises for a missing or
    failing browser: what could not be written is reported in `warnings`."""
    started = time.monotonic()
    try:
        import kaleido  # the optional extra mlflow-miner[static]
    except ImportError:
        return StaticExport(
            (),
            (
                "static export skipped: kaleido is not installed (pip install "
                "'mlflow-miner[static]'); the HTML charts were written",
            ),
            0.0,
        )
    browser = find_browser()
    if browser is None:
        return StaticExport(
            (),
            (
                "static export skipped: no Chromium or Chrome found (install "
                "chromium, or point BROWSER_PATH at one); the HTML charts "
                "were written",
            ),
            0.0,
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs, targets = [], []
    for chart in charts:
        for fmt in formats:
            # kaleido writes in place; a temporary name keeps a half-written image from
            # replacing a good one.
            target = out / f"{chart.name}.{fmt}"
            tmp = out / f".{chart.name}.tmp.{fmt}"
            specs.append(
                {
                    "fig": chart.figure.to_dict(),
                    "path": tmp,
                    "opts": {"format": fmt, "width": WIDTH, "height": chart.height, "scale": 1},
                }
            )
            targets.append((tmp, target))
    warnings: list[str] = []
    try:
        # mathjax=False: the default would fetch MathJax from the network for every page.
        errors = kaleido.write_fig_from_object_sync(
            specs, kopts={"mathjax": False, "path": browser}, cancel_on_error=False
        )
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


__all__ = [
    "BROWSER_NAMES",
    "PLOTLY_CONFIG",
    "STATIC_FORMATS",
    "Chart",
    "StaticExport",
    "adoption_by_kind_chart",
    "adoption_by_year_chart",
    "adoption_chart",
    "build_charts",
    "chart_div",
    "cooccurrence_chart",
    "coverage_chart",
    "find_browser",
    "top_keys_chart",
    "write_html",
    "write_static",
]
# Findings beyond call counts
__all__ += [
    "findings_charts",
    "locations_chart",
    "model_naming_chart",
    "model_uris_chart",
    "profile_chart",
    "profile_combinations_chart",
    "registry_lifecycle_chart",
]


# ---------------------------------------------------------------------------------------------
# Evolution and ecosystem (issue 6): charts only for a study that has their inputs.

ECOSYSTEM_PRACTICE = "log-input"  # the co-adoption bars: do a tool's users log datasets?
CURVE_DIMENSIONS = 8  # adoption curves: mlflow and the dimensions most present at the end
_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def ecosystem_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories using each MLOps tool, with 95% Wilson intervals."""
    rows = aggregates.evolution.tables["ecosystem_tools"]
    rows = rows[rows["evidence"] == "any"].sort_values(
        ["share", "tool"], ascending=[True, False], kind="stable"
    )
    n = aggregates.n_analysed
    figure = go.Figure(
        go.Bar(
            x=_percent(rows["share"]),
            y=[_label(tool) for tool in rows["tool"]],
            orientation="h",
            marker_color=_BLUE,
            error_x=_error_bars(rows),
            text=[f"{k}/{n}" for k in rows["n_using"]],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{_label(tool)}: {k}/{n} repositories"
                for tool, k in zip(rows["tool"], rows["n_using"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    height = 140 + 26 * max(1, len(rows))
    _layout(
        figure,
        f"MLOps tools beside MLflow ({n} analysed repositories)",
        height,
        xaxis={"title": "repositories using it (%)", "range": [0, 105]},
        yaxis={"automargin": True},
    )
    return Chart(
        "ecosystem",
        "MLOps tools beside MLflow",
        "Share of analysed repositories with evidence of each tool (files, imports, "
        "workflow steps; nothing run); error bars: 95% Wilson score intervals.",
        figure,
        height,
    )


def ecosystem_coadoption_chart(aggregates: Aggregates, practice: str = ECOSYSTEM_PRACTICE) -> Chart:
    """For each tool: the share of its users with `practice` beside the share of the others."""
    rows = aggregates.evolution.tables["ecosystem_coadoption"]
    rows = rows[rows["practice"] == practice].iloc[::-1]
    figure = go.Figure()
    for suffix, colour, label in (
        ("tool", _ORANGE, "the tool's users"),
        ("other", _BLUE, "the other repositories"),
    ):
        part = rows.rename(
            columns={
                f"share_{suffix}": "share",
                f"ci_low_{suffix}": "ci_low",
                f"ci_high_{suffix}": "ci_high",
            }
        )
        figure.add_trace(
            go.Bar(
                x=_percent(part["share"]),
                y=[_label(tool) for tool in part["tool"]],
                orientation="h",
                name=label,
                marker_color=colour,
                error_x=_error_bars(part),
                hovertext=[
                    f"{_label(tool)}, {label}: {k}/{n}"
                    for tool, k, n in zip(
                        part["tool"], part[f"k_{suffix}"], part[f"n_{suffix}"], strict=True
                    )
                ],
                hoverinfo="text",
            )
        )
    height = 160 + 40 * max(1, len(rows))
    _layout(
        figure,
        f"Practice {practice}: each tool's users vs the other repositories",
        height,
        barmode="group",
        xaxis={"title": "repositories with the practice (%)", "range": [0, 105]},
        yaxis={"automargin": True},
        legend={"orientation": "h", "y": -0.12},
    )
    return Chart(
        "ecosystem-coadoption",
        "Co-adoption with MLflow practices",
        f"Share of each tool's users with the practice {practice} beside the share of "
        "the analysed repositories without the tool; 95% Wilson intervals.",
        figure,
        height,
    )


def adoption_curve_chart(aggregates: Aggregates, limit: int = CURVE_DIMENSIONS) -> Chart:
    """Month by month, the share of repositories whose default branch had each dimension."""
    rows = aggregates.evolution.tables["adoption_curve"]
    last = rows[rows["month"] == rows["month"].max()] if len(rows) else rows
    ranked = last.sort_values(["n_using", "dimension"], ascending=[False, True], kind="stable")
    names = ["mlflow", *[name for name in ranked["dimension"] if name != "mlflow"]][: limit + 1]
    n = int(rows["n_repos"].iloc[0]) if len(rows) else 0
    figure = go.Figure()
    for colour, name in zip(
        _PALETTE, [name for name in names if name in set(rows["dimension"])], strict=False
    ):
        part = rows[rows["dimension"] == name]
        figure.add_trace(
            go.Scatter(
                x=list(part["month"]),
                y=_percent(part["share"]),
                mode="lines",
                name=_label(name),
                line={"color": colour, "width": 3 if name == "mlflow" else 1.6, "shape": "hv"},
                hovertext=[
                    f"{_label(name)}, {month}: {k}/{n}"
                    for month, k in zip(part["month"], part["n_using"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    height = 480
    _layout(
        figure,
        f"Adoption over time ({n} repositories with a walked history)",
        height,
        xaxis={"title": "month", "type": "date"},
        yaxis={"title": "repositories with it (%)", "range": [0, 105]},
        legend={"orientation": "h", "y": -0.2},
    )
    return Chart(
        "adoption-curve",
        "Adoption over time",
        "Share of the analysed repositories whose history was walked whose default "
        "branch had MLflow (a call or a requirement) and each dimension at the end of "
        f"each month: mlflow and the {limit} dimensions most present at the end.",
        figure,
        height,
    )


def time_to_adoption_chart(aggregates: Aggregates) -> Chart:
    """Days from repository creation, and from the first commit, to the first MLflow commit."""
    rows = aggregates.evolution.tables["time_to_adoption"]
    figure = go.Figure()
    for column, label, colour in (
        ("days_from_creation", "from repository creation", _BLUE),
        ("days_from_first_commit", "from the first commit", _ORANGE),
    ):
        part = rows[rows[column].notna()]
        figure.add_trace(
            go.Box(
                x=list(part[column]),
                name=label,
                orientation="h",
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker_color=colour,
                boxmean=False,
                hovertext=[
                    f"{_label(repo)}: {days:.0f} days"
                    for repo, days in zip(part["repo"], part[column], strict=True)
                ],
                hoverinfo="text",
            )
        )
    height = 360
    _layout(
        figure,
        "Time to MLflow adoption",
        height,
        xaxis={"title": "days until the first commit with MLflow", "zeroline": True},
        yaxis={"automargin": True},
        showlegend=False,
    )
    return Chart(
        "time-to-adoption",
        "Time to adoption",
        "Per repository with a walked history and MLflow in it: days from the GitHub "
        "repository's creation (negative: an imported older history) and from its "
        "first commit to its first commit with MLflow.",
        figure,
        height,
    )


def evolution_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """The ecosystem and history charts a study has inputs for, in report order."""
    inputs = aggregates.evolution.inputs
    charts: list[Chart] = []
    if inputs.has_ecosystem:
        charts += [ecosystem_chart(aggregates), ecosystem_coadoption_chart(aggregates)]
    if inputs.has_history and len(aggregates.evolution.tables["adoption_curve"]):
        charts += [adoption_curve_chart(aggregates), time_to_adoption_chart(aggregates)]
    return tuple(charts)


__all__ += [
    "adoption_curve_chart",
    "ecosystem_chart",
    "ecosystem_coadoption_chart",
    "evolution_charts",
    "time_to_adoption_chart",
]
