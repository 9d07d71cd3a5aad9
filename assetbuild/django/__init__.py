"""Django: ``INSTALLED_APPS = ["assetbuild.django", ...]`` before ``django.contrib.staticfiles``.

The app gives ``manage.py assetbuild build|watch|verify``, ``ReleaseStorage`` for
``{% static %}``, the ``{% load assetbuild %}`` tags, ``ReleaseMiddleware`` (serving), a
``runserver`` that serves the release, a ``collectstatic`` that refuses to write, and system
checks. Every part reads the one manifest of the process through ``release_manifest()``.
"""

from __future__ import annotations

import functools

from ..manifest import Manifest


@functools.cache
def release_manifest() -> Manifest:
    """The process's manifest: ``settings.ASSETBUILD_MANIFEST``, else as ``Manifest.load()``; read once."""
    from django.conf import settings

    return Manifest.load(getattr(settings, "ASSETBUILD_MANIFEST", None))


def __getattr__(name: str) -> object:
    """``assetbuild.django.ReleaseStorage`` and ``.ReleaseMiddleware``, imported when Django asks
    (importing them here would load Django's storage before the settings are read)."""
    if name == "ReleaseStorage":
        from .storage import ReleaseStorage

        return ReleaseStorage
    if name == "ReleaseMiddleware":
        from .middleware import ReleaseMiddleware

        return ReleaseMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
