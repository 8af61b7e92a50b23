"""Sampling frames beside topics: code searches merged into the crawl, each repository once.

A frame is a way of finding repositories: `topic:NAME` (a repository search by topic, in
`mining.github.search`) or `code:QUERY` (a code search, `mining.github.code_search`). The crawl
lists every frame, then keeps one row per repository with every frame that found it. Code
search names repositories only; the rest of their description (stars, dates, fork, archived,
default branch, topics) is read from `GET /repos/{owner}/{name}` for those no topic search
described, once, and kept in the crawl's checkpoint so a resumed crawl asks nothing again.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mining.github.client import GithubClient
from mining.github.code_search import (
    CodeSearchStats,
    SliceJournal,
    TruncatedCodeSlice,
    describe_repository,
    frame_of,
    list_code_search,
)

TOPIC = "topic:"
# What a dataset row reads from a repository object (ListedRepo.from_api): all a checkpoint keeps.
KEPT = (
    "full_name",
    "html_url",
    "clone_url",
    "default_branch",
    "stargazers_count",
    "forks_count",
    "size",
    "language",
    "topics",
    "license",
    "created_at",
    "pushed_at",
    "archived",
    "fork",
    "description",
)

Listed = MutableMapping[str, tuple[Any, set[str]]]  # full_name -> (ListedRepo, frames)


class Descriptions(SliceJournal, Protocol):
    """The checkpoint's record of repositories described by `GET /repos/{owner}/{name}`."""

    described: dict[str, tuple[dict[str, Any] | None, str]]

    def record_description(self, name: str, repo: dict[str, Any] | None, note: str) -> None: ...


@dataclass
class FrameStats:
    """What the code-search frames cost and found in one run."""

    code: dict[str, CodeSearchStats] = field(default_factory=dict)  # frame -> its listing
    truncated: list[TruncatedCodeSlice] = field(default_factory=list)  # restored ones included
    describe_requests: int = 0
    restored_descriptions: int = 0


def topic_frame(topic: str) -> str:
    return TOPIC + topic


def frame_order(frame: str) -> tuple[int, str]:
    """Topics first, then code searches, each by name."""
    return (0 if frame.startswith(TOPIC) else 1, frame)


def add_code_searches(
    client: GithubClient,
    queries: tuple[str, ...],
    journal: Descriptions,
    listed: Listed,
    from_api: Callable[[dict[str, Any]], Any],
    *,
    per_page: int,
    progress: Callable[[str], None],
    stats: FrameStats,
) -> dict[str, str]:
    """List every code search into `listed`; return why repositories that code search found
    could not be described (full_name -> note), which are listed with `from_api` of their
    name only."""
    notes: dict[str, str] = {}
    by_lower = {name.lower(): name for name in listed}
    for query in queries:
        frame = frame_of(query)
        counted = stats.code.setdefault(frame, CodeSearchStats())
        listing = list_code_search(
            client, query, journal, per_page=per_page, progress=progress, stats=counted
        )
        stats.truncated.extend(listing.truncated)
        for found in listing.repositories:
            name = by_lower.get(found.lower())
            if name is None:
                repo, note = _describe(client, journal, found, stats)
                if note:
                    progress(f"{found}: no description ({note})")
                    notes[found] = note
                name = by_lower.setdefault(repo["full_name"].lower(), repo["full_name"])
                listed.setdefault(name, (from_api(repo), set()))
            listed[name][1].add(frame)
        progress(
            f"{frame}: {len(listing.repositories)} repositories from {counted.files} results "
            f"in {counted.slices} slices ({counted.splits} splits, "
            f"{len(listing.truncated)} truncated)"
        )
    return notes


def _describe(
    client: GithubClient, journal: Descriptions, name: str, stats: FrameStats
) -> tuple[dict[str, Any], str]:
    """The repository object (its name only, when it cannot be read) and why not."""
    if name in journal.described:
        stats.restored_descriptions += 1
        data, note = journal.described[name]
    else:
        before = client.stats.requests
        try:
            answer, note = describe_repository(client, name)
        finally:
            stats.describe_requests += client.stats.requests - before
        data = {key: answer[key] for key in KEPT if key in answer} or None
        journal.record_description(name, data, note)
    return (data or {"full_name": name, "html_url": f"https://github.com/{name}"}), note
