"""Report sections of evolution and the ecosystem, for a study that has their inputs."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from analyzers.study.aggregate import Aggregates
from analyzers.study.populations import ANALYSED
from analyzers.study.report.html import DASH, ci, of_population, pct, share_cells, table
from analyzers.study.stats import records
from analyzers.study.survival import adopted_by, median_days

COADOPTION_PRACTICES = (
    "input_data",
    "log-input",
    "parameters",
    "metrics",
    "environment",
    "autolog",
    "uses-registry",
)
SURVIVAL_DAYS = (30, 365)


def _days_text(value: float) -> str:
    return DASH if value is None or math.isnan(value) else f"{value:.0f}"


def _ecosystem(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    tools = aggregates.evolution.tables["ecosystem_tools"]
    evidence = {
        tool: ", ".join(
            f"{r['evidence']} ({r['n_using']})" for r in records(part) if r["evidence"] != "any"
        )
        for tool, part in tools.groupby("tool", sort=False)
    }
    shares = table(
        ("tool", "repositories", "share", "95% CI", "evidence (repositories)"),
        (
            (
                r["tool"],
                *share_cells(r),
                evidence.get(r["tool"], ""),
            )
            for r in records(tools[tools["evidence"] == "any"])
        ),
        numeric=(1, 2, 3),
        caption="Evidence read from files, imports and workflow steps; nothing run ("
        + of_population(ANALYSED, aggregates.n_analysed)
        + ")",
    )
    coadoption = aggregates.evolution.tables["ecosystem_coadoption"]
    practices = [p for p in COADOPTION_PRACTICES if p in set(coadoption["practice"])]
    rows = []
    for tool, part in coadoption.groupby("tool", sort=False):
        cells = {r["practice"]: r for r in records(part)}
        rows.append(
            (
                tool,
                int(part["n_tool"].iloc[0]),
                *(
                    f"{pct(cells[p]['share_tool'])} vs {pct(cells[p]['share_other'])}"
                    for p in practices
                ),
            )
        )
    matrix = table(
        ("tool", "users", *practices),
        rows,
        numeric=range(1, 2 + len(practices)),
        caption="Share of each tool's users with an MLflow practice vs the share of "
        "the other analysed repositories (ecosystem_coadoption has the "
        "intervals)",
    )
    return figure("ecosystem") + shares + figure("ecosystem-coadoption") + matrix


def _history(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    inputs = aggregates.evolution.inputs
    summary = inputs.summary
    walked = summary[summary["status"] == "walked"]
    numbers = {
        column: int(pd.to_numeric(walked[column], errors="coerce").fillna(0).sum())
        for column in ("commits_analysed", "file_versions")
    }
    truncated = int((walked["truncated"].str.lower() == "true").sum())
    failed = len(summary) - len(walked)
    intro = (
        f"<p>The default-branch history of <strong>{len(walked)}</strong> analysed "
        f"repositories was walked ({numbers['commits_analysed']} commits, "
        f"{numbers['file_versions']} versions of scripts, notebooks and dependency files)"
        + (f"; {truncated} walks were capped (--max-commits, --since)" if truncated else "")
        + (f"; {failed} could not be walked (history_summary.csv says why)" if failed else "")
        + ".</p>"
    )
    survival = aggregates.evolution.tables["adoption_survival"]
    rows = []
    for dimension, curve in survival.groupby("dimension", sort=False):
        rows.append(
            (
                dimension,
                int(curve["n_repos"].iloc[0]),
                int(curve["n_events"].sum()),
                int(curve["n_censored"].sum()),
                *(pct(adopted_by(curve, days)) for days in SURVIVAL_DAYS),
                _days_text(median_days(curve)),
            )
        )
    delays = table(
        (
            "dimension",
            "repositories",
            "adopted",
            "never (censored)",
            *(f"by day {days}" for days in SURVIVAL_DAYS),
            "median days",
        ),
        rows,
        numeric=range(1, 5 + len(SURVIVAL_DAYS)),
        caption="Time from the first commit to the first commit with each dimension "
        "(Kaplan-Meier; repositories that never adopt it count as censored at their head; "
        "walks capped short of the first commit are left out)",
    )
    lifecycle = table(
        (
            "dimension",
            "adopted",
            "later removed",
            "share removed",
            "95% CI",
            "at head",
            "median days after MLflow",
        ),
        (
            (
                r["dimension"],
                f"{r['n_adopted']}/{r['n_repos']}",
                r["n_removed"],
                pct(r["share_removed"]),
                ci(r["ci_low"], r["ci_high"]),
                r["n_at_head"],
                _days_text(r["median_days_after_mlflow"]),
            )
            for r in records(aggregates.evolution.tables["dimension_lifecycle"])
        ),
        numeric=range(1, 7),
        caption="Did practices stay?",
    )
    return intro + figure("adoption-curve") + figure("adoption-survival") + delays + lifecycle


def evolution_sections(
    aggregates: Aggregates, figure: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """The ecosystem and history sections a study has inputs for: (id, title, HTML)."""
    inputs = aggregates.evolution.inputs
    sections = []
    if inputs.has_ecosystem:
        sections.append(("ecosystem", "MLOps tools beside MLflow", _ecosystem(aggregates, figure)))
    if inputs.has_history:
        sections.append(
            ("history", "When MLflow and each practice arrived", _history(aggregates, figure))
        )
    return sections
