"""One checkout: walk it without leaving it, analyze its files in parallel through a content
cache, and read its repository-level signals.

`scanner.scan` streams `FileResult` records; `files` walks the tree (symlinks reported, never
followed); `cache` keeps analyses by git blob SHA under `$XDG_CACHE_HOME`; `detectors` is the
one registry of repository detectors, whose walk gives `signals.csv` (`signals`) and
`ecosystem.csv` (`ecosystem`); `outputs` writes the scan's tables; `gitsafe` is the one way any
part of the project runs git.

May import: `analyzers.code` and the shared modules (`records`, `tables`, `schema`). Never
`analyzers.study` or `mining`.
"""
