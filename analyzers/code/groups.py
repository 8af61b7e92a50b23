"""Named groups of MLflow APIs and tag keys: the catalog's `[groups]` table, loaded and checked.

A study's statistics ask the catalog for a group by name (`load_catalog().group("log-params")`)
instead of spelling API names, so the catalog stays the one place that names MLflow's API. A
member is a canonical name or a pattern, `PREFIX*` (every name starting with PREFIX) or
`*SUFFIX` (every name ending with SUFFIX); nothing else is a pattern.

Checked when the catalog loads: an `api` group's exact members are catalogued APIs (a flavor's
function counts) and each of its patterns matches at least one; a `tag` group's members are
MLflow system tag keys (under `mlflow.`). A typo is then an error, not an empty statistic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("api", "tag")
WILDCARD = "*"


@dataclass(frozen=True, slots=True)
class ApiGroup:
    """One named group: what it means and which names belong to it."""

    name: str
    description: str  #: one line; tables and the report quote it as the group's definition
    members: tuple[str, ...]  #: canonical names and `PREFIX*` / `*SUFFIX` patterns
    kind: str = "api"  #: `api` (canonical API names) or `tag` (MLflow tag keys)

    @property
    def names(self) -> frozenset[str]:
        """The exact names among the members."""
        return frozenset(member for member in self.members if WILDCARD not in member)

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(member[:-1] for member in self.members if member.endswith(WILDCARD))

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(member[1:] for member in self.members if member.startswith(WILDCARD))

    def matches(self, name: str) -> bool:
        return (
            name in self.names
            or name.startswith(self.prefixes)
            or (bool(self.suffixes) and name.endswith(self.suffixes))
        )


def is_pattern(member: str) -> bool:
    return WILDCARD in member


def _check_member(group: str, member: str) -> None:
    stars = member.count(WILDCARD)
    if stars > 1 or (stars == 1 and not (member.startswith("*") or member.endswith("*"))):
        raise ValueError(
            f"catalog: group {group}: {member!r} is not a name, PREFIX* or *SUFFIX pattern"
        )
    if member in (WILDCARD, ""):
        raise ValueError(f"catalog: group {group}: {member!r} would match everything")


def parse_groups(
    table: Mapping[str, Any], is_api: Callable[[str], bool], api_names: Iterable[str]
) -> dict[str, ApiGroup]:
    """The `[groups]` table as `ApiGroup`s, each checked against the catalog: `is_api(name)`
    says whether a name is catalogued, `api_names` lists them all (for patterns)."""
    names = tuple(api_names)
    groups: dict[str, ApiGroup] = {}
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise ValueError(f"catalog: group {name} must be a table ([groups.{name}])")
        unknown = set(spec) - {"description", "members", "kind"}
        if unknown:
            raise ValueError(f"catalog: group {name}: unknown key(s) {sorted(unknown)}")
        description = str(spec.get("description", "")).strip()
        if not description or "\n" in description:
            raise ValueError(f"catalog: group {name} needs a one-line description")
        kind = spec.get("kind", "api")
        if kind not in KINDS:
            raise ValueError(f"catalog: group {name}: kind {kind!r} is not one of {KINDS}")
        members = tuple(spec.get("members", ()))
        if not members:
            raise ValueError(f"catalog: group {name} has no members")
        for member in members:
            _check_member(name, member)
        group = ApiGroup(name, description, members, kind)
        _check_against_catalog(group, is_api, names)
        groups[name] = group
    return groups


def _check_against_catalog(
    group: ApiGroup, is_api: Callable[[str], bool], names: tuple[str, ...]
) -> None:
    if group.kind == "tag":
        outside = [member for member in group.members if not member.startswith("mlflow.")]
        if outside:
            raise ValueError(
                f"catalog: group {group.name}: tag keys {outside} are not MLflow tags (mlflow.*)"
            )
        return
    for member in group.members:
        if is_pattern(member):
            probe = ApiGroup(group.name, group.description, (member,))
            if not any(probe.matches(api) for api in names):
                raise ValueError(
                    f"catalog: group {group.name}: pattern {member!r} matches no catalogued API"
                )
        elif not is_api(member):
            raise ValueError(f"catalog: group {group.name}: {member} is not a catalogued API")
