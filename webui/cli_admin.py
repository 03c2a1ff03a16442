"""(being written) `lastmile` commands: admin."""

from __future__ import annotations


def add_commands(sub) -> None:
    return None
