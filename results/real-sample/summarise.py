"""Copy the derived numbers of a real-sample study into this folder (nothing of the repositories'
code: counts, shares, file paths and line numbers).

    python results/real-sample/summarise.py STUDY_DIR

STUDY_DIR is the `output` of real-sample.toml (its `export/` written by the study). Writes:
sample.csv (each repository, its pinned commit and how it ended), the export's headline.csv,
populations.csv, indirect_uses.csv, location_shares.csv, traceability_shares.csv and
registry_summary.csv, curve.csv (the adoption curve's MLflow row each January), survival.csv
(the Kaplan-Meier estimate of MLflow at each step) and unresolved.csv (every location of class
unknown, with whether its repository is location-unresolved).
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COPIED = (
    "headline.csv",
    "populations.csv",
    "indirect_uses.csv",
    "location_shares.csv",
    "traceability_shares.csv",
    "registry_summary.csv",
)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(name: str, columns: list[str], data: list[dict[str, str]]) -> None:
    with open(HERE / name, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(data)


def main(study: Path) -> None:
    export = study / "export"
    for name in COPIED:
        shutil.copyfile(export / name, HERE / name)
    write("sample.csv", ["repo", "commit", "status", "files", "calls", "detail"], rows(study / "repos.csv"))
    curve = [
        r for r in rows(export / "adoption_curve.csv") if r["dimension"] == "mlflow" and r["month"].endswith("-01")
    ]
    write("curve.csv", ["month", "n_using", "n_existing", "n_repos", "share", "ci_low", "ci_high"], curve)
    survival = [r for r in rows(export / "adoption_survival.csv") if r["dimension"] == "mlflow"]
    columns = ["days", "n_at_risk", "n_events", "n_censored", "adopted", "ci_low", "ci_high", "n_repos"]
    write("survival.csv", columns, survival)
    locations = rows(export / "locations.csv")
    classes: dict[str, set[str]] = {}
    for r in locations:
        classes.setdefault(r["repo"], set()).add(r["location"])
    unresolved = [
        {**r, "repo_unresolved": str(classes[r["repo"]] == {"unknown"}).lower()}
        for r in locations
        if r["location"] == "unknown"
    ]
    columns = ["repo", "path", "cell", "line", "setting", "source", "repo_unresolved"]
    write("unresolved.csv", columns, unresolved)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
