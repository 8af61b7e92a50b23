"""One registry of repository detectors, read in one walk: what a checkout's files say about
its environment, dependencies, tracking URIs and the MLOps tools beside MLflow.

A detector (`base.Detector`) has an ID, the paths it reads, a function from (path, content) to
findings, a description, and its own examples: `finds` (what it must find in a file) and
`ignores` (files where it must find nothing more), from which tests are generated, as Fixit
does with its rules. A finding is a row of `signals.csv`, `ecosystem.csv` or `indirect.csv`;
one detector can write several (a `uv.lock` is an environment file and evidence of uv).

* `configuration`: MLproject, Dockerfiles, DVC, `.env`, Compose, GitHub workflows, Hydra trees.
* `dependencies`: requirements, pyproject, setup.py/cfg, Pipfile, conda, python_env, lock files.
* `code`: Python imports and calls of MLOps tools, in scripts and notebooks.
* `integrations`: configuration that makes a library log to MLflow (indirect uses).
* `walk`: the one walk (git tree names, file contents), `detect_repository`.

Adding a detector: write its function in the family it belongs to, add a `Detector` with the
next free ID, its patterns, description and examples; the tests and README.md (make docs) follow.
"""

from analyzers.repo.detectors.base import Content, Detector, Example, Finding
from analyzers.repo.detectors.registry import DETECTOR_IDS, DETECTORS
from analyzers.repo.detectors.walk import detect_file, detect_repository, tree_paths

__all__ = [
    "DETECTORS",
    "DETECTOR_IDS",
    "Content",
    "Detector",
    "Example",
    "Finding",
    "detect_file",
    "detect_repository",
    "tree_paths",
]
