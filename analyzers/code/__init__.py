"""One file's analysis: bytes in, MLflow call sites and facts out, as a pure function.

`analyze.analyze_bytes` decodes, pre-filters (`prefilter`), parses with libcst (notebooks cell
by cell, `notebooks`), resolves names (`resolver`, over `walk`'s read-only tree walk) and finds
positions (`positions`). `catalog` (data in `catalog.toml`) is the one place that names MLflow
APIs. Repository code is parsed, never imported or run.

May import: `analyzers.records` and the standard library, libcst. Never `analyzers.repo`,
`analyzers.study` or `mining`.
"""
