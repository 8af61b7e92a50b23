"""Replaying a walked history: which dimensions each commit's tree has, and when each one
appeared, went and came back.

Each commit's candidate files and their features (from `mining.git.versions.BlobFeatures`)
are replayed in walk order: a commit starts from its first parent's tree (copied only when the
parent has other children still to come), applies its changes, and what its tree has is
compared with its parent's. A parent outside the walked window (caps) starts from its own tree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from analyzers.code.catalog import load_catalog
from analyzers.records import RepoRef
from mining.git.versions import CALL, DEPENDENCY, MLFLOW, candidate_kinds


@dataclass(slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    time: int
    changes: list[tuple[str, str]] = field(default_factory=list)  # (path, blob or "")


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _State:
    """The candidate files of one commit's tree and what each contributes."""

    __slots__ = ("counts", "files")

    def __init__(
        self, files: dict[str, frozenset[str]] | None = None, counts: Counter[str] | None = None
    ) -> None:
        self.files: dict[str, frozenset[str]] = files if files is not None else {}
        self.counts: Counter[str] = counts if counts is not None else Counter()

    def copy(self) -> _State:
        return _State(dict(self.files), Counter(self.counts))

    def set(self, path: str, features: frozenset[str] | None) -> None:
        old = self.files.pop(path, frozenset())
        self.counts.subtract(old)
        if features is not None:
            self.files[path] = features
            self.counts.update(features)

    def present(self) -> frozenset[str]:
        found = {feature for feature, n in self.counts.items() if n > 0}
        if CALL in found or DEPENDENCY in found:
            found.add(MLFLOW)
        return frozenset(found)


def _path_features(
    features: dict[tuple[str, str], frozenset[str]], path: str, blob: str
) -> frozenset[str]:
    return frozenset().union(
        *(features.get((blob, kind), frozenset()) for kind in candidate_kinds(path))
    )


def _starting_state(
    commit: Commit,
    states: dict[str, _State],
    children: Counter[str],
    base_states: dict[str, _State],
    at_start: set[str],
) -> tuple[_State, frozenset[str]]:
    """The tree a commit starts from (its first parent's, taken over by its last child) and
    what that tree has; a parent outside the walk counts as the start of the window."""
    parent = commit.parents[0] if commit.parents else ""
    if parent in states:
        children[parent] -= 1
        state = states.pop(parent) if children[parent] == 0 else states[parent].copy()
        return state, state.present()
    if parent in base_states:
        state = base_states[parent].copy()
        at_start |= state.present()
        return state, frozenset()
    return _State(), frozenset()


def _evidence(present: frozenset[str]) -> str:
    return "+".join(
        name for name, feature in (("call", CALL), ("dependency", DEPENDENCY)) if feature in present
    )


def replay(
    commits: list[Commit],
    bases: dict[str, dict[str, str]],
    features: dict[tuple[str, str], frozenset[str]],
    repo_ref: RepoRef,
    head: str,
    first_parent: bool,
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...], dict[str, Any]]:
    """(dimension rows, event rows, summary row) of a walk; its costs are the caller's."""
    children: Counter[str] = Counter(c.parents[0] for c in commits if c.parents)
    states: dict[str, _State] = {}
    base_states = {parent: _State() for parent in bases}
    for parent, files in bases.items():
        for path, blob in files.items():
            base_states[parent].set(path, _path_features(features, path, blob))
    events: list[tuple[int, str, str, Commit]] = []  # (order, dimension, event, commit)
    at_start: set[str] = set()
    head_present: frozenset[str] = frozenset()
    evidence_at: dict[str, str] = {}
    for order, commit in enumerate(commits):
        state, before = _starting_state(commit, states, children, base_states, at_start)
        for path, blob in commit.changes:
            state.set(path, _path_features(features, path, blob) if blob else None)
        after = state.present()
        for dimension in sorted(after - before):
            events.append((order, dimension, "added", commit))
        for dimension in sorted(before - after):
            events.append((order, dimension, "removed", commit))
        if MLFLOW in after - before:
            evidence_at[commit.sha] = _evidence(after)
        if commit.sha == head:
            head_present = after
        if children[commit.sha] > 0:
            states[commit.sha] = state
    public = [event for event in events if not event[1].startswith("mlflow-")]
    dimensions = _dimension_rows(public, at_start, head_present, repo_ref, head, first_parent)
    event_rows = tuple(
        {
            "repo": repo_ref.name,
            "commit": head,
            "dimension": dimension,
            "event": kind,
            "event_commit": commit.sha,
            "event_date": iso(commit.time),
        }
        for _order, dimension, kind, commit in public
    )
    first = next((row for row in dimensions if row["dimension"] == MLFLOW), None)
    oldest = commits[0] if commits else None
    head_commit = next((c for c in reversed(commits) if c.sha == head), None)
    summary = {
        "repo": repo_ref.name,
        "commit": head,
        "status": "walked",
        "detail": "",
        "walk": "first-parent" if first_parent else "all-parents",
        "commits_analysed": len(commits),
        "truncated": bool(bases),
        "oldest_commit": oldest.sha if oldest else "",
        "oldest_date": iso(oldest.time) if oldest else "",
        "head_date": iso(head_commit.time) if head_commit else "",
        "first_mlflow_commit": first["first_commit"] if first else "",
        "first_mlflow_date": first["first_date"] if first else "",
        "first_mlflow_evidence": evidence_at.get(first["first_commit"], "") if first else "",
    }
    return dimensions, event_rows, summary


def _dimension_rows(
    events: list[tuple[int, str, str, Commit]],
    at_start: set[str],
    head_present: frozenset[str],
    repo_ref: RepoRef,
    head: str,
    first_parent: bool,
) -> tuple[dict[str, Any], ...]:
    catalog_order = [MLFLOW, *load_catalog().dimensions]
    names = sorted(
        {dimension for _o, dimension, _k, _c in events},
        key=lambda name: (
            catalog_order.index(name) if name in catalog_order else len(catalog_order),
            name,
        ),
    )
    rows = []
    for name in names:
        mine = [event for event in events if event[1] == name]
        added = [event for event in mine if event[2] == "added"]
        # First-parent: the walk's order is the default branch's. All parents: the earliest
        # commit (by commit date) on any branch that had it.
        first = added[0] if first_parent else min(added, key=lambda e: (e[3].time, e[0]))
        removed = next(
            (event for event in mine if event[2] == "removed" and event[0] > first[0]), None
        )
        rows.append(
            {
                "repo": repo_ref.name,
                "commit": head,
                "dimension": name,
                "first_commit": first[3].sha,
                "first_date": iso(first[3].time),
                "removed_commit": removed[3].sha if removed else "",
                "removed_date": iso(removed[3].time) if removed else "",
                "present_at_head": name in head_present,
                "present_at_start": name in at_start,
                "removals": sum(1 for event in mine if event[2] == "removed"),
            }
        )
    return tuple(rows)
