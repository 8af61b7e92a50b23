"""Loads the Hypothesis profile (`HYPOTHESIS_PROFILE`: `ci` by default, `fuzz` for make fuzz)."""

from tests.fuzz import profiles  # noqa: F401
