"""Drill-down: one page per repository (status, traceability, calls, indirect uses, facts,
signals, files, each linked at the pinned commit), links to them from the report's tables, and a searchable table
of every repository (fixture: tests/fixtures/study)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers.study.load import load_study
from analyzers.study.report import build_report
from analyzers.study.report.html import page_name
from tests.analyzers.study.study_fixture import copy_study

CHURN = "1" * 40
KERAS = "2" * 40


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    study = copy_study(tmp_path_factory.mktemp("pages"))
    return build_report(study, static=False).index.parent


def test_every_repository_has_a_page(report: Path) -> None:
    repos = list(load_study(report.parent).repos["repo"])
    pages = {path.name for path in (report / "repos").glob("*.html")}
    assert pages == {page_name(repo) for repo in repos}
    assert len(pages) == len(repos) == 13


def test_a_page_links_each_call_fact_and_signal_at_the_pinned_commit(report: Path) -> None:
    page = (report / "repos" / "acme__churn-sklearn.html").read_text(encoding="utf-8")
    base = f"https://github.com/acme/churn-sklearn/blob/{CHURN}"
    assert f'<a href="{base}/src/train.py#L9">src/train.py:9</a>' in page
    assert "<td>mlflow.log_params</td>" in page
    assert "max_depth;n_estimators" in page
    assert f'href="https://github.com/acme/churn-sklearn/tree/{CHURN}"' in page
    for section in (
        "Status",
        "Traceability",
        "Calls",
        "Indirect uses",
        "Facts",
        "Signals",
        "Files",
    ):
        assert f"<h2>{section}</h2>" in page
    assert re.search(rf'<a href="{base}/requirements[^"]*\.txt">', page), "signals link the file"


def test_a_notebook_call_names_its_cell(report: Path) -> None:
    page = (report / "repos" / "acme__keras-notebooks.html").read_text(encoding="utf-8")
    url = f"https://github.com/acme/keras-notebooks/blob/{KERAS}/fashion.ipynb"
    assert f'<a href="{url}">fashion.ipynb, cell 3, line 3</a>' in page


def test_a_repository_that_failed_says_why(report: Path) -> None:
    page = (report / "repos" / "delta__gone.html").read_text(encoding="utf-8")
    assert "not-found" in page
    assert "repository not found (HTTP 404)" in page
    assert "No MLflow call was found." in page


def test_the_report_s_tables_link_to_the_pages(report: Path) -> None:
    index = (report / "index.html").read_text(encoding="utf-8")
    assert '<a href="repos/delta__gone.html">delta/gone</a>' in index  # failures
    assert '<a href="repos/acme__churn-sklearn.html">acme/churn-sklearn</a>' in index
    assert '<a href="repositories.html">all repositories</a>' in index


def test_the_searchable_table_lists_every_repository_offline(report: Path) -> None:
    page = (report / "repositories.html").read_text(encoding="utf-8")
    assert page.count('<a href="repos/') == 13
    assert '<input id="filter"' in page
    assert "<script>" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"?(https?:)?//", page)
    assert '<table id="repositories">' in page


@pytest.mark.parametrize(
    ("repo", "expected"),
    [("acme/churn-sklearn", "acme__churn-sklearn.html"), ("o/a.b_c", "o__a.b_c.html")],
)
def test_page_names_of_github_names(repo: str, expected: str) -> None:
    assert page_name(repo) == expected


def test_odd_names_get_distinct_safe_pages() -> None:
    first, second = page_name("../../etc/passwd"), page_name("../../etc/passwd2")
    assert first != second
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+\.html", name) for name in (first, second))
    assert not first.startswith(".")


def test_a_page_of_a_repository_no_longer_in_the_study_goes(tmp_path: Path) -> None:
    study = copy_study(tmp_path)
    stale = study / "report" / "repos" / "old__gone.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    first = build_report(study, static=False)
    assert not stale.exists()
    pages = {p.name: p.read_bytes() for p in (first.index.parent / "repos").iterdir()}
    build_report(study, static=False)
    again = {p.name: p.read_bytes() for p in (first.index.parent / "repos").iterdir()}
    assert again == pages, "the same study gives the same pages"
