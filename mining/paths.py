"""Where mlflow-miner keeps things it can rebuild: the XDG cache convention."""

from __future__ import annotations

import os
from pathlib import Path

APP = "mlflow-miner"


def cache_root() -> Path:
    """`$XDG_CACHE_HOME/mlflow-miner`, or `~/.cache/mlflow-miner` when the variable is unset."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / APP
