"""The code-search frame against a real HTTP server that answers like GitHub (fake_github.py).

Only time is faked: the client gets a recorded `sleep` and a clock that `sleep` advances, and
the server's code-search rate limit runs on the same clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from mining.github.client import GithubApiError, GithubClient
from mining.github.code_search import (
    INDEXED_BELOW,
    OPEN,
    SEARCH_CAP,
    CodeListing,
    CodeSearchError,
    CodeSearchStats,
    MemoryJournal,
    SizeRange,
    describe_repository,
    frame_of,
    list_code_search,
)
from tests.mining.github.fake_github import (
    T0,
    FakeGitHub,
    FakeRepo,
    Fault,
    make_code_world,
)

TOKEN = "ghp_CodeSearchT0kenThatMustNeverLeak01234"
QUERY = '"import mlflow"'


@dataclass
class Clock:
    now: float = float(T0)
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Run:
    listing: CodeListing
    stats: CodeSearchStats
    clock: Clock
    server: FakeGitHub
    said: list[str]
    journal: MemoryJournal | None


def run(
    server: FakeGitHub,
    query: str = QUERY,
    journal: MemoryJournal | None = None,
    token: str | None = TOKEN,
    per_page: int = 100,
) -> Run:
    clock = Clock()
    server.clock = clock.time
    said: list[str] = []
    client = GithubClient(
        base_url=server.url, token=token, sleep=clock.sleep, clock=clock.time, progress=said.append
    )
    stats = CodeSearchStats()
    try:
        listing = list_code_search(
            client, query, journal, per_page=per_page, progress=said.append, stats=stats
        )
    finally:
        client.close()
    return Run(listing, stats, clock, server, said, journal)


def truth(world: list[FakeRepo], phrase: str = "import mlflow") -> set[str]:
    """Repositories with a file whose content holds `phrase`: from the world, not the server."""
    return {
        repo.full_name
        for repo in world
        if not repo.fork and any(phrase in file.content for file in repo.code)
    }


@pytest.fixture(scope="module")
def sliced() -> Iterator[Run]:
    """1,330 matching files in 397 repositories: over the cap, so sliced by size."""
    world = make_code_world()
    with FakeGitHub(world) as server:
        yield run(server, journal=MemoryJournal())


def test_every_repository_is_listed_once(sliced: Run) -> None:
    world = sliced.server.repos
    assert sum("import mlflow" in f.content for r in world for f in r.code) > SEARCH_CAP
    assert set(sliced.listing.repositories) == truth(world)
    assert list(sliced.listing.repositories) == sorted(set(sliced.listing.repositories))
    assert sliced.listing.truncated == ()
    assert sliced.listing.frame == "code:" + QUERY


def test_slices_tile_the_sizes_and_stay_under_the_cap(sliced: Run) -> None:
    searches = [r for r in sliced.server.requests if r.path == "/search/code"]
    assert all(r.status == 200 for r in searches)
    assert sliced.journal is not None
    leaves = sorted(
        (SizeRange(low, None if high == OPEN else high) for _, low, high in sliced.journal.slices),
        key=lambda size: size.low,
    )
    assert leaves[0].low == 0
    assert leaves[-1] == SizeRange(INDEXED_BELOW + 1)
    assert all(a.high is not None and a.high + 1 == b.low for a, b in itertools.pairwise(leaves))
    for key, repos in sliced.journal.slices.items():
        assert len(repos) <= SEARCH_CAP, key
    assert sliced.stats.files == sum(len(repos) for repos in sliced.journal.slices.values())
    assert sliced.stats.files == sum(
        "import mlflow" in f.content for r in sliced.server.repos for f in r.code if not r.fork
    )


def test_request_counts(sliced: Run) -> None:
    searches = sum(r.path == "/search/code" for r in sliced.server.requests)
    assert sliced.stats.requests == searches
    matching = sum(
        "import mlflow" in f.content for r in sliced.server.repos for f in r.code if not r.fork
    )
    assert sliced.stats.reported == matching == 1312
    # Halving 0..393216 reaches 0..6143 (996 files) after seven splits; eight slices are
    # listed in 19 pages, 26 requests in all (measured, and the floor of this method: each
    # split costs the one request that found the range over the cap).
    assert (sliced.stats.slices, sliced.stats.splits, searches) == (8, 7, 26)
    assert sliced.stats.repositories == len(sliced.listing.repositories) == 378


def test_the_rate_limit_is_waited_out_before_it_refuses(sliced: Run) -> None:
    """10 searches a minute: after each 10th the client waits for the reset, so the server
    never has to refuse one."""
    assert all(r.status == 200 for r in sliced.server.requests)
    waits = [line for line in sliced.said if "rate limit for code_search requests used up" in line]
    assert len(waits) == 26 // 10
    assert sum(sliced.clock.sleeps) == pytest.approx(2 * 61, abs=2)


@pytest.mark.parametrize("refusal", [403, 429])
def test_a_refusal_with_code_search_headers_is_waited_out(refusal: int) -> None:
    world = make_code_world(repos=30)
    with FakeGitHub(world) as server:
        server.code_search_refusal = refusal
        server._code_window = (float(T0 + 30), 10)  # another client used the minute up
        done = run(server)
    statuses = [r.status for r in server.requests if r.path == "/search/code"]
    assert statuses == [refusal, 200]
    assert done.clock.sleeps == [10, 10, 10, 1]  # until the reset, plus its second
    assert set(done.listing.repositories) == truth(world)


def test_a_truncated_slice_is_recorded_and_reported() -> None:
    """1,200 files of exactly 4096 bytes: no size range can split them."""
    world = make_code_world(repos=60, same_size=1200)
    with FakeGitHub(world) as server:
        done = run(server)
    (cut,) = done.listing.truncated
    assert (cut.size, cut.reason, cut.reported, cut.listed) == (
        SizeRange(4096, 4096),
        "over-cap",
        sum(f.bytes == 4096 and "import mlflow" in f.content for r in world for f in r.code),
        SEARCH_CAP,
    )
    assert "size:4096..4096 (over 1000 results: 1000 listed of 1200 reported)" in cut.describe()
    assert any(line.startswith("warning: truncated slice: code:") for line in done.said)
    # Every repository outside the truncated slice is still found.
    assert truth(world) - {"bulk/generated", "bulk/generated-too"} <= set(done.listing.repositories)


def test_files_above_what_github_indexes_are_found_in_the_open_slice(sliced: Run) -> None:
    assert {"large/huge-0", "large/huge-1"} <= set(sliced.listing.repositories)
    queries = [r.query["q"] for r in sliced.server.requests if r.path == "/search/code"]
    assert f"{QUERY} size:>={INDEXED_BELOW + 1}" in queries


def test_a_small_query_is_one_request() -> None:
    world = make_code_world(repos=40)
    with FakeGitHub(world) as server:
        done = run(server, "mlflow==2.9.0 filename:requirements.txt")
    assert (done.stats.requests, done.stats.slices, done.stats.splits) == (1, 1, 0)
    expected = {
        r.full_name
        for r in world
        if not r.fork and any(f.path.endswith("/requirements.txt") for f in r.code)
    }
    assert set(done.listing.repositories) == expected


def test_incomplete_results_are_split_then_reported() -> None:
    world = make_code_world(repos=120)
    with FakeGitHub(world) as server:
        # GitHub gives up on big searches: anything over 150 matches comes back incomplete.
        server.code_incomplete = lambda query, matches: matches > 150
        done = run(server)
    assert done.listing.truncated == ()
    assert set(done.listing.repositories) == truth(world)
    assert done.stats.splits >= 2
    with FakeGitHub(world) as server:
        server.code_incomplete = lambda query, matches: True  # always: split to one page
        done = run(server)
    assert done.listing.truncated
    assert {cut.reason for cut in done.listing.truncated} == {"incomplete"}
    assert all(cut.reported <= 100 for cut in done.listing.truncated)


def test_forks_only_when_the_query_asks() -> None:
    world = make_code_world(repos=40, forks=5)
    forked = {r.full_name for r in world if r.fork and any("mlflow" in f.content for f in r.code)}
    with FakeGitHub(world) as server:
        without = run(server, "mlflow").listing.repositories
        with_forks = run(server, "mlflow fork:true").listing.repositories
    assert forked
    assert not forked & set(without)
    assert forked <= set(with_forks)


def test_a_resumed_listing_asks_nothing_again() -> None:
    world = make_code_world(repos=60, same_size=1200)
    journal = MemoryJournal()
    with FakeGitHub(world) as server:
        first = run(server, journal=journal)
        before = len(server.requests)
        again = run(server, journal=journal)
        assert len(server.requests) == before
    assert again.listing == first.listing
    assert again.stats.restored_slices == first.stats.slices


def test_without_a_token_the_error_says_so() -> None:
    with (
        FakeGitHub(make_code_world(repos=5)) as server,
        pytest.raises(CodeSearchError, match=r"HTTP 401.*set GITHUB_TOKEN"),
    ):
        run(server, token=None)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("mlflow size:>100", "size: is reserved"),
        ("mlflow -size:100", "size: is reserved"),
        ("import mlflow; x", "';' separates frames"),
    ],
    ids=["empty", "blank", "size", "negated-size", "semicolon"],
)
def test_bad_queries_are_refused_before_any_request(query: str, message: str) -> None:
    with FakeGitHub([]) as server:
        with pytest.raises(CodeSearchError, match=message):
            run(server, query)
        assert server.requests == []


def test_frame_names_collapse_whitespace() -> None:
    assert (
        frame_of('  "import  mlflow"\tlanguage:Python ') == 'code:"import mlflow" language:Python'
    )


@pytest.mark.parametrize(
    ("size", "halves"),
    [
        (SizeRange(0), (SizeRange(0, INDEXED_BELOW), SizeRange(INDEXED_BELOW + 1))),
        (SizeRange(0, 9), (SizeRange(0, 4), SizeRange(5, 9))),
        (SizeRange(4, 5), (SizeRange(4, 4), SizeRange(5, 5))),
        (SizeRange(7, 7), None),
        (SizeRange(INDEXED_BELOW + 1), None),
    ],
    ids=["everything", "ten", "two", "one", "above-the-index"],
)
def test_halves(size: SizeRange, halves: tuple[SizeRange, SizeRange] | None) -> None:
    assert size.halves() == halves
    if halves:
        assert halves[0].low == size.low
        assert halves[1].high == size.high
        assert halves[0].high is not None
        assert halves[0].high + 1 == halves[1].low


@pytest.mark.parametrize(
    ("name", "fork", "archived", "note"),
    [
        ("coder00/code-0000", True, True, ""),
        ("coder01/code-0001", True, False, ""),
        ("coder17/code-0017", False, True, ""),
        ("nobody/missing", None, None, "HTTP 404: Not Found"),
    ],
)
def test_metadata_comes_from_the_repository_endpoint(
    name: str, fork: bool | None, archived: bool | None, note: str
) -> None:
    world = make_code_world(repos=20)
    clock = Clock()
    with FakeGitHub(world) as server:
        client = GithubClient(
            base_url=server.url, token=TOKEN, sleep=clock.sleep, clock=clock.time, progress=print
        )
        data, why = describe_repository(client, name)
        client.close()
    assert why == note
    if fork is None:
        assert data == {}
        return
    repo = next(r for r in world if r.full_name == name)
    assert (data["fork"], data["archived"], data["stargazers_count"]) == (
        fork,
        archived,
        repo.stars,
    )
    assert data["created_at"]
    assert data["pushed_at"]
    assert data["default_branch"] == "main"


def test_a_failing_repository_endpoint_is_an_error_not_a_note() -> None:
    with FakeGitHub(make_code_world(repos=3)) as server:
        server.fail(Fault(500), path="/repos/", times=None)
        clock = Clock()
        client = GithubClient(
            base_url=server.url, token=TOKEN, sleep=clock.sleep, clock=clock.time, progress=print
        )
        with pytest.raises(GithubApiError, match="HTTP 500"):
            describe_repository(client, "coder00/code-0000")
        client.close()
