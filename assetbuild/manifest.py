"""The run-time view of a release: read manifest.json once, answer lookups from memory.

Nothing here compiles, caches to disk or writes; every URL is computed at load time,
so a lookup is one dictionary access.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import AssetNotFound, ManifestError

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
DEFAULT_MANIFEST = Path("dist") / "current" / MANIFEST_NAME
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # far beyond any real release; stops a runaway read


@dataclass(frozen=True)
class Entry:
    """One published asset as the manifest lists it."""

    name: str
    file: str
    integrity: str
    type: str
    size: int
    encodings: Mapping[str, str]


class Manifest:
    """Logical names to URLs for one release."""

    def __init__(
        self, entries: Mapping[str, Entry], url_prefix: str, release: str, path: Path | None = None
    ) -> None:
        self.entries = dict(entries)
        self.url_prefix = url_prefix
        self.release = release
        self.path = path
        # File names may hold spaces, '#', '?' or any Unicode: a URL needs them percent-encoded.
        self._urls = {name: url_prefix + quote(e.file) for name, e in self.entries.items()}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Manifest:
        """Read a manifest: ``path``, else ``$ASSETBUILD_MANIFEST``, else dist/current/manifest.json.

        ``$ASSETBUILD_URL_PREFIX`` replaces the prefix the build recorded (a CDN origin, say).
        The path is resolved once, before reading: through ``current`` to ``releases/<id>``, so
        the process stays pinned to the release it loaded whatever ``current`` points at later.
        """
        given = Path(path or os.environ.get("ASSETBUILD_MANIFEST") or DEFAULT_MANIFEST)
        where = Path(os.path.realpath(given)) if given.exists() else given
        data = _read_json(where)
        release, prefix, entries = _parse(data, where)
        prefix = os.environ.get("ASSETBUILD_URL_PREFIX") or prefix
        if not prefix.endswith("/"):
            prefix += "/"
        return cls(entries, prefix, release, where)

    @property
    def release_dir(self) -> Path | None:
        """The folder the manifest's ``file`` paths are relative to."""
        return self.path.parent if self.path else None

    def url(self, name: str) -> str:
        """The URL of a logical name; ``AssetNotFound`` names the closest known names."""
        try:
            return self._urls[name]
        except KeyError:
            raise AssetNotFound(name, self._urls) from None

    def integrity(self, name: str) -> str:
        """The Subresource Integrity value (``sha384-...``) of a logical name."""
        return self.entry(name).integrity

    def entry(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            raise AssetNotFound(name, self.entries) from None

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _read_json(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest here (run `assetbuild build` first?)") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a folder, not a manifest file") from None
    except OSError as err:
        raise ManifestError(f"{path}: cannot read: {err.strerror}") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{path}: larger than {MAX_MANIFEST_BYTES} bytes, not a manifest")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ManifestError(f"{path}: not UTF-8 (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ManifestError(f"{path}:{err.lineno}:{err.colno}: malformed JSON: {err.msg}") from None


def _parse(data: Any, path: Path) -> tuple[str, str, dict[str, Entry]]:
    def fail(problem: str) -> ManifestError:
        return ManifestError(f"{path}: not an assetbuild manifest: {problem}")

    if not isinstance(data, dict) or "assets" not in data or "version" not in data:
        raise fail("expected an object with 'version' and 'assets'")
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail(f"'version' is {version!r}, not a number")
    if version > MANIFEST_VERSION:
        raise ManifestError(
            f"{path}: manifest version {version} is newer than this assetbuild reads "
            f"(version {MANIFEST_VERSION}); upgrade assetbuild"
        )
    if version < MANIFEST_VERSION:
        raise fail(f"unknown version {version}")
    assets, prefix, release = data["assets"], data.get("url_prefix", "/static/"), data.get("release", "")
    if not isinstance(assets, dict):
        raise fail("'assets' is not an object")
    if not isinstance(prefix, str) or not isinstance(release, str):
        raise fail("'url_prefix' and 'release' must be strings")
    entries = {}
    for name, raw in assets.items():
        if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
            raise fail(f"asset {name!r} has no 'file'")
        encodings = raw.get("encodings", {})
        if not isinstance(encodings, dict):
            raise fail(f"asset {name!r}: 'encodings' is not an object")
        entries[name] = Entry(
            name=name,
            file=raw["file"],
            integrity=str(raw.get("integrity", "")),
            type=str(raw.get("type", "application/octet-stream")),
            size=raw.get("size", 0) if isinstance(raw.get("size"), int) else 0,
            encodings={str(k): str(v) for k, v in encodings.items()},
        )
    return release, prefix, entries
