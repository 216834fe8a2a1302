"""Hypothesis budgets for the bad-input property tests, and a count of the examples they ran.

Two profiles, chosen by the environment variable ``HYPOTHESIS_PROFILE``:

- ``ci`` (the default): each property runs its own ``max_examples`` (a few thousand for the
  cheap pure inputs, fewer where one example drives the whole pipeline), so that every property
  module together stays within about three minutes on a 2-core machine;
- ``long``: ten times as many examples per property, for a nightly or a pre-release run.

``ci`` is derandomized (the same examples on every run, so a red CI run is reproducible and
never a coin toss); ``long`` draws fresh ones each time and is how new failures are found.

Tests take their settings from ``budget(n)`` (never a bare ``@settings``), so the profile
scales every one of them alike. Deadlines are off: a shared CI machine is noisy, and speed is
the benchmark's job, not a test's.

``counted(name)`` counts the examples a property actually ran, per input; with
``HYPOTHESIS_COUNTS_FILE`` set, the counts are written there as JSON at exit (merged with what
is already in the file), which is how the numbers in the issue's closing note were recorded.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, settings

PROFILES = {"ci": 1, "long": 10}
DERANDOMIZE = {"ci": True, "long": False}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in PROFILES:
    raise RuntimeError(
        f"HYPOTHESIS_PROFILE={PROFILE!r}: unknown profile (known: {', '.join(PROFILES)})"
    )
MULTIPLIER = PROFILES[PROFILE]

_SLOW_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
for _name, _factor in PROFILES.items():
    settings.register_profile(
        _name,
        deadline=None,
        max_examples=100 * _factor,
        suppress_health_check=_SLOW_CHECKS,
        derandomize=DERANDOMIZE[_name],
    )
settings.load_profile(PROFILE)

COUNTS: Counter[str] = Counter()
_lock = threading.Lock()


def budget(examples: int) -> settings:
    """Settings for one property: ``examples`` in the ci profile, ten times that in long."""
    return settings(
        max_examples=examples * MULTIPLIER,
        deadline=None,
        suppress_health_check=[*_SLOW_CHECKS, HealthCheck.function_scoped_fixture],
        print_blob=True,
        derandomize=DERANDOMIZE[PROFILE],
    )


def counted(name: str) -> None:
    """Count one example run for the input ``name``."""
    with _lock:
        COUNTS[name] += 1


def _write_counts() -> None:
    target = os.environ.get("HYPOTHESIS_COUNTS_FILE")
    if not target or not COUNTS:
        return
    path = Path(target)
    merged: Counter[str] = Counter()
    if path.exists():
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    merged.update(COUNTS)
    path.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n", encoding="utf-8")


atexit.register(_write_counts)
