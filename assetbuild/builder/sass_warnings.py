"""Compiler warnings as one line each: the same warning at the same place is counted, not repeated.

Dart Sass raises a deprecation warning every time deprecated code runs (a mixin used a
hundred times warns a hundred times), and third-party packages in the load paths raise
many that the person building cannot fix: those are summed up per deprecation.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from .sass_compile import SassWarning
from .sass_resolve import inside

PLACES_SHOWN = 10  # per deprecation, in a person's own files; the rest are counted


class Tally:
    """Warnings of one compile: a person's files one line per place, the load paths' per deprecation."""

    def __init__(self, root: str, load_paths: tuple[str, ...] = ()) -> None:
        self.root = root
        self.load_paths = load_paths
        self.own: Counter[tuple[str | None, int | None, int | None, str]] = Counter()
        self.theirs: Counter[str] = Counter()
        self.first: dict[str, tuple[str, int | None, int | None]] = {}
        self.invalid: list[str] = []  # deprecation ids the compiler does not know

    def add(self, path: str | None, line: int | None, col: int | None, message: str, deprecation: str | None) -> None:
        text = _first_sentence(message) + (f" [{deprecation}]" if deprecation else "")
        if path is not None and deprecation and (inside(path, self.load_paths) or not inside(path, [self.root])):
            self.theirs[deprecation] += 1
            self.first.setdefault(deprecation, (path, line, col))
        else:
            self.own[(path, line, col, text)] += 1

    def warnings(self) -> tuple[SassWarning, ...]:
        found: list[SassWarning] = []
        shown: Counter[str] = Counter()
        more: Counter[str] = Counter()
        for (path, line, col, text), n in self.own.items():
            kind = text.rsplit(" [", 1)[-1] if text.endswith("]") else text
            shown[kind] += 1
            if shown[kind] <= PLACES_SHOWN:
                found.append(SassWarning(path, line, col, text, n))
            else:
                more[kind] += 1
        for kind, n in more.items():
            label = f"[{kind}" if kind.endswith("]") else repr(kind)
            found.append(SassWarning(None, None, None, f"{n} more places with the warning {label}"))
        for deprecation, n in self.theirs.items():
            path, line, col = self.first[deprecation]
            found.append(SassWarning(
                path, line, col, f"{n} '{deprecation}' deprecation warning{'s' if n > 1 else ''} in files of "
                f"the load paths (the first here); add {deprecation!r} to silence_deprecations to hide them"))
        return tuple(found)


def format_warning(warning: SassWarning | dict[str, Any], display: Any) -> str:
    """``path:line:col: warning: what`` (with ``(N times)`` for a repeat)."""
    w = warning if isinstance(warning, SassWarning) else SassWarning(**warning)
    where = "" if w.path is None else display(os.path.abspath(w.path)) + "".join(
        f":{n}" for n in (w.line, w.col) if n is not None) + ": "
    return f"{where}warning: {w.message}" + (f" ({w.count} times)" if w.count > 1 else "")


def _first_sentence(message: str) -> str:
    """Dart Sass's first paragraph, with its first suggestion if it offers some."""
    paragraphs = message.strip().split("\n\n")
    first = " ".join(paragraphs[0].split())
    for label in (" Suggestions:", " Suggestion:"):
        if first.endswith(label) and len(paragraphs) > 1:
            return f"{first.removesuffix(label).rstrip('.')}; instead: {paragraphs[1].strip().splitlines()[0]}"
    return first
