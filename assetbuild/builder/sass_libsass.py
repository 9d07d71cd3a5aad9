"""libsass (the ``libsass`` package): compile with its source map, and guard what it cannot do.

libsass never got Sass's module system: it passes ``@use`` through as if it were CSS,
so a release would silently carry it. Its errors sometimes lack a column or any place
at all. This module turns both into ``path:line:col: error:`` lines that say what to do.

libsass opens no file itself: the entry goes in as a string and an import hook answers
every import, each read through ``sass_read.read_checked``, so a file swapped for a link
leading outside ``source`` mid-build is refused as with Dart Sass. Given a string,
libsass calls the entry ``stdin``; its map is embedded in the CSS. Both are turned back
into what compiling the file gives (paths, CSS and map byte for byte the same).
"""

from __future__ import annotations

import base64
import ctypes
import functools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import BuildFailed, SourceError
from . import sass_resolve
from .sass_compile import MODULE_SYSTEM_HINT, SassOptions, SassOutput
from .sass_read import LinkOutside, read_checked

OUTSIDE = "leads outside the source folder and the load paths"
STDIN = "stdin"  # libsass's name for a string it compiles
_EMBEDDED_MAP = "\n/*# sourceMappingURL=data:application/json;base64,"
_WHERE = re.compile(r"on line (\d+)(?::(\d+))? of (.+?)(?:, in [^\n]*)?\n")
_CARET = re.compile(r"^ {3}(-*)\^", re.MULTILINE)
_REFUSED = re.compile(r"ImportRefused: (.+)")
_MODULE_SYSTEM = re.compile(r"^[ \t]*(@use|@forward)\b|(?<=[\"'])sass:[a-z-]+(?=[\"'])", re.MULTILINE)
_IN_CSS = re.compile(r"(?:^|[;}])\s*@(?:use|forward)\b")
# Modern CSS libsass fails on without saying where: the place is found by looking for it.
_UNSUPPORTED = re.compile(r"\b(?:min|max|clamp)\(|\b(?:rgba?|hsla?)\([^;)]*\s/\s")


class ImportRefused(Exception):
    """Raised inside libsass's import hook; libsass reports it at the @import's line."""


def compile(entry: str, options: SassOptions, display: Any) -> SassOutput:
    """Compile ``entry`` with libsass; every error gets a place, module-system syntax a clear one."""
    import sass

    try:
        source = read_checked(entry, options)
    except LinkOutside as err:
        raise BuildFailed([SourceError(display(Path(entry)), err.refusal())]) from None
    except OSError as err:
        raise BuildFailed([SourceError(display(Path(entry)), f"cannot read it: {err.strerror}")]) from None
    read: dict[str, bytes | None] = {entry: source}  # every file read, and what was read (None: libsass read it)
    missing: list[str] = []
    try:
        out = sass.compile(
            string=source or b"\n",  # libsass refuses an empty string; a file may be empty
            indented=entry.lower().endswith(".sass"), source_map_embed=True, source_map_contents=True,
            output_style="compressed", include_paths=list(options.load_paths),
            importers=[(0, functools.partial(_load, entry=entry, options=options, read=read, missing=missing))],
        )
    except sass.CompileError as err:
        raise BuildFailed(_module_system(read, display) or [_error(str(err), entry, read, display)]) from None
    except UnicodeDecodeError as err:
        raise BuildFailed([SourceError(display(Path(entry)), f"not valid UTF-8: {err.reason}")]) from None
    css, _, embedded = out.rpartition(_EMBEDDED_MAP)
    source_map = json.loads(base64.b64decode(embedded.removesuffix(" */")))
    source_map["file"] = os.path.splitext(os.path.basename(entry))[0] + ".css"  # not stdin.css
    source_map["sources"] = _real_sources(source_map["sources"], entry)
    if not source:
        source_map["sourcesContent"][0] = ""
    for path in source_map["sources"]:
        read.setdefault(path, None)
    misplaced = _module_system(read, display)
    if not misplaced and _IN_CSS.search(css):
        misplaced = [SourceError(display(Path(entry)), f"the CSS would carry @use or @forward; {MODULE_SYSTEM_HINT}")]
    if misplaced:
        raise BuildFailed(misplaced)
    outside = [p for p in read if not sass_resolve.inside(p, options.allowed)]
    if outside:
        raise BuildFailed([SourceError(display(Path(entry)), f"reads {p}, which {OUTSIDE}") for p in outside])
    unchecked = [p for p, data in read.items() if data is None]
    if unchecked:  # our rules and libsass's disagreed on a load, and libsass found a file itself
        raise BuildFailed([SourceError(display(Path(entry)), f"libsass loaded {p} on its own, so it could not be "
                                       'checked; import it by its full name or set sass = "dart"') for p in unchecked])
    absent = tuple(dict.fromkeys(p for p in missing if not sass_resolve.inside(p, [options.root])))
    return SassOutput(css, source_map, tuple(read), absent=absent)


def _real_sources(sources: list[str], entry: str) -> list[str]:
    """The map's ``sources`` as absolute paths: libsass writes them relative to the working folder
    when it compiles a string, and names that string (the entry, always first) ``stdin``."""
    cwd = os.getcwd()
    return [entry if i == 0 and s == STDIN else os.path.normpath(os.path.join(cwd, s)) for i, s in enumerate(sources)]


