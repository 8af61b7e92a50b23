"""`export_study`: golden CSV and LaTeX files, Parquet, the data dictionary, formula cells."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analyzers.schema import study_tables
from analyzers.study.aggregate import aggregate
from analyzers.study.export import data_dictionary, export_study, latex_escape, latex_table
from analyzers.study.load import load_study
from tests.analyzers.study.study_fixture import copy_study, read_csv
from tests.conftest import Golden
from tests.paths import STUDY

GOLDEN = Path(__file__).parent / "golden"
TABLES = list(study_tables())
LATEX = ["adoption.tex", "headline.tex"]
# Traceability and the findings beyond call counts
LATEX += ["traceability_shares.tex", "location_shares.tex"]
PAPER = [
    "macros.tex",
    "methods.md",
    "methods.tex",
    "figures.tex",
]  # the paper's numbers and method section


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_study(copy_study(tmp_path_factory.mktemp("export")))


@pytest.mark.parametrize(
    "name", [f"{table}.csv" for table in TABLES] + LATEX + PAPER + ["data-dictionary.csv"]
)
def test_export_matches_golden_file(exported: Path, name: str, golden: Golden) -> None:
    produced = (exported / name).read_text(encoding="utf-8")
    golden(GOLDEN / f"study_{name}", produced)


def test_export_goes_into_the_study_directory(exported: Path) -> None:
    assert exported.name == "export"
    assert (exported.parent / "study.json").is_file()
    assert {path.name for path in exported.iterdir()} == (
        {f"{t}.csv" for t in TABLES}
        | {f"{t}.parquet" for t in TABLES}
        | set(LATEX)
        | set(PAPER)
        | {"data-dictionary.csv", "unaltered"}
    )
    assert {path.name for path in (exported / "unaltered").iterdir()} == {
        f"{t}.csv" for t in TABLES
    }


def test_formula_cells_are_neutralised_in_csv_but_kept_in_parquet(exported: Path) -> None:
    key = '=HYPERLINK("http://x.invalid","win")'
    csv_keys = [row["key"] for row in read_csv(exported / "top_keys.csv")]
    assert "'" + key in csv_keys
    assert key not in csv_keys
    assert not [
        cell
        for row in read_csv(exported / "top_keys.csv")
        for cell in row.values()
        if cell.startswith(("=", "+", "@"))
    ]
    assert key in set(pd.read_parquet(exported / "top_keys.parquet")["key"])


@pytest.mark.parametrize("table", TABLES)
def test_parquet_holds_the_same_table(exported: Path, table: str) -> None:
    expected = aggregate(load_study(STUDY)).tables()[table].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        pd.read_parquet(exported / f"{table}.parquet"), expected, check_dtype=False
    )


def test_every_exported_column_is_documented(exported: Path) -> None:
    dictionary = read_csv(exported / "data-dictionary.csv")
    documented = {(row["table"], row["column"]) for row in dictionary}
    assert all(row["description"].strip() for row in dictionary)
    assert {row["type"] for row in dictionary} <= {"boolean", "integer", "number", "text"}
    seen = set()
    for path in sorted(exported.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        seen |= {(path.stem, column) for column in header}
    for path in sorted(exported.glob("*.parquet")):
        seen |= {(path.stem, column) for column in pd.read_parquet(path).columns}
    assert seen == documented


def test_dictionary_types_follow_the_data() -> None:
    types = {
        (row["table"], row["column"]): row["type"]
        for row in data_dictionary(aggregate(load_study(STUDY)).tables()).to_dict("records")
    }
    assert types[("adoption", "share")] == "number"
    assert types[("adoption", "n_using")] == "integer"
    assert types[("traceability_matrix", "input_data")] == "boolean"
    assert types[("headline", "numerator")] == "integer"
    assert types[("adoption_by_year", "min_n_met")] == "boolean"
    assert types[("repos", "created_year")] == "integer"
    assert types[("top_keys", "key")] == "text"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("run_lifecycle", r"run\_lifecycle"),
        ("95% CI", r"95\% CI"),
        ("a & b", r"a \& b"),
        ("#1 $5 {x}", r"\#1 \$5 \{x\}"),
        ("~^", r"\textasciitilde{}\textasciicircum{}"),
        ("C:\\temp", r"C:\textbackslash{}temp"),
        ("plain-text 1.5", "plain-text 1.5"),
    ],
)
def test_latex_escape(text: str, escaped: str) -> None:
    assert latex_escape(text) == escaped


def test_latex_table_uses_booktabs_and_escapes_cells() -> None:
    text = latex_table(("name_x", "share %"), [("a_b", "50%")], "lr", "Caption & more", "tab:x")
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("\\") and "rule" in line] == [
        r"\toprule",
        r"\midrule",
        r"\bottomrule",
    ]
    assert r"name\_x & share \% \\" in lines
    assert r"a\_b & 50\% \\" in lines
    assert r"\caption{Caption \& more}" in lines


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mining", *args], capture_output=True, text=True, check=False
    )


def test_cli_exports_and_prints_the_directory(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    done = run("export", str(study), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "out")
    assert (tmp_path / "out" / "adoption.tex").is_file()
    assert "8 analysed" in done.stderr


def test_cli_min_n_reaches_the_tables(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    done = run("export", str(study), "--out", str(tmp_path / "out"), "--min-n", "2")
    assert done.returncode == 0, done.stderr
    by_year = pd.read_csv(tmp_path / "out" / "adoption_by_year.csv")
    assert set(by_year["n_min"]) == {2}
    assert by_year["min_n_met"].any()
    assert run("export", str(study), "--min-n", "0").returncode == 2  # a usage error


def test_headline_csv_has_exactly_the_issue_columns(exported: Path) -> None:
    with open(exported / "headline.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "measure",
        "population",
        "definition",
        "numerator",
        "denominator",
        "share",
        "ci_low",
        "ci_high",
    ]
    measures = {row["measure"] for row in rows}
    assert {
        "log-params",
        "log-metrics",
        "autolog",
        "any-logging",
        "any-logging-incl-indirect",
        "set-tracking-uri",
        "uses-registry",
        "location-unresolved",
    } <= measures
    assert {(row["measure"], row["population"]) for row in rows} == {
        (measure, population)
        for measure in measures
        for population in ("analysed", "mlflow-evidence")
    }


def test_cli_fails_clearly_on_a_missing_table(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    (study / "calls.csv").unlink()
    done = run("export", str(study))
    assert done.returncode == 1
    assert "calls.csv: file not found" in done.stderr
    assert done.stdout == ""
    assert not (study / "export").exists()


def test_cli_help() -> None:
    done = run("export", "--help")
    assert done.returncode == 0
    assert "booktabs" in done.stdout
    assert "--out" in done.stdout
    assert "export" in run("--help").stdout
