"""How many CPU cores a solve may use.

The portfolio relays PyVRP and OR-Tools over two cores when it has them. A solve that shares
its machine with other work says how many cores are its own, explicitly
(``solve(..., cores=1)``) or for everything a block of code solves, however deep the call::

    with using_cores(worker_threads):
        workbench.plan(date, user, time_limit_s)

A Dask worker of the server passes its own thread count, so the serving process and the
worker next to it keep the cores the worker does not own. Outside such a block a solve may
use every core this process may run on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[int | None] = ContextVar("lastmile_solve_cores", default=None)


def machine_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this system
        return max(1, os.cpu_count() or 1)


def _checked(cores: int) -> int:
    if int(cores) < 1:
        raise ValueError(f"cores: {cores!r}; give 1 or more")
    return int(cores)


@contextmanager
def using_cores(cores: int) -> Iterator[None]:
    """Within the block, solves run by this thread use at most ``cores`` cores (at least 1)."""
    token = _current.set(_checked(cores))
    try:
        yield
    finally:
        _current.reset(token)


def solve_cores(cores: int | None = None) -> int:
    """The cores a solve may use: ``cores`` if given, else the innermost :func:`using_cores`,
    else :func:`machine_cores`."""
    if cores is not None:
        return _checked(cores)
    found = _current.get()
    return found if found is not None else machine_cores()
