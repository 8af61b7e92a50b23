"""What a checkout writes: the sparse patterns, and the size guard applied before anything is
written.

A blobless fetch brings no file content, so a file's size is unknown until its blob is fetched,
and `git checkout` fetches and writes in one go: a 200 MB file that compresses to 197 kB would
be written whole. So before the checkout (`plan_checkout`):

1. `git ls-tree` lists the pinned commit's files and blob ids (no blob needed);
2. `git check-ignore --no-index`, given the sparse patterns as an excludes file, says which of
   them the checkout would write: sparse patterns use .gitignore's syntax, and the two agree
   path for path (tested on directories named like files, escapes, non-ASCII names);
3. those blobs are fetched (compressed; the fetch is watched by the size limit like any other),
   and their sizes read locally (`cat-file --batch-all-objects`, which never asks the server);
4. a file over the per-file cap is left out: a negative pattern (`!/path`) excludes it, and
   `LEFT_OUT` in the git directory records it with its size; if what remains is over the
   repository cap, the repository is too large and nothing is written;
5. a file whose blob the server cannot send (a damaged repository, a snapshot missing its
   large objects) is left out the same way, as unreadable: a batch that fails for that reason
   is halved until the blobs it lacks are found, so one missing blob costs one file, not the
   repository.

The sparse-checkout file is the patterns, then a marker line naming the per-file cap, then the
negative patterns: a cached checkout made with other patterns or another cap is re-sparsed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzers.repo.gitsafe import GitOutput
from mining.git.fetch import CloneFailure, cannot_send, classify_failure, one_line

# Non-cone sparse-checkout patterns (gitignore syntax: no slash = any depth).
SPARSE_PATTERNS: tuple[str, ...] = (
    "*.py",
    "*.ipynb",
    # MLflow finds its MLproject file case-insensitively.
    "[Mm][Ll][Pp][Rr][Oo][Jj][Ee][Cc][Tt]",
    "python_env.yaml",
    "python_env.yml",
    "*conda*.yaml",
    "*conda*.yml",
    "environment*.yml",
    "environment*.yaml",
    "requirements*.txt",
    "**/requirements/*.txt",
    "constraints*.txt",
    "setup.cfg",
    "pyproject.toml",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose.yml",
    "compose.yaml",
    "/.github/workflows/*",
    "/[Rr][Ee][Aa][Dd][Mm][Ee]*",  # the root README: its headings tell a repository's purpose
    "dvc.yaml",
    "dvc.lock",
    "*.dvc",
    ".env",
    ".env.*",
    # Hydra config trees (analyzers.repo.ecosystem): conf/ or configs/ at any depth.
    "**/conf/**/*.yaml",
    "**/conf/**/*.yml",
    "**/configs/**/*.yaml",
    "**/configs/**/*.yml",
    # Configuration a tracking URI may be read from by key (analyzers.repo.configvalues).
    "*.yaml",
    "*.yml",
    "*.toml",
    "*.cfg",
    "*.ini",
    "*.env",
    "*config*.json",
    "*settings*.json",
)

LEFT_OUT = "mlflow-miner-left-out.json"  # in the git directory
_MARKER = "# mlflow-miner: files over {cap} bytes are left out\n"
_NO_CAP = "# mlflow-miner: no file cap; files the server could not send are left out\n"
_REGULAR = frozenset({b"100644", b"100755", b"120000"})  # 120000: a link, written as a file
_BATCH = 2000  # blob ids per fetch request


class TooLarge(Exception):
    """What the checkout would write is over the repository's cap (the message says why)."""


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A file the checkout does not write: over the per-file cap, or `unreadable` (the server
    could not send its content; its size is then unknown, 0)."""

    path: str
    size: int
    unreadable: bool = False

    def describe(self) -> str:
        return self.path if self.unreadable else f"{self.path} ({_mb(self.size)})"


Git = Callable[..., GitOutput]  # run(args, network=..., stdin=...) -> GitOutput, must succeed


def _marker(file_cap: int | None) -> str:
    return _NO_CAP if file_cap is None else _MARKER.format(cap=file_cap)


def sparse_text(patterns: str, file_cap: int | None, left_out: Sequence[LeftOut]) -> str:
    """The sparse-checkout file: the patterns, the cap's marker, one exclusion per file (with
    no cap and nothing left out, the patterns alone)."""
    if file_cap is None and not left_out:
        return patterns
    return patterns + _marker(file_cap) + "".join(_exclude(f.path) for f in left_out)


def matches(text: str, patterns: str, file_cap: int | None) -> bool:
    """Whether a sparse-checkout file was written for these patterns and this cap."""
    if file_cap is None and text == patterns:
        return True
    marker = patterns + _marker(file_cap)
    rest = text[len(marker) :]
    return text.startswith(marker) and all(line.startswith("!/") for line in rest.splitlines())


def read_left_out(git_dir: Path) -> tuple[LeftOut, ...]:
    """The files a checkout left out (none if it records none)."""
    try:
        entries = json.loads((git_dir / LEFT_OUT).read_text(encoding="utf-8"))
        return tuple(
            LeftOut(str(e["path"]), int(e["size"]), bool(e.get("unreadable", False)))
            for e in entries
        )
    except (OSError, ValueError, KeyError, TypeError):
        return ()


def plan_checkout(
    git: Git,
    repo: Path,
    commit: str,
    patterns: str,
    file_cap: int | None,
    total_cap: int | None,
    blobless: bool = False,
) -> tuple[LeftOut, ...]:
    """Fetch the blobs the checkout of `commit` would write, leave out the files over
    `file_cap`, and write the sparse-checkout file; `TooLarge` if the rest is over
    `total_cap`. Returns the files left out. `blobless`: the object store is known to hold no
    blob yet (a fresh blobless fetch), so it is not listed before the fetch."""
    git_dir = repo / ".git"
    wanted = _wanted(git, git_dir, commit, patterns)
    sizes = {} if blobless else _local_sizes(git)
    missing = sorted({blob for blob in wanted.values() if blob not in sizes})
    unsent: set[str] = set()
    for start in range(0, len(missing), _BATCH):
        unsent |= _fetch_blobs(git, missing[start : start + _BATCH])
    if missing:
        sizes = _local_sizes(git)
    by_path = {path: sizes.get(blob, 0) for path, blob in wanted.items()}
    unreadable = sorted(path for path, blob in wanted.items() if blob in unsent)
    over = [] if file_cap is None else [p for p, size in by_path.items() if size > file_cap]
    left_out = tuple(
        sorted(
            [LeftOut(path, by_path[path]) for path in over]
            + [LeftOut(path, 0, unreadable=True) for path in unreadable],
            key=lambda item: item.path,
        )
    )
    over = [*over, *unreadable]
    unwritable = [f.path for f in left_out if "\n" in f.path or "\r" in f.path]
    if unwritable:
        raise TooLarge(
            f"{unwritable[0]!r} is over the per-file cap or unreadable and cannot be left out"
        )
    total = sum(size for path, size in by_path.items() if path not in set(over))
    if total_cap is not None and total > total_cap:
        raise TooLarge(f"the files to check out hold {_mb(total)}, over {_mb(total_cap)}")
    text = sparse_text(patterns, file_cap, left_out)
    (git_dir / "info" / "sparse-checkout").write_text(
        text, encoding="utf-8", errors="surrogateescape"
    )
    if left_out:
        still = set(_wanted(git, git_dir, commit, text)) & set(over)
        if still:  # inside a directory the patterns match: gitignore cannot re-exclude it
            first = sorted(still)[0]
            why = "could not be fetched" if first in unreadable else "is over the per-file cap"
            raise TooLarge(f"{first} {why} and cannot be left out")
    (git_dir / LEFT_OUT).write_text(
        json.dumps(
            [
                {"path": f.path, "size": f.size, **({"unreadable": True} if f.unreadable else {})}
                for f in left_out
            ]
        ),
        encoding="utf-8",
    )
    return left_out


# Fetch named blobs into a blobless clone: no negotiation (the server need not know what we
# have), no tags, no FETCH_HEAD, no submodules, no gc; blob SHAs follow.
FETCH_BLOBS = (
    "-c",
    "fetch.negotiationAlgorithm=noop",
    "fetch",
    "--no-tags",
    "--no-write-fetch-head",
    "--recurse-submodules=no",
    "--no-auto-gc",
    "--filter=blob:none",
    "origin",
)


def _fetch_blobs(git: Git, blobs: Sequence[str]) -> set[str]:
    """Fetch `blobs`; return those the server cannot send. A batch that fails for want of an
    object is halved, so k missing blobs among n cost about k log n requests."""
    if not blobs:
        return set()
    output = git(
        [*FETCH_BLOBS, *blobs],
        network=True,
        accept=None,
    )
    if output.ok:
        return set()
    if not cannot_send(output.stderr):
        raise CloneFailure(classify_failure(output.stderr), one_line(output.stderr))
    if len(blobs) == 1:
        return set(blobs)
    half = len(blobs) // 2
    return _fetch_blobs(git, blobs[:half]) | _fetch_blobs(git, blobs[half:])


def _wanted(git: Git, git_dir: Path, commit: str, patterns: str) -> dict[str, str]:
    """path -> blob id of the files the sparse checkout of `commit` writes."""
    listing = git(["ls-tree", "-r", "-z", "--full-tree", commit]).raw
    blobs: dict[bytes, str] = {}
    for entry in listing.split(b"\0"):
        meta, tab, path = entry.partition(b"\t")
        fields = meta.split()
        if tab and len(fields) == 3 and fields[0] in _REGULAR and fields[1] == b"blob":
            blobs[path] = fields[2].decode("ascii")
    if not blobs:
        return {}
    excludes = git_dir / "mlflow-miner-patterns"
    excludes.write_text(patterns, encoding="utf-8", errors="surrogateescape")
    matched = git(
        [
            "-c",
            f"core.excludesFile={excludes}",
            "check-ignore",
            "--no-index",
            "-z",
            "--stdin",
        ],
        stdin=b"\0".join(blobs) + b"\0",
        accept=(0, 1),  # 1: nothing matched
    ).raw
    return {
        path.decode("utf-8", "surrogateescape"): blobs[path]
        for path in matched.split(b"\0")
        if path in blobs
    }


def _local_sizes(git: Git) -> dict[str, int]:
    """Blob id -> size of the blobs in the local object store (never asks the server)."""
    out = git(
        [
            "cat-file",
            "--batch-all-objects",
            "--unordered",
            "--batch-check=%(objecttype) %(objectname) %(objectsize)",
        ]
    ).stdout
    sizes = {}
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "blob":
            blob, _, size = rest.partition(" ")
            sizes[blob] = int(size)
    return sizes


def _exclude(path: str) -> str:
    """A sparse-checkout line that excludes exactly `path` (gitignore escapes)."""
    escaped = "".join("\\" + c if c in "\\*?[" else c for c in path)
    stripped = escaped.rstrip(" ")
    escaped = stripped + "\\ " * (len(escaped) - len(stripped))
    return f"!/{escaped}\n"


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size} bytes"
