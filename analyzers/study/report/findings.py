"""Report sections of the findings: traceability (the codebook's six aspects), where runs are
stored, model versioning in the registry."""

from __future__ import annotations

import math
from collections.abc import Callable

from analyzers.codebook import ASPECT_LABELS, ASPECTS, FULLY_TRACEABLE, TRACEABILITY
from analyzers.study.aggregate import Aggregates
from analyzers.study.locations import DEFAULT_LOCAL
from analyzers.study.populations import ANALYSED
from analyzers.study.report.html import (
    CHECK,
    DASH,
    ci,
    esc,
    of_population,
    pct,
    repo_link,
    share_cells,
    table,
)
from analyzers.study.stats import records
from analyzers.study.versioning import HF_NO_SEMVER_SHARE

MAX_REPOS_SHOWN = 50
MAX_TOKENS_SHOWN = 15
_NO_FACTS = (
    '<p class="warning">This study has no facts.csv (it was scanned before the '
    "analyzer recorded values found in code): locations set in code, logged files, "
    "log_model environments, registered model names and model URIs are missing, so "
    "this section rests on calls and configuration files alone.</p>"
)


def _no_facts(aggregates: Aggregates) -> str:
    return "" if aggregates.study.has_facts else _NO_FACTS


def _more(shown: int, total: int, table_name: str) -> str:
    return (
        f"<p>The first {shown} of {total} repositories; mlflow-miner export writes them "
        f"all ({table_name}.csv).</p>"
        if total > shown
        else ""
    )


