"""Template copies and near-duplicates: repositories that share most of their code, grouped.

Two repositories are near-duplicates when each holds at least `threshold` (default 0.8) of the
other's analysed Python and notebook content, counted in distinct git blob SHAs: |A ∩ B| ≥
threshold·|A| and |A ∩ B| ≥ threshold·|B|. A cluster is a connected group of such pairs. Its
representative is the earliest created repository, then the one with most stars, then the
first by name; every other member has `duplicate_of` set to it. A repository with no analysed
file, or sharing too little with every other, is a cluster of one.

The empty file (blob e69de29...) is left out: every empty `__init__.py` would otherwise make
small repositories look alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_THRESHOLD = 0.8
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


@dataclass(frozen=True, slots=True)
class Member:
    """A repository as the clustering sees it."""

    repo: str
    blobs: frozenset[str]
    created_at: str = ""  # ISO 8601, UTC; empty when unknown (sorts last)
    stars: int = 0


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a repository landed: its representative ("" for one) and its cluster's size."""

    duplicate_of: str
    cluster_size: int


def near_duplicates(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    shared = len(a & b)
    return shared > 0 and shared >= threshold * len(a) and shared >= threshold * len(b)


def cluster(
    members: Iterable[Member], threshold: float = DEFAULT_THRESHOLD
) -> dict[str, Placement]:
    """A placement for every member; members are keyed by `repo` (the last one wins)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"the duplicate threshold must be in (0, 1], not {threshold}")
    by_name = {member.repo: _without_empty(member) for member in members}
    parent = {name: name for name in by_name}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for a, b in _pairs(by_name, threshold):
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for name in by_name:
        groups[root(name)].append(name)
    placements = {}
    for names in groups.values():
        leader = min(names, key=lambda name: _seniority(by_name[name]))
        for name in names:
            placements[name] = Placement("" if name == leader else leader, len(names))
    return placements


def _without_empty(member: Member) -> Member:
    if EMPTY_BLOB not in member.blobs:
        return member
    return Member(member.repo, member.blobs - {EMPTY_BLOB}, member.created_at, member.stars)


def _pairs(members: Mapping[str, Member], threshold: float) -> Iterable[tuple[str, str]]:
    """Every near-duplicate pair, each once: candidates share a blob (an inverted index), the
    test is exact."""
    holders: dict[str, list[str]] = defaultdict(list)
    for name in sorted(members):
        for blob in members[name].blobs:
            holders[blob].append(name)
    for name in sorted(members):
        blobs = members[name].blobs
        shared: Counter[str] = Counter()
        for blob in blobs:
            shared.update(other for other in holders[blob] if other > name)
        for other, count in shared.items():
            size = len(members[other].blobs)
            if count >= threshold * len(blobs) and count >= threshold * size:
                yield name, other


def _seniority(member: Member) -> tuple[bool, str, int, str]:
    """Earliest created first (unknown last), then most stars, then name."""
    return (not member.created_at, member.created_at, -member.stars, member.repo)
