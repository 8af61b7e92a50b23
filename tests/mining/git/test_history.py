"""`--history` on git repositories built commit by commit: MLflow arrives, a dimension comes and
goes, a file is renamed, a branch is merged; the cache, the caps, the partial clone, the study."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

from analyzers.code.catalog import load_catalog
from analyzers.records import RepoRef
from analyzers.repo.cache import AnalysisCache
from mining.git.clone import CloneRequest, CloneSettings, clone_all
from mining.git.history import (
    EVENT_COLUMNS,
    HISTORY_COLUMNS,
    SUMMARY_COLUMNS,
    HistoryError,
    HistoryOptions,
    analyze_dependency,
    candidate_kinds,
    parse_log,
    walk_history,
    write_history,
)
from mining.study.run import HISTORY_MARKER, Study, StudySettings
from tests.conftest import GIT_IDENTITY

FILE = ("https", "file")


def git(repo: Path, *args: str, date: str = "2020-01-01T00:00:00Z") -> str:
    env = {**os.environ, **GIT_IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def commit(
    repo: Path,
    date: str,
    files: dict[str, str | None],
    message: str = "change",
    moves: dict[str, str] | None = None,
) -> str:
    """Write (or delete, for None) `files`, `git mv` `moves`, commit at `date`; the SHA."""
    for old, new in (moves or {}).items():
        (repo / new).parent.mkdir(parents=True, exist_ok=True)
        git(repo, "mv", old, new)
    for name, content in files.items():
        path = repo / name
        if content is None:
            git(repo, "rm", "-q", name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


TRAIN = "import mlflow\n\nwith mlflow.start_run():\n    mlflow.log_param('lr', 0.1)\n"
TRAIN_DATA = TRAIN + "    mlflow.log_input(mlflow.data.from_pandas(df), context='train')\n"
TAGS = "import mlflow\n\n\ndef tag():\n    mlflow.set_tag('ci', 'yes')\n"


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """c1 no MLflow; c2 mlflow required; c3 first calls; c4 log_input (datasets); c5 rename;
    c6 log_input gone; c7 on a branch adds tags; c8 main; c9 merges the branch; c10 log_input
    back. Returns the SHAs by name, and the repository's path under "path"."""
    repo = tmp_path_factory.mktemp("story") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = {"path": str(repo)}
    shas["c1"] = commit(
        repo,
        "2020-01-10T10:00:00Z",
        {
            "train.py": "import sklearn\nprint('train')\n",
            "requirements.txt": "scikit-learn\n",
            "README.md": "# story\n",
            "venv/lib/site.py": TRAIN,
        },
        "no MLflow yet",
    )
    shas["c2"] = commit(
        repo,
        "2020-02-10T10:00:00Z",
        {"requirements.txt": "scikit-learn\nmlflow>=2.0\n"},
        "require mlflow",
    )
    shas["c3"] = commit(repo, "2020-03-10T10:00:00Z", {"train.py": TRAIN}, "track runs")
    shas["c4"] = commit(repo, "2020-04-10T10:00:00Z", {"train.py": TRAIN_DATA}, "log the data")
    shas["c5"] = commit(
        repo, "2020-05-10T10:00:00Z", {}, "move into src/", moves={"train.py": "src/train.py"}
    )
    shas["c6"] = commit(repo, "2020-06-10T10:00:00Z", {"src/train.py": TRAIN}, "drop log_input")
    git(repo, "checkout", "-q", "-b", "feature")
    shas["c7"] = commit(repo, "2020-06-15T10:00:00Z", {"src/tags.py": TAGS}, "tag runs")
    git(repo, "checkout", "-q", "main")
    shas["c8"] = commit(repo, "2020-06-20T10:00:00Z", {"README.md": "# story, v2\n"}, "docs")
    git(
        repo,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge feature",
        "feature",
        date="2020-07-10T10:00:00Z",
    )
    shas["c9"] = git(repo, "rev-parse", "HEAD")
    shas["c10"] = commit(
        repo, "2020-08-10T10:00:00Z", {"src/train.py": TRAIN_DATA}, "log the data again"
    )
    return shas


