"""Charts of the findings: traceability (the codebook's aspects), where runs are stored, model
versioning in the registry."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analyzers.codebook import ANY_LOCATION, ASPECTS, FULLY_TRACEABLE
from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.labels import human
from analyzers.study.charts.theme import (
    BLUE,
    COUNT_COLUMN,
    DARK,
    FONT_SIZE,
    GREEN,
    GREY,
    LIGHT,
    ORANGE,
    Chart,
    count_axis,
    error_bars,
    label,
    layout,
    name_label,
    percent,
    ranked_share_figure,
    share_axis,
)
from analyzers.study.locations import DEFAULT_LOCAL
from analyzers.study.stats import records
from analyzers.study.versioning import HF_NO_SEMVER_SHARE

MAX_COMBINATIONS = 20
_REGISTRY_LEGEND = {
    BLUE: "registry use",
    ORANGE: "stage lifecycle (deprecated)",
    GREEN: "alias lifecycle",
    GREY: "both lifecycles",
}
_REGISTRY_COLOURS = {
    "stage-transitions": ORANGE,
    "stages": ORANGE,
    "stages-only": ORANGE,
    "alias-assignments": GREEN,
    "aliases": GREEN,
    "aliases-only": GREEN,
    "stages-and-aliases": GREY,
}


def locations_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories setting a location of each class, with 95% Wilson
    intervals; default-local (calls MLflow, sets nothing) and unknown in grey."""
    rows = aggregates.location_shares
    rows = rows[(rows["setting"] == "any") & (rows["location"] != ANY_LOCATION)]
    names = list(rows["location"])
    colours = [GREY if name in (DEFAULT_LOCAL, "unknown") else BLUE for name in names]
    figure, height = ranked_share_figure(
        rows,
        [human(name, "location") for name in names],
        colours,
        f"Where runs are stored ({aggregates.n_analysed} analysed repositories)",
        "repositories setting it",
        legend={BLUE: "a location the repository sets", GREY: "none set, or not a literal"},
    )
    return Chart(
        "locations",
        "Where runs are stored",
        "Share of the analysed repositories (population analysed) setting a tracking or "
        "registry location of each class (a repository can set several); default-local: "
        "calls MLflow but sets no location; 95% Wilson score intervals.",
        figure,
        height,
    )


