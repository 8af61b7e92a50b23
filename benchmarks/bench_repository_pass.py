"""What the repository pass costs and saves: a cold scan with and without it, and a warm rerun
after one edit.

    .venv/bin/python benchmarks/bench_repository_pass.py --tree PATH [--repeat 3]

PATH is a directory of checkouts (each subdirectory scanned as a repository) or one checkout.
Scans run in this process (`jobs=0`), so CPU seconds compare the work, not the scheduling; the
machine's load still shows, hence the rounds, alternated. Then the tree is copied, scanned with
a cache, one module that other files import gets a comment appended, and the rerun counts the
files it analysed again (the target: that module and its importers only).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import analyzers.repo.repository as repository
from analyzers import ScanSettings, scan


def _targets(tree: Path) -> list[Path]:
    children = sorted(p for p in tree.iterdir() if p.is_dir() and not p.name.startswith("."))
    has_code = any(tree.glob("*.py")) or any(tree.glob("*.ipynb"))
    return [tree] if has_code or not children else children


def _cold(targets: list[Path], repository_pass: bool) -> tuple[float, int, int]:
    settings = ScanSettings(jobs=0, use_cache=False, repository_pass=repository_pass)
    start = time.process_time()
    results = list(scan(*targets, settings=settings))
    calls = sum(len(result.calls) for result in results)
    return time.process_time() - start, len(results), calls


def _warm_after_edit(targets: list[Path]) -> tuple[int, int, str]:
    """Files analysed again after appending a comment to the most imported module that uses
    MLflow."""
    with tempfile.TemporaryDirectory() as scratch:
        copies = []
        for target in targets:
            copy = Path(scratch) / target.name
            shutil.copytree(target, copy, symlinks=True)
            copies.append(copy)
        settings = ScanSettings(jobs=0, cache_path=Path(scratch) / "cache.sqlite")
        list(scan(*copies, settings=settings))
        imported = _most_imported(copies)
        if imported is None:
            return 0, 0, "no module is imported by another"
        with open(imported, "a", encoding="utf-8") as handle:
            handle.write("\n# edited\n")
        analysed: list[str] = []
        original = repository.analyze_task

        def counting(data: bytes, kind, context: str):  # type: ignore[no-untyped-def]
            analysed.append(context[:80])
            return original(data, kind, context)

        repository.analyze_task = counting
        try:
            list(scan(*copies, settings=settings))
        finally:
            repository.analyze_task = original
        files = sum(1 for copy in copies for _ in copy.rglob("*.py"))
        return len(analysed), files, str(imported.relative_to(scratch))


def _most_imported(roots: list[Path]) -> Path | None:
    counts: dict[Path, int] = {}
    for root in roots:
        modules = {  # modules that use MLflow themselves, so that an edit matters
            p.stem: p
            for p in root.rglob("*.py")
            if p.stem != "__init__" and "mlflow" in p.read_text(encoding="utf-8", errors="ignore")
        }
        for path in root.rglob("*.py"):
            text = path.read_text(encoding="utf-8", errors="ignore")
            for stem, module in modules.items():
                if module != path and f"import {stem}" in text:
                    counts[module] = counts.get(module, 0) + 1
    return max(counts, key=lambda p: counts[p]) if counts else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.setrecursionlimit(20_000)
    targets = _targets(args.tree)
    rows: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeat):
        for repository_pass in (False, True):
            cpu, files, calls = _cold(targets, repository_pass)
            rows[repository_pass].append(cpu)
            label = "with the repository pass" if repository_pass else "each file alone"
            print(f"cold, {label}: {cpu:.2f} s CPU, {files} files, {calls} calls", flush=True)
    alone, together = min(rows[False]), min(rows[True])
    print(
        f"best of {args.repeat}: {alone:.2f} s alone, {together:.2f} s with the pass "
        f"({(together / alone - 1) * 100:+.0f}%)"
    )
    again, files, edited = _warm_after_edit(targets)
    print(f"warm rerun after editing {edited}: {again} of {files} .py files analysed again")


if __name__ == "__main__":
    main()
