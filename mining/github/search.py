"""List every repository of some sampling frames, each pinned to its default branch's head.

The frames are GitHub topics and code searches (`mining.github.frames`). GitHub's repository
search returns at most 1000 results per query, so each topic's query is cut into `created:`
ranges, halved until each holds at most 1000, which lists every match exactly once; code
searches are cut by file size (`mining.github.code_search`). A repository found by several
frames is one row, with every frame in `frames`. Then one request per repository reads the head
commit of its default branch.

About 580 lines, kept whole on purpose: the crawl's records (settings, statistics, slices,
listed and pinned repositories) and the one algorithm that fills them (count, slice, page,
pin) read as one story, and every other crawl module imports from here.
"""

from __future__ import annotations

import math
import re
import sys
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzers.schema import columns
from mining.github.checkpoint import Checkpoint, CheckpointError, SliceKey
from mining.github.client import (
    CORE,
    SEARCH,
    ApiUnreachable,
    GithubApiError,
    GithubClient,
    RetryPolicy,
    api_url_from_environment,
    token_from_environment,
)
from mining.github.code_search import CodeSearchError, CodeSearchNeedsToken, normalise_query
from mining.github.frames import FrameStats, add_code_searches, frame_order, topic_frame

DEFAULT_TOPICS = ("mlflow-project", "mlflow-projects")
SEARCH_CAP = 1000  # GitHub serves no result beyond the 1000th of a search
# GitHub's first repositories were created in October 2007.
EARLIEST = datetime(2007, 10, 1, tzinfo=UTC)
# Head-of-branch answers that describe the repository rather than the crawl: deleted or renamed
# since the search (404), empty (409), gone (410), blocked for legal reasons (451).
UNPINNABLE = frozenset({404, 409, 410, 451})
TOPIC_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")
DAY = 86400


class CrawlError(Exception):
    """The crawl cannot go on. The message never contains the token. `environment`: the
    network, the API URL or the token is to blame, not the crawl."""

    def __init__(self, message: str, *, environment: bool = False, usage: bool = False) -> None:
        super().__init__(message)
        self.environment = environment
        self.usage = usage  # the topics, qualifiers or dates asked for are wrong


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class CrawlSettings:
    """What to crawl and how patiently. Token and base URL default to the environment."""

    topics: tuple[str, ...] = DEFAULT_TOPICS
    qualifiers: tuple[str, ...] = ()  # extra search qualifiers, e.g. ("language:python",)
    # code searches (GET /search/code), each a frame of its own, e.g. ('"import mlflow"',)
    code_searches: tuple[str, ...] = ()
    checkpoint: Path | None = None  # resume file; None keeps progress in memory only
    since: datetime = EARLIEST  # earliest creation time searched
    base_url: str = field(default_factory=api_url_from_environment)
    token: str | None = field(default_factory=token_from_environment, repr=False)
    per_page: int = 100
    max_retries: int = 5
    backoff: float = 1.0
    secondary_wait: float = 60.0
    timeout: int = 30
    max_retry_seconds: float = 60.0  # per request, see RetryPolicy
    # A created: range no wider than this is not split again: if it still holds more than 1000
    # results, or GitHub keeps answering incomplete_results, it is listed as it is and recorded
    # as truncated (see `TruncatedSlice`).
    min_slice: int = DAY
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    progress: Callable[[str], None] = field(default=_stderr, repr=False)


@dataclass
class CrawlStats:
    """Counters of one run; requests made by an earlier, interrupted run are not included."""

    slices: int = 0  # created: ranges listed (leaves of the halving)
    splits: int = 0  # ranges halved because they held more than 1000
    restored_slices: int = 0  # of `slices`, taken from the checkpoint
    search_requests: int = 0
    pin_requests: int = 0
    requests: int = 0  # HTTP requests in all, retries included
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0
    restored_pins: int = 0
    reported: dict[str, int] = field(default_factory=dict)  # topic -> total_count of its query
    listed: dict[str, int] = field(default_factory=dict)  # topic -> results over all its slices
    repositories: int = 0
    crawled_at: str = ""
    truncated: list[TruncatedSlice] = field(default_factory=list)  # restored ones included
    frames: FrameStats = field(default_factory=FrameStats)  # the code-search frames


