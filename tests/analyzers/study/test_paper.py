"""The paper's files: macros.tex (every number as a command, named by one rule), methods.md and
methods.tex (the method section), and the unaltered CSVs beside the spreadsheet-safe ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analyzers.study.aggregate import aggregate
from analyzers.study.export import export_study
from analyzers.study.load import load_study
from analyzers.study.macros import Macro, all_macros, macro_name, read_macros
from analyzers.tables import restore
from tests.analyzers.study.study_fixture import copy_study, read_csv
from tests.paths import STUDY


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_study(copy_study(tmp_path_factory.mktemp("paper")))


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (("log-params", "analysed", "Share"), "mmLogParamsAnalysedShare"),
        (("set-tracking-uri", "non-tutorial", "CiLow"), "mmSetTrackingUriNonTutorialCiLow"),
        (("repos", "not-found"), "mmReposNotFound"),
        (("top-10",), "mmTopOneZero"),
        (("mlflow v2.16",), "mmMlflowVTwoOneSix"),
        (("first_parent",), "mmFirstParent"),
    ],
    ids=["measure", "population-with-dash", "status", "digits", "version", "underscore"],
)
def test_macro_names_follow_the_rule(parts: tuple[str, ...], name: str) -> None:
    assert macro_name(*parts) == name
    assert name.isalpha(), "a LaTeX command name holds letters only"


def test_a_name_with_nothing_to_say_is_refused() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        macro_name("--")


def test_two_numbers_with_one_name_are_an_error() -> None:
    aggregates = aggregate(load_study(STUDY))
    clash = Macro("mmReposTotal", "1", "somewhere else")
    with pytest.raises(ValueError, match=r"\\mmReposTotal: repo_status.csv and somewhere else"):
        all_macros(aggregates, [clash])


def percent(value: str) -> str:
    return "--" if not value else f"{100 * float(value):.1f}"


def test_macros_agree_with_headline_csv(exported: Path) -> None:
    macros = read_macros((exported / "macros.tex").read_text(encoding="utf-8"))
    rows = read_csv(exported / "headline.csv")
    assert rows
    for row in rows:
        stem = macro_name(row["measure"], row["population"])
        assert macros[stem + "Count"] == row["numerator"]
        assert macros[stem + "Total"] == row["denominator"]
        assert macros[stem + "Share"] == percent(row["share"])
        assert macros[stem + "CiLow"] == percent(row["ci_low"])
        assert macros[stem + "CiHigh"] == percent(row["ci_high"])
        if row["share"]:
            assert macros[stem + "Text"].startswith(percent(row["share"]) + r"\,\% (")


def test_macros_count_repositories_files_and_calls(exported: Path) -> None:
    macros = read_macros((exported / "macros.tex").read_text(encoding="utf-8"))
    status = {row["status"]: row["n_repos"] for row in read_csv(exported / "repo_status.csv")}
    assert macros["mmReposTotal"] == str(sum(map(int, status.values())))
    for name, n in status.items():
        assert macros[macro_name("repos", name)] == n
    study = load_study(STUDY)
    assert macros["mmCallsTotal"] == str(len(study.calls))
    files = read_csv(exported / "file_status.csv")
    assert macros["mmFilesTotal"] == str(sum(int(row["n_files"]) for row in files))
    text = (exported / "macros.tex").read_text(encoding="utf-8")
    assert all(line.startswith(("%", r"\newcommand{\mm")) for line in text.splitlines()), (
        "nothing but commands and comments"
    )


def test_methods_state_the_frame_counts_and_tool(exported: Path) -> None:
    study = load_study(STUDY)
    meta = study.provenance
    for name in ("methods.md", "methods.tex"):
        text = (exported / name).read_text(encoding="utf-8")
        assert "Sampling frame" in text
        assert "Accuracy" in text
        assert "Headline figures" in text
        assert f"{len(study.repos)} repositories" in text
        assert f"{study.n_analysed} analysed repositories" in text
        assert f"{len(study.calls)} MLflow call sites" in text
        assert str(meta["tool_version"]) in text
        assert "has not been measured yet" in text
    tex = (exported / "methods.tex").read_text(encoding="utf-8")
    assert r"\subsection*{Sampling frame}" in tex
    assert "_" not in tex.replace(r"\_", "")


def test_a_validated_study_cites_its_precision_and_miss_rate(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    validation = {
        "seed": 7,
        "precision": {"k": 48, "n": 50, "share": 0.96, "ci_low": 0.865, "ci_high": 0.989},
        "miss_rate": {"k": 2, "n": 40, "share": 0.05, "ci_low": 0.014, "ci_high": 0.165},
        "agreement": {"kappa": 0.83, "n": 30},
    }
    (study / "validation.json").write_text(json.dumps(validation), encoding="utf-8")
    out = export_study(study)
    methods = (out / "methods.md").read_text(encoding="utf-8")
    assert "96.0% (48 of 50; 95% CI 86.5-98.9%)" in methods
    assert "5.0% (2 of 40; 95% CI 1.4-16.5%)" in methods
    assert "kappa 0.83" in methods
    macros = read_macros((out / "macros.tex").read_text(encoding="utf-8"))
    assert (macros["mmPrecisionShare"], macros["mmMissRateCount"], macros["mmKappa"]) == (
        "96.0",
        "2",
        "0.83",
    )


def test_the_unaltered_csv_holds_the_values_as_they_are(exported: Path) -> None:
    key = '=HYPERLINK("http://x.invalid","win")'
    guarded, unaltered = (
        read_csv(folder / "top_keys.csv") for folder in (exported, exported / "unaltered")
    )
    assert key in [row["key"] for row in unaltered]
    assert key not in [row["key"] for row in guarded]
    assert [{k: restore(v) for k, v in row.items()} for row in guarded] == unaltered


def test_every_table_has_an_unaltered_copy_with_the_same_rows(exported: Path) -> None:
    for path in sorted(exported.glob("*.csv")):
        if path.name == "data-dictionary.csv":
            continue
        copy = exported / "unaltered" / path.name
        assert len(read_csv(copy)) == len(read_csv(path)), path.name
