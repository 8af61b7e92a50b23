"""Charts of evolution and the ecosystem, for a study that has their inputs: the MLOps tools
beside MLflow, co-adoption with MLflow practices, adoption over time, time to adoption."""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.labels import human
from analyzers.study.charts.theme import (
    BLUE,
    MIN_N,
    ORANGE,
    PALETTE,
    ROW,
    Chart,
    empty_note,
    grouped_layout,
    label,
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
        "Share of analysed repositories with evidence of each tool (files, imports, "
        "workflow steps; nothing run); error bars: 95% Wilson score intervals; k/n beside "
        "each bar.",
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


def adoption_curve_chart(aggregates: Aggregates, limit: int = CURVE_DIMENSIONS) -> Chart:
    """Month by month, the share of repositories whose default branch had each dimension."""
    rows = aggregates.evolution.tables["adoption_curve"]
    last = rows[rows["month"] == rows["month"].max()] if len(rows) else rows
    ranked = last.sort_values(["n_using", "dimension"], ascending=[False, True], kind="stable")
    names = ["mlflow", *[name for name in ranked["dimension"] if name != "mlflow"]][: limit + 1]
    n = int(rows["n_repos"].iloc[0]) if len(rows) else 0
    figure = go.Figure()
    for colour, name in zip(
        PALETTE, [name for name in names if name in set(rows["dimension"])], strict=False
    ):
        part = rows[rows["dimension"] == name]
        figure.add_trace(
            go.Scatter(
                x=list(part["month"]),
                y=percent(part["share"]),
                mode="lines",
                name=name_label(name),
                line={"color": colour, "width": 3.5 if name == "mlflow" else 2, "shape": "hv"},
                hovertext=[
                    f"{name_label(name)}, {month}: {k}/{n}"
                    for month, k in zip(part["month"], part["n_using"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    height = 540
    layout(
        figure,
        f"Adoption over time ({n} repositories with a walked history)",
        height,
        xaxis={"title": "month", "type": "date"},
        yaxis={"title": f"repositories with it (of {n})", "range": [0, 105], "ticksuffix": "%"},
        showlegend=True,
        margin={"t": 110},
    )
    return Chart(
        "adoption-curve",
        "Adoption over time",
        "Share of the analysed repositories whose history was walked whose default "
        "branch had MLflow (a call or a requirement) and each dimension at the end of "
        f"each month: mlflow and the {limit} dimensions most present at the end.",
        figure,
        height,
        f"{n} repositories with a walked history",
    )


def time_to_adoption_chart(aggregates: Aggregates) -> Chart:
    """Days from repository creation, and from the first commit, to the first MLflow commit."""
    rows = aggregates.evolution.tables["time_to_adoption"]
    figure = go.Figure()
    for column, since, colour in (
        ("days_from_creation", "from repository creation", BLUE),
        ("days_from_first_commit", "from the first commit", ORANGE),
    ):
        part = rows[rows[column].notna()]
        figure.add_trace(
            go.Box(
                x=list(part[column]),
                name=f"{since}<br>(n={len(part)})",
                orientation="h",
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker_color=colour,
                boxmean=False,
                hovertext=[
                    f"{label(repo)}: {days:.0f} days"
                    for repo, days in zip(part["repo"], part[column], strict=True)
                ],
                hoverinfo="text",
            )
        )
    height = 380
    layout(
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
        "first commit to its first commit with MLflow (n beside each).",
        figure,
        height,
        f"{len(rows)} repositories with a walked history and MLflow",
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
