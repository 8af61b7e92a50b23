"""The byte-level pre-filter: can a file's MLflow use be resolved at all?

A call resolves to MLflow only through an import that names `mlflow` (a statement, or a
string given to an importer such as `importlib.import_module("mlflow")`), a `%run` of a
notebook that imported it, or an assignment of `MLFLOW_TRACKING_URI`/`MLFLOW_REGISTRY_URI`;
a `models:/` or `runs:/` literal is a fact without any of them. A file with none of these
cannot yield a call or a fact, so it is never parsed, unless it holds a marker of a library
that logs to MLflow for the user (the catalog's `[integrations]`: `MLFlowLogger`,
`report_to`, ...), whose indirect use must be resolved too. The test suite checks this never
loses a file of the accuracy table, and tests/fuzz that it never loses a finding of any
file. No libcst here: warm reruns that
hit the cache for every file never load the parser.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache

# Also after a JSON escape: a notebook cell's source may be one string, "x = 1\nimport mlflow".
# A model URI literal is a fact of its own, imported or not (a config module's
# MODEL_URI = "models:/churn/1"); the same prefixes as resolver_calls.MODEL_URI_PREFIXES.
MODEL_URI_PREFIXES = (b"models:/", b"runs:/")
_IMPORT_WORD = re.compile(rb"(?:\b|(?<=\\[nrt]))(?:import|from)\b")
# Compatibility characters NFKC folds into ASCII letters: fullwidth (U+FF21-FF5A, UTF-8
# EF BC/EF BD) and mathematical alphanumerics (U+1D400-1D7FF, UTF-8 F0 9D).
_FOLDABLE = (b"\xef\xbc", b"\xef\xbd", b"\xf0\x9d")


# Spellings most integration markers contain: a file without one is not searched for those
# markers (14 searches of every file become 8).
_MARKER_ANCHORS = (b"mlflow", b"MLflow", b"MLFlow")


@cache
def _integration_markers() -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """The catalog's integration markers, grouped under a substring they all contain."""
    from analyzers.code.catalog import load_catalog  # a cached TOML read, no parser

    groups: dict[bytes, list[bytes]] = {}
    for marker in load_catalog().integration_markers:
        anchor = next((a for a in _MARKER_ANCHORS if a in marker), marker)
        groups.setdefault(anchor, []).append(marker)
    return tuple((anchor, tuple(markers)) for anchor, markers in groups.items())


def _has_integration_marker(data: bytes) -> bool:
    return any(
        anchor in data and any(marker in data for marker in markers)
        for anchor, markers in _integration_markers()
    )


def may_use_mlflow(data: bytes) -> bool:
    """True unless the file certainly has no MLflow call, fact or indirect use to resolve."""
    if data[:4].count(0) or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 or UTF-32, which a notebook's JSON may be (json.loads reads all three).
        try:
            wide = data.decode(json.detect_encoding(data)).encode("utf-8", "surrogatepass")
        except (UnicodeError, LookupError):
            wide = b""
        if _may_use_mlflow(wide):
            return True
    return _may_use_mlflow(data)


def _may_use_mlflow(data: bytes) -> bool:
    # MLFLOW_TRACKING_URI and MLFLOW_REGISTRY_URI, and `MLFLOW_URI = "http://..."`: a constant
    # another module may import.
    if b"MLFLOW_" in data:
        return True
    if any(prefix in data for prefix in MODEL_URI_PREFIXES):
        return True
    if _has_integration_marker(data):
        return True
    if b"mlflow" in data:
        return _names_mlflow_in_an_import(data)
    if data.isascii() or not any(marker in data for marker in _FOLDABLE):
        return False
    # Python NFKC-normalises identifiers: a fullwidth `import mlflow` imports mlflow.
    text = unicodedata.normalize("NFKC", data.decode("utf-8", errors="ignore"))
    return "mlflow" in text and _names_mlflow_in_an_import(text.encode("utf-8"))


def _names_mlflow_in_an_import(data: bytes) -> bool:
    """Whether some `mlflow` stands on an import line, in quotes (a module name given to an
    importer, or any code line of a notebook's JSON), after a line continuation, or in a
    notebook that `%run`s another."""
    if b"%run" in data:
        return True
    start = 0
    while (index := data.find(b"mlflow", start)) != -1:
        line_start = data.rfind(b"\n", 0, index) + 1
        before = data[line_start:index]
        if before.endswith((b'"', b"'")) or _IMPORT_WORD.search(before):
            return True
        if not before.strip() and data[:line_start].rstrip(b"\r\n").endswith(b"\\"):
            return True  # `from \` newline `mlflow import x`
        start = index + 6
    return False
