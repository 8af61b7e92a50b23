"""The scan's tidy tables, `calls.csv`, `files.csv`, `facts.csv` and `indirect.csv`, and the
summary of a scan.

Every column is declared, with its type and meaning, in `analyzers/schema.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzers.code.catalog import load_catalog
from analyzers.code.integrations import INDIRECT_USE
from analyzers.records import CallSite, Fact, FileKind, FileResult, FileStatus
from analyzers.schema import PIPELINE, columns
from analyzers.tables import csv_table

CALL_COLUMNS = columns("calls")
FILE_COLUMNS = columns("files")
FACT_COLUMNS = columns("facts")
INDIRECT_COLUMNS = columns("indirect")

DATA_DICTIONARY: dict[str, dict[str, str]] = {
    PIPELINE[name].file: {column.name: column.description for column in PIPELINE[name].columns}
    for name in ("calls", "files", "facts", "indirect")
}


def _where(result: FileResult, site: CallSite | Fact) -> dict[str, Any]:
    """The columns every row of a call or a fact starts with: which file, and where in it."""
    return {
        "repo": result.repo,
        "commit": result.commit,
        "path": result.path,
        "cell": site.cell,
        "line": site.line,
        "column": site.column,
    }


def call_rows(result: FileResult) -> Iterator[dict[str, Any]]:
    for call in result.calls:
        yield {
            **_where(result, call),
            "api": call.api,
            "dimension": call.dimension,
            "keys": ";".join(call.keys),
        }


def fact_rows(result: FileResult) -> Iterator[dict[str, Any]]:
    for fact in result.facts:
        if fact.fact == INDIRECT_USE:
            continue  # indirect.csv
        yield {
            **_where(result, fact),
            "fact": fact.fact,
            "value": fact.value,
            "source": fact.source,
            "source_path": fact.source_path or result.path,
            "source_line": fact.source_line if fact.source_path else fact.line,
        }


def indirect_rows(result: FileResult) -> Iterator[dict[str, Any]]:
    """The file's indirect uses of MLflow: a library that logs to it for the user (the
    analyzer carries them as facts whose value is the integration, source the catalogued name)."""
    catalog = load_catalog()
    for fact in result.facts:
        if fact.fact != INDIRECT_USE:
            continue
        row = catalog.integration(fact.source)
        yield {
            **_where(result, fact),
            "integration": fact.value,
            "records": ";".join(row.records) if row is not None else "",
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
        csv_table(out / "indirect.csv", INDIRECT_COLUMNS) as indirect,
    ):
        for result in results:
            summary.add(result)
            files.write(file_row(result))
            calls.write_all(call_rows(result))
            facts.write_all(fact_rows(result))
            indirect.write_all(indirect_rows(result))
    return summary


__all__ = [
    "CALL_COLUMNS",
    "DATA_DICTIONARY",
    "FACT_COLUMNS",
    "FILE_COLUMNS",
    "INDIRECT_COLUMNS",
    "FileStatus",
    "ScanSummary",
    "call_rows",
    "fact_rows",
    "file_row",
    "indirect_rows",
    "write_scan",
]
