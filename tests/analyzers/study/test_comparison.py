"""method_comparison: the seed study's text search beside the resolved calls, per API name and
overall, with examples linked at the pinned commit (fixture: tests/fixtures/study)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzers.study.aggregate import aggregate
from analyzers.study.comparison import ANY, RESOLVED_ONLY, TEXT_ONLY, method_comparison
from analyzers.study.load import load_study
from analyzers.study.permalinks import location_from, permalink
from analyzers.study.report import build_report
from tests.analyzers.study.study_fixture import STUDY, copy_study

COUNTS = (
    "repos_text",
    "repos_resolved",
    "both",
    "text_only",
    "resolved_only",
    "lines_text",
    "lines_resolved",
    "lines_both",
    "lines_text_only",
    "lines_resolved_only",
)


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, object]]:
    table = method_comparison(load_study(STUDY)).table
    return {row["api"]: row for row in table.to_dict("records")}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # a comment names log_params (text only); both calls are on lines the search finds
        ("log_params", (2, 2, 2, 0, 0, 3, 2, 2, 1, 0)),
        # the text search finds one line; calls through aliases and a client it misses
        ("log_metric", (1, 4, 1, 0, 3, 1, 8, 1, 0, 7)),
        # PyTorch Lightning's self.logger.log_metrics: a repository with no call at all
        ("log_metrics", (2, 1, 1, 1, 0, 2, 1, 1, 1, 0)),
        # a markdown cell names autolog; the openai autolog call is on a line it misses
        ("autolog", (1, 2, 1, 0, 1, 2, 2, 1, 1, 1)),
    ],
)
def test_counts_per_api_name(rows: dict, term: str, expected: tuple[int, ...]) -> None:  # type: ignore[type-arg]
    assert tuple(rows[term][column] for column in COUNTS) == expected


def test_the_any_row_adds_up_and_leaves_unanalyzed_repositories_out(rows: dict) -> None:  # type: ignore[type-arg]
    overall = rows[ANY]
    assert overall["lines_text"] == 12, "delta/gone was not analysed: its line is left out"
    assert overall["lines_both"] + overall["lines_text_only"] == overall["lines_text"]
    assert overall["lines_both"] + overall["lines_resolved_only"] == overall["lines_resolved"]
    assert overall["both"] + overall["text_only"] == overall["repos_text"]
    assert overall["text_only"] == 1  # gamma/lightning-only
    assert rows["log_metric"]["apis"] == "mlflow.MlflowClient.log_metric;mlflow.log_metric"


def test_examples_of_each_disagreement_link_the_pinned_line() -> None:
    examples = method_comparison(load_study(STUDY)).examples
    kinds = {example.kind for example in examples}
    assert kinds == {TEXT_ONLY, RESOLVED_ONLY}
    comment = next(e for e in examples if e.kind == TEXT_ONLY and e.term == "log_params")
    assert comment.location.url == (
        "https://github.com/acme/churn-sklearn/blob/" + "1" * 40 + "/src/train.py#L3"
    )
    markdown = next(e for e in examples if e.term == "autolog" and e.kind == TEXT_ONLY)
    assert markdown.location.where == "fashion.ipynb, cell 0, line 1"
    assert "#L" not in markdown.location.url, "GitHub cannot point into a notebook cell"


@pytest.mark.parametrize(
    ("args", "url"),
    [
        (
            ("o/r", "c" * 40, "a b/x.py", 3),
            "https://github.com/o/r/blob/" + "c" * 40 + "/a%20b/x.py#L3",
        ),
        (("o/r", "c" * 40, "", None), "https://github.com/o/r/tree/" + "c" * 40),
        (("o/r", "", "x.py", 3), "https://github.com/o/r"),
    ],
    ids=["line", "repository", "no-commit"],
)
def test_permalinks(args: tuple, url: str) -> None:  # type: ignore[type-arg]
    assert permalink(*args) == url


def test_a_location_from_table_cells() -> None:
    assert location_from("o/r", "c", "x.py", "", "7").where == "x.py:7"


def test_a_study_without_text_matches_says_so(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    (study / "text_matches.csv").unlink()
    compared = aggregate(load_study(study)).comparison
    assert not compared.has_text
    assert compared.table.empty
    assert compared.examples == ()
    page = build_report(study, static=False).index.read_text(encoding="utf-8")
    assert "has no text_matches.csv" in page


def test_the_report_compares_the_methods_with_links(tmp_path: Path) -> None:
    page = build_report(copy_study(tmp_path), static=False).index.read_text(encoding="utf-8")
    section = page.split('id="text-search"', 1)[1].split("</section>", 1)[0]
    assert "What a text search would have found" in section
    assert (
        'href="https://github.com/acme/churn-sklearn/blob/' + "1" * 40 + '/src/train.py#L3"'
        in section
    )
    assert "Calls the text search misses" in section
