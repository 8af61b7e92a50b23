"""Time `mlflow-miner scan` on a large tree beside `grep -rl mlflow`, a bare `ast.parse` of every
`.py` file (bare_parse.py) and Semgrep, cold and warm, at equal jobs; print the ratios of the
cold scan to Semgrep (the target is at most 0.5) and to the bare parse.

    make bench                      # a generated, labelled tree of ~5,000 files
    make bench TREE=PATH            # a real tree (accuracy only with --labels)
    python benchmarks/bench_scan.py --quick --skip-semgrep

Every tool runs in its own subprocess, one after the other, on a warm OS page cache (an untimed
grep pass reads the tree first). For each run the table gives wall seconds, files/s, MB/s and two
memory figures: the peak of the PSS summed over the whole process tree (sampled from /proc every
0.1 s, so worker processes count), and the largest single process's peak RSS (GNU time's
figure or the sampled VmHWM of any process in the tree, whichever is larger). Accuracy is precision/recall against the labels the generator wrote: file
level for grep (files with at least one call), (file, cell, line) for Semgrep and mlflow-miner,
and (file, cell, line, API) for mlflow-miner alone (Semgrep's messages carry the alias, not the
API). See benchmarks/README.md for the columns and measured numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import gentree  # noqa: E402

from analyzers.records import FileKind  # noqa: E402
from analyzers.repo.cache import cache_root  # noqa: E402
from analyzers.repo.files import ALWAYS_SKIPPED, VENDORED_DIRS, walk  # noqa: E402

MIB = 1024 * 1024
MB = 1_000_000
RULES = HERE / "semgrep_rules.yml"
DEFAULT_FILES = 5000
QUICK_FILES = 400
SKIPPED_DIRS = sorted(VENDORED_DIRS | ALWAYS_SKIPPED)

Site = tuple[str, int | None, int]  # path, notebook cell (None for .py), line
ApiSite = tuple[str, int | None, int, str]


# ------------------------------------------------------------------------------ measuring
GNU_TIME = "/usr/bin/time"


@dataclass
class Measured:
    seconds: float
    returncode: int
    peak_tree_mb: float  # sampled peak of the PSS summed over the process and its descendants
    max_rss_mb: float  # the largest single process's peak RSS
    max_rss_from: str  # where max_rss_mb came from
    samples: int
    processes: list[dict]  # per process: peak PSS and its command line, largest first
    cpu_seconds: float = 0.0  # user + system time of every process in the tree (sampled)
    other_cpu_seconds: float = 0.0  # CPU time the rest of the machine used meanwhile
    all_seconds: list[float] | None = None  # every repetition's wall time (see --repeat)


class _TreeSampler(threading.Thread):
    """Polls /proc for the memory of a process and all its descendants."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.hwm_kb = 0
        self.samples = 0
        self.per_process: dict[int, tuple[int, str]] = {}
        self.cpu_ticks: dict[int, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            total = 0
            for pid in _descendants(self.pid):
                pss, hwm = _memory_kb(pid)
                ticks = _cpu_ticks(pid)
                if ticks:
                    self.cpu_ticks[pid] = ticks
                total += pss
                self.hwm_kb = max(self.hwm_kb, hwm)
                if pss > self.per_process.get(pid, (0, ""))[0]:
                    self.per_process[pid] = (pss, _cmdline(pid))
            self.peak_kb = max(self.peak_kb, total)
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        children[ppid].append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, ()))
    return found


def _machine_busy_ticks() -> int:
    """Non-idle CPU time of the whole machine since boot, in clock ticks."""
    try:
        with open("/proc/stat", "rb") as handle:
            fields = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user and nice
    return sum(fields) - idle - guest


