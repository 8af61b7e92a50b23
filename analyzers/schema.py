"""Every table mlflow-miner writes: its columns, their types and what they mean, declared once.

Two kinds of tables:

* `PIPELINE`: the files the pipeline writes (the crawl's dataset, the clone's status table, a
  study directory's `repos.csv`, the scan's `calls.csv`, `files.csv`, `facts.csv`, the
  repository tables `signals.csv` and `ecosystem.csv`, and the history tables). Their CSV
  headers are `columns(name)`; their descriptions are Markdown, rendered into README.md.
* `study_tables()`: the tables `analyzers.study` computes from a study directory and
  `mlflow-miner export` writes as `export/NAME.csv` and `.parquet`. Their descriptions are plain
  text, written into `export/data-dictionary.csv`; their types give every DataFrame (even an
  empty one) its Parquet types. They are built on first use because several descriptions quote
  the codebook, which reads the catalog; the scan's tables need no catalog.

CSV headers, the data dictionary, Parquet types and README.md's data-dictionary tables (`make
docs`) all come from here, so a column is documented once. This module is long by design: it
is the data dictionary, one line per column of some fifty tables.

May import: `analyzers.codebook` (the vocabulary the descriptions quote), nothing else of the
project.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class ColumnType(StrEnum):
    """A column's type, as the data dictionary states it."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"


