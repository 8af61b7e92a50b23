"""The code-search frame: every repository a GitHub code search (`GET /search/code`) finds.

Code search answers at most 1000 results (files) per query and cannot be sliced by date, so a
query over the cap is cut by file size: first files indexed (`size:0..393216`) and anything
above, then each half of a range again (`size:a..b`), until every slice holds at most 1000
results. A slice that cannot be split further (one byte size, or the open range above what
GitHub indexes) and still holds more, or that GitHub keeps answering `incomplete_results` for,
is listed as it is and recorded as truncated: `CodeListing.truncated` says which, so a caller
reports it rather than losing it silently.

Code search has its own rate limit (about 10 requests a minute, resource `code_search`); the
client waits it out with the same countdown as every other limit. Results name repositories
only minimally, so `describe_repository` reads the rest (stars, dates, fork, archived, default
branch, topics) from `GET /repos/{owner}/{name}`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from mining.github.client import CORE, GithubApiError, GithubClient

CODE_SEARCH = "code_search"  # GitHub's rate-limit resource for /search/code
SEARCH_CAP = 1000  # GitHub serves no result beyond the 1000th of a search
# GitHub's code search indexes files smaller than 384 KB: the bounded part of the size range.
INDEXED_BELOW = 384 * 1024
FRAME_PREFIX = "code:"
# Answers about a repository rather than the crawl: deleted or renamed away since it was
# indexed (404), gone (410), blocked for legal reasons (451).
UNDESCRIBABLE = frozenset({404, 410, 451})
OPEN = -1  # the upper bound of an open size range, in a journal key

SliceKey = tuple[str, int, int]  # frame, lowest and highest size (OPEN: no upper bound)


class CodeSearchError(Exception):
    """The code search cannot go on (a bad query, an answer of the wrong shape)."""


class CodeSearchNeedsToken(CodeSearchError):
    """GitHub answered 401: its code search serves authenticated requests only."""


@dataclass(frozen=True, slots=True)
class SizeRange:
    """File sizes from `low` to `high` bytes, both inclusive; `high` None: no upper bound."""

    low: int
    high: int | None = None

    def qualifier(self) -> str:
        if self.high is None:
            return "" if self.low == 0 else f"size:>={self.low}"
        return f"size:{self.low}..{self.high}"

    def halves(self) -> tuple[SizeRange, SizeRange] | None:
        """The two halves, or None when the range cannot be split further."""
        if self.high is None:
            if self.low > INDEXED_BELOW:
                return None  # above what GitHub indexes: nothing to halve towards
            return SizeRange(self.low, INDEXED_BELOW), SizeRange(INDEXED_BELOW + 1)
        if self.high <= self.low:
            return None
        middle = self.low + (self.high - self.low + 1) // 2
        return SizeRange(self.low, middle - 1), SizeRange(middle, self.high)

    def key(self, frame: str) -> SliceKey:
        return (frame, self.low, OPEN if self.high is None else self.high)


@dataclass(frozen=True, slots=True)
class TruncatedCodeSlice:
    """A slice listed as it was, though GitHub said it is not the whole truth."""

    frame: str
    size: SizeRange
    reason: str  # "over-cap" (more than 1000 results) or "incomplete" (GitHub timed out)
    reported: int  # total_count GitHub gave
    listed: int  # results listed

    def describe(self) -> str:
        what = "incomplete results" if self.reason == "incomplete" else "over 1000 results"
        where = self.size.qualifier() or "no size qualifier"
        return f"{self.frame} {where} ({what}: {self.listed} listed of {self.reported} reported)"

    def to_json(self) -> dict[str, Any]:
        return {
            "frame": self.frame,
            "size": self.size.qualifier(),
            "reason": self.reason,
            "reported": self.reported,
            "listed": self.listed,
        }


class SliceJournal(Protocol):
    """Where listed slices are kept so a killed crawl resumes (the crawl's checkpoint)."""

    splits: set[SliceKey]
    slices: dict[SliceKey, list[dict[str, Any]]]
    truncated: dict[SliceKey, tuple[str, int]]

    def record_split(self, key: SliceKey) -> None: ...

    def record_slice(
        self, key: SliceKey, repos: list[dict[str, Any]], truncated: tuple[str, int] | None
    ) -> None: ...


@dataclass
class MemoryJournal:
    """A journal kept in memory only: a listing that is not resumed."""

    splits: set[SliceKey] = field(default_factory=set)
    slices: dict[SliceKey, list[dict[str, Any]]] = field(default_factory=dict)
    truncated: dict[SliceKey, tuple[str, int]] = field(default_factory=dict)

    def record_split(self, key: SliceKey) -> None:
        self.splits.add(key)

    def record_slice(
        self, key: SliceKey, repos: list[dict[str, Any]], truncated: tuple[str, int] | None
    ) -> None:
        self.slices[key] = repos
        if truncated is not None:
            self.truncated[key] = truncated


@dataclass
class CodeSearchStats:
    """Counters of one query's listing; requests made by an earlier, interrupted run excluded."""

    requests: int = 0  # HTTP requests to /search/code, retries included
    slices: int = 0  # size ranges listed (leaves of the halving)
    splits: int = 0  # ranges halved
    restored_slices: int = 0  # of `slices`, taken from the journal
    reported: int = 0  # total_count of the unsliced query (files, not repositories)
    files: int = 0  # results listed over all slices
    repositories: int = 0


@dataclass(frozen=True, slots=True)
class CodeListing:
    """What one code-search query found: each repository once, sorted, and what was cut."""

    frame: str
    repositories: tuple[str, ...]
    truncated: tuple[TruncatedCodeSlice, ...]


def frame_of(query: str) -> str:
    """The frame's name in the dataset's `frames` column: `code:` and the query."""
    return FRAME_PREFIX + normalise_query(query)


def normalise_query(query: str) -> str:
    """`query` with its whitespace collapsed; `CodeSearchError` if it cannot be a frame."""
    cleaned = " ".join(query.split())
    if not cleaned:
        raise CodeSearchError("an empty code search query")
    if ";" in cleaned:
        raise CodeSearchError(
            f"code search {cleaned!r}: ';' separates frames in the dataset; leave it out "
            "(code search ignores punctuation)"
        )
    if re.search(r"(^|\s)-?size:", cleaned):
        raise CodeSearchError(
            f"code search {cleaned!r}: size: is reserved for slicing the search by file size"
        )
    return cleaned


def list_code_search(
    client: GithubClient,
    query: str,
    journal: SliceJournal | None = None,
    *,
    per_page: int = 100,
    progress: Callable[[str], None] = lambda message: None,
    stats: CodeSearchStats | None = None,
) -> CodeListing:
    """Every repository `GET /search/code` finds for `query`, slicing by file size as needed."""
    query = normalise_query(query)
    frame = FRAME_PREFIX + query
    journal = journal if journal is not None else MemoryJournal()
    stats = stats if stats is not None else CodeSearchStats()
    found: set[str] = set()
    truncated: list[TruncatedCodeSlice] = []
    # Depth first, halves in order: the same work order on every run, resumed or not.
    work: deque[SizeRange] = deque([SizeRange(0)])
    while work:
        size = work.popleft()
        key = size.key(frame)
        halves = size.halves()
        if key in journal.splits and halves:
            stats.splits += 1
            work.extendleft(reversed(halves))
            continue
        if key in journal.slices:
            names = [str(item["full_name"]) for item in journal.slices[key]]
            stats.restored_slices += 1
            if key in journal.truncated:
                reason, reported = journal.truncated[key]
                truncated.append(TruncatedCodeSlice(frame, size, reason, reported, len(names)))
        else:
            listed = _list_slice(client, query, size, halves is not None, per_page, stats)
            if listed is None:
                journal.record_split(key)
                stats.splits += 1
                assert halves is not None
                work.extendleft(reversed(halves))
                continue
            names, cut = listed
            if cut is not None:
                slice_ = TruncatedCodeSlice(frame, size, cut[0], cut[1], len(names))
                truncated.append(slice_)
                progress(f"warning: truncated slice: {slice_.describe()}")
            journal.record_slice(key, [{"full_name": name} for name in names], cut)
        stats.slices += 1
        stats.files += len(names)
        found.update(names)
        if stats.slices % 10 == 0:
            progress(f"{frame}: {stats.slices} slices, {len(found)} repositories")
    stats.repositories = len(found)
    return CodeListing(frame, tuple(sorted(found)), tuple(truncated))


def _list_slice(
    client: GithubClient,
    query: str,
    size: SizeRange,
    splittable: bool,
    per_page: int,
    stats: CodeSearchStats,
) -> tuple[list[str], tuple[str, int] | None] | None:
    """The repository of every result of one slice (one per result, in order) and its
    truncation `(reason, reported)`; None when the slice should be split instead."""
    search = " ".join(part for part in (query, size.qualifier()) if part)
    params: dict[str, Any] = {"q": search, "per_page": per_page}
    total, incomplete, names, next_url = _page(client, "/search/code", params, stats)
    if size == SizeRange(0):
        stats.reported = total
    # A search GitHub could not finish is cheaper narrower, unless one page holds it already.
    if splittable and (total > SEARCH_CAP or (incomplete and total > per_page)):
        return None
    while next_url:
        _, partial, more, next_url = _page(client, next_url, None, stats)
        incomplete = incomplete or partial
        names.extend(more)
    if total > SEARCH_CAP:
        return names, ("over-cap", total)
    if incomplete:
        return names, ("incomplete", total)
    return names, None


def _page(
    client: GithubClient, url: str, params: dict[str, Any] | None, stats: CodeSearchStats
) -> tuple[int, bool, list[str], str | None]:
    """(total_count, incomplete_results, repository of each result, next page's URL)."""
    before = client.stats.requests
    try:
        headers, data = client.get(url, params, resource=CODE_SEARCH)
    except GithubApiError as error:
        if error.status == 401:
            raise CodeSearchNeedsToken(
                f"{error}: GitHub's code search needs a token (set GITHUB_TOKEN)"
            ) from None
        raise
    finally:
        stats.requests += client.stats.requests - before
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise CodeSearchError("GET /search/code: the answer has no list of items")
    names = []
    for item in items:
        repository = item.get("repository") if isinstance(item, dict) else None
        name = repository.get("full_name") if isinstance(repository, dict) else None
        if not isinstance(name, str) or "/" not in name:
            raise CodeSearchError("GET /search/code: a result names no repository")
        names.append(name)
    assert isinstance(data, dict)
    return (
        int(data.get("total_count") or 0),
        bool(data.get("incomplete_results")),
        names,
        next_link(headers.get("link", "")),
    )


def describe_repository(client: GithubClient, full_name: str) -> tuple[dict[str, Any], str]:
    """`GET /repos/{full_name}`: (the repository object, "") or ({}, why there is none).

    A renamed repository answers under its new name: callers key by the answer's full_name.
    """
    try:
        _, data = client.get(f"/repos/{urllib.parse.quote(full_name)}", resource=CORE)
    except GithubApiError as error:
        if error.status in UNDESCRIBABLE and not error.gave_up:
            return {}, str(error).partition(" failed: ")[2] or str(error)
        raise
    if not isinstance(data, dict) or not isinstance(data.get("full_name"), str):
        return {}, "repository answer without a full_name"
    return data, ""


def next_link(link: str) -> str | None:
    for part in link.split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None