def walk(
    story: dict[str, str], cache: AnalysisCache | None = None, **options: object
) -> tuple[dict[str, dict[str, object]], list[tuple[str, ...]], dict[str, object], object]:
    result = walk_history(
        RepoRef(story["path"], "o/story", story["c10"]), HistoryOptions(**options), cache
    )  # type: ignore[arg-type]
    names = {sha: name for name, sha in story.items() if name != "path"}
    rows = {
        row["dimension"]: {
            key: names.get(value, value) if isinstance(value, str) else value
            for key, value in row.items()
        }
        for row in result.dimensions
    }
    events = [(row["dimension"], row["event"], names[row["event_commit"]]) for row in result.events]
    return rows, events, result.summary, result.stats


def test_first_commits_removals_and_the_head(story: dict[str, str]) -> None:
    rows, events, summary, _stats = walk(story)
    assert {
        name: (row["first_commit"], row["removed_commit"], row["present_at_head"], row["removals"])
        for name, row in rows.items()
    } == {
        "mlflow": ("c2", "", True, 0),  # the requirement came before the first call
        "parameters": ("c3", "", True, 0),
        "run-lifecycle": ("c3", "", True, 0),
        "datasets": ("c4", "c6", True, 1),  # added, removed, added again
        "tags": ("c9", "", True, 0),  # first parent: it arrived with the merge
    }
    assert rows["datasets"]["first_date"] == "2020-04-10T10:00:00Z"
    assert rows["datasets"]["removed_date"] == "2020-06-10T10:00:00Z"
    assert not any(row["present_at_start"] for row in rows.values())
    assert list(rows) == ["mlflow", "parameters", "datasets", "tags", "run-lifecycle"]
    assert events == [
        ("mlflow", "added", "c2"),
        ("parameters", "added", "c3"),
        ("run-lifecycle", "added", "c3"),
        ("datasets", "added", "c4"),
        ("datasets", "removed", "c6"),
        ("tags", "added", "c9"),
        ("datasets", "added", "c10"),
    ]
    assert summary["commits_analysed"] == 9
    assert summary["walk"] == "first-parent"
    assert (
        summary["first_mlflow_commit"],
        summary["first_mlflow_date"],
        summary["first_mlflow_evidence"],
    ) == (story["c2"], "2020-02-10T10:00:00Z", "dependency")
    assert (
        summary["oldest_commit"],
        summary["oldest_date"],
        summary["head_date"],
        summary["truncated"],
    ) == (story["c1"], "2020-01-10T10:00:00Z", "2020-08-10T10:00:00Z", False)
    assert list(summary) == list(SUMMARY_COLUMNS)
    assert all(
        list(row) == list(HISTORY_COLUMNS)
        for row in walk_history(RepoRef(story["path"], "o/story", story["c10"])).dimensions
    )


def test_the_rename_is_not_a_removal(story: dict[str, str]) -> None:
    _rows, events, _summary, _stats = walk(story)
    assert not [event for event in events if event[2] == "c5"]


def test_all_parents_finds_the_branch_commit(story: dict[str, str]) -> None:
    rows, events, summary, _stats = walk(story, first_parent=False)
    assert rows["tags"]["first_commit"] == "c7"
    assert rows["mlflow"]["first_commit"] == "c2"
    assert summary["commits_analysed"] == 10
    assert summary["walk"] == "all-parents"
    assert ("tags", "added", "c7") in events


def test_a_second_walk_parses_nothing(story: dict[str, str], tmp_path: Path) -> None:
    cache = AnalysisCache(tmp_path / "cache.sqlite", load_catalog().version)
    try:
        first = walk(story, cache)
        second = walk(story, cache)
    finally:
        cache.close()
    assert first[0] == second[0]
    assert first[1] == second[1]
    stats = first[3]
    # Parsed: the requirements with mlflow, train.py with and without log_input (c3 = c6,
    # c4 = c10, and the rename moves a blob), tags.py. Skipped by the pre-filter: the first
    # train.py and requirements. Not read at all: README.md, venv/.
    assert (stats.blobs_parsed, stats.blobs_skipped, stats.cache_hits) == (4, 2, 0)
    again = second[3]
    assert (again.blobs_parsed, again.blobs_skipped, again.cache_hits) == (0, 0, 6)


