"""Serve a release from a WSGI app with whitenoise: exactly the files its manifest lists.

Every file is registered at start-up from the manifest, so a request is one
dictionary lookup: a path that is not a release file (``..``, ``%2e%2e``, a
backslash, the manifest itself) is simply not in the table and gets a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from whitenoise import WhiteNoise
from whitenoise.string_utils import decode_path_info

from .manifest import Manifest

CACHE_CONTROL = "public, max-age=31536000, immutable"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ReleaseFiles(WhiteNoise):
    """whitenoise over one release: hashed files served immutable, precompressed copies chosen
    by ``Accept-Encoding``, the manifest's content types, 404 for anything else under the prefix."""

    def __init__(self, application: WSGIApp, manifest: Manifest, prefix: str | None = None) -> None:
        super().__init__(application, max_age=None)
        if manifest.release_dir is None:
            raise ValueError("the manifest was not loaded from a release folder")
        self.prefix = prefix or mount_path(manifest.url_prefix)
        self._types: dict[str, str] = {}
        for entry in manifest.entries.values():
            path = str(manifest.release_dir / entry.file)
            self._types[path] = entry.type
            self.add_file_to_dictionary(self.prefix + entry.file, path)

    def add_mime_headers(self, headers: Any, path: str, url: str) -> None:
        media_type = self._types.get(path, "application/octet-stream")
        headers["Content-Type"] = media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")

    def add_cache_headers(self, headers: Any, path: str, url: str) -> None:
        headers["Cache-Control"] = CACHE_CONTROL

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = decode_path_info(environ.get("PATH_INFO", ""))
        static_file = self.files.get(path)
        if static_file is not None:
            return self.serve(static_file, environ, start_response)
        if path.startswith(self.prefix):
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not Found\n"]
        return self.application(environ, start_response)


def mount_path(url_prefix: str) -> str:
    """Where this app serves a prefix: its path part, so a CDN origin pulls from the same path."""
    path = urlsplit(url_prefix).path or "/"
    return path if path.endswith("/") else path + "/"


def serve_release(application: WSGIApp, manifest: Manifest | None = None) -> ReleaseFiles:
    """Wrap ``application`` so that it also serves the release of ``manifest`` (default: ``Manifest.load()``)."""
    return ReleaseFiles(application, manifest or Manifest.load())
