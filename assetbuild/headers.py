"""The headers every hashed file carries, wherever it is served from: by the app (``serving``) or by a
bucket behind a CDN (``publish``). Plain values, so that publishing does not load the servers."""

from __future__ import annotations

CACHE_CONTROL = "public, max-age=31536000, immutable"  # a hashed name's bytes never change


def content_type(media_type: str) -> str:
    """The Content-Type header for a manifest ``type``: text is UTF-8."""
    return media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")
