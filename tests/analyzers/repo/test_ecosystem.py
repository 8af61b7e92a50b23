"""`ecosystem.csv`: the walk that gives each tool's evidence (the detectors' own examples are in
test_detectors.py)."""

from __future__ import annotations

from pathlib import Path

from analyzers.records import RepoRef
from analyzers.repo.detectors import tree_paths
from analyzers.repo.detectors.code import python_code
from analyzers.repo.ecosystem import ECOSYSTEM_COLUMNS, detect_ecosystem, ecosystem_rows
from mining.git.clone import SPARSE_PATTERNS
from tests.conftest import git, make_git_repo


def test_hydra_conf_tree_is_reported_once_per_directory(tmp_path: Path) -> None:
    make_git_repo(
        tmp_path / "r",
        {
            "conf/config.yaml": "defaults:\n  - db: pg\n",
            "conf/db/pg.yaml": "_target_: db.Postgres\n",
            "conf/db/notes.yaml": "just: settings\n",
            "src/app/configs/x.yaml": "hydra:\n  run:\n    dir: out\n",
        },
    )
    found = [(e.path, e.name, e.value) for e in detect_ecosystem(RepoRef(str(tmp_path / "r"), "r"))]
    assert found == [("conf", "hydra", "conf/ tree"), ("src/app/configs", "hydra", "configs/ tree")]


def test_file_names_come_from_the_git_tree_even_when_not_checked_out(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    make_git_repo(
        repo,
        {"uv.lock": "version = 1\n", "data/x.csv.dvc": "outs: []\n", "train.py": "import wandb\n"},
    )
    (repo / "uv.lock").unlink()  # as a sparse checkout would leave it: in the tree, not on disk
    (repo / "train.py").unlink()  # content is needed for imports: not found without the file
    found = {(e.path, e.name) for e in detect_ecosystem(RepoRef(str(repo), "r"))}
    assert found == {("uv.lock", "uv"), ("data/x.csv.dvc", "dvc")}


def test_a_plain_directory_is_walked_and_vendored_trees_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "venv" / "lib").mkdir(parents=True)
    (tmp_path / "venv" / "lib" / "w.py").write_text("import wandb\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM node\n")
    (tmp_path / "train.py").write_text("import comet_ml\n")
    found = [(e.path, e.name) for e in detect_ecosystem(RepoRef(str(tmp_path), "d"))]
    assert found == [("train.py", "comet")]


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("import wandb\n")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "link.py").symlink_to(outside)
    assert list(detect_ecosystem(RepoRef(str(tmp_path / "repo"), "d"))) == []


def test_rows_are_tidy(tmp_path: Path) -> None:
    sha = make_git_repo(tmp_path / "r", {"Dockerfile": "FROM x\n", "a.py": "import wandb\n"})
    rows = list(ecosystem_rows(RepoRef(str(tmp_path / "r"), "o/r", sha)))
    assert rows == [
        {
            "repo": "o/r",
            "commit": sha,
            "path": "Dockerfile",
            "tool": "docker",
            "evidence": "Dockerfile",
        },
        {"repo": "o/r", "commit": sha, "path": "a.py", "tool": "wandb", "evidence": "import wandb"},
    ]
    assert all(tuple(row) == ECOSYSTEM_COLUMNS for row in rows)


def test_python_code_drops_comments_but_keeps_code() -> None:
    code = python_code(b"import a  # import wandb\n# import wandb\nx = '#' # c\n", False)
    assert "wandb" not in code
    assert "import a" in code
    assert "x = '#'" in code


def test_the_cloner_fetches_what_the_detectors_read(tmp_path: Path) -> None:
    """Sparse patterns cover workflows and Hydra conf trees (the rest is read by name)."""
    repo = tmp_path / "r"
    make_git_repo(
        repo,
        {
            "conf/db/pg.yaml": "_target_: x\n",
            "src/configs/a.yml": "a: 1\n",
            ".github/workflows/ci.yml": "on: push\n",
            "big.bin": "x",
        },
    )
    git(repo, "sparse-checkout", "set", "--no-cone", *SPARSE_PATTERNS)
    on_disk = {
        str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    assert on_disk == {"conf/db/pg.yaml", "src/configs/a.yml", ".github/workflows/ci.yml"}


def test_the_tree_is_listed_through_gitsafe_so_the_checkout_config_runs_nothing(
    tmp_path: Path,
) -> None:
    """A partial clone missing its trees makes `ls-tree` fetch them lazily from its promisor
    remote; a checkout's own config could point that remote at `ext::` and allow it, running
    any command. Through `gitsafe` (GIT_ALLOW_PROTOCOL) that fetch is refused."""
    make_git_repo(tmp_path / "origin", {"train.py": "import wandb\n", "uv.lock": ""})
    git(tmp_path / "origin", "config", "uploadpack.allowFilter", "true")
    url = (tmp_path / "origin").as_uri()
    git(tmp_path, "clone", "-q", "--filter=tree:0", "--no-checkout", url, "checkout")
    marker = tmp_path / "ran"
    checkout = tmp_path / "checkout"
    git(checkout, "config", "remote.origin.url", f"ext::sh -c touch% {marker}")
    git(checkout, "config", "protocol.ext.allow", "always")
    assert tree_paths(str(checkout)) is None  # the trees could not be fetched
    assert not marker.exists()
    assert tree_paths(str(tmp_path / "origin")) == ["train.py", "uv.lock"]
