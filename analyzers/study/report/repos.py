"""Drill-down: a page per repository, and one plain searchable table of all of them.

`report/repos/OWNER__NAME.html` shows a repository's status, its traceability (each aspect of
the codebook, recorded or not, with the evidence), its calls by dimension and by file, its
indirect uses, the values found beside them (facts), its signals and its files, each line linked by permalink at the pinned commit. `report/repositories.html` lists
every repository with a filter box (a few lines of inline script; no network). The report's
tables link a repository's name to its page (`html.repo_link`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analyzers.codebook import ASPECTS
from analyzers.study.aggregate import Aggregates
from analyzers.study.charts.labels import human
from analyzers.study.load import read_table
from analyzers.study.permalinks import location_from, permalink
from analyzers.study.report.html import (
    CHECK,
    STYLE,
    esc,
    link,
    page_name,
    repo_link,
    table,
)
from analyzers.study.stats import records
from analyzers.tables import atomic_path

REPOS_DIR = "repos"
INDEX = "repositories.html"
MAX_ROWS = 500  # calls, facts or files listed on one repository's page


@dataclass(frozen=True)
class RepoTables:
    """The study's per-repository rows, grouped by repository once."""

    calls: Mapping[str, pd.DataFrame]
    facts: Mapping[str, pd.DataFrame]
    signals: Mapping[str, pd.DataFrame]
    files: Mapping[str, pd.DataFrame]
    traceability: Mapping[str, pd.DataFrame]
    indirect: Mapping[str, pd.DataFrame]
    locations: Mapping[str, Mapping[str, Any]]


def _grouped(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(repo): part for repo, part in frame.groupby("repo", sort=False)}


def repo_tables(aggregates: Aggregates) -> RepoTables:
    study = aggregates.study
    calls = read_table(
        study.root / "calls.csv", ("repo", "path", "cell", "line", "api", "dimension", "keys")
    )
    files = read_table(study.root / "files.csv", ("repo", "path", "kind", "status", "detail"))
    locations = {str(r["repo"]): r for r in records(aggregates.repo_locations)}
    return RepoTables(
        calls=_grouped(calls),
        facts=_grouped(study.facts),
        signals=_grouped(study.signals),
        files=_grouped(files),
        traceability=_grouped(aggregates.traceability["traceability_evidence"]),
        indirect=_grouped(study.indirect),
        locations=locations,
    )


def _where(repo: str, commit: str, row: Mapping[str, Any]) -> object:
    location = location_from(
        repo, commit, str(row["path"]), row.get("cell", ""), row.get("line", "")
    )
    return link(location.url, location.where)


def _head(repo: str, summary: Mapping[str, Any]) -> str:
    commit = str(summary["commit"])
    rows: list[tuple[str, object]] = [
        ("status", summary["status"]),
        ("detail", summary["detail"]),
        ("pinned commit", link(permalink(repo, commit), commit) if commit else ""),
    ]
    for key, name in (
        ("purpose", "purpose"),
        ("duplicate_of", "near-duplicate of"),
        ("created_year", "created"),
    ):
        value = summary.get(key)
        if value not in (None, "") and not pd.isna(value):
            shown = repo_link(str(value), "") if key == "duplicate_of" else value
            rows.append((name, shown))
    return table(("", ""), rows)


def _calls(repo: str, commit: str, calls: pd.DataFrame | None) -> str:
    if calls is None or calls.empty:
        return "<p>No MLflow call was found.</p>"
    by_dimension = calls.groupby("dimension", sort=True).size().sort_values(ascending=False)
    by_file = calls.groupby("path", sort=True).size()
    listed = calls.head(MAX_ROWS)
    more = (
        f"<p>The first {MAX_ROWS} of {len(calls)} calls (calls.csv has them all).</p>"
        if len(calls) > MAX_ROWS
        else ""
    )
    return (
        '<div class="side">'
        + table(
            ("dimension", "calls"),
            ((human(d), n) for d, n in by_dimension.items()),
            numeric=(1,),
            caption="By dimension",
        )
        + table(
            ("file", "calls"), ((f, n) for f, n in by_file.items()), numeric=(1,), caption="By file"
        )
        + "</div>"
        + more
        + table(
            ("line at the pinned commit", "API", "dimension", "logged names"),
            (
                (_where(repo, commit, r), r["api"], human(r["dimension"]), r["keys"])
                for r in records(listed)
            ),
            caption="Every call",
        )
    )


def _traceability(evidence: pd.DataFrame | None) -> str:
    if evidence is None or evidence.empty:
        return "<p>Not analysed: no traceability.</p>"
    order = {aspect: index for index, aspect in enumerate(ASPECTS)}
    rows = sorted(records(evidence), key=lambda r: order.get(r["aspect"], len(order)))
    return table(
        ("aspect", "recorded", "rules", "evidence"),
        (
            (human(r["aspect"]), CHECK if r["recorded"] else "", r["rules"], r["evidence"])
            for r in rows
        ),
        caption="The codebook's aspects (README, How to read the findings)",
    )


