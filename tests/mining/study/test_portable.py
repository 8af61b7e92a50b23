"""The same study run twice gives the same bytes (the run log aside), and no output names a path
of the machine it ran on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mining.cli.study import run_study
from mining.study.demo import build_demo, demo_url_rewrites
from mining.study.portable import MachinePaths
from mining.study.runlog import RUN_LOG
from mining.study.settings import StudySettings

PATHS = MachinePaths.of(
    (
        (Path("/data/study"), "<study>"),
        (Path("/home/me/.cache/mlflow-miner"), "<cache>"),
    )
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "fatal: '/home/me/.cache/mlflow-miner/demo/origins/x' does not appear to be a git "
            "repository",
            "fatal: '<cache>/demo/origins/x' does not appear to be a git repository",
        ),
        ("wrote /data/study/repos.csv", "wrote <study>/repos.csv"),
        ("/data/study", "<study>"),
        ("/data/studyX/a is another folder", "/data/studyX/a is another folder"),
        ("no path at all", "no path at all"),
    ],
    ids=["cache", "study-file", "study-itself", "prefix-of-another-name", "no-path"],
)
def test_machine_paths_become_placeholders(text: str, expected: str) -> None:
    assert PATHS.scrub(text) == expected


def test_a_checkout_root_becomes_nothing() -> None:
    paths = PATHS.with_root("/home/me/.cache/mlflow-miner/repos/ab/cd/acme__x")
    message = (
        "[Errno 13] Permission denied: '/home/me/.cache/mlflow-miner/repos/ab/cd/acme__x/a.py'"
    )
    assert paths.scrub(message) == "[Errno 13] Permission denied: 'a.py'"


def test_the_working_and_home_directories_are_always_known() -> None:
    paths = MachinePaths.of(())
    assert paths.scrub(f"{Path.cwd()}/datasets/x.csv") == "./datasets/x.csv"
    assert paths.scrub(f"{Path.home()}/notes.txt") in ("~/notes.txt", "./notes.txt")


def every_file(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The demo study run into two folders, one after the other (the second finds every
    analysis in the cache), without static images (test_chart_files checks their bytes)."""
    root = tmp_path_factory.mktemp("twice")
    demo = root / "demo"
    folders = []
    with pytest.MonkeyPatch.context() as patch:  # a cache of its own, cold at the start
        patch.setenv("XDG_CACHE_HOME", str(root / "xdg"))
        dataset = build_demo(demo)
        for name in ("first", "second"):
            folders.append(_run(name, root, dataset, demo))
    return folders[0], folders[1], root


def _run(name: str, root: Path, dataset: Path, demo: Path) -> Path:
    settings = StudySettings(
        name="demo",
        dataset=dataset,
        output=root / name / "study",
        crawl=False,
        protocols=("https", "file"),
        jobs=2,
        history=True,
        url_rewrites=demo_url_rewrites(demo),
    )
    assert run_study(settings, static=False, command="demo") == 0
    return settings.output


def test_two_runs_give_the_same_bytes_but_the_run_log(two_runs: tuple[Path, Path, Path]) -> None:
    first, second, _root = two_runs
    one, two = every_file(first), every_file(second)
    assert sorted(one) == sorted(two)
    assert [name for name in one if one[name] != two[name]] == [RUN_LOG]
    assert {"report/index.html", "export/headline.csv", "history_summary.csv"} <= set(one)


def test_the_run_log_says_what_the_run_cost(two_runs: tuple[Path, Path, Path]) -> None:
    first, second, _root = two_runs
    cold = json.loads((first / RUN_LOG).read_text(encoding="utf-8"))
    warm = json.loads((second / RUN_LOG).read_text(encoding="utf-8"))
    assert cold["command"] == "mlflow-miner demo"
    assert cold["machine"]["cores"] == os.cpu_count()
    assert {"clone-and-analyze", "merge", "report", "export", "total"} <= set(cold["seconds"])
    assert cold["costs"]["totals"]["history_blobs_parsed"] > 0
    assert warm["costs"]["totals"]["history_blobs_parsed"] == 0
    assert warm["costs"]["totals"]["history_cache_hits"] > 0
    # jobs=2: at most twice the workers waiting beside the one being collected
    assert 1 <= cold["in_flight"]["max"] <= 2 * 2 + 1


def test_no_output_names_a_path_of_the_machine(two_runs: tuple[Path, Path, Path]) -> None:
    first, _second, root = two_runs
    machine = {str(root), str(root.resolve()), str(Path.home()), str(Path.cwd())}
    leaks = [
        (name, path)
        for name, data in every_file(first).items()
        for path in machine
        if path.encode() in data
    ]
    assert leaks == []
    repos = (first / "repos.csv").read_text(encoding="utf-8")
    assert "'https://demo.invalid/demo/deleted-repo'" in repos, "the git message stays readable"
