"""URIs as they may be stored: never with a credential in them."""

from __future__ import annotations

import re

REDACTED = "***"
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][\w+.-]*://)(?P<userinfo>[^/@\s?#]*)@")
_QUERY_VALUE = re.compile(r"(?P<key>[?&;][^=&;#]*=)(?P<value>[^&;#]*)")


def redact_uri(value: str) -> str:
    """`value` with the user, password and every query-parameter value replaced by `***`.

    `postgresql://user:pw@db/x?token=abc` becomes `postgresql://***:***@db/x?token=***`.
    Idempotent, and a value that is not a URI is returned as it is.
    """
    match = _USERINFO.match(value)
    if match:
        userinfo = match.group("userinfo")
        hidden = f"{REDACTED}:{REDACTED}" if ":" in userinfo else REDACTED
        value = match.group("scheme") + hidden + "@" + value[match.end():]
    head, question, query = value.partition("?")
    if question:
        query = _QUERY_VALUE.sub(lambda m: m.group("key") + REDACTED, "?" + query)[1:]
        value = head + "?" + query
    return value
