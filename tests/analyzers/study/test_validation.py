"""The validation protocol's logic: allocation, the stratified draw, the candidates, refusing
unfinished files, precision and miss rate with Wilson intervals, Cohen's kappa."""

from __future__ import annotations

import pytest

from analyzers.study.load import load_study
from analyzers.study.permalinks import Location
from analyzers.study.stats import wilson_interval
from analyzers.study.validation import (
    CALL,
    CANDIDATE,
    SAMPLE_COLUMNS,
    SampleError,
    agreement,
    allocate,
    call_items,
    candidate_items,
    check_sample,
    draw_sample,
    score,
)
from tests.paths import STUDY


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ({"a": 10, "b": 10}, 4, {"a": 2, "b": 2}),
        ({"a": 98, "b": 1, "c": 1}, 10, {"a": 8, "b": 1, "c": 1}),
        ({"a": 98, "b": 1, "c": 1}, 2, {"a": 2, "b": 0, "c": 0}),
        ({"a": 3, "b": 2}, 50, {"a": 3, "b": 2}),
        ({"a": 6, "b": 3, "c": 1}, 5, {"a": 3, "b": 1, "c": 1}),
        ({"a": 5, "b": 0}, 0, {"a": 0}),
    ],
    ids=["even", "floor-of-one", "too-few-for-a-floor", "more-than-there-is", "remainders", "none"],
)
def test_allocation(sizes: dict[str, int], n: int, expected: dict[str, int]) -> None:
    found = allocate(sizes, n)
    assert found == expected
    assert sum(found.values()) == min(n, sum(sizes.values()))


def lines(where: Location) -> tuple[str, str]:
    return f"line {where.line} of {where.path}", ""


def test_the_same_seed_draws_the_same_sample_and_another_seed_another() -> None:
    study = load_study(STUDY)
    first = draw_sample(study, 12, 3, 7, lines, "study")
    assert draw_sample(study, 12, 3, 7, lines, "study") == first
    assert draw_sample(study, 12, 3, 8, lines, "study") != first
    assert [row["kind"] for row in first] == [CALL] * 12 + [CANDIDATE] * 3
    assert all(set(row) == set(SAMPLE_COLUMNS) and row["verdict"] == "" for row in first)


def test_calls_are_stratified_by_dimension_and_kind() -> None:
    study = load_study(STUDY)
    items = call_items(study)
    strata = {item.stratum for item in items}
    assert len(items) == len(study.calls), "every call of an analysed repository, no other"
    assert {"metrics/script", "metrics/notebook", "parameters/notebook"} <= strata
    drawn = draw_sample(study, len(strata), 0, 1, lines, "study")
    assert {row["stratum"] for row in drawn} == strata, "one per stratum when n allows it"


def test_candidates_are_lines_naming_an_api_with_no_call() -> None:
    items = {
        (item.location.repo, item.location.path, item.location.cell, item.location.line): item
        for item in candidate_items(load_study(STUDY))
    }
    assert set(items) == {
        ("acme/churn-sklearn", "src/train.py", None, 3),  # a comment naming log_params
        ("acme/keras-notebooks", "fashion.ipynb", 0, 1),  # a markdown cell naming autolog
        ("gamma/lightning-only", "model.py", None, 20),  # Lightning's log_metrics
    }, "lines with a reported call, and repositories not analysed, are no candidates"
    assert items["acme/keras-notebooks", "fashion.ipynb", 0, 1].stratum == "autolog/notebook"
    assert items["gamma/lightning-only", "model.py", None, 20].api == "log_metrics"


def test_rows_link_the_line_and_carry_what_the_reader_said() -> None:
    rows = draw_sample(load_study(STUDY), 0, 3, 1, lambda where: ("", "checkout gone"), "../s")
    notebook = next(row for row in rows if row["cell"] is not None)
    script = next(row for row in rows if row["path"] == "src/train.py")
    assert script["permalink"].endswith("/blob/" + "1" * 40 + "/src/train.py#L3")
    assert "#L" not in notebook["permalink"]
    assert notebook["cell"] == 0
    assert all(row["note"] == "checkout gone" and row["study"] == "../s" for row in rows)


def judged(*verdicts: tuple[str, str, str]) -> list[dict[str, str]]:
    rows = []
    for index, (kind, stratum, verdict) in enumerate(verdicts):
        row = dict.fromkeys(SAMPLE_COLUMNS, "")
        row.update(
            {"study": "s", "seed": "3", "kind": kind, "stratum": stratum, "verdict": verdict}
        )
        row.update({"repo": "o/r", "path": "x.py", "line": str(index + 1), "api": "a"})
        rows.append(row)
    return rows


def test_precision_and_miss_rate_with_wilson_intervals() -> None:
    rows = judged(
        *[(CALL, "metrics/script", "correct")] * 9,
        (CALL, "metrics/script", "wrong"),
        (CALL, "params/notebook", "Correct"),
        (CANDIDATE, "metrics/script", "missed"),
        *[(CANDIDATE, "metrics/script", "not-a-call")] * 3,
    )
    check_sample(rows, "s.csv")
    found = score(rows)
    assert (found["precision"]["k"], found["precision"]["n"]) == (10, 11)
    assert (found["precision"]["ci_low"], found["precision"]["ci_high"]) == wilson_interval(10, 11)
    assert (found["miss_rate"]["k"], found["miss_rate"]["n"], found["miss_rate"]["share"]) == (
        1,
        4,
        0.25,
    )
    assert found["seed"] == 3
    assert found["rows"] == 15
    strata = {(s["kind"], s["stratum"]): (s["k"], s["n"]) for s in found["strata"]}
    assert strata[CALL, "metrics/script"] == (9, 10)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            judged((CALL, "m", "correct"), (CALL, "m", "")),
            "1 of 2 rows have no verdict yet (lines 3)",
        ),
        (judged((CALL, "m", "missed")), "unknown verdict on lines 2 ('missed' for a call)"),
        (judged((CANDIDATE, "m", "correct")), "unknown verdict"),
        ([{"kind": "call", "verdict": "correct"}], "not a validation sample"),
        ([], "no rows to score"),
    ],
    ids=["unfinished", "call-verdict-on-candidate-kind", "candidate", "foreign-file", "empty"],
)
def test_an_unfinished_or_foreign_file_is_refused(rows: list[dict[str, str]], message: str) -> None:
    with pytest.raises(SampleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_sample(rows, "s.csv")


def test_cohen_s_kappa() -> None:
    # 10 rows: both say correct on 6, both wrong on 2, they differ on 2.
    a = judged(*[(CALL, "m", "correct")] * 7 + [(CALL, "m", "wrong")] * 3)
    b = judged(
        *[(CALL, "m", "correct")] * 6 + [(CALL, "m", "wrong")] * 3 + [(CALL, "m", "correct")]
    )
    found = agreement(a, b)
    observed = 8 / 10
    expected = (7 * 7 + 3 * 3) / 100
    assert found["n"] == 10
    assert found["observed"] == pytest.approx(observed)
    assert found["kappa"] == pytest.approx((observed - expected) / (1 - expected))


def test_kappa_needs_rows_both_judged() -> None:
    with pytest.raises(SampleError, match="no judged row in common"):
        agreement(judged((CALL, "m", "correct")), judged((CALL, "m", "")))
