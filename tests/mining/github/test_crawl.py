"""`mlflow-miner crawl` against a real HTTP server that answers like GitHub (fake_github.py).

Only time is faked: the crawler gets a recorded `sleep` and a clock that `sleep` advances.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from analyzers.tables import read_csv_rows
from mining.cli import main
from mining.github.crawl import checkpoint_path, provenance_path
from mining.github.search import (
    COLUMNS,
    DEFAULT_TOPICS,
    CrawlError,
    CrawlSettings,
    CrawlStats,
    RepoRecord,
    TimeRange,
    crawl,
)
from tests.mining.github.fake_github import T0, FakeGitHub, FakeRepo, Fault, Recorded, make_world

TOKEN = "ghp_S3cretT0kenThatMustNeverLeak0123456789"
REQUIRED = (
    "full_name",
    "html_url",
    "clone_url",
    "default_branch",
    "commit",
    "stars",
    "forks",
    "size_kb",
    "language",
    "topics",
    "license",
    "created_at",
    "pushed_at",
    "archived",
    "fork",
    "description",
    "crawled_at",
    "matched_topics",
)


@dataclass
class FakeClock:
    """`time` and `sleep` for the crawler: sleeping is recorded and moves the clock at once."""

    now: float = float(T0)
    sleeps: list[float] = field(default_factory=list)
    events: list[tuple[str, float]] = field(default_factory=list)
    on_sleep: Callable[[float], None] | None = None

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        self.sleeps.append(seconds)
        self.events.append(("sleep", seconds))
        self.now += seconds


def expected(
    world: list[FakeRepo],
    topics: tuple[str, ...] = DEFAULT_TOPICS,
    keep: Callable[[FakeRepo], bool] = lambda repo: True,
    until: float = T0,
) -> dict[str, str]:
    """Ground truth: full_name -> matched_topics, computed from the world, not the server."""
    return {
        repo.full_name: ";".join(sorted(t for t in topics if t in repo.topics))
        for repo in world
        if any(t in repo.topics for t in topics)
        and not repo.fork
        and repo.created <= until
        and keep(repo)
    }


def run_cli(
    server: FakeGitHub,
    out: Path,
    *args: str,
    token: str | None = TOKEN,
    clock: FakeClock | None = None,
) -> Result:
    clock = clock or FakeClock()
    return CliRunner().invoke(
        main,
        ["crawl", "--out", str(out), *args],
        env={"GITHUB_API_URL": server.url, "GITHUB_TOKEN": token},
        obj={"sleep": clock.sleep, "clock": clock.time},
    )


def run_api(
    server: FakeGitHub, clock: FakeClock | None = None, **options: object
) -> tuple[list[RepoRecord], CrawlStats, list[str]]:
    clock = clock or FakeClock()
    stats, said = CrawlStats(), []
    settings = CrawlSettings(
        base_url=server.url,
        token=TOKEN,
        sleep=clock.sleep,
        clock=clock.time,
        progress=said.append,
        **options,
    )  # type: ignore[arg-type]
    return list(crawl(settings, stats)), stats, said


def small_world() -> list[FakeRepo]:
    return make_world(project=150, projects=40, both=15, other=30, seed=3)


# --- slicing a topic with far more than 1000 repositories ----------------------------------------


@dataclass
class BigRun:
    world: list[FakeRepo]
    requests: list[Recorded]
    result: Result
    rows: list[dict[str, str]]
    checkpoint: list[dict[str, object]]
    out: Path


@pytest.fixture(scope="module")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> BigRun:
    """One crawl of 2500 + 300 repositories through the CLI, token set, checkpoint kept."""
    world = make_world()
    out = tmp_path_factory.mktemp("big") / "datasets" / "mlflow.csv"
    with FakeGitHub(world) as server:
        result = run_cli(server, out, "--keep-checkpoint")
    lines = checkpoint_path(out).read_text(encoding="utf-8").splitlines()
    return BigRun(
        world,
        server.requests,
        result,
        list(read_csv_rows(out)),
        [json.loads(line) for line in lines],
        out,
    )


def test_slicing_lists_every_repository_exactly_once(big_run: BigRun) -> None:
    assert big_run.result.exit_code == 0, big_run.result.output
    truth = expected(big_run.world)
    assert sum("mlflow-project" in r.topics for r in big_run.world) > 2 * 1000
    assert {row["full_name"]: row["matched_topics"] for row in big_run.rows} == truth
    # Exactly once: the slices of each topic never overlap, and no page past 1000 was asked for.
    slices = [entry for entry in big_run.checkpoint if entry["kind"] == "slice"]
    for topic in DEFAULT_TOPICS:
        names = [
            repo["full_name"]
            for entry in slices
            if entry["topic"] == topic
            for repo in entry["repos"]
        ]  # type: ignore[attr-defined]
        assert len(names) == len(set(names)) == len(expected(big_run.world, (topic,)))
    searches = [r for r in big_run.requests if r.path == "/search/repositories"]
    assert all(r.status == 200 for r in searches)
    assert all(len(entry["repos"]) <= 1000 for entry in slices)  # type: ignore[arg-type]
    # The slices tile [since, crawl start] without gap or overlap, per topic.
    for topic in DEFAULT_TOPICS:
        spans = sorted((e["start"], e["end"]) for e in slices if e["topic"] == topic)
        assert spans[0][0] == int(datetime.fromisoformat("2007-10-01T00:00:00+00:00").timestamp())
        assert spans[-1][1] == T0
        assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(spans))


def test_slice_and_request_counts_are_reported(big_run: BigRun) -> None:
    stderr = big_run.result.stderr
    searches = sum(r.path == "/search/repositories" for r in big_run.requests)
    pins = sum(r.path.startswith("/repos/") for r in big_run.requests)
    slices = sum(entry["kind"] == "slice" for entry in big_run.checkpoint)
    splits = sum(entry["kind"] == "split" for entry in big_run.checkpoint)
    assert pins == len(big_run.rows)  # one request per repository for its pin
    assert slices > 2
    assert splits >= 2
    assert (
        f"{slices} slices ({splits} splits); {len(big_run.requests)} requests: "
        f"{searches} search, {pins} pin, 0 retries" in stderr
    )
    assert f"wrote {len(big_run.rows)} repositories" in stderr
    assert "mlflow-project: 2503 listed of 2503" in stderr
    # Listing 2800 repositories took this many searches (recorded for the report).
    assert searches <= 40, searches


def test_rows_are_deduplicated_sorted_and_complete(big_run: BigRun) -> None:
    names = [row["full_name"] for row in big_run.rows]
    assert names == sorted(set(names))
    assert tuple(COLUMNS[: len(REQUIRED)]) == REQUIRED
    assert COLUMNS[len(REQUIRED) :] == ("note", "frames")
    assert tuple(big_run.rows[0]) == COLUMNS
    both = [
        row for row in big_run.rows if row["matched_topics"] == "mlflow-project;mlflow-projects"
    ]
    assert len(both) == 120
    by_name = {repo.full_name: repo for repo in big_run.world}
    for row in big_run.rows:
        repo = by_name[row["full_name"]]
        assert row["topics"] == ";".join(sorted(repo.topics))
        assert row["crawled_at"] == "2025-06-15T12:00:00Z"
        assert row["stars"] == str(repo.stars)
        assert row["default_branch"] == repo.default_branch
        assert row["frames"] == ";".join(f"topic:{t}" for t in row["matched_topics"].split(";"))
        if repo.state == "ok":
            assert (row["commit"], row["note"]) == (repo.head, "")
    assert "acme/tomorrow" not in names  # created after the crawl started
    assert "acme/a-fork" not in names  # GitHub leaves forks out unless asked
    assert next(r for r in big_run.rows if r["full_name"] == "acme/slashy")["commit"]


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("acme/empty-repo", "HTTP 404: Branch not found"),
        ("acme/blocked", "HTTP 451: Repository access blocked"),
        ("acme/gone", "HTTP 404: Not Found"),
    ],
)
def test_unreadable_heads_keep_their_row_with_a_note(big_run: BigRun, name: str, note: str) -> None:
    row = next(row for row in big_run.rows if row["full_name"] == name)
    assert (row["commit"], row["note"]) == ("", note)
    assert f"{name}: no commit pinned ({note})" in big_run.result.stderr


def test_formula_cells_are_neutralised(big_run: BigRun) -> None:
    """In the file the cell cannot run; read back through our reader it is the original."""
    row = next(row for row in big_run.rows if row["full_name"] == "acme/formula")
    assert row["description"] == '=HYPERLINK("http://evil.invalid","click")'
    raw = big_run.out.read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in raw
    assert ",=HYPERLINK(" not in raw


def test_token_reaches_the_server_and_nothing_else(big_run: BigRun, tmp_path: Path) -> None:
    assert {r.headers.get("Authorization") for r in big_run.requests} == {f"token {TOKEN}"}
    assert TOKEN not in big_run.result.stdout + big_run.result.stderr
    assert TOKEN not in json.dumps(big_run.checkpoint)
    assert TOKEN not in json.dumps(big_run.rows)


# --- qualifiers, topics, anonymous mode ----------------------------------------------------------


@pytest.mark.parametrize(
    ("queries", "keep"),
    [
        (["language:python"], lambda r: r.language == "Python"),
        (["stars:>=5"], lambda r: r.stars >= 5),
        (
            ["pushed:>2023-01-01"],
            lambda r: r.pushed >= datetime.fromisoformat("2023-01-02T00:00:00+00:00").timestamp(),
        ),
        (["language:python stars:>=5"], lambda r: r.language == "Python" and r.stars >= 5),
        (["language:python", "stars:>=5"], lambda r: r.language == "Python" and r.stars >= 5),
        (["archived:false", "fork:true"], lambda r: not r.archived),
    ],
)
def test_qualifiers_pass_through(
    tmp_path: Path, queries: list[str], keep: Callable[[FakeRepo], bool]
) -> None:
    world = small_world()
    args = [arg for query in queries for arg in ("--query", query)]
    with FakeGitHub(world) as server:
        result = run_cli(server, tmp_path / "q.csv", *args)
    assert result.exit_code == 0, result.output
    truth = expected(world, keep=keep)
    if "fork:true" in queries:
        truth.update(
            {
                r.full_name: "mlflow-project"
                for r in world
                if r.fork and not r.archived and r.created <= T0
            }
        )
    assert {row["full_name"] for row in read_csv_rows(tmp_path / "q.csv")} == set(truth)
    joined = " ".join(queries)
    searched = [r.query["q"] for r in server.requests if r.path == "/search/repositories"]
    assert searched
    assert all(q.endswith(" " + joined) for q in searched)


def test_topics_are_chosen_and_deduplicated(tmp_path: Path) -> None:
    world = small_world()
    with FakeGitHub(world) as server:
        result = run_cli(
            server, tmp_path / "t.csv", "--topic", "mlflow-projects", "--topic", "MLflow-Projects"
        )
    assert result.exit_code == 0, result.output
    rows = list(read_csv_rows(tmp_path / "t.csv"))
    assert {row["full_name"] for row in rows} == set(expected(world, ("mlflow-projects",)))
    assert {row["matched_topics"] for row in rows} == {"mlflow-projects"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--query", "created:>2020-01-01"], "created: is reserved"),
        (["--topic", "not a topic"], "is not a GitHub topic"),
        (["--query", "bogus:qualifier"], "HTTP 422"),
        (["--since", "2030-01-01"], "is not before the crawl's start"),
    ],
)
def test_bad_requests_fail_cleanly(tmp_path: Path, args: list[str], message: str) -> None:
    with FakeGitHub(small_world()) as server:
        result = run_cli(server, tmp_path / "bad.csv", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "bad.csv").exists()


def test_anonymous_mode_warns_and_still_works(tmp_path: Path) -> None:
    world = small_world()
    with FakeGitHub(world) as server:
        result = run_cli(server, tmp_path / "anon.csv", token=None)
    assert result.exit_code == 0, result.output
    assert "GITHUB_TOKEN is not set: crawling anonymously" in result.stderr
    assert all("Authorization" not in r.headers for r in server.requests)
    assert len(list(read_csv_rows(tmp_path / "anon.csv"))) == len(expected(world))


def test_help_documents_the_environment() -> None:
    result = CliRunner().invoke(main, ["crawl", "--help"])
    assert result.exit_code == 0
    for word in ("GITHUB_TOKEN", "GITHUB_API_URL", "--query", "--topic", "checkpoint"):
        assert word in result.output


# --- rate limits, back-off and retries ---------------------------------------------------------


@pytest.fixture(scope="module")
def small_baseline() -> list[RepoRecord]:
    with FakeGitHub(small_world()) as server:
        return run_api(server)[0]


RATE_CASES = {
    # name: (request number, fault, sleeps expected before that request is repeated)
    "primary limit used up (403)": (
        3,
        Fault(
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(T0 + 120)},
            {"message": "API rate limit exceeded for 1.2.3.4."},
        ),
        [10] * 12 + [1],
    ),
    "primary limit used up (429)": (
        5,
        Fault(429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(T0 + 30)}),
        [10, 10, 10, 1],
    ),
    "secondary limit, 403 Retry-After": (
        2,
        Fault(
            403,
            {"Retry-After": "7"},
            {
                "message": "You have exceeded a secondary rate "
                "limit. Please wait a few minutes "
                "before you try again."
            },
        ),
        [7],
    ),
    "429 Retry-After": (9, Fault(429, {"Retry-After": "7"}), [7]),
    "429 without Retry-After": (4, Fault(429), [10] * 6),
    "secondary limit, 403 without Retry-After": (
        6,
        Fault(403, body={"message": "You have exceeded a secondary rate limit."}),
        [10] * 6,
    ),
}


@pytest.mark.parametrize("case", RATE_CASES)
def test_rate_limits_are_waited_out(case: str, small_baseline: list[RepoRecord]) -> None:
    number, fault, sleeps = RATE_CASES[case]
    clock = FakeClock()
    with FakeGitHub(small_world()) as server:
        server.on_request = lambda r: clock.events.append(("request", r.number))
        server.fail(fault, at=number)
        records, stats, said = run_api(server, clock)
    assert records == small_baseline
    assert clock.sleeps == sleeps
    # The whole wait sits between the refused request and its repetition.
    at = clock.events.index(("request", number))
    assert clock.events[at + 1 : at + 1 + len(sleeps)] == [("sleep", s) for s in sleeps]
    assert clock.events[at + 1 + len(sleeps)] == ("request", number + 1)
    assert server.requests[number].path == server.requests[number - 1].path
    assert stats.rate_limit_waits == 1
    assert stats.retries == 0
    assert any(
        f"waiting {sum(sleeps) // 60}m{sum(sleeps) % 60:02d}s" in line
        or f"waiting {sum(sleeps)}s" in line
        for line in said
    )


def test_exhausted_limit_is_awaited_before_asking(small_baseline: list[RepoRecord]) -> None:
    """A 200 saying 'remaining 0' makes the next search wait for the reset: no 403 needed."""
    clock = FakeClock()
    with FakeGitHub(small_world()) as server:
        server.on_request = lambda r: clock.events.append(("request", r.number))
        server.fail(
            Fault(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(T0 + 45)}), at=1
        )
        records, _, said = run_api(server, clock)
    assert records == small_baseline
    assert clock.sleeps == [10, 10, 10, 10, 6]
    assert clock.events[:7] == [
        ("request", 1),
        *(("sleep", s) for s in clock.sleeps),
        ("request", 2),
    ]
    assert all(r.status == 200 for r in server.requests[:3])
    assert "rate limit for search requests used up; waiting 46s" in said
    assert "  resuming in 36s" in said


@pytest.mark.parametrize(
    ("fault", "times", "sleeps"),
    [
        (Fault(500), 2, [1, 2]),
        (Fault(502), 1, [1]),
        (Fault(503), 4, [1, 2, 4, 8]),
        (Fault(drop=True), 2, [1, 2]),
        (Fault(200, delay=1.1), 1, [1]),  # a read timeout (timeout=1)
        (Fault(500, body="<html>oops</html>"), 1, [1]),
    ],
)
def test_transient_failures_are_retried(
    fault: Fault, times: int, sleeps: list[int], small_baseline: list[RepoRecord]
) -> None:
    clock = FakeClock()
    with FakeGitHub(small_world()) as server:
        server.fail(fault, path="/search/", times=times)
        server.fail(fault, path="/repos/", times=times)
        records, stats, _ = run_api(server, clock, timeout=1)
    assert records == small_baseline
    assert clock.sleeps == sleeps + sleeps
    assert stats.retries == 2 * times


@pytest.mark.parametrize(
    ("path", "fault", "message", "sleeps", "code"),
    [
        pytest.param(
            "/search/",
            Fault(500),
            "GET /search/repositories failed: HTTP 500: Server Error; gave up after 6 attempts",
            [1, 2, 4, 8, 16],
            1,
            id="5xx-forever",
        ),
        pytest.param(
            "/repos/",
            Fault(503),
            "failed: HTTP 503: Service Unavailable; gave up after 6 attempts",
            [1, 2, 4, 8, 16],
            1,
            id="pins-5xx-forever",
        ),
        pytest.param(
            "/search/",
            Fault(drop=True),
            "GET /search/repositories: no answer from http://127.0.0.1:",
            [1, 2, 4, 8, 16],
            3,
            id="dropped-connections",
        ),
        pytest.param(
            "/",
            Fault(401, body={"message": "Bad credentials"}),
            "the GitHub API refused the token (GITHUB_TOKEN): GET /rate_limit failed: HTTP 401: "
            "Bad credentials",
            [],
            3,
            id="token-refused",
        ),
        pytest.param(
            "/search/",
            Fault(429, {"Retry-After": "1"}),
            "still rate limited after 10 waits",
            [1] * 10,
            1,
            id="rate-limited-forever",
        ),
    ],
)
def test_persistent_failures_exit_non_zero(
    tmp_path: Path, path: str, fault: Fault, message: str, sleeps: list[int], code: int
) -> None:
    clock = FakeClock()
    out = tmp_path / "fail.csv"
    with FakeGitHub(small_world()) as server:
        server.fail(fault, path=path, times=None)
        result = run_cli(server, out, clock=clock)
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.output
    assert clock.sleeps == sleeps
    assert not out.exists()
    # Refused before any search (the preflight), nothing to resume; else progress is kept.
    assert checkpoint_path(out).exists() == (path != "/")


@pytest.mark.parametrize("status", [404, 409, 410, 451])
def test_a_pin_refused_for_the_repository_keeps_the_row(tmp_path: Path, status: int) -> None:
    world = small_world()
    victim = sorted(expected(world))[5]
    with FakeGitHub(world) as server:
        server.fail(Fault(status, body={"message": "nope"}), path=f"/repos/{victim}/")
        result = run_cli(server, tmp_path / "pin.csv")
    assert result.exit_code == 0, result.output
    row = next(r for r in read_csv_rows(tmp_path / "pin.csv") if r["full_name"] == victim)
    assert (row["commit"], row["note"]) == ("", f"HTTP {status}: nope")
    assert f"{victim}: no commit pinned (HTTP {status}: nope)" in result.stderr


# --- resuming ------------------------------------------------------------------------------------


def resume_world() -> list[FakeRepo]:
    return make_world(project=1100, projects=60, both=20, other=10, seed=11)


@pytest.mark.parametrize("kill_at", [2, 700])
def test_a_killed_crawl_resumes_to_the_same_file(tmp_path: Path, kill_at: int) -> None:
    out = tmp_path / "datasets" / "resumed.csv"
    command = [
        sys.executable,
        "-c",
        "from mining.cli import main; main()",
        "crawl",
        "--out",
        str(out),
    ]
    with FakeGitHub(resume_world()) as server:
        env = {**os.environ, "GITHUB_API_URL": server.url, "GITHUB_TOKEN": TOKEN}
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def kill(request: Recorded) -> None:
            if request.number == kill_at:
                process.kill()

        server.on_request = kill
        process.communicate(timeout=60)
        assert process.returncode == -9
        assert not out.exists()
        journal = checkpoint_path(out).read_text(encoding="utf-8")
        server.on_request = None
        killed_requests = len(server.requests)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        resumed_requests = len(server.requests) - killed_requests
    assert "checkpoint: resuming" in done.stderr
    assert not checkpoint_path(out).exists()
    crawled_at = json.loads(journal.splitlines()[0])["crawled_at"]
    # The reference: an uninterrupted crawl that started at the same moment.
    reference = tmp_path / "reference.csv"
    with FakeGitHub(resume_world()) as server:
        assert run_cli(server, reference, clock=FakeClock(crawled_at)).exit_code == 0
        full_requests = len(server.requests)
    assert out.read_bytes() == reference.read_bytes()
    # Work done before the kill is not done again (beyond the pages of one unfinished slice).
    assert killed_requests + resumed_requests <= full_requests + 12
    assert TOKEN not in journal


def test_interrupted_during_a_wait_then_rerun(tmp_path: Path) -> None:
    """Ctrl-C in a rate-limit countdown, then a rerun: same bytes as one clean crawl."""
    clean = tmp_path / "clean.csv"
    with FakeGitHub(small_world()) as server:
        assert run_cli(server, clean).exit_code == 0

    out = tmp_path / "ds.csv"

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    with FakeGitHub(small_world()) as server:
        server.fail(Fault(429, {"Retry-After": "30"}), at=40)
        first = run_cli(server, out, clock=FakeClock(on_sleep=interrupt))
        assert first.exit_code == 130
        assert "rerun the same command to resume" in first.stderr
        assert not out.exists()
        pins_before = sum(r.path.startswith("/repos/") for r in server.requests)
        second = run_cli(server, out, clock=FakeClock(now=T0 + 999))  # crawled_at: from journal
        assert second.exit_code == 0, second.output
    assert out.read_bytes() == clean.read_bytes()
    assert f"resumed with 2 slices and {pins_before - 1} pins" in second.stderr


def test_a_torn_checkpoint_line_is_dropped(tmp_path: Path) -> None:
    clean, out = tmp_path / "clean.csv", tmp_path / "ds.csv"
    with FakeGitHub(small_world()) as server:
        assert run_cli(server, clean).exit_code == 0
        server.fail(Fault(500), path="/repos/", times=None)
        assert run_cli(server, out, "--max-retries", "0").exit_code == 1
        torn = '{"kind": "pin", "full_name": "user01/re'  # as if killed mid-write
        with checkpoint_path(out).open("a", encoding="utf-8") as journal:
            journal.write(torn)
        server._rules.clear()
        result = run_cli(server, out)
    assert result.exit_code == 0, result.output
    assert f"checkpoint: dropping {len(torn)} bytes of an unfinished entry" in result.stderr
    assert out.read_bytes() == clean.read_bytes()


def test_a_checkpoint_of_another_crawl_is_refused_until_restart(tmp_path: Path) -> None:
    out = tmp_path / "ds.csv"
    with FakeGitHub(small_world()) as server:
        server.fail(Fault(500), path="/repos/", times=None)
        assert run_cli(server, out, "--max-retries", "0").exit_code == 1
        server._rules.clear()
        refused = run_cli(server, out, "--query", "language:python")
        assert refused.exit_code == 1
        assert "belongs to a different crawl (query differ)" in refused.stderr
        assert "--restart" in refused.stderr
        restarted = run_cli(server, out, "--query", "language:python", "--restart")
    assert restarted.exit_code == 0, restarted.output
    assert "resum" not in restarted.stderr


# --- the token never leaks ---------------------------------------------------------------------


def test_token_is_redacted_from_errors_even_when_the_server_echoes_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    echo = Fault(500, body={"message": f"upstream said: Authorization: token {TOKEN}"})
    with FakeGitHub(small_world()) as server:
        server.fail(echo, path="/search/", times=None)
        result = run_cli(server, tmp_path / "x.csv", "--max-retries", "1", "--keep-checkpoint")
        with pytest.raises(CrawlError) as raised:
            run_api(server)
    assert result.exit_code == 1
    assert "[token]" in result.stderr
    texts = [
        result.stdout,
        result.stderr,
        caplog.text,
        str(raised.value),
        repr(raised.value),
        "".join(traceback.format_exception(raised.value)),
        checkpoint_path(tmp_path / "x.csv").read_text(encoding="utf-8"),
        repr(CrawlSettings(token=TOKEN)),
    ]
    for text in texts:
        assert TOKEN not in text
    assert all(r.headers.get("Authorization") == f"token {TOKEN}" for r in server.requests)


# --- the pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0, 2), (10, 1_000_001), (5, 6), (7, 7)])
def test_halves_tile_their_range(start: int, end: int) -> None:
    halves = TimeRange(start, end).halves()
    if start == end:
        assert halves is None
        return
    assert halves is not None
    low, high = halves
    assert (low.start, low.end + 1, high.end) == (start, high.start, end)
    assert low.start <= low.end
    assert high.start <= high.end


def test_the_python_api_yields_sorted_records(small_baseline: list[RepoRecord]) -> None:
    names = [record.repo.full_name for record in small_baseline]
    assert names == sorted(names) == sorted(expected(small_world()))
    assert all(isinstance(record.repo.topics, tuple) for record in small_baseline)


# --- an API that never says the results are complete; a dead API --------------------------------


def test_a_crawl_against_an_always_incomplete_api_ends_by_itself(tmp_path: Path) -> None:
    """GitHub says `incomplete_results` when its search times out; one that always says so must
    not split the search down to one-second slices (2*10^8 searches): the crawl ends, lists
    what it was given, and reports the slices it could not make whole."""
    world = small_world()
    out = tmp_path / "incomplete.csv"
    with FakeGitHub(world) as server:
        server.always_incomplete = True

        def runaway(request: Recorded) -> None:  # old behaviour: stop it instead of hanging
            if request.number == 3000:
                server.fail(Fault(500), path="/", times=None)

        server.on_request = runaway
        result = run_cli(server, out, "--max-retries", "0")
        searches = server.count("/search/")
    assert result.exit_code == 0, result.output
    assert {row["full_name"] for row in read_csv_rows(out)} == set(expected(world))
    assert searches <= 20, searches
    provenance = json.loads(provenance_path(out).read_text(encoding="utf-8"))
    truncated = provenance["truncated_slices"]
    assert truncated
    assert {entry["reason"] for entry in truncated} == {"incomplete"}
    assert sum(entry["listed"] for entry in truncated) == sum(
        len(expected(world, (topic,))) for topic in DEFAULT_TOPICS
    )
    assert f"warning: {len(truncated)} slice(s) truncated" in result.stderr
    assert "topic:mlflow-project created:" in result.stderr


def test_the_split_floor_bounds_over_cap_slices(tmp_path: Path) -> None:
    """More than 1000 repositories within the floor: listed as far as GitHub lets (1000),
    recorded as truncated, and the crawl goes on."""
    burst = T0 - 30 * 86400
    world = [FakeRepo(f"crowd/r{i:04d}", burst + i, ("mlflow-project",)) for i in range(1100)]
    world += [FakeRepo("calm/alone", T0 - 400 * 86400, ("mlflow-project",))]
    out = tmp_path / "crowd.csv"
    with FakeGitHub(world) as server:
        result = run_cli(server, out, "--topic", "mlflow-project", "--min-slice", "1h")
    assert result.exit_code == 0, result.output
    rows = list(read_csv_rows(out))
    assert len(rows) == 1001
    assert "calm/alone" in {row["full_name"] for row in rows}
    (truncated,) = json.loads(provenance_path(out).read_text())["truncated_slices"]
    assert (truncated["reason"], truncated["reported"], truncated["listed"]) == (
        "over-cap",
        1100,
        1000,
    )
    assert truncated["created"].startswith(datetime.fromtimestamp(burst, UTC).strftime("%Y-%m-%d"))


def test_truncated_slices_survive_a_resume(tmp_path: Path) -> None:
    out = tmp_path / "resumed.csv"
    with FakeGitHub(small_world()) as server:
        server.always_incomplete = True
        server.fail(Fault(500), path="/repos/", times=None)
        assert run_cli(server, out, "--max-retries", "0").exit_code == 1
        server._rules.clear()
        resumed = run_cli(server, out)
        clean = tmp_path / "clean.csv"
        assert run_cli(server, clean).exit_code == 0
    assert resumed.exit_code == 0, resumed.output
    assert "checkpoint: resuming" in resumed.stderr
    provenance = json.loads(provenance_path(out).read_text())
    assert provenance == json.loads(provenance_path(clean).read_text())
    assert provenance["truncated_slices"]


@pytest.mark.parametrize(
    ("budget", "sleeps"),
    [(10, [1, 2, 4]), (60, [1, 2, 4, 8, 16]), (0, [])],
    ids=["10s", "default-60s", "no-retry"],
)
def test_a_dead_api_is_given_up_within_the_retry_budget(
    tmp_path: Path, budget: int, sleeps: list[int]
) -> None:
    """However many retries are allowed, retrying stops once failed attempts and back-off reach
    --max-retry-seconds (a dead API was retried for 3.5 minutes), and the message says so."""
    clock = FakeClock()
    out = tmp_path / "dead.csv"
    with FakeGitHub(small_world()) as server:
        server.fail(Fault(503), path="/search/", times=None)
        args = ["--max-retries", "20"]
        if budget != 60:
            args += ["--max-retry-seconds", str(budget)]
        result = run_cli(server, out, *args, clock=clock)
    assert result.exit_code == 1
    assert clock.sleeps == sleeps
    assert f"gave up after {len(sleeps) + 1} attempts" in result.stderr
    assert f"(--max-retry-seconds {budget})" in result.stderr


def test_the_retry_budget_counts_the_time_requests_take(small_baseline: list[RepoRecord]) -> None:
    """A server that accepts connections and never answers in time: each attempt costs its
    timeout (real seconds), which the budget counts beside the back-off."""
    clock = FakeClock()
    with FakeGitHub(small_world()) as server:
        server.fail(Fault(200, delay=1.2), path="/search/", times=None)
        with pytest.raises(CrawlError, match=r"no answer .*gave up after 2 attempts") as raised:
            run_api(server, clock, timeout=1, max_retries=20, max_retry_seconds=3)
    assert clock.sleeps == [1]
    assert raised.value.environment
