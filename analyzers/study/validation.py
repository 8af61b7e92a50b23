"""The validation protocol: a stratified random sample of what the tool reported and of what it
may have missed, judged by people, scored with Wilson intervals, written into the study."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzers.study.macros import Macro, share_macros

VALIDATION_FILE = "validation.json"


def read_validation(study_dir: Path) -> dict[str, Any] | None:
    """The study's scored validation, or None when it has none (or an unreadable one)."""
    try:
        data = json.loads((study_dir / VALIDATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "precision" in data else None


def validation_macros(validation: Mapping[str, Any] | None) -> list[Macro]:
    """`\\mmPrecision...`, `\\mmMissRate...` and `\\mmKappa`, once the study is validated."""
    if not validation:
        return []
    found = []
    for stem, key in (("precision", "precision"), ("miss rate", "miss_rate")):
        part = validation[key]
        found += share_macros(
            (stem,),
            int(part["k"]),
            int(part["n"]),
            float(part["share"]),
            float(part["ci_low"]),
            float(part["ci_high"]),
            f"validation.json: {key}",
        )
    agreement = validation.get("agreement")
    if isinstance(agreement, Mapping):
        found.append(Macro("mmKappa", f"{float(agreement['kappa']):.2f}", "validation.json"))
    return found
