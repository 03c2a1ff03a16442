"""Stopping a solve early: a check the engines ask between search steps.

A *stop check* is a function of no arguments that returns True once the caller wants the
search to end. The engines ask it often (OR-Tools at every accepted solution, PyVRP at every
iteration), so it must be cheap: cache anything slow (a database read) behind it.

Pass one explicitly (``solve(..., should_stop=check)``), or set it for everything a block of
code solves, however deep the call::

    with stop_when(progress.should_stop):
        workbench.plan(date, user, time_limit_s)

A stopped solve still returns its best plan so far, judged like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

StopCheck = Callable[[], bool]

_current: ContextVar[StopCheck | None] = ContextVar("lastmile_stop_check", default=None)


@contextmanager
def stop_when(check: StopCheck | None) -> Iterator[None]:
    """Within the block, solves run by this thread end early once ``check()`` returns True."""
    token = _current.set(check)
    try:
        yield
    finally:
        _current.reset(token)


def current_stop_check() -> StopCheck | None:
    """The stop check set by the innermost :func:`stop_when` of this thread (None outside one)."""
    return _current.get()