_DTYPES = {
    ColumnType.BOOLEAN: "bool",
    ColumnType.INTEGER: "int64",
    ColumnType.NUMBER: "float64",
    ColumnType.TEXT: "str",
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    description: str
    nullable: bool = False  #: an integer column whose cells may be empty (pandas `Int64`)

    @property
    def dtype(self) -> str:
        """The pandas dtype that holds this column's values."""
        if self.type is ColumnType.INTEGER and self.nullable:
            return "Int64"
        return _DTYPES[self.type]


@dataclass(frozen=True, slots=True)
class Table:
    name: str  #: the key: a pipeline table's name, or an export table's file stem
    file: str  #: where it is written: a study directory's file, or `export/NAME.csv`
    group: str  #: the stage that writes it (crawl, clone, study, scan, history) or the family
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order: the CSV header."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


# A column's type follows its name across tables (a count is an integer wherever it appears);
# names not listed are text. A table can override a name (see `_table`'s `types`).
_INTEGERS = """cell line column stars forks size_kb bytes files calls script_calls notebook_calls
    coverage rank year created_year stage_transitions alias_assignments removals
    commits_analysed file_versions n_using
    n_analysed n_repos n_total n_files n_calls n_pinning n_locations n_aspects n_missing
    n_model_names n_uris n_names n_tool k_tool n_other k_other n_existing n_adopted n_removed
    n_at_head numerator denominator mlflow_calls indirect_uses n_at_risk n_events n_censored
    n_min cluster_size n_only"""
_NUMBERS = """seconds share ci_low ci_high uri_share reference share_tool ci_low_tool ci_high_tool
    share_other ci_low_other ci_high_other difference days_from_creation days_from_first_commit
    share_removed median_days_after_mlflow days adopted"""
_BOOLEANS = """archived fork present_at_head present_at_start truncated in_dataset analysed
    recorded fully_traceable most_missing uses_mlflow uses_registry register_model
    log_model_registration client_registry uses_stages uses_aliases literal semver
    mlflow_dependency min_n_met available"""
COLUMN_TYPES: dict[str, ColumnType] = {
    **dict.fromkeys(_INTEGERS.split(), ColumnType.INTEGER),
    **dict.fromkeys(_NUMBERS.split(), ColumnType.NUMBER),
    **dict.fromkeys(_BOOLEANS.split(), ColumnType.BOOLEAN),
}
# Integer columns whose cells may be empty: a position outside a notebook, an unknown year.
NULLABLE = frozenset({"cell", "line", "column", "created_year", "cluster_size"})


def _table(
    name: str,
    file: str,
    group: str,
    descriptions: Mapping[str, str],
    types: Mapping[str, ColumnType] | None = None,
) -> Table:
    overrides = types or {}
    declared = []
    for column, description in descriptions.items():
        kind = overrides.get(column, COLUMN_TYPES.get(column, ColumnType.TEXT))
        nullable = kind is ColumnType.INTEGER and column in NULLABLE
        declared.append(Column(column, kind, description, nullable))
    return Table(name, file, group, tuple(declared))


# --------------------------------------------------------------------------- the pipeline's files

# What each `files.csv` status means. A status added to `analyzers.records.FileStatus` must be
# described here (tests/test_schema.py checks both lists agree), e.g. `not-regular`, `timeout`.
FILE_STATUSES: dict[str, str] = {
    "analyzed": "parsed and resolved; its calls and facts are in `calls.csv` and `facts.csv`",
    "partial": "does not parse as a whole: the top-level statements that do were analysed "
    "(`detail`: the first error's line and the lines skipped; for notebooks, which cells)",
    "no-mlflow": "the byte pre-filter found no import of `mlflow`, no "
    "`MLFLOW_TRACKING_URI`/`MLFLOW_REGISTRY_URI` and no `%run`, and it names nothing the "
    "repository's other modules give, so nothing could resolve and the file was not parsed",
    "syntax-error": "not valid Python 3, no part of it (`detail` says where)",
    "python2": "Python 2 code (print statements, backticks, `<>`, ...)",
    "decode-error": "not valid in its declared or default encoding, or a PEP 263 cookie naming "
    "an unknown codec or one that cannot decode source: a non-text codec (`rot13`, `hex`, "
    "`base64`, `zlib`, `bz2`, `uu`, `quopri`), `undefined`, or `punycode` (its decoder is "
    "quadratic)",
    "binary": "NUL bytes",
    "too-large": "over the size cap (`--max-file-size`, `--max-notebook-size`)",
    "too-deep": "nesting beyond what the parser can take safely",
    "bad-notebook": "not JSON, no cells, ...",
    "not-python": "a notebook with another kernel language",
    "unreadable": "could not be read (permissions, I/O error) or fetched (the server could not "
    "send its content: the checkout left it out); the repository is `partial`",
    "vendored": "a `venv`, `.venv`, `site-packages`, `node_modules`, `build`, `dist`, `.tox` "
    "tree, or any directory with a `pyvenv.cfg`: skipped, one row for the tree",
    "symlink": "a symbolic link, never followed",
    "not-regular": "a FIFO, socket or device named `.py`/`.ipynb`: never opened (opening a "
    "FIFO blocks)",
    "empty": "a repository or directory with no `.py`/`.ipynb` file",
    "crash": "the parser's worker process died on the file; the run went on",
    "timeout": "the analysis ran over its time budget (`--file-timeout`, 60 s): its worker was "
    "stopped, the run went on",
}

# The MLOps tools `ecosystem.csv` knows (analyzers.repo.detectors), in report order.
ECOSYSTEM_TOOLS = (
    "dvc",
    "hydra",
    "cml",
    "github-actions",
    "optuna",
    "wandb",
    "neptune",
    "comet",
    "tensorboard",
    "uv",
    "poetry",
    "conda",
    "docker",
)

_SCAN_KEYS = {
    "repo": "GitHub `owner/name` (from the `origin` remote) or the scanned directory's name",
    "commit": "the checkout's HEAD SHA; empty outside git",
    "path": "relative to the repository root (also when a folder or a file of it was "
    "scanned), `/`-separated; a name that is not UTF-8 is escaped: `\\xNN` for each such byte, "
    '`\\\\` for a backslash (see "Paths" below)',
}
_POSITION = {
    "cell": "notebooks: 0-based index among **all** cells (markdown included); empty for `.py`",
    "line": "1-based line where the call expression starts (inside the cell for notebooks); for "
    "a bare decorator (`@mlflow.trace`), where the decorator expression starts",
    "column": "0-based column where the call expression starts",
}
_REPOSITORY = {
    "repo": "the repository (`owner/name`)",
    "commit": "its pinned commit",
}

_PIPELINE = (
    _table(
        "dataset",
        "dataset.csv",
        "crawl",
        {
            "full_name": "GitHub `owner/name`",
            "html_url": "the repository's page",
            "clone_url": "the HTTPS URL it is cloned from",
            "default_branch": "the branch whose head was pinned",
            "commit": "the SHA of that head at crawl time; empty when it could not be read "
            "(`note` says why)",
            "stars": "stargazers at crawl time",
            "forks": "forks at crawl time",
            "size_kb": "the repository's size as GitHub reports it, in kB",
            "language": "GitHub's main language; empty if none",
            "topics": "the repository's topics, sorted, `;`-separated",
            "license": "SPDX id of its licence (or GitHub's key); empty if none",
            "created_at": "creation time, UTC (ISO 8601)",
            "pushed_at": "last push, UTC (ISO 8601)",
            "archived": "whether it is archived",
            "fork": "whether it is a fork",
            "description": "its description",
            "crawled_at": "when the crawl listed it, UTC",
            "matched_topics": "the crawled topics it was found under, `;`-separated",
            "note": "why `commit` is empty (deleted, empty, blocked, ...); empty otherwise",
            "frames": "the sampling frames that found it, `;`-separated, topics first: "
            "`topic:NAME` for a topic search, `code:QUERY` for a code search (e.g. "
            "`topic:mlflow-project;code:import mlflow`)",
        },
    ),
    _table(
        "clones",
        "DATASET.repos.csv",
        "clone",
        {
            "full_name": "GitHub `owner/name`, as in the dataset",
            "commit": "the pinned commit",
            "status": "`cloned`, `cached`, `not-found`, `unavailable`, `too-large`, `timeout`, "
            "`unpinned` (no commit in the dataset) or `error`",
            "detail": "a one-line reason for every status but `cloned`/`cached`; for those, "
            "the files left out over `--max-file-mb` when there are any",
            "path": "the checkout in the cache (`cloned` and `cached` only)",
            "seconds": "time spent on it",
            "bytes": "what the clone added to the cache",
            "strategy": "how it was fetched: `pinned-sha+blobless`, `+full-blobs` when the server "
            "ignores filters, `branch-deepen`, `all-refs`, `cache`, `resparse`, `unshallow`",
        },
    ),
    _table(
        "repos",
        "repos.csv",
        "study",
        {
            **_REPOSITORY,
            "status": "`analyzed`, `partial` (analysed, but some files could not be fetched or "
            "read: `files.csv` lists them as `unreadable`), or the clone status that stopped it "
            "(`not-found`, `unavailable`, `too-large`, `timeout`, `error`), `unpinned` (no "
            "commit in the dataset), `missing` (not analysed yet: the run was stopped; a rerun "
            "resumes), or `excluded` (a study filter left it out)",
            "detail": "a one-line reason for every status but `analyzed`, without credentials or "
            "local paths; for `analyzed`, the files the clone left out over the size cap when "
            "there are any; for `excluded`, every filter it fails (`exclude_forks: a fork; "
            "min_stars: 3 stars < 10`)",
            "files": "`.py`/`.ipynb` files seen",
            "calls": "MLflow call sites found",
            "purpose": "`tutorial`, `course`, `example`, `library`, `application` or `unknown` "
            "(the purpose rule); empty when not analysed",
            "purpose_rule": "the rule of `analyzers/repo/purpose.toml` that decided it; empty "
            "for `unknown`",
            "duplicate_of": "the representative of its cluster of near-duplicates (the earliest "
            "created, then most stars, then name); empty for representatives and unique "
            "repositories",
            "cluster_size": "repositories in its cluster, itself included (1 when unique); "
            "empty when not analysed",
        },
    ),
    _table(
        "layout",
        "layout.csv",
        "scan",
        {
            **_REPOSITORY,
            "readme": "the root README the headings come from; empty if none",
            "headings": "its headings in order, a JSON list (at most 40)",
            "scripts": "`.py` files in the pinned tree, vendored trees left out",
            "notebooks": "`.ipynb` files",
            "course_parts": "distinct path parts numbered as course units (`week1`, "
            "`module-2`, `homework_3`, `hw4`, `assignment1`, `lecture5`, `sprint2`)",
            "lesson_parts": "distinct path parts numbered as lessons (`lesson1`, `lab-2`, "
            "`chapter_3`, `day4`, `part5`, `step6`, ...)",
            "numbered_dirs": "top-level directories whose names start with a number (`01-intro`)",
            "numbered_notebooks": "notebooks whose names start with a number (`01_basics.ipynb`)",
            "notebook_percent": "notebooks among `.py` and `.ipynb` files, in percent",
            "package": "a `setup.py`, `setup.cfg` or `pyproject.toml` at the root and a package "
            "directory (with `__init__.py`) at the root or under `src/`",
            "published": "a documentation build, changelog or manifest at the root "
            "(`.readthedocs.yml`, `mkdocs.yml`, `CHANGELOG*`, `MANIFEST.in`, `docs/conf.py`)",
            "app": "an application entry (`app.py`, `main.py`, `serve.py`, `api/`, "
            "`dashboard/`, ...) beside a Dockerfile or compose file",
            "deploys": "deployment at the root: `terraform/`, `infra/`, `k8s/`, `helm/`, "
            "`deploy*`, `app.yaml`, `serverless.yml`, `Procfile`",
            "ml_project": "`dvc.yaml`, `params.yaml` or `MLproject` at the root, or `data/`, "
            "`models/`, `configs/` ... beside `src/`",
            "tests": "a `tests/` or `test/` directory, or `test_*.py` files",
        },
        types={
            **dict.fromkeys(
                [
                    "scripts",
                    "notebooks",
                    "course_parts",
                    "lesson_parts",
                    "numbered_dirs",
                    "numbered_notebooks",
                    "notebook_percent",
                ],
                ColumnType.INTEGER,
            ),
            **dict.fromkeys(
                ["package", "published", "app", "deploys", "ml_project", "tests"],
                ColumnType.BOOLEAN,
            ),
        },
    ),
    _table(
        "blobs",
        "blobs.csv",
        "scan",
        {
            **_REPOSITORY,
            "path": "a `.py` or `.ipynb` file of the pinned tree, vendored trees left out",
            "blob": "its git blob SHA: what near-duplicate clustering compares",
        },
    ),
    _table(
        "files",
        "files.csv",
        "scan",
        {
            **_SCAN_KEYS,
            "kind": "`script`, `notebook`, or `directory` (a skipped tree, or a repository with "
            "no Python file)",
            "status": "what became of the file: see the file statuses",
            "detail": "a one-line reason for every status but `analyzed`/`no-mlflow`; for "
            "notebooks, which cells could not be parsed",
            "dirty": "`true` when the file on disk is not the one `commit` holds at its path "
            "(changed, untracked or ignored; compared byte for byte, so a file git converts at "
            "checkout, e.g. with an `eol=crlf` attribute, counts as changed), `false` when it "
            "is; empty when `commit` is empty (outside git, no commit yet) and for `directory` "
            "rows. Calls in a dirty file are not the commit's",
            # New columns go here, in the order the scanner writes them.
        },
    ),
    _table(
        "calls",
        "calls.csv",
        "scan",
        {
            **_SCAN_KEYS,
            **_POSITION,
            "api": "canonical name from the catalog, e.g. `mlflow.log_param`, "
            "`mlflow.sklearn.autolog`, `mlflow.MlflowClient.log_metric`",
            "dimension": "traceability dimension from the catalog; `other` for MLflow APIs the "
            "catalog does not list",
            "keys": "parameter/metric/tag names when written as literals, sorted and "
            '`;`-separated (`log_metrics({"rmse": r, "mae": m})` → `mae;rmse`)',
        },
    ),
    _table(
        "facts",
        "facts.csv",
        "scan",
        {
            **_SCAN_KEYS,
            "cell": "as in calls",
            "line": "as in calls: where the call, assignment or string literal starts",
            "column": "as in calls",
            "fact": "`tracking-uri`, `registry-uri` (from `set_tracking_uri`, "
            '`MlflowClient(tracking_uri=...)`, `os.environ["MLFLOW_TRACKING_URI"] = ...`), '
            "`model-uri` (a `models:/` or `runs:/` literal), `registered-model-name`, "
            "`model-stage`, `model-alias`, `log-model-environment`, `artifact-path`",
            "value": "the value as written, followed through module constants (of other modules "
            "too), class attribute defaults (dataclass, pydantic, attrs), f-strings, the defaults "
            "of `os.getenv`/`os.environ.get`/`.get`/`getattr`, and configuration files read by "
            "key (computed parts as `{…}`, environment reads with no default as `env:NAME`, empty "
            "when the repository does not hold it); user, password and query values of URIs are "
            "replaced by `***` before anything is written; for `log-model-environment`, the "
            "keyword passed",
            "source": "the API the value was passed to, `os.environ`, or `string-literal`",
            "source_path": "where the value is written: the configuration file (YAML, TOML, JSON, "
            "`.env`, `.ini`) it was read from when the code reads it by key (`cfg.mlflow."
            'tracking_uri`, `config.get("tracking_uri")`), else the file of the fact itself',
            "source_line": "the line there (empty when the format gives none)",
        },
    ),
    _table(
        "indirect",
        "indirect.csv",
        "scan",
        {
            **_SCAN_KEYS,
            "cell": "as in calls; empty for a configuration file",
            "line": "as in calls: where the use starts; empty for a configuration file",
            "column": "as in calls; empty for a configuration file",
            "integration": "the library that logs to MLflow on the repository's behalf "
            "(`lightning`, `transformers`, `optuna`, `ray`, `pycaret`, `accelerate`, "
            "`ultralytics`, `ignite`, `composer`, `torchtune`, `zenml`, `hydraflow`: the "
            "catalog's `[integrations]`; `mlproject` for MLproject entry-point parameters, "
            "`kedro-mlflow` for the Kedro plugin); calls.csv keeps direct calls only",
            "records": "what it logs, `;`-separated among `params`, `metrics`, `models`, "
            "`artifacts` (empty: it only opens runs for the repository's own calls)",
        },
    ),
    _table(
        "signals",
        "signals.csv",
        "scan",
        {
            **_SCAN_KEYS,
            "signal": "`mlproject`, `mlproject-env`, `env-file`, `pinned-env`, "
            "`mlflow-requirement`, `framework-requirement`, `dvc`, `tracking-uri` or "
            "`registry-uri`",
            "value": "what the file says: the MLproject environment (`conda`, `python_env`, "
            "`docker`, `none`), the kind of environment file (for `pinned-env`, a lock file or "
            "a file that pins every requirement it lists to one version), the requirement's "
            "specifier (`==2.16.2`, empty when unpinned; for frameworks the name too), or the "
            "configured URI (credentials as `***`, `env:NAME` for a variable)",
        },
    ),
    _table(
        "ecosystem",
        "ecosystem.csv",
        "scan",
        {
            **_SCAN_KEYS,
            "tool": "an MLOps tool: " + ", ".join(f"`{name}`" for name in ECOSYSTEM_TOOLS),
            "evidence": "the kind of evidence: a file (`dvc.yaml`, `*.dvc`, `uv.lock`, "
            "`Dockerfile`, ...), an import (`import wandb`), a call (`optuna.create_study`) or "
            "a workflow step (`workflow: cml comment`)",
        },
    ),
    _table(
        "history",
        "history.csv",
        "history",
        {
            "repo": "the repository",
            "commit": "the pinned (head) commit walked from",
            "dimension": "`mlflow` (any MLflow call or requirement) or a catalog dimension that "
            "was present at some walked commit",
            "first_commit": "the first walked commit (first-parent order; with `--all-parents` "
            "the earliest by commit date) whose tree has it",
            "first_date": "its commit date, UTC",
            "removed_commit": "the first later commit whose tree no longer has it; empty if "
            "never removed",
            "removed_date": "its commit date; empty if never removed",
            "present_at_head": "whether the head commit has it",
            "present_at_start": "the walk was capped and the oldest walked commit's parent "
            "already had it: `first_commit` is then only an upper bound",
            "removals": "how many times it went from present to absent",
        },
    ),
    _table(
        "history_events",
        "history_events.csv",
        "history",
        {
            "repo": "the repository",
            "commit": "the pinned (head) commit walked from",
            "dimension": "as in history",
            "event": "`added` (the dimension appeared) or `removed` (it went)",
            "event_commit": "the commit where it happened",
            "event_date": "its commit date, UTC",
        },
    ),
    _table(
        "history_summary",
        "history_summary.csv",
        "history",
        {
            "repo": "the repository",
            "commit": "the pinned (head) commit walked from",
            "status": "`walked`, or `error`",
            "detail": "why a walk failed (no history, fetch refused, timeout, ...)",
            "walk": "`first-parent` or `all-parents`",
            "commits_analysed": "commits walked",
            "truncated": "whether `--max-commits`/`--since` stopped the walk short of the first "
            "commit",
            "oldest_commit": "the oldest walked commit",
            "oldest_date": "its date",
            "head_date": "the head's date",
            "first_mlflow_commit": "the first commit with MLflow",
            "first_mlflow_date": "its date",
            "first_mlflow_evidence": "what it had there: `call`, `dependency` or `call+dependency`",
            "file_versions": "file versions the walk needed (each blob counted once per kind: "
            "script, notebook, dependency file), read from the analysis cache or analysed; what "
            "reading them cost (blobs parsed, skipped, found in the cache, fetched) is in the run "
            "log, `run-log.json`",
        },
    ),
    _table(
        "text_matches",
        "text_matches.csv",
        "study",
        {
            **_SCAN_KEYS,
            "cell": "notebooks: 0-based index among **all** cells, as in calls; empty for `.py`",
            "line": "1-based line (inside the cell for notebooks) where the term is written",
            "term": "what a text search for an MLflow API looks for: its name as a whole word "
            "when distinctive (`log_param`, `MlflowClient`, `autolog`), else with the module "
            "or class before it (`mlflow.run`, `Model.log`); `method_comparison.csv` compares "
            "these lines with the calls found by resolving names",
        },
    ),
)
PIPELINE: dict[str, Table] = {table.name: table for table in _PIPELINE}
# The dataset's columns the report reads (`analyzers.study.load`); a study checks them before
# it starts, without importing the report's libraries.
REPORTED_DATASET_COLUMNS = ("full_name", "commit", "created_at")


def columns(table: str) -> tuple[str, ...]:
    """The CSV header of a pipeline table (`calls`, `files`, `facts`, `signals`, ...)."""
    return PIPELINE[table].names


def pipeline_table(file: str) -> Table:
    """The pipeline table written as `file` (`calls.csv`, `history.csv`, ...)."""
    for table in _PIPELINE:
        if table.file == file:
            return table
    raise KeyError(f"no pipeline table is written as {file!r}")


# --------------------------------------------------------------------------- a study's tables

DICTIONARY = _table(
    "data-dictionary",
    "export/data-dictionary.csv",
    "export",
    {
        "table": "Table name: the file stem of NAME.csv and NAME.parquet.",
        "column": "Column of that table.",
        "type": "boolean, integer, number or text.",
        "description": "What the column holds.",
    },
    types={"column": ColumnType.TEXT},
)


_SHARE = {
    "share": "n_using / n_analysed; empty when n_analysed is 0.",
    "ci_low": "Lower bound of the 95% Wilson score interval of share.",
    "ci_high": "Upper bound of the 95% Wilson score interval of share.",
}
_N_ANALYSED = (
    "Repositories of the population analysed (repos.csv status analyzed or partial; "
    "populations.csv): the denominator."
)
_PER_REPO_POSITION = {
    "path": "File the value was found in, relative to the repository root.",
    "cell": "Notebooks: 0-based cell index, as in calls.csv; empty for .py files and "
    "configuration files.",
    "line": "1-based line (inside the cell for notebooks); empty for configuration files.",
}
_N_HISTORY = (
    "Analysed repositories whose history was walked (history_summary.csv status "
    "walked): the denominator."
)


_TOOL_SHARE = {
    "n_tool": "Analysed repositories using the tool (ecosystem.csv).",
    "k_tool": "Of which with the practice.",
    "share_tool": "k_tool / n_tool; empty when n_tool is 0.",
    "ci_low_tool": "Lower bound of the 95% Wilson score interval of share_tool.",
    "ci_high_tool": "Upper bound of the 95% Wilson score interval of share_tool.",
    "n_other": "Analysed repositories not using the tool.",
    "k_other": "Of which with the practice.",
    "share_other": "k_other / n_other; empty when n_other is 0.",
    "ci_low_other": "Lower bound of the 95% Wilson score interval of share_other.",
    "ci_high_other": "Upper bound of the 95% Wilson score interval of share_other.",
    "difference": "share_tool - share_other (empty when either is).",
}


def study_tables(group: str | None = None) -> dict[str, Table]:
    """Every table of a study's export, by name, in documentation order; only the tables of
    `group` (`counts`, `traceability`, `findings`, `evolution`) when given."""
    tables = _study_tables()
    if group is None:
        return dict(tables)
    return {name: table for name, table in tables.items() if table.group == group}


def study_table(name: str) -> Table:
    return _study_tables()[name]


@cache
def _study_tables() -> dict[str, Table]:
    from analyzers.codebook import ASPECTS

    flags = {
        "traceability_matrix": dict.fromkeys(ASPECTS, ColumnType.BOOLEAN),
        "traceability_combinations": dict.fromkeys(ASPECTS, ColumnType.BOOLEAN),
        "method_comparison": dict.fromkeys(_COMPARISON_COUNTS, ColumnType.INTEGER),
    }
    tables: dict[str, Table] = {}
    for group, described in (
        ("counts", _count_columns()),
        ("traceability", _traceability_columns()),
        ("findings", _finding_columns()),
        ("evolution", _evolution_columns()),
        ("comparison", _comparison_columns()),
    ):
        for name, descriptions in described.items():
            tables[name] = _table(name, f"export/{name}.csv", group, descriptions, flags.get(name))
    return tables


def _count_columns() -> dict[str, dict[str, str]]:
    """The seed study's tables: accounting, populations, headline, adoption, keys,
    requirements."""
    from analyzers.codebook import HEADLINE

    return {
        "repos": {
            "repo": "GitHub owner/name (dataset full_name, repos.csv repo).",
            "commit": "Pinned commit SHA (from repos.csv, else from the dataset).",
            "status": "analyzed, partial (analysed, some files unreadable), a failure from "
            "repos.csv (not-found, unavailable, too-large, timeout, error, ...), or "
            "not-attempted (in the dataset, not in repos.csv).",
            "detail": "repos.csv's one-line reason for a failure; empty otherwise.",
            "in_dataset": "Whether dataset.csv lists the repository.",
            "created_year": "Year the repository was created (dataset created_at); empty if unknown.",
            "analysed": "Whether the repository was cloned and scanned (status analyzed or "
            "partial).",
            "purpose": "tutorial, course, example, library, application or unknown (the purpose "
            "rule, analyzers/repo/purpose.toml); empty if not analysed or the study predates it.",
            "duplicate_of": "The representative of the repository's cluster of near-duplicates "
            "(sharing at least the threshold of their analysed files' blobs both ways); empty for "
            "representatives and unique repositories.",
            "cluster_size": "Repositories in its cluster (1 for a unique one); empty if not "
            "analysed.",
            "mlflow_calls": "MLflow call sites found at the pinned commit (calls.csv rows).",
            "indirect_uses": "Integrations found that log to MLflow on the repository's behalf "
            "(indirect.csv rows).",
            "mlflow_dependency": "Whether a dependency file at the pinned commit requires mlflow "
            "(signals.csv mlflow-requirement).",
            "populations": "The populations it belongs to, ';'-separated (populations.csv).",
        },
        "repo_status": {
            "status": "Repository status, as in repos.",
            "n_repos": "Repositories with this status.",
            "n_total": "All repositories of the study (dataset plus any extra in repos.csv).",
            "share": "n_repos / n_total.",
        },
        "failures": {
            "repo": "Repository that was not analysed.",
            "commit": "Its pinned commit SHA.",
            "status": "Why it was not analysed (a repos.csv failure status, or not-attempted).",
            "detail": "repos.csv's one-line reason; empty for not-attempted.",
        },
        "exclusions": {
            "filter": "A study filter that removed repositories before analysis: exclude_forks, "
            "exclude_archived, min_stars or min_commits.",
            "n_repos": "Excluded repositories failing it (one repository can fail several).",
            "n_only": "Of which excluded by this filter alone.",
        },
        "populations": {
            "population": "A population shares are taken among: analysed, mlflow-evidence "
            "(analysed, with an MLflow call, an indirect use or mlflow in a dependency file), "
            "deduplicated (one repository per cluster of near-duplicates) or non-tutorial "
            "(purpose not tutorial, course or example).",
            "definition": "Which repositories it holds.",
            "available": "Whether this study can form it (an older study has no purpose or "
            "duplicate_of column).",
            "n_repos": "Repositories in it.",
            "n_analysed": _N_ANALYSED,
            "share": "n_repos / n_analysed; empty when n_analysed is 0.",
            "ci_low": _SHARE["ci_low"],
            "ci_high": _SHARE["ci_high"],
        },
        "file_status": {
            "kind": "script, notebook or directory (files.csv kind).",
            "status": "files.csv status: analyzed, partial, no-mlflow, syntax-error, python2, ...",
            "n_files": "Rows of files.csv with this kind and status.",
            "n_repos": "Repositories with at least one such file.",
        },
        "indirect_uses": {
            "integration": "A library that logs to MLflow on the repository's behalf "
            "(indirect.csv).",
            "records": "What its uses record, ';'-separated (params, metrics, models, artifacts).",
            "n_using": "Analysed repositories using it.",
            "n_only": "Of which with no direct logging call (any-logging): they log only through "
            "integrations.",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
        },
        "usage": {
            "repo": "Analysed repository.",
            "level": "api (one MLflow API) or dimension (a traceability dimension of the catalog).",
            "name": "The API's canonical name or the dimension.",
            "calls": "Call sites of the API or dimension in the repository.",
            "script_calls": "Of which in .py files.",
            "notebook_calls": "Of which in .ipynb notebooks.",
        },
        "adoption": {
            "level": "dimension or api.",
            "name": "Traceability dimension (all of the catalog's, used or not) or canonical API "
            "name (every API seen in an analysed repository).",
            "kind": "any (calls anywhere), script (calls in .py files) or notebook (calls in "
            ".ipynb notebooks).",
            "n_using": "Analysed repositories with at least one such call (of that kind).",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
            "calls": "Call sites (of that kind) across analysed repositories.",
        },
        "headline": {
            "measure": ", ".join(HEADLINE) + " (one row per measure and population).",
            "population": "The population the share is of (populations.csv).",
            "definition": "What the measure counts (the codebook's definition).",
            "numerator": "Repositories of the population the measure holds for.",
            "denominator": "Repositories of the population.",
            "share": "numerator / denominator; empty when the denominator is 0.",
            "ci_low": "Lower bound of the 95% Wilson score interval of share.",
            "ci_high": "Upper bound of the 95% Wilson score interval of share.",
        },
        "cooccurrence": {
            "dimension_a": "A dimension used by at least one analysed repository.",
            "dimension_b": "Another (or the same) such dimension.",
            "n_repos": "Analysed repositories using both (on the diagonal: using dimension_a).",
        },
        "top_keys": {
            "dimension": "parameters or metrics.",
            "key": "A literal parameter or metric name (from calls.csv keys).",
            "n_repos": "Analysed repositories logging it (each repository counted once).",
            "n_calls": "Call sites logging it.",
            "rank": "1-based rank within the dimension by n_repos, then n_calls, then key.",
        },
        "signals": {
            "signal": "mlproject, mlproject-env, env-file, mlflow-requirement or dvc.",
            "value": "any (any file of that signal), an MLproject environment kind, an environment "
            "file kind, or a requirement level: pinned (==X.Y...), constrained (another "
            "specifier), unpinned (no specifier), none (no mlflow requirement found).",
            "n_using": "Analysed repositories with that signal and value.",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
        },
        "mlflow_requirements": {
            "repo": "Analysed repository.",
            "requirement": "Its strictest mlflow requirement: pinned, constrained, unpinned or none.",
            "versions": "major.minor versions it pins, sorted, ';'-separated; empty unless pinned.",
            "specifiers": "Every mlflow specifier found, as path:specifier, ';'-separated.",
        },
        "mlflow_versions": {
            "version": "A pinned mlflow major.minor version.",
            "n_repos": "Analysed repositories pinning it (a repository pinning two versions in "
            "different files counts for both).",
            "n_pinning": "Analysed repositories pinning any version.",
            "share": "n_repos / n_pinning.",
        },
        "adoption_by_year": {
            "year": "Year the repository was created (dataset created_at).",
            "level": "headline (a headline measure) or dimension.",
            "name": "The headline measure or dimension.",
            "n_repos": "Repositories of the study created that year, whatever their status.",
            "n_using": "Analysed repositories created that year that use it.",
            "n_analysed": "Analysed repositories created that year: the denominator (population "
            "analysed).",
            **_SHARE,
            "n_min": "The minimum n_analysed for a year's share to be drawn and quoted (--min-n).",
            "min_n_met": "Whether n_analysed >= n_min: otherwise the chart leaves the point out "
            "and the report does not quote the share.",
        },
    }


def _traceability_columns() -> dict[str, dict[str, str]]:
    """The traceability codebook's aspects per repository, their shares and rules (formerly
    the six-aspect coverage and the five-aspect profile)."""
    from analyzers.codebook import TRACEABILITY

    names = ", ".join(aspect.name for aspect in TRACEABILITY)
    n = len(TRACEABILITY)
    flags = {
        aspect.name: f"Whether the repository records its {aspect.label} (traceability "
        "codebook; traceability_rules lists its rules)."
        for aspect in TRACEABILITY
    }
    return {
        "traceability_codebook": {
            "aspect": f"{names}: the seed study's hypothesis (a run is traceable when its code "
            "version, parameters, environment and dependencies are recorded, plus its metrics "
            "and input data).",
            "question": "What recording the aspect means for a run.",
            "rule": "The rule's id (cited in traceability_evidence and traceability_rules).",
            "kind": "include (the aspect is recorded when the rule holds) or exclude (what does "
            "not count, though it may look as if it did).",
            "definition": "What the rule says.",
            "example": "An example repository, as path: content (⏎ between lines; a notebook as "
            "its cells), which the test suite analyses and judges.",
            "recorded": "Whether the example records the aspect.",
        },
        "traceability_evidence": {
            "repo": "Analysed repository.",
            "aspect": f"{names}.",
            "recorded": "Whether the repository records the aspect: one of its inclusion rules "
            "holds.",
            "rules": "The inclusion rules that hold, ';'-separated (traceability_rules).",
            "evidence": "What each rule found, '; '-separated, as rule: item [file]; for "
            "dependencies not recorded, the requirements that fell short.",
        },
        "traceability_matrix": {
            "repo": "Analysed repository.",
            **flags,
            "n_aspects": f"How many of the {n} aspects it records (0-{n}).",
            "fully_traceable": f"Whether it records all {n}.",
            "missing": "The aspects it does not record, ';'-separated.",
            "mlflow_pins": "Exact mlflow versions it pins (==), sorted, ';'-separated.",
            "framework_requirements": "Every ML framework requirement found, as name plus "
            "specifier (no specifier: unpinned), sorted, ';'-separated.",
        },
        "traceability_shares": {
            "aspect": f"An aspect ({names}), or fully-traceable (all {n}).",
            "definition": "What counts as recording it, and what does not (the codebook).",
            "n_using": "Analysed repositories recording it.",
            "n_missing": "Analysed repositories not recording it.",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
            "most_missing": "Whether it is the aspect missing most often (ties all true).",
        },
        "traceability_rules": {
            "aspect": "The aspect the rule belongs to.",
            "rule": "An inclusion rule's id (the codebook).",
            "definition": "What the rule counts.",
            "n_using": "Analysed repositories it holds for (a repository can meet an aspect by "
            "several rules).",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
        },
        "traceability_distribution": {
            "n_aspects": f"Number of aspects recorded (0-{n}).",
            "n_repos": "Analysed repositories recording exactly that many.",
            "n_analysed": _N_ANALYSED,
            "share": "n_repos / n_analysed; empty when n_analysed is 0.",
            "ci_low": _SHARE["ci_low"],
            "ci_high": _SHARE["ci_high"],
        },
        "traceability_combinations": {
            "combination": "The aspects recorded, '+'-joined in aspect order; none for none.",
            **{
                aspect.name: f"Whether the combination includes {aspect.label}."
                for aspect in TRACEABILITY
            },
            "n_aspects": "Number of aspects in the combination.",
            "n_repos": "Analysed repositories recording exactly that combination.",
            "n_analysed": _N_ANALYSED,
            "share": "n_repos / n_analysed.",
            "ci_low": _SHARE["ci_low"],
            "ci_high": _SHARE["ci_high"],
        },
    }


def _finding_columns() -> dict[str, dict[str, str]]:
    """Where runs are stored, model versioning in the registry."""
    from analyzers.codebook import REGISTRY_MEASURES, USES_REGISTRY

    return {
        "locations": {
            "repo": "Analysed repository.",
            **_PER_REPO_POSITION,
            "setting": "tracking-uri or registry-uri.",
            "origin": "code (facts.csv: a call, constructor keyword or environment assignment in a "
            ".py/.ipynb file) or configuration (signals.csv: .env, docker-compose, GitHub "
            "workflow, MLproject).",
            "source": "The API or construct it came from (mlflow.set_tracking_uri, "
            "mlflow.MlflowClient, os.environ) or the kind of configuration file (.env, "
            "docker-compose, github-workflow, MLproject).",
            "value": "The location with user, password and query values replaced by ***; env:NAME "
            "when read from an environment variable; {…} for non-literal parts; empty when "
            "not a literal (also for a set_tracking_uri/set_registry_uri call facts.csv "
            "has no value for).",
            "location": "Its class: local-file, local-database, remote-database, server-localhost, "
            "server-remote, server-unknown-host, databricks, environment or unknown.",
        },
        "repo_locations": {
            "repo": "Analysed repository.",
            "uses_mlflow": "Whether it has at least one MLflow call.",
            "n_locations": "Locations found (rows of locations).",
            "tracking": "Classes of the tracking URIs it sets, ';'-separated, in class order.",
            "registry": "Classes of the registry URIs it sets, ';'-separated, in class order.",
            "classes": "Classes of every location it sets; default-local when it calls MLflow but "
            "sets none; empty when it neither calls MLflow nor sets a location.",
        },
        "location_shares": {
            "setting": "any (tracking or registry URI), tracking-uri or registry-uri.",
            "location": "any-location (at least one), a location class, or default-local (calls "
            "MLflow, sets no location of that setting; not for registry-uri, which "
            "defaults to the tracking URI).",
            "definition": "What the class covers.",
            "n_using": "Analysed repositories setting a location of that class.",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
        },
        "registry_use": {
            "repo": "Analysed repository.",
            "uses_registry": f"The registry measure uses-registry: {USES_REGISTRY}.",
            "register_model": "Whether it calls mlflow.register_model.",
            "log_model_registration": "Whether it gives registered_model_name= to a log_model.",
            "client_registry": "Whether it calls an MlflowClient method on registered models or "
            "model versions.",
            "stage_transitions": "Calls of MlflowClient.transition_model_version_stage.",
            "alias_assignments": "Calls of MlflowClient.set_registered_model_alias.",
            "uses_stages": "Stage lifecycle: a stage transition, stage literal or stage model URI.",
            "uses_aliases": "Alias lifecycle: an alias call, alias literal or alias model URI.",
            "stage_names": "Literal stages it transitions to, sorted, ';'-separated.",
            "alias_names": "Literal aliases it sets or reads, sorted, ';'-separated.",
            "model_uri_kinds": "Kinds of the model URI literals it holds, ';'-separated.",
            "n_model_names": "Distinct registered model names found (literal or partly literal).",
        },
        "registry_summary": {
            "measure": ", ".join(REGISTRY_MEASURES) + ".",
            "definition": "What the measure counts.",
            "n_using": "Analysed repositories it holds for.",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
        },
        "model_uris": {
            "repo": "Analysed repository.",
            **_PER_REPO_POSITION,
            "value": "The models:/ or runs:/ string literal, {…} for non-literal parts.",
            "kind": "stage, alias, version, latest, logged-model, run or unknown.",
        },
        "model_uri_kinds": {
            "kind": "A model URI kind.",
            "definition": "What the kind covers.",
            "n_uris": "Model URI literals of that kind.",
            "uri_share": "n_uris / all model URI literals; empty when there is none.",
            "n_using": "Analysed repositories holding at least one.",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
        },
        "model_names": {
            "repo": "Analysed repository.",
            "name": "A registered model name as written ({…} for non-literal parts).",
            "sources": "The APIs it was given to, sorted, ';'-separated.",
            "literal": "Whether the whole name is a literal (only those count in model_naming).",
            "semver": "Whether it holds a semantic version.",
            "pattern": "The first version pattern found: vX, vX.Y, vX.Y.Z, vX-Y, X.Y, X.Y.Z or "
            "X-Y; empty when none.",
            "version": "The version as written; empty when none.",
            "tokens": "Its lowercase tokens (split on - _ . space / and camelCase), ';'-separated.",
            "token_kinds": "The kind of each token, in the same order.",
        },
        "model_naming": {
            "group": "versioning (semver or not), pattern (a version pattern) or token (a token kind).",
            "name": "semver, no-semver, a pattern, or a token kind.",
            "definition": "What it covers.",
            "n_names": "Literal registered model names (one per repository and name) it holds for.",
            "n_total": "Literal registered model names: the denominator.",
            "share": "n_names / n_total; empty when n_total is 0.",
            "ci_low": _SHARE["ci_low"],
            "ci_high": _SHARE["ci_high"],
            "reference": "The Hugging Face naming study's share for the same measure (79% of models "
            "follow no semantic versioning); empty where it has none.",
        },
        "name_tokens": {
            "token": "A lowercase token of literal registered model names.",
            "kind": "version, date, parameter-count, size-label, fine-tuned, number or word.",
            "n_names": "Literal names holding it.",
            "n_repos": "Analysed repositories with such a name.",
        },
    }


def _evolution_columns() -> dict[str, dict[str, str]]:
    """The MLOps tools beside MLflow and, with --history, when practices arrived."""
    from analyzers.codebook import ECOSYSTEM_TOOLS, PRACTICES

    return {
        "ecosystem_tools": {
            "tool": "An MLOps tool: " + ", ".join(ECOSYSTEM_TOOLS) + ".",
            "evidence": "any (any evidence of the tool), or one kind of evidence: a file "
            "(dvc.yaml, *.dvc, uv.lock, Dockerfile, ...), an import (import wandb, "
            "torch.utils.tensorboard, ...), a call (optuna.create_study, "
            "@hydra.main, ...) or a workflow step (workflow: cml comment, workflow: "
            "mlflow server, ...).",
            "n_using": "Analysed repositories with that evidence.",
            "n_analysed": _N_ANALYSED,
            **_SHARE,
        },
        "ecosystem_coadoption": {
            "tool": "An MLOps tool used by at least one analysed repository.",
            "practice": "An MLflow practice: "
            + "; ".join(f"{name}: {text}" for name, text in PRACTICES.items())
            + ".",
            **_TOOL_SHARE,
        },
        "adoption_curve": {
            "month": "Calendar month (YYYY-MM), from the first month a walked history has an "
            "MLflow event to the last head commit's month; the state is the one at the "
            "month's end.",
            "dimension": "mlflow (any MLflow call or mlflow requirement) or a traceability "
            "dimension of the catalog seen in some history.",
            "n_using": "Repositories whose default branch had the dimension at the month's end "
            "(history_events.csv: the last event by then is an addition).",
            "n_existing": "Repositories that existed by the month's end (their oldest walked "
            "commit at or before it): the denominator.",
            "n_repos": _N_HISTORY,
            "share": "n_using / n_existing: the share among the repositories that existed that "
            "month; empty when n_existing is 0.",
            "ci_low": "Lower bound of the 95% Wilson score interval of share.",
            "ci_high": "Upper bound of the 95% Wilson score interval of share.",
        },
        "time_to_adoption": {
            "repo": "Analysed repository whose history was walked.",
            "created_at": "When the GitHub repository was created (dataset created_at); empty "
            "if unknown.",
            "oldest_date": "Date of the oldest commit walked (its first commit unless the walk "
            "was capped).",
            "first_mlflow_commit": "First commit with MLflow evidence (a call or an mlflow "
            "requirement); empty if none.",
            "first_mlflow_date": "Its commit date (UTC).",
            "days_from_creation": "first_mlflow_date - created_at, in days; negative when the "
            "history predates the GitHub repository (an imported history); "
            "empty without MLflow or a creation date.",
            "days_from_first_commit": "first_mlflow_date - oldest_date, in days; empty without MLflow.",
            "truncated": "Whether --max-commits or --since cut the walk short of the first "
            "commit (then MLflow may have come earlier).",
        },
        "adoption_survival": {
            "dimension": "mlflow (any MLflow call or mlflow requirement) or a traceability "
            "dimension of the catalog seen in some history.",
            "days": "Days since the repository's first commit (0: the first commit itself).",
            "n_at_risk": "Repositories not yet using it just before that day (and still observed).",
            "n_events": "Repositories whose first commit with it falls on that day.",
            "n_censored": "Repositories observed until that day (their head commit) without "
            "ever using it.",
            "adopted": "Kaplan-Meier estimate of the share using it by that day (1 - S(t)).",
            "ci_low": "Lower bound of the 95% confidence interval of adopted (Greenwood's "
            "variance, log-log transform).",
            "ci_high": "Upper bound of that interval.",
            "n_repos": "Repositories in the estimate: walked to their first commit "
            "(history_summary.csv status walked, not truncated).",
        },
        "dimension_lifecycle": {
            "dimension": "mlflow or a traceability dimension seen in some history.",
            "n_repos": _N_HISTORY,
            "n_adopted": "Repositories where it appeared at some commit.",
            "n_removed": "Of which it later disappeared from at least once (present at a commit, "
            "absent at a later one).",
            "n_at_head": "Repositories whose head commit has it.",
            "share_removed": "n_removed / n_adopted; empty when n_adopted is 0.",
            "ci_low": "Lower bound of the 95% Wilson score interval of share_removed.",
            "ci_high": "Upper bound of the 95% Wilson score interval of share_removed.",
            "median_days_after_mlflow": "Median days from the repository's first MLflow commit to "
            "the dimension's first commit (mlflow: 0).",
        },
    }


_COMPARISON_COUNTS = [
    "repos_text",
    "repos_resolved",
    "both",
    "text_only",
    "resolved_only",
    "lines_text",
    "lines_resolved",
    "lines_both",
    "lines_text_only",
    "lines_resolved_only",
]


def _comparison_columns() -> dict[str, dict[str, str]]:
    """What a text search (the seed study's method) would have found, beside the calls."""
    return {
        "method_comparison": {
            "api": "The text searched for an MLflow API (text_matches.csv term): its name as a "
            "whole word when distinctive (log_param, MlflowClient, autolog), else with the "
            "module or class before it (mlflow.run, Model.log); one term stands for every API "
            "sharing it. The row any is any term against any catalogued call.",
            "repos_text": "Analysed repositories where the text search finds the term in a .py "
            "file or a notebook cell.",
            "repos_resolved": "Analysed repositories with a call, found by resolving names, of "
            "a catalogued API searched by that term.",
            "both": "Repositories in both.",
            "text_only": "Repositories the text search counts that have no such call (a "
            "comment, a string, another library's method of that name, a markdown cell).",
            "resolved_only": "Repositories with such a call the text search misses (an alias, "
            "from mlflow import *, a client held in a variable under another name).",
            "lines_text": "Lines (a file, a notebook cell, a line) where the text search finds "
            "the term.",
            "lines_resolved": "Lines where a call of an API searched by that term starts.",
            "lines_both": "Lines in both.",
            "lines_text_only": "Lines the text search counts where no such call starts.",
            "lines_resolved_only": "Lines where such a call starts that the text search misses.",
            "apis": "The catalogued APIs searched by the term whose calls were found, "
            "';'-separated (empty when none was).",
        },
    }