def _load(path: str, prev: str, *, entry: str, options: SassOptions, read: dict[str, bytes | None],
          missing: list[str]) -> list[tuple[str, bytes]] | None:
    """libsass import hook: find the file an @import means, refuse it if it is outside, else read it checked.

    Looked for beside the importing file, then in the working folder (libsass-python always
    searches it: outputs stay as they were), then in the load paths. None lets libsass go on:
    a plain-CSS import, or a file nowhere to be found (libsass says so, at the line).
    """
    if "://" in path or path.startswith("url(") or path.endswith(".css"):
        return None
    prev = entry if prev == STDIN else prev
    base = os.path.dirname(prev) if os.path.isabs(prev) else options.root
    for folder in (base, os.getcwd(), *options.load_paths):
        target = os.path.normpath(os.path.join(folder, path))
        try:
            found = sass_resolve.resolve(target, True, missing)
        except sass_resolve.Ambiguous:
            return None  # libsass says so itself, at the line
        if found is not None:
            if not sass_resolve.inside(found, options.allowed):
                raise ImportRefused(f"@import {path!r} {OUTSIDE} (to {found})")
            try:
                contents = read_checked(found, options)
            except LinkOutside as err:
                raise ImportRefused(f"{path!r}: {err.refusal()}") from None
            except OSError as err:
                raise ImportRefused(f"cannot read {found}: {err.strerror}") from None
            read[found] = contents
            return [(found, _as_scss(contents) if found.lower().endswith(".sass") else contents)]
        if folder is base and not sass_resolve.inside(target, options.allowed):
            raise ImportRefused(f"@import {path!r} {OUTSIDE}")
    return None


def _as_scss(indented: bytes) -> bytes:
    """An indented-syntax file in SCSS, converted as libsass converts the files it reads itself.

    libsass parses what an import hook returns as SCSS whatever the name; its own converter,
    ``sass2scss``, is in the ``_sass`` library but not exposed by libsass-python, so it is
    called through ctypes with the flags libsass's ``read_file`` uses.
    """
    lib = _libsass()
    converted = lib.sass2scss(indented, _SASS2SCSS_PRETTIFY_1 | _SASS2SCSS_KEEP_COMMENT)
    try:
        return ctypes.string_at(converted)
    finally:
        lib.sass_free_memory(converted)


_SASS2SCSS_PRETTIFY_1 = 1
_SASS2SCSS_KEEP_COMMENT = 32


@functools.cache
def _libsass() -> ctypes.CDLL:
    import _sass

    lib = ctypes.CDLL(_sass.__file__)
    lib.sass2scss.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.sass2scss.restype = ctypes.c_void_p
    lib.sass_free_memory.argtypes = [ctypes.c_void_p]
    lib.sass_free_memory.restype = None
    return lib


def _module_system(read: dict[str, bytes | None], display: Any) -> list[SourceError]:
    """Each file read that uses ``@use``, ``@forward`` or a ``sass:`` module, at its first such line."""
    errors = []
    for path, text, found in _first_matches(read, _MODULE_SYSTEM):
        if found:
            start = found.start(1) if found.group(1) else found.start()
            line, col = _line_col(text, start)
            what = found.group(1) or found.group(0)
            errors.append(SourceError(display(Path(path)), f"{what} is Sass's module system, which libsass does "
                                      f"not support; {MODULE_SYSTEM_HINT}", line, col))
    return errors


def _first_matches(read: dict[str, bytes | None], pattern: re.Pattern[str],
                   ) -> Iterator[tuple[str, str, re.Match | None]]:
    """Each file we read, its text as read, and ``pattern``'s first match outside its comments."""
    for path, data in read.items():
        if data is not None:
            text = data.decode("utf-8", errors="replace")
            yield path, text, pattern.search(_without_comments(text))


def _error(message: str, entry: str, read: dict[str, bytes | None], display: Any) -> SourceError:
    """libsass's multi-line message as one ``path:line:col: error: what``."""
    refused = _REFUSED.search(message)
    first = refused.group(1) if refused else message.strip().splitlines()[0].removeprefix("Error: ").strip()
    first = first.removeprefix("Internal Error: ")
    where = _WHERE.search(message)
    if where:
        path = Path(entry if where.group(3) == STDIN else where.group(3))
        if not path.is_absolute():
            path = Path.cwd() / path
        col = where.group(2)
        caret = _CARET.search(message)
        if col is None:
            col = len(caret.group(1)) + 1 if caret else 1
        return SourceError(display(path), first, int(where.group(1)), int(col))
    for path, text, found in _first_matches(read, _UNSUPPORTED):  # no place given: what libsass chokes on
        if found:
            line, col = _line_col(text, found.start())
            return SourceError(display(Path(path)), f"{first} (libsass cannot compile this CSS function; "
                               'Dart Sass can: set sass = "dart")', line, col)
    return SourceError(display(Path(entry)), first, 1, 1)


def _without_comments(text: str) -> str:
    """``text`` with comments blanked out (same length, same lines), so matches keep their place."""
    def blank(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))

    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.DOTALL)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
