"""One checkout: walk it without leaving it, analyse its files in parallel through a content
cache, and read its repository-level signals.

`scanner.scan` streams `FileResult` records; `files` walks the tree (symlinks reported, never
followed); `cache` keeps analyses by git blob SHA under `$XDG_CACHE_HOME`; `signals` and
`ecosystem` detect configuration and tools from files; `outputs` writes the scan's tables;
`gitsafe` is the one way any part of the project runs git.

May import: `analyzers.code`, `analyzers.records`, `analyzers.tables`. Never `analyzers.study`
or `mining`.
"""