def _cpu_ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "?"


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, peak RSS so far) of one process in KiB; zeros once it is gone."""
    pss = hwm = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    pss = int(line.split()[1])
                    break
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
                    break
    except (OSError, ValueError):
        pass
    return pss, hwm


def run_measured(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdout: Path | None = None,
    stderr: Path | None = None,
    interval: float = 0.1,
) -> Measured:
    """Run `cmd` to completion; its wall time and memory.

    The largest process's peak RSS is the larger of GNU time's figure (when it is installed)
    and the VmHWM sampled from every process in the tree. Neither alone will do: the kernel's
    rusage of a child started from this (large) Python process counts the pages it shared with
    us before exec, which is why GNU time starts it; but GNU time never hears of processes that
    outlive their parent, such as the pool workers reaped by multiprocessing's forkserver.
    """
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    err = open(stderr, "wb") if stderr else subprocess.DEVNULL  # noqa: SIM115
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        fd, rss_name = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        rss_file = Path(rss_name)
        cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd]
    try:
        busy_before = _machine_busy_ticks()
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        sampler = _TreeSampler(proc.pid, interval)
        sampler.start()
        returncode = proc.wait()
        seconds = time.perf_counter() - started
        sampler.stop()
        busy = (_machine_busy_ticks() - busy_before) / os.sysconf("SC_CLK_TCK")
        cpu_seconds = sum(sampler.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")
        max_rss_kb, source = sampler.hwm_kb, "sampled VmHWM"
        if rss_file is not None:
            text = rss_file.read_text().strip().splitlines()
            if text and text[-1].isdigit() and int(text[-1]) >= max_rss_kb:
                max_rss_kb, source = int(text[-1]), "GNU time"
    finally:
        for handle in (out, err):
            if handle is not subprocess.DEVNULL:
                handle.close()
        if rss_file is not None:
            rss_file.unlink(missing_ok=True)
    return Measured(
        seconds=round(seconds, 3),
        returncode=returncode,
        peak_tree_mb=round(sampler.peak_kb * 1024 / MIB, 1),
        max_rss_mb=round(max_rss_kb * 1024 / MIB, 1),
        max_rss_from=source,
        samples=sampler.samples,
        cpu_seconds=round(cpu_seconds, 2),
        other_cpu_seconds=round(max(0.0, busy - cpu_seconds), 2),
        processes=[
            {"peak_pss_mb": round(kb / 1024, 1), "command": command}
            for kb, command in sorted(sampler.per_process.values(), reverse=True)
        ],
    )


def pick_median(results: list[tuple]) -> tuple:
    """Of several runs (tuples whose first item is a Measured), the one of median wall time,
    with every run's seconds recorded on its Measured."""
    ordered = sorted(results, key=lambda result: result[0].seconds)
    chosen = ordered[len(ordered) // 2]
    chosen[0].all_seconds = [result[0].seconds for result in results]
    return chosen


# ------------------------------------------------------------------------------- the tree
@dataclass
class Tree:
    path: Path
    files: int
    bytes: int
    labels: dict | None
    labels_path: Path | None
    generated: dict | None


def inventory(path: Path) -> tuple[int, int]:
    """The .py/.ipynb files mlflow-miner reads (vendored trees and symlinks excluded)."""
    files = size = 0
    for entry in walk(str(path)):
        if entry.status is None and entry.kind in (FileKind.SCRIPT, FileKind.NOTEBOOK):
            files += 1
            size += entry.size
    return files, size


def generated_tree(work: Path, files: int, seed: int) -> tuple[Path, Path]:
    """The tree for (files, seed), generated unless an identical one is already there."""
    tree = work / f"tree-{files}-s{seed}"
    labels = work / f"tree-{files}-s{seed}.labels.json"
    stamp = work / f"tree-{files}-s{seed}.fingerprint"
    fingerprint = gentree.tree_fingerprint(files, seed)
    if not (
        tree.is_dir()
        and labels.is_file()
        and stamp.is_file()
        and stamp.read_text().strip() == fingerprint
    ):
        print(f"generating {files} files (seed {seed}) into {tree} ...", file=sys.stderr)
        stamp.unlink(missing_ok=True)
        gentree.generate(tree, files, seed, labels_path=labels)
        stamp.write_text(fingerprint + "\n")
    return tree, labels


def load_tree(path: Path, labels_path: Path | None, generated: dict | None) -> Tree:
    files, size = inventory(path)
    labels = json.loads(labels_path.read_text(encoding="utf-8")) if labels_path else None
    return Tree(path, files, size, labels, labels_path, generated)


# ---------------------------------------------------------------------------------- tools
def miner_command() -> list[str]:
    script = Path(sys.executable).with_name("mlflow-miner")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from mining.cli import main; main()"]


def run_grep(tree: Path, out: Path) -> tuple[Measured, set[str]]:
    cmd = [
        "grep",
        "-rl",
        "--include=*.py",
        "--include=*.ipynb",
        *(f"--exclude-dir={name}" for name in SKIPPED_DIRS),
        "mlflow",
        ".",
    ]
    measured = run_measured(cmd, cwd=tree, stdout=out)
    if measured.returncode not in (0, 1):  # 1: no file matched
        raise RuntimeError(f"grep failed with exit code {measured.returncode}")
    files = {line.removeprefix("./") for line in out.read_text().splitlines() if line}
    return measured, files


def run_bare_parse(tree: Path, jobs: int, out: Path) -> tuple[Measured, str]:
    """`ast.parse` of every .py file of the tree in `jobs` processes (bare_parse.py)."""
    cmd = [sys.executable, str(HERE / "bare_parse.py"), str(tree), "--jobs", str(jobs)]
    measured = run_measured(cmd, stdout=out)
    if measured.returncode != 0:
        raise RuntimeError(f"bare_parse.py failed with exit code {measured.returncode}")
    return measured, out.read_text(encoding="utf-8").strip()


def run_miner(
    paths: list[Path], out_dir: Path, jobs: int, cache: Path | None, log: Path
) -> tuple[Measured, set[ApiSite], Counter]:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    cmd = [*miner_command(), "scan", *map(str, paths), "--out", str(out_dir), "--jobs", str(jobs)]
    cmd += ["--cache-file", str(cache)] if cache is not None else ["--no-cache"]
    measured = run_measured(cmd, stderr=log)
    if measured.returncode != 0:
        raise RuntimeError(f"mlflow-miner failed ({measured.returncode}); see {log}")
    calls: set[ApiSite] = set()
    with open(out_dir / "calls.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            cell = int(row["cell"]) if row["cell"] else None
            calls.add((row["path"], cell, int(row["line"]), row["api"]))
    statuses: Counter = Counter()
    with open(out_dir / "files.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            statuses[row["status"]] += 1
    return measured, calls, statuses


def semgrep_env() -> dict[str, str]:
    return {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


def ensure_semgrep(explicit: str | None, package: str) -> tuple[str | None, str]:
    """A semgrep executable (installed on demand into its own venv), or None and why not."""
    if explicit:
        return explicit, "given with --semgrep"
    venv = cache_root() / "bench-semgrep-venv"
    exe = venv / "bin" / "semgrep"
    if not exe.exists():
        print(f"installing {package} into {venv} (once) ...", file=sys.stderr)
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", str(venv)],
                check=True,
                capture_output=True,
                timeout=600,
            )
            subprocess.run(
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    package,
                ],
                check=True,
                capture_output=True,
                timeout=1800,
            )
        except (OSError, subprocess.SubprocessError) as error:
            detail = getattr(error, "stderr", b"") or b""
            tail = detail.decode(errors="replace").strip().splitlines()[-1:] if detail else []
            return None, f"could not install {package}: {error} {' '.join(tail)}".strip()
    if not exe.exists():
        return None, f"{exe} missing after installing {package}"
    return str(exe), f"venv {venv}"


def run_semgrep(
    exe: str, tree: Path, out: Path, log: Path, jobs: int
) -> tuple[Measured, set[Site], dict]:
    base = [
        exe,
        "scan",
        "--config",
        str(RULES),
        "--json",
        "--output",
        str(out),
        "--metrics=off",
        "--disable-version-check",
        "-j",
        str(jobs),
        "--no-git-ignore",
        "--max-target-bytes",
        str(5 * MIB),
        *(f"--exclude={name}" for name in SKIPPED_DIRS),
    ]
    # Semgrep skips tests/ and a few other paths by default; mlflow-miner does not, so the
    # default ignore list is switched off (an internal flag; without it the count differs).
    notes = []
    out.unlink(missing_ok=True)
    measured = run_measured(
        [*base, "--x-ignore-semgrepignore-files", "."], cwd=tree, env=semgrep_env(), stderr=log
    )
    if measured.returncode not in (0, 1) and "x-ignore-semgrepignore-files" in log.read_text(
        errors="replace"
    ):
        notes.append("this Semgrep has no --x-ignore-semgrepignore-files: default ignores apply")
        measured = run_measured([*base, "."], cwd=tree, env=semgrep_env(), stderr=log)
    if measured.returncode not in (0, 1) or not out.exists():
        raise RuntimeError(f"semgrep failed with exit code {measured.returncode}; see {log}")
    report = json.loads(out.read_text(encoding="utf-8"))
    sites = {
        (result["path"].removeprefix("./"), None, result["start"]["line"])
        for result in report.get("results", [])
    }
    info = {
        "scanned": len(report.get("paths", {}).get("scanned", [])),
        "errors": len(report.get("errors", [])),
        "version": report.get("version"),
        "notes": notes,
    }
    return measured, sites, info


# ------------------------------------------------------------------------------- accuracy
def precision_recall(got: set, truth: set) -> dict:
    hit = len(got & truth)
    return {
        "precision": round(hit / len(got), 4) if got else (1.0 if not truth else 0.0),
        "recall": round(hit / len(truth), 4) if truth else 1.0,
        "true_positives": hit,
        "false_positives": len(got - truth),
        "false_negatives": len(truth - got),
    }


def truth_sets(labels: dict) -> tuple[set[ApiSite], set[Site], set[str]]:
    api = {(path, cell, line, name) for path, cell, line, name in labels["calls"]}
    return api, {site[:3] for site in api}, {site[0] for site in api}


def source_line(tree: Path, path: str, cell: int | None, line: int) -> str:
    try:
        data = (tree / path).read_text(encoding="utf-8", errors="replace")
        if cell is not None:
            source = json.loads(data)["cells"][cell]["source"]
            data = "".join(source) if isinstance(source, list) else source
        return data.splitlines()[line - 1].strip()
    except (OSError, ValueError, IndexError, KeyError):
        return "?"


def discrepancies(tree: Path, labels: dict, got: set, truth: set, examples: int) -> list[dict]:
    """Misses and false reports grouped by (kind, generator style, API) with examples."""
    styles = labels.get("file_styles", {})
    groups: dict[tuple, list] = defaultdict(list)
    for kind, sites in (("missed", truth - got), ("false", got - truth)):
        for site in sorted(sites, key=lambda s: (s[0], -1 if s[1] is None else s[1], *s[2:])):
            api = site[3] if len(site) > 3 else ""
            groups[(kind, styles.get(site[0], "clean"), api)].append(site)
    report = []
    for (kind, style, api), sites in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        report.append(
            {
                "kind": kind,
                "style": style,
                "api": api,
                "count": len(sites),
                "examples": [
                    {
                        "path": s[0],
                        "cell": s[1],
                        "line": s[2],
                        "source": source_line(tree, s[0], s[1], s[2]),
                    }
                    for s in sites[:examples]
                ],
            }
        )
    return report


def by_style(labels: dict, tools: dict[str, tuple[set, int]]) -> dict[str, dict]:
    """Per generator style: labelled sites, and each tool's misses and false reports.

    `tools` maps a name to (reported items, tuple length compared: 1 = file, 3 = site)."""
    styles = labels.get("file_styles", {})
    api_truth, _, _ = truth_sets(labels)
    table: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for site in api_truth:
        table[styles.get(site[0], "clean")]["sites"] += 1
    files_by_style = Counter(styles.get(path, "clean") for path in styles)
    for style, count in files_by_style.items():
        table[style]["files"] = count
    for name, (got, width) in tools.items():
        truth = {s[0] for s in api_truth} if width == 1 else {s[:width] for s in api_truth}
        for item in truth - got:
            key = item if isinstance(item, str) else item[0]
            table[styles.get(key, "clean")][f"{name} missed"] += 1
        for item in got - truth:
            key = item if isinstance(item, str) else item[0]
            table[styles.get(key, "clean")][f"{name} false"] += 1
    return {style: dict(row) for style, row in sorted(table.items())}


# ---------------------------------------------------------------------------------- report
def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "analyzers", "mining"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    grep_version = subprocess.run(
        ["grep", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[:1]
    try:
        from importlib.metadata import version

        libcst_version = version("libcst")
    except Exception:
        libcst_version = "?"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libcst": libcst_version,
        "grep": grep_version[0] if grep_version else "?",
        "commit": commit + ("+dirty" if dirty else ""),
    }


def _fmt(value, spec: str = "") -> str:
    if value is None:
        return "n/a"
    return format(value, spec)


def render_table(tree: Tree, rows: list[dict], cold_seconds: float | None) -> str:
    header = (
        "tool",
        "files",
        "MB",
        "seconds",
        "cpu s",
        "files/s",
        "MB/s",
        "peak MB",
        "proc MB",
        "file P",
        "file R",
        "site P",
        "site R",
        "api P",
        "api R",
        "x cold",
    )
    lines = [header]
    for row in rows:
        m = row.get("measured")
        if m is None:
            lines.append((row["tool"], *["-"] * (len(header) - 1), row.get("note", "skipped")))
            continue
        seconds = m["seconds"]
        acc = row.get("accuracy", {})

        def pick(level: str, key: str, acc=acc) -> str:
            value = acc.get(level, {}).get(key) if acc else None
            return _fmt(value, ".3f")

        lines.append(
            (
                row["tool"],
                str(tree.files),
                f"{tree.bytes / MB:.1f}",
                f"{seconds:.2f}",
                f"{m['cpu_seconds']:.1f}",
                f"{tree.files * row.get('multiplier', 1) / seconds:,.0f}",
                f"{tree.bytes * row.get('multiplier', 1) / MB / seconds:.1f}",
                f"{m['peak_tree_mb']:.0f}",
                f"{m['max_rss_mb']:.0f}",
                pick("file", "precision"),
                pick("file", "recall"),
                pick("site", "precision"),
                pick("site", "recall"),
                pick("api", "precision"),
                pick("api", "recall"),
                f"{seconds / cold_seconds:.3g}" if cold_seconds else "n/a",
            )
        )
    widths = [max(len(str(line[i])) for line in lines if i < len(line)) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        cells = [
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
            for i, cell in enumerate(line[: len(header)])
        ]
        text = "  ".join(cells)
        if len(line) > len(header):
            text += "  " + line[-1]
        out.append(text)
        if index == 0:
            out.append("-" * len(text))
    return "\n".join(out)


def render_styles(table: dict[str, dict], tools: list[str]) -> str:
    header = ["style", "files", "sites", *(f"{t} miss/false" for t in tools)]
    rows = [header]
    for style, row in table.items():
        if style in ("clean", "data", "clean-notebook") and not any(
            row.get(f"{t} false") for t in tools
        ):
            continue
        rows.append(
            [
                style,
                str(row.get("files", "")),
                str(row.get("sites", 0)),
                *(f"{row.get(f'{t} missed', 0)}/{row.get(f'{t} false', 0)}" for t in tools),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark mlflow-miner scan against grep and Semgrep, cold and warm."
    )
    parser.add_argument("--tree", type=Path, help="A real tree to scan instead of a generated one.")
    parser.add_argument(
        "--labels",
        type=Path,
        help="Labels JSON for --tree (the generator's format) to score accuracy.",
    )
    parser.add_argument(
        "--files",
        type=int,
        help=f"Files to generate (default {DEFAULT_FILES}; {QUICK_FILES} with --quick).",
    )
    parser.add_argument("--seed", type=int, default=7, help="Generator seed (default 7).")
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="Work directory for trees, caches and outputs "
        "(default: $XDG_CACHE_HOME/mlflow-miner/bench).",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="Worker processes for mlflow-miner and Semgrep (default 2).",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="Runs of each timed tool; the median is reported (default 3; 1 with --quick).",
    )
    parser.add_argument("--skip-semgrep", action="store_true", help="Do not run Semgrep.")
    parser.add_argument("--semgrep", help="A semgrep executable to use instead of installing one.")
    parser.add_argument(
        "--semgrep-package",
        default="semgrep",
        help="pip requirement installed into the Semgrep venv (default semgrep).",
    )
    parser.add_argument(
        "--skip-memory-scale",
        action="store_true",
        help="Skip the two extra runs that compare peak memory at 1x and 4x.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"A small generated tree ({QUICK_FILES} files): a smoke run.",
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=2,
        help="Examples printed per class of discrepancy (default 2).",
    )
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help="Results JSON (default results/bench/scan-<tree>.json).",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = (args.work or cache_root() / "bench").resolve()
    work.mkdir(parents=True, exist_ok=True)
    files = args.files or (QUICK_FILES if args.quick else DEFAULT_FILES)
    repeat = args.repeat or (1 if args.quick else 3)

    if args.tree is not None:
        tree_path = args.tree.resolve()
        if not tree_path.is_dir():
            print(f"--tree {tree_path} is not a directory", file=sys.stderr)
            return 2
        tree = load_tree(tree_path, args.labels, None)
        tag = f"tree-{tree_path.name}"
    else:
        tree_path, labels_path = generated_tree(work, files, args.seed)
        tree = load_tree(
            tree_path,
            labels_path,
            {"files": files, "seed": args.seed, "generator": gentree.GENERATOR_VERSION},
        )
        tag = f"generated-{files}-s{args.seed}"
    runs = work / "runs" / tag
    runs.mkdir(parents=True, exist_ok=True)
    print(
        f"tree {tree.path}: {tree.files} .py/.ipynb files, {tree.bytes / MB:.1f} MB",
        file=sys.stderr,
    )

    truth_api: set[ApiSite] = set()
    truth_sites: set[Site] = set()
    truth_files: set[str] = set()
    if tree.labels is not None:
        truth_api, truth_sites, truth_files = truth_sets(tree.labels)

    def accuracy(
        files: set[str] | None = None,
        sites: set[Site] | None = None,
        api: set[ApiSite] | None = None,
    ) -> dict:
        if tree.labels is None:
            return {}
        result = {}
        if files is not None:
            result["file"] = precision_recall(files, truth_files)
        if sites is not None:
            result["site"] = precision_recall(sites, truth_sites)
        if api is not None:
            result["api"] = precision_recall(api, truth_api)
        return result

    rows: list[dict] = []
    results: dict = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "jobs": args.jobs,
        "repeat": repeat,
        "tree": {
            "path": str(tree.path),
            "files": tree.files,
            "bytes": tree.bytes,
            "generated": tree.generated,
            "labels": str(tree.labels_path) if tree.labels_path else None,
            "labelled_sites": len(truth_sites) if tree.labels else None,
        },
    }

    results["load_before"] = [round(x, 2) for x in os.getloadavg()]
    if results["load_before"][0] > 0.5:
        print(
            f"warning: load average {results['load_before'][0]:.2f} before the runs: other "
            "processes are using this machine's CPU and will slow every tool",
            file=sys.stderr,
        )
    # Page cache: every tool below reads a tree that is already in memory.
    run_measured(["grep", "-rlq", "mlflow", "."], cwd=tree.path)

    cache = work / f"cache-{tag}.sqlite"

    def cold_run():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cache}{suffix}").unlink(missing_ok=True)
        return run_miner(
            [tree.path], runs / "miner-cold", args.jobs, cache, runs / "miner-cold.log"
        )

    def warm_run():  # right after a cold run: every file's analysis is in the cache
        return run_miner(
            [tree.path], runs / "miner-warm", args.jobs, cache, runs / "miner-warm.log"
        )

    plan = {
        "grep": lambda: run_grep(tree.path, runs / "grep.txt"),
        "ast.parse": lambda: run_bare_parse(tree.path, args.jobs, runs / "bare-parse.txt"),
    }
    semgrep_note = "skipped (--skip-semgrep)" if args.skip_semgrep else None
    if not args.skip_semgrep:
        exe, how = ensure_semgrep(args.semgrep, args.semgrep_package)
        if exe is None:
            semgrep_note = f"skipped: {how}"
            print(f"Semgrep {semgrep_note}", file=sys.stderr)
        else:
            print(f"semgrep: {how}", file=sys.stderr)
            plan["semgrep"] = lambda: run_semgrep(
                exe, tree.path, runs / "semgrep.json", runs / "semgrep.log", args.jobs
            )
    plan["cold"] = cold_run
    plan["warm"] = warm_run
    # Round robin, so that every tool sees the same drift in this machine's speed.
    done: dict[str, list] = defaultdict(list)
    for round_index in range(repeat):
        for name, run in list(plan.items()):
            print(f"[{round_index + 1}/{repeat}] {name} ...", file=sys.stderr)
            try:
                done[name].append(run())
            except RuntimeError as error:
                if name != "semgrep":
                    raise
                print(f"Semgrep failed: {error}", file=sys.stderr)
                semgrep_note = f"failed: {error}"
                del plan["semgrep"]
                done.pop("semgrep", None)

    grep_measured, grep_files = pick_median(done["grep"])
    rows.append(
        {
            "tool": "grep -rl mlflow",
            "measured": asdict(grep_measured),
            "accuracy": accuracy(files=grep_files),
            "reported_files": len(grep_files),
        }
    )
    bare_measured, bare_note = pick_median(done["ast.parse"])
    rows.append(
        {
            "tool": f"bare ast.parse -j {args.jobs}",
            "measured": asdict(bare_measured),
            "note": bare_note,
        }
    )
    semgrep_sites: set[Site] | None = None
    if done.get("semgrep"):
        measured, semgrep_sites, info = pick_median(done["semgrep"])
        rows.append(
            {
                "tool": f"semgrep -j {args.jobs}",
                "measured": asdict(measured),
                "accuracy": accuracy(files={s[0] for s in semgrep_sites}, sites=semgrep_sites),
                "semgrep": info,
            }
        )
    else:
        rows.append({"tool": "semgrep", "measured": None, "note": semgrep_note or "skipped"})
    cold, cold_calls, statuses = pick_median(done["cold"])
    cold_sites = {site[:3] for site in cold_calls}
    rows.append(
        {
            "tool": f"mlflow-miner cold -j {args.jobs}",
            "measured": asdict(cold),
            "accuracy": accuracy({s[0] for s in cold_calls}, cold_sites, cold_calls),
            "statuses": dict(statuses),
            "calls": len(cold_calls),
        }
    )
    warm, warm_calls, _ = pick_median(done["warm"])
    rows.append(
        {
            "tool": f"mlflow-miner warm -j {args.jobs}",
            "measured": asdict(warm),
            "accuracy": accuracy(
                {s[0] for s in warm_calls}, {s[:3] for s in warm_calls}, warm_calls
            ),
            "same_calls_as_cold": warm_calls == cold_calls,
        }
    )

    scale: dict | None = None
    if not args.skip_memory_scale:
        # Peak memory at two sizes, without the cache: a quarter of the generated tree and the
        # whole tree, or a real tree once and four times over (four repositories in one scan).
        if tree.generated is not None:
            small_path, _ = generated_tree(work, max(20, files // 4), args.seed)
            small_paths, large_paths = [small_path], [tree.path]
            small_files, small_bytes = inventory(small_path)
            large_files, large_bytes = tree.files, tree.bytes
            how = f"generated trees of {small_files} and {large_files} files"
        else:
            small_paths, large_paths = [tree.path], [tree.path] * 4
            small_files, small_bytes = tree.files, tree.bytes
            large_files, large_bytes = tree.files * 4, tree.bytes * 4
            how = "the tree scanned once, and four times over in one scan"
        print(f"memory scale: {how} ...", file=sys.stderr)
        small, _, _ = run_miner(
            small_paths, runs / "miner-small", args.jobs, None, runs / "miner-small.log"
        )
        large, _, _ = run_miner(
            large_paths, runs / "miner-large", args.jobs, None, runs / "miner-large.log"
        )
        scale = {
            "how": how,
            "small": {"files": small_files, "bytes": small_bytes, **asdict(small)},
            "large": {"files": large_files, "bytes": large_bytes, **asdict(large)},
            "size_ratio": round(large_files / max(1, small_files), 2),
            "peak_ratio": round(large.peak_tree_mb / max(0.1, small.peak_tree_mb), 2),
        }
        results["memory_scale"] = scale

    # ---------------------------------------------------------------- printing and saving
    results["runs"] = rows
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(
        f"mlflow-miner scan benchmark, {results['date']}, {results['machine']['cores']} cores "
        f"({results['machine']['cpu']}), jobs {args.jobs}, median of {repeat} run(s)"
    )
    print(
        f"tree: {tree.path} ({tree.files} files, {tree.bytes / MB:.1f} MB"
        + (
            f", {len(truth_sites)} labelled call sites in {len(truth_files)} files)"
            if tree.labels
            else ", no labels: accuracy n/a)"
        )
    )
    print()
    print(render_table(tree, rows, cold.seconds))
    print()
    cores = os.cpu_count() or 1
    for row in rows:
        m = row.get("measured")
        if m and m["other_cpu_seconds"] > 0.1 * m["seconds"] * cores + 0.2:
            print(
                f"warning: while '{row['tool']}' ran, other processes used "
                f"{m['other_cpu_seconds']:.1f} CPU s of {m['seconds'] * cores:.1f}: "
                "its time is inflated"
            )
    semgrep_row = next((r for r in rows if r["tool"].startswith("semgrep") and r["measured"]), None)
    targets: dict = {"warm_over_cold_percent": round(100 * warm.seconds / cold.seconds, 1)}
    print(
        f"warm / cold: {warm.seconds:.2f} s / {cold.seconds:.2f} s = "
        f"{targets['warm_over_cold_percent']:.1f}% (target < 5%)"
    )
    targets["cold_over_bare_parse"] = round(cold.seconds / bare_measured.seconds, 2)
    print(
        f"mlflow-miner cold / bare ast.parse of every .py file: {cold.seconds:.2f} s / "
        f"{bare_measured.seconds:.2f} s = {targets['cold_over_bare_parse']:.2f} ({bare_note})"
    )
    if semgrep_row:
        speedup = semgrep_row["measured"]["seconds"] / cold.seconds
        targets["semgrep_over_cold"] = round(speedup, 2)
        targets["cold_over_semgrep"] = round(1 / speedup, 2)
        print(
            f"mlflow-miner cold / Semgrep at equal jobs: {cold.seconds:.2f} s / "
            f"{semgrep_row['measured']['seconds']:.2f} s = {targets['cold_over_semgrep']:.2f} "
            "(target <= 0.5; notebooks analysed by mlflow-miner only)"
        )
        if tree.labels:
            theirs = semgrep_row["accuracy"]
            ours = next(r for r in rows if r["tool"].startswith("mlflow-miner cold"))["accuracy"]
            targets["site_accuracy"] = {"mlflow-miner": ours["site"], "semgrep": theirs["site"]}
            print(
                f"call-site precision/recall: mlflow-miner {ours['site']['precision']:.3f}/"
                f"{ours['site']['recall']:.3f}, Semgrep {theirs['site']['precision']:.3f}/"
                f"{theirs['site']['recall']:.3f} (target: equal or better)"
            )
    if scale:
        print(
            f"peak memory without cache, {scale['how']}: "
            f"{scale['small']['peak_tree_mb']:.0f} MB ({scale['small']['files']} files) vs "
            f"{scale['large']['peak_tree_mb']:.0f} MB ({scale['large']['files']} files): "
            f"x{scale['peak_ratio']:.2f} for x{scale['size_ratio']:.2f} the files "
            f"(largest process {scale['small']['max_rss_mb']:.0f} vs "
            f"{scale['large']['max_rss_mb']:.0f} MB; target: flat)"
        )
    results["targets"] = targets

    if tree.labels:
        tools = {"miner": (cold_sites, 3), "grep": (grep_files, 1)}
        if semgrep_sites is not None:
            tools["semgrep"] = (semgrep_sites, 3)
        styles = by_style(tree.labels, tools)
        results["by_style"] = styles
        print()
        print("misses/false reports by generated style (site level; grep: file level):")
        print(render_styles(styles, list(tools)))
        found = discrepancies(tree.path, tree.labels, cold_calls, truth_api, args.examples)
        results["miner_discrepancies"] = found
        if found:
            print()
            print("mlflow-miner discrepancies (file, cell, line, API) against the labels:")
            for group in found:
                print(f"  {group['kind']:6} {group['count']:4}  {group['style']:20} {group['api']}")
                for example in group["examples"]:
                    where = f"{example['path']}:" + (
                        f"cell {example['cell']}:" if example["cell"] is not None else ""
                    )
                    print(f"           {where}{example['line']}: {example['source']}")
    elif semgrep_sites is not None:
        # No labels: where the two tools disagree on .py files is worth reading.
        py_cold = {s for s in cold_sites if s[1] is None}
        only_semgrep, only_miner = semgrep_sites - py_cold, py_cold - semgrep_sites
        results["disagreements"] = {
            "only_semgrep": len(only_semgrep),
            "only_miner": len(only_miner),
            "examples_only_semgrep": [
                {"path": s[0], "line": s[2], "source": source_line(tree.path, *s)}
                for s in sorted(only_semgrep)[:50]
            ],
            "examples_only_miner": [
                {"path": s[0], "line": s[2], "source": source_line(tree.path, *s)}
                for s in sorted(only_miner)[:50]
            ],
        }
        print()
        print(
            f"no labels; on .py files Semgrep alone reports {len(only_semgrep)} sites and "
            f"mlflow-miner alone {len(only_miner)} (examples in the JSON)"
        )

    json_out = args.json_out or ROOT / "results" / "bench" / f"scan-{tag}.json"
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    print()
    print(f"results: {json_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
