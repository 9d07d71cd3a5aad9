"""One build or clean at a time per output folder: an OS lock (flock) on the folder itself.

The kernel drops the lock when the holder dies, so a killed build never leaves a
stale lock behind, and no lock file is added to the output.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import LockHeld


def flock_folder(folder: Path, wait: bool) -> int | None:
    """Open ``folder`` and take its exclusive lock: the descriptor (closing it releases the
    lock), or None when another process holds it and ``wait`` is False."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def locked(folder: Path, wait: bool) -> Iterator[None]:
    """Hold the lock of ``folder`` (created if missing); fail at once unless ``wait``."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = flock_folder(folder, wait)
    if fd is None:
        raise LockHeld(
            f"{folder}: another build holds the lock on this output folder; "
            "run again with --wait to wait for it"
        )
    try:
        yield
    finally:
        os.close(fd)
