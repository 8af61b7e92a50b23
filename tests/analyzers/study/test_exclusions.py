"""Repositories a study's filters removed: counted per filter, shown in the report."""

from __future__ import annotations

from pathlib import Path

from analyzers.study.aggregate import aggregate
from analyzers.study.load import load_study
from analyzers.study.report.counts import repositories
from tests.analyzers.study.study_fixture import copy_study

EXCLUDED = [
    "omega/fork-a,e1,excluded,exclude_forks: a fork",
    "omega/fork-b,e2,excluded,exclude_forks: a fork; exclude_archived: archived",
    "omega/small,e3,excluded,min_stars: 2 stars < 10",
    "omega/old,e4,excluded,exclude_archived: archived; min_stars: 0 stars < 10",
]


def test_each_filter_counts_what_it_removed(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    with open(study / "repos.csv", "a", encoding="utf-8") as handle:
        handle.write("\n".join(EXCLUDED) + "\n")
    agg = aggregate(load_study(study))
    table = agg.exclusions.set_index("filter")
    assert list(table.index) == ["exclude_forks", "exclude_archived", "min_stars"]
    assert table["n_repos"].to_dict() == {"exclude_forks": 2, "exclude_archived": 2, "min_stars": 2}
    assert table["n_only"].to_dict() == {"exclude_forks": 1, "exclude_archived": 0, "min_stars": 1}
    statuses = agg.repo_status.set_index("status")["n_repos"]
    assert statuses["excluded"] == 4
    assert agg.n_analysed == 8
    html = repositories(agg)
    assert "Excluded before analysis" in html
    assert "<td>exclude_forks</td>" in html


def test_no_exclusion_no_table(tmp_path: Path) -> None:
    agg = aggregate(load_study(copy_study(tmp_path)))
    assert agg.exclusions.empty
    assert "Excluded before analysis" not in repositories(agg)
