"""Django: ``INSTALLED_APPS = ["assetbuild.django", ...]`` before ``django.contrib.staticfiles``.

The app gives ``manage.py assetbuild build|watch|verify``, ``ReleaseStorage`` for
``{% static %}``, the ``{% load assetbuild %}`` tags, ``ReleaseMiddleware`` (serving), a
``runserver`` that serves the release, a ``collectstatic`` that refuses to write, system
checks, and development mode (with ``DEBUG``: ``development.py``). Every part reads the one
manifest of the process through ``release_manifest()``.
"""

from __future__ import annotations

import functools

from ..manifest import Manifest
from ..mode import development as _development
from ..mode import load_manifest


@functools.cache
def release_manifest() -> Manifest:
    """The process's manifest: ``settings.ASSETBUILD_MANIFEST``, else as ``Manifest.load()``; read
    once, and in development mode one that follows ``current``."""
    from django.conf import settings

    return load_manifest(getattr(settings, "ASSETBUILD_MANIFEST", None), follow=development())


def development() -> bool:
    """Development mode (SPEC section 10): ``settings.ASSETBUILD_DEV`` if set, else ``DEBUG``,
    else ``$ASSETBUILD_DEV``."""
    from django.conf import settings

    return _development(getattr(settings, "ASSETBUILD_DEV", None), bool(settings.DEBUG))


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
