"""libsass (the ``libsass`` package): compile with its source map, and guard what it cannot do.

libsass never got Sass's module system: it passes ``@use`` through as if it were CSS,
so a release would silently carry it. Its errors sometimes lack a column or any place
at all. This module turns both into ``path:line:col: error:`` lines that say what to do.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import BuildFailed, SourceError
from . import sass_resolve
from .sass_compile import MODULE_SYSTEM_HINT, SassOptions, SassOutput

OUTSIDE = "leads outside the source folder and the load paths"
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

    read: dict[str, None] = {entry: None}
    missing: list[str] = []
    try:
        css, raw_map = sass.compile(
            filename=entry, source_map_filename=entry + ".map", source_map_contents=True,
            output_style="compressed", omit_source_map_url=True, include_paths=list(options.load_paths),
            importers=[(0, lambda path, prev: _watch(path, prev, options, read, missing))],
        )
    except sass.CompileError as err:
        raise BuildFailed(_module_system(read, display) or [_error(str(err), entry, read, display)]) from None
    except UnicodeDecodeError as err:
        raise BuildFailed([SourceError(display(Path(entry)), f"not valid UTF-8: {err.reason}")]) from None
    source_map = json.loads(raw_map)
    folder = os.path.dirname(entry)
    source_map["sources"] = [os.path.normpath(os.path.join(folder, s)) for s in source_map["sources"]]
    read.update(dict.fromkeys(source_map["sources"]))
    misplaced = _module_system(read, display)
    if not misplaced and _IN_CSS.search(css):
        misplaced = [SourceError(display(Path(entry)), f"the CSS would carry @use or @forward; {MODULE_SYSTEM_HINT}")]
    if misplaced:
        raise BuildFailed(misplaced)
    outside = [p for p in read if not sass_resolve.inside(p, options.allowed)]
    if outside:
        raise BuildFailed([SourceError(display(Path(entry)), f"reads {p}, which {OUTSIDE}") for p in outside])
    absent = tuple(dict.fromkeys(p for p in missing if not sass_resolve.inside(p, [options.root])))
    return SassOutput(css, source_map, tuple(read), absent=absent)


def _watch(path: str, prev: str, options: SassOptions, read: dict[str, None], missing: list[str]) -> None:
    """libsass import hook: note the file a load means and refuse it if it is outside; libsass loads it."""
    if "://" in path or path.startswith("url(") or path.endswith(".css"):
        return None
    base = os.path.dirname(prev) if os.path.isabs(prev) else options.root
    for folder in (base, *options.load_paths):
        target = os.path.normpath(os.path.join(folder, path))
        try:
            found = sass_resolve.resolve(target, True, missing)
        except sass_resolve.Ambiguous:
            return None  # libsass says so itself, at the line
        if found is not None:
            if not sass_resolve.inside(found, options.allowed):
                raise ImportRefused(f"@import {path!r} {OUTSIDE} (to {found})")
            read[found] = None
            return None
        if folder is base and not sass_resolve.inside(target, options.allowed):
            raise ImportRefused(f"@import {path!r} {OUTSIDE}")
    return None


def _module_system(read: dict[str, None], display: Any) -> list[SourceError]:
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


def _first_matches(read: dict[str, None], pattern: re.Pattern[str]) -> Iterator[tuple[str, str, re.Match | None]]:
    """Each readable file read, its text, and ``pattern``'s first match outside its comments."""
    for path in read:
        try:
            text = Path(path).read_text("utf-8", errors="replace")
        except OSError:
            continue
        yield path, text, pattern.search(_without_comments(text))


def _error(message: str, entry: str, read: dict[str, None], display: Any) -> SourceError:
    """libsass's multi-line message as one ``path:line:col: error: what``."""
    refused = _REFUSED.search(message)
    first = refused.group(1) if refused else message.strip().splitlines()[0].removeprefix("Error: ").strip()
    first = first.removeprefix("Internal Error: ")
    where = _WHERE.search(message)
    if where:
        path = Path(where.group(3))
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
