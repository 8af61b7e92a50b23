"""kill -9 and SIGTERM of real `mlflow-miner` processes: nothing may survive them (worker,
forkserver, resource tracker, git), SIGTERM removes what was being written and exits 143, and
a rerun completes and leaves no temporary file.

Every process a run starts inherits a marker in its environment, which is how a test finds
them through /proc even after they were re-parented (no psutil needed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzers.tables import csv_table
from mining.github.search import COLUMNS
from tests.conftest import make_git_repo

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
MARK = "MLFLOW_MINER_TEST_RUN"


@dataclass(frozen=True)
class Process:
    pid: int
    rss_kb: int
    command: str
    cwd: str


def marked(marker: str) -> list[Process]:
    """Live processes (zombies excluded) whose environment holds the marker."""
    found = []
    needle = f"{MARK}={marker}".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes()
            stat = Path(f"/proc/{name}/stat").read_bytes()
            command = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ")
            rss = int(Path(f"/proc/{name}/statm").read_text().split()[1]) * 4
            cwd = os.readlink(f"/proc/{name}/cwd")
        except (OSError, IndexError, ValueError):
            continue
        if needle in environ.split(b"\0") and stat.rpartition(b")")[2].split()[0] != b"Z":
            found.append(Process(int(name), rss, command.decode(errors="replace"), cwd))
    return found


def wait_for(condition, timeout: float = 60.0, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def temporary_files(*folders: Path) -> list[Path]:
    return [
        path
        for folder in folders
        if folder.exists()
        for path in folder.rglob("*")
        if path.name.endswith(".tmp") or ".partial-" in path.name
    ]


class Run:
    """One `mlflow-miner` process, marked."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.marker = uuid.uuid4().hex
        environment = {**os.environ, MARK: self.marker, **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mining", *args],
            cwd=cwd,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def processes(self) -> list[Process]:
        return marked(self.marker)

    def workers_started(self) -> bool:
        return any("forkserver" in p.command for p in self.processes())

    def stop(self, signum: int) -> tuple[int, str, list[Process]]:
        """Freeze the run where it is, send `signum`, and return (exit code, stderr, what ran
        below it just before)."""
        os.kill(self.process.pid, signal.SIGSTOP)
        below = [p for p in self.processes() if p.pid != self.process.pid]
        os.kill(self.process.pid, signum)
        os.kill(self.process.pid, signal.SIGCONT)
        _, stderr = self.process.communicate(timeout=60)
        return self.process.returncode, stderr, below


def rerun(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mining", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


# --- scan ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough MLflow calls to keep two workers busy for a while."""
    root = tmp_path_factory.mktemp("busy")
    body = "import mlflow\n" + "".join(f"mlflow.log_param('k{j}', {j})\n" for j in range(100))
    for index in range(160):
        (root / f"train_{index:03d}.py").write_text(body)
    return root


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_stopped_scan_leaves_nothing_and_a_rerun_completes(
    busy_tree: Path, tmp_path: Path, signum: int
) -> None:
    out = tmp_path / "out"
    args = ["scan", str(busy_tree), "--out", str(out), "--no-cache", "--jobs", "2"]
    run = Run(args, tmp_path)
    assert wait_for(run.workers_started), run.process.communicate()[1]
    code, stderr, below = run.stop(signum)
    assert any("forkserver" in p.command for p in below)
    assert wait_for(lambda: not run.processes(), timeout=10), run.processes()
    if signum == signal.SIGTERM:
        assert code == 143, stderr
        assert "stopped by SIGTERM" in stderr
        assert "Traceback" not in stderr
        assert not temporary_files(out)
    else:
        assert code == -signal.SIGKILL
    done = rerun(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert not temporary_files(out)  # a killed run's leftovers are swept at the next start
    assert (out / "calls.csv").read_text().count("\n") == 1 + 160 * 100


# --- study ---------------------------------------------------------------------------------------


def served_repo(path: Path, files: dict[str, str | bytes]) -> str:
    sha = make_git_repo(path, files)
    for key, value in (
        ("uploadpack.allowFilter", "true"),
        ("uploadpack.allowAnySHA1InWant", "true"),
    ):
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
    return sha


def write_dataset(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """A dataset as the crawler writes it."""
    with csv_table(path, COLUMNS) as table:
        for name, url, sha in rows:
            table.write(
                {
                    **dict.fromkeys(COLUMNS, ""),
                    **{"full_name": name, "clone_url": url, "commit": sha},
                    **{"default_branch": "main", "created_at": "2024-01-01T00:00:00Z"},
                    **{"stars": 1, "forks": 0, "size_kb": 1, "archived": False, "fork": False},
                    **{"crawled_at": "2025-01-01T00:00:00Z", "language": "Python"},
                }
            )


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_stopped_study_leaves_nothing_and_a_rerun_completes(
    tmp_path: Path, silent_server: int, signum: int
) -> None:
    """The study analyses one repository in its pool while it clones the next from a server
    that never answers; stopped there, no worker, forkserver, tracker or git may remain."""
    # (a fact too: the report of a study without any fact fails, analyzers/study/registry.py)
    body = "import mlflow\nmlflow.set_tracking_uri('http://localhost:5000')\n"
    first = served_repo(tmp_path / "origins" / "first", {"train.py": body})
    second = served_repo(tmp_path / "origins" / "second", {"eval.py": body})
    dataset = tmp_path / "dataset.csv"
    rows = [("acme/first", (tmp_path / "origins" / "first").as_uri(), first)]
    write_dataset(dataset, [*rows, ("acme/second", f"git://127.0.0.1:{silent_server}/x", second)])
    (tmp_path / "study.toml").write_text(
        'name = "stopped"\ndataset = "dataset.csv"\noutput = "out"\ncrawl = false\n'
        'protocols = ["https", "file", "git"]\njobs = 2\n'
    )
    cache = tmp_path / "clones"
    args = ["study", "study.toml", "--no-static", "--clone-cache", str(cache)]
    run = Run(args, tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "xdg")})

    def cloning_the_silent_one() -> bool:
        running = run.processes()
        return any("forkserver" in p.command for p in running) and any(
            " fetch " in p.command and "acme__second" in p.cwd for p in running
        )

    if not wait_for(cloning_the_silent_one):
        run.process.kill()
        pytest.fail(run.process.communicate()[1])
    code, stderr, below = run.stop(signum)
    assert {"forkserver", "resource_tracker", "fetch"} <= {
        word
        for p in below
        for word in ("forkserver", "resource_tracker", "fetch")
        if word in p.command
    }
    assert wait_for(lambda: not run.processes(), timeout=10), run.processes()
    if signum == signal.SIGTERM:
        assert code == 143, stderr
        assert "Traceback" not in stderr
        assert not temporary_files(tmp_path / "out", cache)
    else:
        assert code == -signal.SIGKILL
    # The second repository is reachable now; the rerun resumes and completes.
    write_dataset(
        dataset, [*rows, ("acme/second", (tmp_path / "origins" / "second").as_uri(), second)]
    )
    done = rerun(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "repositories: analyzed 2" in done.stderr
    assert not temporary_files(tmp_path / "out", cache)


# --- crawl ---------------------------------------------------------------------------------------


def test_a_terminated_crawl_exits_143_and_resumes(tmp_path: Path) -> None:
    from tests.mining.github.fake_github import FakeGitHub, Fault, make_world

    out = tmp_path / "crawl.csv"
    with FakeGitHub(make_world(project=150, projects=40, both=15, other=30, seed=3)) as server:
        hang = Fault(200, delay=30)
        server.fail(hang, path="/repos/", times=1)  # the first pin hangs
        env = {"GITHUB_API_URL": server.url, "GITHUB_TOKEN": "t"}
        run = Run(["crawl", "--out", str(out)], tmp_path, env=env)
        assert hang.served.wait(60)
        code, stderr, _ = run.stop(signal.SIGTERM)
        assert code == 143, stderr
        assert not temporary_files(tmp_path)
        assert not out.exists()
        done = subprocess.run(
            [sys.executable, "-m", "mining", "crawl", "--out", str(out)],
            cwd=tmp_path,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert "checkpoint: resuming" in done.stderr
