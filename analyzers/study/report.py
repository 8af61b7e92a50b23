"""`mlflow-miner report`: one offline HTML page per study, with its charts, tables and provenance.

The page is deterministic: the same study gives the same bytes (chart elements have fixed ids and
the only dates shown are study.json's), so it can be golden-tested and diffed between runs.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from plotly.offline import get_plotlyjs

from analyzers.codebook import (
    ASPECT_LABELS,
    ASPECTS,
    FULLY_TRACEABLE,
    HEADLINE,
    PROFILE_ASPECTS,
    PROFILE_LABELS,
)
from analyzers.study.aggregate import Aggregates, aggregate_study
from analyzers.study.charts import (
    STATIC_FORMATS,
    Chart,
    StaticExport,
    build_charts,
    chart_div,
    write_html,
    write_static,
)
from analyzers.study.locations import DEFAULT_LOCAL
from analyzers.study.versioning import HF_NO_SEMVER_SHARE
from analyzers.tables import atomic_path

MAX_FAILURES_SHOWN = 50
MAX_APIS_SHOWN = 30
MAX_KEYS_SHOWN = 10

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Report:
    """What `build_report` wrote."""

    index: Path
    charts: tuple[Path, ...]
    static: StaticExport | None
    warnings: tuple[str, ...]
    seconds: float


# ---------------------------------------------------------------------------------------------
# Formatting


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


DASH = "\u2013"


def pct(share: float) -> str:
    """`0.625` -> `62.5%`; a dash when undefined (no analysed repository)."""
    return DASH if share is None or math.isnan(share) else f"{100 * share:.1f}%"


def ci(low: float, high: float) -> str:
    """An interval in percent with an en dash between the bounds; a dash when undefined."""
    if low is None or math.isnan(low):
        return DASH
    return f"{100 * low:.1f}{DASH}{100 * high:.1f}%"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: Iterable[int] = (),
    caption: str = "",
) -> str:
    """An HTML table; every cell is escaped, columns in `numeric` are right-aligned."""
    right = set(numeric)
    out = ["<table>"]
    if caption:
        out.append(f"<caption>{_esc(caption)}</caption>")
    out.append(
        "<thead><tr>"
        + "".join(
            f"<th{' class=num' if i in right else ''}>{_esc(h)}</th>" for i, h in enumerate(headers)
        )
        + "</tr></thead>"
    )
    out.append("<tbody>")
    body = 0
    for row in rows:
        body += 1
        out.append(
            "<tr>"
            + "".join(
                f"<td{' class=num' if i in right else ''}>{_esc(cell)}</td>"
                for i, cell in enumerate(row)
            )
            + "</tr>"
        )
    if not body:
        out.append(f'<tr><td colspan="{len(headers)}" class="empty">none</td></tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


# ---------------------------------------------------------------------------------------------
# Sections


# study.json's fields in reading order; any others follow, sorted.
PROVENANCE_ORDER = (
    "name",
    "tool_version",
    "analyzer",
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


def _provenance(aggregates: Aggregates) -> str:
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


def _repositories(aggregates: Aggregates) -> str:
    n_total, n_analysed, n_failed = aggregates.n_total, aggregates.n_analysed, aggregates.n_failed
    failed = aggregates.failures
    parts = [
        f"<p>The study holds <strong>{n_total}</strong> repositories: <strong>{n_analysed}</strong>"
        f" were cloned and analysed, <strong>{n_failed}</strong> were not. Every share in this "
        f"report is of the {n_analysed} analysed repositories; the others are counted here, "
        "never dropped silently.</p>",
        table(
            ("status", "repositories", "share of all"),
            (
                (r["status"], r["n_repos"], pct(r["share"]))
                for r in _records(aggregates.repo_status)
            ),
            numeric=(1, 2),
        ),
    ]
    shown = failed.head(MAX_FAILURES_SHOWN)
    more = len(failed) - len(shown)
    parts.append(
        table(
            ("repository", "status", "detail"),
            ((r["repo"], r["status"], r["detail"]) for r in _records(shown)),
            caption="Repositories not analysed",
        )
    )
    if more > 0:
        parts.append(f"<p>… and {more} more (mlflow-miner export writes failures.csv).</p>")
    return "\n".join(parts)


def _headline(aggregates: Aggregates) -> str:
    return table(
        ("measure", "counts", "repositories", "share", "95% CI"),
        (
            (
                r["measure"],
                r["definition"],
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
            )
            for r in _records(aggregates.headline)
        ),
        numeric=(2, 3, 4),
    )


def _adoption_rows(aggregates: Aggregates, level: str) -> list[tuple[object, ...]]:
    frame = aggregates.adoption[aggregates.adoption["level"] == level]
    by_kind = {kind: part.set_index("name") for kind, part in frame.groupby("kind")}
    rows = []
    for r in _records(frame[frame["kind"] == "any"]):
        script, notebook = by_kind["script"].loc[r["name"]], by_kind["notebook"].loc[r["name"]]
        rows.append(
            (
                r["name"],
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
                pct(script["share"]),
                pct(notebook["share"]),
                r["calls"],
            )
        )
    return rows


_ADOPTION_HEADERS = ("repositories", "share", "95% CI", "in scripts", "in notebooks", "calls")


def _adoption(aggregates: Aggregates) -> str:
    return table(
        ("dimension", *_ADOPTION_HEADERS),
        _adoption_rows(aggregates, "dimension"),
        numeric=range(1, 7),
    )


def _apis(aggregates: Aggregates) -> str:
    rows = _adoption_rows(aggregates, "api")
    shown = rows[:MAX_APIS_SHOWN]
    note = (
        f"<p>The {MAX_APIS_SHOWN} most used of {len(rows)} APIs; mlflow-miner export "
        "writes them all (adoption.csv).</p>"
        if len(rows) > len(shown)
        else ""
    )
    return note + table(("API", *_ADOPTION_HEADERS), shown, numeric=range(1, 7))


def _coverage(aggregates: Aggregates) -> str:
    aspects = table(
        ("aspect", "evidence", "repositories", "share", "95% CI"),
        (
            (
                ASPECT_LABELS[r["aspect"]],
                r["evidence"],
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
            )
            for r in _records(aggregates.traceability)
        ),
        numeric=(2, 3, 4),
        caption="Repositories recording each aspect",
    )
    distribution = table(
        ("aspects recorded", "repositories", "share", "95% CI"),
        (
            (
                f"{r['coverage']} of {len(ASPECTS)}",
                r["n_repos"],
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
            )
            for r in _records(aggregates.coverage_distribution)
        ),
        numeric=(1, 2, 3),
        caption="Coverage distribution",
    )
    return aspects + "\n" + distribution


def _keys(aggregates: Aggregates) -> str:
    parts = []
    for dimension in ("parameters", "metrics"):
        keys = aggregates.top_keys
        part = keys[(keys["dimension"] == dimension) & (keys["rank"] <= MAX_KEYS_SHOWN)]
        parts.append(
            table(
                ("rank", "name", "repositories", "calls"),
                ((r["rank"], r["key"], r["n_repos"], r["n_calls"]) for r in _records(part)),
                numeric=(0, 2, 3),
                caption=f"Top {MAX_KEYS_SHOWN} {dimension}",
            )
        )
    return '<div class="side">' + "\n".join(parts) + "</div>"


def _signals(aggregates: Aggregates) -> str:
    signals = table(
        ("signal", "value", "repositories", "share", "95% CI"),
        (
            (
                r["signal"],
                r["value"],
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
            )
            for r in _records(aggregates.signals)
        ),
        numeric=(2, 3, 4),
        caption="Repository-level signals (files read, nothing run)",
    )
    versions = table(
        ("mlflow version", "repositories", "share of pinning"),
        (
            (r["version"], r["n_repos"], pct(r["share"]))
            for r in _records(aggregates.mlflow_versions)
        ),
        numeric=(1, 2),
        caption="Pinned mlflow versions (major.minor)",
    )
    return signals + "\n" + versions


def _by_year(aggregates: Aggregates) -> str:
    frame = aggregates.adoption_by_year
    frame = frame[frame["level"] == "headline"]
    rows = []
    for year, part in frame.groupby("year", sort=True):
        cells = part.set_index("name")
        first = part.iloc[0]
        rows.append(
            (
                year,
                first["n_repos"],
                first["n_analysed"],
                *(f"{cells.loc[m, 'n_using']} ({pct(cells.loc[m, 'share'])})" for m in HEADLINE),
            )
        )
    return table(
        ("year", "repositories", "analysed", *HEADLINE), rows, numeric=range(1, 3 + len(HEADLINE))
    )


def _files(aggregates: Aggregates) -> str:
    return table(
        ("kind", "status", "files", "repositories"),
        (
            (r["kind"], r["status"], r["n_files"], r["n_repos"])
            for r in _records(aggregates.file_status)
        ),
        numeric=(2, 3),
    )


# ---------------------------------------------------------------------------------------------
# Findings beyond call counts: where runs are stored, traceability profiles, model versioning

MAX_REPOS_SHOWN = 50
MAX_TOKENS_SHOWN = 15
CHECK = "\u2713"
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
    views = {setting: part.set_index("location") for setting, part in shares.groupby("setting")}

    def share_of(setting: str, location: str) -> str:
        view = views.get(setting)
        return (
            pct(view.loc[location, "share"])
            if view is not None and location in view.index
            else DASH
        )

    overall = _records(shares[shares["setting"] == "any"])
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
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
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
            (r["repo"], r["tracking"], r["registry"], r["classes"], r["n_locations"])
            for r in _records(shown)
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
    shares = _records(aggregates.profile_shares)
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
                f" Missing most often: <strong>{_esc(names)}</strong> (in "
                f"{missing[0]['n_missing']} of {missing[0]['n_analysed']})."
            )
        intro += "</p>"
    aspects = table(
        ("aspect", "evidence", "repositories", "share", "95% CI", "missing in"),
        (
            (
                PROFILE_LABELS.get(r["aspect"], "fully traceable (all five)"),
                r["definition"],
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
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
                r["repo"],
                *(CHECK if r[aspect] else "" for aspect in PROFILE_ASPECTS),
                r["n_aspects"],
                r["mlflow_pins"],
                r["framework_requirements"],
            )
            for r in _records(shown)
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
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
            )
            for r in _records(aggregates.registry_summary)
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
            for r in _records(aggregates.model_uri_kinds)
        ),
        numeric=(2, 3, 4),
        caption="Model URIs in string literals",
    )
    naming = aggregates.model_naming
    no_semver = naming[naming["name"] == "no-semver"]
    if len(no_semver) and no_semver["n_total"].iloc[0]:
        r = _records(no_semver)[0]
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
            for r in _records(naming)
        ),
        numeric=range(3, 7),
        caption="Registered model names: semantic versioning and tokens",
    )
    tokens = aggregates.name_tokens.head(MAX_TOKENS_SHOWN)
    top = table(
        ("token", "kind", "names", "repositories"),
        ((r["token"], r["kind"], r["n_names"], r["n_repos"]) for r in _records(tokens)),
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


def _figure(chart: Chart, static: Iterable[str]) -> str:
    links = [f'<a href="charts/{_esc(chart.name)}.html">interactive</a>']
    links += [f'<a href="charts/{_esc(chart.name)}.{fmt}">{fmt.upper()}</a>' for fmt in static]
    return (
        f'<figure id="figure-{_esc(chart.name)}">\n{chart_div(chart)}\n'
        f"<figcaption>{_esc(chart.caption)} ({' · '.join(links)})</figcaption>\n</figure>"
    )


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:0 1.5em 3em;color:#222;line-height:1.45}
h1{margin-top:1.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
nav a{margin-right:.8em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border-bottom:1px solid #e4e4e4;padding:.25em .7em;text-align:left;vertical-align:top}
th{background:#f6f6f6}.num{text-align:right;font-variant-numeric:tabular-nums}
td.empty{color:#888;font-style:italic}
figure{margin:1.5em 0}figcaption{color:#555;font-size:.9em}
.side{display:flex;gap:2em;flex-wrap:wrap}.warning{color:#a40000;font-weight:600}
"""


