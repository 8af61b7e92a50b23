"""One file of a repository: its analysis with what the repository's other modules mean
(`RepoContext`), and what it means to them (`ModuleSummary`).

The resolution reads the context from `REPOSITORY_SESSION` while the file is analysed, so the
decoding, pre-filtering and parsing paths of `analyze` stay the same for both.
"""

from __future__ import annotations

from analyzers.code.analyze import analyze_bytes
from analyzers.code.catalog import Catalog
from analyzers.code.prefilter import may_use_mlflow
from analyzers.code.resolver_summaries import (
    REPOSITORY_SESSION,
    ModuleSummary,
    RepoContext,
    RepositorySession,
    mentions_context,
    merge_summaries,
)
from analyzers.records import FileAnalysis, FileKind, FileStatus


def analyze_in_repository(
    data: bytes, kind: FileKind, context: RepoContext, catalog: Catalog | None = None
) -> tuple[FileAnalysis, ModuleSummary]:
    """`analyze_bytes` for a file of a repository whose other modules `context` describes,
    and what this file means to them. A file the pre-filter rules out is still read when it
    names something the context knows (a module it imports, a fixture, a function another
    module calls with MLflow arguments)."""
    session = RepositorySession(context)
    token = REPOSITORY_SESSION.set(session)
    try:
        # The pre-filter once: analyze_bytes need not run it again.
        if may_use_mlflow(data) or mentions_context(data, context):
            analysis = analyze_bytes(data, kind, catalog, prefilter=False)
        else:
            analysis = FileAnalysis(FileStatus.NO_MLFLOW)
    finally:
        REPOSITORY_SESSION.reset(token)
    return analysis, merge_summaries(session.summaries)
