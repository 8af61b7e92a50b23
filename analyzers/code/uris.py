"""URIs as they may be stored: never with a credential in them."""

from __future__ import annotations

import re

REDACTED = "***"
_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)"
    r"(?P<userinfo>[^/?#@\s]*:[^?#\s]*|[^/?#\s]*)@"
)


def redact_uri(value: str) -> str:
    """`value` with any user, password and query or fragment parameter value replaced by `***`.

    `postgresql://user:s3cr3t@db/mlflow` -> `postgresql://***:***@db/mlflow`,
    `https://token@host/x?key=abc&x` -> `https://***@host/x?key=***&***`. Idempotent; a value
    without `://` (a path, `env:NAME`, `databricks`) is returned as it is.
    """
    if "://" not in value:
        return value
    text = _USERINFO.sub(_redact_userinfo, value)
    for mark in ("?", "#"):
        head, sep, tail = text.partition(mark)
        if sep:
            if mark == "?":
                tail, hash_, fragment = tail.partition("#")
                text = (
                    head
                    + sep
                    + _redact_parameters(tail)
                    + hash_
                    + (_redact_parameters(fragment) if hash_ else "")
                )
            else:
                text = head + sep + _redact_parameters(tail)
            break
    return text


def _redact_userinfo(match: re.Match[str]) -> str:
    parts = match["userinfo"].split(":", 1)
    return match["scheme"] + ":".join(REDACTED if part else part for part in parts) + "@"


def _redact_parameters(query: str) -> str:
    if not query:
        return query
    out = []
    for item in re.split(r"([&;])", query):
        if item in ("&", ";") or not item:
            out.append(item)
        elif "=" in item:
            key, _, value = item.partition("=")
            out.append(f"{key}={REDACTED if value else ''}")
        else:
            out.append(REDACTED)  # a bare token
    return "".join(out)
