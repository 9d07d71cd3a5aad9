"""Files that reference nothing (images, fonts, media), left on disk instead of in memory.

Their bytes are published as they are, so the build needs only their size and hashes,
taken by streaming; the write stage copies them from their path. Memory then follows the
largest file a build holds, not the size of the tree (1 GB of media took 1.08 GB RSS).
The copy is hashed again as it is written: a file changed or swapped (for a link to
``/etc/passwd``) after it was checked fails the build instead of being published.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import integrity
from ..errors import BuildFailed, SourceError
from .cache import Cache, key_of
from .config import Config
from .sources import open_source
from .stamp import RACY_SECONDS, stamp_of_file

CHUNK = 1 << 20


@dataclass(frozen=True)
class OnDisk:
    """A source file's content, by reference: where it is, how it is named in errors, its size and hashes."""

    path: str
    origin: str
    size: int
    sha256: str  # hex, all 64 digits: the file's hashed name is its start
    integrity: str  # "sha384-...", as the manifest says it

    def read(self) -> bytes:
        """The bytes, when a step needs them whole (compression): one file at a time."""
        with open(self.path, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != self.sha256:
            self.changed()
        return data

    def copy_to(self, target: str, mode: int) -> None:
        """Write the file as ``target`` (created, never replaced), checking it is what was hashed."""
        check = hashlib.sha256()
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with open(self.path, "rb") as source, os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                check.update(chunk)
                out.write(chunk)
        if check.hexdigest() != self.sha256:
            self.changed()

    def same_as(self, path: str) -> bool:
        """Whether the file at ``path`` has exactly these bytes (read by streaming)."""
        return sha256_of(path) == self.sha256

    def changed(self) -> None:
        raise Changed(self.origin)


class Changed(Exception):  # noqa: N818 - what happened, as the caller reports it
    """A source file's bytes are no longer those hashed (raised in a worker: plain, so it pickles)."""

    def error(self) -> BuildFailed:
        return BuildFailed([SourceError(self.args[0], "the file changed while the build ran; build again")])


@contextlib.contextmanager
def changed_is_an_error() -> Iterator[None]:
    """Report a file changed under a build (seen in a worker) as the source error it is."""
    try:
        yield
    except Changed as changed:
        raise changed.error() from None


def on_disk(config: Config, path: Path) -> OnDisk:
    """Hash a source file by streaming it (opened as checked: see ``open_source``)."""
    sha256, sha384, size = hashlib.sha256(), hashlib.sha384(), 0
    with open_source(config, path) as f:
        while chunk := f.read(CHUNK):
            sha256.update(chunk)
            sha384.update(chunk)
            size += len(chunk)
    return OnDisk(str(path), config.display(path), size, sha256.hexdigest(), integrity.written(sha384.digest()))


class Known:
    """The hashes of the files left on disk by the last build, by their stat signature (size,
    mtime, ctime, inode, as the no-op stamp takes them; a file changed in the last seconds is
    read again): a tree of 20,000 unchanged images costs one cache entry, not 20,000 reads.

    Only the hashing is skipped: a file whose bytes are needed (new to the store, or to be
    compressed) is read and checked against these hashes, so a stale entry cannot publish.
    """

    def __init__(self, cache: Cache, config: Config, signatures: Mapping[str, str] | None = None) -> None:
        """``signatures``: files' signatures taken already (by the stamp), not taken again."""
        self.cache, self.key = cache, key_of("leaves", str(config.source))
        try:
            self.known: dict[str, list[Any]] = json.loads(cache.get("leaves", self.key) or b"{}")
        except ValueError:
            self.known = {}
        self.seen: dict[str, list[Any]] = {}
        self._signatures: dict[str, str | None] = dict(signatures or {})
        self.newest_trusted = time.time_ns() - RACY_SECONDS * 1_000_000_000
        self.display = config.displayer()  # a build names each of 20,000 files: one getcwd, not one each

    def unchanged(self, path: str) -> bool:
        """Whether the file is as the last build hashed it."""
        entry = self.known.get(path)
        return bool(entry) and entry[0] == self._signature(path)

    def on_disk(self, config: Config, path: str) -> OnDisk:
        if self.unchanged(path):
            _, size, sha256, digest = self.known[path]
            found = OnDisk(path, self.display(path), size, sha256, digest)
        else:
            found = on_disk(config, Path(path))
        signature = self._signature(path)
        if signature is not None:
            self.seen[path] = [signature, found.size, found.sha256, found.integrity]
        return found

    def _signature(self, path: str) -> str | None:
        if path not in self._signatures:
            self._signatures[path] = stamp_of_file(path, self.newest_trusted)
        return self._signatures[path]

    def save(self) -> None:
        if self.seen != self.known:
            self.cache.put("leaves", self.key, json.dumps(self.seen, sort_keys=True).encode())


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
