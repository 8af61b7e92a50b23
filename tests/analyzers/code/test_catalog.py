"""Tests generated from the catalog: every entry's example must resolve to that entry."""

from __future__ import annotations

import pytest

from analyzers.code.analyze import analyze_bytes
from analyzers.code.catalog import OTHER, KeysRule, catalog_version, load_catalog
from analyzers.records import FileKind

CATALOG = load_catalog()
ENTRIES = sorted(CATALOG.entries.values(), key=lambda e: e.name)
FLAVOR_ENTRIES = list(CATALOG.flavor_entries())


@pytest.mark.parametrize("entry", ENTRIES + FLAVOR_ENTRIES, ids=lambda e: e.name)
def test_example_resolves_to_its_entry(entry) -> None:
    source = "import mlflow\n" + entry.example + "\n"
    calls = analyze_bytes(source.encode(), FileKind.SCRIPT).calls
    matching = [call for call in calls if call.api == entry.name]
    assert matching, f"{entry.name}: example reported {[c.api for c in calls]}"
    assert {call.dimension for call in matching} == {entry.dimension}
    if entry.keys is not None:
        assert tuple(entry.expect) in {call.keys for call in matching}


RETURNS = sorted(CATALOG.returns.values(), key=lambda row: row.factory)


@pytest.mark.parametrize("row", RETURNS, ids=lambda row: row.factory)
def test_returned_object_example_reports_a_call_on_the_object(row) -> None:
    source = "import mlflow\n" + row.example + "\n"
    calls = analyze_bytes(source.encode(), FileKind.SCRIPT).calls
    last_line = source.count("\n")
    assert row.expect in {call.api for call in calls if call.line == last_line}, calls
    assert row.expect.startswith(row.prefix + ".")
    expected_dimension = (
        CATALOG.lookup(row.expect).dimension if CATALOG.lookup(row.expect) else OTHER
    )
    assert {call.dimension for call in calls if call.api == row.expect} == {expected_dimension}
    if row.dimension is not None and row.expect not in CATALOG.entries:
        assert expected_dimension == row.dimension


@pytest.mark.parametrize("row", RETURNS, ids=lambda row: row.factory)
def test_a_factory_is_a_catalogued_api(row) -> None:
    assert CATALOG.lookup(row.factory) is not None, f"{row.factory} returns an object: list it"


def test_every_dimension_is_used_or_reserved() -> None:
    used = {entry.dimension for entry in ENTRIES} | set(CATALOG.flavor_functions.values())
    assert set(CATALOG.dimensions) - used <= {OTHER}


def test_required_dimensions_exist() -> None:
    required = {
        "parameters",
        "metrics",
        "artifacts",
        "models",
        "datasets",
        "tags",
        "run-lifecycle",
        "experiment-organisation",
        "tracking-setup",
        "autolog",
        "registry",
        "evaluation",
        "projects",
        "model-loading",
        "tracing",
        "prompts",
        OTHER,
    }
    assert required <= set(CATALOG.dimensions)


@pytest.mark.parametrize(
    ("internal", "canonical"),
    [
        ("mlflow.tracking.fluent.log_param", "mlflow.log_param"),
        ("mlflow.projects.run", "mlflow.run"),
        ("mlflow.tracking.MlflowClient", "mlflow.MlflowClient"),
        ("mlflow.tracking.client.MlflowClient", "mlflow.MlflowClient"),
        ("mlflow.client.MlflowClient", "mlflow.MlflowClient"),
        ("mlflow.tracking.MlflowClient.log_metric", "mlflow.MlflowClient.log_metric"),
        ("mlflow.log_param", "mlflow.log_param"),
        ("mlflow.trackingx.y", "mlflow.trackingx.y"),
    ],
)
def test_internal_paths_are_normalised(internal: str, canonical: str) -> None:
    assert CATALOG.canonical(internal) == canonical


@pytest.mark.parametrize(
    ("rule", "call", "keys"),
    [
        ("key@0", 'f("a", 1)', ("a",)),
        ("key@0", "f(key='b', value=1)", ("b",)),
        ("key@1", 'f("run", "c", 1)', ("c",)),
        ("key@1", 'f(run_id, key="d")', ("d",)),
        ("key@0", "f(name, 1)", ()),
        ("key@0", "f(*args)", ()),
        ("{params}@0", 'f({"x": 1, "a": 2})', ("a", "x")),
        ("{params}@0", "f(params=dict(z=1))", ("z",)),
        ("{params}@0", "f(p)", ()),
        ("{params}@0", 'f({k: 1, "y": 2})', ("y",)),
    ],
)
def test_keys_rules(rule: str, call: str, keys: tuple[str, ...]) -> None:
    import libcst as cst

    node = cst.parse_expression(call)
    assert isinstance(node, cst.Call)
    assert KeysRule.parse(rule).extract(node) == keys


def test_catalog_version_without_parsing_is_the_parsed_catalogs() -> None:
    assert catalog_version() == load_catalog().version
