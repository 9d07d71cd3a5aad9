"""``manage.py assetbuild build|watch|verify``: the command line, with Django's static folders.

The build reads the configured ``source`` first, then every folder that Django's static
finders know (``STATICFILES_DIRS`` with their prefixes, each app's ``static/``), in finder
order: the first folder that has a name wins, as with ``findstatic``. It builds for
``STATIC_URL``, so that the release is served where ``{% static %}`` points, and checks the
asset names in the templates of ``TEMPLATES[...]["DIRS"]`` as well as the configured ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand

from ....cli import main

COMMANDS = ("build", "watch", "verify")


def static_folders() -> tuple[tuple[str, Path], ...]:
    """(logical prefix, folder) of every folder the static finders search, in their order."""
    folders: list[tuple[str, Path]] = []
    for finder in finders.get_finders():
        if isinstance(finder, finders.FileSystemFinder):
            folders += [(prefix or "", Path(root)) for prefix, root in finder.locations]
        elif isinstance(finder, finders.AppDirectoriesFinder):
            folders += [("", Path(storage.location)) for storage in finder.storages.values()]
        else:
            print(f"assetbuild: warning: {type(finder).__name__} is not a folder finder; "
                  "its files are not built", file=sys.stderr)
    return tuple(folders)


def template_folders() -> tuple[Path, ...]:
    """The ``DIRS`` of every Django template engine: the project's own templates."""
    return tuple(Path(folder).absolute() for engine in settings.TEMPLATES
                 if engine.get("BACKEND", "").endswith("DjangoTemplates") for folder in engine.get("DIRS", ()))


def with_django(config: Any) -> Any:  # Config -> Config; the build side stays out of the import
    return dataclasses.replace(
        config, extra_sources=(*config.extra_sources, *static_folders()), url_prefix=settings.STATIC_URL,
        templates=tuple(dict.fromkeys((*config.templates, *template_folders()))))


class Command(BaseCommand):
    help = "Build (or watch, or verify) the static files with assetbuild."
    requires_system_checks: list[str] = []  # the checks want a release; this command makes it

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("subcommand", choices=COMMANDS)
        parser.add_argument("args", nargs=argparse.REMAINDER, help="the options of `assetbuild SUBCOMMAND`")

    def handle(self, *args: str, subcommand: str, **options: Any) -> None:  # Django passes `args` positionally
        adjust = with_django if subcommand in ("build", "watch") else None
        status = main([subcommand, *args], adjust)
        if status:
            sys.exit(status)
