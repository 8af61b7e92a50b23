"""The offline demo corpus: git repositories built from the project's own fixture files.

Each directory of `tests/fixtures/corpus/` becomes a repository with a fixed author and date,
so its commit SHA is the same on every machine; an empty repository and a deleted one are added
so the demo shows failures too. The dataset CSV has the crawler's columns and clone URLs on a
host that never resolves, which the cloner rewrites to the repositories built here.

A project with `tests/fixtures/history/<project>/history.toml` gets a history before that
last commit (MLflow arriving, a dimension added then removed, a rename, a branch merged), with
fixed dates too, so `mlflow-miner demo` has adoption curves to show.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analyzers.repo.cache import cache_root
from analyzers.repo.lifetime import is_running
from analyzers.tables import csv_table
from mining.github.search import COLUMNS as DATASET_COLUMNS

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "corpus"
# tests/fixtures/history/<project>/history.toml: commits that come before the project's own.
HISTORY = FIXTURES.parent / "history"

CRAWLED_AT = "2026-11-01T00:00:00Z"
# The dataset's clone URLs: a host that never resolves (RFC 2606), rewritten by the cloner to
# the origins built on this machine (`demo_url_rewrites`), so no path of the machine is in it.
DEMO_URL = "https://demo.invalid/"
STAMP = "mlflow-miner-fixture"
_BUILD = re.compile(
    r"\..+\.(?:build|stale)-(?P<pid>\d+)-[0-9a-f]+"
)  # in a built repository's .git: the digest it was built from
OWNER = "demo"
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "mlflow-miner demo",
    "GIT_AUTHOR_EMAIL": "demo@mlflow-miner.invalid",
    "GIT_COMMITTER_NAME": "mlflow-miner demo",
    "GIT_COMMITTER_EMAIL": "demo@mlflow-miner.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def default_demo_dir() -> Path:
    return cache_root() / "demo"


def demo_url_rewrites(target: Path | None = None) -> tuple[tuple[str, str], ...]:
    """The cloner's URL rewrite from the dataset's clone URLs to the built origins."""
    origins = (target or default_demo_dir()).resolve() / "origins"
    return ((f"{DEMO_URL}{OWNER}/", f"{origins.as_uri()}/"),)


def _git(cwd: Path, *args: str, date: str = CRAWLED_AT) -> str:
    env = {**os.environ, **_GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _created_at(index: int) -> str:
    """Spread the demo repositories over the years MLflow has existed (2018-2025)."""
    return f"{2018 + index % 8}-{1 + index % 12:02d}-15T12:00:00Z"


def _tree_digest(root: Path) -> str:
    """What a fixture project holds: names, modes, contents and link targets."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(oct(path.stat().st_mode & 0o111).encode() + path.read_bytes())
    return digest.hexdigest()


def _days_after(date: str, days: int) -> str:
    start = datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _build_history(repo: Path, history: Path, created: str) -> str:
    """Commit `history/history.toml`'s steps into the fresh repository `repo`, on main unless a
    step names a branch; return the date the project's own (last) commit gets.

    A step: `days` after `created`; `files`, a directory of `history` written over the work
    tree; `remove`, paths to delete; `rename`, [from, to] pairs; `branch`, commit there (made
    from main when new); `merge`, merge that branch into main with a merge commit.
    """
    with open(history / "history.toml", "rb") as handle:
        plan = tomllib.load(handle)
    branches = {"main"}
    current = "main"
    for step in plan.get("commit", []):
        date = _days_after(created, int(step.get("days", 0)))
        branch = step.get("branch", "main")
        if branch != current:
            _git(repo, "checkout", "-q", *(() if branch in branches else ("-b",)), branch)
            branches.add(branch)
            current = branch
        if "merge" in step:
            _git(repo, "merge", "-q", "--no-ff", "-m", step["message"], step["merge"], date=date)
            continue
        if "files" in step:
            subprocess.run(["cp", "-a", f"{history / step['files']}/.", str(repo)], check=True)
        for path in step.get("remove", []):
            _git(repo, "rm", "-q", "--", path)
        for source, destination in step.get("rename", []):
            (repo / destination).parent.mkdir(parents=True, exist_ok=True)
            _git(repo, "mv", "--", source, destination)
        _git(repo, "add", "-A", "--force")
        _git(repo, "commit", "-q", "-m", step["message"], date=date)
    if current != "main":
        _git(repo, "checkout", "-q", "main")
    return _days_after(created, int(plan.get("final_days", 0)))


def _serve(repo: Path) -> None:
    # What GitHub allows, so the cloner's blobless, pinned-SHA fetch works over file:// too.
    _git(repo, "config", "uploadpack.allowFilter", "true")
    _git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")


