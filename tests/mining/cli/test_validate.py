"""`mlflow-miner validate`: sample a study's calls and candidates with their source lines read
from checkouts on disk, refuse an unfinished sample, score a judged one into the study (and its
methods.md), and compare two raters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mining.cli import main
from tests.analyzers.study.study_fixture import copy_study

CHURN = "1" * 40
TRAIN = "\n".join(
    [
        "import mlflow",
        "",
        "# log_params below records the forest's settings",
        "",
        'mlflow.set_experiment("churn")',
        "",
        "",
        "with mlflow.start_run():",
        "    mlflow.log_params(params)",
        "",
        "",
        '    mlflow.log_metric("accuracy", acc)',
        '    record("f1", f1)',
        '    mlflow.sklearn.log_model(model, "model")',
    ]
)


def checkout(cache: Path, key: str, commit: str, files: dict[str, str]) -> None:
    root = cache / key / commit
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text(commit + "\n")
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


@pytest.fixture
def study(tmp_path: Path) -> tuple[Path, Path]:
    """The fixture study, and a clone cache holding one of its checkouts (the others gone)."""
    cache = tmp_path / "clones"
    checkout(cache, "acme__churn-sklearn", CHURN, {"src/train.py": TRAIN})
    return copy_study(tmp_path), cache


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args])


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def judge(rows: list[dict[str, str]], wrong: int = 0) -> list[dict[str, str]]:
    for index, row in enumerate(rows):
        good = index >= wrong
        if row["kind"] == "call":
            row["verdict"] = "correct" if good else "wrong"
        else:
            row["verdict"] = "not-a-call" if good else "missed"
    return rows


def test_sample_then_score_round_trips_into_the_study(
    study: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, cache = study
    out = tmp_path / "judging" / "sample.csv"
    drawn = run(
        "sample",
        str(folder),
        "--calls",
        "40",
        "--candidates",
        "3",
        "--seed",
        "5",
        "--out",
        str(out),
        "--clone-cache",
        str(cache),
    )
    assert drawn.exit_code == 0, drawn.output
    assert drawn.stdout.strip() == str(out)
    rows = read(out)
    assert {row["kind"] for row in rows} == {"call", "candidate"}
    assert all(row["study"] == "../study" for row in rows), "the file names its study"
    by_line = {(row["repo"], row["path"], row["line"]): row for row in rows}
    assert (
        by_line["acme/churn-sklearn", "src/train.py", "9"]["source"]
        == "    mlflow.log_params(params)"
    )
    assert by_line["acme/churn-sklearn", "src/train.py", "3"]["kind"] == "candidate"
    gone = [row for row in rows if row["repo"] != "acme/churn-sklearn"]
    assert gone
    assert all(row["source"] == "" and "not in the clone cache" in row["note"] for row in gone)

    unfinished = run("score", str(out))
    assert unfinished.exit_code == 2
    assert "rows have no verdict yet" in unfinished.stderr
    assert len(unfinished.stderr.splitlines()) == 1

    write(out, judge(rows, wrong=2))
    scored = run("score", str(out))
    assert scored.exit_code == 0, scored.output
    calls = sum(row["kind"] == "call" for row in rows)
    assert f"precision {100 * (calls - 2) / calls:.1f}% ({calls - 2} of {calls};" in scored.stdout
    validation = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
    assert (validation["precision"]["k"], validation["precision"]["n"]) == (calls - 2, calls)
    assert validation["miss_rate"]["n"] == 3
    assert validation["sample"] == "sample.csv"
    methods = (folder / "export" / "methods.md").read_text(encoding="utf-8")
    assert f"Precision: {100 * (calls - 2) / calls:.1f}% ({calls - 2} of {calls}" in methods


def test_two_raters_agree_and_the_study_keeps_both_records(
    study: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, cache = study
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert (
        run(
            "sample",
            str(folder),
            "--calls",
            "10",
            "--candidates",
            "3",
            "--out",
            str(first),
            "--clone-cache",
            str(cache),
        ).exit_code
        == 0
    )
    rows = read(first)
    write(first, judge(rows))
    write(second, judge(read(first), wrong=1))
    assert run("score", str(first)).exit_code == 0
    agreed = run("agree", str(first), str(second))
    assert agreed.exit_code == 0, agreed.output
    assert f"on {len(rows)} rows both judged" in agreed.stdout
    validation = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
    assert "precision" in validation
    assert validation["agreement"]["n"] == len(rows)
    assert "Cohen's kappa" in (folder / "export" / "methods.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sample", "{tmp}", "--out", "{tmp}/s.csv"), "is not a study directory"),
        (("score", "{tmp}/foreign.csv"), "not a validation sample"),
    ],
    ids=["not-a-study", "foreign-file"],
)
def test_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "foreign.csv").write_text("a,b\n1,2\n")
    result = run(*(arg.format(tmp=tmp_path) for arg in args))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
