"""The whole study on the demo corpus: real git repositories, real clones, real scans."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mining.study.demo import build_demo, demo_url_rewrites
from mining.study.run import MARKER, Study, StudySettings
from mining.study.settings import StudyFileError, StudySetupError
from tests.conftest import make_git_repo
from tests.paths import ROOT

OUTPUTS = ("repos.csv", "files.csv", "calls.csv", "signals.csv", "study.json", "dataset.csv")


@pytest.fixture(scope="module")
def demo_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo"))


def settings(dataset: Path, output: Path, **overrides: object) -> StudySettings:
    return StudySettings(
        name="demo",
        dataset=dataset,
        output=output,
        crawl=False,
        protocols=("https", "file"),
        jobs=2,
        clone_cache=output.parent / f"{output.name}-clones",
        url_rewrites=demo_url_rewrites(dataset.parent),
        **overrides,
    )


def snapshot(output: Path) -> dict[str, bytes]:
    return {name: (output / name).read_bytes() for name in OUTPUTS}


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def local_run(demo_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("local") / "study"
    study = Study(settings(demo_dataset, output))
    outcomes = list(study.traverse_repos())
    study.merge()
    assert len(outcomes) == 14
    return output


def test_every_dataset_repository_has_an_outcome(local_run: Path) -> None:
    statuses = {row["repo"]: row["status"] for row in rows(local_run / "repos.csv")}
    assert statuses["demo/deleted-repo"] == "not-found"
    assert statuses["demo/empty-repo"] == "unpinned"
    assert sum(status == "analyzed" for status in statuses.values()) == 12


def test_tables_hold_what_the_fixtures_contain(local_run: Path) -> None:
    calls = rows(local_run / "calls.csv")
    assert (
        "demo/churn-sklearn",
        "src/train.py",
        "mlflow.log_params",
        "max_depth;n_estimators",
    ) in {(c["repo"], c["path"], c["api"], c["keys"]) for c in calls}
    assert not [c for c in calls if c["repo"] in ("demo/lightning-only", "demo/data-utils")]
    signals = rows(local_run / "signals.csv")
    assert {
        "repo": "demo/churn-sklearn",
        "path": "requirements.txt",
        "signal": "mlflow-requirement",
        "value": "'==2.16.2",
    } in [{k: s[k] for k in ("repo", "path", "signal", "value")} for s in signals]
    provenance = json.loads((local_run / "study.json").read_text())
    assert provenance["counts"] == {
        "analyzed": 12,
        "not-found": 1,
        "repositories": 14,
        "unpinned": 1,
    }


def test_rerun_with_nothing_new_touches_no_repository_and_is_identical(
    local_run: Path, demo_dataset: Path
) -> None:
    before = snapshot(local_run)
    origins = demo_dataset.parent / "origins"
    hidden = origins.with_name("origins-hidden")
    origins.rename(hidden)  # a rerun that needed the network would now fail
    try:
        study = Study(settings(demo_dataset, local_run))
        outcomes = list(study.traverse_repos())
        study.merge()
    finally:
        hidden.rename(origins)
    assert [o.status for o in outcomes].count("analyzed") == 12
    assert snapshot(local_run) == before


def test_killed_study_resumes_to_identical_outputs(
    local_run: Path, demo_dataset: Path, tmp_path: Path
) -> None:
    output = tmp_path / "study"
    shutil.copytree(local_run, output)
    shutil.copytree(
        local_run.parent / f"{local_run.name}-clones", tmp_path / "study-clones", symlinks=True
    )
    # A kill leaves repositories without their marker (the marker is written last) and a
    # half-written table: neither may be trusted.
    for name in ("demo__xgboost-optuna", "demo__genai-agent"):
        (output / "repos" / name / MARKER).unlink()
        (output / "repos" / name / "calls.csv").write_text("repo,commit\ntruncated")
    for name in OUTPUTS:
        (output / name).unlink()
    study = Study(settings(demo_dataset, output))
    logged: list[str] = []
    study.log = logged.append
    list(study.traverse_repos())
    study.merge()
    assert "14 repositories: 12 already analyzed, 2 to clone and analyze" in logged
    assert snapshot(output) == snapshot(local_run)


def test_dask_local_cluster_gives_identical_outputs(
    local_run: Path, demo_dataset: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    output = tmp_path / "study"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        study = Study(
            settings(demo_dataset, output, executor="dask", scheduler=cluster.scheduler_address)
        )
        list(study.traverse_repos())
        study.merge()
    assert snapshot(output) == snapshot(local_run)


def test_dask_without_scheduler_is_a_clear_error(demo_dataset: Path, tmp_path: Path) -> None:
    study = Study(settings(demo_dataset, tmp_path / "s", executor="dask"))
    with pytest.raises(StudySetupError, match="--scheduler"):
        list(study.traverse_repos())


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    study = Study(settings(tmp_path / "nope.csv", tmp_path / "s"))
    with pytest.raises(FileNotFoundError, match="crawl it first"):
        list(study.traverse_repos())


def test_study_file_paths_are_relative_to_its_folder(tmp_path: Path) -> None:
    (tmp_path / "studies").mkdir()
    study_file = tmp_path / "studies" / "x.toml"
    study_file.write_text('name = "x"\ntopics = ["a"]\nqualifiers = ["stars:>=5"]\n')
    loaded = StudySettings.from_toml(study_file, jobs=3)
    assert (loaded.dataset, loaded.output) == (
        tmp_path / "studies" / "x.csv",
        tmp_path / "studies" / "results" / "x",
    )
    assert (loaded.topics, loaded.qualifiers, loaded.jobs) == (("a",), ("stars:>=5",), 3)
    study_file.write_text('name = "x"\ndataset = "../data/x.csv"\noutput = "/abs/out"\n')
    loaded = StudySettings.from_toml(study_file)
    assert (loaded.dataset.resolve(), loaded.output) == (
        tmp_path / "data" / "x.csv",
        Path("/abs/out"),
    )


def test_the_shipped_study_file_keeps_its_paths() -> None:
    loaded = StudySettings.from_toml(ROOT / "datasets" / "mlflow-topics.toml")
    assert loaded.dataset == ROOT / "datasets" / "mlflow-topics.csv"
    assert loaded.output.resolve() == ROOT / "results" / "mlflow-topics"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            'name = "x"\ntopics = "mlflow"',
            "topics must be a list of strings, not str 'mlflow' (e.g. topics = [",
            id="topics-a-string",
        ),
        pytest.param('name = "x"\ntopic = ["typo"]', "unknown key(s) topic", id="unknown-key"),
        pytest.param('name = "x"\njobs = "4"', "jobs must be a whole number", id="jobs-a-string"),
        pytest.param('name = "x"\njobs = 0', "jobs must be a whole number", id="jobs-zero"),
        pytest.param('name = "x"\ncrawl = "no"', "crawl must be true or false", id="crawl-text"),
        pytest.param('name = "x"\nqualifiers = [1]', "qualifiers must be", id="qualifier-int"),
        pytest.param('name = "x"\nprotocols = ["ssh"]', "protocols must be", id="protocol-ssh"),
        pytest.param('name = "../up"', "name must be a name of letters", id="name-escapes"),
        pytest.param("name = 3", "name must be", id="name-a-number"),
        pytest.param('topics = ["a"]', "no name", id="no-name"),
        pytest.param('name = "x"\ndataset = ""', "dataset must be a path", id="empty-path"),
        pytest.param("name = ", "not valid TOML", id="bad-toml"),
    ],
)
def test_a_bad_study_file_is_refused_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    study_file = tmp_path / "bad.toml"
    study_file.write_text(text + "\n")
    with pytest.raises(StudyFileError) as raised:
        StudySettings.from_toml(study_file)
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{study_file}: ")


def test_demo_command_end_to_end(tmp_path: Path) -> None:
    """What a new user runs first: offline, no token, a report at the end."""
    env = {
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "mining", "demo", "--out", str(tmp_path / "demo"), "--no-static"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "demo" / "report" / "index.html").exists()
    assert (tmp_path / "demo" / "export" / "adoption.tex").exists()
    assert "repositories: analyzed 12, not-found 1, unpinned 1" in done.stderr


def test_a_file_left_out_of_the_checkout_is_a_too_large_row(tmp_path: Path) -> None:
    """The cloner never writes a file over its cap; the study still accounts for it."""
    origin = tmp_path / "origin"
    bomb = b"x = 0\n" + b"#" * 3_000_000 + b"\n"
    sha = make_git_repo(origin, {"bomb.py": bomb, "train.py": "import mlflow\nmlflow.autolog()\n"})
    for key in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
        subprocess.run(["git", "-C", str(origin), "config", key, "true"], check=True)
    dataset = tmp_path / "dataset.csv"
    dataset.write_text(f"full_name,clone_url,commit\nacme/bomb,{origin.as_uri()},{sha}\n")
    study = Study(settings(dataset, tmp_path / "out", max_file_mb=1))
    (outcome,) = list(study.traverse_repos())
    assert (outcome.status, outcome.files, outcome.calls) == ("analyzed", 2, 1)
    assert outcome.detail.startswith("left out 1 file(s) over 1 MB, the rest analysed: bomb.py")
    files = rows(tmp_path / "out" / "repos" / "acme__bomb" / "files.csv")
    assert {(f["path"], f["status"]) for f in files} == {
        ("train.py", "analyzed"),
        ("bomb.py", "too-large"),
    }
    assert "left out of the checkout" in next(f["detail"] for f in files if f["path"] == "bomb.py")


def remove_blobs(origin: Path, *paths: str) -> None:
    """Delete the loose objects of `paths` from a served repository: a blob the server can no
    longer send, as in a damaged repository or a snapshot missing its large objects."""
    for path in paths:
        blob = subprocess.run(
            ["git", "-C", str(origin), "rev-parse", f"HEAD:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (origin / ".git" / "objects" / blob[:2] / blob[2:]).unlink()


def test_a_file_the_server_cannot_send_makes_the_repository_partial(tmp_path: Path) -> None:
    """One missing blob costs its file, not the repository: the file is an unreadable row,
    the rest is analysed and the repository is `partial`; no detail names a local path."""
    origin = tmp_path / "origin"
    sha = make_git_repo(
        origin,
        {
            "train.py": "import mlflow\nmlflow.log_param('lr', 0.1)\n",
            "lost.py": "import mlflow\nmlflow.log_metric('rmse', 0.3)\n",
            "requirements.txt": "mlflow==2.16.2\n",
        },
    )
    for key in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
        subprocess.run(["git", "-C", str(origin), "config", key, "true"], check=True)
    remove_blobs(origin, "lost.py")
    dataset = tmp_path / "dataset.csv"
    dataset.write_text(
        f"full_name,clone_url,commit,created_at\nacme/damaged,{origin.as_uri()},{sha},2024-01-01\n"
    )
    study = Study(settings(dataset, tmp_path / "out"))
    (outcome,) = list(study.traverse_repos())
    assert (outcome.status, outcome.calls) == ("partial", 1), outcome
    assert outcome.detail == (
        "left out 1 file(s) the server could not send, the rest analysed: lost.py"
    )
    files = rows(tmp_path / "out" / "repos" / "acme__damaged" / "files.csv")
    assert {(f["path"], f["status"]) for f in files} == {
        ("train.py", "analyzed"),
        ("lost.py", "unreadable"),
    }
    lost = next(f for f in files if f["path"] == "lost.py")
    assert lost["detail"] == "the server could not send its content: left out of the checkout"
    study.merge()
    (repo,) = rows(tmp_path / "out" / "repos.csv")
    assert repo["status"] == "partial"
    assert str(tmp_path) not in repo["detail"]
    # The study counts it among the analysed repositories.
    from analyzers.study.aggregate import aggregate_study

    study_dir = tmp_path / "out"
    aggregates = aggregate_study(study_dir)
    assert aggregates.n_analysed == 1
    headline = aggregates.headline.set_index(["measure", "population"])
    assert headline.loc[("log-params", "analysed"), ["numerator", "denominator"]].tolist() == [1, 1]


def test_two_demo_builds_at_once_both_succeed(tmp_path: Path) -> None:
    """Two `mlflow-miner demo` runs at once used to build the same repositories in the same
    folders and crash; each now builds in a folder of its own and renames it into place."""
    script = "import sys; from pathlib import Path; from mining.study.demo import build_demo; "
    script += "build_demo(Path(sys.argv[1]), dataset=Path(sys.argv[2]))"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "demo"), str(tmp_path / f"{n}.csv")],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
    first, second = (rows(tmp_path / f"{n}.csv") for n in range(2))
    assert first == second
    assert len(first) == 14
    origins = tmp_path / "demo" / "origins"
    for row in first:
        if row["commit"] and row["full_name"] != "demo/deleted-repo":
            repo = origins / row["full_name"].split("/")[1]
            head = subprocess.run(
                ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
            )
            assert head.stdout.strip() == row["commit"]
    assert not [path.name for path in origins.iterdir() if path.name.startswith(".")]
