"""Hypothesis profiles for the fuzzing harness.

`ci` (the default, `make test`): a few hundred examples in all, derandomized, so every run of
the suite tries the same inputs. `fuzz` (`make fuzz`): many examples from random seeds, with
failures kept in Hypothesis's example database so the next run replays them first.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")),
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(ci: int) -> int:
    """`ci` examples under the ci profile; the profile's own number under any other."""
    return ci if settings.default.derandomize else settings.default.max_examples