def test_the_content_cache_is_shared_with_the_scan(story: dict[str, str], tmp_path: Path) -> None:
    """A blob the scan analysed (same key: blob SHA and kind) is a cache hit for the walk."""
    from analyzers.repo.cache import blob_sha
    from analyzers.repo.scanner import ScanSettings, scan_repos

    cache_path = tmp_path / "cache.sqlite"
    list(
        scan_repos([RepoRef(story["path"], "o/story")], ScanSettings(jobs=0, cache_path=cache_path))
    )
    cache = AnalysisCache(cache_path, load_catalog().version)
    try:
        head_train = (Path(story["path"]) / "src" / "train.py").read_bytes()
        assert cache.get(cache.key(blob_sha(head_train), "script")) is not None
        _rows, _events, _summary, stats = walk(story, cache)
    finally:
        cache.close()
    # The scan cached the head's src/train.py and src/tags.py.
    assert (stats.cache_hits, stats.blobs_parsed, stats.blobs_skipped) == (2, 2, 2)


def test_max_commits_starts_inside_the_history(story: dict[str, str]) -> None:
    rows, _events, summary, _stats = walk(story, max_commits=3)
    assert summary["commits_analysed"] == 3
    assert summary["truncated"] is True
    assert summary["oldest_commit"] == story["c8"]
    # What c6 (the parent of the oldest walked commit) had is attributed to c8, flagged.
    assert {name: (row["first_commit"], row["present_at_start"]) for name, row in rows.items()} == {
        "mlflow": ("c8", True),
        "parameters": ("c8", True),
        "run-lifecycle": ("c8", True),
        "datasets": ("c10", False),
        "tags": ("c9", False),
    }
    assert summary["first_mlflow_commit"] == story["c8"]


def test_since_keeps_later_commits(story: dict[str, str]) -> None:
    _rows, _events, summary, _stats = walk(story, since="2020-06-01T00:00:00Z")
    assert summary["commits_analysed"] == 4
    assert summary["truncated"] is True
    assert summary["oldest_commit"] == story["c6"]


def test_a_repository_without_mlflow(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    sha = commit(repo, "2021-01-01T00:00:00Z", {"a.py": "print(1)\n", "nb.ipynb": '{"cells": []}'})
    result = walk_history(RepoRef(str(repo), "o/plain", sha))
    assert result.dimensions == ()
    assert result.events == ()
    assert result.summary["first_mlflow_commit"] == ""
    assert result.summary["commits_analysed"] == 1


def test_notebooks_and_dependency_files_count(tmp_path: Path) -> None:
    repo = tmp_path / "nb"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    notebook = json.dumps(
        {
            "cells": [{"cell_type": "code", "source": "import mlflow\nmlflow.autolog()"}],
            "nbformat": 4,
        }
    )
    first = commit(
        repo,
        "2021-01-01T00:00:00Z",
        {"environment.yml": "dependencies:\n  - pip:\n    - mlflow==2.1\n"},
    )
    second = commit(repo, "2021-02-01T00:00:00Z", {"explore.ipynb": notebook})
    result = walk_history(RepoRef(str(repo), "o/nb", second))
    firsts = {row["dimension"]: row["first_commit"] for row in result.dimensions}
    assert firsts == {"mlflow": first, "autolog": second}


def test_candidates_and_dependency_analysis() -> None:
    assert candidate_kinds("src/train.py") == ("script",)
    assert candidate_kinds("a/b.ipynb") == ("notebook",)
    assert candidate_kinds("venv/lib/x.py") == ()
    assert candidate_kinds("README.md") == ()
    assert candidate_kinds("setup.py")[0] == "script"
    assert len(candidate_kinds("setup.py")) == 2
    assert candidate_kinds("requirements-dev.txt")[0].startswith("requirements")
    assert (
        analyze_dependency("pyproject.toml", b'[project]\ndependencies = ["mlflow>=2"]\n').detail
        == ">=2"
    )
    assert (
        analyze_dependency("requirements.txt", b"mlflow-export-import\n").status.value
        == "no-mlflow"
    )


def test_parse_log_reads_odd_paths() -> None:
    raw = (
        b"\x01" + b"a" * 40 + b" " + b"b" * 40 + b"\x001600000000\x00\n"
        b":100644 100644 " + b"1" * 40 + b" " + b"2" * 40 + b" M\x00dir/a b\n\xc3\xa9.py\x00"
        b":100644 120000 " + b"1" * 40 + b" " + b"3" * 40 + b" T\x00link.py\x00"
        b":000000 100644 " + b"0" * 40 + b" " + b"4" * 40 + b" A\x00data.bin\x00"
        b"\n\x01" + b"b" * 40 + b"\x001500000000\x00"
    )
    commits = parse_log(raw)
    assert [c.sha[0] for c in commits] == ["a", "b"]
    assert commits[0].parents == ("b" * 40,)
    assert commits[0].changes == [("dir/a b\n\u00e9.py", "2" * 40), ("link.py", "")]
    assert commits[1].changes == []
    assert commits[1].time == 1_500_000_000


def test_what_cannot_be_walked_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="not a git checkout"):
        walk_history(RepoRef(str(tmp_path), "x", ""))


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def serve(repo: Path) -> str:
    git(repo, "config", "uploadpack.allowFilter", "true")
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")
    return repo.as_uri()


