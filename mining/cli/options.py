"""Options shared by several commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


if TYPE_CHECKING:
    _ParamType = click.ParamType[int, Any]
else:
    _ParamType = click.ParamType


class Duration(_ParamType):
    """A duration as `90s`, `30m`, `12h`, `1d` (or plain seconds), converted to seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", str(value))
        if not match or int(match[1]) == 0:
            self.fail(f"{value!r} is not a duration such as 1d, 12h, 30m or 90s", param, ctx)
        return int(match[1]) * _UNITS[match[2] or "s"]


def max_retry_seconds(function: F) -> F:
    return click.option(
        "--max-retry-seconds",
        type=click.FloatRange(min=0),
        default=60.0,
        show_default=True,
        help="Per API request: stop retrying a dead or failing API after this many seconds "
        "of failed attempts and back-off (plus at most one request's 30 s timeout).",
    )(function)


def min_slice(function: F) -> F:
    return click.option(
        "--min-slice",
        type=Duration(),
        default="1d",
        show_default=True,
        help="Narrowest created: range the search is split into. A range this narrow that "
        "still holds over 1000 results, or that GitHub keeps answering as incomplete, is "
        "listed as it is and reported as truncated.",
    )(function)


# A study directory as report, export and validate take it: one that exists.
study_dir_argument = click.argument(
    "study_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