@dataclass(frozen=True, slots=True)
class TruncatedSlice:
    """A slice listed as it was, though GitHub said it is not the whole truth: more than 1000
    results, or `incomplete_results`, and too narrow (or too small) to be split again."""

    topic: str
    start: int
    end: int
    reason: str  # "incomplete" (GitHub's search timed out) or "over-cap" (more than 1000)
    reported: int  # total_count GitHub gave
    listed: int

    def describe(self) -> str:
        what = "incomplete results" if self.reason == "incomplete" else "over 1000 results"
        return (
            f"topic:{self.topic} {TimeRange(self.start, self.end).qualifier()} ({what}: "
            f"{self.listed} listed of {self.reported} reported)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "created": TimeRange(self.start, self.end).qualifier().removeprefix("created:"),
            "reason": self.reason,
            "reported": self.reported,
            "listed": self.listed,
        }


@dataclass(frozen=True)
class TimeRange:
    """Creation times from `start` to `end`, both inclusive, in whole seconds since the epoch."""

    start: int
    end: int

    def qualifier(self) -> str:
        return f"created:{_iso(self.start)}..{_iso(self.end)}"

    def halves(self, floor: int = 1) -> tuple[TimeRange, TimeRange] | None:
        """The two halves, or None when the range is no wider than `floor` seconds."""
        if self.end - self.start + 1 <= max(1, floor):
            return None
        middle = self.start + (self.end - self.start + 1) // 2
        return TimeRange(self.start, middle - 1), TimeRange(middle, self.end)


@dataclass(frozen=True)
class ListedRepo:
    """A repository as the search API describes it."""

    full_name: str
    html_url: str
    clone_url: str
    default_branch: str
    stars: int
    forks: int
    size_kb: int
    language: str
    topics: tuple[str, ...]
    license: str
    created_at: str
    pushed_at: str
    archived: bool
    fork: bool
    description: str

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> ListedRepo:
        licence = item.get("license") or {}
        return cls(
            full_name=item["full_name"],
            html_url=item.get("html_url") or "",
            clone_url=item.get("clone_url") or "",
            default_branch=item.get("default_branch") or "",
            stars=int(item.get("stargazers_count") or 0),
            forks=int(item.get("forks_count") or 0),
            size_kb=int(item.get("size") or 0),
            language=item.get("language") or "",
            topics=tuple(sorted(item.get("topics") or ())),
            license=licence.get("spdx_id") or licence.get("key") or "",
            created_at=item.get("created_at") or "",
            pushed_at=item.get("pushed_at") or "",
            archived=bool(item.get("archived")),
            fork=bool(item.get("fork")),
            description=item.get("description") or "",
        )

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["topics"] = list(self.topics)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListedRepo:
        return cls(**{**data, "topics": tuple(data["topics"])})


@dataclass(frozen=True)
class RepoRecord:
    """One dataset row: a listed repository, its pinned commit and how the crawl found it."""

    repo: ListedRepo
    commit: str  # head of the default branch at crawl time; "" when it could not be read
    crawled_at: str
    matched_topics: tuple[str, ...]
    note: str = ""  # why `commit` is empty
    frames: tuple[str, ...] = ()  # every frame that found it, topics first

    def as_row(self) -> dict[str, Any]:
        row = {name: getattr(self.repo, name) for name in _LISTED_COLUMNS}
        row.update(
            commit=self.commit,
            crawled_at=self.crawled_at,
            note=self.note,
            topics=";".join(self.repo.topics),
            matched_topics=";".join(self.matched_topics),
            frames=";".join(self.frames),
        )
        return row


_LISTED_COLUMNS = tuple(f.name for f in fields(ListedRepo))
COLUMNS: tuple[str, ...] = columns("dataset")  # declared in analyzers/schema.py


