"""Reading a file a Sass compile asked for, checked on the descriptor actually opened.

Both compilers read every file through here: Dart Sass asks our Embedded Sass host for
each one, libsass gets the entry as a string and each import from its import hook. A
file under ``source`` swapped for a link leading outside it after its load was resolved
(a race) is refused, as the scan refuses such a link; so is anything but a regular file
(a FIFO would block the build). Load paths are not held to the link rule: linked
packages are how node_modules is laid out (pnpm).
"""

from __future__ import annotations

import errno
import os
import stat

from . import sass_resolve
from .sass_compile import SassOptions

LINK_OUTSIDE = "leads outside the source folder"
LINK_HINT = "set follow_symlinks_outside = true to allow it"
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)  # NONBLOCK: a FIFO must not hang open()


class LinkOutside(Exception):
    """A file that was swapped for a link leading outside after it was resolved (carries where to)."""

    def refusal(self) -> str:
        """What a person reads, after the file's place."""
        return f"symbolic link {LINK_OUTSIDE} (to {self}); {LINK_HINT}"


def read_checked(path: str, options: SassOptions) -> bytes:
    """A Sass file's bytes, from a regular file whose opened descriptor lies where it may.

    Raises ``LinkOutside`` for a file under ``source`` that now leads outside it, and
    ``OSError`` (``strerror`` "not a regular file") for a FIFO, device or folder.
    """
    with open(os.open(path, _FLAGS), "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        if not options.follow_links_outside and sass_resolve.inside(path, [options.root]):
            try:
                real = os.readlink(f"/proc/self/fd/{f.fileno()}")
            except OSError:
                real = os.path.realpath(path)  # no /proc: the best check left
            if not sass_resolve.inside(real, [os.path.realpath(options.root)]):
                raise LinkOutside(real)
        return f.read()
