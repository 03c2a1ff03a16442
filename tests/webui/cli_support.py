"""Running one CLI module's commands in-process, as ``lastmile`` would (no subprocess)."""

from __future__ import annotations

import argparse
from typing import Callable


def command_runner(add_commands: Callable) -> Callable[[list[str]], int]:
    """``lastmile(argv) -> exit code`` over a parser holding only ``add_commands``' commands;
    :class:`webui.cli.BadInput` propagates (``lastmile`` itself turns it into exit 2)."""

    def lastmile(argv: list[str]) -> int:
        parser = argparse.ArgumentParser(prog="lastmile")
        add_commands(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(argv)
        return args.func(args)

    return lastmile