def crawl(
    settings: CrawlSettings, stats: CrawlStats | None = None
) -> Generator[RepoRecord, None, None]:
    """Yield one record per repository of `settings.topics` and `settings.code_searches`,
    sorted by `full_name`.

    Listing finishes before the first record is yielded; pinning happens as records are
    consumed. With `settings.checkpoint` set, a rerun after an interruption resumes and yields
    the same records (`crawled_at` included). `stats`, if given, is updated as the crawl runs.
    """
    stats = stats if stats is not None else CrawlStats()
    topics, code = _frames(settings)
    query = _qualifiers(settings.qualifiers)
    say = settings.progress
    if not settings.token:
        say(
            "GITHUB_TOKEN is not set: crawling anonymously, within GitHub's anonymous limits "
            "(60 requests an hour, 10 searches a minute); set it for anything but a small crawl"
        )
    since = int(settings.since.timestamp())
    identity = {
        "topics": list(topics),
        "query": query,
        "since": since,
        "base_url": public_url(settings.base_url),
        "min_slice": settings.min_slice,
        # only when there are code searches: a checkpoint of a topic crawl stays valid
        **({"code_search": list(code)} if code else {}),
    }
    now = int(settings.clock())
    _since(settings)
    client = _client(settings)
    try:
        checkpoint = Checkpoint.open(settings.checkpoint, identity, now, say)
    except CheckpointError as exc:
        client.close()
        raise CrawlError(str(exc)) from None
    assert checkpoint.crawled_at is not None
    crawled_at = checkpoint.crawled_at
    stats.crawled_at = _iso(crawled_at)
    try:
        whole = TimeRange(since, crawled_at)
        listed = _list(client, settings, checkpoint, topics, query, whole, stats)
        notes = add_code_searches(
            client,
            code,
            checkpoint,
            listed,
            ListedRepo.from_api,
            per_page=settings.per_page,
            progress=say,
            stats=stats.frames,
        )
        stats.repositories = len(listed)
        say(
            f"listed {len(listed)} repositories in {stats.slices} slices "
            f"({stats.splits} splits) with {stats.search_requests} search requests"
        )
        yield from _pin(client, checkpoint, listed, notes, _iso(crawled_at), stats, say)
    except CodeSearchNeedsToken as exc:
        raise CrawlError(str(exc), environment=True) from None
    except CodeSearchError as exc:
        raise CrawlError(str(exc), usage=True) from None
    except GithubApiError as exc:
        # 422: GitHub refused the query (an unknown qualifier, say): the user's to fix.
        usage = exc.status == 422
        raise CrawlError(str(exc), environment=exc.environment, usage=usage) from None
    finally:
        _count(client, stats)
        client.close()
        checkpoint.close()


def preflight(settings: CrawlSettings, stats: CrawlStats | None = None) -> None:
    """Before any work: the API answers and accepts the token (else `CrawlError` with
    `environment` set); the topics and qualifiers are valid (else `CrawlError`)."""
    _frames(settings)
    _qualifiers(settings.qualifiers)
    _since(settings)
    client = _client(settings)
    try:
        client.check()
    except GithubApiError as exc:
        if isinstance(exc, ApiUnreachable):
            problem = f"cannot reach the GitHub API (GITHUB_API_URL={client.base_url})"
        else:
            problem = "the GitHub API refused the token (GITHUB_TOKEN)"
        raise CrawlError(f"{problem}: {exc}", environment=True) from None
    finally:
        if stats is not None:
            _count(client, stats)
        client.close()


def _client(settings: CrawlSettings) -> GithubClient:
    return GithubClient(
        base_url=settings.base_url,
        token=settings.token,
        sleep=settings.sleep,
        clock=settings.clock,
        progress=settings.progress,
        policy=RetryPolicy(
            max_retries=settings.max_retries,
            backoff=settings.backoff,
            secondary_wait=settings.secondary_wait,
            timeout=settings.timeout,
            max_retry_seconds=settings.max_retry_seconds,
        ),
    )


def _count(client: GithubClient, stats: CrawlStats) -> None:
    stats.requests += client.stats.requests
    stats.retries += client.stats.retries
    stats.rate_limit_waits += client.stats.rate_limit_waits
    stats.waited_seconds += client.stats.waited_seconds


