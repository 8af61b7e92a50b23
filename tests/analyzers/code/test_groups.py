"""The catalog's `[groups]`: named API sets the study asks for, checked when the catalog loads."""

from __future__ import annotations

import re

import pytest

from analyzers.code.catalog import CATALOG_PATH, _load, _version, load_catalog
from analyzers.code.groups import ApiGroup

CATALOG = load_catalog()
DATA = CATALOG_PATH.read_bytes()
API_NAMES = [*CATALOG.entries, *(entry.name for entry in CATALOG.flavor_entries())]


@pytest.mark.parametrize("group", sorted(CATALOG.groups.values(), key=lambda g: g.name), ids=str)
def test_every_group_is_described_and_matches_something(group: ApiGroup) -> None:
    assert group.description
    assert "\n" not in group.description
    if group.kind == "api":
        assert any(group.matches(name) for name in API_NAMES)


@pytest.mark.parametrize(
    ("group", "name", "member"),
    [
        ("autolog", "mlflow.autolog", True),
        ("autolog", "mlflow.sklearn.autolog", True),
        ("autolog", "mlflow.pyspark.ml.autolog", True),
        ("autolog", "mlflow.autologging", False),
        ("client", "mlflow.MlflowClient.log_metric", True),
        ("client", "mlflow.MlflowClient", False),
        ("log-model", "mlflow.sklearn.log_model", True),
        ("log-model", "mlflow.register_model", False),
        ("log-params", "mlflow.log_param", True),
        ("log-params", "mlflow.MlflowClient.log_batch", False),
        ("source-tags", "mlflow.source.git.commit", True),
        ("source-tags", "mlflow.runName", False),
        ("source-git-tags", "mlflow.source.git.branch", True),
        ("source-git-tags", "mlflow.source.name", False),
    ],
    ids=lambda value: str(value),
)
def test_membership(group: str, name: str, member: bool) -> None:
    assert CATALOG.group(group).matches(name) is member


def test_every_registry_api_on_models_or_versions_is_in_model_registry() -> None:
    """The registry dimension also holds webhooks, MCP servers and skills; an API added there
    that speaks of registered models or model versions must be classified."""
    speaks = re.compile(r"registered_model|model_version|register_model|latest_versions")
    registry = [e.name for e in CATALOG.entries.values() if e.dimension == "registry"]
    expected = {name for name in registry if speaks.search(name)}
    assert set(CATALOG.group("model-registry").members) == expected


def test_an_unknown_group_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no group 'log-everything'"):
        CATALOG.group("log-everything")


def with_group(body: str) -> bytes:
    return DATA + f"\n[groups.probe]\n{body}\n".encode()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('description = "x"\nmembers = ["mlflow.log_everything"]', "not a catalogued API"),
        ('description = "x"\nmembers = ["*.log_everything"]', "matches no catalogued API"),
        ('description = "x"\nmembers = ["mlflow.*.autolog"]', "PREFIX\\* or \\*SUFFIX"),
        ('description = "x"\nmembers = ["*"]', "match everything"),
        ('description = "x"\nmembers = []', "no members"),
        ('members = ["mlflow.log_param"]', "one-line description"),
        ('description = "x"\nkind = "tag"\nmembers = ["git.commit"]', "not MLflow tags"),
        ('description = "x"\nkind = "call"\nmembers = ["mlflow.log_param"]', "kind 'call'"),
        ('description = "x"\nmembers = ["mlflow.log_param"]\nexample = 1', "unknown key"),
    ],
    ids=[
        "unknown-api",
        "pattern-matching-nothing",
        "star-inside",
        "bare-star",
        "no-members",
        "no-description",
        "tag-outside-mlflow",
        "unknown-kind",
        "unknown-key",
    ],
)
def test_a_bad_group_fails_the_catalog(body: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        _load(with_group(body))


def test_groups_must_be_the_last_table() -> None:
    data = DATA + b'\n[api.other]\n"mlflow.nothing" = { example = "mlflow.nothing()" }\n'
    with pytest.raises(ValueError, match="must be the last table"):
        _load(data)


def test_groups_are_not_part_of_the_catalog_version() -> None:
    """Editing a group sends no cached analysis back to the parser; editing an API does."""
    extra = with_group('description = "x"\nmembers = ["mlflow.log_param"]')
    assert _load(extra).groups["probe"].members == ("mlflow.log_param",)
    assert _version(extra) == _version(DATA) == CATALOG.version
    changed = DATA.replace(b'"mlflow.log_param" = {', b'"mlflow.log_param" = { keys = "k@0",', 1)
    assert changed != DATA
    assert _version(changed) != _version(DATA)
