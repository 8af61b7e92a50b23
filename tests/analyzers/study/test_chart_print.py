"""Figures for print: no title inside, words from one label table, a colour-blind-safe palette,
a legend for every colour that codes something, k/n beside every share where nothing can
cover it, conditional shares with a minimum n, and figures.tex (fixture: tests/fixtures/study)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers.code.catalog import load_catalog
from analyzers.codebook import ASPECTS, HEADLINE, REGISTRY_MEASURES
from analyzers.schema import ECOSYSTEM_TOOLS
from analyzers.study.aggregate import aggregate
from analyzers.study.charts import build_charts
from analyzers.study.charts.adoption import cooccurrence_chart
from analyzers.study.charts.labels import LABELS, human
from analyzers.study.charts.theme import (
    COUNT_COLUMN,
    DARK,
    GREY,
    LIGHT,
    PALETTE,
    SHARE_AXIS,
    SHARE_RANGE,
)
from analyzers.study.figures import figures_tex
from analyzers.study.load import load_study
from analyzers.study.locations import DEFAULT_LOCAL, LOCATION_CLASSES
from analyzers.study.versioning import MODEL_URI_KINDS, TOKEN_KINDS
from tests.paths import STUDY

AGGREGATES = aggregate(load_study(STUDY))
CHARTS = {chart.name: chart for chart in build_charts(AGGREGATES)}
ALLOWED = {colour.lower() for colour in (*PALETTE, GREY, LIGHT, DARK)}


@pytest.mark.parametrize("name", CHARTS)
def test_no_title_is_drawn_inside_a_figure(name: str) -> None:
    chart = CHARTS[name]
    assert not chart.figure.layout.title.text
    assert chart.title, "the title goes beside the figure"
    assert chart.caption, "the caption goes beside the figure"
    assert chart.n, "n goes beside the figure"


def colours_of(trace: object) -> list[str]:
    marker = getattr(trace, "marker", None)
    colour = getattr(marker, "color", None) if marker is not None else None
    line = getattr(getattr(trace, "line", None), "color", None)
    found = [colour] if isinstance(colour, str) else list(colour or [])
    return [c for c in [*found, line] if isinstance(c, str)]


@pytest.mark.parametrize("name", CHARTS)
def test_every_colour_is_from_the_colour_blind_safe_palette(name: str) -> None:
    used = {c.lower() for trace in CHARTS[name].figure.data for c in colours_of(trace)}
    assert used <= ALLOWED, used - ALLOWED


@pytest.mark.parametrize(
    "name",
    [
        n
        for n, chart in CHARTS.items()
        if any(t.type == "bar" and t.error_x.array for t in chart.figure.data)
    ],
)
def test_every_share_bar_has_its_k_of_n_where_nothing_covers_it(name: str) -> None:
    figure = CHARTS[name].figure
    bars = [t for t in figure.data if t.type == "bar" and t.error_x.array is not None]
    columns = [t for t in figure.data if t.type == "scatter" and t.mode == "text"]
    assert sum(len(t.y) for t in bars) == sum(len(t.text) for t in columns)
    for column in columns:
        assert set(column.x) == {COUNT_COLUMN}
        assert all(re.fullmatch(r"\d+/\d+", text) for text in column.text)
    highest = max(
        (x or 0) + (e or 0) for t in bars for x, e in zip(t.x, t.error_x.array, strict=True)
    )
    assert highest <= SHARE_AXIS[1] < COUNT_COLUMN < SHARE_RANGE[1]


@pytest.mark.parametrize(
    ("name", "meanings"),
    [
        ("locations", {"a location the repository sets", "none set, or not a literal"}),
        ("traceability", {"records the aspect", "records all 6"}),
        ("adoption-by-kind", {"in .py scripts", "in .ipynb notebooks"}),
    ],
)
def test_colours_that_code_something_have_a_legend_in_the_image(
    name: str, meanings: set[str]
) -> None:
    figure = CHARTS[name].figure
    assert figure.layout.showlegend
    assert {t.name for t in figure.data if t.type == "bar"} == meanings


def test_registry_colours_are_named() -> None:
    names = {t.name for t in CHARTS["registry-lifecycle"].figure.data if t.type == "bar"}
    assert "stage lifecycle (deprecated)" in names
    assert "alias lifecycle" in names


@pytest.mark.parametrize(
    "family",
    [
        list(load_catalog().dimensions),
        [*LOCATION_CLASSES, DEFAULT_LOCAL, "any-location"],
        [*ASPECTS, "fully-traceable"],
        list(REGISTRY_MEASURES),
        list(MODEL_URI_KINDS),
        list(TOKEN_KINDS),
        list(ECOSYSTEM_TOOLS),
        list(HEADLINE),
    ],
    ids=[
        "dimensions",
        "locations",
        "traceability",
        "registry",
        "uri-kinds",
        "tokens",
        "tools",
        "headline",
    ],
)
def test_every_identifier_a_chart_shows_has_a_human_label(family: list[str]) -> None:
    assert [name for name in family if name not in LABELS] == []


def test_identifiers_are_shown_as_words() -> None:
    assert human("server-unknown-host") == "tracking server, host not literal"
    assert human("experiment-organisation") == "experiments"
    assert human("environment") == "environment"
    assert human("environment", "location") == "environment variable"
    assert human("not-in-the-table") == "not in the table"
    labels = set(CHARTS["adoption"].figure.data[0].y)
    assert "run lifecycle" in labels
    assert "run-lifecycle" not in labels


def test_cooccurrence_shows_conditional_shares_with_a_minimum_n() -> None:
    chart = cooccurrence_chart(AGGREGATES, minimum=3)
    heatmap = chart.figure.data[0]
    matrix = AGGREGATES.cooccurrence.pivot(
        index="dimension_a", columns="dimension_b", values="n_repos"
    )
    totals = {name: int(matrix.loc[name, name]) for name in matrix.index}
    kept = [
        name for name in dict.fromkeys(AGGREGATES.cooccurrence["dimension_a"]) if totals[name] >= 3
    ]
    assert len(heatmap.y) == len(kept) < len(totals), "rows of fewer than 3 are left out"
    first = kept[0]
    assert list(heatmap.z[0]) == [
        round(100 * int(matrix.loc[first, other]) / totals[first], 1)
        for other in dict.fromkeys(AGGREGATES.cooccurrence["dimension_a"])
    ]
    assert heatmap.y[0].endswith(f"(n={totals[first]})")
    assert max(max(row) for row in heatmap.z) <= 100


def test_figures_tex_has_one_figure_per_chart_with_its_caption_and_n(tmp_path: Path) -> None:
    text = figures_tex(CHARTS.values())
    figures = re.findall(r"\\begin\{figure\}.*?\\end\{figure\}", text, re.DOTALL)
    assert len(figures) == len(CHARTS)
    for chart, figure in zip(CHARTS.values(), figures, strict=True):
        assert rf"\includegraphics[width=\linewidth]{{\mmfigures/{chart.name}.pdf}}" in figure
        assert rf"\label{{fig:mm-{chart.name}}}" in figure
        assert f"$n$ = {chart.n}." in figure
    assert r"\providecommand{\mmfigures}{../report/charts}" in text
    assert "%" not in text.replace(r"\%", "").split("\n", 4)[-1], "every % in captions is escaped"


def test_the_report_captions_each_figure_with_its_title_and_n(tmp_path: Path) -> None:
    from analyzers.study.report import render_index

    page = render_index(AGGREGATES, list(CHARTS.values()))
    chart = CHARTS["adoption"]
    assert f"<figcaption><strong>{chart.title}.</strong>" in page
    assert f"n = {chart.n}." in page


def test_ecosystem_coadoption_leaves_out_tools_with_few_users(tmp_path: Path) -> None:
    from analyzers.study.charts.evolution import ecosystem_coadoption_chart
    from tests.analyzers.study.test_evolution import study_with

    agg = aggregate(load_study(study_with(tmp_path)))
    chart = ecosystem_coadoption_chart(agg, minimum=2)  # DVC has 2 users, W&B 1
    shown = {y for t in chart.figure.data if t.type == "bar" for y in t.y}
    assert shown == {"DVC"}
    assert "left out (cml, docker, github-actions, tensorboard, wandb)" in chart.caption
