"""Where runs are stored: classify each tracking or registry location a repository sets.

Values come from facts.csv (`tracking-uri`, `registry-uri`: arguments of `set_tracking_uri`,
`MlflowClient(tracking_uri=...)`, assignments of `MLFLOW_TRACKING_URI`, ...) and from
signals.csv (the same variables in `.env`, docker-compose, GitHub workflow and MLproject files).
The analyzer writes them with credentials already replaced by `***`, `env:NAME` for a value read
from an environment variable, `{…}` for the non-literal parts of an f-string or concatenation,
and an empty value when the argument is not a literal at all.

Everything here is pure and total: any string gets a class, nothing raises, nothing is looked
up on the network.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from analyzers.code.uris import REDACTED, redact_uri
from analyzers.codebook import ANY_LOCATION
from analyzers.study.load import Study
from analyzers.study.stats import (
    as_int,
    as_number,
    in_group,
    joined,
    position_key,
    records,
    table_frame,
    with_share,
)

_LOCAL_IPV4 = re.compile(r"127(?:\.\d{1,3}){3}")

PLACEHOLDER = "{…}"  # a non-literal part of an f-string or a concatenation

# Classes in reading order: from "on this machine" to "somewhere else" to "cannot tell".
LOCATION_CLASSES: dict[str, str] = {
    "local-file": "a local file store: a path (mlruns, ./mlruns, /data/mlruns, C:\\mlruns) or a "
    "file: URI",
    "local-database": "a SQLite database file (sqlite:)",
    "remote-database": "a database server reached through SQLAlchemy: postgresql, postgres, "
    "mysql, mssql or oracle, with or without +driver, whatever the host",
    "server-localhost": "a tracking server on this machine: http(s) to localhost (or "
    "*.localhost), 127.x.x.x, 0.0.0.0, [::1] or host.docker.internal",
    "server-remote": "a tracking server on another host, named literally (including private "
    "addresses and docker-compose service names)",
    "server-unknown-host": "a tracking server whose host is not a literal (an f-string or "
    "concatenation part)",
    "databricks": "Databricks: databricks, databricks-uc, databricks://PROFILE",
    "environment": "read from an environment variable or a CI secret (env:NAME, ${NAME}, "
    "${{ secrets.NAME }})",
    "unknown": "a value the repository does not hold (a run-time argument, a value computed "
    "outside it: after constants, settings defaults, environment defaults and configuration "
    "files are followed), or a scheme MLflow does not store runs in; a repository all of whose "
    "locations are unknown is location-unresolved (headline)",
}
DEFAULT_LOCAL = "default-local"
DEFAULT_LOCAL_DEFINITION = (
    "calls MLflow but sets no location: runs go to the default local "
    "file store ./mlruns (or wherever MLFLOW_TRACKING_URI points at run "
    "time)"
)

DATABASE_SCHEMES = frozenset({"postgresql", "postgres", "mysql", "mssql", "oracle"})
DATABRICKS_SCHEMES = frozenset({"databricks", "databricks-uc"})
LOCAL_HOSTS = frozenset({"localhost", "0.0.0.0", "::1", "0:0:0:0:0:0:0:1", "host.docker.internal"})

# A whole value that names a variable rather than a location.
_ENVIRONMENT = re.compile(
    r"""env:[A-Za-z_][A-Za-z0-9_]*              # the analyzer's form
      | \$\{\{\s*(?:secrets|vars|env)\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}   # GitHub Actions
      | \$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?-][^}]*)?\}                 # ${NAME}, ${NAME:-x}
      | \$[A-Za-z_][A-Za-z0-9_]*                 # $NAME
      | %[A-Za-z_][A-Za-z0-9_]*%                 # %NAME% (Windows)
    """,
    re.VERBOSE,
)
# Variables inside a larger value: not literal, so they read as a placeholder.
_EMBEDDED_VARIABLE = re.compile(
    r"\$\{\{[^}]*\}\}|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*"
    r"|\{\{[^}]*\}\}"
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


# `scheme://userinfo@`: userinfo is `user:password` (the password may hold unescaped `/` or
# `@`: it runs to the last `@` before a query) or a bare `user`/token.
def classify_location(value: str) -> str:
    """The class of a tracking or registry location (a key of `LOCATION_CLASSES`).

    `uc:URI` (the open-source Unity Catalog registry) is classified by the URI it wraps.
    """
    text = (value or "").strip()
    if not text or not text.replace(PLACEHOLDER, "").strip():
        return "unknown"
    if _ENVIRONMENT.fullmatch(text):
        return "environment"
    text = _EMBEDDED_VARIABLE.sub(PLACEHOLDER, text)
    lower = text.lower()
    if lower in DATABRICKS_SCHEMES:
        return "databricks"
    scheme_match = _SCHEME.match(text)
    if scheme_match is None or len(scheme_match[1]) == 1:  # no scheme, or a drive letter
        return "unknown" if "://" in text else "local-file"
    scheme = scheme_match[1].lower()
    rest = text[scheme_match.end() :]
    if scheme == "uc":
        return classify_location(rest)
    if scheme == "file":
        return "local-file"
    if scheme == "sqlite":
        return "local-database"
    if scheme.split("+", 1)[0] in DATABASE_SCHEMES:
        return "remote-database"
    if scheme in DATABRICKS_SCHEMES:
        return "databricks"
    if scheme in ("http", "https"):
        return _server(rest)
    return "unknown"


def _server(rest: str) -> str:
    """The class of `http(s):` + `rest` by its host."""
    if not rest.startswith("//"):
        return "unknown"
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    # [IPv6]:port, else host:port (a port holds no colon; an unbracketed IPv6 is invalid)
    host = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    host = host.lower().rstrip(".")
    if not host:
        return "unknown"
    if PLACEHOLDER in host:
        return "server-unknown-host"
    if host in LOCAL_HOSTS or host.endswith(".localhost") or _LOCAL_IPV4.fullmatch(host):
        return "server-localhost"
    return "server-remote"


def config_source(path: str) -> str:
    """What kind of configuration file a location signal came from, by its path."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if lower.startswith(".env") or lower.endswith(".env"):
        return ".env"
    if "compose" in lower and lower.endswith((".yml", ".yaml")):
        return "docker-compose"
    if path.startswith(".github/workflows/") or "/.github/workflows/" in path:
        return "github-workflow"
    if lower == "mlproject":
        return "MLproject"
    return name


