"""Seconds to analyze one file as its number of MLflow calls grows: the analysis must be linear.

    .venv/bin/python benchmarks/bench_big_file.py                 # 1,000 and 8,000 calls, 100k lines
    .venv/bin/python benchmarks/bench_big_file.py --calls 1000 2000 4000 --lines 0

Each size is analysed in this process (`analyze_bytes`, as a worker does), in three shapes:

* `flat`: every call a top-level statement (`mlflow.log_metric("m17", 17)`);
* `nested`: calls inside functions of classes, a few per method, as real training code is;
* `lines`: the `--lines` file: mostly plain assignments, one call every 100 lines, the size of
  a generated or vendored module that still fits under the 5 MiB cap.

Linear means `seconds / calls` stays flat: 8,000 calls in about 8 times the time of 1,000. The
results are printed as a table and written as JSON (`--json-out`, default
`results/bench/big-file.json`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzers.code.analyze import analyze_bytes
from analyzers.code.catalog import load_catalog
from analyzers.records import FileKind


def flat(calls: int) -> str:
    body = "".join(f'mlflow.log_metric("m{i}", {i})\n' for i in range(calls))
    return "import mlflow\n" + body


def nested(calls: int) -> str:
    lines = ["import mlflow", "client = mlflow.MlflowClient()", ""]
    per_method, per_class = 4, 10
    for i in range(0, calls, per_method):
        if i % (per_method * per_class) == 0:
            lines.append(f"class Trainer{i}:")
        lines.append(f"    def step{i}(self, run_id):")
        lines.append("        for epoch in range(3):")
        for j in range(i, min(i + per_method, calls)):
            api = "client.log_param(run_id, " if j % 2 else "mlflow.log_metric("
            lines.append(f'            {api}"k{j}", epoch)')
    return "\n".join(lines) + "\n"


def many_lines(lines: int) -> str:
    out = ["import mlflow"]
    for i in range(lines - 1):
        out.append(f'mlflow.log_param("p{i}", {i})' if i % 100 == 0 else f"value_{i} = {i} * 2")
    return "\n".join(out) + "\n"


def timed(source: str) -> tuple[float, int]:
    data = source.encode()
    started = time.perf_counter()
    analysis = analyze_bytes(data, FileKind.SCRIPT)
    return time.perf_counter() - started, len(analysis.calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1000, 8000])
    parser.add_argument("--lines", type=int, default=100_000, help="0 leaves the shape out")
    parser.add_argument("--json-out", type=Path, default=Path("results/bench/big-file.json"))
    args = parser.parse_args()
    load_catalog()
    rows = []
    cases = [
        (shape, n, maker(n))
        for n in args.calls
        for shape, maker in (("flat", flat), ("nested", nested))
    ]
    if args.lines:
        cases.append(("lines", args.lines, many_lines(args.lines)))
    print(f"{'shape':<8}{'size':>8}{'bytes':>11}{'calls':>8}{'seconds':>10}{'ms/call':>9}")
    for shape, size, source in cases:
        seconds, found = timed(source)
        rows.append(
            {"shape": shape, "size": size, "bytes": len(source), "calls": found, "seconds": seconds}
        )
        print(
            f"{shape:<8}{size:>8}{len(source):>11}{found:>8}{seconds:>10.2f}"
            f"{1000 * seconds / max(1, found):>9.2f}",
            flush=True,
        )
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
