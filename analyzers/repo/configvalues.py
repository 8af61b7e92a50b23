"""Values a repository keeps in configuration files, found by the key the code reads them by.

`mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)` holds no literal: the value is in a YAML,
TOML, JSON, `.env` or `.ini` file of the repository (a Hydra tree, a settings file, a kedro
`mlflow.yml`). The analyzer records such an argument's reference (`cfg.mlflow.tracking_uri`,
`config["mlflow"]["tracking_uri"]`, a `.get(key, default)` chain); this module indexes every
key path of the checkout's configuration files with its value and line, and gives a reference
the value whose key path ends the way the reference does (the longest common ending wins,
then files nearest a configuration folder, then path order). Only text values are kept; OmegaConf
interpolations that read the environment become `env:NAME` (or their default).

Nothing is run or imported; a file that does not parse contributes nothing.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import yaml

from analyzers.code.uris import redact_uri
from analyzers.records import Fact
from analyzers.repo.files import ALWAYS_SKIPPED, VENDORED_DIRS

MAX_CONFIG_BYTES = 1024 * 1024
_SUFFIXES = (".yaml", ".yml", ".toml", ".json", ".cfg", ".ini", ".env")
_SKIPPED_NAMES = frozenset({"package.json", "package-lock.json", "tsconfig.json", "uv.lock"})
_CONFIG_DIRS = frozenset({"conf", "config", "configs", "settings", "env", "envs"})
_OC_ENV = re.compile(r"^\$\{(?:oc\.env|env):([A-Za-z_][A-Za-z0-9_]*)(?:,([^}]*))?\}$")
_LOCATION_FACTS = frozenset({"tracking-uri", "registry-uri"})
_SELF = frozenset({"self", "cls"})
# What a tracking or registry location looks like: a URI, a scheme, a path, a variable.
_LOCATION_LIKE = re.compile(
    r"^(?:env:|databricks|[A-Za-z][A-Za-z0-9+.\-]*://|sqlite:|file:|\.{0,2}/|~/|[^\s]*mlruns)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ConfigValue:
    keys: tuple[str, ...]  #: lowercased key path, outermost first
    value: str
    path: str
    line: int | None


def _interpolated(value: str) -> str:
    """`${oc.env:NAME}` -> `env:NAME`; `${oc.env:NAME,default}` -> the default."""
    match = _OC_ENV.match(value.strip())
    if match is None:
        return value
    default = (match[2] or "").strip().strip("'\"")
    return default if default and default.lower() != "null" else f"env:{match[1]}"


def _yaml_values(text: str, path: str) -> Iterator[ConfigValue]:
    try:
        roots = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return
    for root in roots:
        yield from _yaml_node(root, (), path)


def _yaml_node(node: object, keys: tuple[str, ...], path: str) -> Iterator[ConfigValue]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield from _yaml_node(value, (*keys, str(key.value).lower()), path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _yaml_node(item, keys, path)
    elif (
        isinstance(node, yaml.ScalarNode)
        and keys
        and isinstance(node.value, str)
        and node.tag.endswith(":str")
        and node.value.strip()
    ):
        yield ConfigValue(keys, _interpolated(node.value), path, node.start_mark.line + 1)


def _line_of(text: str, key: str) -> int | None:
    """The first line naming `key` as a key (for formats whose parser gives no positions)."""
    pattern = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*[=:]""", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return number
    return None


def _mapping_values(
    data: object, keys: tuple[str, ...], path: str, text: str
) -> Iterator[ConfigValue]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _mapping_values(value, (*keys, str(key).lower()), path, text)
    elif isinstance(data, str) and keys and data.strip():
        yield ConfigValue(keys, _interpolated(data), path, _line_of(text, keys[-1]))


def _dotenv_values(text: str, path: str) -> Iterator[ConfigValue]:
    for number, line in enumerate(text.splitlines(), start=1):
        key, equals, value = line.strip().removeprefix("export ").partition("=")
        if equals and key.strip().isidentifier() and value.strip():
            yield ConfigValue((key.strip().lower(),), value.strip().strip("'\""), path, number)


def _ini_values(text: str, path: str) -> Iterator[ConfigValue]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    for section in parser.sections():
        for key, value in parser.items(section, raw=True):
            if value.strip():
                keys = (section.lower(), key.lower())
                yield ConfigValue(keys, value.strip(), path, _line_of(text, key))


