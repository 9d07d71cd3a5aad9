"""Sass's rules for which file a load (``@use``, ``@forward``, ``@import``) means, and where it may come from.

Written by hand because no library exposes them: Dart Sass applies them itself only to
files it reads on its own, and our Embedded Sass host answers every load so that it can
refuse the ones that leave ``source`` and the load paths. libsass's import hook uses the
same rules to learn which files a compile read. The rules are those of the Sass spec
("Resolving a file: URL"): partials, the three extensions, import-only files, index files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

EXTENSIONS = (".sass", ".scss", ".css")


class Ambiguous(Exception):
    """Two files answer one load (``_a.scss`` and ``a.scss``): Sass refuses to guess."""


def resolve(path: str, from_import: bool, missing: list[str] | None = None) -> str | None:
    """The file a load of ``path`` (absolute, as written after the folder) means, or None.

    Every candidate looked for and not found is appended to ``missing``: a file appearing
    at one of those places later would change the answer (the build cache checks them).
    """
    missing = [] if missing is None else missing
    base, ext = os.path.splitext(path)
    if ext in EXTENSIONS:
        if from_import:
            found = _exactly_one(_candidates(f"{base}.import{ext}", missing))
            if found:
                return found
        return _exactly_one(_candidates(path, missing))
    if from_import:
        found = _with_extensions(path + ".import", missing)
        if found:
            return found
    found = _with_extensions(path, missing)
    if found:
        return found
    if not os.path.isdir(path):
        missing.append(path)  # a folder appearing here would offer its index file
        return None
    index = os.path.join(path, "index")
    if from_import:
        found = _with_extensions(index + ".import", missing)
        if found:
            return found
    return _with_extensions(index, missing)


def inside(path: str, folders: Sequence[str]) -> bool:
    """Whether ``path`` lies in one of ``folders`` (all absolute and normalised)."""
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _with_extensions(path: str, missing: list[str]) -> str | None:
    found = _candidates(path + ".sass", missing) + _candidates(path + ".scss", missing)
    return _exactly_one(found) if found else _exactly_one(_candidates(path + ".css", missing))


def _candidates(path: str, missing: list[str]) -> list[str]:
    folder, name = os.path.split(path)
    found = []
    for candidate in (path, os.path.join(folder, "_" + name)):
        (found if os.path.isfile(candidate) else missing).append(candidate)
    return found


def _exactly_one(found: list[str]) -> str | None:
    if len(found) > 1:
        names = ", ".join(os.path.basename(p) for p in found)
        raise Ambiguous(f"it is ambiguous which file to load: {names}")
    return found[0] if found else None
