"""Shares with 95% Wilson intervals, DataFrames with exactly their documented columns and types,
and masks of catalog groups."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import pandas as pd

from analyzers.code.catalog import load_catalog
from analyzers.schema import Column, ColumnType, study_table

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of `successes / trials`; (nan, nan) when `trials` is 0."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return math.nan, math.nan
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def share_interval(k: int, n: int) -> tuple[float, float, float]:
    return (k / n if n else math.nan, *wilson_interval(k, n))


def table_frame(table: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A DataFrame with exactly the columns `analyzers.schema` declares for `table`, in order,
    each holding its declared type: a column pandas could not type (an empty table, missing
    values) is given the declared one, so an empty table has the types of a full one."""
    declared = study_table(table).columns
    names = [column.name for column in declared]
    frame = pd.DataFrame(list(rows), columns=names)
    if list(frame.columns) != names:
        raise AssertionError(f"{table}: columns {list(frame.columns)} != {names}")
    retype = {c.name: c.dtype for c in declared if not _holds(frame[c.name], c)}
    return frame.astype(retype) if retype else frame


def _holds(series: pd.Series, column: Column) -> bool:
    """Whether `series` already has a dtype of the column's declared type."""
    if column.type is ColumnType.BOOLEAN:
        return pd.api.types.is_bool_dtype(series.dtype)
    if column.type is ColumnType.INTEGER:
        return pd.api.types.is_integer_dtype(series.dtype)
    if column.type is ColumnType.NUMBER:
        return pd.api.types.is_float_dtype(series.dtype)
    return str(series.dtype) == column.dtype


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of `frame` as dicts keyed by column name (pandas types the keys Hashable)."""
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def with_share(row: dict[str, Any], k: str = "n_using", n: str = "n_analysed") -> dict[str, Any]:
    share, low, high = share_interval(row[k], row[n])
    return {**row, "share": share, "ci_low": low, "ci_high": high}


def as_number(text: object) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isdigit() else None


def as_int(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """`columns` as nullable integers (pandas `Int64`) whatever they hold: positions are
    `Int64` in every table, so their Parquet type does not depend on the study."""
    for column in columns:
        frame[column] = pd.array(list(frame[column]), dtype="Int64")
    return frame


def position_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        row["repo"],
        row["path"],
        -1 if row["cell"] is None else row["cell"],
        -1 if row["line"] is None else row["line"],
    )


def joined(values: Iterable[str], order: Sequence[str] | None = None) -> str:
    distinct = {value for value in values if value}
    if order is None:
        return ";".join(sorted(distinct))
    return ";".join(
        sorted(distinct, key=lambda v: (order.index(v) if v in order else len(order), v))
    )


def in_group(names: pd.Series, group: str) -> pd.Series:
    """Which of `names` (canonical APIs, or tag keys) belong to the catalog group `group`."""
    members = load_catalog().group(group)
    mask = names.isin(list(members.names))
    if members.prefixes:
        mask |= names.str.startswith(members.prefixes)
    if members.suffixes:
        mask |= names.str.endswith(members.suffixes)
    return mask
