"""A whole study: from a study directory's tables to statistics, charts, report and export.

`load` reads the tables the pipeline wrote; one module per family of findings computes tidy
DataFrames from them (`adoption`, `requirements`, `locations`, `profile`, `registry`,
`evolution`), each with the columns and types `analyzers.schema` declares (`stats.table_frame`);
`aggregate` computes them all once; `charts`, `report` and `export` render them.

May import: `analyzers.code` (the catalog, URI redaction), the shared modules (`records`,
`tables`, `schema`, `codebook`). Never `analyzers.repo` or `mining`. MLflow API names come from
the catalog's groups, never from literals here (tests/analyzers/study/test_no_api_names.py).
"""
