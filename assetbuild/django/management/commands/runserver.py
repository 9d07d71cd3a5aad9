"""``runserver`` that serves the release (staticfiles' own would look for unhashed names in
the source folders and 404 every hashed URL)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.runserver import Command as CoreRunserver

from ....wsgi import serve_release
from ... import release_manifest


class Command(CoreRunserver):
    help = "Starts a development web server that also serves the assetbuild release."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        # staticfiles' options, accepted so that habits and scripts keep working
        parser.add_argument("--nostatic", action="store_true", help="ignored: the release is always served")
        parser.add_argument("--insecure", action="store_true", help="ignored: the release is always served")

    def get_handler(self, *args: Any, **options: Any) -> Any:
        return serve_release(super().get_handler(*args, **options), release_manifest())
