"""Hypothesis profiles for the fuzz tests (issue 20): short and reproducible in CI, long by hand.

Every ``test_*_fuzz.py`` module (and the h11 differential test) imports
``PROFILE`` from here; importing loads one profile for the whole run:

* ``ci`` (the default): few examples per test, ``derandomize=True`` so a run
  is the same on every machine and a failure reproduces with the same
  command; the whole fuzz suite takes a few seconds.
* ``long``: random inputs, ``JACKFIELD_FUZZ_EXAMPLES`` examples per test
  (default 2000). Chosen with ``JACKFIELD_FUZZ=long``; ``bench/fuzz.py`` runs
  it in rounds with fresh seeds and counts the inputs.

No example database is written: a failure prints the falsifying example,
which goes into a regression test.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, settings

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("JACKFIELD_FUZZ_EXAMPLES", "2000")),
    derandomize=False,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)

PROFILE: Final = os.environ.get("JACKFIELD_FUZZ", "ci")
if PROFILE not in ("ci", "long"):
    raise RuntimeError(f"JACKFIELD_FUZZ={PROFILE!r} is not a fuzz profile; use 'ci' or 'long'")
settings.load_profile(PROFILE)
