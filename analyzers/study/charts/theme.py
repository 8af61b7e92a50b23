"""How every chart of the report looks, for the screen and for print: size, fonts, a
colour-blind-safe palette, labels, legends, and the bar traces that several charts share. A
chart builder says what to draw; this module says how it looks.

For print: a figure is drawn 1,050 CSS pixels wide, exported as a 2,100-pixel PNG (7 inches at
300 dpi, a full-width figure) and a 7-inch PDF, so the 17-pixel font prints at about 8 points.
No title is drawn inside a figure (the report and `export/figures.tex` give it as a caption).
Colours are Okabe and Ito's, told apart with any colour vision; a colour that codes something
has its legend in the image. A share's `k/n` stands in a column right of the axis, where no
bar, error bar or category text can reach it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analyzers.study.charts.labels import human

WIDTH = 1050  # CSS pixels; a PNG is twice that: 2,100 px, 7 inches at 300 dpi
FONT_SIZE = 17
FONT = {"family": "DejaVu Sans, Verdana, Arial, sans-serif", "size": FONT_SIZE, "color": "#222222"}
LABEL_CHARS = 40
TEMPLATE = "plotly_white"
MIN_N = 5  # a share of fewer repositories is not drawn where shares are compared
# Okabe & Ito (2008), "Color Universal Design": distinguishable with every colour vision.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW = "#56B4E9", "#CC79A7", "#F0E442"
GREY, LIGHT, DARK = "#8C8C8C", "#DDDDDD", "#333333"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, DARK, GREY)  # yellow: too pale on white
SEQUENTIAL = "Blues"  # one hue, light to dark: readable in grey and by every colour vision
SHARE_AXIS = (0, 100)
COUNT_COLUMN = 103  # percent: where k/n stand, right of every bar and every error bar
SHARE_RANGE = (0, 116)  # room for the k/n column; ticks stop at 100%
ROW = 34  # pixels per bar
LEGEND_TOP = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"}


@dataclass(frozen=True, slots=True)
class Chart:
    """One figure of the report; `name` is its file stem and, prefixed, its HTML element id.
    `title` and `caption` are shown beside the figure, never inside it; `n` says what the
    figure counts (`12 analysed repositories`), empty for the study's analysed repositories."""

    name: str
    title: str
    caption: str
    figure: go.Figure
    height: int
    n: str = ""

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


def name_label(identifier: object, limit: int | None = None) -> str:
    """An identifier of the study's tables (a dimension, a location class, a tool) as the
    words of the label table (`charts.labels`), escaped."""
    return label(human(identifier), limit)


