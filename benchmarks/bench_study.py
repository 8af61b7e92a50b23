"""What a whole study costs as it grows: time, peak memory of the parent process, the in-flight
window, and the Dask executor beside the local one.

    python benchmarks/bench_study.py --repos 100            # one size
    python benchmarks/bench_study.py --repos 100 500 2000   # the curve
    make bench-study N=500

The generated study (seeded, reused while the generator is unchanged) has N mostly small git
repositories, each a bare repository written with one `git fast-import` and served over file://
with what GitHub allows (`uploadpack.allowFilter`, `uploadpack.allowAnySHA1InWant`):

* 80% small: a training script or two calling MLflow, a helper module, requirements.txt, a
  README, 1-5 commits;
* 15% medium: 6-25 modules, a notebook, a config file, 10-40 commits;
* 4% without MLflow; 1% deleted (their clone URL names nothing: status not-found).

For each size the study runs in a child process (`run_study`: clone, analyze, merge, report
without static images, export) with a cold clone cache and a cold analysis cache, once with the
local executor and once on a Dask `LocalCluster` of 2 worker processes started by this script,
then once more locally with nothing changed (the warm rerun). The child reports its own peak
RSS (`ru_maxrss` of the study's process: the workers are not in it), its stages' seconds (the
run log) and the largest number of repositories it had in flight (submitted to workers and
not yet collected). Nothing here talks to the network.

Measured numbers: benchmarks/README.md, "bench_study.py".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzers.tables import csv_table
from mining.github.search import COLUMNS as DATASET_COLUMNS

GENERATOR_VERSION = "1"
ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C",
}
SERVE = "[uploadpack]\n\tallowFilter = true\n\tallowAnySHA1InWant = true\n"
APIS = (
    "mlflow.log_param('lr', 0.01)",
    "mlflow.log_params({'depth': 4, 'n': 100})",
    "mlflow.log_metric('loss', loss)",
    "mlflow.log_metrics({'acc': 0.9})",
    "mlflow.set_tag('team', 'ml')",
    "mlflow.log_artifact('model.pkl')",
    "mlflow.sklearn.log_model(model, 'model')",
    "mlflow.log_input(mlflow.data.from_pandas(frame), context='train')",
)


# --- the generated study ---------------------------------------------------------------------


def _training_script(rng: random.Random, uses_mlflow: bool) -> str:
    calls = rng.sample(APIS, rng.randint(2, 6)) if uses_mlflow else []
    lines = [
        "import pandas as pd",
        *(["import mlflow", "import mlflow.sklearn"] if uses_mlflow else []),
        "from sklearn.ensemble import RandomForestClassifier",
        "",
        "",
        "def train(frame: pd.DataFrame) -> float:",
        "    model = RandomForestClassifier()",
        "    loss = 0.0",
    ]
    if uses_mlflow:
        lines += [
            f"    mlflow.set_experiment('exp-{rng.randint(1, 50)}')",
            "    with mlflow.start_run():",
        ]
        lines += [f"        {call}" for call in calls]
    lines += ["    return loss", ""]
    return "\n".join(lines) + "\n"


def _helper_module(rng: random.Random, index: int) -> str:
    body = [f"    total += x * {rng.randint(1, 99)}" for _ in range(rng.randint(5, 60))]
    return "\n".join(
        [
            "import numpy as np",
            "",
            "",
            f"def helper_{index}(x):",
            "    total = 0",
            *body,
            "    return np.float64(total)",
            "",
        ]
    )


def _notebook(rng: random.Random) -> str:
    source = ["import mlflow\n", f"mlflow.log_metric('auc', {rng.random():.3f})\n"]
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": source}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _files(rng: random.Random, kind: str, name: str) -> dict[str, str]:
    uses_mlflow = kind != "plain"
    files = {
        "README.md": f"# {name}\n\nTraining code for {name}.\n",
        "requirements.txt": ("mlflow==2.16.2\n" if uses_mlflow else "") + "pandas\nscikit-learn\n",
        "train.py": _training_script(rng, uses_mlflow),
        "src/helpers.py": _helper_module(rng, 0),
    }
    modules = rng.randint(6, 25) if kind == "medium" else rng.randint(0, 1)
    for i in range(modules):
        files[f"src/pkg/module_{i}.py"] = (
            _training_script(rng, uses_mlflow) if i % 5 == 0 else _helper_module(rng, i)
        )
    if kind == "medium":
        files["notebooks/explore.ipynb"] = _notebook(rng)
        files["conf/config.yaml"] = f"lr: {rng.random():.3f}\nepochs: {rng.randint(1, 90)}\n"
    return files


def _stream(rng: random.Random, kind: str, name: str) -> bytes:
    """A `git fast-import` stream: the project's files arriving over a few commits."""
    files = _files(rng, kind, name)
    commits = rng.randint(10, 40) if kind == "medium" else rng.randint(1, 5)
    names = sorted(files)
    out: list[bytes] = []
    when = 1_600_000_000 + rng.randint(0, 10**8)
    for number in range(1, commits + 1):
        changed = names if number == 1 else rng.sample(names, min(len(names), 2))
        out.append(f"commit refs/heads/main\ncommitter Bench <b@e.invalid> {when} +0000\n".encode())
        message = f"change {number}".encode()
        out.append(b"data %d\n%s\n" % (len(message), message))
        for path in changed:
            data = (files[path] + ("" if number == 1 else f"# revision {number}\n")).encode()
            files[path] = data.decode()
            out.append(f"M 100644 inline {path}\n".encode() + b"data %d\n%s\n" % (len(data), data))
        when += 86_400
    return b"".join(out)


