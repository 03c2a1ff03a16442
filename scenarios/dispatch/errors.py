"""Errors of the dispatcher's day whose messages are fit to show the dispatcher as they are."""

from __future__ import annotations

from typing import Sequence


class DayError(ValueError):
    """Something about the day the dispatcher must fix (bad file, no customers, bad edit);
    ``problems`` has one line per problem."""

    def __init__(self, message: str, problems: Sequence[str] = ()):
        self.problems = list(problems)
        super().__init__(message)


class JobFailed(Exception):
    """A solve that could not be made, with a plain message for the dispatcher (bad input, no
    orders, nothing to plan); the traceback of any other failure goes to the log only."""
