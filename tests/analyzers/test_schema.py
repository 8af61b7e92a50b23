"""`analyzers.schema`: every table declared once, and every writer and reader agrees with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analyzers.records import CallSite, Fact, FileKind, FileResult, FileStatus, RepoRef
from analyzers.repo.ecosystem import ecosystem_rows
from analyzers.repo.outputs import call_rows, fact_rows, file_row
from analyzers.repo.signals import signal_rows
from analyzers.schema import (
    DICTIONARY,
    FILE_STATUSES,
    PIPELINE,
    ColumnType,
    Table,
    columns,
    study_tables,
)
from analyzers.study import load
from analyzers.study.aggregate import aggregate
from analyzers.study.load import load_study
from mining.git.clone import CloneResult, CloneStatus
from mining.github.search import ListedRepo, RepoRecord
from mining.study.run import RepoOutcome
from tests.conftest import make_git_repo
from tests.paths import STUDY

TABLES = [*PIPELINE.values(), *study_tables().values(), DICTIONARY]


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.file)
def test_every_column_is_named_once_typed_and_described(table: Table) -> None:
    assert len(set(table.names)) == len(table.names)
    for column in table.columns:
        assert column.description.strip(), f"{table.name}.{column.name}"
        assert isinstance(column.type, ColumnType)
        assert not column.nullable or column.type is ColumnType.INTEGER


def test_every_file_status_is_described() -> None:
    """A status added to `FileStatus` fails here until `FILE_STATUSES` says what it means."""
    assert list(FILE_STATUSES) == [status.value for status in FileStatus]


def test_the_scan_writes_exactly_the_declared_columns(tmp_path: Path) -> None:
    result = FileResult(
        "acme/a",
        "c0ffee",
        "train.py",
        FileKind.SCRIPT,
        FileStatus.ANALYZED,
        calls=(CallSite(1, 0, "mlflow.log_param", "parameters", ("lr",)),),
        facts=(Fact(2, 0, "tracking-uri", "sqlite:///m.db", "mlflow.set_tracking_uri"),),
    )
    assert tuple(file_row(result)) == columns("files")
    assert all(tuple(row) == columns("calls") for row in call_rows(result))
    assert all(tuple(row) == columns("facts") for row in fact_rows(result))
    sha = make_git_repo(
        tmp_path / "repo",
        {"MLproject": "name: x\nconda_env: conda.yaml\n", "dvc.yaml": "stages: {}\n"},
    )
    repo = RepoRef(str(tmp_path / "repo"), "acme/a", sha)
    signals, evidence = list(signal_rows(repo)), list(ecosystem_rows(repo))
    assert signals
    assert all(tuple(row) == columns("signals") for row in signals)
    assert evidence
    assert all(tuple(row) == columns("ecosystem") for row in evidence)


def test_the_mining_records_are_the_declared_rows() -> None:
    record = RepoRecord(ListedRepo.from_api({"full_name": "acme/a"}), "c0ffee", "2025", ("x",))
    assert set(record.as_row()) == set(columns("dataset"))
    clone = CloneResult("acme/a", "c0ffee", CloneStatus.CLONED)
    assert tuple(clone.as_row()) == columns("clones")
    assert tuple(RepoOutcome("acme/a", "c0ffee", "analyzed").as_row()) == columns("repos")


@pytest.mark.parametrize(
    ("table", "read"),
    [
        ("dataset", load.DATASET_COLUMNS),
        ("repos", load.REPOS_COLUMNS),
        ("files", load.FILES_COLUMNS),
        ("calls", load.CALLS_COLUMNS),
        ("signals", load.SIGNALS_COLUMNS),
        ("facts", load.FACTS_COLUMNS),
        ("ecosystem", load.ECOSYSTEM_INPUT_COLUMNS),
        ("history", load.HISTORY_INPUT_COLUMNS),
        ("history_events", load.EVENTS_INPUT_COLUMNS),
        ("history_summary", load.SUMMARY_INPUT_COLUMNS),
    ],
)
def test_the_study_reads_only_declared_columns(table: str, read: tuple[str, ...]) -> None:
    assert set(read) <= set(columns(table))


KINDS = {
    ColumnType.BOOLEAN: pd.api.types.is_bool_dtype,
    ColumnType.INTEGER: pd.api.types.is_integer_dtype,
    ColumnType.NUMBER: pd.api.types.is_float_dtype,
    ColumnType.TEXT: pd.api.types.is_string_dtype,
}


@pytest.mark.parametrize("emptied", [False, True], ids=["study", "study-without-inputs"])
def test_every_study_table_holds_its_declared_types(tmp_path: Path, emptied: bool) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    if emptied:  # no facts, no ecosystem, no history: many tables are empty
        for name in ("facts.csv", "ecosystem.csv", "history.csv", "history_summary.csv"):
            (study / name).unlink(missing_ok=True)
    for name, frame in aggregate(load_study(study)).tables().items():
        for column in study_tables()[name].columns:
            assert KINDS[column.type](frame[column.name].dtype), (name, column.name)


def test_the_scan_tables_need_no_catalog() -> None:
    """The study tables quote the codebook, which reads the catalog; the scan's do not, so a
    warm scan never parses it."""
    code = (
        "import sys; from analyzers.code.catalog import load_catalog; "
        "import analyzers.schema as s; s.columns('calls'); "
        "print(load_catalog.cache_info().currsize, 'analyzers.codebook' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False"]
