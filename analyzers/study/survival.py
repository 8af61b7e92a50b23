"""Time to adoption as survival: how long after its first commit a repository first uses each
practice, with the repositories that never adopt it counted as censored at their head commit.

The Kaplan-Meier estimator and Greenwood's variance are written out here (some thirty lines)
rather than taken from a survival library: the study needs the estimate and its interval for a
handful of curves, and a dependency such as lifelines would bring its own numerical stack for
that. The interval is the log-log (exponential Greenwood) one, which stays inside [0, 1]; see
Kalbfleisch & Prentice, The Statistical Analysis of Failure Time Data (2002), section 1.4.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analyzers.study.load import EvolutionInputs
from analyzers.study.stats import Z95, table_frame


@dataclass(frozen=True, slots=True)
class Step:
    """The Kaplan-Meier estimate just after `time`."""

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float
    low: float
    high: float


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> list[Step]:
    """The Kaplan-Meier survival curve of `durations` (`observed`: the event happened then;
    otherwise the subject was censored then), one step per distinct time, starting at 0."""
    if len(durations) != len(observed):
        raise ValueError("durations and observed differ in length")
    if any(duration < 0 for duration in durations):
        raise ValueError("durations must not be negative")
    times = sorted(set(durations) | {0.0})
    survival, greenwood = 1.0, 0.0
    steps = []
    for time in times:
        at_risk = sum(1 for duration in durations if duration >= time)
        events = sum(1 for d, seen in zip(durations, observed, strict=True) if d == time and seen)
        censored = sum(
            1 for d, seen in zip(durations, observed, strict=True) if d == time and not seen
        )
        if events:
            survival *= 1 - events / at_risk
            if at_risk > events:
                greenwood += events / (at_risk * (at_risk - events))
        low, high = _log_log_interval(survival, greenwood)
        steps.append(Step(time, at_risk, events, censored, survival, low, high))
    return steps


def _log_log_interval(survival: float, greenwood: float, z: float = Z95) -> tuple[float, float]:
    if survival <= 0.0 or survival >= 1.0 or greenwood == 0.0:
        return survival, survival
    spread = z * math.sqrt(greenwood) / abs(math.log(survival))
    return survival ** math.exp(spread), survival ** math.exp(-spread)


def _days(later: str, earlier: str) -> float | None:
    stamps = pd.to_datetime([later, earlier], utc=True, format="ISO8601", errors="coerce")
    if stamps.isna().any():
        return None
    # Commit dates need not increase along the history: never before the first commit.
    return max(0.0, round((stamps[0] - stamps[1]).total_seconds() / 86400, 3))


def adoption_survival(inputs: EvolutionInputs, dimensions: Sequence[str]) -> pd.DataFrame:
    """Per dimension, the Kaplan-Meier estimate of the share of repositories using it by each
    day since their first commit. Only walks that reached the first commit count: a capped walk
    does not know when its repository started."""
    summary = inputs.summary
    walked = summary[(summary["status"] == "walked") & (summary["truncated"].str.lower() != "true")]
    origin = dict(zip(walked["repo"], walked["oldest_date"], strict=True))
    head = dict(zip(walked["repo"], walked["head_date"], strict=True))
    history = inputs.history[inputs.history["repo"].isin(set(origin))]
    rows = []
    for dimension in dimensions:
        first = dict(
            history.loc[history["dimension"] == dimension, ["repo", "first_date"]].to_numpy()
        )
        durations, observed = [], []
        for repo in sorted(origin):
            seen = repo in first
            days = _days(first[repo] if seen else head[repo], origin[repo])
            if days is not None:
                durations.append(days)
                observed.append(seen)
        if not any(observed):
            continue
        rows += [
            {
                "dimension": dimension,
                "days": step.time,
                "n_at_risk": step.at_risk,
                "n_events": step.events,
                "n_censored": step.censored,
                "adopted": round(1 - step.survival, 12),  # no float noise in the export
                "ci_low": round(1 - step.high, 12),
                "ci_high": round(1 - step.low, 12),
                "n_repos": len(durations),
            }
            for step in kaplan_meier(durations, observed)
        ]
    return table_frame("adoption_survival", rows)


def adopted_by(curve: pd.DataFrame, days: float) -> float:
    """The estimate of one dimension's curve (`adoption_survival` rows) at `days`."""
    before = curve[curve["days"] <= days]
    return float(before["adopted"].iloc[-1]) if len(before) else 0.0


def median_days(curve: pd.DataFrame) -> float:
    """The first day by which half the repositories use it; NaN if the curve never gets there."""
    reached = curve[curve["adopted"] >= 0.5]
    return float(reached["days"].iloc[0]) if len(reached) else math.nan
