"""A whole study: from a study directory's tables to statistics, charts, report and export.

`load` reads the tables the pipeline wrote; `populations` names the sets of repositories shares
are of, and `headline` computes the headline measures for each; one module per family of
findings computes tidy DataFrames (`adoption`, `requirements`, `traceability` (the codebook's
aspects), `locations`, `registry`, `evolution`, `survival`), each with the columns and types
`analyzers.schema` declares (`stats.table_frame`);
`aggregate` computes them all once; `charts`, `report` and `export` render them.

May import: `analyzers.code` (the catalog, URI redaction), the shared modules (`records`,
`tables`, `schema`, `codebook`). Never `analyzers.repo` or `mining`. MLflow API names come from
the catalog's groups, never from literals here (tests/analyzers/study/test_no_api_names.py).
"""
