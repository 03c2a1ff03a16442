"""How fast this machine runs pure Python, against the machine the judging reserve was measured on.

The checker re-walks every plan in Python; on a day with drivers' breaks that is the largest
part of judging (3.2 s for the Gothenburg 1000-order day on the reference machine, where a
PyVRP plan is validated by OR-Tools in 0.4 s). A reserve in fixed seconds is too short on a
slower machine (the call overruns its limit) and too long on a faster one (budget left unused),
so the portfolio scales it by :func:`machine_pace`.
"""

from __future__ import annotations

import functools
import time

LOOP = 200_000  # additions in one timing: about 13.5 ms on the reference machine (8 to 15 ms seen there)
REFERENCE_S = 0.0135  # the loop's best of five on the reference machine (2-core, 2026-12-04)


def _loop() -> float:
    t0 = time.perf_counter()
    total = 0
    for i in range(LOOP):
        total += i
    return time.perf_counter() - t0


@functools.cache
def machine_pace() -> float:
    """Seconds this machine takes for what the reference machine does in one (best of five
    timings of a pure-Python loop, measured once per process; between 0.25 and 4)."""
    return min(4.0, max(0.25, min(_loop() for _ in range(5)) / REFERENCE_S))
