"""Find MLflow calls in Python scripts and notebooks by resolving names.

    from analyzers import scan
    for file in scan("path/to/checkout"):
        for call in file.calls:
            print(file.path, call.line, call.api)
"""

from analyzers.records import CallSite, FileAnalysis, FileKind, FileResult, FileStatus, RepoRef
from analyzers.scanner import ScanSettings, describe_repo, scan, scan_repos

__all__ = ["CallSite", "FileAnalysis", "FileKind", "FileResult", "FileStatus", "RepoRef",
           "ScanSettings", "describe_repo", "scan", "scan_repos"]
