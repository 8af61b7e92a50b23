"""What happened to every repository and file of a study: statuses and failures."""

from __future__ import annotations

import pandas as pd

from analyzers.codebook import ANALYSED_STATUSES
from analyzers.schema import study_table
from analyzers.study.load import Study
from analyzers.study.stats import records, table_frame


def repo_status(study: Study) -> pd.DataFrame:
    """How many repositories ended in each status: analysed first, then failures by count."""
    counts = study.repos["status"].value_counts()
    total = len(study.repos)
    first = {status: index for index, status in enumerate(ANALYSED_STATUSES)}
    order = sorted(
        counts.items(),
        key=lambda item: (first.get(str(item[0]), len(first)), -item[1], str(item[0])),
    )
    return table_frame(
        "repo_status",
        (
            {"status": status, "n_repos": int(n), "n_total": total, "share": n / total}
            for status, n in order
        ),
    )


def failures(study: Study) -> pd.DataFrame:
    """Every repository that was not analysed, with why."""
    failed = study.repos[~study.repos["analysed"]]
    failed = failed.sort_values(["status", "repo"], kind="stable")
    return table_frame("failures", records(failed[list(study_table("failures").names)]))


def file_status(study: Study) -> pd.DataFrame:
    """Files by kind and status, over all rows of files.csv."""
    files = study.files
    if files.empty:
        return table_frame("file_status", [])
    grouped = (
        files.groupby(["kind", "status"], sort=True)
        .agg(n_files=("repo", "size"), n_repos=("repo", "nunique"))
        .reset_index()
    )
    return table_frame("file_status", records(grouped))


EXCLUDED = "excluded"
FILTERS = ("exclude_forks", "exclude_archived", "min_stars", "min_commits")


def exclusions(study: Study) -> pd.DataFrame:
    """How many repositories each study filter removed before analysis. An excluded
    repository's detail names every filter it fails (`exclude_forks: a fork; min_stars: ...`)."""
    excluded = study.repos.loc[study.repos["status"] == EXCLUDED, "detail"]
    failing = [
        {part.split(":", 1)[0].strip() for part in detail.split(";") if part.strip()}
        for detail in excluded
    ]
    known = [f for f in FILTERS if any(f in names for names in failing)]
    others = sorted({name for names in failing for name in names} - set(FILTERS))
    return table_frame(
        "exclusions",
        (
            {
                "filter": name,
                "n_repos": sum(name in names for names in failing),
                "n_only": sum(names == {name} for names in failing),
            }
            for name in (*known, *others)
        ),
    )
