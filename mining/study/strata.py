"""After analysis, what each analysed repository is: its purpose and its cluster.

Both are decided when the study is merged, from each repository's own tables: `layout.csv` and
the dataset's description and topics give the purpose (`analyzers.repo.purpose`); `blobs.csv`,
restricted to the `.py` and `.ipynb` files `files.csv` lists, gives the content that
near-duplicate clustering compares (`analyzers.study.duplicates`). Nothing is cloned or scanned
again, so a change of the purpose rules or of the duplicate threshold costs one merge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from analyzers.repo.purpose import classify, evidence_from_row
from analyzers.study.duplicates import Member, cluster
from analyzers.tables import read_csv_rows

CODE_KINDS = frozenset({"script", "notebook"})


@dataclass(frozen=True, slots=True)
class Stratum:
    """The repos.csv cells of an analysed repository beyond its outcome."""

    purpose: str
    purpose_rule: str
    duplicate_of: str
    cluster_size: int


def strata(
    rows: Iterable[Mapping[str, str]],
    analysed: set[str],
    out_dir: Callable[[str], Path],
    threshold: float,
) -> dict[str, Stratum]:
    """A stratum for every analysed repository of the dataset `rows`."""
    purposes: dict[str, tuple[str, str]] = {}
    members = []
    for row in rows:
        name = row["full_name"]
        if name not in analysed:
            continue
        folder = out_dir(name)
        purposes[name] = _purpose(folder, row)
        members.append(
            Member(name, _content(folder), row.get("created_at", ""), _stars(row.get("stars")))
        )
    placements = cluster(members, threshold)
    return {
        name: Stratum(purpose, rule, placements[name].duplicate_of, placements[name].cluster_size)
        for name, (purpose, rule) in purposes.items()
    }


def _purpose(folder: Path, row: Mapping[str, str]) -> tuple[str, str]:
    layout = folder / "layout.csv"
    evidence_row = next(iter(read_csv_rows(layout)), None) if layout.exists() else None
    topics = [t for t in (row.get("topics") or "").split(";") if t]
    evidence = evidence_from_row(
        evidence_row or {"repo": row["full_name"]}, row.get("description") or "", topics
    )
    verdict = classify(evidence)
    return verdict.purpose, verdict.rule


def _content(folder: Path) -> frozenset[str]:
    """Blob SHAs of the repository's analysed .py and .ipynb files."""
    blobs, files = folder / "blobs.csv", folder / "files.csv"
    if not blobs.exists() or not files.exists():
        return frozenset()
    seen = {row["path"] for row in read_csv_rows(files) if row.get("kind") in CODE_KINDS}
    return frozenset(row["blob"] for row in read_csv_rows(blobs) if row["path"] in seen)


def _stars(value: str | None) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else 0
