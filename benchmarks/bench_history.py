"""What `--history` costs: seconds and bytes per 100 commits, blobs parsed vs skipped vs cached.

    python benchmarks/bench_history.py                 # build a repository and measure
    python benchmarks/bench_history.py PATH            # measure an existing repository instead
    make bench-history [REPO=PATH]

The built repository (`git fast-import`, a few seconds) has a few thousand commits on a
first-parent line with merged side branches, a few hundred Python modules of which a few
start using MLflow a fifth of the way in (one gains `log_input` half way and loses it later),
notebooks, and a requirements file that gains `mlflow` a third of the way in. PATH may be a
work tree or a bare repository; it is served through a `--shared` bare clone with what GitHub
allows (`uploadpack.allowFilter`, `uploadpack.allowAnySHA1InWant`), over file://, so seconds
are mostly local CPU and bytes are what a network would carry. Nothing here talks to the
network.

Stages: the history clone (`CloneSettings(history=True)`: commits and trees, the HEAD blobs of
the sparse checkout), the walk with an empty analysis cache (blobs fetched in batches, pre-
filtered, parsed), and the same walk again with the cache warm.

Measured numbers: benchmarks/README.md, "bench_history.py".
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzers.code.analyze import analyze_bytes
from analyzers.code.catalog import load_catalog
from analyzers.records import RepoRef
from analyzers.repo.cache import AnalysisCache
from analyzers.repo.gitsafe import tree_size
from benchmarks.bench_clone import git, human, import_bare, serve
from mining.git.clone import CloneRequest, CloneSettings, clone_all
from mining.git.history import HistoryOptions, HistoryResult, walk_history


def _mlflow_module(i: int, log_input: bool) -> str:
    lines = [
        "import mlflow",
        "import pandas as pd",
        "",
        "",
        f"def run_{i}(params, frame: pd.DataFrame):",
        "    with mlflow.start_run():",
        "        mlflow.log_params(params)",
    ]
    if log_input:
        lines.append("        mlflow.log_input(mlflow.data.from_pandas(frame), context='train')")
    lines += ["        mlflow.log_metric('loss', 0.1)", ""]
    return "\n".join(lines) + "\n"


def _plain_module(i: int, rng: random.Random) -> str:
    body = [f"    total += x * {rng.randint(1, 99)}" for _ in range(rng.randint(20, 80))]
    return (
        "\n".join(
            [
                "import numpy as np",
                "",
                "",
                f"def f_{i}(x):",
                "    total = 0",
                *body,
                "    return np.float64(total)",
                "",
            ]
        )
        + "\n"
    )


def build(
    repo: Path, commits: int, py_files: int, mlflow_share: float = 0.03, seed: int = 1
) -> None:
    """A first-parent history of `commits` commits (every 25th merges a side branch)."""
    rng = random.Random(seed)
    paths = [f"src/pkg{i // 30}/mod{i}.py" for i in range(py_files)]
    tracked = set(rng.sample(range(py_files), max(1, int(py_files * mlflow_share))))
    star = min(tracked)  # the module that gains, then loses, log_input
    files: dict[str, str] = {path: _plain_module(i, rng) for i, path in enumerate(paths)}
    files["requirements.txt"] = "numpy\npandas\n"
    files.update(
        {
            f"notebooks/explore{i}.ipynb": '{"cells": [{"cell_type": "code", "source": '
            f'["import numpy as np\\n", "x = {i}"]}}], "nbformat": 4}}'
            for i in range(10)
        }
    )
    chunks: list[bytes] = []
    mark = 0

    def commit(
        parent: int | None,
        merge: int | None,
        changes: dict[str, str],
        when: int,
        ref: str = "refs/heads/main",
    ) -> int:
        nonlocal mark
        mark += 1
        message = f"commit {mark}".encode()
        chunks.append(
            b"commit %s\nmark :%d\ncommitter Bench <b@x.invalid> %d +0000\n"
            b"data %d\n%s\n" % (ref.encode(), mark, when, len(message), message)
        )
        if parent:
            chunks.append(b"from :%d\n" % parent)
        if merge:
            chunks.append(b"merge :%d\n" % merge)
        for path, content in changes.items():
            data = content.encode()
            chunks.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        return mark

    when = 1_600_000_000
    head = commit(None, None, dict(files), when)
    for i in range(1, commits):
        when += 3600
        changes: dict[str, str] = {}
        if i == commits // 5:  # MLflow arrives
            changes.update({paths[j]: _mlflow_module(j, False) for j in sorted(tracked)})
        if i == commits // 3:
            changes["requirements.txt"] = "mlflow>=2.0\nnumpy\npandas\n"
        if i == commits // 2:
            changes[paths[star]] = _mlflow_module(star, True)
        if i == 3 * commits // 4:
            changes[paths[star]] = _mlflow_module(star, False)
        for path in rng.sample(paths, 3):
            content = changes.get(path, files[path])
            changes[path] = content + f"VALUE_{i} = {i}\n"
        files.update(changes)
        if i % 25 == 0:  # a side branch, merged with a merge commit
            side = commit(head, None, changes, when, ref="refs/heads/side")
            head = commit(head, side, changes, when + 60)
        else:
            head = commit(head, None, changes, when)
    import_bare(repo, b"".join(chunks))


def walk(
    checkout: Path, sha: str, options: HistoryOptions, cache: AnalysisCache
) -> tuple[float, HistoryResult]:
    started = time.perf_counter()
    result = walk_history(RepoRef(str(checkout), "bench/repo", sha), options, cache)
    cache.flush()
    return time.perf_counter() - started, result


def small_repositories(count: int, work: Path) -> None:
    """`--small N`: what `--history` costs per small repository (under 50 commits), beyond its
    blob fetches, as a study's worker pays it (imports warm, parsing in-process, one cache)."""
    rng = random.Random(5)
    requests = []
    for i in range(count):
        source = work / f"source-{i}.git"
        build(source, rng.randint(5, 45), rng.randint(3, 15), mlflow_share=0.3, seed=i)
        served = serve(source, work / f"served-{i}", want="allowAnySHA1InWant")
        sha = git("rev-parse", "HEAD", cwd=served)
        requests.append(CloneRequest(f"bench/small-{i}", served.as_uri(), sha))
    settings = CloneSettings(
        cache=work / "clones", jobs=2, protocols=("https", "file"), max_size_mb=None, history=True
    )
    clones = list(clone_all(requests, settings))
    options = HistoryOptions(protocols=("https", "file"), jobs=0, max_fetch_mb=None)
    analyze_bytes(b"import mlflow\nmlflow.log_param('a', 1)\n", "warm.py")  # a worker's imports
    cache = AnalysisCache(work / "small.sqlite", load_catalog().version)
    beyond, walked = [], []
    for clone in clones:
        seconds, result = walk(Path(clone.path), clone.commit, options, cache)
        beyond.append(seconds - result.stats.fetch_seconds)
        walked.append(result.stats.commits_analysed)
    cache.close()
    beyond.sort()
    print(
        f"{count} small repositories ({min(walked)}-{max(walked)} commits): --history walk beyond "
        f"its blob fetches, per repository: median {beyond[len(beyond) // 2]:.3f} s, "
        f"mean {sum(beyond) / len(beyond):.3f} s, max {beyond[-1]:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, help="existing repository to measure")
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--py-files", type=int, default=300)
    parser.add_argument("--max-commits", type=int, default=None)
    parser.add_argument("--since", default=None)
    parser.add_argument("--all-parents", action="store_true")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="parser processes (0: in this process)",
    )
    parser.add_argument(
        "--batch", type=int, default=HistoryOptions().batch, help="blob ids per fetch request"
    )
    parser.add_argument(
        "--small", type=int, default=0, help="instead: N small repositories, seconds per walk"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        work = Path(tmp)
        if args.small:
            small_repositories(args.small, work)
            return
        if args.repo is None:
            started = time.perf_counter()
            source = work / "source.git"
            build(source, args.commits, args.py_files)
            print(
                f"built {args.commits} first-parent commits, {args.py_files} modules in "
                f"{time.perf_counter() - started:.1f}s",
                file=sys.stderr,
            )
        else:
            source = args.repo.resolve()
        # The history walk fetches blobs by SHA, as it may from GitHub.
        served = serve(source, work, want="allowAnySHA1InWant")
        sha = git("rev-parse", "HEAD", cwd=served)
        total = int(git("rev-list", "--count", "HEAD", cwd=served))
        objects = (
            source / "objects" if (source / "objects").is_dir() else source / ".git" / "objects"
        )
        print(f"repository: {total} commits, packed {human(tree_size(objects))}")

        settings = CloneSettings(
            cache=work / "clones",
            jobs=1,
            protocols=("https", "file"),
            max_size_mb=None,
            history=True,
        )
        started = time.perf_counter()
        (cloned,) = clone_all([CloneRequest("bench/repo", served.as_uri(), sha)], settings)
        clone_seconds = time.perf_counter() - started
        if not cloned.ok:
            raise SystemExit(f"clone failed: {cloned.status}: {cloned.detail}")
        checkout = Path(cloned.path)

        options = HistoryOptions(
            max_commits=args.max_commits,
            since=args.since,
            first_parent=not args.all_parents,
            protocols=("https", "file"),
            jobs=args.jobs,
            batch=args.batch,
            max_fetch_mb=None,
        )
        cache = AnalysisCache(work / "analysis.sqlite", load_catalog().version)
        cold_seconds, cold = walk(checkout, sha, options, cache)
        warm_seconds, warm = walk(checkout, sha, options, cache)
        cache.close()

        print(
            f"\n{'stage':<22}{'seconds':>9}{'transferred':>13}{'fetched':>9}{'requests':>9}"
            f"{'parsed':>8}{'skipped':>9}{'cache hits':>11}"
        )
        print(f"{'history clone':<22}{clone_seconds:>9.1f}{human(cloned.bytes):>13}")
        for label, seconds, result in (
            ("walk, cold cache", cold_seconds, cold),
            ("walk, warm cache", warm_seconds, warm),
        ):
            stats = result.stats
            print(
                f"{label:<22}{seconds:>9.1f}{human(stats.bytes_fetched):>13}"
                f"{stats.blobs_fetched:>9,}{stats.fetch_requests:>9}{stats.blobs_parsed:>8,}"
                f"{stats.blobs_skipped:>9,}{stats.cache_hits:>11,}"
            )
        walked = max(1, cold.stats.commits_analysed)
        per = 100 / walked
        print(
            f"\n{cold.stats.commits_analysed} commits walked ({cold.summary['walk']}); per "
            f"100 commits: {(clone_seconds + cold_seconds) * per:.2f} s and "
            f"{human((cloned.bytes + cold.stats.bytes_fetched) * per)} cold (clone + walk), "
            f"{warm_seconds * per:.3f} s warm"
        )
        print(
            f"first MLflow commit: {cold.summary['first_mlflow_commit'] or 'none'} "
            f"({cold.summary['first_mlflow_date'] or '-'}); dimensions: "
            + ", ".join(
                f"{row['dimension']}{' (removed)' if row['removed_commit'] else ''}"
                for row in cold.dimensions
            )
        )


if __name__ == "__main__":
    main()