def _locations(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    shares = aggregates.location_shares
    by_key = {(r["setting"], r["location"]): r for r in records(shares)}

    def share_of(setting: str, location: str) -> str:
        found = by_key.get((setting, location))
        return DASH if found is None else pct(found["share"])

    overall = records(shares[shares["setting"] == "any"])
    counts = {r["location"]: r for r in overall}
    intro = ""
    if "any-location" in counts and DEFAULT_LOCAL in counts:
        some, default = counts["any-location"], counts[DEFAULT_LOCAL]
        intro = (
            f"<p><strong>{some['n_using']}</strong> of {some['n_analysed']} analysed "
            f"repositories ({pct(some['share'])}) set a tracking or registry location in "
            f"code or configuration; <strong>{default['n_using']}</strong> "
            f"({pct(default['share'])}) call MLflow but set none, so their runs go to the "
            "default local store (./mlruns) unless MLFLOW_TRACKING_URI is set when they "
            "run. Credentials are never shown: user, password and query values read "
            "***.</p>"
        )
    classes = table(
        (
            "location",
            "what it is",
            "repositories",
            "share",
            "95% CI",
            "tracking URI",
            "registry URI",
        ),
        (
            (
                r["location"],
                r["definition"],
                *share_cells(r),
                share_of("tracking-uri", r["location"]),
                share_of("registry-uri", r["location"]),
            )
            for r in overall
        ),
        numeric=range(2, 7),
        caption="Repositories setting a location of each class (a repository can set several; "
        + of_population(ANALYSED, aggregates.n_analysed)
        + ")",
    )
    per_repo = aggregates.repo_locations
    per_repo = per_repo[per_repo["classes"] != ""]
    shown = per_repo.head(MAX_REPOS_SHOWN)
    repos = table(
        ("repository", "tracking URI", "registry URI", "all locations", "found"),
        (
            (repo_link(r["repo"]), r["tracking"], r["registry"], r["classes"], r["n_locations"])
            for r in records(shown)
        ),
        numeric=(4,),
        caption="Per repository (repositories calling MLflow or setting a location)",
    )
    return (
        _no_facts(aggregates)
        + intro
        + figure("locations")
        + classes
        + repos
        + _more(len(shown), len(per_repo), "repo_locations")
    )


def traceability_section(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    """The traceability codebook's six aspects: shares, the rules behind them, combinations."""
    tables = aggregates.traceability
    shares = records(tables["traceability_shares"])
    by_aspect = {r["aspect"]: r for r in shares}
    full = by_aspect.get(FULLY_TRACEABLE)
    missing = [r for r in shares if r["most_missing"]]
    n = len(TRACEABILITY)
    intro = (
        "<p>One definition of traceability, the seed study's hypothesis: a run is traceable "
        "when its code version, parameters, environment and dependencies are recorded, plus "
        "its metrics and input data. Each aspect is met by its inclusion rules and by nothing "
        "else (the codebook in README.md lists the rules, what they exclude, and examples).</p>"
    )
    if full is not None:
        intro += (
            f"<p><strong>{full['n_using']}</strong> of {full['n_analysed']} analysed "
            f"repositories ({pct(full['share'])}, 95% CI "
            f"{ci(full['ci_low'], full['ci_high'])}; {of_population(ANALYSED, full['n_analysed'])})"
            f" are fully traceable: they record all {n} aspects."
        )
        if missing:
            labels = [ASPECT_LABELS[r["aspect"]] for r in missing]
            names = " and ".join(
                [", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels
            )
            intro += (
                f" Missing most often: <strong>{esc(names)}</strong> (in "
                f"{missing[0]['n_missing']} of {missing[0]['n_analysed']})."
            )
        intro += "</p>"
    aspects = table(
        ("aspect", "recorded when", "not counted", "repositories", "share", "95% CI", "missing in"),
        (
            (
                ASPECT_LABELS.get(r["aspect"], f"fully traceable (all {n})"),
                *(
                    (
                        "; ".join(rule.text for rule in ASPECTS[r["aspect"]].includes),
                        "; ".join(rule.text for rule in ASPECTS[r["aspect"]].excludes),
                    )
                    if r["aspect"] in ASPECTS
                    else (r["definition"], "")
                ),
                *share_cells(r),
                r["n_missing"],
            )
            for r in shares
        ),
        numeric=range(3, 7),
        caption="Repositories recording each aspect ("
        + of_population(ANALYSED, aggregates.n_analysed)
        + ")",
    )
    rules = table(
        ("aspect", "rule", "counts", "repositories", "share", "95% CI"),
        (
            (ASPECT_LABELS[r["aspect"]], r["rule"], r["definition"], *share_cells(r))
            for r in records(tables["traceability_rules"])
        ),
        numeric=(3, 4, 5),
        caption="Which rule records each aspect (a repository can meet an aspect by several)",
    )
    matrix = tables["traceability_matrix"]
    shown = matrix.head(MAX_REPOS_SHOWN)
    repos = table(
        ("repository", *ASPECT_LABELS.values(), "aspects", "mlflow pinned", "frameworks"),
        (
            (
                repo_link(r["repo"]),
                *(CHECK if r[aspect] else "" for aspect in ASPECTS),
                r["n_aspects"],
                r["mlflow_pins"],
                r["framework_requirements"],
            )
            for r in records(shown)
        ),
        numeric=(n + 1,),
        caption="Per repository (traceability_evidence.csv holds the evidence for each cell)",
    )
    return (
        _no_facts(aggregates)
        + intro
        + figure("traceability")
        + aspects
        + rules
        + figure("traceability-distribution")
        + figure("traceability-combinations")
        + repos
        + _more(len(shown), len(matrix), "traceability_matrix")
    )


def _registry(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    lifecycle = table(
        ("measure", "counts", "repositories", "share", "95% CI"),
        (
            (
                r["measure"],
                r["definition"],
                *share_cells(r),
            )
            for r in records(aggregates.registry_summary)
        ),
        numeric=(2, 3, 4),
        caption="Registry use and lifecycle ("
        + of_population(ANALYSED, aggregates.n_analysed)
        + "); uses-registry is the study's one registry measure, as in the headline",
    )
    kinds = table(
        ("model URI kind", "what it is", "literals", "of all", "repositories"),
        (
            (
                r["kind"],
                r["definition"],
                r["n_uris"],
                pct(r["uri_share"]),
                f"{r['n_using']}/{r['n_analysed']}",
            )
            for r in records(aggregates.model_uri_kinds)
        ),
        numeric=(2, 3, 4),
        caption="Model URIs in string literals",
    )
    naming = aggregates.model_naming
    no_semver = naming[naming["name"] == "no-semver"]
    if len(no_semver) and no_semver["n_total"].iloc[0]:
        r = records(no_semver)[0]
        intro = (
            f"<p>Of the <strong>{r['n_total']}</strong> literal registered model names, "
            f"<strong>{r['n_names']}</strong> ({pct(r['share'])}, 95% CI "
            f"{ci(r['ci_low'], r['ci_high'])}) follow no semantic versioning, against "
            f"{pct(HF_NO_SEMVER_SHARE)} of the models in the Hugging Face naming "
            "study.</p>"
        )
    else:
        intro = "<p>No literal registered model name was found.</p>"
    names = table(
        ("group", "name", "what it is", "names", "share", "95% CI", "Hugging Face"),
        (
            (
                r["group"],
                r["name"],
                r["definition"],
                f"{r['n_names']}/{r['n_total']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
                "" if math.isnan(r["reference"]) else pct(r["reference"]),
            )
            for r in records(naming)
        ),
        numeric=range(3, 7),
        caption="Registered model names: semantic versioning and tokens",
    )
    tokens = aggregates.name_tokens.head(MAX_TOKENS_SHOWN)
    top = table(
        ("token", "kind", "names", "repositories"),
        ((r["token"], r["kind"], r["n_names"], r["n_repos"]) for r in records(tokens)),
        numeric=(2, 3),
        caption=f"Most common name tokens (top {MAX_TOKENS_SHOWN})",
    )
    return (
        _no_facts(aggregates)
        + figure("registry-lifecycle")
        + lifecycle
        + figure("model-uris")
        + kinds
        + figure("model-naming")
        + intro
        + names
        + top
    )


def findings_sections(
    aggregates: Aggregates, figure: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """The report sections of the findings beyond traceability: (id, title, HTML)."""
    return [
        ("locations", "Where runs are stored", _locations(aggregates, figure)),
        ("registry", "Model versioning in the registry", _registry(aggregates, figure)),
    ]
