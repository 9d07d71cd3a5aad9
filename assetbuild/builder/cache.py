"""The build cache: content-addressed entries in a folder of the build's own, never read at run time.

It only accelerates: no state of it may change an output byte or fail a build.
- Every entry carries the SHA-256 of its namespace, its key and its payload, so a
  torn write, a flipped bit, an edit or an entry moved under another key is a miss.
- Every key is mixed with the digest of assetbuild's own code (``code_digest``), so
  entries made by other code are never found.
- Only a regular file of bounded size is read, without following links and without
  blocking (a FIFO or a link to ``/dev/zero`` is a miss, not a hang).
- Any failure to read, write or delete (a read-only mount, a folder left root-owned,
  a full disk, ``cache_dir`` a file) is a miss or a skipped write.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .code_digest import code_digest

CACHE_FORMAT = b"assetbuild-cache-2\n"
MAX_ENTRY_BYTES = 1 << 30  # far beyond any compiled bundle or compressed file; stops a runaway read
_HEAD = len(CACHE_FORMAT) + 32
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


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
    code: str = field(default_factory=code_digest)

    def get(self, namespace: str, key: str) -> bytes | None:
        if self.folder is None:
            return None
        path, seal = self._where(namespace, key)
        try:
            raw = _read_regular(path)
        except OSError:
            return None
        if raw is None:
            return None
        payload = raw[_HEAD:]
        if raw[: len(CACHE_FORMAT)] != CACHE_FORMAT or raw[len(CACHE_FORMAT):_HEAD] != _checksum(seal, payload):
            with contextlib.suppress(OSError):
                path.unlink()  # damaged or misfiled: discard, rebuild
            return None
        return payload

    def put(self, namespace: str, key: str, payload: bytes) -> None:
        """Store an entry; one that cannot be written is skipped.

        Written in place, not through a rename: a reader that meets a half-written entry
        finds its checksum wrong and treats it as a miss, which is all a cache owes.
        """
        if self.folder is None:
            return
        path, seal = self._where(namespace, key)
        try:
            try:
                fd = os.open(path, _WRITE_FLAGS, 0o644)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, _WRITE_FLAGS, 0o644)
            with os.fdopen(fd, "wb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    return  # junk at the entry's path: leave it, it is never read
                f.write(CACHE_FORMAT + _checksum(seal, payload) + payload)
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()

    def _where(self, namespace: str, key: str) -> tuple[Path, bytes]:
        """The entry's path and the seal its checksum covers: the code, the namespace and the key."""
        assert self.folder is not None
        full = key_of(self.code, namespace, key)
        return self.folder / namespace / full[:2] / full[2:], full.encode()


def _checksum(seal: bytes, payload: bytes) -> bytes:
    return hashlib.sha256(seal + payload).digest()


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file of at most ``MAX_ENTRY_BYTES``, else None; never follows a link or blocks."""
    fd = os.open(path, _READ_FLAGS)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
            return None
        raw = f.read(MAX_ENTRY_BYTES + 1)
    return raw if len(raw) <= MAX_ENTRY_BYTES else None
