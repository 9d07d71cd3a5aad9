"""Production or development mode, and the manifest each one reads (SPEC section 10).

Production pins the release a process loaded at start-up; development follows ``current``.
Deciding costs no import of ``assetbuild.dev``: a production process never loads it.
"""

from __future__ import annotations

import os

from .manifest import Manifest

TRUTHY = frozenset({"1", "true", "yes", "on"})


def development(setting: object = None, debug: bool = False) -> bool:
    """A framework's own setting when it has one, else its debug mode, else ``$ASSETBUILD_DEV``."""
    if setting is not None:
        return bool(setting)
    return debug or os.environ.get("ASSETBUILD_DEV", "").strip().lower() in TRUTHY


def load_manifest(path: str | os.PathLike[str] | None = None, follow: bool | None = None) -> Manifest:
    """``Manifest.load(path)``, or in development mode (default: ``$ASSETBUILD_DEV``) a manifest
    that follows ``current``, so that pages get the newest release's URLs without a restart."""
    if follow is None:
        follow = development()
    if not follow:
        return Manifest.load(path)
    from .dev import FollowingManifest

    return FollowingManifest(path)  # type: ignore[return-value]  # a Manifest in every use
