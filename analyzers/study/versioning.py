"""Model versioning in the registry: model URI kinds, semantic versions and tokens in names.

Values come from facts.csv: `model-uri` (string literals starting `models:/` or `runs:/`) and
`registered-model-name` (the name given to register_model, log_model's registered_model_name=,
and the client's registry methods). `{…}` marks a non-literal part of an f-string or a
concatenation. Everything here is pure and total.

The naming measures follow the Hugging Face model-naming study (79% of the models there follow
no semantic versioning), so that the share found for MLflow's registry can be set beside it.
"""

from __future__ import annotations

import re

from analyzers.study.locations import PLACEHOLDER

# The Hugging Face naming study: share of models whose name follows no semantic versioning.
HF_NO_SEMVER_SHARE = 0.79

MODEL_URI_KINDS: dict[str, str] = {
    "stage": "models:/NAME/STAGE with STAGE Production, Staging, Archived or None (any case): "
    "the deprecated stage lifecycle",
    "alias": "models:/NAME@ALIAS: the alias lifecycle (MLflow 2.3+)",
    "version": "models:/NAME/N: a pinned version number",
    "latest": "models:/NAME/latest: the newest version, whatever it is",
    "logged-model": "models:/m-ID: a logged model by id (MLflow 3), no registry involved",
    "run": "runs:/RUN_ID/PATH: a model straight from a run, no registry involved",
    "unknown": "anything else: a suffix that is not a literal, not a stage, or a malformed URI",
}
STAGES = frozenset({"production", "staging", "archived", "none"})
_MODEL_ID = re.compile(r"m-[0-9a-f]{8,}", re.IGNORECASE)

SEMVER_PATTERNS: dict[str, str] = {
    "vX": "v2, V3: a major version after v",
    "vX.Y": "v1.2",
    "vX.Y.Z": "v1.2.3",
    "vX-Y": "v1-2",
    "X.Y": "1.2, without v (a year as X is a date, not a version)",
    "X.Y.Z": "1.0.3, without v",
    "X-Y": "1-2, without v, each part at most three digits (so 2024-01 is a date)",
}

# `v` opens a version at the start, after a separator, or as an uppercase V after a lowercase
# letter or digit (camelCase: ChurnModelV2); `mobilenetv2` is a name, not a version.
_V_VERSION = re.compile(
    r"(?:^|(?<=[^A-Za-z0-9])|(?<=[a-z0-9])(?=V))[vV](\d+)"
    r"(?:(\.)(\d+)(?:(\.)(\d+))?|(-)(\d{1,3}))?(?![A-Za-z0-9]|\.\d)"
)
_DOTTED_VERSION = re.compile(r"(?<![A-Za-z0-9.])(\d+)\.(\d+)(?:\.(\d+))?(?![A-Za-z0-9]|\.\d)")
_DASHED_VERSION = re.compile(r"(?<![A-Za-z0-9.])(\d{1,3})-(\d{1,3})(?![A-Za-z0-9]|[.\-]\d)")
_YEAR = re.compile(r"(?:19|20)\d\d")

TOKEN_KINDS: dict[str, str] = {
    "version": "v followed by a number (v2)",
    "date": "a year (2024), year and month (202401) or a full date (20240115)",
    "parameter-count": "a parameter count: 7b, 125m, 8x7b",
    "size-label": "a size variant: base, large, small, tiny, mini, medium, xl, ...",
    "fine-tuned": "a fine-tuning mark: finetuned (fine-tuned, fine_tuned), finetune, ft, sft, "
    "tuned",
    "number": "any other number",
    "word": "anything else",
}
SIZE_LABELS = frozenset(
    {
        "base",
        "large",
        "small",
        "tiny",
        "mini",
        "medium",
        "xl",
        "xxl",
        "xlarge",
        "xxlarge",
        "huge",
        "big",
        "nano",
        "micro",
        "xs",
        "lite",
    }
)
FINE_TUNED = frozenset({"finetuned", "finetune", "finetuning", "ft", "sft", "tuned"})
_PARAMETER_COUNT = re.compile(r"\d+(?:\.\d+)?(?:x\d+)?[kmbt]")
_DATE = re.compile(r"(?:19|20)\d\d(?:(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])?)?")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")


