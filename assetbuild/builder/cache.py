"""The build cache: content-addressed entries in a folder of the build's own, never read at run time.

It only accelerates. Every entry carries the SHA-256 of its payload; one that does
not match (a torn write, a flipped bit, an edit) is deleted and treated as a miss,
so a damaged or deleted cache changes no output byte.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

CACHE_FORMAT = b"assetbuild-cache-1\n"


def key_of(*parts: bytes | str) -> str:
    """A cache key from any number of parts; each part's length is mixed in, so parts cannot run together."""
    h = hashlib.sha256()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        h.update(len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.hexdigest()


@dataclass(frozen=True)
class Cache:
    """``folder`` None means no cache: every lookup misses and nothing is stored."""

    folder: Path | None

    def get(self, namespace: str, key: str) -> bytes | None:
        if self.folder is None:
            return None
        path = self._path(namespace, key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head = len(CACHE_FORMAT) + 32
        payload = raw[head:]
        if raw[: len(CACHE_FORMAT)] != CACHE_FORMAT or raw[len(CACHE_FORMAT):head] != hashlib.sha256(payload).digest():
            path.unlink(missing_ok=True)  # damaged: discard, rebuild
            return None
        return payload

    def put(self, namespace: str, key: str, payload: bytes) -> None:
        """Store an entry; one that cannot be written is skipped.

        Written in place, not through a rename: a reader that meets a half-written entry
        finds its checksum wrong and treats it as a miss, which is all a cache owes.
        """
        if self.folder is None:
            return
        path = self._path(namespace, key)
        try:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(CACHE_FORMAT + hashlib.sha256(payload).digest() + payload)
        except OSError:
            path.unlink(missing_ok=True)

    def _path(self, namespace: str, key: str) -> Path:
        assert self.folder is not None
        return self.folder / namespace / key[:2] / key[2:]
