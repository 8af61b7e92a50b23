"""Charts of evolution and the ecosystem, for a study that has their inputs: the MLOps tools
beside MLflow, co-adoption with MLflow practices, adoption over time among the repositories
that existed, time to adoption as a Kaplan-Meier curve."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.labels import human
from analyzers.study.charts.theme import (
    BLUE,
    GREY,
    MIN_N,
    ORANGE,
    PALETTE,
    ROW,
    Chart,
    empty_note,
    grouped_layout,
    layout,
    name_label,
    percent,
    share_bars,
    share_layout,
)

ECOSYSTEM_PRACTICE = "log-input"  # the co-adoption bars: do a tool's users log datasets?
CURVE_DIMENSIONS = 8  # adoption curves: mlflow and the dimensions most present at the end


def ecosystem_chart(aggregates: Aggregates) -> Chart:
    """Share of analysed repositories using each MLOps tool, with 95% Wilson intervals."""
    rows = aggregates.evolution.tables["ecosystem_tools"]
    rows = rows[rows["evidence"] == "any"].sort_values(
        ["share", "tool"], ascending=[True, False], kind="stable"
    )
    n = aggregates.n_analysed
    hover = [
        f"{name_label(name)}: {k}/{n} repositories"
        for name, k in zip(rows["tool"], rows["n_using"], strict=True)
    ]
    counts = [f"{k}/{n}" for k in rows["n_using"]]
    tools = [human(name) for name in rows["tool"]]
    figure = go.Figure(share_bars(rows, tools, BLUE, hover, counts))
    height = 120 + ROW * max(1, len(rows))
    share_layout(
        figure,
        f"MLOps tools beside MLflow ({n} analysed repositories)",
        height,
        "repositories using it",
    )
    return Chart(
        "ecosystem",
        "MLOps tools beside MLflow",
        "Share of the analysed repositories (population analysed) with evidence of each tool "
        "(files, imports, workflow steps; nothing run); error bars: 95% Wilson score "
        "intervals; k/n beside each bar.",
        figure,
        height,
    )


def ecosystem_coadoption_chart(
    aggregates: Aggregates, practice: str = ECOSYSTEM_PRACTICE, minimum: int = MIN_N
) -> Chart:
    """For each tool with at least `minimum` users: the share of its users with `practice`
    beside the share of the others (a tool with one user would show a 0 or 100% bar)."""
    rows = aggregates.evolution.tables["ecosystem_coadoption"]
    rows = rows[rows["practice"] == practice]
    left_out = sorted(set(rows.loc[rows["n_tool"] < minimum, "tool"]))
    rows = rows[rows["n_tool"] >= minimum].iloc[::-1]
    figure = go.Figure()
    for suffix, colour, who in (
        ("tool", ORANGE, "the tool's users"),
        ("other", BLUE, "the other repositories"),
    ):
        part = rows.rename(
            columns={
                f"share_{suffix}": "share",
                f"ci_low_{suffix}": "ci_low",
                f"ci_high_{suffix}": "ci_high",
            }
        )
        hover = [
            f"{name_label(name)}, {who}: {k}/{n}"
            for name, k, n in zip(
                part["tool"], part[f"k_{suffix}"], part[f"n_{suffix}"], strict=True
            )
        ]
        counts = [f"{k}/{n}" for k, n in zip(part[f"k_{suffix}"], part[f"n_{suffix}"], strict=True)]
        tools = [human(name) for name in part["tool"]]
        figure.add_trace(share_bars(part, tools, colour, hover, counts, name=who))
    if rows.empty:
        empty_note(figure, f"no tool has {minimum} or more users in this study")
    height = grouped_layout(
        figure,
        f"Practice {practice}: each tool's users vs the other repositories",
        len(rows),
        "repositories with the practice",
    )
    skipped = (
        f" Tools with fewer than {minimum} users are left out ({', '.join(left_out)})."
        if left_out
        else ""
    )
    return Chart(
        "ecosystem-coadoption",
        "Co-adoption with MLflow practices",
        f"Share of each tool's users with the practice {human(practice)} beside the share "
        "of the analysed repositories without the tool; k/n beside each bar; 95% Wilson "
        "intervals." + skipped,
        figure,
        height,
    )


def _band(
    x: Sequence[object], low: list[float | None], high: list[float | None], colour: str
) -> go.Scatter:
    """A shaded interval between `low` and `high` (one closed polygon, no legend entry)."""
    return go.Scatter(
        x=[*x, *x[::-1]],
        y=high + low[::-1],
        fill="toself",
        fillcolor=colour,
        opacity=0.18,
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
    )


def adoption_curve_chart(aggregates: Aggregates, limit: int = CURVE_DIMENSIONS) -> Chart:
    """Month by month, among the repositories that existed, the share whose default branch had
    each dimension; MLflow with its 95% Wilson band; below, how many existed."""
    rows = aggregates.evolution.tables["adoption_curve"]
    last = rows[rows["month"] == rows["month"].max()] if len(rows) else rows
    ranked = last.sort_values(["n_using", "dimension"], ascending=[False, True], kind="stable")
    names = ["mlflow", *[name for name in ranked["dimension"] if name != "mlflow"]][: limit + 1]
    n = int(rows["n_repos"].iloc[0]) if len(rows) else 0
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.05
    )
    present = [name for name in names if name in set(rows["dimension"])]
    for colour, name in zip(PALETTE, present, strict=False):
        part = rows[rows["dimension"] == name]
        months = list(part["month"])
        if name == "mlflow":
            figure.add_trace(
                _band(months, percent(part["ci_low"]), percent(part["ci_high"]), colour),
                row=1,
                col=1,
            )
        figure.add_trace(
            go.Scatter(
                x=months,
                y=percent(part["share"]),
                mode="lines",
                name=name_label(name),
                line={"color": colour, "width": 3.5 if name == "mlflow" else 2, "shape": "hv"},
                hovertext=[
                    f"{name_label(name)}, {month}: {k}/{e} existing repositories"
                    for month, k, e in zip(
                        part["month"], part["n_using"], part["n_existing"], strict=True
                    )
                ],
                hoverinfo="text",
            ),
            row=1,
            col=1,
        )
    existing = rows[rows["dimension"] == present[0]] if present else rows
    figure.add_trace(
        go.Scatter(
            x=list(existing["month"]),
            y=list(existing["n_existing"]),
            mode="lines",
            name="repositories existing",
            line={"color": GREY, "shape": "hv"},
            fill="tozeroy",
            showlegend=False,
            hovertext=[
                f"{month}: {e} existing"
                for month, e in zip(existing["month"], existing["n_existing"], strict=True)
            ],
            hoverinfo="text",
        ),
        row=2,
        col=1,
    )
    figure.update_xaxes(type="date")
    figure.update_xaxes(title_text="month", row=2, col=1)
    figure.update_yaxes(
        title_text="of those existing", range=[0, 105], ticksuffix="%", row=1, col=1
    )
    figure.update_yaxes(title_text="existing", rangemode="tozero", row=2, col=1)
    height = 620
    layout(
        figure,
        f"Adoption over time, among the repositories that existed ({n} walked histories)",
        height,
        showlegend=True,
        margin={"t": 110},
    )
    return Chart(
        "adoption-curve",
        "Adoption over time",
        "Each month, among the repositories with a walked history that existed by then "
        "(their first commit at or before the month; below, how many), the share whose "
        "default branch had MLflow (a call or a requirement) and each dimension: "
        f"share = n_using / n_existing. MLflow with its 95% Wilson band; the {limit} "
        "dimensions most present at the end.",
        figure,
        height,
        f"{n} repositories with a walked history",
    )


def survival_chart(aggregates: Aggregates, limit: int = CURVE_DIMENSIONS) -> Chart:
    """Kaplan-Meier: the share of repositories using each dimension by each day since their
    first commit; MLflow with its 95% band."""
    rows = aggregates.evolution.tables["adoption_survival"]
    final = rows.groupby("dimension", sort=False)["adopted"].last()
    ranked = sorted(final.index, key=lambda name: (name != "mlflow", -final[name], name))
    figure = go.Figure()
    for colour, name in zip(PALETTE, ranked[: limit + 1], strict=False):
        part = rows[rows["dimension"] == name]
        days = [float(day) for day in part["days"]]
        if name == "mlflow":
            figure.add_trace(_band(days, percent(part["ci_low"]), percent(part["ci_high"]), colour))
        figure.add_trace(
            go.Scatter(
                x=days,
                y=percent(part["adopted"]),
                mode="lines",
                name=name_label(name),
                line={"color": colour, "width": 3.5 if name == "mlflow" else 2, "shape": "hv"},
                hovertext=[
                    f"{name_label(name)}, day {day:.0f}: {100 * a:.1f}% ({r} at risk)"
                    for day, a, r in zip(days, part["adopted"], part["n_at_risk"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    n = int(rows["n_repos"].max()) if len(rows) else 0
    if not len(rows):
        empty_note(figure, "no walked history reaches its first commit")
    height = 540
    layout(
        figure,
        f"Time to adoption since the first commit (Kaplan-Meier, {n} repositories)",
        height,
        xaxis={"title": "days since the repository's first commit", "rangemode": "tozero"},
        yaxis={"title": "using it", "range": [0, 105], "ticksuffix": "%"},
        showlegend=True,
        margin={"t": 110},
    )
    return Chart(
        "adoption-survival",
        "Time to adoption",
        "Kaplan-Meier estimate of the share of repositories using MLflow and each dimension "
        "by each day since their first commit; repositories that never adopt it are censored "
        "at their head commit, walks capped short of the first commit are left out; MLflow "
        "with its 95% interval (Greenwood, log-log).",
        figure,
        height,
        f"{n} repositories with a walked history from their first commit",
    )


def evolution_charts(aggregates: Aggregates) -> tuple[Chart, ...]:
    """The ecosystem and history charts a study has inputs for, in report order."""
    inputs = aggregates.evolution.inputs
    charts: list[Chart] = []
    if inputs.has_ecosystem:
        charts += [ecosystem_chart(aggregates), ecosystem_coadoption_chart(aggregates)]
    if inputs.has_history and len(aggregates.evolution.tables["adoption_curve"]):
        charts.append(adoption_curve_chart(aggregates))
        if len(aggregates.evolution.tables["adoption_survival"]):
            charts.append(survival_chart(aggregates))
    return tuple(charts)
