"""(being written) `lastmile` commands: backup."""

from __future__ import annotations


def add_commands(sub) -> None:
    return None
