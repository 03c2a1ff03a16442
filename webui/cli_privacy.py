"""(being written) `lastmile` commands: privacy."""

from __future__ import annotations


def add_commands(sub) -> None:
    return None