def _kind(index: int) -> str:
    slot = index % 100
    return (
        "deleted" if slot == 99 else "plain" if slot >= 95 else "medium" if slot >= 80 else "small"
    )


def _build_repo(origins: Path, index: int) -> dict[str, Any]:
    name = f"project-{index:05d}"
    kind = _kind(index)
    repo = origins / f"{name}.git"
    commit = f"{index:040x}"  # a deleted repository keeps a commit the dataset pinned
    if kind != "deleted":
        rng = random.Random(index)
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], env=ENV, check=True)
        with open(repo / "config", "a", encoding="utf-8") as config:
            config.write(SERVE)
        subprocess.run(
            ["git", "fast-import", "--quiet"],
            cwd=repo,
            env=ENV,
            input=_stream(rng, kind, name),
            check=True,
        )
        commit = (repo / "refs" / "heads" / "main").read_text().strip()
    return {
        **dict.fromkeys(DATASET_COLUMNS, ""),
        "full_name": f"bench/{name}",
        "clone_url": repo.as_uri(),
        "default_branch": "main",
        "commit": commit,
        "stars": index % 50,
        "forks": index % 7,
        "size_kb": 10,
        "language": "Python",
        "topics": "mlflow",
        "created_at": f"{2018 + index % 8}-{1 + index % 12:02d}-15T12:00:00Z",
        "pushed_at": "2026-11-01T00:00:00Z",
        "archived": False,
        "fork": False,
        "description": f"The {name} project",
        "crawled_at": "2026-11-01T00:00:00Z",
        "matched_topics": "mlflow",
        "frames": "topic:mlflow",
    }


