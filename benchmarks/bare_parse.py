"""The floor a scan is compared with: `ast.parse` of every `.py` file of a tree, in N processes.

    python benchmarks/bare_parse.py TREE --jobs 2

Walks the tree as the scan does (same skipped folders), reads each `.py` file and parses it
with CPython's own parser, nothing else: no pre-filter, no libcst, no resolution. Prints the
files parsed and those that did not parse.
"""

from __future__ import annotations

import argparse
import ast
import sys
import warnings
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyzers.records import FileKind  # noqa: E402
from analyzers.repo.files import walk  # noqa: E402


def _parses(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(20_000)
    paths = [
        entry.source
        for entry in walk(str(args.tree))
        if entry.kind is FileKind.SCRIPT and entry.status is None
    ]
    with Pool(max(1, args.jobs)) as pool:
        parsed = sum(pool.imap_unordered(_parses, paths, chunksize=32))
    print(f"{parsed} of {len(paths)} .py files parsed; {len(paths) - parsed} did not")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
