"""Charts of the seed study's measures: adoption by dimension and by kind of file, coverage,
co-occurrence, logged names, adoption by creation year."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analyzers.codebook import HEADLINE
from analyzers.study.adoption import cooccurrence_matrix
from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.labels import human
from analyzers.study.charts.theme import (
    BLUE,
    FONT_SIZE,
    LABEL_CHARS,
    MIN_N,
    ORANGE,
    PALETTE,
    ROW,
    SEQUENTIAL,
    Chart,
    count_axis,
    empty_note,
    error_bars,
    grouped_layout,
    label,
    layout,
    name_label,
    percent,
    share_bars,
    share_layout,
)

TOP_KEYS = 15


def adoption_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories using each dimension, with 95% Wilson intervals."""
    rows = aggregates.adoption
    rows = rows[(rows["level"] == "dimension") & (rows["kind"] == "any")]
    rows = rows.sort_values(["share", "name"], ascending=[True, False], kind="stable")
    n = aggregates.n_analysed
    hover = [
        f"{name_label(name)}: {k}/{n} repositories ({100 * s:.1f}%, 95% CI "
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
    counts = [f"{k}/{n}" for k in rows["n_using"]]
    names = [human(name) for name in rows["name"]]
    figure = go.Figure(share_bars(rows, names, BLUE, hover, counts))
    height = 120 + ROW * len(rows)
    share_layout(
        figure,
        f"MLflow usage by traceability dimension ({n} analysed repositories)",
        height,
        "repositories using it",
    )
    return Chart(
        "adoption",
        "Adoption by dimension",
        "Share of analysed repositories with at least one call of each dimension; "
        "error bars: 95% Wilson score intervals; k/n beside each bar.",
        figure,
        height,
        f"{n} analysed repositories",
    )


def adoption_by_kind_chart(aggregates: Aggregates) -> Chart:
    """Per dimension, share of analysed repositories using it in scripts and in notebooks."""
    rows = aggregates.adoption[aggregates.adoption["level"] == "dimension"]
    ranked = rows[rows["kind"] == "any"].sort_values(
        ["share", "name"], ascending=[True, False], kind="stable"
    )
    order = [name for name, using in zip(ranked["name"], ranked["n_using"], strict=True) if using]
    figure = go.Figure()
    for kind, colour in (("script", BLUE), ("notebook", ORANGE)):
        where = human(kind)
        part = rows[rows["kind"] == kind].set_index("name").reindex(order).reset_index()
        hover = [
            f"{name_label(name)} {where}: {k}/{n}"
            for name, k, n in zip(part["name"], part["n_using"], part["n_analysed"], strict=True)
        ]
        names = [human(name) for name in part["name"]]
        figure.add_trace(share_bars(part, names, colour, hover, name=where))
    height = grouped_layout(
        figure,
        "Where repositories call MLflow: scripts vs notebooks",
        len(order),
        "repositories using it",
    )
    return Chart(
        "adoption-by-kind",
        "Scripts vs notebooks",
        "Share of analysed repositories with a call of each used dimension in .py "
        "files and in notebooks (a repository can count in both); 95% Wilson "
        "intervals; k/n beside each bar.",
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
            marker_color=BLUE,
            text=[
                f"{k} ({100 * s:.0f}%)" if pd.notna(s) else str(k)
                for k, s in zip(rows["n_repos"], rows["share"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{k} repositories record {c} of 6 aspects"
                for c, k in zip(rows["coverage"], rows["n_repos"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    height = 440
    layout(
        figure,
        "Traceability coverage: aspects recorded per repository",
        height,
        xaxis={"title": "aspects recorded (of 6)", "type": "category"},
        yaxis={"title": "repositories", **count_axis(int(rows["n_repos"].max() or 1))},
        margin={"t": 40},
        showlegend=False,
    )
    return Chart(
        "coverage",
        "Traceability coverage",
        "Analysed repositories by the number of traceability aspects they record "
        "(code version, parameters, metrics, artifacts and models, environment, "
        "data); above each bar, the repositories and their share.",
        figure,
        height,
    )


def cooccurrence_chart(aggregates: Aggregates, minimum: int = MIN_N) -> Chart:
    """Heatmap of conditional shares: of the repositories using the row's dimension, the share
    also using the column's. Raw counts would only repeat how common each dimension is; a row
    of fewer than `minimum` repositories is left out."""
    matrix = cooccurrence_matrix(aggregates.cooccurrence)
    totals = {name: int(matrix.loc[name, name]) for name in matrix.index}
    kept = [name for name in matrix.index if totals[name] >= minimum]
    rows = [name_label(name) for name in kept]
    columns = [name_label(name) for name in matrix.columns]
    shares = [
        [round(100 * int(matrix.loc[a, b]) / totals[a], 1) for b in matrix.columns] for a in kept
    ]
    counts = [[f"{int(matrix.loc[a, b])}/{totals[a]}" for b in matrix.columns] for a in kept]
    figure = go.Figure(
        go.Heatmap(
            z=shares,
            x=columns,
            y=[f"{row} (n={totals[name]})" for row, name in zip(rows, kept, strict=True)],
            zmin=0,
            zmax=100,
            colorscale=SEQUENTIAL,
            customdata=counts,
            texttemplate="%{z:.0f}%",
            textfont={"size": FONT_SIZE - 3},
            hovertemplate="of %{y} using it: %{customdata} use %{x} (%{z:.0f}%)<extra></extra>",
            colorbar={"title": {"text": "% of row"}, "ticksuffix": "%"},
        )
    )
    if not kept:
        empty_note(figure, f"no dimension is used by {minimum} or more repositories")
    height = 300 + 34 * max(1, len(kept))
    layout(
        figure,
        "Co-occurrence of dimensions",
        height,
        yaxis={"autorange": "reversed", "automargin": True, "title": "repositories using"},
        xaxis={"tickangle": -45, "automargin": True, "title": "share also using"},
        showlegend=False,
    )
    return Chart(
        "cooccurrence",
        "Which dimensions go together",
        "Of the analysed repositories using the row's dimension (n beside it), the share "
        f"also using the column's; rows of fewer than {minimum} repositories are left out "
        "(cooccurrence.csv has every count).",
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
                y=[label(key, LABEL_CHARS) for key in part["key"]],
                orientation="h",
                marker_color=BLUE if column == 1 else ORANGE,
                showlegend=False,
                text=[str(r) for r in part["n_repos"]],
                textposition="outside",
                cliponaxis=False,
                hovertext=[
                    f"{label(key)}: {r} repositories, {c} calls"
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
            **count_axis(int(part["n_repos"].max()) if len(part) else 1),
        )
        figure.update_yaxes(automargin=True, type="category", row=1, col=column)
    height = 160 + 30 * longest
    layout(figure, f"Most logged names (top {limit})", height, showlegend=False)
    return Chart(
        "top-keys",
        "Top parameter and metric names",
        f"The {limit} literal parameter and metric names logged by the most analysed "
        "repositories (each repository counted once per name; the number beside each bar).",
        figure,
        height,
    )


def adoption_by_year_chart(aggregates: Aggregates) -> Chart:
    """Headline measures by repository creation year, with 95% Wilson intervals."""
    rows = aggregates.adoption_by_year
    rows = rows[(rows["level"] == "headline") & (rows["n_analysed"] > 0)]
    figure = go.Figure()
    sizes = dict(zip(rows["year"], rows["n_analysed"], strict=False))
    for colour, measure in zip(PALETTE, HEADLINE, strict=False):
        part = rows[rows["name"] == measure]
        figure.add_trace(
            go.Scatter(
                x=[f"{year}<br>n={sizes[year]}" for year in part["year"]],
                y=percent(part["share"]),
                mode="lines+markers",
                name=name_label(measure),
                line={"color": colour},
                error_y={**error_bars(part), "color": colour, "thickness": 1},
                hovertext=[
                    f"{measure}, {year}: {k}/{n}"
                    for year, k, n in zip(
                        part["year"], part["n_using"], part["n_analysed"], strict=True
                    )
                ],
                hoverinfo="text",
            )
        )
    height = 500
    layout(
        figure,
        "Adoption by repository creation year",
        height,
        xaxis={"title": "year created (n: analysed repositories)", "type": "category"},
        yaxis={"title": "analysed repositories", "range": [0, 105], "ticksuffix": "%"},
        showlegend=True,
        margin={"t": 80},
    )
    return Chart(
        "adoption-by-year",
        "Adoption by creation year",
        "Headline measures among the analysed repositories created each year (n under "
        "each year); years with no analysed repository are left out; 95% Wilson "
        "intervals.",
        figure,
        height,
    )


def adoption_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """The seed study's charts, in report order."""
    return (
        adoption_chart(aggregates),
        adoption_by_kind_chart(aggregates),
        coverage_chart(aggregates),
        cooccurrence_chart(aggregates),
        top_keys_chart(aggregates),
        adoption_by_year_chart(aggregates),
    )
