"""``collectstatic`` refused: with assetbuild it would copy files into a release (through
``current``), where they would be served unhashed; the release is built instead."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ....errors import EXIT_USAGE

MESSAGE = ("collectstatic: error: assetbuild serves static files from immutable releases, which "
           "collectstatic must not write into; run `python manage.py assetbuild build` instead "
           "(it builds every file Django's static finders know)")


class Command(BaseCommand):
    help = "Refused with assetbuild: run `manage.py assetbuild build`."

    def run_from_argv(self, argv: list[str]) -> None:  # any options a deploy script passes
        print(MESSAGE, file=sys.stderr)
        sys.exit(EXIT_USAGE)

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(MESSAGE, returncode=EXIT_USAGE)
