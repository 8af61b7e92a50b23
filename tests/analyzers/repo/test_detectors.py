"""Tests generated from the detectors' own examples, and the registry's meta-tests."""

from __future__ import annotations

import re

import pytest

from analyzers.repo.detectors import DETECTORS, Detector, Example, detect_file
from analyzers.repo.detectors.base import ECOSYSTEM, SIGNALS
from analyzers.repo.detectors.requirements import parse_requirement
from analyzers.schema import ECOSYSTEM_TOOLS, PIPELINE

SIGNAL_NAMES = re.findall(r"`([a-z-]+)`", PIPELINE["signals"].column("signal").description)


def cases(kind: str) -> list[tuple[Detector, Example]]:
    return [(d, example) for d in DETECTORS for example in getattr(d, kind)]


def case_id(case: tuple[Detector, Example]) -> str:
    detector, example = case
    return f"{detector.id}-{example.path}-{example.text[:24]!r}"


def found_by(detector: Detector, example: Example) -> list[tuple[str, str, str]]:
    """What `detector` finds in the example, read as the walk reads it."""
    findings = detect_file(example.path, example.text.encode(), (detector,))
    return [(finding.table, finding.name, finding.value) for finding in findings]


@pytest.mark.parametrize("case", cases("finds"), ids=case_id)
def test_the_detector_finds_what_its_example_says(case: tuple[Detector, Example]) -> None:
    detector, example = case
    assert detector.reads(example.path)
    assert found_by(detector, example) == list(example.finds)


@pytest.mark.parametrize("case", cases("ignores"), ids=case_id)
def test_the_detector_finds_nothing_more_in_its_counter_example(
    case: tuple[Detector, Example],
) -> None:
    detector, example = case
    assert found_by(detector, example) == list(example.finds)


@pytest.mark.parametrize("detector", DETECTORS, ids=lambda d: d.id)
def test_every_detector_is_described_with_examples_of_both_kinds(detector: Detector) -> None:
    assert detector.description.strip()
    assert detector.patterns
    assert detector.finds
    assert detector.ignores
    assert all(example.finds for example in detector.finds)


def test_ids_are_consecutive() -> None:
    assert [d.id for d in DETECTORS] == [f"D{i:02d}" for i in range(1, len(DETECTORS) + 1)]


def test_the_examples_cover_every_tool_and_every_signal() -> None:
    found = {(t, name) for d in DETECTORS for e in d.finds for t, name, _ in e.finds}
    assert {name for table, name in found if table == ECOSYSTEM} == set(ECOSYSTEM_TOOLS)
    assert {name for table, name in found if table == SIGNALS} == set(SIGNAL_NAMES)


def test_a_file_is_found_by_its_name_when_its_content_is_missing() -> None:
    """A file the sparse checkout left out, or one over the size limit."""
    found = {(f.table, f.name, f.value) for f in detect_file("environment-gpu.yml", None)}
    assert found == {(SIGNALS, "env-file", "conda"), (ECOSYSTEM, "conda", "environment.yml")}
    assert list(detect_file("train.py", None)) == []


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("mlflow==2.16.2", ("mlflow", "==2.16.2")),
        (
            "MLflow_Skinny [extras] >= 2.0 , < 3 ; python_version>'3.8'",
            ("mlflow-skinny", ">=2.0,<3"),
        ),
        ("mlflow>=2.9,<3", ("mlflow", ">=2.9,<3")),
        ("mlflow<3,>=2.9", ("mlflow", "<3,>=2.9")),
        ("mlflow (==2.*)", ("mlflow", "==2.*")),
        ("mlflow @ https://example.invalid/mlflow.whl", ("mlflow", "")),
        ("mlflow  # pinned elsewhere", ("mlflow", "")),
        ("mlflow=2.3", None),
        ("mlflow 2.3", None),
        ("-r requirements-base.txt", None),
        ("", None),
    ],
)
def test_requirements_are_read_by_packaging_in_the_order_written(
    text: str, parsed: tuple[str, str] | None
) -> None:
    assert parse_requirement(text) == parsed
