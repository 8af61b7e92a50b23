"""A whole study: from a study directory's tables to statistics, charts, report and export.

`load` reads the tables the pipeline wrote; one module per family of findings computes tidy
DataFrames from them (`adoption`, `requirements`, `locations`, `profile`, `registry`,
`evolution`); `aggregate` computes them all once; `charts`, `report` and `export` render them.

May import: `analyzers.code` (the catalog, URI redaction), `analyzers.records`,
`analyzers.tables`. Never `analyzers.repo` or `mining`. MLflow API names come from the catalog,
never from literals here.
"""
