"""Build the real sample's dataset and study file from local snapshots, for an offline study.

    python results/real-sample/make_sample.py MIRROR_DIR OUT_DIR

MIRROR_DIR holds one git snapshot per repository of repositories.txt, as `owner+name/repo`
(a bare repository, or a checkout with its `.git`). OUT_DIR receives `served/owner+name.git`
for each, a bare repository that borrows the snapshot's objects (`objects/info/alternates`,
nothing copied) and, like GitHub, serves partial clones (`uploadpack.allowFilter`) and any
commit by its SHA; `real-sample.csv` (the dataset: each repository pinned to its snapshot's
HEAD, cloned from its served copy over file://) and `real-sample.toml` (the study: no crawl,
protocol file, --history); then

    mlflow-miner study OUT_DIR/real-sample.toml

runs the whole study with no network. The snapshots' code stays in MIRROR_DIR: nothing of it is
copied here. GitHub's creation date is not in a snapshot, so `created_at` is the date of the
oldest commit on the default branch (a lower bound for imported histories, otherwise close).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from analyzers.schema import columns

HERE = Path(__file__).resolve().parent
COLUMNS = columns("dataset")  # the crawl's dataset, as analyzers/schema.py declares it


def git(git_dir: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def repositories() -> list[str]:
    lines = (HERE / "repositories.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def serve(git_dir: Path, served: Path) -> None:
    """A bare repository at `served` with `git_dir`'s refs and, borrowed, its objects."""
    if not served.exists():
        subprocess.run(["git", "init", "-q", "--bare", str(served)], check=True)
    (served / "objects" / "info" / "alternates").write_text(f"{git_dir / 'objects'}\n")
    refs = git(git_dir, "for-each-ref", "--format=%(objectname) %(refname)").splitlines()
    (served / "packed-refs").write_text("".join(f"{line}\n" for line in refs))
    git(served, "symbolic-ref", "HEAD", git(git_dir, "symbolic-ref", "HEAD"))
    for key in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
        git(served, "config", key, "true")


def row(name: str, mirror: Path, out: Path) -> dict[str, str]:
    snapshot = mirror / name.replace("/", "+") / "repo"
    git_dir = snapshot / ".git" if (snapshot / ".git").is_dir() else snapshot
    served = out / "served" / f"{name.replace('/', '+')}.git"
    serve(git_dir, served)
    commit = git(git_dir, "rev-parse", "HEAD")
    branch = git(git_dir, "symbolic-ref", "--short", "HEAD")
    dates = git(git_dir, "log", "--first-parent", "--format=%cI", "HEAD").splitlines()
    return {
        "full_name": name,
        "html_url": f"https://github.com/{name}",
        "clone_url": f"file://{served}",
        "default_branch": branch,
        "commit": commit,
        "stars": "0",
        "forks": "0",
        "size_kb": "0",
        "language": "Python",
        "topics": "",
        "license": "",
        "created_at": dates[-1],
        "pushed_at": dates[0],
        "archived": "false",
        "fork": "false",
        "description": "",
        "crawled_at": dates[0],
        "matched_topics": "",
    }


def main(mirror: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "real-sample.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for name in repositories():
            writer.writerow(row(name, mirror, out.resolve()))
    (out / "real-sample.toml").write_text(
        'name = "real-sample"\n'
        'dataset = "real-sample.csv"\n'
        'output = "study"\n'
        "crawl = false\n"
        'protocols = ["file"]\n'
        "history = true\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
