"""The byte-level pre-filter: can a file's MLflow use be resolved at all?

A call resolves to MLflow only through an import that names `mlflow` (a statement, or a
string given to an importer such as `importlib.import_module("mlflow")`), a `%run` of a
notebook that imported it, or an assignment of `MLFLOW_TRACKING_URI`/`MLFLOW_REGISTRY_URI`.
A file with none of these cannot yield a call or a fact, so it is never parsed. The test
suite checks this never loses a file of the accuracy table. No libcst here: warm reruns that
hit the cache for every file never load the parser.
"""

from __future__ import annotations

import re
import unicodedata

_RESOLVABLE = re.compile(
    rb"""\bimport[\s\\(]+(?:[^\n;#]*?[\s,(])?mlflow\b     # import mlflow / import os, mlflow
        |\bfrom[\s\\]+mlflow\b                            # from mlflow[.x] import y
        |["']mlflow\b                                     # import_module("mlflow"), JSON
        |MLFLOW_(?:TRACKING|REGISTRY)_URI
        |%run\b""", re.VERBOSE)


def may_use_mlflow(data: bytes) -> bool:
    """True unless the file certainly has no MLflow call or fact to resolve.

    Identifiers are NFKC-normalised by Python, so non-ASCII files are normalised first.
    """
    if b"mlflow" in data or b"MLFLOW_" in data:
        return _RESOLVABLE.search(data) is not None
    if data.isascii():
        return False
    text = unicodedata.normalize("NFKC", data.decode("utf-8", errors="ignore"))
    return "mlflow" in text and _RESOLVABLE.search(text.encode("utf-8")) is not None
