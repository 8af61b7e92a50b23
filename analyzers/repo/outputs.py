"""The scan's tidy tables, `calls.csv` and `files.csv`, and the summary of a scan.

Every column is documented in `DATA_DICTIONARY`, which `docs/data-dictionary.md` renders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzers.records import FileKind, FileResult, FileStatus
from analyzers.tables import csv_table

CALL_COLUMNS = ("repo", "commit", "path", "cell", "line", "column", "api", "dimension", "keys")
FILE_COLUMNS = ("repo", "commit", "path", "kind", "status", "detail", "dirty")
FACT_COLUMNS = ("repo", "commit", "path", "cell", "line", "column", "fact", "value", "source")

DATA_DICTIONARY: dict[str, dict[str, str]] = {
    "calls.csv": {
        "repo": "GitHub owner/name of the repository, or the scanned directory's name.",
        "commit": "SHA of the checkout's HEAD; empty outside git.",
        "path": "File path relative to the repository root (also when a folder or a file of it "
        "was scanned), '/'-separated. A name that is not valid UTF-8 is escaped: each byte that "
        "is not UTF-8 as \\xNN (two lowercase hex digits), a backslash as \\\\ "
        "(analyzers.repo.files.unescape_path reverses it; the same text is in every table and "
        "in the cache).",
        "cell": "Notebook cell index (0-based, among all cells, markdown included); empty for "
        ".py files.",
        "line": "1-based line where the call expression starts (within the cell for notebooks).",
        "column": "0-based column (in characters) where the call expression starts.",
        "api": "Canonical MLflow API name (see analyzers/code/catalog.toml), e.g. mlflow.log_param, "
        "mlflow.sklearn.autolog, mlflow.MlflowClient.log_metric.",
        "dimension": "Traceability dimension of the API from the catalog; 'other' for MLflow "
        "APIs not in the catalog.",
        "keys": "Parameter, metric or tag names logged, when written as literals; sorted, "
        "';'-separated; empty otherwise.",
    },
    "files.csv": {
        "repo": "As in calls.csv.",
        "commit": "As in calls.csv.",
        "path": "File (or skipped directory) path relative to the repository root; empty for a "
        "repository with no .py or .ipynb file.",
        "kind": "script (.py), notebook (.ipynb) or directory (a skipped tree or empty repo).",
        "status": "analyzed | no-mlflow (pre-filter: never mentions mlflow) | syntax-error | "
        "python2 | decode-error (not text in its declared or default encoding, or a cookie "
        "naming a codec that cannot decode source, e.g. rot13, hex, base64, zlib, punycode) | "
        "binary | too-large | too-deep | bad-notebook | not-python (notebook kernel) | "
        "unreadable | vendored | symlink | not-regular (a FIFO, socket or device: never opened) "
        "| empty | crash (the parser's worker died) | timeout (the analysis ran over its time "
        "budget per file, --file-timeout).",
        "detail": "One-line reason for any status other than analyzed/no-mlflow; for notebooks "
        "with unparsable cells, which cells were skipped.",
        "dirty": "true when the file on disk is not the one the commit holds (changed, "
        "untracked, or ignored), compared byte for byte; false when it is; empty when commit is "
        "empty (outside git) and for directory rows. Calls in a dirty file are not the "
        "commit's.",
    },
    "facts.csv": {
        "repo": "As in calls.csv.",
        "commit": "As in calls.csv.",
        "path": "As in calls.csv.",
        "cell": "As in calls.csv.",
        "line": "As in calls.csv: where the call, assignment or string literal starts.",
        "column": "As in calls.csv.",
        "fact": "tracking-uri | registry-uri | model-uri | registered-model-name | model-stage "
        "| model-alias | log-model-environment | artifact-path.",
        "value": "The value as written, credentials replaced by ***; computed parts of "
        "f-strings and concatenations as {…}; env:NAME when read from an environment "
        "variable; empty when the argument is not a literal; for "
        "log-model-environment, the keyword passed (conda_env, pip_requirements, "
        "extra_pip_requirements).",
        "source": "The canonical API the value was passed to (e.g. mlflow.set_tracking_uri), "
        "os.environ for environment assignments, string-literal for model URIs.",
    },
}


def call_rows(result: FileResult) -> Iterator[dict[str, Any]]:
    for call in result.calls:
        yield {
            "repo": result.repo,
            "commit": result.commit,
            "path": result.path,
            "cell": call.cell,
            "line": call.line,
            "column": call.column,
            "api": call.api,
            "dimension": call.dimension,
            "keys": ";".join(call.keys),
        }


def fact_rows(result: FileResult) -> Iterator[dict[str, Any]]:
    for fact in result.facts:
        yield {
            "repo": result.repo,
            "commit": result.commit,
            "path": result.path,
            "cell": fact.cell,
            "line": fact.line,
            "column": fact.column,
            "fact": fact.fact,
            "value": fact.value,
            "source": fact.source,
        }


def file_row(result: FileResult) -> dict[str, Any]:
    return {
        "repo": result.repo,
        "commit": result.commit,
        "path": result.path,
        "kind": result.kind.value,
        "status": result.status.value,
        "detail": result.detail,
        "dirty": result.dirty,
    }


@dataclass
class ScanSummary:
    """Counts for the terminal: what was seen, what was found, what went wrong."""

    repos: set[str] = field(default_factory=set)
    files: int = 0  # scripts and notebooks (not skipped directories or empty repositories)
    statuses: Counter[str] = field(default_factory=Counter)
    dimensions: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.repos.add(result.repo)
        self.files += result.kind is not FileKind.DIRECTORY
        self.statuses[result.status.value] += 1
        if result.calls:
            self.dimensions.update(call.dimension for call in result.calls)
        if result.status.is_error:
            self.errors.append(
                f"{result.repo}:{result.path}: {result.status.value}: {result.detail}"
            )

    @property
    def calls(self) -> int:
        return sum(self.dimensions.values())

    def render(self, max_errors: int = 10) -> str:
        files = sum(self.statuses.values())
        lines = [f"{len(self.repos)} repositories, {files} files, {self.calls} MLflow calls"]
        lines.append(
            "files: "
            + ", ".join(f"{status} {count}" for status, count in sorted(self.statuses.items()))
        )
        if self.dimensions:
            lines.append("calls per dimension:")
            lines.extend(
                f"  {dimension:<24} {count}" for dimension, count in self.dimensions.most_common()
            )
        if self.errors:
            lines.append(f"{len(self.errors)} files could not be analysed:")
            lines.extend(f"  {error}" for error in self.errors[:max_errors])
            if len(self.errors) > max_errors:
                lines.append(f"  ... and {len(self.errors) - max_errors} more (see files.csv)")
        return "\n".join(lines)


def write_scan(results: Iterable[FileResult], out_dir: str | Path) -> ScanSummary:
    """Stream results into `calls.csv`, `files.csv` and `facts.csv` in `out_dir`; the files
    appear only when the scan completes."""
    out = Path(out_dir)
    summary = ScanSummary()
    with (
        csv_table(out / "calls.csv", CALL_COLUMNS) as calls,
        csv_table(out / "files.csv", FILE_COLUMNS) as files,
        csv_table(out / "facts.csv", FACT_COLUMNS) as facts,
    ):
        for result in results:
            summary.add(result)
            files.write(file_row(result))
            calls.write_all(call_rows(result))
            facts.write_all(fact_rows(result))
    return summary


__all__ = [
    "CALL_COLUMNS",
    "DATA_DICTIONARY",
    "FACT_COLUMNS",
    "FILE_COLUMNS",
    "FileStatus",
    "ScanSummary",
    "call_rows",
    "fact_rows",
    "file_row",
    "write_scan",
]