def test_partial_clone_fetches_blobs_in_one_batch(story: dict[str, str], tmp_path: Path) -> None:
    origin = Path(story["path"])
    url = serve(origin)
    settings = CloneSettings(cache=tmp_path / "clones", jobs=1, protocols=FILE)
    (shallow,) = clone_all([CloneRequest("o/story", url, story["c10"])], settings)
    assert shallow.ok
    assert (Path(shallow.path) / ".git" / "shallow").exists()
    with pytest.raises(HistoryError, match="shallow"):
        walk_history(RepoRef(shallow.path, "o/story", story["c10"]))
    # History mode deepens the cached checkout in place.
    history = CloneSettings(cache=tmp_path / "clones", jobs=1, protocols=FILE, history=True)
    (deep,) = clone_all([CloneRequest("o/story", url, story["c10"])], history)
    assert deep.ok
    assert deep.strategy == "unshallow"
    assert deep.path == shallow.path
    assert not (Path(deep.path) / ".git" / "shallow").exists()
    (cached,) = clone_all([CloneRequest("o/story", url, story["c10"])], history)
    assert cached.strategy == "cache"
    cache = AnalysisCache(tmp_path / "cache.sqlite", load_catalog().version)
    try:
        options = HistoryOptions(protocols=FILE)
        cold = walk_history(RepoRef(deep.path, "o/story", story["c10"]), options, cache)
        warm = walk_history(RepoRef(deep.path, "o/story", story["c10"]), options, cache)
    finally:
        cache.close()
    # The sparse checkout brought the head's files (venv/lib/site.py holds the c3 train.py);
    # the first train.py and requirements.txt come in one request.
    assert (cold.stats.blobs_fetched, cold.stats.fetch_requests) == (2, 1)
    assert cold.stats.bytes_fetched > 0
    assert (warm.stats.blobs_fetched, warm.stats.blobs_parsed) == (0, 0)
    assert (
        cold.dimensions == walk_history(RepoRef(story["path"], "o/story", story["c10"])).dimensions
    )


def test_a_fresh_history_clone_is_blobless_and_complete(
    story: dict[str, str], tmp_path: Path
) -> None:
    url = serve(Path(story["path"]))
    settings = CloneSettings(cache=tmp_path / "clones", jobs=1, protocols=FILE, history=True)
    (result,) = clone_all([CloneRequest("o/story", url, story["c10"])], settings)
    assert result.ok
    assert result.strategy == "pinned-sha+blobless+history"
    checkout = Path(result.path)
    assert (checkout / "src" / "train.py").is_file()
    count = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"],
        cwd=checkout,
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    assert count == "10"