def traceability_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories recording each aspect of the codebook, and all six."""
    rows = aggregates.traceability["traceability_shares"]
    n = len(ASPECTS)
    labels = [
        human(aspect) + (" (most often missing)" if missing else "")
        for aspect, missing in zip(rows["aspect"], rows["most_missing"], strict=True)
    ]
    colours = [ORANGE if aspect == FULLY_TRACEABLE else BLUE for aspect in rows["aspect"]]
    figure, height = ranked_share_figure(
        rows,
        labels,
        colours,
        "Traceability: what repositories record",
        "analysed repositories",
        legend={BLUE: "records the aspect", ORANGE: f"records all {n}"},
    )
    return Chart(
        "traceability",
        "Traceability",
        "Share of the analysed repositories (population analysed) recording each aspect of "
        "the traceability codebook (code version, parameters, metrics, environment, "
        f"dependencies, input data), and all {n}; 95% Wilson score intervals.",
        figure,
        height,
    )


def traceability_distribution_chart(aggregates: Aggregates) -> Chart:
    """How many of the aspects each analysed repository records."""
    rows = aggregates.traceability["traceability_distribution"]
    n = len(ASPECTS)
    figure = go.Figure(
        go.Bar(
            x=[str(value) for value in rows["n_aspects"]],
            y=list(rows["n_repos"]),
            marker_color=BLUE,
            text=[
                f"{k} ({100 * s:.0f}%)" if pd.notna(s) else str(k)
                for k, s in zip(rows["n_repos"], rows["share"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hovertext=[
                f"{k} repositories record {c} of {n} aspects"
                for c, k in zip(rows["n_aspects"], rows["n_repos"], strict=True)
            ],
            hoverinfo="text",
        )
    )
    height = 420
    layout(
        figure,
        "Traceability: aspects recorded per repository",
        height,
        xaxis={"title": f"aspects recorded (of {n})", "type": "category"},
        yaxis={"title": "repositories", **count_axis(int(rows["n_repos"].max() or 1))},
        margin={"t": 40},
        showlegend=False,
    )
    return Chart(
        "traceability-distribution",
        "Aspects recorded per repository",
        f"Analysed repositories (population analysed) by the number of the {n} traceability "
        "aspects they record; above each bar, the repositories and their share.",
        figure,
        height,
    )


def traceability_combinations_chart(aggregates: Aggregates, limit: int = MAX_COMBINATIONS) -> Chart:
    """Upset-style: bars of how many repositories record each combination of aspects, above a
    dot matrix of which aspects the combination holds."""
    combos = aggregates.traceability["traceability_combinations"].head(limit)
    aspects = list(ASPECTS)
    positions = list(range(len(combos)))
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.03
    )
    figure.add_trace(
        go.Bar(
            x=positions,
            y=list(combos["n_repos"]),
            marker_color=BLUE,
            showlegend=False,
            text=[str(k) for k in combos["n_repos"]],
            textposition="outside",
            textfont={"size": FONT_SIZE - 2},
            cliponaxis=False,
            hovertext=[
                f"{label(combination)}: {k} repositories ({100 * s:.1f}%)"
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
    for position, row in zip(positions, records(combos), strict=True):
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
            line={"color": DARK, "width": 2},
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    for recorded, colour in ((False, LIGHT), (True, DARK)):
        figure.add_trace(
            go.Scatter(
                x=dots[recorded][0],
                y=dots[recorded][1],
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
        **count_axis(int(combos["n_repos"].max()) if len(combos) else 1),
    )
    figure.update_yaxes(
        tickvals=list(range(len(aspects))),
        ticktext=[name_label(aspect) for aspect in aspects],
        range=[len(aspects) - 0.5, -0.5],
        automargin=True,
        row=2,
        col=1,
    )
    height = 560
    layout(
        figure,
        "Which aspects repositories record together",
        height,
        showlegend=False,
        margin={"t": 40},
    )
    return Chart(
        "traceability-combinations",
        "Combinations of aspects",
        f"Upset-style chart: analysed repositories by the exact combination of aspects "
        f"they record (top {limit} combinations), the dots below marking the aspects "
        "of each.",
        figure,
        height,
    )


def registry_lifecycle_chart(aggregates: Aggregates) -> Chart:
    """Registry use and lifecycle (stages vs aliases), with 95% Wilson intervals."""
    rows = aggregates.registry_summary
    names = list(rows["measure"])
    colours = [_REGISTRY_COLOURS.get(name, BLUE) for name in names]
    figure, height = ranked_share_figure(
        rows,
        [human(name) for name in names],
        colours,
        "Model registry: use and lifecycle (stages vs aliases)",
        "analysed repositories",
        legend={colour: _REGISTRY_LEGEND[colour] for colour in colours},
    )
    return Chart(
        "registry-lifecycle",
        "Registry use and lifecycle",
        "Share of the analysed repositories (population analysed) using the model registry "
        "(uses-registry, as in the headline), and following the deprecated stage lifecycle "
        "or aliases (the legend names the colours); 95% Wilson score intervals; k/n beside "
        "each bar.",
        figure,
        height,
    )


def model_uris_chart(aggregates: Aggregates) -> Chart:
    """Model URI literals by kind."""
    rows = aggregates.model_uri_kinds
    legend = {ORANGE: "stage lifecycle", GREEN: "alias lifecycle", BLUE: "other kinds"}
    colour_of = {"stage": ORANGE, "alias": GREEN}
    figure = go.Figure()
    for colour, meaning in legend.items():
        part = rows[[colour_of.get(kind, BLUE) == colour for kind in rows["kind"]]]
        if part.empty:
            continue
        figure.add_trace(
            go.Bar(
                x=[name_label(kind) for kind in part["kind"]],
                y=list(part["n_uris"]),
                marker_color=colour,
                name=meaning,
                text=[
                    f"{k} ({100 * s:.0f}%)" if pd.notna(s) else str(k)
                    for k, s in zip(part["n_uris"], part["uri_share"], strict=True)
                ],
                textposition="outside",
                cliponaxis=False,
                hovertext=[
                    f"{name_label(kind)}: {k} literals in {r} repositories"
                    for kind, k, r in zip(
                        part["kind"], part["n_uris"], part["n_using"], strict=True
                    )
                ],
                hoverinfo="text",
            )
        )
    height = 460
    layout(
        figure,
        f"Model URIs in code, by kind ({int(rows['n_uris'].sum())} literals)",
        height,
        xaxis={
            "title": "kind",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [name_label(kind) for kind in rows["kind"]],
        },
        yaxis={"title": "literals", **count_axis(int(rows["n_uris"].max() or 1))},
        showlegend=True,
        barmode="overlay",
    )
    return Chart(
        "model-uris",
        "Model URIs by kind",
        "models:/ and runs:/ string literals by what they point at: a stage, an "
        "alias, a version number, the latest version, a logged model or a run; above each "
        "bar, the literals and their share.",
        figure,
        height,
        f"{int(rows['n_uris'].sum())} model URI literals",
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
        column_widths=[0.3, 0.7],
        horizontal_spacing=0.32,
        subplot_titles=("no semantic versioning", "token kinds in names"),
    )
    figure.add_trace(
        go.Bar(
            x=[f"MLflow<br>(n={n})"] * len(no_semver),
            y=percent(no_semver["share"]),
            marker_color=BLUE,
            showlegend=False,
            text=[f"{k}/{n}" for k in no_semver["n_names"]],
            textposition="inside",
            insidetextanchor="start",
            error_y=error_bars(no_semver),
            hovertext=[f"{k}/{n} literal registered model names" for k in no_semver["n_names"]],
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Bar(
            x=["Hugging<br>Face"],
            y=[round(100 * HF_NO_SEMVER_SHARE, 4)],
            marker_color=GREY,
            showlegend=False,
            text=[f"{100 * HF_NO_SEMVER_SHARE:.0f}%"],
            textposition="inside",
            insidetextanchor="start",
            hovertext=[f"{100 * HF_NO_SEMVER_SHARE:.0f}% of Hugging Face models"],
            hoverinfo="text",
        ),
        row=1,
        col=1,
    )
    token_labels = [name_label(kind) for kind in tokens["name"]]
    figure.add_trace(
        go.Scatter(
            x=[COUNT_COLUMN] * len(tokens),
            y=token_labels,
            text=[f"{k}/{n}" for k in tokens["n_names"]],
            mode="text",
            textposition="middle right",
            cliponaxis=False,
            showlegend=False,
            hoverinfo="skip",
        ),
        row=1,
        col=2,
    )
    figure.add_trace(
        go.Bar(
            x=percent(tokens["share"]),
            y=token_labels,
            orientation="h",
            marker_color=BLUE,
            showlegend=False,
            error_x=error_bars(tokens),
            hovertext=[
                f"{name_label(kind)}: {k}/{n} names"
                for kind, k in zip(tokens["name"], tokens["n_names"], strict=True)
            ],
            hoverinfo="text",
        ),
        row=1,
        col=2,
    )
    figure.update_yaxes(title_text="names", range=[0, 105], ticksuffix="%", row=1, col=1)
    figure.update_xaxes(tickangle=0, row=1, col=1)
    figure.update_xaxes(share_axis("names"), row=1, col=2)
    figure.update_yaxes(automargin=True, row=1, col=2)
    height = 480
    layout(
        figure,
        "Registered model names: semantic versioning and tokens",
        height,
        showlegend=False,
        margin={"t": 50},
    )
    return Chart(
        "model-naming",
        "Model naming",
        "Share of literal registered model names with no semantic version (vX, vX.Y, "
        "X.Y.Z, ...), beside the Hugging Face naming study's 79%, and the kinds of "
        "tokens the names hold (k/n beside each bar); 95% Wilson score intervals.",
        figure,
        height,
        f"{n} literal registered model names",
    )


def findings_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """The charts of the three findings, in report order."""
    return (
        traceability_chart(aggregates),
        traceability_distribution_chart(aggregates),
        traceability_combinations_chart(aggregates),
        locations_chart(aggregates),
        registry_lifecycle_chart(aggregates),
        model_uris_chart(aggregates),
        model_naming_chart(aggregates),
    )
