"""Charts of the seed study's measures: adoption by dimension and by kind of file,
co-occurrence, logged names, adoption by creation year."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analyzers.codebook import HEADLINE
from analyzers.study.adoption import cooccurrence_matrix
from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.theme import (
    BLUE,
    LABEL_CHARS,
    ORANGE,
    Chart,
    count_axis,
    error_bars,
    grouped_layout,
    label,
    layout,
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
        f"{label(name)}: {k}/{n} repositories ({100 * s:.1f}%, 95% CI "
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
    figure = go.Figure(share_bars(rows, list(rows["name"]), BLUE, hover, counts))
    height = 140 + 26 * len(rows)
    share_layout(
        figure,
        f"MLflow usage by traceability dimension ({n} analysed repositories)",
        height,
        "repositories using it (%)",
    )
    return Chart(
        "adoption",
        "Adoption by dimension",
        "Share of the analysed repositories (population analysed) with at least one call of "
        "each dimension; "
        "error bars: 95% Wilson score intervals.",
        figure,
        height,
    )


def adoption_by_kind_chart(aggregates: Aggregates) -> Chart:
    """Per dimension, share of analysed repositories using it in scripts and in notebooks."""
    rows = aggregates.adoption[aggregates.adoption["level"] == "dimension"]
    ranked = rows[rows["kind"] == "any"].sort_values(
        ["share", "name"], ascending=[True, False], kind="stable"
    )
    order = [name for name, using in zip(ranked["name"], ranked["n_using"], strict=True) if using]
    figure = go.Figure()
    for kind, colour, where in (
        ("script", BLUE, "in .py scripts"),
        ("notebook", ORANGE, "in .ipynb notebooks"),
    ):
        part = rows[rows["kind"] == kind].set_index("name").reindex(order).reset_index()
        hover = [
            f"{label(name)} {where}: {k}/{n}"
            for name, k, n in zip(part["name"], part["n_using"], part["n_analysed"], strict=True)
        ]
        figure.add_trace(share_bars(part, list(part["name"]), colour, hover, name=where))
    height = grouped_layout(
        figure,
        "Where repositories call MLflow: scripts vs notebooks",
        len(order),
        "repositories using it (%)",
    )
    return Chart(
        "adoption-by-kind",
        "Scripts vs notebooks",
        "Share of the analysed repositories (population analysed) with a call of each used "
        "dimension in .py "
        "files and in notebooks (a repository can count in both); 95% Wilson "
        "intervals.",
        figure,
        height,
    )


def cooccurrence_chart(aggregates: Aggregates) -> Chart:
    """Heatmap: how many analysed repositories use both dimensions."""
    matrix = cooccurrence_matrix(aggregates.cooccurrence)
    labels = [label(name) for name in matrix.index]
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
    layout(
        figure,
        "Co-occurrence of dimensions (repositories using both)",
        height,
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"tickangle": -45, "automargin": True},
    )
    return Chart(
        "cooccurrence",
        "Co-occurrence",
        "Analysed repositories (population analysed) using both dimensions; the diagonal is "
        "the number using each.",
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
    height = 180 + 24 * longest
    layout(figure, f"Most logged names (top {limit})", height)
    return Chart(
        "top-keys",
        "Top parameter and metric names",
        f"The {limit} literal parameter and metric names logged by the most analysed "
        "repositories (each repository counted once per name).",
        figure,
        height,
    )


def adoption_by_year_chart(aggregates: Aggregates) -> Chart:
    """Headline measures by repository creation year: one panel per measure, a point (with its
    95% Wilson interval and n) for each year with enough analysed repositories."""
    rows = aggregates.adoption_by_year
    rows = rows[(rows["level"] == "headline") & rows["min_n_met"]]
    minimum = aggregates.options.min_n_per_year
    measures = list(HEADLINE)
    columns = 4
    figure = make_subplots(
        rows=-(-len(measures) // columns),
        cols=columns,
        subplot_titles=[label(measure) for measure in measures],
        shared_yaxes=True,
        horizontal_spacing=0.04,
        vertical_spacing=0.16,
    )
    years = [str(year) for year in sorted(set(rows["year"]))]
    for index, measure in enumerate(measures):
        part = rows[rows["name"] == measure]
        figure.add_trace(
            go.Scatter(
                x=[str(year) for year in part["year"]],
                y=percent(part["share"]),
                mode="markers+text",
                marker={"color": BLUE, "size": 8},
                error_y={**error_bars(part), "color": BLUE, "thickness": 1},
                text=[f"n={n}" for n in part["n_analysed"]],
                textposition="middle right",
                textfont={"size": 10},
                showlegend=False,
                hovertext=[
                    f"{measure}, {year}: {k}/{n}"
                    for year, k, n in zip(
                        part["year"], part["n_using"], part["n_analysed"], strict=True
                    )
                ],
                hoverinfo="text",
            ),
            row=index // columns + 1,
            col=index % columns + 1,
        )
    if not years:
        figure.add_annotation(
            text=f"no creation year has {minimum} or more analysed repositories (--min-n)",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"size": 15},
        )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=years)
    figure.update_yaxes(range=[0, 105])
    figure.update_yaxes(title_text="analysed (%)", col=1)
    height = 260 * -(-len(measures) // columns) + 80
    layout(figure, "Adoption by repository creation year", height)
    return Chart(
        "adoption-by-year",
        "Adoption by creation year",
        "Each headline measure among the analysed repositories created each year (population "
        f"analysed by creation year), one panel per measure; only years with at least "
        f"{minimum} analysed repositories are drawn, n beside each point; 95% Wilson "
        "intervals.",
        figure,
        height,
    )


def adoption_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """The seed study's charts, in report order."""
    return (
        adoption_chart(aggregates),
        adoption_by_kind_chart(aggregates),
        cooccurrence_chart(aggregates),
        top_keys_chart(aggregates),
        adoption_by_year_chart(aggregates),
    )
