"""Find MLflow calls in Python scripts and notebooks by resolving names, and turn them into a
study's statistics. Nothing here touches the network: `mining` fetches, `analyzers` reads.

    from analyzers import scan
    for file in scan("path/to/checkout"):
        for call in file.calls:
            print(file.path, call.line, call.api)

Three levels of work, one package each, each importing only the levels above it in this list:

* `analyzers.code`: one file's bytes -> its MLflow calls and facts (catalog, resolver,
  notebooks, positions, pre-filter). Imports nothing else of the project but `records`.
* `analyzers.repo`: one checkout -> a stream of `FileResult` records and the repository's
  signals (walk, scanner, content cache, detectors, git through `gitsafe`). Imports `code`.
* `analyzers.study`: a study directory's tables -> statistics, charts, report, export.
  Reads files the other levels wrote; imports `code` only for the catalog and URI redaction.

Shared by all three: `records` (the frozen records one stage hands the next), `tables`
(tidy CSV, written atomically, safe to open in a spreadsheet), `schema` (every table's
columns, types and meaning) and `codebook` (what each measure means; it quotes the catalog's
groups). The shared modules import no level above `analyzers.code`; tests/test_layering.py
checks every import of the packages against these rules.
"""

from analyzers.records import CallSite, FileAnalysis, FileKind, FileResult, FileStatus, RepoRef
from analyzers.repo.scanner import ScanSettings, describe_repo, scan, scan_repos

__all__ = [
    "CallSite",
    "FileAnalysis",
    "FileKind",
    "FileResult",
    "FileStatus",
    "RepoRef",
    "ScanSettings",
    "describe_repo",
    "scan",
    "scan_repos",
]