def build_demo(
    target: Path | None = None, fixtures: Path = FIXTURES, dataset: Path | None = None
) -> Path:
    """Build the demo repositories under `target` (once; they never change) and write their
    dataset CSV (default `target/dataset.csv`); return the dataset's path.

    Each repository is built in a folder of its own and renamed into place, so runs that build
    at the same time (two `mlflow-miner demo`) never see or break each other's half-built one.
    """
    target = (target or default_demo_dir()).resolve()
    origins = target / "origins"
    origins.mkdir(parents=True, exist_ok=True)
    _sweep_builds(origins)
    rows = []
    projects = sorted(path for path in fixtures.iterdir() if path.is_dir())
    for index, project in enumerate(projects):
        repo = origins / project.name
        history = HISTORY / project.name
        digest = _tree_digest(project)
        if (history / "history.toml").is_file():
            digest += ":history:" + _tree_digest(history)
        if _stamp(repo) != digest:

            def build(work: Path, project: Path = project, index: int = index) -> None:
                _build_project(work, project, HISTORY / project.name, index)

            _publish(repo, digest, build)
        rows.append(_row(project.name, repo, _git(repo, "rev-parse", "HEAD"), index))
    empty = origins / "empty-repo"
    if _stamp(empty) != "empty":
        _publish(empty, "empty", _build_empty)
    rows.append(
        {**_row("empty-repo", empty, "", len(rows)), "note": "409: Git Repository is empty."}
    )
    rows.append(_row("deleted-repo", origins / "deleted-repo", "0" * 40, len(rows)))
    dataset = dataset or target / "dataset.csv"
    with csv_table(dataset, DATASET_COLUMNS) as table:
        table.write_all(sorted(rows, key=lambda row: row["full_name"]))
    return dataset


def _build_project(repo: Path, project: Path, history: Path, index: int) -> None:
    _git(repo, "init", "-q", "-b", "main")
    final = _created_at(index)
    if (history / "history.toml").is_file():
        final = _build_history(repo, history, final)
    subprocess.run(["cp", "-a", f"{project}/.", str(repo)], check=True)
    _git(repo, "add", "-A", "--force")
    _git(repo, "commit", "-q", "-m", f"{project.name}: demo project", date=final)
    _serve(repo)


def _build_empty(repo: Path) -> None:
    _git(repo, "init", "-q", "-b", "main")
    _serve(repo)


def _stamp(repo: Path) -> str | None:
    """What the repository was built from, or None when it is missing or half-built."""
    try:
        return (repo / ".git" / STAMP).read_text(encoding="utf-8")
    except OSError:
        return None


def _sweep_builds(origins: Path) -> None:
    """Remove the build folders of runs that were killed while building."""
    for path in origins.iterdir():
        match = _BUILD.fullmatch(path.name)
        if match and not is_running(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)


def _publish(repo: Path, digest: str, build: Callable[[Path], None]) -> None:
    """Build into a private folder, stamp it, rename it to `repo`; a stale `repo` is moved
    aside first. If another run publishes the same build meanwhile, its copy is kept."""
    unique = f"{os.getpid()}-{os.urandom(4).hex()}"
    work = repo.with_name(f".{repo.name}.build-{unique}")
    try:
        work.mkdir()
        build(work)
        (work / ".git" / STAMP).write_text(digest, encoding="utf-8")
        for _ in range(10):
            try:
                os.rename(work, repo)
                return
            except OSError:
                if _stamp(repo) == digest:
                    return  # another run built the very same repository
            stale = repo.with_name(f".{repo.name}.stale-{unique}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(repo, stale)
            shutil.rmtree(stale, ignore_errors=True)
        raise OSError(f"could not publish the demo repository {repo}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _row(name: str, repo: Path, commit: str, index: int) -> dict[str, object]:
    size_kb = (
        sum(f.stat().st_size for f in repo.rglob("*") if f.is_file() and ".git" not in f.parts)
        // 1024
        if repo.exists()
        else 0
    )
    return {
        "full_name": f"{OWNER}/{name}",
        "html_url": "",
        "clone_url": f"{DEMO_URL}{OWNER}/{name}",
        "default_branch": "main",
        "commit": commit,
        "stars": (index * 7) % 40,
        "forks": index % 5,
        "size_kb": size_kb,
        "language": "Python",
        "topics": "mlflow;mlflow-project",
        "license": "mit",
        "created_at": _created_at(index),
        "pushed_at": CRAWLED_AT,
        "archived": False,
        "fork": False,
        # Not "Demo project ...": the purpose rule would call every one an example.
        "description": f"The {name} project",
        "crawled_at": CRAWLED_AT,
        "matched_topics": "mlflow-project",
        "note": "",
        "frames": "topic:mlflow-project",
    }
