"""A whole sampling study: a topic and a code search over the fake GitHub, real git
repositories cloned over file://, filters, purposes, clusters and populations.

The world (sampling_world.py) holds template copies, a fork, an archived demo, a tutorial, a
course, a library and a near-copy below the threshold; `EXPECTED` says what the study must
conclude about each. Only the network is local: the crawl, clone, scan, merge, report and
export are the real ones, run through `mlflow-miner study`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from analyzers.tables import read_csv_rows
from mining.cli import main
from tests.mining.github.fake_github import FakeGitHub, FakeRepo, Recorded
from tests.mining.study.sampling_world import (
    CODE,
    EXPECTED,
    QUERY,
    TOPIC,
    build_world,
    study_toml,
)

TOKEN = "ghp_SamplingStudyT0kenNeverWritten0123456"


@dataclass
class Server:
    world: list[FakeRepo]
    url: str
    requests: list[Recorded]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    world = build_world(tmp_path_factory.mktemp("origins"))
    with FakeGitHub(world) as fake:
        fake.code_search_limit = 1000  # the study waits in real time: no minute to wait here
        yield Server(world, fake.url, fake.requests)


@dataclass
class Run:
    result: Result
    folder: Path
    output: Path

    def table(self, name: str) -> dict[str, dict[str, str]]:
        return {row["repo"]: row for row in read_csv_rows(self.output / name)}

    def export(self, name: str) -> list[dict[str, str]]:
        return list(read_csv_rows(self.output / "export" / name))


def study(server: Server, folder: Path, name: str, **settings: object) -> Run:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(study_toml(name, settings), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["study", str(path), "--no-static"],
        env={"GITHUB_API_URL": server.url, "GITHUB_TOKEN": TOKEN},
    )
    return Run(result, folder, folder / "results" / name)


@pytest.fixture(scope="module")
def default(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Run:
    run = study(server, tmp_path_factory.mktemp("default"), "sampling")
    assert run.result.exit_code == 0, run.result.output[-3000:]
    return run


def test_the_dataset_holds_exactly_what_the_server_holds(default: Run, server: Server) -> None:
    rows = {r["full_name"]: r for r in read_csv_rows(default.folder / "sampling.csv")}
    assert {name: row["frames"] for name, row in rows.items()} == {
        name: expected.frames for name, expected in EXPECTED.items()
    }
    by_name = {repo.full_name: repo for repo in server.world}
    for name, row in rows.items():
        repo = by_name[name]
        assert (row["fork"], row["archived"], row["stars"]) == (
            str(repo.fork).lower(),
            str(repo.archived).lower(),
            str(repo.stars),
        ), name
        assert row["created_at"]
        assert row["pushed_at"]
        assert row["commit"] == repo.head
    crawl = json.loads((default.output / "study.json").read_text())["crawl"]
    assert crawl["code_search"][CODE]["repositories"] == sum(
        CODE in e.frames for e in EXPECTED.values()
    )
    assert crawl["truncated_code_slices"] == []
    assert crawl["topics"] == [TOPIC]


def test_statuses_purposes_and_clusters(default: Run) -> None:
    repos = default.table("repos.csv")
    assert set(repos) == set(EXPECTED)
    for name, expected in EXPECTED.items():
        row = repos[name]
        size = "" if expected.cluster_size is None else str(expected.cluster_size)
        assert (row["status"], row["purpose"], row["duplicate_of"], row["cluster_size"]) == (
            expected.status,
            expected.purpose,
            expected.duplicate_of,
            size,
        ), name
    assert repos["dave/churn-fork"]["detail"] == "exclude_forks: a fork"
    assert repos["learner/mlflow-tutorial"]["purpose_rule"] == "tutorial-words"


def test_every_exclusion_is_counted(default: Run) -> None:
    assert default.export("exclusions.csv") == [
        {"filter": "exclude_forks", "n_repos": "1", "n_only": "1"}
    ]
    statuses = {r["status"]: r["n_repos"] for r in default.export("repo_status.csv")}
    assert statuses == {"analyzed": "10", "excluded": "1"}


def test_headline_figures_per_population(default: Run) -> None:
    rows = default.export("headline.csv")
    denominators = {r["population"]: r["denominator"] for r in rows}
    # 10 analysed; 3 template copies fold into their representative; tutorial, course and
    # the archived demo (an example) leave the non-tutorial population; the two repositories
    # with no MLflow call, integration or requirement leave mlflow-evidence.
    assert denominators == {
        "analysed": "10",
        "mlflow-evidence": "8",
        "deduplicated": "7",
        "non-tutorial": "7",
    }
    assert {r["measure"] for r in rows} >= {"log-params", "log-metrics", "any-logging"}
    assert len(rows) == 4 * len({r["measure"] for r in rows})
    html = (default.output / "report" / "index.html").read_text(encoding="utf-8")
    assert "Among deduplicated repositories the shares move by at most" in html
    assert "Excluded before analysis" in html


def test_kept_forks_cluster_and_other_filters_count(server: Server, tmp_path: Path) -> None:
    run = study(
        server,
        tmp_path,
        "filtered",
        exclude_forks=False,
        exclude_archived=True,
        min_stars=1,
        duplicate_threshold=0.6,
    )
    assert run.result.exit_code == 0, run.result.output[-3000:]
    repos = run.table("repos.csv")
    # The fork is kept and joins the template's cluster; at 0.6 the remix (4 of 6) joins too.
    assert repos["dave/churn-fork"]["duplicate_of"] == "origin/churn-service"
    assert repos["erin/churn-remix"]["duplicate_of"] == "origin/churn-service"
    assert repos["origin/churn-service"]["cluster_size"] == "5"  # bob has 0 stars: excluded
    assert repos["old/archived-demo"]["detail"] == "exclude_archived: archived"
    assert repos["bob/churn-copy"]["detail"] == "min_stars: 0 stars < 1"
    excluded = {r["filter"]: (r["n_repos"], r["n_only"]) for r in run.export("exclusions.csv")}
    assert excluded == {"exclude_archived": ("1", "1"), "min_stars": ("2", "2")}


def test_min_commits_is_counted_in_the_clone(server: Server, tmp_path: Path) -> None:
    run = study(server, tmp_path, "history", min_commits=2)
    assert run.result.exit_code == 0, run.result.output[-3000:]
    repos = run.table("repos.csv")
    analysed = {name for name, row in repos.items() if row["status"] == "analyzed"}
    assert analysed == {"carol/churn-plus"}  # the only one with two commits
    assert repos["alice/churn-copy"]["detail"] == "min_commits: 1 commits < 2"
    assert repos["dave/churn-fork"]["detail"] == "exclude_forks: a fork"
    assert {r["filter"]: r["n_repos"] for r in run.export("exclusions.csv")} == {
        "exclude_forks": "1",
        "min_commits": "9",
    }


def test_the_study_file_takes_the_code_search_alone(server: Server, tmp_path: Path) -> None:
    folder = tmp_path / "code-only"
    folder.mkdir()
    path = folder / "code.toml"
    text = study_toml("code").replace(f'topics = ["{TOPIC}"]\n', "")
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["study", str(path), "--no-static"],
        env={"GITHUB_API_URL": server.url, "GITHUB_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output[-3000:]
    rows = {r["full_name"]: r["frames"] for r in read_csv_rows(folder / "code.csv")}
    assert set(rows.values()) == {CODE}
    assert "topic/only-topic" not in rows
    assert QUERY in (folder / "code.toml").read_text()
