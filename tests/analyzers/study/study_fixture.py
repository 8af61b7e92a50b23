"""The hand-written study directory the aggregate, findings, report and export tests share."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from tests.paths import STUDY


def copy_study(tmp_path: Path) -> Path:
    """A private copy of the fixture study, for tests that change or add files."""
    target = tmp_path / "study"
    shutil.copytree(STUDY, target)
    return target


def read_csv(path: Path) -> list[dict[str, str]]:
    """A CSV's rows as written (no cell restored): what a spreadsheet or pandas would see."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
