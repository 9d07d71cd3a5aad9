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


def resolve(path: str, from_import: bool) -> str | None:
    """The file a load of ``path`` (absolute, as written after the folder) means, or None."""
    base, ext = os.path.splitext(path)
    if ext in EXTENSIONS:
        if from_import:
            found = _exactly_one(_candidates(f"{base}.import{ext}"))
            if found:
                return found
        return _exactly_one(_candidates(path))
    if from_import:
        found = _with_extensions(path + ".import")
        if found:
            return found
    found = _with_extensions(path)
    if found or not os.path.isdir(path):
        return found
    index = os.path.join(path, "index")
    if from_import:
        found = _with_extensions(index + ".import")
        if found:
            return found
    return _with_extensions(index)


def inside(path: str, folders: Sequence[str]) -> bool:
    """Whether ``path`` lies in one of ``folders`` (all absolute and normalised)."""
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _with_extensions(path: str) -> str | None:
    found = _candidates(path + ".sass") + _candidates(path + ".scss")
    return _exactly_one(found) if found else _exactly_one(_candidates(path + ".css"))


def _candidates(path: str) -> list[str]:
    folder, name = os.path.split(path)
    return [p for p in (path, os.path.join(folder, "_" + name)) if os.path.isfile(p)]


def _exactly_one(found: list[str]) -> str | None:
    if len(found) > 1:
        names = ", ".join(os.path.basename(p) for p in found)
        raise Ambiguous(f"it is ambiguous which file to load: {names}")
    return found[0] if found else None