def classify_model_uri(value: str) -> str:
    """The kind of a model URI literal (a key of `MODEL_URI_KINDS`)."""
    text = (value or "").strip()
    lower = text.lower()
    if lower.startswith("runs:/"):
        return "run"
    if not lower.startswith("models:/"):
        return "unknown"
    path = re.split(r"[?#]", text[len("models:/") :], maxsplit=1)[0].lstrip("/")
    parts = path.split("/")
    name = parts[0]
    if "@" in name:
        model, _, alias = name.partition("@")
        return "alias" if model and alias and len(parts) == 1 else "unknown"
    if not name:
        return "unknown"
    suffix = parts[1] if len(parts) > 1 else ""
    if not suffix:
        return "logged-model" if len(parts) <= 2 and _MODEL_ID.fullmatch(name) else "unknown"
    if PLACEHOLDER in suffix:
        return "unknown"
    if suffix.isascii() and suffix.isdigit():
        return "version"
    if suffix.lower() == "latest":
        return "latest"
    return "stage" if suffix.lower() in STAGES else "unknown"


def semantic_version(name: str) -> tuple[str, str]:
    """(pattern, version) of the first semantic version in a model name, else ("", "").

    `churn-model-v2` -> ("vX", "v2"), `bert_1.0.3` -> ("X.Y.Z", "1.0.3"),
    `model-2024.01` -> ("", ""): a year-first dotted number is a date.
    """
    found: list[tuple[int, str, str]] = []
    match = _V_VERSION.search(name)
    if match:
        pattern = (
            "vX"
            + (".Y" if match[2] else "")
            + (".Z" if match[4] else "")
            + ("-Y" if match[6] else "")
        )
        found.append((match.start(), pattern, match[0]))
    for match in _DOTTED_VERSION.finditer(name):
        if not (len(match[1]) == 4 and _YEAR.fullmatch(match[1])):
            found.append((match.start(), "X.Y.Z" if match[3] else "X.Y", match[0]))
            break
    match = _DASHED_VERSION.search(name)
    if match:
        found.append((match.start(), "X-Y", match[0]))
    if not found:
        return "", ""
    _, pattern, version = min(found)
    return pattern, version


def name_tokens(name: str) -> list[str]:
    """A model name's tokens, lowercase: split on `-`, `_`, `.`, ` `, `/` and camelCase; a
    non-literal part splits too and is dropped. `fine-tuned` stays one token, `finetuned`."""
    text = re.sub(r"fine[-_. ]?tuned", "finetuned", name, flags=re.IGNORECASE)
    text = text.replace(PLACEHOLDER, " ")
    tokens = []
    for part in re.split(r"[-_. /]+", text):
        tokens += [token.lower() for token in _CAMEL.split(part) if token]
    return tokens


def token_kind(token: str) -> str:
    """The kind of a name token (a key of `TOKEN_KINDS`)."""
    token = token.lower()
    if re.fullmatch(r"v\d+", token):
        return "version"
    if token.isdigit() and _DATE.fullmatch(token) and len(token) in (4, 6, 8):
        return "date"
    if _PARAMETER_COUNT.fullmatch(token):
        return "parameter-count"
    if token in SIZE_LABELS:
        return "size-label"
    if token in FINE_TUNED:
        return "fine-tuned"
    if token.isdigit():
        return "number"
    return "word"


__all__ = [
    "FINE_TUNED",
    "HF_NO_SEMVER_SHARE",
    "MODEL_URI_KINDS",
    "SEMVER_PATTERNS",
    "SIZE_LABELS",
    "STAGES",
    "TOKEN_KINDS",
    "classify_model_uri",
    "name_tokens",
    "semantic_version",
    "token_kind",
]
