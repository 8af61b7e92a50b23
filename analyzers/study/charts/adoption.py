"""Charts of the seed study's measures: adoption by dimension and by kind of file,
co-occurrence, logged names, adoption by creation year."""

from __future__ import annotations

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
        "Share of the analysed repositories (population analysed) with at least one call of "
        "each dimension; error bars: 95% Wilson score intervals; k/n beside each bar.",
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
        "Share of the analysed repositories (population analysed) with a call of each used "
        "dimension in .py "
        "files and in notebooks (a repository can count in both); 95% Wilson "
        "intervals; k/n beside each bar.",
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
        "Of the analysed repositories (population analysed) using the row's dimension (n "
        f"beside it), the share also using the column's; rows of fewer than {minimum} "
        "repositories are left out (cooccurrence.csv has every count).",
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
        subplot_titles=[name_label(measure, 30) for measure in measures],
        shared_yaxes=True,
        horizontal_spacing=0.03,
        vertical_spacing=0.2,
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
                textfont={"size": FONT_SIZE - 5},
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
        empty_note(figure, f"no creation year has {minimum} or more analysed repositories")
    figure.update_annotations(font={"size": FONT_SIZE - 3})  # the panels' titles
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=years)
    figure.update_yaxes(range=[0, 105], ticksuffix="%")
    figure.update_yaxes(title_text="analysed", col=1)
    height = 300 * -(-len(measures) // columns) + 60
    layout(figure, "Adoption by repository creation year", height, showlegend=False)
    return Chart(
        "adoption-by-year",
        "Adoption by creation year",
        "Each headline measure among the analysed repositories created each year (population "
        f"analysed by creation year), one panel per measure; only years with at least "
        f"{minimum} analysed repositories are drawn (--min-n), n beside each point; 95% Wilson "
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