def _list(
    client: GithubClient,
    settings: CrawlSettings,
    checkpoint: Checkpoint,
    topics: tuple[str, ...],
    query: str,
    whole: TimeRange,
    stats: CrawlStats,
) -> dict[str, tuple[ListedRepo, set[str]]]:
    """full_name -> (first description seen, frames of the topics whose search found it)."""
    listed: dict[str, tuple[ListedRepo, set[str]]] = {}
    # Depth first, halves in order: the same work order on every run, resumed or not.
    work: deque[tuple[str, TimeRange]] = deque((topic, whole) for topic in topics)
    while work:
        topic, span = work.popleft()
        key: SliceKey = (topic, span.start, span.end)
        halves = span.halves(settings.min_slice)
        if key in checkpoint.splits and halves:
            stats.splits += 1
            work.extendleft((topic, half) for half in reversed(halves))
            continue
        if key in checkpoint.slices:
            repos = [ListedRepo.from_json(item) for item in checkpoint.slices[key]]
            stats.restored_slices += 1
            if key in checkpoint.truncated:
                reason, reported = checkpoint.truncated[key]
                names = {repo.full_name for repo in repos}
                stats.truncated.append(
                    TruncatedSlice(topic, span.start, span.end, reason, reported, len(names))
                )
        else:
            search = f"topic:{topic} {span.qualifier()}" + (f" {query}" if query else "")
            total, incomplete, repos, next_url = _search_page(client, search, settings, stats)
            if span == whole:
                stats.reported[topic] = total
            # Narrower ranges hold fewer results; and a search GitHub could not finish in time
            # is cheaper narrower, unless it fits one page already (then splitting cannot help,
            # and an API that always says "incomplete" would be split down to the floor).
            if halves and (total > SEARCH_CAP or (incomplete and total > settings.per_page)):
                checkpoint.record_split(key)
                stats.splits += 1
                work.extendleft((topic, half) for half in reversed(halves))
                continue
            while next_url:
                _, partial, more, next_url = _search_page(client, next_url, settings, stats)
                incomplete = incomplete or partial
                repos.extend(more)
            truncated = _truncation(topic, span, total, incomplete, repos, search, settings)
            if truncated is not None:
                stats.truncated.append(truncated)
            checkpoint.record_slice(
                key,
                [repo.to_json() for repo in repos],
                None if truncated is None else (truncated.reason, truncated.reported),
            )
        stats.slices += 1
        stats.listed[topic] = stats.listed.get(topic, 0) + len(repos)
        for repo in repos:
            entry = listed.setdefault(repo.full_name, (repo, set()))
            entry[1].add(topic_frame(topic))
        if stats.slices % 10 == 0:
            settings.progress(f"listing: {stats.slices} slices, {len(listed)} repositories")
    return listed


def _truncation(
    topic: str,
    span: TimeRange,
    total: int,
    incomplete: bool,
    repos: list[ListedRepo],
    search: str,
    settings: CrawlSettings,
) -> TruncatedSlice | None:
    """The slice's truncation, if GitHub said it is not whole (warned about on stderr)."""
    listed = len({repo.full_name for repo in repos})
    if listed < min(total, SEARCH_CAP) or total > SEARCH_CAP or incomplete:
        settings.progress(
            f"warning: {search!r} reported {total} results"
            f"{' (incomplete)' if incomplete else ''} but listed {listed}"
        )
    if total <= SEARCH_CAP and not incomplete:
        return None
    reason = "over-cap" if total > SEARCH_CAP else "incomplete"
    return TruncatedSlice(topic, span.start, span.end, reason, total, listed)


def _search_page(
    client: GithubClient, query_or_url: str, settings: CrawlSettings, stats: CrawlStats
) -> tuple[int, bool, list[ListedRepo], str | None]:
    """One page of results: (total_count, incomplete_results, repositories, next page's URL).

    A first page is asked for by query; later pages by the `Link: rel="next"` URL GitHub gave.
    """
    before = client.stats.requests
    if query_or_url.startswith(("http://", "https://")):
        headers, data = client.get(query_or_url, resource=SEARCH)
    else:
        params = {"q": query_or_url, "per_page": settings.per_page}
        headers, data = client.get("/search/repositories", params, resource=SEARCH)
    stats.search_requests += client.stats.requests - before
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise CrawlError("GET /search/repositories: the answer has no list of items")
    repos = [ListedRepo.from_api(item) for item in data["items"]]
    return (
        int(data.get("total_count") or 0),
        bool(data.get("incomplete_results")),
        repos,
        _next_link(headers.get("link", "")),
    )


