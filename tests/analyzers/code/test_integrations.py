"""Tests generated from the catalog's `[integrations]`: every row's example is an indirect use
of MLflow on its last line (found through the pre-filter, resolved as names are, carried as an
`indirect-use` fact, never a call), every counter-example is none, and every alternative name
resolves to its row."""

from __future__ import annotations

import pytest

from analyzers.code.analyze import analyze_bytes
from analyzers.code.catalog import load_catalog
from analyzers.code.integrations import INDIRECT_USE, RECORDS, Condition, Integration, rows
from analyzers.records import FileKind

CATALOG = load_catalog()
ROWS = list(rows(CATALOG.integrations))


def uses(source: str, prefilter: bool = True) -> list[tuple[int, str, str]]:
    analysis = analyze_bytes(source.encode(), FileKind.SCRIPT, prefilter=prefilter)
    assert not analysis.calls, "an indirect use is never a direct call"
    return [(f.line, f.value, f.source) for f in analysis.facts if f.fact == INDIRECT_USE]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_example_is_an_indirect_use_on_its_last_line(row: Integration) -> None:
    last = row.example.count("\n") + 1
    assert uses(row.example) == [(last, row.integration, row.name)]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_counter_example_is_no_use(row: Integration) -> None:
    assert uses(row.ignore, prefilter=False) == []


@pytest.mark.parametrize(
    ("alias", "row"),
    [(alias, row) for alias, row in CATALOG.integrations.items() if alias != row.name],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_other_name_resolves_to_its_row(alias: str, row: Integration) -> None:
    module, _, name = alias.rpartition(".")
    call = f"{name}(" + ", ".join(f"{c.keyword}={c.value!r}" for c in row.when[:1]) + ")"
    if any(c.keyword == "mlflow" for c in row.when[:1]):  # settings.update({"mlflow": True})
        call = f"{name}({{'mlflow': True}})"
    source = f"from {module} import {name}\n{call}\n"
    assert uses(source) == [(2, row.integration, row.name)]


def test_every_row_records_known_things_and_has_markers() -> None:
    for row in ROWS:
        assert set(row.records) <= set(RECORDS)
        assert row.markers
        assert all(b"." not in marker for marker in row.markers)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import pytorch_lightning as pl\nlogger = pl.loggers.MLFlowLogger()\n", True),
        ("from lightning.pytorch import loggers\nloggers.mlflow.MLFlowLogger()\n", True),
        ("class MLFlowLogger:\n    pass\n\nMLFlowLogger()\n", False),  # not the library's
        (
            "from pytorch_lightning.loggers import MLFlowLogger\n"
            "def MLFlowLogger():\n    pass\nMLFlowLogger()\n",
            False,
        ),  # shadowed
        ("from transformers import TrainingArguments\nTrainingArguments(report_to='all')\n", False),
        (
            "from transformers import TrainingArguments\n"
            "TrainingArguments('out', report_to=('mlflow',))\n",
            True,
        ),
        ("from pycaret.regression import setup\nsetup(df, log_experiment=False)\n", False),
    ],
)
def test_resolution_follows_python_names(source: str, found: bool) -> None:
    assert bool(uses(source, prefilter=False)) is found


def test_a_logger_given_a_tracking_uri_gives_the_fact() -> None:
    source = (
        "from lightning.pytorch.loggers import MLFlowLogger\n"
        "logger = MLFlowLogger(tracking_uri='http://tracker:5000')\n"
    )
    facts = analyze_bytes(source.encode(), FileKind.SCRIPT).facts
    assert ("tracking-uri", "http://tracker:5000") in {(f.fact, f.value) for f in facts}


@pytest.mark.parametrize("text", ["report_to", "=mlflow", "report to=mlflow"])
def test_a_malformed_condition_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="KEYWORD=VALUE"):
        Condition.parse(text)
