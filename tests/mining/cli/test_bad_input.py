"""Every subcommand, given a user's mistake or a broken environment: one line on stderr, no
traceback, and the exit code README's "Exit codes" gives (mining.cli.guard.EXIT_CODES)."""

from __future__ import annotations

import os
import re
import resource
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from mining.cli import main
from mining.cli.guard import EXIT_CODES, ExitCode
from tests.paths import ROOT

USAGE, ENVIRONMENT = ExitCode.USAGE, ExitCode.ENVIRONMENT


@dataclass(frozen=True)
class Case:
    """`args` (with {tmp}, {ro}, {closed} filled in), the environment, the code, the message."""

    args: tuple[str, ...]
    code: ExitCode
    message: str
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] = lambda tmp: None


def files(**contents: str | bytes) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        for name, content in contents.items():
            path = tmp / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)

    return write


STUDY_FILE_REST = '\ncrawl = false\ndataset = "d.csv"\noutput = "out"\n'
CASES: dict[str, Case] = {
    # scan
    "scan: a path that does not exist": Case(("scan", "{tmp}/nope"), USAGE, "does not exist"),
    "scan: --out is a file": Case(
        ("scan", "{tmp}", "--out", "{tmp}/f.txt"),
        USAGE,
        "f.txt' is a file",
        setup=files(**{"f.txt": "x"}),
    ),
    "scan: --out is read-only": Case(
        ("scan", "{tmp}", "--out", "{ro}/out"), ENVIRONMENT, "cannot write to {ro}"
    ),
    "scan: owner/name with GITHUB_API_URL not a URL": Case(
        ("scan", "acme/demo", "--out", "{tmp}/out"),
        ENVIRONMENT,
        "GITHUB_API_URL='notaurl' is not an http(s) URL",
        env={"GITHUB_API_URL": "notaurl"},
    ),
    "scan: --jobs is not a number": Case(("scan", "{tmp}", "--jobs", "x"), USAGE, "--jobs"),
    # crawl
    "crawl: GITHUB_API_URL is not a URL": Case(
        ("crawl", "--out", "{tmp}/d.csv"),
        ENVIRONMENT,
        "GITHUB_API_URL='notaurl' is not an http(s) URL",
        env={"GITHUB_API_URL": "notaurl"},
    ),
    "crawl: the API is unreachable": Case(
        ("crawl", "--out", "{tmp}/d.csv", "--max-retry-seconds", "0"),
        ENVIRONMENT,
        "cannot reach the GitHub API (GITHUB_API_URL=http://127.0.0.1:{closed})",
        env={"GITHUB_API_URL": "http://127.0.0.1:{closed}"},
    ),
    "crawl: GITHUB_TOKEN holds a space": Case(
        ("crawl", "--out", "{tmp}/d.csv"),
        ENVIRONMENT,
        "GITHUB_TOKEN holds spaces",
        env={"GITHUB_TOKEN": "ghp_abc def"},
    ),
    "crawl: --out is a folder": Case(("crawl", "--out", "{tmp}"), USAGE, "is a directory"),
    "crawl: --out is read-only": Case(
        ("crawl", "--out", "{ro}/d.csv"), ENVIRONMENT, "cannot write to {ro}"
    ),
    "crawl: --since is not a date": Case(
        ("crawl", "--out", "{tmp}/d.csv", "--since", "2020-13-45"), USAGE, "--since"
    ),
    "crawl: a topic that is not one": Case(
        ("crawl", "--out", "{tmp}/d.csv", "--topic", "Not A Topic!"),
        USAGE,
        "is not a GitHub topic",
        env={"GITHUB_API_URL": "http://127.0.0.1:{closed}"},  # refused before any request
    ),
    "crawl: --min-slice is not a duration": Case(
        ("crawl", "--out", "{tmp}/d.csv", "--min-slice", "soon"), USAGE, "not a duration"
    ),
    # clone
    "clone: the dataset does not exist": Case(("clone", "{tmp}/nope.csv"), USAGE, "nope.csv"),
    "clone: the dataset lacks columns": Case(
        ("clone", "{tmp}/d.csv", "--repos-csv", "{tmp}/r.csv"),
        USAGE,
        "missing column(s) full_name, clone_url, commit",
        setup=files(**{"d.csv": "name,url\nx,y\n"}),
    ),
    "clone: the dataset is not text": Case(
        ("clone", "{tmp}/d.csv", "--repos-csv", "{tmp}/r.csv"),
        USAGE,
        "not a CSV dataset",
        setup=files(**{"d.csv": b"\xff\xfe\x00\x01binary"}),
    ),
    "clone: --repos-csv is a folder": Case(
        ("clone", "{tmp}/d.csv", "--repos-csv", "{tmp}"),
        USAGE,
        "Invalid value for '--repos-csv'",
        setup=files(**{"d.csv": "full_name,clone_url,commit\n"}),
    ),
    "clone: --cache is read-only": Case(
        ("clone", "{tmp}/d.csv", "--repos-csv", "{tmp}/r.csv", "--cache", "{ro}/cache"),
        ENVIRONMENT,
        "cannot write to {ro}",
        setup=files(**{"d.csv": "full_name,clone_url,commit\n"}),
    ),
    # study
    "study: topics is a string": Case(
        ("study", "{tmp}/s.toml"),
        USAGE,
        "topics must be a list of strings, not str 'mlflow'",
        setup=files(**{"s.toml": 'name = "s"\ntopics = "mlflow"\n'}),
    ),
    "study: an unknown key": Case(
        ("study", "{tmp}/s.toml"),
        USAGE,
        "unknown key(s) topic",
        setup=files(**{"s.toml": 'name = "s"\ntopic = ["mlflow"]\n'}),
    ),
    "study: not TOML": Case(
        ("study", "{tmp}/s.toml"),
        USAGE,
        "not valid TOML",
        setup=files(**{"s.toml": "name = = 1\n"}),
    ),
    "study: the study file does not exist": Case(("study", "{tmp}/nope.toml"), USAGE, "nope"),
    "study: its output is a file": Case(
        ("study", "{tmp}/s.toml"),
        USAGE,
        "output {tmp}/out is a file, not a folder",
        setup=files(**{"s.toml": 'name = "s"' + STUDY_FILE_REST, "out": "x", "d.csv": ""}),
    ),
    "study: no dataset and crawl = false": Case(
        ("study", "{tmp}/s.toml"),
        USAGE,
        "dataset {tmp}/d.csv does not exist and the study file says crawl = false",
        setup=files(**{"s.toml": 'name = "s"' + STUDY_FILE_REST}),
    ),
    "study: the dataset lacks columns": Case(
        ("study", "{tmp}/s.toml"),
        USAGE,
        "missing column(s) clone_url, commit, created_at",
        setup=files(**{"s.toml": 'name = "s"' + STUDY_FILE_REST, "d.csv": "full_name\nx/y\n"}),
    ),
    "study: dask without a scheduler": Case(
        ("study", "{tmp}/s.toml", "--executor", "dask"),
        USAGE,
        "--executor dask needs --scheduler",
        setup=files(**{"s.toml": 'name = "s"' + STUDY_FILE_REST}),
    ),
    "study: the API is unreachable": Case(
        ("study", "{tmp}/s.toml", "--max-retry-seconds", "0"),
        ENVIRONMENT,
        "cannot reach the GitHub API",
        env={"GITHUB_API_URL": "http://127.0.0.1:{closed}"},
        setup=files(**{"s.toml": 'name = "s"\n'}),
    ),
    # demo, report, export
    "demo: --out is a file": Case(
        ("demo", "--out", "{tmp}/f"), USAGE, "is a file", setup=files(f="x")
    ),
    "report: not a study directory": Case(
        ("report", "{tmp}"), USAGE, "{tmp} is not a study directory: no study.json"
    ),
    "report: the directory does not exist": Case(("report", "{tmp}/nope"), USAGE, "nope"),
    "export: not a study directory": Case(
        ("export", "{tmp}"), USAGE, "{tmp} is not a study directory: no study.json"
    ),
    "export: --out is read-only": Case(
        ("export", "{tmp}", "--out", "{ro}/x"),
        ENVIRONMENT,
        "cannot write to {ro}",
        setup=files(**{"study.json": "{}"}),
    ),
}