def _pin(
    client: GithubClient,
    checkpoint: Checkpoint,
    listed: dict[str, tuple[ListedRepo, set[str]]],
    notes: dict[str, str],
    crawled_at: str,
    stats: CrawlStats,
    say: Callable[[str], None],
) -> Iterator[RepoRecord]:
    """One record per listed repository; those `notes` says could not be described keep
    their row with the reason and no commit."""
    names = sorted(listed)
    step = max(1, min(250, math.ceil(len(names) / 10)))
    for done, name in enumerate(names, 1):
        repo, found_by = listed[name]
        frames = tuple(sorted(found_by, key=frame_order))
        matched = tuple(f.removeprefix("topic:") for f in frames if f.startswith("topic:"))
        if name in notes:
            commit, note = "", f"not described: {notes[name]}"
        elif name in checkpoint.pins:
            commit, note = checkpoint.pins[name]
            stats.restored_pins += 1
        else:
            commit, note = _head(client, repo, stats)
            if note:
                say(f"{name}: no commit pinned ({note})")
            checkpoint.record_pin(name, commit, note)
        yield RepoRecord(repo, commit, crawled_at, matched, note, frames)
        if done % step == 0 or done == len(names):
            say(f"pinning: {done}/{len(names)} repositories")


def _head(client: GithubClient, repo: ListedRepo, stats: CrawlStats) -> tuple[str, str]:
    """(SHA of the default branch's head, "") or ("", why there is none)."""
    if not repo.default_branch:
        return "", "no default branch"
    url = f"/repos/{repo.full_name}/branches/{urllib.parse.quote(repo.default_branch)}"
    before = client.stats.requests
    try:
        _, data = client.get(url, resource=CORE)
    except GithubApiError as exc:
        if exc.status in UNPINNABLE and not exc.gave_up:
            return "", _reason(str(exc))
        raise
    finally:
        stats.pin_requests += client.stats.requests - before
    sha = (data.get("commit") or {}).get("sha") if isinstance(data, dict) else None
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{40}", sha):
        return "", "branch answer without a commit SHA"
    return sha, ""


def _reason(message: str) -> str:
    # "GET /repos/o/n/branches/main failed: HTTP 409: Git Repository is empty." -> "HTTP 409: ..."
    return message.partition(" failed: ")[2] or message


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


def _frames(settings: CrawlSettings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The topics and the code searches, checked; at least one frame."""
    try:
        code = tuple(dict.fromkeys(normalise_query(q) for q in settings.code_searches))
    except CodeSearchError as exc:
        raise CrawlError(str(exc), usage=True) from None
    topics = _topics(settings.topics)
    if not topics and not code:
        raise CrawlError("no topic and no code search given", usage=True)
    return topics, code


def _topics(topics: tuple[str, ...]) -> tuple[str, ...]:
    # Sorted, so the work order (and which search's description of a repository is kept)
    # does not depend on the order the topics were given in.
    cleaned = tuple(sorted({topic.strip().lower() for topic in topics}))
    for topic in cleaned:
        if not TOPIC_PATTERN.fullmatch(topic):
            raise CrawlError(
                f"{topic!r} is not a GitHub topic (lower-case letters, digits and hyphens)",
                usage=True,
            )
    return cleaned


def _since(settings: CrawlSettings) -> None:
    if int(settings.since.timestamp()) >= int(settings.clock()):
        raise CrawlError(
            f"--since {settings.since:%Y-%m-%d} is not before the crawl's start", usage=True
        )


def _qualifiers(qualifiers: tuple[str, ...]) -> str:
    query = " ".join(" ".join(qualifiers).split())
    if re.search(r"(^|\s)-?created:", query):
        raise CrawlError(
            "created: is reserved for slicing the search; use --since instead", usage=True
        )
    return query


def public_url(url: str) -> str:
    """`url` without any user:password part, fit for a file."""
    parts = urllib.parse.urlsplit(url.rstrip("/"))
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