__all__ = [
    "DEFAULT_LOCAL",
    "DEFAULT_LOCAL_DEFINITION",
    "LOCATION_CLASSES",
    "PLACEHOLDER",
    "REDACTED",
    "classify_location",
    "config_source",
    "redact_uri",
]

LOCATION_SETTINGS = ("tracking-uri", "registry-uri")


# The catalog group of the calls that set each location.
SETTING_GROUPS = {"tracking-uri": "set-tracking-uri", "registry-uri": "set-registry-uri"}


LOCATION_VIEWS = (("any", "classes"), ("tracking-uri", "tracking"), ("registry-uri", "registry"))


def locations(study: Study) -> pd.DataFrame:
    """Every tracking and registry location an analysed repository sets, classified: from code
    (facts.csv), from configuration files (signals.csv), and one of value unknown for each
    set_tracking_uri / set_registry_uri call of a repository facts.csv has no such value for."""
    rows: list[dict[str, Any]] = []

    def add(
        repo: str,
        path: str,
        cell: object,
        line: object,
        setting: str,
        origin: str,
        source: str,
        value: str,
    ) -> None:
        value = redact_uri(value)
        rows.append(
            {
                "repo": repo,
                "path": path,
                "cell": as_number(cell),
                "line": as_number(line),
                "setting": setting,
                "origin": origin,
                "source": source,
                "value": value,
                "location": classify_location(value),
            }
        )

    facts = study.facts[study.facts["fact"].isin(LOCATION_SETTINGS)]
    for fact in records(facts):
        add(
            fact["repo"],
            fact["path"],
            fact["cell"],
            fact["line"],
            fact["fact"],
            "code",
            fact["source"],
            fact["value"],
        )
    signals = study.signals[study.signals["signal"].isin(LOCATION_SETTINGS)]
    for signal in records(signals):
        add(
            signal["repo"],
            signal["path"],
            "",
            "",
            signal["signal"],
            "configuration",
            config_source(signal["path"]),
            signal["value"],
        )
    covered = set(zip(facts["repo"], facts["source"], strict=True))
    for setting, group in SETTING_GROUPS.items():
        calls = study.calls[in_group(study.calls["api"], group)]
        for call in records(calls):
            if (call["repo"], call["api"]) not in covered:
                add(call["repo"], call["path"], "", "", setting, "code", call["api"], "")
    rows.sort(
        key=lambda row: (
            *position_key(row),
            row["setting"],
            row["origin"],
            row["source"],
            row["value"],
        )
    )
    return as_int(table_frame("locations", rows), "cell", "line")


def repo_locations(study: Study, locations_table: pd.DataFrame) -> pd.DataFrame:
    """Per analysed repository: the classes of the tracking and registry locations it sets."""
    order = list(LOCATION_CLASSES)
    found: dict[str, dict[str, set[str]]] = {}
    counts: dict[str, int] = {}
    for repo, setting, location in zip(
        locations_table["repo"],
        locations_table["setting"],
        locations_table["location"],
        strict=True,
    ):
        found.setdefault(repo, {}).setdefault(setting, set()).add(location)
        counts[repo] = counts.get(repo, 0) + 1
    # MLflow is used directly, or through an integration (whose default store is ./mlruns too).
    users = set(study.calls["repo"]) | set(study.indirect["repo"])
    rows = []
    for repo in study.analysed:
        settings = found.get(repo, {})
        every = joined(set().union(*settings.values()), order)
        rows.append(
            {
                "repo": repo,
                "uses_mlflow": repo in users,
                "n_locations": counts.get(repo, 0),
                "tracking": joined(settings.get("tracking-uri", ()), order),
                "registry": joined(settings.get("registry-uri", ()), order),
                "classes": every or (DEFAULT_LOCAL if repo in users else ""),
            }
        )
    return table_frame("repo_locations", rows)


def location_shares(repo_table: pd.DataFrame) -> pd.DataFrame:
    """Share of analysed repositories setting a location of each class: any setting, tracking
    URIs, registry URIs; default-local for those that call MLflow and set none."""
    n = len(repo_table)
    rows = []
    for setting, column in LOCATION_VIEWS:
        sets = [set(value.split(";")) - {"", DEFAULT_LOCAL} for value in repo_table[column]]
        entries = [
            (
                ANY_LOCATION,
                "at least one location, of any class",
                sum(1 for classes in sets if classes),
            )
        ]
        entries += [
            (name, definition, sum(1 for classes in sets if name in classes))
            for name, definition in LOCATION_CLASSES.items()
        ]
        if setting != "registry-uri":
            entries.append(
                (
                    DEFAULT_LOCAL,
                    DEFAULT_LOCAL_DEFINITION,
                    sum(
                        1
                        for classes, uses in zip(sets, repo_table["uses_mlflow"], strict=True)
                        if uses and not classes
                    ),
                )
            )
        rows += [
            with_share(
                {
                    "setting": setting,
                    "location": name,
                    "definition": definition,
                    "n_using": k,
                    "n_analysed": n,
                }
            )
            for name, definition, k in entries
        ]
    return table_frame("location_shares", rows)
