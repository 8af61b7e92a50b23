"""Report sections of the seed study: provenance, repositories and populations, the headline,
adoption, logged names, signals, adoption by year, APIs, files."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from analyzers.codebook import HEADLINE
from analyzers.study.aggregate import Aggregates
from analyzers.study.populations import ANALYSED
from analyzers.study.report.html import DASH, ci, of_population, pct, repo_link, share_cells, table
from analyzers.study.stats import records

MAX_FAILURES_SHOWN = 50
MAX_APIS_SHOWN = 30
MAX_KEYS_SHOWN = 10


# study.json's fields in reading order; any others follow, sorted.
PROVENANCE_ORDER = (
    "name",
    "tool_version",
    "tool_commit",
    "analyzer",
    "catalog_version",
    "versions",
    "settings",
    "dataset",
    "dataset_sha256",
    "crawled_at",
    "started_at",
    "finished_at",
)


def _flatten(prefix: str, value: object) -> Iterable[tuple[str, object]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
    elif isinstance(value, list):
        yield prefix, ", ".join(map(str, value))
    else:
        yield prefix, value


def provenance(aggregates: Aggregates) -> str:
    study = aggregates.study
    meta = study.provenance
    keys = [key for key in PROVENANCE_ORDER if key in meta]
    keys += sorted(key for key in meta if key not in PROVENANCE_ORDER)
    rows: list[tuple[str, object]] = [row for key in keys for row in _flatten(key, meta[key])]
    declared = str(meta.get("dataset_sha256", ""))
    differs = bool(declared) and declared.lower() != study.dataset_sha256
    if not declared:
        check = "study.json records no sha256"
    else:
        check = "DIFFERS from study.json" if differs else "matches study.json"
    used = study.dataset_path
    shown = used.name if used.parent == study.root else str(used)
    rows.append(("dataset file read", shown))
    rows.append(("sha256 of the file read", f"{study.dataset_sha256} ({check})"))
    warning = (
        ""
        if not differs
        else '<p class="warning">The dataset read is not the one study.json describes: '
        "the numbers below may not be the pinned study's.</p>"
    )
    return warning + table(("field", "value"), rows)


def repositories(aggregates: Aggregates) -> str:
    n_total, n_analysed, n_failed = aggregates.n_total, aggregates.n_analysed, aggregates.n_failed
    failed = aggregates.failures
    parts = [
        f"<p>The study holds <strong>{n_total}</strong> repositories: <strong>{n_analysed}</strong>"
        f" were cloned and analysed, <strong>{n_failed}</strong> were not (they are counted "
        "here, never dropped silently). Every share in this report names its population: a "
        "named set of repositories, the denominator. The headline is computed for each; the "
        f"other sections are of the population {ANALYSED} unless they say otherwise.</p>",
        table(
            ("population", "repositories", "of the analysed", "definition"),
            (
                (
                    r["population"],
                    r["n_repos"] if r["available"] else DASH,
                    pct(r["share"]),
                    r["definition"]
                    if r["available"]
                    else "not available: the study's repos.csv predates it",
                )
                for r in records(aggregates.populations)
            ),
            numeric=(1, 2),
            caption="Populations",
        ),
        table(
            ("status", "repositories", "share of all"),
            ((r["status"], r["n_repos"], pct(r["share"])) for r in records(aggregates.repo_status)),
            numeric=(1, 2),
        ),
    ]
    if not aggregates.exclusions.empty:
        parts.append(
            table(
                ("filter", "repositories it removed", "removed by it alone"),
                ((r["filter"], r["n_repos"], r["n_only"]) for r in records(aggregates.exclusions)),
                numeric=(1, 2),
                caption="Excluded before analysis by the study's filters (status excluded)",
            )
        )
    shown = failed.head(MAX_FAILURES_SHOWN)
    more = len(failed) - len(shown)
    parts.append(
        table(
            ("repository", "status", "detail"),
            ((repo_link(r["repo"]), r["status"], r["detail"]) for r in records(shown)),
            caption="Repositories not analysed",
        )
    )
    if more > 0:
        parts.append(f"<p>… and {more} more (mlflow-miner export writes failures.csv).</p>")
    return "\n".join(parts)


def headline(aggregates: Aggregates) -> str:
    """Each headline measure for every population side by side, with what changes."""
    rows = records(aggregates.headline)
    populations = list(dict.fromkeys(r["population"] for r in rows))
    cell = {(r["measure"], r["population"]): r for r in rows}
    measures = list(dict.fromkeys(r["measure"] for r in rows))
    headers = ["measure", "counts"]
    for population in populations:
        headers += [f"{population}: repositories", "share", "95% CI"]
    body = []
    for measure in measures:
        base = cell[measure, populations[0]]
        line: list[object] = [measure, base["definition"]]
        for population in populations:
            r = cell[measure, population]
            share = pct(r["share"])
            if population != populations[0]:
                share += f" ({_points(r['share'], base['share'])})"
            line += [f"{r['numerator']}/{r['denominator']}", share, ci(r["ci_low"], r["ci_high"])]
        body.append(tuple(line))
    numeric = tuple(i for i in range(2, len(headers)))
    return "\n".join(
        [
            _populations_note(aggregates),
            table(headers, body, numeric=numeric),
            *(_change_note(rows, population, populations[0]) for population in populations[1:]),
        ]
    )


def indirect(aggregates: Aggregates) -> str:
    """Indirect use: the libraries that log to MLflow for the repositories."""
    rows = records(aggregates.indirect_uses)
    if not rows:
        return "<p>No indirect use of MLflow was found (indirect.csv is empty or missing).</p>"
    only = len(aggregates.measure_users["any-logging-incl-indirect"]) - len(
        aggregates.measure_users["any-logging"]
    )
    return (
        f"<p><strong>{only}</strong> analysed repositories log to MLflow only through an "
        "integration (no direct logging call): any-logging-incl-indirect counts them, "
        "any-logging does not.</p>"
        + table(
            ("integration", "records", "repositories", "share", "95% CI", "through it only"),
            ((r["integration"], r["records"], *share_cells(r), r["n_only"]) for r in rows),
            numeric=(2, 3, 4, 5),
            caption="Integrations that log to MLflow for the repository ("
            + of_population(ANALYSED, aggregates.n_analysed)
            + "; indirect.csv)",
        )
    )


def _points(share: float, base: float) -> str:
    """The change from `base` to `share` in percentage points, signed."""
    if math.isnan(share) or math.isnan(base):
        return DASH
    return f"{100 * (share - base):+.1f} pp"


def _populations_note(aggregates: Aggregates) -> str:
    parts = []
    for r in records(aggregates.populations):
        if r["available"]:
            parts.append(f"<strong>{r['population']}</strong> ({r['n_repos']}): {r['definition']}")
        else:
            parts.append(
                f"<strong>{r['population']}</strong>: not available, the study's repos.csv "
                "predates it"
            )
    return (
        "<p>Each share is given among several populations: "
        + "; ".join(parts)
        + ". headline.csv holds these rows (measure, population, definition, numerator, "
        "denominator, share, 95% Wilson interval).</p>"
    )


def _change_note(rows: list[dict[str, Any]], population: str, base: str) -> str:
    """How far the population moves the shares, and whether the intervals still overlap."""
    of_base = {r["measure"]: r for r in rows if r["population"] == base}
    pairs = [
        (r, of_base[r["measure"]])
        for r in rows
        if r["population"] == population
        and not (math.isnan(r["share"]) or math.isnan(of_base[r["measure"]]["share"]))
    ]
    if not pairs:
        return f"<p>{population}: no repository, so no share.</p>"
    r, o = max(pairs, key=lambda pair: abs(pair[0]["share"] - pair[1]["share"]))
    if r["share"] == o["share"] and r["denominator"] == o["denominator"]:
        return f"<p>Among {population} repositories the shares do not move: it holds every one.</p>"
    apart = [
        a["measure"] for a, b in pairs if a["ci_low"] > b["ci_high"] or a["ci_high"] < b["ci_low"]
    ]
    overlap = (
        f"every 95% interval overlaps the {base} one"
        if not apart
        else "the intervals no longer overlap for " + ", ".join(apart)
    )
    return (
        f"<p>Among {population} repositories the shares move by at most "
        f"{100 * abs(r['share'] - o['share']):.1f} percentage points ({r['measure']}: "
        f"{pct(o['share'])} → {pct(r['share'])}); {overlap}.</p>"
    )


def _adoption_rows(aggregates: Aggregates, level: str) -> list[tuple[object, ...]]:
    frame = aggregates.adoption[aggregates.adoption["level"] == level]
    by_kind = {(r["kind"], r["name"]): r for r in records(frame)}
    rows: list[tuple[object, ...]] = []
    for r in records(frame[frame["kind"] == "any"]):
        script, notebook = by_kind["script", r["name"]], by_kind["notebook", r["name"]]
        rows.append(
            (
                r["name"],
                *share_cells(r),
                pct(script["share"]),
                pct(notebook["share"]),
                r["calls"],
            )
        )
    return rows


_ADOPTION_HEADERS = ("repositories", "share", "95% CI", "in scripts", "in notebooks", "calls")


def adoption(aggregates: Aggregates) -> str:
    return table(
        ("dimension", *_ADOPTION_HEADERS),
        _adoption_rows(aggregates, "dimension"),
        numeric=range(1, 7),
        caption="Repositories with at least one call of each dimension ("
        + of_population(ANALYSED, aggregates.n_analysed)
        + "). The registry dimension counts any registry API (webhooks, MCP servers and "
        "skills too); the study's registry measure is uses-registry (headline).",
    )


def apis(aggregates: Aggregates) -> str:
    rows = _adoption_rows(aggregates, "api")
    shown = rows[:MAX_APIS_SHOWN]
    note = (
        f"<p>The {MAX_APIS_SHOWN} most used of {len(rows)} APIs; mlflow-miner export "
        "writes them all (adoption.csv).</p>"
        if len(rows) > len(shown)
        else ""
    )
    return note + table(
        ("API", *_ADOPTION_HEADERS),
        shown,
        numeric=range(1, 7),
        caption=of_population(ANALYSED, aggregates.n_analysed),
    )


def keys(aggregates: Aggregates) -> str:
    parts = []
    for dimension in ("parameters", "metrics"):
        keys = aggregates.top_keys
        part = keys[(keys["dimension"] == dimension) & (keys["rank"] <= MAX_KEYS_SHOWN)]
        parts.append(
            table(
                ("rank", "name", "repositories", "calls"),
                ((r["rank"], r["key"], r["n_repos"], r["n_calls"]) for r in records(part)),
                numeric=(0, 2, 3),
                caption=f"Top {MAX_KEYS_SHOWN} {dimension}",
            )
        )
    return '<div class="side">' + "\n".join(parts) + "</div>"


def signals(aggregates: Aggregates) -> str:
    signals = table(
        ("signal", "value", "repositories", "share", "95% CI"),
        (
            (
                r["signal"],
                r["value"],
                *share_cells(r),
            )
            for r in records(aggregates.signals)
        ),
        numeric=(2, 3, 4),
        caption="Repository-level signals (files read, nothing run; "
        + of_population(ANALYSED, aggregates.n_analysed)
        + ")",
    )
    versions = table(
        ("mlflow version", "repositories", "share of pinning"),
        (
            (r["version"], r["n_repos"], pct(r["share"]))
            for r in records(aggregates.mlflow_versions)
        ),
        numeric=(1, 2),
        caption="Pinned mlflow versions (major.minor)",
    )
    return signals + "\n" + versions


def by_year(aggregates: Aggregates) -> str:
    frame = aggregates.adoption_by_year
    frame = frame[frame["level"] == "headline"]
    minimum = aggregates.options.min_n_per_year
    rows = []
    for year, part in frame.groupby("year", sort=True):
        cells = {r["name"]: r for r in records(part)}
        first = next(iter(cells.values()))
        rows.append(
            (
                year,
                first["n_repos"],
                first["n_analysed"],
                *(
                    f"{cells[m]['n_using']} ({pct(cells[m]['share'])})"
                    if first["min_n_met"]
                    else f"{cells[m]['n_using']} (n < {minimum})"
                    for m in HEADLINE
                ),
            )
        )
    return (
        f"<p>Shares among the analysed repositories created each year (population {ANALYSED} "
        f"by creation year). A year with fewer than {minimum} analysed repositories has no "
        "share quoted here and no point in the chart (mlflow-miner report --min-n N changes "
        "the minimum).</p>"
        + table(
            ("year", "repositories", "analysed", *HEADLINE),
            rows,
            numeric=range(1, 3 + len(HEADLINE)),
        )
    )


def files(aggregates: Aggregates) -> str:
    return table(
        ("kind", "status", "files", "repositories"),
        (
            (r["kind"], r["status"], r["n_files"], r["n_repos"])
            for r in records(aggregates.file_status)
        ),
        numeric=(2, 3),
    )