def generate(work: Path, repos: int) -> Path:
    """The dataset of a generated study of `repos` repositories (built once, then reused)."""
    folder = work / f"corpus-v{GENERATOR_VERSION}-{repos}"
    dataset = folder / "dataset.csv"
    if dataset.exists():
        return dataset
    shutil.rmtree(folder, ignore_errors=True)
    origins = folder / "origins"
    origins.mkdir(parents=True)
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        rows = list(pool.map(lambda i: _build_repo(origins, i), range(repos)))
    with csv_table(folder / "dataset.tmp.csv", DATASET_COLUMNS) as table:
        table.write_all(rows)
    os.replace(folder / "dataset.tmp.csv", dataset)
    print(f"generated {repos} repositories in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return dataset


# --- one study run (in a child process) ----------------------------------------------------


def child(arguments: dict[str, Any]) -> None:
    """Run the study `arguments` describe; print what it cost as JSON on stdout."""
    from mining.cli.study import run_study
    from mining.study.runlog import RUN_LOG, RunLog
    from mining.study.settings import StudySettings

    peaks: dict[str, float] = {}
    stage = RunLog.stage

    @contextlib.contextmanager
    def measured(self: RunLog, name: str) -> Iterator[None]:
        with stage(self, name):
            yield
        peaks[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    RunLog.stage = measured  # type: ignore[assignment,method-assign]

    output = Path(arguments["output"])
    settings = StudySettings(
        name="bench",
        dataset=Path(arguments["dataset"]),
        output=output,
        crawl=False,
        protocols=("file",),
        jobs=arguments["jobs"],
        executor=arguments["executor"],
        scheduler=arguments.get("scheduler"),
        clone_cache=Path(arguments["clones"]),
        history=arguments["history"],
    )
    started = time.monotonic()
    code = run_study(settings, static=False, command="bench-study")
    seconds = time.monotonic() - started
    log = json.loads((output / RUN_LOG).read_text(encoding="utf-8"))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {
        "exit": code,
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
        # the largest process it waited for: an analysis worker or the report's process
        "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "stages": log["seconds"],
        "in_flight": log.get("in_flight", {}),
        "peak_mb_after": peaks,
    }
    print(json.dumps(report))


def run(arguments: dict[str, Any], cache: Path) -> dict[str, Any]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(arguments)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"study failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(
    dataset: Path, scratch: Path, jobs: int, history: bool, dask: bool = True
) -> dict[str, Any]:
    """Cold local, warm local, cold Dask (unless not `dask`): one size's numbers."""
    from distributed import LocalCluster

    def arguments(name: str, executor: str, scheduler: str | None = None) -> dict[str, Any]:
        return {
            "dataset": str(dataset),
            "output": str(scratch / name / "study"),
            "clones": str(scratch / name / "clones"),
            "jobs": jobs,
            "executor": executor,
            "scheduler": scheduler,
            "history": history,
        }

    local = run(arguments("local", "local"), scratch / "local" / "xdg")
    warm = run(arguments("local", "local"), scratch / "local" / "xdg")
    if not dask:
        return {"local": local, "warm": warm}
    with LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = run(arguments("dask", "dask", cluster.scheduler_address), scratch / "dask" / "xdg")
    return {"local": local, "warm": warm, "dask": dask}


def _line(repos: int, result: dict[str, Any]) -> str:
    local, warm = result["local"], result["warm"]
    none = {"seconds": float("nan"), "peak_mb": float("nan"), "in_flight": {}}
    dask = result.get("dask", none)
    ratio = dask["seconds"] / local["seconds"]
    return (
        f"| {repos:,} | {local['seconds']:.1f} | {1000 * local['seconds'] / repos:.0f} "
        f"| {local['peak_mb']:.0f} | {local['child_peak_mb']:.0f} "
        f"| {local['in_flight'].get('max', '?')} "
        f"| {dask['seconds']:.1f} | {dask['peak_mb']:.0f} | {dask['in_flight'].get('max', '?')} "
        f"| {ratio:.2f} | {warm['seconds']:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, nargs="+", default=[100])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--history", action="store_true", help="run the studies with --history")
    parser.add_argument("--no-dask", action="store_true", help="the local executor only")
    parser.add_argument("--work", type=Path, default=None, help="generated corpora (kept)")
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(json.loads(options.child))
        return
    from analyzers.repo.cache import cache_root

    work = options.work or cache_root() / "bench-study"
    results: dict[int, dict[str, Any]] = {}
    print(
        "| repositories | local s | ms/repo | local peak MB | largest child MB | in flight "
        "| Dask s | Dask peak MB | in flight | Dask/local | warm rerun s |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for repos in options.repos:
        dataset = generate(work, repos)
        with tempfile.TemporaryDirectory(prefix="bench-study-") as scratch:
            results[repos] = measure(
                dataset, Path(scratch), options.jobs, options.history, not options.no_dask
            )
        print(_line(repos, results[repos]), flush=True)
        for name, result in results[repos].items():
            stages = ", ".join(f"{k} {v:.1f}" for k, v in result["stages"].items())
            peaks = ", ".join(f"{k} {v:.0f}" for k, v in result["peak_mb_after"].items())
            print(f"  {name}: seconds: {stages}; peak MB after: {peaks}", file=sys.stderr)
    if options.json_out:
        options.json_out.parent.mkdir(parents=True, exist_ok=True)
        options.json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
