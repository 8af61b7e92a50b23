"""Run git against repositories we do not trust, without letting them (or this machine's git
setup) run anything, prompt for anything, or take unbounded time or space.

Every command goes through GitPython's `Git.execute` with:

* an environment in which every inherited `GIT_*` variable is blanked or pinned, the user's
  and the system's git config are replaced by `/dev/null`, `HOME` is a scratch directory and
  the init template is an empty directory (so no hook and no config of ours or theirs leaks in);
* `-c` overrides that switch off hooks, submodule recursion, every filter driver (git-lfs
  included), credential helpers and prompts, and allow only the protocols asked for;
* its own process group, killed as a whole when the deadline passes or the object store grows
  past the size limit (git fetch spawns index-pack, upload-pack and lazy-fetch children);
* a parent-death signal (`setpriv --pdeathsig`, else `analyzers.repo.lifetime`): a killed run
  leaves no git behind to keep writing into a checkout (its children end when their pipes
  close).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from git.cmd import Git

from analyzers.repo.lifetime import popen_options

# Ordered: later entries win, so nothing a caller adds can re-enable what these switch off.
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", "false"),
    ("core.symlinks", "false"),
    ("core.protectNTFS", "true"),
    ("core.protectHFS", "true"),
    ("core.askPass", ""),
    ("credential.helper", ""),
    ("credential.interactive", "false"),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("filter.lfs.smudge", ""),
    ("filter.lfs.clean", ""),
    ("filter.lfs.process", ""),
    ("filter.lfs.required", "false"),
    ("init.templateDir", ""),
    ("init.defaultBranch", "main"),
    ("advice.detachedHead", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("fetch.writeCommitGraph", "false"),
    # Keep every fetch as one pack: the size watch then sees a single growing file.
    ("fetch.unpackLimit", "1"),
    ("transfer.unpackLimit", "1"),
)

# Repository-location variables: an inherited value (say, from running inside a git hook) would
# point git at the wrong repository, and a blank one is an error, so they are set per command.
_LOCATION_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
)

PROTOCOLS = ("https", "http", "git", "file")

_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_TOKENS = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})\b")


@functools.cache
def _death_prefix() -> tuple[str, ...]:
    """What makes a git command die with this process without a `preexec_fn`: util-linux's
    `setpriv --pdeathsig KILL`, which sets the death signal and execs git (same process, the
    signal survives exec). A `preexec_fn` forces Python to fork the whole process instead of
    spawning (4.5 ms against 2.1 ms a git command, measured beside pandas and libcst); where
    setpriv is missing or older, `lifetime.popen_options` does it the slow way."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or not sys.platform.startswith("linux"):
        return ()
    try:
        done = subprocess.run(
            [setpriv, "--pdeathsig", "KILL", "--", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return (setpriv, "--pdeathsig", "KILL", "--") if done.returncode == 0 else ()


def scrub(text: str) -> str:
    """`text` without credentials: `scheme://user:secret@host` loses its user info, tokens go."""
    return _TOKENS.sub("***", _CREDENTIALS.sub(r"\1***@", text))


class GitTimeout(Exception):
    """The command was still running at the deadline; its process group was killed."""


class GitTooLarge(Exception):
    """The watched directory grew past the limit; the command's process group was killed."""


class GitAborted(Exception):
    """`SafeGit.abort()` was called (the run is being torn down)."""


@dataclass(frozen=True, slots=True)
class GitOutput:
    returncode: int
    stdout: str
    stderr: str
    raw: bytes = b""  # stdout as git wrote it (paths that are not UTF-8 survive)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def tree_size(path: Path) -> int:
    """Bytes in the regular files under `path` (symlinks are not followed); 0 if it is absent."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            # A temporary pack can be renamed away while we look.
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def git_dirs(repo: Path) -> tuple[Path, Path]:
    """The git directory of the work tree `repo` and its common directory: both `repo/.git`,
    except in a linked worktree, whose `.git` is a file naming its git directory (which names
    the common one in `commondir`)."""
    dot_git = repo / ".git"
    if not dot_git.is_file():  # a directory, nothing, or something never to open (a FIFO)
        return dot_git, dot_git
    try:
        content = dot_git.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return dot_git, dot_git
    if not content.startswith("gitdir:"):
        return dot_git, dot_git
    git_dir = repo / content.removeprefix("gitdir:").strip()
    try:
        common = git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:  # a separate git directory (`git init --separate-git-dir`)
        common = git_dir
    return git_dir, common


class SafeGit:
    """A hardened git runner. `scratch` must be a private directory that outlives the runner."""

    POLL_SECONDS = 0.2

    def __init__(
        self,
        scratch: Path,
        protocols: Sequence[str] = ("https",),
        extra_config: Sequence[tuple[str, str]] = (),
    ) -> None:
        unknown = set(protocols) - set(PROTOCOLS)
        if unknown:
            raise ValueError(f"unknown protocols: {sorted(unknown)}")
        self.protocols = tuple(dict.fromkeys(protocols))
        home = scratch / "home"
        self.template = scratch / "template"
        home.mkdir(parents=True, exist_ok=True)
        self.template.mkdir(parents=True, exist_ok=True)
        askpass = shutil.which("true") or "/bin/true"

        self._env: dict[str, str] = {k: "" for k in os.environ if k.startswith("GIT_")}
        self._env.update(
            {
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_SYSTEM": os.devnull,
                "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_CONFIG_COUNT": "0",
                "GIT_CONFIG_PARAMETERS": "",
                "GIT_TEMPLATE_DIR": str(self.template),
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_ASKPASS": askpass,
                "SSH_ASKPASS": askpass,
                "GIT_LFS_SKIP_SMUDGE": "1",
                "GIT_NO_REPLACE_OBJECTS": "1",
                "GIT_ALLOW_PROTOCOL": ":".join(self.protocols),
                "GIT_SSH_COMMAND": "false",
                "LC_ALL": "C",
                "LANGUAGE": "C",
            }
        )
        config = [*extra_config, *SAFE_CONFIG, ("protocol.allow", "never")]
        config += [(f"protocol.{p}.allow", "always") for p in self.protocols]
        self._config_args = [arg for key, value in config for arg in ("-c", f"{key}={value}")]
        self._executable = Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._aborted = False

    def run(
        self,
        args: Sequence[str],
        *,
        repo: Path,
        deadline: float | None = None,
        watch: Path | None = None,
        max_bytes: int | None = None,
        stdin: bytes | None = None,
    ) -> GitOutput:
        """Run `git <args>` on the repository whose work tree is `repo` (`repo/.git` the git dir).

        `deadline` is a `time.monotonic()` value. While the command runs, `watch` (a directory)
        is polled and the command killed once it holds more than `max_bytes`. `stdin` is fed
        to the command (else it reads nothing).
        """
        if self._aborted:
            raise GitAborted("run aborted")
        git_dir, common_dir = git_dirs(repo)
        env = dict(self._env)
        env.update(
            {
                "GIT_DIR": str(git_dir),
                "GIT_WORK_TREE": str(repo),
                "GIT_INDEX_FILE": str(git_dir / "index"),
                "GIT_OBJECT_DIRECTORY": str(common_dir / "objects"),
                "GIT_COMMON_DIR": str(common_dir),
            }
        )
        assert all(var in env for var in _LOCATION_VARS)
        command = [*_death_prefix(), self._executable, *self._config_args, *args]
        cwd = repo if repo.is_dir() else repo.parent
        process = Git(str(cwd)).execute(
            command,
            as_process=True,
            env=env,
            start_new_session=True,
            istream=subprocess.PIPE if stdin is not None else None,
            **({} if command[0] != self._executable else popen_options()),
        )
        proc: subprocess.Popen[bytes] = process.proc
        with self._lock:
            self._live.add(proc)
        try:
            return self._wait(proc, deadline, watch, max_bytes, stdin)
        finally:
            with self._lock:
                self._live.discard(proc)

    def _wait(
        self,
        proc: subprocess.Popen[bytes],
        deadline: float | None,
        watch: Path | None,
        max_bytes: int | None,
        stdin: bytes | None = None,
    ) -> GitOutput:
        chunks: tuple[bytes, bytes] | None = None
        while chunks is None:
            step = self.POLL_SECONDS if watch is not None and max_bytes is not None else None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._kill(proc)
                    raise GitTimeout("deadline passed")
                step = remaining if step is None else min(step, remaining)
            try:
                # The input goes with the first call; later calls carry on with it.
                pending, stdin = stdin, None
                chunks = proc.communicate(pending, timeout=step)
            except subprocess.TimeoutExpired:
                if self._aborted:
                    self._kill(proc)
                    raise GitAborted("run aborted") from None
                if watch is not None and max_bytes is not None and tree_size(watch) > max_bytes:
                    self._kill(proc)
                    raise GitTooLarge(f"more than {max_bytes} bytes") from None
        out, err = chunks
        if self._aborted and proc.returncode != 0:
            raise GitAborted("run aborted")
        return GitOutput(
            proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), out
        )

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()

    def abort(self) -> None:
        """Kill every running command's process group; later `run` calls raise `GitAborted`."""
        self._aborted = True
        with self._lock:
            live = list(self._live)
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


# --- The tree of a checkout's HEAD, listed once per commit -----------------------------------

TREE_SECONDS = 120  # listing a tree reads no blob: minutes would mean a broken repository
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_TREES: OrderedDict[str, bytes] = OrderedDict()  # commit -> listing, the few latest
_TREES_KEPT = 4
_TREES_LOCK = threading.Lock()


def _detached_head(root: str) -> str | None:
    """The commit a checkout's HEAD names directly (a pinned checkout), else None."""
    try:
        with open(os.path.join(root, ".git", "HEAD"), encoding="ascii") as handle:
            head = handle.read(100).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return head if _SHA.fullmatch(head) else None


def head_tree(root: str) -> bytes | None:
    """`git ls-tree -r -z --full-tree HEAD` of the checkout at `root` (names as git prints
    them), or None when `root` is not the top of a git checkout or the listing fails. Reads
    trees only, never a blob, through `SafeGit`, so the checkout's own config runs nothing.

    A repository's analyses all read its tree: a detached HEAD's listing is kept by commit
    (a commit's tree never changes), so the tree is listed by one git process, not one per
    analysis."""
    if not os.path.isdir(os.path.join(root, ".git")):
        return None
    head = _detached_head(root)
    with _TREES_LOCK:
        if head is not None and head in _TREES:
            _TREES.move_to_end(head)
            return _TREES[head]
    with tempfile.TemporaryDirectory(prefix="mlflow-miner-git-") as scratch:
        # safe.directory: a study's checkouts may belong to another user (a shared cache).
        git = SafeGit(Path(scratch), extra_config=(("safe.directory", "*"),))
        try:
            done = git.run(
                ["ls-tree", "-r", "-z", "--full-tree", head or "HEAD"],
                repo=Path(root),
                deadline=time.monotonic() + TREE_SECONDS,
            )
        except (OSError, GitTimeout):
            return None
    if not done.ok:
        return None
    if head is not None:
        with _TREES_LOCK:
            _TREES[head] = done.raw
            while len(_TREES) > _TREES_KEPT:
                _TREES.popitem(last=False)
    return done.raw
