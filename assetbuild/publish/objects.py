"""What a release becomes in a bucket: one object per file and per precompressed copy, then the
release's manifest, then the ``current.json`` pointer, each with the headers a CDN passes on."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

import brotli

from .. import integrity
from ..errors import SourceError
from ..headers import CACHE_CONTROL as IMMUTABLE
from ..headers import content_type
from ..manifest import MANIFEST_NAME, Manifest

POINTER = "current.json"
POINTER_CACHE_CONTROL = "no-cache"  # the one mutable key: caches must ask before reusing it
DECODERS = {"gzip": gzip.decompress, "br": brotli.decompress}


@dataclass(frozen=True)
class StoredObject:
    """One key to write: where its bytes come from, its headers, and how to check them first."""

    rel: str  # the key under the target's prefix
    content_type: str
    cache_control: str = IMMUTABLE
    content_encoding: str | None = None
    path: Path | None = None  # a release file; None for a body made here
    body: bytes | None = None
    size: int = 0
    integrity: str = ""  # sha384 of the decoded bytes, as the manifest records it

    def read(self) -> bytes:
        """The bytes to upload, refused if they no longer match the manifest: a hashed key is never
        overwritten, so a damaged file uploaded once would stay damaged."""
        if self.body is not None:
            return self.body
        assert self.path is not None
        data = self.path.read_bytes()
        decoded = data
        if self.content_encoding:
            try:
                decoded = DECODERS[self.content_encoding](data)
            except Exception:  # any decoder failure means a damaged copy
                raise SourceError(str(self.path), f"not valid {self.content_encoding} data; not uploaded") from None
        wrong = integrity.problem(self.integrity, decoded)
        if wrong:
            raise SourceError(str(self.path), f"{wrong}; not uploaded")
        return data


def release_objects(release_dir: Path, manifest: Manifest | None = None) -> tuple[Manifest, list[StoredObject]]:
    """The manifest of ``release_dir`` (unless given, loaded) and one object per file and copy it lists,
    sorted by key."""
    manifest = manifest or Manifest.load(release_dir / MANIFEST_NAME)
    files_dir = manifest.files_dir or release_dir  # the output folder's store
    objects: dict[str, StoredObject] = {}
    for entry in manifest.entries.values():
        kind = content_type(entry.type)
        copies = [(entry.file, None), *((file, encoding) for encoding, file in entry.encodings.items())]
        for file, encoding in copies:
            path = files_dir / file
            try:
                size = os.stat(path).st_size
            except OSError:
                raise SourceError(str(path), f"missing (listed for {entry.name!r}); run `assetbuild verify`") from None
            objects[file] = StoredObject(file, kind, content_encoding=encoding, path=path, size=size,
                                         integrity=entry.integrity)
    return manifest, [objects[rel] for rel in sorted(objects)]


def file_keys(manifest: Manifest) -> set[str]:
    """The keys of a release's files and copies, from its manifest alone (no file is looked at)."""
    return {file for entry in manifest.entries.values() for file in (entry.file, *entry.encodings.values())}


def manifest_object(release_dir: Path, release: str) -> StoredObject:
    """``releases/<id>/manifest.json``: immutable, since the release id is derived from its content."""
    body = (release_dir / MANIFEST_NAME).read_bytes()
    return StoredObject(release_key(release), "application/json", body=body, size=len(body))


def pointer_object(release: str) -> StoredObject:
    """``current.json``: which release is live; written last, and the only key ever replaced."""
    body = (json.dumps({"manifest": release_key(release), "release": release, "version": 1},
                       sort_keys=True, indent=2) + "\n").encode()
    return StoredObject(POINTER, "application/json", POINTER_CACHE_CONTROL, body=body, size=len(body))


def release_key(release: str) -> str:
    return f"releases/{release}/{MANIFEST_NAME}"

