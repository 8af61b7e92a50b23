"""Report sections of the three findings: where runs are stored, traceability profiles, model
versioning in the registry."""

from __future__ import annotations

import math
from collections.abc import Callable

from analyzers.codebook import FULLY_TRACEABLE, PROFILE_ASPECTS, PROFILE_LABELS
from analyzers.study.aggregate import Aggregates
from analyzers.study.locations import DEFAULT_LOCAL
from analyzers.study.report.html import (
    CHECK,
    DASH,
    ci,
    esc,
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
        caption="Repositories setting a location of each class (a repository can set several)",
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


def _profile(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    shares = records(aggregates.profile_shares)
    by_aspect = {r["aspect"]: r for r in shares}
    full = by_aspect.get(FULLY_TRACEABLE)
    missing = [r for r in shares if r["most_missing"]]
    intro = ""
    if full is not None:
        intro = (
            f"<p><strong>{full['n_using']}</strong> of {full['n_analysed']} analysed "
            f"repositories ({pct(full['share'])}, 95% CI "
            f"{ci(full['ci_low'], full['ci_high'])}) are fully traceable: they record all "
            f"{len(PROFILE_ASPECTS)} aspects."
        )
        if missing:
            labels = [PROFILE_LABELS[r["aspect"]] for r in missing]
            names = " and ".join(
                [", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels
            )
            intro += (
                f" Missing most often: <strong>{esc(names)}</strong> (in "
                f"{missing[0]['n_missing']} of {missing[0]['n_analysed']})."
            )
        intro += "</p>"
    aspects = table(
        ("aspect", "evidence", "repositories", "share", "95% CI", "missing in"),
        (
            (
                PROFILE_LABELS.get(r["aspect"], "fully traceable (all five)"),
                r["definition"],
                *share_cells(r),
                r["n_missing"],
            )
            for r in shares
        ),
        numeric=range(2, 6),
        caption="Repositories recording each aspect",
    )
    matrix = aggregates.profile_matrix
    shown = matrix.head(MAX_REPOS_SHOWN)
    repos = table(
        (
            "repository",
            *(PROFILE_LABELS[aspect] for aspect in PROFILE_ASPECTS),
            "aspects",
            "mlflow pinned",
            "frameworks",
        ),
        (
            (
                repo_link(r["repo"]),
                *(CHECK if r[aspect] else "" for aspect in PROFILE_ASPECTS),
                r["n_aspects"],
                r["mlflow_pins"],
                r["framework_requirements"],
            )
            for r in records(shown)
        ),
        numeric=(len(PROFILE_ASPECTS) + 1,),
        caption="Profile per repository (profile.csv holds the evidence for each cell)",
    )
    return (
        _no_facts(aggregates)
        + intro
        + figure("profile")
        + aspects
        + figure("profile-combinations")
        + repos
        + _more(len(shown), len(matrix), "profile_matrix")
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
        caption="Registry use and lifecycle",
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
    """The report sections of the three findings: (id, title, HTML)."""
    return [
        ("locations", "Where runs are stored", _locations(aggregates, figure)),
        ("profile", "Traceability profile per repository", _profile(aggregates, figure)),
        ("registry", "Model versioning in the registry", _registry(aggregates, figure)),
    ]