def _writable(folder: Path) -> bool:
    try:
        probe = folder / f".probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
        return True
    except OSError:
        return False


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot write into (as root, chmod does not stop it: then sysfs)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        for candidate in (folder, Path("/sys/kernel"), Path("/proc/self")):
            if candidate.is_dir() and not _writable(candidate):
                yield candidate
                return
        pytest.skip("no folder this user cannot write into")
    finally:
        folder.chmod(0o755)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:  # bound, closed again: nobody listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("name", CASES)
def test_a_mistake_is_one_line_and_its_exit_code(
    name: str, tmp_path: Path, read_only: Path, closed_port: int
) -> None:
    case = CASES[name]
    work = tmp_path / "work"
    work.mkdir()
    case.setup(work)

    def fill(text: str) -> str:
        return text.format(tmp=work, ro=read_only, closed=closed_port)

    env = {"GITHUB_API_URL": "", "GITHUB_TOKEN": "", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.update({key: fill(value) for key, value in case.env.items()})
    before = sorted(work.rglob("*"))
    result = CliRunner().invoke(main, [fill(arg) for arg in case.args], env=env)
    assert isinstance(result.exception, SystemExit), result.exception  # nothing escaped
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    assert fill(case.message) in lines[0]
    assert result.exit_code == case.code, lines[0]
    assert sorted(work.rglob("*")) == before  # nothing written


def test_a_full_disk_is_an_environment_error(tmp_path: Path) -> None:
    """A write that fails for space (here: the file-size limit, EFBIG) ends the run with one
    line and exit 3, and leaves no temporary file."""
    tree = tmp_path / "tree"
    tree.mkdir()
    body = "import mlflow\n" + "mlflow.log_param('a_rather_long_parameter_name', 1)\n" * 200
    (tree / "train.py").write_text(body)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mining",
            "scan",
            str(tree),
            "--out",
            str(tmp_path / "out"),
            "--no-cache",
        ],
        cwd=ROOT,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")},
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=120,
        check=False,
    )
    assert done.returncode == ExitCode.ENVIRONMENT, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"Error: cannot write into {tmp_path / 'out'}: File too large", done.stderr
    assert "Traceback" not in done.stderr
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name.endswith(".tmp")]


def test_the_readme_lists_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\d+)` \| (.+?) \|$", section, flags=re.MULTILINE)
    assert [(int(code), text) for code, text in rows] == [
        (int(code), text) for code, text in EXIT_CODES.items()
    ]
