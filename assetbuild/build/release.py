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
    """A release ready to write: its id, every file (relative path -> bytes) and its manifest."""

    id: str
    files: Mapping[str, bytes]
    manifest: bytes


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
    compressed: Mapping[str, Mapping[str, bytes]],
    url_prefix: str,
) -> Release:
    """The manifest and the file table of a release; its id is the hash of the asset table."""
    files: dict[str, bytes] = {}
    assets = {}
    for name, item in sorted(published.items()):
        files[item.file] = item.data
        encodings = {}
        for encoding, packed in sorted(compressed.get(name, {}).items()):
            encodings[encoding] = item.file + SUFFIXES[encoding]
            files[encodings[encoding]] = packed
        assets[name] = {
            "file": item.file,
            "size": len(item.data),
            "integrity": integrity(item.data),
            "type": content_type(name),
            "encodings": encodings,
            "sources": list(item.sources),
            "references": list(item.references),
        }
    table = json.dumps(assets, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    release_id = hashlib.sha256(table.encode()).hexdigest()[:16]
    document = {"version": MANIFEST_VERSION, "release": release_id, "url_prefix": url_prefix, "assets": assets}
    manifest = (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode()
    return Release(release_id, files, manifest)


def write(release: Release, output: Path) -> Written:
    """Put ``release`` under ``output/releases/<id>`` and point ``output/current`` at it.

    The caller holds the output lock.
    """
    releases = output / RELEASES
    final = releases / release.id
    created = False
    if not final.is_dir():
        releases.mkdir(parents=True, exist_ok=True)
        temp = releases / f"{TEMP_PREFIX}{release.id}-{secrets.token_hex(4)}"
        previous = _current_release(output)
        try:
            temp.mkdir()
            for folder in sorted({os.path.dirname(rel) for rel in release.files} - {""}):
                (temp / folder).mkdir(parents=True, exist_ok=True)
            for rel, data in sorted(release.files.items()):
                if not (previous and _link_same(previous / rel, temp / rel, data)):
                    _write_file(temp / rel, data)
            _write_file(temp / MANIFEST_NAME, release.manifest)  # last: it vouches for the rest
            os.rename(temp, final)
            created = True
        finally:
            if temp.exists():
                shutil.rmtree(temp, ignore_errors=True)
    return Written(final, created, switch_current(output, release.id))


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


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _current_release(output: Path) -> Path | None:
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
