"""One small interface over the Sass compilers: a source in; its CSS, its map and the files it read out.

``sass_dart`` and ``sass_libsass`` each provide ``compile(entry, options, display)``; the
rest of the build calls ``compile_sass`` and never learns which one ran.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import Config

MODULE_SYSTEM_HINT = 'Sass\'s module system needs Dart Sass: set sass = "dart" in [tool.assetbuild]'


@dataclass(frozen=True)
class SassOptions:
    """What a compile may read and how loud it is; every path absolute and normalised."""

    compiler: str
    root: str
    load_paths: tuple[str, ...] = ()
    silence_deprecations: tuple[str, ...] = ()
    fatal_deprecations: tuple[str, ...] = ()
    follow_links_outside: bool = False

    @property
    def allowed(self) -> tuple[str, ...]:
        """The folders a load may reach: ``source`` and the load paths."""
        return (self.root, *self.load_paths)


@dataclass(frozen=True)
class SassWarning:
    """One warning of a compile, where it was raised, and how many times it repeated."""

    path: str | None
    line: int | None
    col: int | None
    message: str
    count: int = 1


@dataclass(frozen=True)
class SassOutput:
    """Compressed CSS, its v3 map with ``sources`` as absolute paths, every file read (entry first),
    and the places in the load paths where a file would have changed what was read."""

    css: str
    source_map: Mapping[str, Any]
    read: tuple[str, ...]
    warnings: tuple[SassWarning, ...] = ()
    absent: tuple[str, ...] = ()  # places outside source looked at and found empty


def compile_sass(entry: str, options: SassOptions, display: Any) -> SassOutput:
    """Compile ``entry`` with the configured compiler; raise ``BuildFailed`` naming the file a person edits."""
    if options.compiler == "dart":
        from . import sass_dart as compiler
    else:
        from . import sass_libsass as compiler
    return compiler.compile(entry, options, display)


def sass_options(config: Config) -> SassOptions:
    """The Sass part of the configuration, as plain strings that cross into worker processes."""
    return SassOptions(config.sass, os.path.normpath(config.source), tuple(map(str, config.load_paths)),
                       config.silence_deprecations, config.fatal_deprecations, config.follow_symlinks_outside)
