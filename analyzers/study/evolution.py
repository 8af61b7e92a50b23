"""Evolution and ecosystem: the MLOps tools beside MLflow and, for a study walked with
--history, when practices arrived and whether they stayed.

Read from the study's optional tables: ecosystem.csv (analyzers.repo.ecosystem) and
history.csv, history_events.csv and history_summary.csv (mining.git.history). Every table
here exists in every study; without its input it is empty, and `EvolutionInputs` says so (the
report then leaves its section out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from analyzers.code.catalog import load_catalog
from analyzers.codebook import ASPECTS, ECOSYSTEM_TOOLS, HISTORY_MLFLOW, PRACTICES
from analyzers.study.load import EvolutionInputs, load_evolution_inputs
from analyzers.study.stats import in_group, records, share_interval, table_frame, with_share
from analyzers.study.survival import adoption_survival

if TYPE_CHECKING:
    from analyzers.study.aggregate import Aggregates


def ecosystem_tools(inputs: EvolutionInputs, n_analysed: int) -> pd.DataFrame:
    """Per tool: share of analysed repositories with any evidence of it, then with each kind
    of evidence, with Wilson intervals. Every tool is listed (with 0) once the study has an
    ecosystem.csv."""
    if not inputs.has_ecosystem:
        return table_frame("ecosystem_tools", [])
    eco = inputs.ecosystem
    tools = list(ECOSYSTEM_TOOLS) + sorted(set(eco["tool"]) - set(ECOSYSTEM_TOOLS))
    rows = []
    for tool in tools:
        mine = eco[eco["tool"] == tool]
        rows.append(
            with_share(
                {
                    "tool": tool,
                    "evidence": "any",
                    "n_using": mine["repo"].nunique(),
                    "n_analysed": n_analysed,
                }
            )
        )
        by_evidence = mine.groupby("evidence")["repo"].nunique()
        for evidence in sorted(by_evidence.index, key=lambda e: (-by_evidence[e], e)):
            rows.append(
                with_share(
                    {
                        "tool": tool,
                        "evidence": evidence,
                        "n_using": int(by_evidence[evidence]),
                        "n_analysed": n_analysed,
                    }
                )
            )
    return table_frame("ecosystem_tools", rows)


def practice_users(aggregates: Aggregates) -> dict[str, set[str]]:
    """For each practice of `PRACTICES`, the analysed repositories that have it."""
    matrix = aggregates.traceability["traceability_matrix"]
    users = {aspect: set(matrix.loc[matrix[aspect].astype(bool), "repo"]) for aspect in ASPECTS}
    calls = aggregates.study.calls
    users["log-input"] = set(calls.loc[in_group(calls["api"], "log-input"), "repo"])
    for measure in ("autolog", "set-tracking-uri", "uses-registry"):
        users[measure] = aggregates.measure_users[measure]
    return users


def ecosystem_coadoption(inputs: EvolutionInputs, aggregates: Aggregates) -> pd.DataFrame:
    """Tool x practice: the share of the tool's users with the practice beside the share of
    the other analysed repositories, each with a Wilson interval, and their difference."""
    if not inputs.has_ecosystem:
        return table_frame("ecosystem_coadoption", [])
    analysed = set(aggregates.study.analysed)
    users = practice_users(aggregates)
    by_tool: dict[str, set[str]] = {}
    for name, repo in zip(inputs.ecosystem["tool"], inputs.ecosystem["repo"], strict=True):
        by_tool.setdefault(name, set()).add(repo)
    tools = [tool for tool in ECOSYSTEM_TOOLS if by_tool.get(tool)]
    tools += sorted(set(by_tool) - set(ECOSYSTEM_TOOLS))
    rows = []
    for tool in tools:
        with_tool = by_tool[tool] & analysed
        others = analysed - with_tool
        for practice in PRACTICES:
            k_tool = len(with_tool & users[practice])
            k_other = len(others & users[practice])
            share_tool, low_tool, high_tool = share_interval(k_tool, len(with_tool))
            share_other, low_other, high_other = share_interval(k_other, len(others))
            rows.append(
                {
                    "tool": tool,
                    "practice": practice,
                    "n_tool": len(with_tool),
                    "k_tool": k_tool,
                    "share_tool": share_tool,
                    "ci_low_tool": low_tool,
                    "ci_high_tool": high_tool,
                    "n_other": len(others),
                    "k_other": k_other,
                    "share_other": share_other,
                    "ci_low_other": low_other,
                    "ci_high_other": high_other,
                    "difference": share_tool - share_other,
                }
            )
    return table_frame("ecosystem_coadoption", rows)


def _month(date: str) -> str:
    return date[:7]


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _history_dimensions(history: pd.DataFrame) -> list[str]:
    known = [HISTORY_MLFLOW, *load_catalog().dimensions]
    seen = set(history["dimension"])
    return [name for name in known if name in seen] + sorted(seen - set(known))


def adoption_curve(inputs: EvolutionInputs) -> pd.DataFrame:
    """Month by month, among the repositories with a walked history that existed by the month's
    end, the share whose default branch had each dimension then."""
    summary = inputs.summary[inputs.summary["status"] == "walked"]
    events = inputs.events
    if summary.empty or events.empty:
        return table_frame("adoption_curve", [])
    n_repos = len(summary)
    first = _month(min(events["event_date"]))
    last = max((_month(date) for date in summary["head_date"] if date), default=first)
    months = _months(first, max(first, last))
    # A repository exists from its oldest walked commit, or from its first event if a commit
    # date out of order puts one earlier: no month counts a user that does not exist yet.
    starts = {
        repo: _month(date)
        for repo, date in zip(summary["repo"], summary["oldest_date"], strict=True)
        if date
    }
    for repo, date in zip(events["repo"], events["event_date"], strict=True):
        if date:
            starts[repo] = min(starts.get(repo, _month(date)), _month(date))
    ordered = events.sort_values(["event_date"], kind="stable")
    rows = []
    for dimension in _history_dimensions(inputs.history):
        mine = ordered[ordered["dimension"] == dimension]
        timeline: dict[str, list[tuple[str, bool]]] = {}
        for event in records(mine):
            timeline.setdefault(event["repo"], []).append(
                (_month(event["event_date"]), event["event"] == "added")
            )
        for month in months:
            using = 0
            for changes in timeline.values():
                state = False
                for when, present in changes:
                    if when > month:
                        break
                    state = present
                using += state
            rows.append(
                with_share(
                    {
                        "month": month,
                        "dimension": dimension,
                        "n_using": using,
                        "n_existing": sum(start <= month for start in starts.values()),
                        "n_repos": n_repos,
                    },
                    n="n_existing",
                )
            )
    return table_frame("adoption_curve", rows)


def _days(later: str, earlier: str) -> float:
    if not later or not earlier:
        return math.nan
    stamps = pd.to_datetime([later, earlier], utc=True, format="ISO8601", errors="coerce")
    if stamps.isna().any():
        return math.nan
    return round((stamps[0] - stamps[1]).total_seconds() / 86400, 3)


def time_to_adoption(inputs: EvolutionInputs) -> pd.DataFrame:
    """Per repository with a walked history: from creation, and from its first commit, to the
    first commit with MLflow evidence."""
    summary = inputs.summary[inputs.summary["status"] == "walked"].sort_values("repo")
    rows = []
    for row in records(summary):
        created = inputs.created_at.get(row["repo"], "")
        rows.append(
            {
                "repo": row["repo"],
                "created_at": created,
                "oldest_date": row["oldest_date"],
                "first_mlflow_commit": row["first_mlflow_commit"],
                "first_mlflow_date": row["first_mlflow_date"],
                "days_from_creation": _days(row["first_mlflow_date"], created),
                "days_from_first_commit": _days(row["first_mlflow_date"], row["oldest_date"]),
                "truncated": str(row["truncated"]).lower() == "true",
            }
        )
    return table_frame("time_to_adoption", rows)


def dimension_lifecycle(inputs: EvolutionInputs) -> pd.DataFrame:
    """Per dimension: in how many walked histories it appeared, was later removed, and is at
    the head; how long after MLflow it came."""
    summary = inputs.summary[inputs.summary["status"] == "walked"]
    history = inputs.history
    if summary.empty:
        return table_frame("dimension_lifecycle", [])
    first_mlflow = dict(zip(summary["repo"], summary["first_mlflow_date"], strict=True))
    rows = []
    for dimension in _history_dimensions(history):
        mine = history[history["dimension"] == dimension]
        adopted = mine["repo"].nunique()
        removed = mine.loc[mine["removed_commit"] != "", "repo"].nunique()
        at_head = mine.loc[mine["present_at_head"].str.lower() == "true", "repo"].nunique()
        delays = [
            _days(date, first_mlflow.get(repo, ""))
            for repo, date in zip(mine["repo"], mine["first_date"], strict=True)
        ]
        delays = [delay for delay in delays if not math.isnan(delay)]
        share, low, high = share_interval(removed, adopted)
        rows.append(
            {
                "dimension": dimension,
                "n_repos": len(summary),
                "n_adopted": adopted,
                "n_removed": removed,
                "n_at_head": at_head,
                "share_removed": share,
                "ci_low": low,
                "ci_high": high,
                "median_days_after_mlflow": float(pd.Series(delays).median())
                if delays
                else math.nan,
            }
        )
    return table_frame("dimension_lifecycle", rows)


@dataclass(frozen=True)
class Evolution:
    """The evolution tables (`study_tables("evolution")`) and the inputs they came from."""

    inputs: EvolutionInputs
    tables: dict[str, pd.DataFrame]


def evolution_tables(aggregates: Aggregates) -> Evolution:
    """Every evolution table of a study (empty ones where an input is absent)."""
    inputs = load_evolution_inputs(aggregates.study)
    return Evolution(
        inputs,
        {
            "ecosystem_tools": ecosystem_tools(inputs, aggregates.n_analysed),
            "ecosystem_coadoption": ecosystem_coadoption(inputs, aggregates),
            "adoption_curve": adoption_curve(inputs),
            "time_to_adoption": time_to_adoption(inputs),
            "adoption_survival": adoption_survival(inputs, _history_dimensions(inputs.history)),
            "dimension_lifecycle": dimension_lifecycle(inputs),
        },
    )
