"""The purpose rule: every example in purpose.toml, the layout counts, README headings, and the
evidence read from a real git checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analyzers.repo.detectors import tree_paths
from analyzers.repo.purpose import (
    PURPOSES,
    Evidence,
    Layout,
    classify,
    evidence_from_row,
    evidence_row,
    layout_of,
    load_rules,
    readme_headings,
    words,
)
from tests.conftest import make_git_repo

RULES = load_rules()
EXPECTED = [example["expect"] for rule in RULES for example in rule.examples]
EXAMPLES = [
    pytest.param(rule.id, rule.purpose, example, id=f"{rule.id}:{example['name']}")
    for rule in RULES
    for example in rule.examples
]


def evidence_of(example: dict[str, Any]) -> Evidence:
    return Evidence(
        name=example["name"],
        description=example.get("description", ""),
        topics=tuple(example.get("topics", ())),
        headings=tuple(example.get("headings", ())),
        layout=layout_of(example.get("paths", ())),
    )


def test_there_are_enough_examples_for_every_purpose() -> None:
    assert len(EXAMPLES) >= 40
    for purpose in PURPOSES:
        assert EXPECTED.count(purpose) >= 2, purpose
    for rule in RULES:
        assert any(example["expect"] == rule.purpose for example in rule.examples), rule.id


@pytest.mark.parametrize(("rule", "purpose", "example"), EXAMPLES)
def test_rule_examples(rule: str, purpose: str, example: dict[str, Any]) -> None:
    verdict = classify(evidence_of(example))
    assert verdict.purpose == example["expect"], verdict
    if example["expect"] == purpose:
        assert verdict.rule == rule, verdict
        assert verdict.matched or rule.endswith(("layout", "dirs", "notebooks", "project"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MLflowTutorial", "mlflow tutorial"),
        ("Wafer-Fault-Prediction-using-MlFlow", "wafer fault prediction using mlflow"),
        ("mlops_zoomcamp_2024", "mlops zoomcamp 2024"),
        ("MLOpsCourse", "mlops course"),
        ("LLM_mlflow_template", "llm mlflow template"),
        ("scikit-learn model", "scikit learn model"),
    ],
)
def test_words(text: str, expected: str) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("Deep learning MLflow", "unknown"),
        ("scikit-learn with MLflow", "unknown"),
        ("Learning MLflow", "tutorial"),
        ("learn mlflow in a day", "tutorial"),
    ],
    ids=["deep-learning", "scikit-learn", "learning-mlflow", "learn"],
)
def test_learning_is_not_machine_learning(text: str, purpose: str) -> None:
    assert classify(Evidence("x/y", description=text)).purpose == purpose


def test_layout_counts() -> None:
    layout = layout_of(
        [
            "README.md",
            "setup.py",
            "mlkit/__init__.py",
            "mlkit/core.py",
            "tests/test_core.py",
            "notebooks/01_intro.ipynb",
            "notebooks/02_tracking.ipynb",
            "week1/hw.ipynb",
            "week2/hw.py",
            "lesson-3/a.py",
            "01-basics/x.py",
            "02-more/y.py",
            ".venv/lib/site.py",
            "node_modules/x/test_y.py",
            "app.py",
            "Dockerfile",
        ]
    )
    assert layout == Layout(
        scripts=9,
        notebooks=3,
        course_parts=2,
        lesson_parts=1,
        numbered_dirs=2,
        numbered_notebooks=2,
        notebook_percent=25,
        package=True,
        published=False,
        app=True,
        deploys=False,
        ml_project=False,
        tests=True,
    )
    assert not layout.notebooks_only
    assert layout_of(["a.ipynb"]).notebooks_only
    assert not layout_of(["pyproject.toml", "scripts/run.py"]).package  # no __init__.py
    assert not layout_of(["app.py"]).app  # no Dockerfile: a script named app
    assert layout_of(["MLproject", "train.py"]).ml_project
    assert not layout_of(["examples/MLproject", "examples/train.py"]).ml_project  # not the root
    assert layout_of(["CHANGELOG.md"]).published
    assert layout_of(["docs/conf.py"]).published
    assert layout_of(["infra/main.tf"]).deploys
    assert layout_of(["deploy.sh"]).deploys
    assert not layout_of(["scripts/deploy.sh"]).deploys


def test_readme_headings() -> None:
    text = "\n".join(
        [
            "<h1 align='center'>Churn <b>model</b></h1>",
            "![badge](https://img.shields.io/x.svg)",
            "# [Project](https://example.invalid) `title` #",
            "Setup",
            "=====",
            "Usage",
            "-----",
            "```bash",
            "# not a heading: a shell comment",
            "```",
            "### Week 1 ###",
            "| a | b |",
            "|---|---|",
            "#hashtag is not a heading",
        ]
    )
    assert readme_headings(text) == (
        "Churn model",
        "Project title",
        "Setup",
        "Usage",
        "Week 1",
    )


def test_evidence_from_a_git_checkout_and_back(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    make_git_repo(
        root,
        {
            "README.md": "# MLflow Tutorial\n\n## Lesson 1\n",
            "lesson1/train.py": "import mlflow\n",
            "lesson2/train.py": "import mlflow\n",
            "lesson3/train.py": "import mlflow\n",
        },
    )
    (root / "untracked.py").write_text("x = 1\n")
    row = evidence_row("someone/tut", "abc", str(root), tree_paths(str(root)))
    assert row["readme"] == "README.md"
    assert row["lesson_parts"] == 3
    assert row["scripts"] == 3
    evidence = evidence_from_row({k: str(v) for k, v in row.items()}, "notes", ["mlflow"])
    assert evidence.headings == ("MLflow Tutorial", "Lesson 1")
    assert evidence.layout.lesson_parts == 3
    assert evidence.topics == ("mlflow",)
    assert classify(evidence).purpose == "tutorial"
    walked = evidence_row("someone/tut", "", str(root), None)
    assert walked["scripts"] == 4  # without git's tree, the files on disk


def test_a_readme_that_is_a_symlink_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret tutorial\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").symlink_to(secret)
    row = evidence_row("a/b", "", str(root), None)
    assert row["headings"] == "[]"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[rule]]\nid = "x"\npurpose = "toy"\nevidence = "e"\n', "unknown purpose"),
        (
            '[[rule]]\nid = "x"\npurpose = "example"\nevidence = "e"\nlayout = { stars = 3 }\n',
            "unknown layout",
        ),
        (
            '[[rule]]\nid = "x"\npurpose = "example"\nevidence = "e"\nlayout = { notebooks = "lots" }\n',
            ">=N",
        ),
    ],
    ids=["purpose", "feature", "condition"],
)
def test_bad_rules_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(toml)
    with pytest.raises(ValueError, match=message):
        load_rules(path)
