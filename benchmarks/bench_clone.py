"""How much `mlflow-miner clone` transfers and how long it takes, against ordinary clones.

    python benchmarks/bench_clone.py                 # build a realistic repository and measure
    python benchmarks/bench_clone.py PATH            # measure an existing repository instead

The built repository has a few thousand commits, a few hundred Python modules, notebooks with
embedded images, and tens of MB of binary data (some of it rewritten during the history), made
in seconds with `git fast-import`. PATH may be a work tree or a bare repository; it is served
through a `--shared` bare clone (so its own config is left alone) with `uploadpack.allowFilter`
on, over file://. "transferred" is the size of `.git/objects` after cloning: over file:// that
is the packs received (the rest of `.git` is index, refs and sample hooks). Nothing here talks
to the network.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzers.repo.gitsafe import tree_size
from mining.git.clone import SPARSE_PATTERNS, CloneRequest, CloneSettings, clone_all

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C",
}


def git(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=ENV,
        input=stdin,
        check=True,
        capture_output=True,
    )
    return done.stdout.decode().strip()


def build(repo: Path, commits: int, py_files: int, data_mb: int, seed: int = 1) -> None:
    """A repository shaped like an ML project, written with one `git fast-import`."""
    rng = random.Random(seed)
    words = [
        "model",
        "train",
        "loss",
        "epoch",
        "batch",
        "mlflow",
        "log_metric",
        "params",
        "optimizer",
        "dataset",
        "x",
        "y",
        "self",
        "return",
        "import",
        "for",
        "in",
    ]

    def module(i: int) -> bytes:
        lines = [f"import mlflow  # module {i}"]
        lines += [" ".join(rng.choices(words, k=10)) for _ in range(rng.randint(40, 120))]
        return ("\n".join(lines) + "\n").encode()

    def notebook(i: int) -> bytes:
        image = rng.randbytes(30_000).hex()  # a plot embedded in the outputs
        return (
            f'{{"cells": [{{"cell_type": "code", "source": ["import mlflow  # {i}"], '
            f'"outputs": [{{"data": {{"image/png": "{image}"}}}}]}}], "nbformat": 4}}'
        ).encode()

    py_paths = [f"src/pkg{i // 40}/mod{i}.py" for i in range(py_files)]
    data_paths = [f"data/shard{i:02d}.bin" for i in range(max(1, data_mb // 2))]
    files: dict[str, bytes] = {p: module(i) for i, p in enumerate(py_paths)}
    files.update({f"notebooks/nb{i}.ipynb": notebook(i) for i in range(20)})
    files.update({p: rng.randbytes(2 * 1024 * 1024) for p in data_paths})
    files.update(
        {
            "data/table.csv": b"".join(
                b"%d,%f,%f\n" % (i, rng.random(), rng.random()) for i in range(150_000)
            ),
            "MLproject": b"name: bench\nconda_env: conda.yaml\n",
            "conda.yaml": b"dependencies: [python=3.11, mlflow]\n",
            "requirements.txt": b"mlflow\nscikit-learn\n",
            "README.md": b"# bench\n" * 100,
            "docs/architecture.png": rng.randbytes(500_000),
        }
    )

    chunks: list[bytes] = []

    def modify(path: str, content: bytes) -> None:
        chunks.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(content), content))

    for i in range(commits):
        chunks.append(
            b"commit refs/heads/main\nmark :%d\ncommitter Bench <b@x> %d +0000\n"
            b"data 8\ncommit %d\n" % (i + 1, 1_600_000_000 + 3600 * i, i % 10)
        )
        if i:
            chunks.append(b"from :%d\n" % i)
        if i == 0:
            for path, content in files.items():
                modify(path, content)
        else:
            for path in rng.sample(py_paths, 3):
                files[path] += f"# change {i}\n".encode()
                modify(path, files[path])
            if i % 150 == 0:  # retrained weights / refreshed data committed now and then
                modify(rng.choice(data_paths), rng.randbytes(2 * 1024 * 1024))
    import_bare(repo, b"".join(chunks))


def import_bare(repo: Path, stream: bytes) -> None:
    """A new bare repository at `repo` holding what a `git fast-import` stream describes."""
    repo.mkdir(parents=True)
    git("init", "-q", "--bare", str(repo))
    git("fast-import", "--quiet", cwd=repo, stdin=stream)
    git("repack", "-adq", cwd=repo)


def serve(source: Path, workdir: Path, want: str = "allowReachableSHA1InWant") -> Path:
    """A bare, --shared clone of `source` that allows what GitHub allows: partial clones,
    and fetching the commits (`want`: which SHAs may be asked for) the tool pins."""
    served = workdir / "served.git"
    git("clone", "-q", "--bare", "--shared", str(source), str(served))
    git("config", "uploadpack.allowFilter", "true", cwd=served)
    git("config", f"uploadpack.{want}", "true", cwd=served)
    return served


def timed(action: Callable[[], Path]) -> tuple[float, Path]:
    start = time.perf_counter()
    checkout = action()
    return time.perf_counter() - start, checkout


def plain_clone(url: str, dest: Path, *extra: str) -> Callable[[], Path]:
    def run() -> Path:
        git(
            "-c",
            "protocol.file.allow=always",
            "-c",
            "fetch.unpackLimit=1",
            "clone",
            "-q",
            *extra,
            url,
            str(dest),
        )
        return dest

    return run


def sparse_tree0(url: str, sha: str, dest: Path) -> Callable[[], Path]:
    """The alternative: no trees up front either, fetched lazily per directory at checkout."""

    def run() -> Path:
        dest.mkdir()
        git("init", "-q", cwd=dest)
        git("remote", "add", "origin", url, cwd=dest)
        git("config", "core.sparseCheckout", "true", cwd=dest)
        git("config", "core.sparseCheckoutCone", "false", cwd=dest)
        (dest / ".git" / "info").mkdir(exist_ok=True)
        (dest / ".git" / "info" / "sparse-checkout").write_text(
            "".join(f"{p}\n" for p in SPARSE_PATTERNS)
        )
        config = ["-c", "protocol.file.allow=always", "-c", "fetch.unpackLimit=1"]
        git(*config, "fetch", "-q", "--depth=1", "--filter=tree:0", "origin", sha, cwd=dest)
        git(*config, "checkout", "-q", "--detach", sha, cwd=dest)
        return dest

    return run


def ours(url: str, sha: str, cache: Path) -> Callable[[], Path]:
    settings = CloneSettings(cache=cache, jobs=1, protocols=("https", "file"), max_size_mb=None)

    def run() -> Path:
        (result,) = clone_all([CloneRequest("bench/repo", url, sha)], settings)
        if not result.ok:
            raise RuntimeError(f"{result.status}: {result.detail}")
        run.last = result  # type: ignore[attr-defined]
        return Path(result.path)

    return run


def files_in(checkout: Path) -> int:
    return sum(1 for p in checkout.rglob("*") if p.is_file() and ".git" not in p.parts)


def human(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, help="existing repository to measure")
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--py-files", type=int, default=400)
    parser.add_argument("--data-mb", type=int, default=60)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-clone-") as tmp:
        work = Path(tmp)
        if args.repo is None:
            started = time.perf_counter()
            source = work / "source.git"
            build(source, args.commits, args.py_files, args.data_mb)
            print(
                f"built {args.commits} commits, {args.py_files} .py files, {args.data_mb} MB "
                f"of data in {time.perf_counter() - started:.1f}s",
                file=sys.stderr,
            )
        else:
            source = args.repo.resolve()
        served = serve(source, work)
        url = served.as_uri()
        sha = git("rev-parse", "HEAD", cwd=served)
        commits = git("rev-list", "--count", "HEAD", cwd=served)
        tracked = len(git("ls-tree", "-r", "--name-only", "HEAD", cwd=served).splitlines())
        print(
            f"repository: {commits} commits, {tracked} files at HEAD, "
            f"packed {human(tree_size(source / 'objects' if (source / 'objects').is_dir() else source / '.git' / 'objects'))}"
        )

        cache = work / "cache"
        rows = [
            ("full clone (git clone)", plain_clone(url, work / "full")),
            ("shallow clone (--depth=1)", plain_clone(url, work / "shallow", "--depth=1")),
            (
                "blobless clone (--filter=blob:none)",
                plain_clone(url, work / "blobless", "--filter=blob:none"),
            ),
            ("sha + tree:0 + sparse", sparse_tree0(url, sha, work / "tree0")),
            ("sha + blob:none + sparse (mlflow-miner)", ours(url, sha, cache)),
            ("mlflow-miner rerun (cached)", ours(url, sha, cache)),
        ]
        print(f"\n{'strategy':<42}{'transferred':>14}{'fetches':>9}{'files':>8}{'seconds':>10}")
        for label, action in rows:
            seconds, checkout = timed(action)
            size = tree_size(checkout / ".git" / "objects")
            if label.endswith("(cached)"):
                size = action.last.bytes  # type: ignore[attr-defined]
            # One pack per request to the server (fetch.unpackLimit=1 keeps even small ones).
            fetches = (
                0
                if label.endswith("(cached)")
                else len(list((checkout / ".git" / "objects" / "pack").glob("*.pack")))
            )
            print(
                f"{label:<42}{human(size):>14}{fetches:>9}{files_in(checkout):>8}{seconds:>10.2f}"
            )
            if not label.startswith("mlflow-miner") and checkout.parent == work:
                shutil.rmtree(checkout)


if __name__ == "__main__":
    main()
