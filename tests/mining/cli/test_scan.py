"""The `mlflow-miner scan` command as a user runs it: a real subprocess."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from analyzers.repo.outputs import CALL_COLUMNS, FACT_COLUMNS, FILE_COLUMNS
from tests.paths import ROOT


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mining", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_help_lists_commands() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert all(name in done.stdout for name in ("scan", "crawl", "clone"))


def test_scan_help() -> None:
    done = run("scan", "--help")
    assert done.returncode == 0
    assert "--out" in done.stdout
    assert "calls.csv" in done.stdout


def test_scan_writes_both_tables_and_a_summary(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    repo.mkdir()
    (repo / "train.py").write_text(
        "import mlflow as mf\nmf.log_params({'lr': 1, 'depth': 2})\nmf.log_metric('=1+1', 2)\n"
    )
    (repo / "broken.py").write_text("from mlflow import (\n")  # nothing parses
    done = run("scan", str(repo), "--out", str(tmp_path / "out"), "--no-cache")
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "out" / "calls.csv", newline="") as handle:
        calls = list(csv.DictReader(handle))
    with open(tmp_path / "out" / "files.csv", newline="") as handle:
        files = list(csv.DictReader(handle))
    assert tuple(calls[0]) == CALL_COLUMNS
    assert tuple(files[0]) == FILE_COLUMNS
    assert [(c["line"], c["api"], c["keys"]) for c in calls] == [
        ("2", "mlflow.log_params", "depth;lr"),
        ("3", "mlflow.log_metric", "'=1+1"),
    ]
    assert {f["path"]: f["status"] for f in files} == {
        "broken.py": "syntax-error",
        "train.py": "analyzed",
    }
    assert "2 MLflow calls" in done.stderr
    assert "syntax-error" in done.stderr
    assert done.stdout == ""  # data goes to files, progress and summary to stderr


def test_missing_path_fails_with_a_clear_error(tmp_path: Path) -> None:
    done = run("scan", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert not (tmp_path / "out").exists()


def test_name_count_must_match_paths(tmp_path: Path) -> None:
    done = run(
        "scan", str(tmp_path), "--name", "a/b", "--name", "c/d", "--out", str(tmp_path / "o")
    )
    assert done.returncode == 2
    assert "--name" in done.stderr


def test_every_column_is_in_the_data_dictionary() -> None:
    from analyzers.repo.outputs import DATA_DICTIONARY

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for table, columns in (
        ("calls.csv", CALL_COLUMNS),
        ("files.csv", FILE_COLUMNS),
        ("facts.csv", FACT_COLUMNS),
    ):
        assert set(DATA_DICTIONARY[table]) == set(columns)
        assert all(f"`{column}`" in readme for column in columns)


def test_a_file_over_its_time_budget_is_a_row_and_the_scan_goes_on(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    repo.mkdir()
    # About 10 s of analysis, most of it in libcst's native parser.
    (repo / "slow.py").write_bytes(
        b"import mlflow\n" + b"".join(b"v_%d = %d\n" % (i, i) for i in range(80_000))
    )
    (repo / "train.py").write_text("import mlflow\nmlflow.autolog()\n")
    out = tmp_path / "out"
    done = run("scan", str(repo), "--out", str(out), "--no-cache", "--file-timeout", "2")
    assert done.returncode == 0, done.stderr
    with open(out / "files.csv", newline="") as handle:
        files = {row["path"]: row for row in csv.DictReader(handle)}
    assert {path: row["status"] for path, row in files.items()} == {
        "slow.py": "timeout",
        "train.py": "analyzed",
    }
    assert "time budget of 2 s" in files["slow.py"]["detail"]
    assert "slow.py: timeout" in done.stderr