def count_axis(maximum: int) -> dict[str, Any]:
    return {"rangemode": "tozero", "tick0": 0, "dtick": max(1, -(-maximum // 5))}


def percent(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(value) else round(100 * float(value), 4) for value in values]


def error_bars(frame: pd.DataFrame) -> dict[str, Any]:
    """Asymmetric error bars from the `share`, `ci_low` and `ci_high` columns."""
    return {
        "type": "data",
        "symmetric": False,
        "color": DARK,
        "thickness": 1.4,
        "width": 5,
        "array": percent(frame["ci_high"] - frame["share"]),
        "arrayminus": percent(frame["share"] - frame["ci_low"]),
    }


def layout(figure: go.Figure, title: str, height: int, **extra: Any) -> go.Figure:
    """The layout every chart shares. `title` is not drawn: the report and figures.tex show
    it as the caption, where a paper wants it."""
    del title
    legend = {**LEGEND_TOP, **extra.pop("legend", {})}
    margin = {"l": 10, "r": 20, "t": 20, "b": 60, **extra.pop("margin", {})}
    if extra.get("showlegend"):
        margin["t"] = max(margin["t"], 56)  # the legend's row, inside the image
    figure.update_layout(
        template=TEMPLATE,
        height=height,
        margin=margin,
        font=FONT,
        legend={**legend, "font": {"size": FONT_SIZE - 1}},
        hoverlabel={"font": {"size": FONT_SIZE - 2}},
        **extra,
    )
    return figure


def _counts_of(rows: pd.DataFrame, n_column: str = "n_analysed") -> list[str] | None:
    if "n_using" in rows and n_column in rows:
        return [f"{k}/{n}" for k, n in zip(rows["n_using"], rows[n_column], strict=True)]
    return None


def share_bars(
    rows: pd.DataFrame,
    labels: Sequence[object],
    colours: str | Sequence[str],
    hover: Sequence[str],
    counts: Sequence[str] | None = None,
    name: str | None = None,
) -> go.Bar:
    """Horizontal bars of `share` (percent) with their Wilson intervals, bottom to top in the
    order of `rows`; `counts` (k/n, by default from `n_using` and `n_analysed`) go in the
    count column `share_layout` adds."""
    counts = list(counts) if counts is not None else _counts_of(rows)
    return go.Bar(
        x=percent(rows["share"]),
        y=[label(text) for text in labels],
        orientation="h",
        marker_color=colours if isinstance(colours, str) else list(colours),
        error_x=error_bars(rows),
        hovertext=list(hover),
        hoverinfo="text",
        meta={"counts": counts} if counts is not None else None,
        **({} if name is None else {"name": label(name), "legendgroup": label(name)}),
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


def _count_column(figure: go.Figure, grouped: bool) -> None:
    """k/n of every bar, in a column right of the share axis (one per bar of a group)."""
    bars = [trace for trace in figure.data if trace.type == "bar" and trace.meta]
    for index, bar in enumerate(bars):
        if grouped:
            bar.offsetgroup = str(index)
        figure.add_trace(
            go.Scatter(
                x=[COUNT_COLUMN] * len(bar.y),
                y=list(bar.y),
                text=list(bar.meta["counts"]),
                mode="text",
                textposition="middle right",
                textfont={"size": FONT_SIZE - 2, "color": DARK},
                cliponaxis=False,
                showlegend=False,
                hoverinfo="skip",
                **({"offsetgroup": str(index), "orientation": "h"} if grouped else {}),
            )
        )


def share_layout(
    figure: go.Figure, title: str, height: int, axis_title: str, grouped: bool = False, **extra: Any
) -> None:
    """The layout of every horizontal share chart: a 0-100% axis, labels that fit, the k/n
    column right of it; a legend when bars are named."""
    _count_column(figure, grouped)
    extra.setdefault("showlegend", any(t.type == "bar" and t.name for t in figure.data))
    layout(
        figure,
        title,
        height,
        xaxis=share_axis(axis_title),
        yaxis={"automargin": True, **extra.pop("yaxis", {})},
        **extra,
    )


def share_axis(title: str) -> dict[str, Any]:
    """A 0-100% axis with room right of 100% for the k/n column."""
    return {
        "title": title,
        "range": list(SHARE_RANGE),
        "tickvals": list(range(SHARE_AXIS[0], SHARE_AXIS[1] + 1, 20)),
        "ticktext": [f"{value}%" for value in range(SHARE_AXIS[0], SHARE_AXIS[1] + 1, 20)],
        "showgrid": True,
    }


def ranked_share_figure(
    rows: pd.DataFrame,
    labels: list[str],
    colours: list[str],
    title: str,
    axis_title: str,
    row_height: int = ROW,
    n_column: str = "n_analysed",
    legend: Mapping[str, str] | None = None,
) -> tuple[go.Figure, int]:
    """Share bars top to bottom in the order of `rows`, k/n beside each, and the figure's
    height. With `legend` (colour -> what it means), each colour is a trace of its own with
    its entry in the image's legend."""
    rows, labels, colours = rows.iloc[::-1], labels[::-1], colours[::-1]
    counts = [f"{k}/{n}" for k, n in zip(rows["n_using"], rows[n_column], strict=True)]
    hover = share_hover(labels, rows, n_column)
    figure = go.Figure()
    groups = list(dict.fromkeys(colours)) if legend else [None]
    for colour in groups:
        keep = [colour is None or c == colour for c in colours]
        figure.add_trace(
            share_bars(
                rows[keep],
                [text for text, k in zip(labels, keep, strict=True) if k],
                colour if colour is not None else colours,
                [text for text, k in zip(hover, keep, strict=True) if k],
                [text for text, k in zip(counts, keep, strict=True) if k],
                name=legend.get(colour, "") if legend and colour else None,
            )
        )
    height = 120 + row_height * max(1, len(rows)) + (40 if legend else 0)
    share_layout(
        figure,
        title,
        height,
        axis_title,
        barmode="overlay",
        showlegend=bool(legend),
        legend={"traceorder": "reversed"},
        yaxis={
            "automargin": True,
            "categoryorder": "array",
            "categoryarray": [label(text) for text in labels],
        },
    )
    return figure, height


def grouped_layout(figure: go.Figure, title: str, groups: int, axis_title: str) -> int:
    """Two bars per category side by side (scripts vs notebooks, a tool's users vs the rest),
    each with its k/n; returns the height."""
    height = 160 + 2 * ROW * max(1, groups)
    share_layout(
        figure,
        title,
        height,
        axis_title,
        grouped=True,
        barmode="group",
        scattermode="group",
        bargap=0.25,
        legend={"traceorder": "reversed"},  # top to bottom, as the bars of a group
    )
    return height


def empty_note(figure: go.Figure, text: str) -> None:
    """Say in the image why a chart has nothing to draw."""
    figure.add_annotation(
        text=label(text), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
    )
    figure.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
