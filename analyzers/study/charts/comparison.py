"""Chart of what a text search would have found beside the resolved calls, per API name."""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.theme import (
    BLUE,
    ORANGE,
    ROW,
    VERMILLION,
    Chart,
    count_axis,
    empty_note,
    label,
    layout,
)
from analyzers.study.comparison import ANY

TERMS_SHOWN = 15


def method_comparison_chart(aggregates: Aggregates, limit: int = TERMS_SHOWN) -> Chart:
    """Per API name (the most called first), the lines both methods find, the text search's
    lines where no call starts, and the calls it misses, stacked."""
    table = aggregates.comparison.table
    rows = table[table["api"] != ANY].head(limit).iloc[::-1]
    names = [label(name) for name in rows["api"]]
    figure = go.Figure()
    for column, colour, meaning in (
        ("lines_both", BLUE, "found by both"),
        ("lines_text_only", ORANGE, "text search only: no call there"),
        ("lines_resolved_only", VERMILLION, "calls the text search misses"),
    ):
        figure.add_trace(
            go.Bar(
                x=list(rows[column]),
                y=names,
                orientation="h",
                name=meaning,
                marker_color=colour,
                hovertext=[
                    f"{name}: {k} lines {meaning}"
                    for name, k in zip(names, rows[column], strict=True)
                ],
                hoverinfo="text",
            )
        )
    totals = [
        int(a + b + c)
        for a, b, c in zip(
            rows["lines_both"], rows["lines_text_only"], rows["lines_resolved_only"], strict=True
        )
    ]
    figure.add_trace(
        go.Scatter(
            x=totals,
            y=names,
            text=[f" {t}" for t in totals],
            mode="text",
            textposition="middle right",
            cliponaxis=False,
            showlegend=False,
            hoverinfo="skip",
        )
    )
    if rows.empty:
        empty_note(figure, "no text matches: the study predates the text search")
    height = 140 + ROW * max(1, len(rows))
    layout(
        figure,
        "Text search vs resolved calls",
        height,
        barmode="stack",
        showlegend=True,
        xaxis={"title": "lines", **count_axis(max(totals, default=1))},
        yaxis={"automargin": True},
        margin={"r": 70},
    )
    return Chart(
        "method-comparison",
        "What a text search would have found",
        f"Per API name (the {limit} called in most repositories), lines that a whole-word "
        "text search and name resolution both find, that only the text search finds (no "
        "call starts there) and calls only resolution finds; the total beside each bar "
        "(method_comparison.csv has every name).",
        figure,
        height,
    )


def comparison_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """The comparison's chart, when the study has text matches."""
    if not aggregates.comparison.has_text:
        return ()
    return (method_comparison_chart(aggregates),)
