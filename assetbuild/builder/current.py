"""The ``current`` link: which release an app loads, switched with one rename.

Concurrent builds of one output folder: the build that *started* last wins. Each build
takes a ``Ticket`` when it starts (the clock, and the ``current`` link as it then was);
the link it writes carries its start time as its own mtime. A build switches ``current``
unless the link changed after it started and that change was made later than its start
(by a build that started later, or by hand), so an older tree never replaces a newer one
however long its build takes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..manifest import RELEASES, STORE  # noqa: F401 - the names of an output folder's parts
from .folders import fsync_folder

CURRENT = "current"
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class Ticket:
    """When a build started, and the identity (inode, mtime) of ``current`` at that moment."""

    started: int
    seen: tuple[int, int] | None

    @classmethod
    def take(cls, output: Path) -> Ticket:
        return cls(time.time_ns(), _identity(output / CURRENT))


def _identity(link: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(link)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def check_link(output: Path) -> None:
    """Refuse a ``current`` that is a real folder (say after ``cp -rL``): it cannot be switched."""
    link = output / CURRENT
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(os.lstat(link).st_mode):
            raise ConfigError(f"is a folder, not the link assetbuild switches; move it away "
                              f"(releases are under {RELEASES}/)", str(link))


def superseded(output: Path, ticket: Ticket) -> bool:
    """Whether ``current`` was switched, since this build started, by someone who started later."""
    now = _identity(output / CURRENT)
    return now is not None and now != ticket.seen and now[1] > ticket.started


def switch_current(output: Path, release_id: str, ticket: Ticket | None = None) -> bool:
    """Atomically point ``current`` at a release, flushed to disk; False when it pointed there
    already. The caller holds the output lock and has checked ``superseded``."""
    check_link(output)
    link = output / CURRENT
    target = f"{RELEASES}/{release_id}"
    try:
        if os.readlink(link) == target:
            return False
    except OSError:
        pass
    temp = output / f"{TEMP_PREFIX}{CURRENT}-{secrets.token_hex(4)}"
    os.symlink(target, temp)
    try:
        started = ticket.started if ticket else time.time_ns()
        os.utime(temp, ns=(started, started), follow_symlinks=False)
        os.replace(temp, link)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_folder(output)
    os.utime(output / target)  # `clean` keeps the most recently current releases
    return True


def current_release(output: Path) -> Path | None:
    """The release folder ``current`` points at, or None."""
    try:
        return (output / CURRENT).resolve(strict=True)
    except OSError:
        return None