def test_a_refused_fetch_is_reported_in_the_summary(story: dict[str, str], tmp_path: Path) -> None:
    origin = Path(story["path"])
    url = serve(origin)
    settings = CloneSettings(cache=tmp_path / "clones", jobs=1, protocols=FILE, history=True)
    (result,) = clone_all([CloneRequest("o/story", url, story["c10"])], settings)
    # A protocol the walk may not use: the fetch of old blobs is refused, the row says why.
    summary, _stats = write_history(
        RepoRef(result.path, "o/story", story["c10"]),
        tmp_path / "out",
        HistoryOptions(protocols=("https",)),
        tmp_path / "cache.sqlite",
    )
    assert summary["status"] == "error"
    assert "fetching blobs failed" in summary["detail"]
    assert [row["status"] for row in read(tmp_path / "out" / "history_summary.csv")] == ["error"]
    assert (tmp_path / "out" / "history.csv").read_text().strip() == ",".join(HISTORY_COLUMNS)
    assert (tmp_path / "out" / "history_events.csv").read_text().strip() == ",".join(EVENT_COLUMNS)


# --- the study -------------------------------------------------------------------------------


def dataset(path: Path, repo: str, url: str, sha: str) -> Path:
    from mining.github.search import COLUMNS

    row = dict.fromkeys(COLUMNS, "")
    row.update(
        {
            "full_name": repo,
            "clone_url": url,
            "commit": sha,
            "default_branch": "main",
            "created_at": "2019-12-01T00:00:00Z",
            "size_kb": "10",
        }
    )
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerow(row)
    return path


def test_the_study_walks_histories_and_resumes(story: dict[str, str], tmp_path: Path) -> None:
    url = serve(Path(story["path"]))
    data = dataset(tmp_path / "dataset.csv", "o/story", url, story["c10"])

    def settings(**overrides: object) -> StudySettings:
        return StudySettings(
            name="t",
            dataset=data,
            output=tmp_path / "out",
            crawl=False,
            protocols=FILE,
            jobs=1,
            clone_cache=tmp_path / "clones",
            analysis_cache=tmp_path / "cache.sqlite",
            **overrides,
        )  # type: ignore[arg-type]

    plain = Study(settings())
    list(plain.traverse_repos())
    plain.merge()
    assert not (tmp_path / "out" / "history.csv").exists()
    logged: list[str] = []
    study = Study(settings(history=True), log=logged.append)
    assert [o.status for o in study.traverse_repos()] == ["analyzed"]
    assert "1 repositories: 0 already analyzed, 1 to clone and analyze" in logged
    study.merge()
    rows = read(tmp_path / "out" / "history.csv")
    assert {row["dimension"]: row["first_commit"] for row in rows}["datasets"] == story["c4"]
    assert (tmp_path / "out" / "repos" / "o__story" / HISTORY_MARKER).is_file()
    logged.clear()
    again = Study(settings(history=True), log=logged.append)
    list(again.traverse_repos())
    assert "1 repositories: 1 already analyzed, 0 to clone and analyze" in logged
    capped = Study(settings(history=True, max_commits=2), log=logged.append)
    (outcome,) = list(capped.traverse_repos())
    capped.merge()
    assert "1 repositories: 0 already analyzed, 1 to clone and analyze" in logged
    summary = read(tmp_path / "out" / "history_summary.csv")
    assert summary[0]["commits_analysed"] == "2"
    assert summary[0]["truncated"] == "true"
    assert int(summary[0]["file_versions"]) > 0
    costs = dict(outcome.costs)  # the run's costs go to the run log, not to the tables
    assert costs["history_blobs_parsed"] == 0
    assert costs["history_cache_hits"] > 0


def test_study_file_and_cli_options(tmp_path: Path) -> None:
    (tmp_path / "datasets").mkdir()
    study_file = tmp_path / "datasets" / "x.toml"
    study_file.write_text('name = "x"\nhistory = true\nmax_commits = 50\nsince = "2021-01-01"\n')
    loaded = StudySettings.from_toml(study_file)
    options = loaded.history_options()
    assert options is not None
    assert (options.max_commits, options.since, options.first_parent) == (
        50,
        "2021-01-01",
        True,
    )
    assert StudySettings.from_toml(study_file, history=False).history_options() is None
    from click.testing import CliRunner

    from mining.cli.study import study

    help_text = CliRunner().invoke(study, ["--help"]).output
    assert all(
        flag in help_text for flag in ("--history", "--max-commits", "--since", "--all-parents")
    )
