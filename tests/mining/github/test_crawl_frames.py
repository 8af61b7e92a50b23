"""`mlflow-miner crawl --code-search` beside `--topic`, against the fake GitHub over 127.0.0.1.

The world: 120 repositories whose files code search indexes (some on the topic, some forks,
some archived), 5 on the topic with no code, one deleted after it was indexed and one renamed.
Ground truth comes from the world, not from the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from click.testing import Result

from analyzers.tables import read_csv_rows
from mining.cli.guard import ExitCode
from mining.github.crawl import checkpoint_path, provenance_path
from mining.github.search import CrawlSettings, CrawlStats, crawl
from tests.mining.github.fake_github import T0, FakeGitHub, FakeRepo, Recorded, make_code_world
from tests.mining.github.test_crawl import TOKEN, FakeClock, run_cli

TOPIC = "mlflow-project"
QUERY = '"import mlflow"'
CODE = f"code:{QUERY}"


def frames_world() -> list[FakeRepo]:
    world = make_code_world(repos=120, forks=5)
    world = [replace(r, topics=(TOPIC,)) if i % 12 == 0 else r for i, r in enumerate(world)]
    world += [FakeRepo(f"topical/only-{i}", T0 - 400 * 86400, (TOPIC,)) for i in range(5)]
    code = make_code_world(repos=1, forks=0)[0].code
    world.append(FakeRepo("gone/indexed", T0 - 100 * 86400, code=code, state="gone"))
    world.append(FakeRepo("old/renamed", T0 - 90 * 86400, code=code))
    world.append(FakeRepo("new/renamed", T0 - 90 * 86400, stars=77))
    return world


def in_code(repo: FakeRepo) -> bool:
    return not repo.fork and any("import mlflow" in f.content for f in repo.code)


def truth(world: list[FakeRepo], topics: bool = True) -> dict[str, str]:
    """full_name -> frames, as the world says."""
    expected: dict[str, list[str]] = {}
    for repo in world:
        name = "new/renamed" if repo.full_name == "old/renamed" else repo.full_name
        if topics and TOPIC in repo.topics and repo.state != "gone" and not repo.fork:
            expected.setdefault(name, []).append(f"topic:{TOPIC}")
        if in_code(repo):
            expected.setdefault(name, []).append(CODE)
    return {name: ";".join(frames) for name, frames in expected.items()}


@dataclass
class Run:
    world: list[FakeRepo]
    result: Result
    rows: dict[str, dict[str, str]]
    requests: list[Recorded]
    out: Path


def crawl_cli(tmp_path: Path, *args: str, world: list[FakeRepo] | None = None) -> Run:
    world = world if world is not None else frames_world()
    out = tmp_path / "dataset.csv"
    with FakeGitHub(world) as server:
        clock = FakeClock()
        server.clock = clock.time
        server.renamed = {"old/renamed": "new/renamed"}
        result = run_cli(server, out, *args, "--keep-checkpoint", clock=clock)
    rows = {r["full_name"]: r for r in read_csv_rows(out)} if out.exists() else {}
    return Run(world, result, rows, server.requests, out)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return crawl_cli(tmp_path_factory.mktemp("both"), "--topic", TOPIC, "--code-search", QUERY)


def test_every_repository_of_every_frame_once(both: Run) -> None:
    assert both.result.exit_code == 0, both.result.output
    assert {name: row["frames"] for name, row in both.rows.items()} == truth(both.world)
    frames = {row["frames"] for row in both.rows.values()}
    assert frames == {f"topic:{TOPIC}", CODE, f"topic:{TOPIC};{CODE}"}
    for row in both.rows.values():
        assert row["matched_topics"] == (TOPIC if "topic:" in row["frames"] else "")


def test_code_only_repositories_are_described_by_the_repository_endpoint(both: Run) -> None:
    by_name = {r.full_name: r for r in both.world}
    described = [r.path for r in both.requests if r.path.count("/") == 3]  # /repos/o/n
    code_only = [n for n, row in both.rows.items() if row["frames"] == CODE]
    # Each code-only repository once, the renamed one twice (its old name, then the new).
    assert sorted(described) == sorted(
        [f"/repos/{n}" for n in code_only if n != "new/renamed"]
        + ["/repos/old/renamed", "/repos/new/renamed"]
    )
    for name in set(code_only) - {"gone/indexed"}:
        row, repo = both.rows[name], by_name[name]
        assert (row["stars"], row["fork"], row["archived"]) == (
            str(repo.stars),
            str(repo.fork).lower(),
            str(repo.archived).lower(),
        ), name
        assert row["created_at"]
        assert row["pushed_at"]
        assert row["default_branch"] == "main"
    assert any(both.rows[n]["archived"] == "true" for n in code_only)
    assert both.rows["new/renamed"]["stars"] == "77"


def test_every_listed_repository_is_pinned(both: Run) -> None:
    by_name = {r.full_name: r for r in both.world}
    for name, row in both.rows.items():
        if name == "gone/indexed":
            continue
        assert (row["commit"], row["note"]) == (by_name[name].head, ""), name


def test_a_repository_deleted_since_it_was_indexed_keeps_its_row(both: Run) -> None:
    row = both.rows["gone/indexed"]
    assert (row["commit"], row["frames"]) == ("", CODE)
    assert row["note"] == "not described: HTTP 404: Not Found"


def test_the_summary_and_the_provenance_count_the_code_search(both: Run) -> None:
    searches = [r for r in both.requests if r.path == "/search/code"]
    stderr = both.result.stderr
    assert f"code search: 1 slices (0 splits), {len(searches)} requests" in stderr
    assert f"{CODE}: {sum(1 for v in truth(both.world).values() if CODE in v)} repositories" in (
        stderr
    )
    record = json.loads(provenance_path(both.out).read_text())
    assert record["code_search"][CODE]["repositories"] == sum(
        CODE in frames for frames in truth(both.world).values()
    )
    assert record["truncated_code_slices"] == []


def test_only_code_search_means_that_frame_alone(tmp_path: Path) -> None:
    run = crawl_cli(tmp_path, "--code-search", QUERY)
    assert run.result.exit_code == 0, run.result.output
    assert not [r for r in run.requests if r.path == "/search/repositories"]
    assert {name: row["frames"] for name, row in run.rows.items()} == truth(run.world, topics=False)


def test_a_truncated_code_slice_is_reported(tmp_path: Path) -> None:
    world = make_code_world(repos=30, same_size=1200)
    run = crawl_cli(tmp_path, "--code-search", QUERY, world=world)
    assert run.result.exit_code == 0, run.result.output
    assert "slice(s) truncated" in run.result.stderr
    assert "size:4096..4096 (over 1000 results: 1000 listed of 1200 reported)" in (
        run.result.stderr
    )
    record = json.loads(provenance_path(run.out).read_text())
    assert record["truncated_code_slices"] == [
        {
            "frame": CODE,
            "size": "size:4096..4096",
            "reason": "over-cap",
            "reported": 1200,
            "listed": 1000,
        }
    ]


def test_a_resumed_crawl_asks_nothing_it_already_knows(tmp_path: Path) -> None:
    world = frames_world()
    checkpoint = tmp_path / "ck.jsonl"
    with FakeGitHub(world) as server:
        server.renamed = {"old/renamed": "new/renamed"}

        def run(limit: int | None) -> list[dict[str, str]]:
            clock = FakeClock()
            server.clock = clock.time
            settings = CrawlSettings(
                topics=(TOPIC,),
                code_searches=(QUERY,),
                checkpoint=checkpoint,
                base_url=server.url,
                token=TOKEN,
                sleep=clock.sleep,
                clock=clock.time,
                progress=lambda message: None,
            )
            rows = []
            records = crawl(settings, CrawlStats())
            for record in records:
                rows.append(record.as_row())
                if limit is not None and len(rows) == limit:
                    records.close()
                    break
            return rows

        first = run(limit=10)
        before = len(server.requests)
        again = run(limit=None)
        later = server.requests[before:]
    assert again[:10] == first
    assert not [r for r in later if r.path.startswith("/search/")]
    assert not [r for r in later if r.path.count("/") == 3]  # no repository described again
    assert len(later) == len(again) - 10 - 1  # the remaining pins (gone/indexed needs none)


@pytest.mark.parametrize(
    ("args", "token", "code", "message"),
    [
        (["--code-search", "mlflow size:>10"], TOKEN, ExitCode.USAGE, "size: is reserved"),
        (["--code-search", "  "], TOKEN, ExitCode.USAGE, "empty code search"),
        (["--code-search", QUERY], None, ExitCode.ENVIRONMENT, "needs a token"),
    ],
    ids=["size-qualifier", "blank", "no-token"],
)
def test_bad_code_searches_fail_with_one_line(
    tmp_path: Path, args: list[str], token: str | None, code: int, message: str
) -> None:
    with FakeGitHub(make_code_world(repos=5)) as server:
        result = run_cli(server, tmp_path / "d.csv", *args, token=token)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not checkpoint_path(tmp_path / "d.csv").exists() or code == ExitCode.ENVIRONMENT
