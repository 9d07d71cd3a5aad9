"""Write a release: all files into a temporary folder, renamed into place, then ``current`` switched.

Readers never see half a release: the folder appears whole with one rename, and
``current`` is a symlink replaced with one rename. An existing release is never
touched, which also makes a rebuild of unchanged sources write nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..manifest import MANIFEST_NAME, MANIFEST_VERSION
from .compress import SUFFIXES
from .fingerprint import Published
from .lock import flock_folder

RELEASES = "releases"
CURRENT = "current"
TEMP_PREFIX = ".tmp-"
FILE_MODE = 0o644
# The system's mime.types differs between machines; the release must not.
_TYPES = mimetypes.MimeTypes()
for _type, _ext in [
    ("font/woff2", ".woff2"), ("font/woff", ".woff"), ("font/ttf", ".ttf"), ("font/otf", ".otf"),
    ("application/vnd.ms-fontobject", ".eot"), ("application/json", ".map"),
    ("image/webp", ".webp"), ("image/avif", ".avif"), ("text/javascript", ".js"),
    ("text/javascript", ".mjs"), ("application/wasm", ".wasm"), ("image/x-icon", ".ico"),
]:
    _TYPES.add_type(_type, _ext)


@dataclass(frozen=True)
class Release:
    """A release's id and manifest, with the count and size of its files (the manifest included)."""

    id: str
    manifest: bytes
    files: int
    bytes: int


@dataclass(frozen=True)
class Written:
    path: Path
    created: bool  # False: that release existed already
    switched: bool  # False: current pointed at it already


def content_type(name: str) -> str:
    return _TYPES.guess_type(name, strict=False)[0] or "application/octet-stream"


def integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def assemble(
    published: Mapping[str, Published],
    copies: Mapping[str, Mapping[str, int]],
    url_prefix: str,
    modules: Mapping[str, object] | None = None,
) -> Release:
    """The manifest of a release; its id is the hash of the asset table.

    ``copies`` gives, per logical name, the size of each compressed copy that was kept;
    ``modules`` the top-level ``importmap`` (and ``modules`` mode) keys.
    """
    assets = {}
    files = sizes = 0
    for name, item in sorted(published.items()):
        kept = copies.get(name, {})
        assets[name] = {
            "file": item.file,
            "size": len(item.data),
            "integrity": integrity(item.data),
            "type": content_type(name),
            "encodings": {encoding: item.file + SUFFIXES[encoding] for encoding in sorted(kept)},
            "sources": list(item.sources),
            "references": list(item.references),
        }
        if item.module:
            assets[name].update(imports=list(item.imports), dynamic_imports=list(item.dynamic_imports))
        files += 1 + len(kept)
        sizes += len(item.data) + sum(kept.values())
    extra = dict(modules or {})
    table = json.dumps([assets, extra] if extra else assets, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    release_id = hashlib.sha256(table.encode()).hexdigest()[:16]
    document = {"version": MANIFEST_VERSION, "release": release_id, "url_prefix": url_prefix, "assets": assets,
                **extra}
    manifest = (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()
    return Release(release_id, manifest, files + 1, sizes + len(manifest))


class Staging:
    """A release being written: a temporary folder beside the releases, locked while it lives.

    Many processes fill it at once (``put_file``); ``commit`` adds the manifest last and renames
    it into place. Its own flock tells ``sweep`` that a live build still owns it.
    """

    def __init__(self, output: Path) -> None:
        """Create the folder and take its lock; the caller holds the output lock, so ``sweep``
        cannot come between the two."""
        releases = output / RELEASES
        releases.mkdir(parents=True, exist_ok=True)
        self.output = output
        self.path = releases / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        self.path.mkdir()
        self._fd: int | None = flock_folder(self.path, wait=True)
        self.previous = current_release(output)

    def commit(self, release: Release) -> Written:
        """Put the release in place (unless it exists already) and switch ``current``.

        The caller holds the output lock.
        """
        final = self.output / RELEASES / release.id
        created = False
        try:
            if not final.is_dir():
                _write_file(self.path / MANIFEST_NAME, release.manifest)  # last: it vouches for the rest
                os.rename(self.path, final)
                created = True
        finally:
            self.discard()
        return Written(final, created, switch_current(self.output, release.id))

    def discard(self) -> None:
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def sweep(output: Path) -> list[Path]:
    """Remove what killed builds left behind: temporary folders no live build holds, temporary links.

    The caller holds the output lock (so no live build is between symlink and rename).
    """
    removed = []
    for leftover in sorted(output.glob(TEMP_PREFIX + "*")):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    for folder in sorted((output / RELEASES).glob(TEMP_PREFIX + "*")):
        try:
            fd = flock_folder(folder, wait=False)
        except OSError:
            continue  # gone already
        if fd is None:
            continue  # a live build is writing it
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def switch_current(output: Path, release_id: str) -> bool:
    """Atomically point ``current`` at a release; False when it pointed there already."""
    link = output / CURRENT
    target = f"{RELEASES}/{release_id}"
    try:
        if os.readlink(link) == target:
            return False
    except OSError:
        pass
    temp = output / f"{TEMP_PREFIX}{CURRENT}-{secrets.token_hex(4)}"
    os.symlink(target, temp)
    os.replace(temp, link)
    os.utime(output / target)  # `clean` keeps the most recently current releases
    return True


def put_file(staging: Path, previous: Path | None, rel: str, data: bytes) -> None:
    """Write one file of a staging folder, or hard-link the identical file of the current
    release (a fraction of a write's cost). Runs in many processes at once."""
    target = staging / rel
    if target.parent not in _made:
        target.parent.mkdir(parents=True, exist_ok=True)
        _made.add(target.parent)
    if not (previous and _link_same(previous / rel, target, data)):
        _write_file(target, data)


_made: set[Path] = set()  # folders this process made already: one mkdir each, not one per file


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def current_release(output: Path) -> Path | None:
    """The release folder ``current`` points at, or None."""
    try:
        return (output / CURRENT).resolve(strict=True)
    except OSError:
        return None


def _link_same(old: Path, new: Path, data: bytes) -> bool:
    """Hard-link an identical file of the previous release (a fraction of a write's cost).

    Only where the bytes on disk are exactly ``data``: a damaged old release is never copied.
    """
    try:
        st = old.stat()
        if st.st_size != len(data) or st.st_mode & 0o777 != FILE_MODE or old.read_bytes() != data:
            return False
        os.link(old, new)
        return True
    except OSError:
        return False
