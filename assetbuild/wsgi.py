"""The WSGI door of the serving contract (``serving.py``), for any WSGI app.

ServeStatic rather than whitenoise: one ``StaticFile`` answers both this door and the
ASGI one (whitenoise has no ASGI), and it honours ``Accept-Encoding`` q-values
(whitenoise matches ``br`` in ``br;q=0`` and sends brotli to a client that refused it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from servestatic.utils import decode_path_info
from servestatic.wsgi import FileServerWSGI

from .manifest import Manifest
from .serving import CACHE_CONTROL, ReleaseFiles, mount_path

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
NOT_FOUND_HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-cache")]

__all__ = ["CACHE_CONTROL", "ReleaseApp", "mount_path", "not_found", "serve_release"]


class ReleaseApp:
    """Answers the release's URLs; passes every other request to ``application``."""

    def __init__(self, application: WSGIApp | None, files: ReleaseFiles) -> None:
        self.application = application
        self.files = files

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = decode_path_info(environ.get("PATH_INFO", ""))
        static_file = self.files.lookup(path)
        if static_file is not None:
            return FileServerWSGI(static_file)(environ, start_response)
        if self.application is None or self.files.owns(path):
            return not_found(environ, start_response)
        return self.application(environ, start_response)


def not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("404 Not Found", NOT_FOUND_HEADERS)
    return [b"Not Found\n"]


def serve_release(application: WSGIApp | None = None, manifest: Manifest | None = None) -> ReleaseApp:
    """Wrap ``application`` so that it also serves the release of ``manifest`` (default:
    ``Manifest.load()``) and the releases kept beside it; without an application, serve only them."""
    return ReleaseApp(application, ReleaseFiles(manifest or Manifest.load()))
