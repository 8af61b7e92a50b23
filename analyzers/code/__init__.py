"""One file's analysis: bytes in, MLflow call sites and facts out, as a pure function.

`analyze.analyze_bytes` decodes, pre-filters (`prefilter`), parses with libcst (notebooks cell
by cell, `notebooks`), resolves names (`resolver`, over `walk`'s read-only tree walk) and finds
positions (`positions`); a file that does not parse loses only its broken statements
(`recovery`), and one that parses only as Python 2 says where (`python2`). `catalog` (data in `catalog.toml`) is the one place that names MLflow APIs.
For the repository pass, `outline` reads a file's imports without parsing and
`in_repository.analyze_in_repository` resolves a file with what its repository's other modules
mean (`resolver_summaries`), giving back what it means to them. Repository code is parsed,
never imported or run.

May import: `analyzers.records` and the standard library, libcst. Never `analyzers.repo`,
`analyzers.study` or `mining`.
"""
