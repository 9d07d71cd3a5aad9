"""``ReleaseStorage``: ``{% static %}`` answers from the manifest; nothing is ever written."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import Storage

from . import release_manifest

READ_ONLY = ("a release is never written into: run `python manage.py assetbuild build`, "
             "which builds a new release from your static files")


class ReleaseStorage(Storage):
    """The release of this process as Django's static files storage (read-only)."""

    def __init__(self, **options: Any) -> None:
        super().__init__()

    def url(self, name: str | None) -> str:
        manifest = release_manifest()
        name = name or ""
        if name.endswith("/") or not name:
            return manifest.url_prefix + name  # a folder, as ManifestStaticFilesStorage leaves it
        return manifest.url(name)

    def path(self, name: str) -> str:
        manifest = release_manifest()
        return str(manifest.files_dir / manifest.entry(name).file)

    def exists(self, name: str) -> bool:
        return name in release_manifest()

    def size(self, name: str) -> int:
        return release_manifest().entry(name).size

    def _open(self, name: str, mode: str = "rb") -> File:
        if any(c in mode for c in "wax+"):
            raise ImproperlyConfigured(READ_ONLY)
        return File(open(self.path(name), mode))  # noqa: SIM115 - Django closes a File

    def _save(self, name: str, content: Any) -> str:
        raise ImproperlyConfigured(READ_ONLY)

    def delete(self, name: str) -> None:
        raise ImproperlyConfigured(READ_ONLY)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        below = [n[len(prefix):] for n in release_manifest() if n.startswith(prefix)]
        return sorted({n.split("/")[0] for n in below if "/" in n}), sorted(n for n in below if "/" not in n)
