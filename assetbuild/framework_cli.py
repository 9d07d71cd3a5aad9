"""The ``assetbuild`` commands as the framework integrations offer them (``flask assetbuild``,
``manage.py assetbuild``): the same command line, run in-process, never re-implemented."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .errors import EXIT_USAGE


def available(command: str) -> bool:
    """Whether this version of the command line has ``command`` (``watch`` comes with development mode)."""
    from .cli import main_parser

    for action in main_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return command in action.choices
    return False


def run(command: str, args: Sequence[str] = (), adjust_config: Callable | None = None) -> int:
    """``assetbuild COMMAND ARGS...``; its exit status. ``adjust_config`` as in ``cli.main``."""
    from .cli import main

    if not available(command):
        print(f"assetbuild {command}: not yet available in this version of assetbuild", file=sys.stderr)
        return EXIT_USAGE
    return main([command, *args], adjust_config)