def _indirect(repo: str, commit: str, uses: pd.DataFrame | None) -> str:
    if uses is None or uses.empty:
        return "<p>No integration logs to MLflow on its behalf.</p>"
    return table(
        ("integration", "records", "where"),
        (
            (r["integration"], r["records"], _where(repo, commit, r))
            for r in records(uses.head(MAX_ROWS))
        ),
        caption="Integrations that log to MLflow on the repository's behalf (indirect.csv)",
    )


def _facts(repo: str, commit: str, facts: pd.DataFrame | None) -> str:
    rows = records(facts.head(MAX_ROWS)) if facts is not None else []
    return table(
        ("value found", "value", "passed to", "where"),
        ((r["fact"], r["value"], r["source"], _where(repo, commit, r)) for r in rows),
        caption="Values found beside the calls (URIs, model names, ...; credentials as ***)",
    )


def _signals(repo: str, commit: str, signals: pd.DataFrame | None) -> str:
    rows = records(signals) if signals is not None else []
    return table(
        ("signal", "value", "file"),
        (
            (r["signal"], r["value"], link(permalink(repo, commit, str(r["path"])), r["path"]))
            for r in rows
        ),
        caption="Repository files read (nothing run)",
    )


def _files(files: pd.DataFrame | None) -> str:
    rows = records(files.head(MAX_ROWS)) if files is not None else []
    return table(
        ("file", "kind", "status", "detail"),
        ((r["path"], r["kind"], r["status"], r["detail"]) for r in rows),
    )


def _locations(location: Mapping[str, Any] | None) -> str:
    if not location or not location["classes"]:
        return "<p>No tracking or registry location is set.</p>"
    return table(
        ("tracking URI", "registry URI", "all locations"),
        [(location["tracking"], location["registry"], location["classes"])],
    )


def _page(title: str, body: str, depth: int) -> str:
    up = "../" * depth
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<nav><a href="{up}index.html">the study's report</a> <a href="{up}{INDEX}">all repositories</a></nav>
<h1>{esc(title)}</h1>
{body}
</body>
</html>
"""


def repo_page(repo: str, summary: Mapping[str, Any], tables: RepoTables) -> str:
    commit = str(summary["commit"])
    sections = [
        ("Status", _head(repo, summary)),
        ("Traceability", _traceability(tables.traceability.get(repo))),
        ("Calls", _calls(repo, commit, tables.calls.get(repo))),
        ("Indirect uses", _indirect(repo, commit, tables.indirect.get(repo))),
        ("Where runs are stored", _locations(tables.locations.get(repo))),
        ("Facts", _facts(repo, commit, tables.facts.get(repo))),
        ("Signals", _signals(repo, commit, tables.signals.get(repo))),
        ("Files", _files(tables.files.get(repo))),
    ]
    body = "\n".join(
        f"<section>\n<h2>{esc(name)}</h2>\n{html}\n</section>" for name, html in sections
    )
    return _page(repo, body, 1)


_FILTER = """
<p><input id="filter" type="search" placeholder="filter: a name, a status, a dimension"
 size="50" autofocus> <span id="shown"></span></p>
<script>
const box = document.getElementById("filter"), shown = document.getElementById("shown");
const rows = Array.from(document.querySelectorAll("#repositories tbody tr"));
function apply() {
  const words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let n = 0;
  for (const row of rows) {
    const text = row.textContent.toLowerCase();
    const keep = words.every(word => text.includes(word));
    row.hidden = !keep;
    n += keep;
  }
  shown.textContent = n + " of " + rows.length + " repositories";
}
box.addEventListener("input", apply);
apply();
</script>
"""


def repositories_page(aggregates: Aggregates, tables: RepoTables) -> str:
    """Every repository of the study in one table, with a filter box."""
    rows = []
    for r in records(aggregates.study.repos):
        repo = str(r["repo"])
        calls = tables.calls.get(repo)
        dimensions = sorted(set(calls["dimension"])) if calls is not None else []
        rows.append(
            (
                repo_link(repo),
                r["status"],
                r.get("purpose", ""),
                0 if calls is None else len(calls),
                ", ".join(human(d) for d in dimensions),
            )
        )
    listing = table(("repository", "status", "purpose", "calls", "dimensions"), rows, numeric=(3,))
    listing = listing.replace("<table>", '<table id="repositories">', 1)
    return _page(f"Repositories of {aggregates.study.name}", _FILTER + listing, 0)


def write_repo_pages(aggregates: Aggregates, out: Path) -> int:
    """Write every repository's page and the searchable table; remove pages of repositories
    the study no longer has. Returns how many pages were written."""
    tables = repo_tables(aggregates)
    folder = out / REPOS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = set()
    for summary in records(aggregates.study.repos):
        repo = str(summary["repo"])
        name = page_name(repo)
        _write(folder / name, repo_page(repo, summary, tables))
        written.add(name)
    for stale in folder.glob("*.html"):
        if stale.name not in written:
            stale.unlink()
    _write(out / INDEX, repositories_page(aggregates, tables))
    return len(written)


def _write(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return  # unchanged: keep the file as it is
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