def render_index(
    aggregates: Aggregates,
    charts: Sequence[Chart],
    static_formats: Mapping[str, Sequence[str]] | None = None,
    warnings: Sequence[str] = (),
) -> str:
    """The report page. `static_formats` maps a chart name to the image formats written for it
    (linked under the chart); plotly.js is inlined once, in the head."""
    static_formats = static_formats or {}
    by_name = {chart.name: chart for chart in charts}
    name = aggregates.study.name

    def figure(chart_name: str) -> str:
        chart = by_name.get(chart_name)
        return _figure(chart, static_formats.get(chart_name, ())) if chart else ""

    sections = [
        ("provenance", "Provenance", _provenance(aggregates)),
        ("repositories", "Repositories", _repositories(aggregates)),
        ("headline", "Headline: logging and tracking", _headline(aggregates)),
        (
            "adoption",
            "Adoption by traceability dimension",
            figure("adoption") + _adoption(aggregates) + figure("adoption-by-kind"),
        ),
        ("coverage", "Traceability coverage", figure("coverage") + _coverage(aggregates)),
        ("cooccurrence", "Which dimensions go together", figure("cooccurrence")),
        ("keys", "Logged parameter and metric names", figure("top-keys") + _keys(aggregates)),
        ("signals", "Projects, environments and pinned versions", _signals(aggregates)),
        *findings_sections(aggregates, figure),
        *evolution_sections(aggregates, figure),
        ("years", "Adoption by creation year", figure("adoption-by-year") + _by_year(aggregates)),
        ("apis", "MLflow APIs", _apis(aggregates)),
        ("files", "Files", _files(aggregates)),
    ]
    if warnings:
        sections.append(
            (
                "notes",
                "Notes",
                "<ul>" + "".join(f"<li>{_esc(warning)}</li>" for warning in warnings) + "</ul>",
            )
        )
    nav = " ".join(f'<a href="#{key}">{_esc(title)}</a>' for key, title, _ in sections)
    body = "\n".join(
        f'<section id="{key}">\n<h2>{_esc(title)}</h2>\n{content}\n</section>'
        for key, title, content in sections
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MLflow traceability study: {_esc(name)}</title>
<style>{_STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>MLflow traceability study: {_esc(name)}</h1>
<p>How {aggregates.n_analysed} analysed repositories (of {aggregates.n_total}) use MLflow to
make their experiments traceable. Shares come with 95% Wilson score intervals.</p>
<nav>{nav}</nav>
{body}
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------
# Building


def build_report(
    study_dir: str | Path,
    out_dir: str | Path | None = None,
    static: bool = True,
    progress: Progress | None = None,
) -> Report:
    """Aggregate a study and write `<out_dir>/index.html` (default `<study>/report/`) with
    its charts under `charts/`: HTML always, PNG and SVG when `static` and a browser allow."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    aggregates = aggregate_study(study_dir, progress=say)
    out = Path(out_dir) if out_dir is not None else Path(study_dir) / "report"
    charts_dir = out / "charts"
    charts = build_charts(aggregates)
    say(f"writing {len(charts)} interactive charts to {charts_dir}")
    chart_files = write_html(charts, charts_dir)
    for chart in charts:
        for fmt in STATIC_FORMATS:
            (charts_dir / f"{chart.name}.{fmt}").unlink(missing_ok=True)  # never a stale image
    exported: StaticExport | None = None
    warnings: list[str] = []
    if static:
        say(f"exporting {len(charts) * len(STATIC_FORMATS)} static images in one batch")
        exported = write_static(charts, charts_dir)
        warnings.extend(exported.warnings)
        for warning in exported.warnings:
            say(f"warning: {warning}")
        say(f"static export: {len(exported.files)} images in {exported.seconds:.1f}s")
    formats: dict[str, list[str]] = {}
    for path in exported.files if exported else ():
        formats.setdefault(path.stem, []).append(path.suffix.lstrip("."))
    page = render_index(aggregates, charts, formats, warnings)
    index = out / "index.html"
    with atomic_path(index) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Report(index, tuple(chart_files), exported, tuple(warnings), time.monotonic() - started)


# Findings beyond call counts


# ---------------------------------------------------------------------------------------------
# Evolution and ecosystem (issue 6): sections only for a study that has their inputs.

COADOPTION_PRACTICES = (
    "data",
    "log-input",
    "parameters",
    "metrics",
    "environment",
    "autolog",
    "registry",
)


def _days_text(value: float) -> str:
    return DASH if value is None or math.isnan(value) else f"{value:.0f}"


def _ecosystem(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    tools = aggregates.evolution.tables["ecosystem_tools"]
    evidence = {
        tool: ", ".join(
            f"{r['evidence']} ({r['n_using']})" for r in _records(part) if r["evidence"] != "any"
        )
        for tool, part in tools.groupby("tool", sort=False)
    }
    shares = table(
        ("tool", "repositories", "share", "95% CI", "evidence (repositories)"),
        (
            (
                r["tool"],
                f"{r['n_using']}/{r['n_analysed']}",
                pct(r["share"]),
                ci(r["ci_low"], r["ci_high"]),
                evidence.get(r["tool"], ""),
            )
            for r in _records(tools[tools["evidence"] == "any"])
        ),
        numeric=(1, 2, 3),
        caption="Evidence read from files, imports and workflow steps; nothing run",
    )
    coadoption = aggregates.evolution.tables["ecosystem_coadoption"]
    practices = [p for p in COADOPTION_PRACTICES if p in set(coadoption["practice"])]
    rows = []
    for tool, part in coadoption.groupby("tool", sort=False):
        cells = part.set_index("practice")
        rows.append(
            (
                tool,
                int(part["n_tool"].iloc[0]),
                *(
                    f"{pct(cells.loc[p, 'share_tool'])} vs {pct(cells.loc[p, 'share_other'])}"
                    for p in practices
                ),
            )
        )
    matrix = table(
        ("tool", "users", *practices),
        rows,
        numeric=range(1, 2 + len(practices)),
        caption="Share of each tool's users with an MLflow practice vs the share of "
        "the other analysed repositories (ecosystem_coadoption has the "
        "intervals)",
    )
    return figure("ecosystem") + shares + figure("ecosystem-coadoption") + matrix


def _history(aggregates: Aggregates, figure: Callable[[str], str]) -> str:
    inputs = aggregates.evolution.inputs
    summary = inputs.summary
    walked = summary[summary["status"] == "walked"]
    numbers = {
        column: int(pd.to_numeric(walked[column], errors="coerce").fillna(0).sum())
        for column in ("commits_analysed", "blobs_parsed", "blobs_skipped", "cache_hits")
    }
    truncated = int((walked["truncated"].str.lower() == "true").sum())
    failed = len(summary) - len(walked)
    intro = (
        f"<p>The default-branch history of <strong>{len(walked)}</strong> analysed "
        f"repositories was walked ({numbers['commits_analysed']} commits; "
        f"{numbers['blobs_parsed']} file versions parsed, {numbers['blobs_skipped']} "
        f"skipped by the byte pre-filter, {numbers['cache_hits']} found in the cache)"
        + (f"; {truncated} walks were capped (--max-commits, --since)" if truncated else "")
        + (f"; {failed} could not be walked (history_summary.csv says why)" if failed else "")
        + ".</p>"
    )
    adoption = aggregates.evolution.tables["time_to_adoption"]
    delays = table(
        ("from", "repositories", "median days", "quartiles"),
        [
            (
                label,
                int(adoption[column].notna().sum()),
                _days_text(adoption[column].median()),
                DASH
                if adoption[column].notna().sum() == 0
                else f"{_days_text(adoption[column].quantile(0.25))}{DASH}"
                f"{_days_text(adoption[column].quantile(0.75))}",
            )
            for column, label in (
                ("days_from_creation", "repository creation"),
                ("days_from_first_commit", "first commit"),
            )
        ],
        numeric=(1, 2, 3),
        caption="Days until the first commit with MLflow",
    )
    lifecycle = table(
        (
            "dimension",
            "adopted",
            "later removed",
            "share removed",
            "95% CI",
            "at head",
            "median days after MLflow",
        ),
        (
            (
                r["dimension"],
                f"{r['n_adopted']}/{r['n_repos']}",
                r["n_removed"],
                pct(r["share_removed"]),
                ci(r["ci_low"], r["ci_high"]),
                r["n_at_head"],
                _days_text(r["median_days_after_mlflow"]),
            )
            for r in _records(aggregates.evolution.tables["dimension_lifecycle"])
        ),
        numeric=range(1, 7),
        caption="Did practices stay?",
    )
    return intro + figure("adoption-curve") + figure("time-to-adoption") + delays + lifecycle


def evolution_sections(
    aggregates: Aggregates, figure: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """The ecosystem and history sections a study has inputs for: (id, title, HTML)."""
    inputs = aggregates.evolution.inputs
    sections = []
    if inputs.has_ecosystem:
        sections.append(("ecosystem", "MLOps tools beside MLflow", _ecosystem(aggregates, figure)))
    if inputs.has_history:
        sections.append(
            ("history", "When MLflow and each practice arrived", _history(aggregates, figure))
        )
    return sections
