"""Live-server tests against the release: Django's own ``LiveServerTestCase`` answers
``STATIC_URL`` from ``STATIC_ROOT`` and ``StaticLiveServerTestCase`` from the source folders,
so both 404 (or fail) on every hashed URL; this one serves the release as production does."""

from __future__ import annotations

from typing import Any

from django.test import LiveServerTestCase as DjangoLiveServerTestCase

from ..wsgi import serve_release
from . import release_manifest


class ReleaseHandler:
    """The live server's WSGI handler, with the release served in front of it."""

    def __init__(self, application: Any) -> None:
        self.application = serve_release(application, release_manifest())

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.application(environ, start_response)


class LiveServerTestCase(DjangoLiveServerTestCase):
    static_handler = ReleaseHandler  # type: ignore[assignment]
