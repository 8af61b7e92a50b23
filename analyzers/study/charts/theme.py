"""How every chart of the report looks: colours, layout, labels, and the bar traces that several
charts share. A chart builder says what to draw; this module says how it looks."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

WIDTH = 1050  # CSS pixels; a PNG is twice that: 2,100 px, 7 inches at 300 dpi
LABEL_CHARS = 40
TEMPLATE = "plotly_white"
BLUE, ORANGE, GREY, GREEN, LIGHT = "#1f77b4", "#ff7f0e", "#7f7f7f", "#2ca02c", "#d9d9d9"
DARK = "#333333"
PALETTE = (
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
SHARE_AXIS = (0, 105)  # percent, with room for the k/n labels


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


def label(text: object, limit: int | None = None) -> str:
    """`text` as a label: plotly renders a subset of HTML in labels, and names come from
    repositories, so they are shown as text (plotly decodes the entities back for display)."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return html.escape(text, quote=False)


def count_axis(maximum: int) -> dict[str, Any]:
    return {"rangemode": "tozero", "tick0": 0, "dtick": max(1, -(-maximum // 5))}


def percent(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(value) else round(100 * float(value), 4) for value in values]


def error_bars(frame: pd.DataFrame) -> dict[str, Any]:
    """Asymmetric error bars from the `share`, `ci_low` and `ci_high` columns."""
    return {
        "type": "data",
        "symmetric": False,
        "color": GREY,
        "thickness": 1.2,
        "array": percent(frame["ci_high"] - frame["share"]),
        "arrayminus": percent(frame["share"] - frame["ci_low"]),
    }


def layout(figure: go.Figure, title: str, height: int, **extra: Any) -> go.Figure:
    figure.update_layout(
        title={"text": label(title), "x": 0.01},
        template=TEMPLATE,
        height=height,
        margin={"l": 10, "r": 20, "t": 60, "b": 50},
        font={"size": 13},
        **extra,
    )
    return figure


def share_bars(
    rows: pd.DataFrame,
    labels: Sequence[object],
    colours: str | Sequence[str],
    hover: Sequence[str],
    counts: Sequence[str] | None = None,
    name: str | None = None,
) -> go.Bar:
    """Horizontal bars of `share` (percent) with their Wilson intervals, bottom to top in the
    order of `rows`; `counts` (k/n) as text beside the bars."""
    texts: dict[str, Any] = (
        {}
        if counts is None
        else {"text": list(counts), "textposition": "outside", "cliponaxis": False}
    )
    return go.Bar(
        x=percent(rows["share"]),
        y=[label(text) for text in labels],
        orientation="h",
        marker_color=colours if isinstance(colours, str) else list(colours),
        error_x=error_bars(rows),
        hovertext=list(hover),
        hoverinfo="text",
        **({} if name is None else {"name": name}),
        **texts,
    )


def share_hover(
    labels: Sequence[object], rows: pd.DataFrame, n_column: str = "n_analysed"
) -> list[str]:
    """`label: k/n (s%, 95% CI lo-hi%)` for each row."""
    return [
        f"{label(text)}: {k}/{n} ({100 * s:.1f}%, 95% CI {100 * lo:.1f}-{100 * hi:.1f}%)"
        for text, k, n, s, lo, hi in zip(
            labels,
            rows["n_using"],
            rows[n_column],
            rows["share"].fillna(0),
            rows["ci_low"].fillna(0),
            rows["ci_high"].fillna(0),
            strict=True,
        )
    ]


def share_layout(figure: go.Figure, title: str, height: int, axis_title: str, **extra: Any) -> None:
    """The layout of every horizontal share chart: a 0-105% axis, labels that fit."""
    layout(
        figure,
        title,
        height,
        xaxis={"title": axis_title, "range": list(SHARE_AXIS)},
        yaxis={"automargin": True},
        **extra,
    )


def ranked_share_figure(
    rows: pd.DataFrame,
    labels: list[str],
    colours: list[str],
    title: str,
    axis_title: str,
    row_height: int = 28,
    n_column: str = "n_analysed",
) -> tuple[go.Figure, int]:
    """Share bars top to bottom in the order of `rows` (plotly draws the first category at the
    bottom, so they are reversed), k/n beside each, and the figure's height."""
    rows, labels, colours = rows.iloc[::-1], labels[::-1], colours[::-1]
    counts = [f"{k}/{n}" for k, n in zip(rows["n_using"], rows[n_column], strict=True)]
    height = 140 + row_height * len(rows)
    figure = go.Figure(
        share_bars(rows, labels, colours, share_hover(labels, rows, n_column), counts)
    )
    share_layout(figure, title, height, axis_title)
    return figure, height


def grouped_layout(figure: go.Figure, title: str, groups: int, axis_title: str) -> int:
    """Two bars per category side by side (scripts vs notebooks, a tool's users vs the rest);
    returns the height."""
    height = 160 + 40 * max(1, groups)
    share_layout(
        figure, title, height, axis_title, barmode="group", legend={"orientation": "h", "y": -0.12}
    )
    return height
