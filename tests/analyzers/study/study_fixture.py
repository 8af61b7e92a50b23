"""The hand-written study directory the aggregate, findings, report and export tests share."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.paths import STUDY


def copy_study(tmp_path: Path) -> Path:
    """A private copy of the fixture study, for tests that change or add files."""
    target = tmp_path / "study"
    shutil.copytree(STUDY, target)
    return target
