"""Walk and remove folder trees without recursion, and flush them to disk.

Python 3.11's ``os.walk``, ``Path.rglob`` and ``shutil.rmtree`` recurse once per level
and stop with ``RecursionError`` past about 1,000 nested folders; a source tree or a
release may be deeper. These do the same with an explicit stack.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Collection, Iterator


def walk(top: str) -> Iterator[tuple[str, list[os.DirEntry[str]], list[os.DirEntry[str]]]]:
    """``(folder, sub-folders, other entries)`` for ``top`` and every folder below it, top-down,
    each list sorted by name; links are listed, never followed. Unreadable folders are skipped."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        dirs = [e for e in entries if e.is_dir(follow_symlinks=False)]
        others = [e for e in entries if not e.is_dir(follow_symlinks=False)]
        yield folder, dirs, others
        stack.extend(e.path for e in reversed(dirs))


def make_folders(top: str, parent: str, made: set[str]) -> None:
    """Make the folder ``parent`` (relative, "/"-separated) below ``top``, one level at a time
    (``os.makedirs`` recurses once per level), never ``top`` itself; ``made`` remembers what
    exists already, so each folder costs one ``mkdir`` however many files go into it."""
    if not parent or f"{top}/{parent}" in made:
        return
    path = top
    for part in parent.split("/"):
        path = f"{path}/{part}"
        if path not in made:
            with contextlib.suppress(FileExistsError):
                os.mkdir(path)
            made.add(path)


def remove_tree(top: str | os.PathLike[str]) -> None:
    """Delete ``top`` and everything below it, as far as possible; never follows a link."""
    top = os.fspath(top)
    try:
        if not stat.S_ISDIR(os.lstat(top).st_mode):
            os.unlink(top)
            return
    except OSError:
        return
    folders = []
    for folder, _, others in walk(top):
        folders.append(folder)
        for entry in others:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    for folder in reversed(folders):  # deepest first
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (names created, renamed or removed in it) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


FEW_WRITTEN = 256  # up to this many new files, one fsync each beats a syncfs of the whole filesystem


def flush_tree(top: str | os.PathLike[str], written: Collection[str] | None = None) -> None:
    """Flush every file and folder of a tree to disk before it is published.

    ``written``: the files (relative paths) written into the tree, when known; the others are
    hard links of files flushed before. When few were written (a partial edited), those files
    and every folder are flushed one by one: a ``syncfs`` would also wait for everything else
    written to the filesystem (the build cache, other programs). For many files, one ``syncfs``
    of the tree's filesystem where Linux offers it: for thousands of files it costs a fraction
    of one ``fsync`` per file (each of which can wait for its own journal commit).
    """
    top = os.fspath(top)
    if (written is None or len(written) > FEW_WRITTEN) and _syncfs(top):
        return
    for folder, _, others in walk(top):
        files = others if written is None else ()
        for entry in files:
            if entry.is_file(follow_symlinks=False):
                _fsync_file(entry.path)
        fsync_folder(folder)
    for rel in written or ():
        _fsync_file(os.path.join(top, rel))


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _syncfs(path: str) -> bool:
    """``syncfs(2)`` on the filesystem holding ``path``; False where it is not available."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), path)
    finally:
        os.close(fd)
    return True