def file_values(path: str, text: str) -> Iterator[ConfigValue]:
    """Every text value of one configuration file, with its key path."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith((".yaml", ".yml")):
        yield from _yaml_values(text, path)
    elif name.endswith(".toml"):
        try:
            yield from _mapping_values(tomllib.loads(text), (), path, text)
        except tomllib.TOMLDecodeError:
            return
    elif name.endswith(".json"):
        try:
            yield from _mapping_values(json.loads(text), (), path, text)
        except ValueError:
            return
    elif name.endswith((".cfg", ".ini")):
        yield from _ini_values(text, path)
    elif name.startswith(".env") or name.endswith(".env"):
        yield from _dotenv_values(text, path)


def _is_config(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1].lower()
    if name in _SKIPPED_NAMES:
        return False
    return name.endswith(_SUFFIXES) or name.startswith(".env")


def _config_files(root: str) -> Iterator[tuple[str, str]]:
    """(relative path, text) of the checkout's configuration files on disk, vendored trees,
    symlinks and large files skipped."""
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if d not in VENDORED_DIRS and d not in ALWAYS_SKIPPED and d != ".git"
        )
        for name in sorted(names):
            full = os.path.join(directory, name)
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            if not _is_config(relative) or os.path.islink(full):
                continue
            try:
                if os.path.getsize(full) > MAX_CONFIG_BYTES:
                    continue
                with open(full, encoding="utf-8", errors="replace") as handle:
                    yield relative, handle.read()
            except OSError:
                continue


def reference_keys(reference: str) -> tuple[str, ...]:
    """`self.config.mlflow.tracking_uri` -> (config, mlflow, tracking_uri), lowercased."""
    parts = [part.lower() for part in reference.split(".") if part]
    while parts and parts[0] in _SELF:
        parts.pop(0)
    return tuple(parts)


def _common_ending(a: Sequence[str], b: Sequence[str]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


class ConfigIndex:
    """The configuration values of one checkout, read on first use."""

    def __init__(self, root: str) -> None:
        self.root = root

    @cached_property
    def values(self) -> list[ConfigValue]:
        if not self.root:  # a single file was scanned: no repository around it
            return []
        return [
            value for path, text in _config_files(self.root) for value in file_values(path, text)
        ]

    def lookup(self, reference: str) -> ConfigValue | None:
        """The value whose key path ends like `reference`: the longest common ending, then a
        file in a configuration folder, then path order; the last key must match (or the key
        end in `_<last>`, as `MLFLOW_TRACKING_URI` ends in `tracking_uri`)."""
        keys = reference_keys(reference)
        if not keys:
            return None
        best: tuple[tuple[int, int, int], ConfigValue] | None = None
        for order, value in enumerate(self.values):
            common = _common_ending(keys, value.keys)
            if common == 0 and not value.keys[-1].endswith("_" + keys[-1]):
                continue
            if common < 2 and not _LOCATION_LIKE.match(value.value):
                continue  # one key in common is evidence only for a value that is a location
            in_config = any(part in _CONFIG_DIRS for part in value.path.split("/")[:-1])
            rank = (common, int(in_config), -order)
            if best is None or rank > best[0]:
                best = (rank, value)
        return best[1] if best is not None else None


def resolve_facts(
    facts: Sequence[Fact], index: ConfigIndex, path: str, prefix: str = ""
) -> tuple[Fact, ...]:
    """Each fact with its value's origin: a location fact the code reads from a configuration
    file by key takes the file's value (`source_path`, `source_line`); any other fact keeps
    its value, found in `path` at its own line. `prefix` makes the scanned folder's paths
    relative to the repository root (`checkout.Layout`)."""
    resolved = []
    for fact in facts:
        origin = replace(
            fact,
            source_path=prefix + (fact.source_path or path),
            source_line=fact.source_line or fact.line,
        )
        if fact.fact in _LOCATION_FACTS and fact.reference:
            found = index.lookup(fact.reference)
            if found is not None:
                origin = replace(
                    origin,
                    value=redact_uri(found.value),
                    source_path=prefix + found.path,
                    source_line=found.line,
                )
        resolved.append(origin)
    return tuple(resolved)
