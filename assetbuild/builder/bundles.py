"""The one place that talks to webassets: a bundle's inputs in, its compiled bytes out.

webassets' ``Bundle`` joins the inputs and runs the filters; its run-time habits
(auto_build, cache, manifest, url_expire, timestamp updater) are all off, so a build
is a pure function of the files. Three filters are ours, because webassets' own do
not give what a release needs:

- ``ReadSource`` opens every input: Sass through libsass *with* its source map, whose
  ``sources`` are the exact list of files the compiler read (webassets cannot see
  partials); everything else as strict UTF-8, so a broken file is named, not mangled.
- ``RebaseReferences`` moves each input's relative ``url()`` / ``@import`` from the
  input's folder to the bundle's, and reports the ones that lead nowhere.
- ``JoinScripts`` puts ``;`` between scripts, so a file without a final semicolon
  cannot glue itself to the next.
"""

from __future__ import annotations

import functools
import io
import json
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sass
from webassets import Bundle, Environment
from webassets.exceptions import BuildError
from webassets.filter import Filter, get_filter

from ..errors import AssetbuildError, BuildFailed, SourceError
from . import references, sourcemaps
from .config import SASS_SUFFIXES, bundle_kind

_SASS_WHERE = re.compile(r"on line (\d+):(\d+) of (.+?)(?:, in [^\n]*)?\n")
_OUTSIDE = re.compile(r"ImportOutsideSource: (.+)")
_SPACE = re.compile(r"\s")


class ImportOutsideSource(Exception):
    """Raised inside libsass's importer hook; libsass reports it at the @import's line."""


@dataclass(frozen=True)
class CompiledBundle:
    """A bundle's bytes, the inputs it lists, every file it read, and its map when one is exact."""

    name: str
    data: bytes
    inputs: tuple[str, ...]
    dependencies: tuple[str, ...]
    source_map: Mapping[str, Any] | None = None


@dataclass
class _Collector:
    """What the filters learn while webassets runs them."""

    root: Path
    name: str
    published: frozenset[str]
    unpublished: Mapping[str, str]  # logical name -> why it is not published
    display: Any
    url_root: str = ""  # the URL prefix's path: root-absolute references under it are ours
    errors: list[AssetbuildError] = field(default_factory=list)
    dependencies: dict[str, None] = field(default_factory=dict)
    maps: dict[str, dict[str, Any]] = field(default_factory=dict)

    def logical(self, path: str | os.PathLike[str]) -> str | None:
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return None


class ReadSource(Filter):
    """webassets ``open`` step: compile Sass (recording its map), read the rest as UTF-8."""

    name = "assetbuild-read"

    def __init__(self, collector: _Collector) -> None:
        super().__init__()
        self.collector = collector

    def open(self, out: io.StringIO, source_path: str, **kw: Any) -> None:
        c = self.collector
        logical = c.logical(source_path) or source_path
        c.dependencies[logical] = None
        if not source_path.lower().endswith(SASS_SUFFIXES):
            try:
                out.write(Path(source_path).read_bytes().decode("utf-8"))
            except UnicodeDecodeError as err:
                c.errors.append(SourceError(c.display(Path(source_path)),
                                            f"not valid UTF-8 (byte {err.start}); save the file as UTF-8"))
            return
        try:
            css, raw_map = sass.compile(
                filename=source_path, source_map_filename=source_path + ".map",
                source_map_contents=True, output_style="compressed", omit_source_map_url=True,
                importers=[(0, functools.partial(_refuse_outside, c.root))],
            )
        except sass.CompileError as err:
            c.errors.append(_sass_error(str(err), source_path, c.display))
            return
        except UnicodeDecodeError as err:
            c.errors.append(SourceError(c.display(Path(source_path)), f"not valid UTF-8: {err.reason}"))
            return
        source_map = json.loads(raw_map)
        folder = os.path.dirname(source_path)
        for source in source_map["sources"]:
            read = c.logical(os.path.join(folder, source))
            if read is None:
                c.errors.append(SourceError(c.display(Path(source_path)),
                                            f"imports {source!r}, which is outside the source folder"))
            else:
                c.dependencies[read] = None
        c.maps[logical] = source_map
        out.write(css)


class RebaseReferences(Filter):
    """webassets ``input`` step: make each input's references relative to the bundle and check them."""

    name = "assetbuild-rebase"

    def __init__(self, collector: _Collector) -> None:
        super().__init__()
        self.collector = collector

    def input(self, _in: io.StringIO, out: io.StringIO, source_path: str, **kw: Any) -> None:
        c = self.collector
        data = _in.read().encode("utf-8", "surrogateescape")
        logical = c.logical(source_path) or source_path
        source_map = c.maps.get(logical)
        moved = posixpath.dirname(logical) != posixpath.dirname(c.name)

        def replace(ref: references.Reference) -> bytes | None:
            if ref.kind == "sourcemap":
                return None  # the input's own map does not describe the bundle
            if not references.is_local(ref.text, c.url_root):
                return ref.target
            target = references.resolve(logical, ref.text, c.url_root)
            problem = references.check_target(target, ref.text, c.published, c.unpublished)
            if problem:
                path, line, col = _origin(c, logical, source_map, ref)
                if path != c.display(c.root / logical):  # written in a partial, resolved from the entry
                    problem += (f" (url()s in Sass resolve from the file being compiled, {logical!r}, "
                                "not from the partial that holds them)")
                c.errors.append(SourceError(path, problem, line, col))
                return ref.target
            path, query = references.split(ref.text)
            # Rewritten here, before any minifier runs: a canonical, percent-encoded relative URL has no
            # space for rcssmin to squeeze out of a quoted url() ('my file.png' -> 'myfile.png').
            if not moved and not path.startswith("/") and not _SPACE.search(path):
                return ref.target
            return (references.relative_url(target, posixpath.dirname(c.name)) + query).encode()

        data, edits = references.rewrite(data, references.find(data, "css"), replace)
        if source_map is not None:
            source_map["mappings"] = sourcemaps.shift(source_map["mappings"], _in.getvalue().encode(
                "utf-8", "surrogateescape"), edits)
        out.write(data.decode("utf-8", "surrogateescape"))


class JoinScripts(Filter):
    """webassets ``concat`` step for scripts: a ``;`` line between files."""

    name = "assetbuild-join-scripts"

    def concat(self, out: io.StringIO, hunks: list[Any], **kw: Any) -> None:
        out.write("\n;\n".join(hunk.data() for hunk, _ in hunks))


def compile_bundle(
    name: str,
    inputs: tuple[str, ...],
    root: Path,
    published: frozenset[str],
    unpublished: Mapping[str, str],
    display: Any,
    url_root: str = "",
) -> CompiledBundle:
    """Run one bundle through webassets; raise ``BuildFailed`` with every error it found."""
    collector = _Collector(root, name, published, unpublished, display, url_root)
    env = Environment(
        directory=str(root), url="/", auto_build=False, cache=False, manifest=False,
        url_expire=False, updater=False, versions=False, debug=False,
    )
    single_sass = len(inputs) == 1 and inputs[0].lower().endswith(SASS_SUFFIXES)
    if bundle_kind(name) == "css":
        # libsass's compressed output is already minified; rcssmin over it would break the map.
        minify = [] if single_sass else [get_filter("rcssmin", keep_bang_comments=True)]
        filters = [ReadSource(collector), RebaseReferences(collector), *minify]
    else:
        filters = [ReadSource(collector), JoinScripts(), get_filter("rjsmin", keep_bang_comments=True)]
    bundle = Bundle(*inputs, filters=filters, output=name)
    env.register(name, bundle)
    out = io.StringIO()
    try:
        bundle.build(force=True, output=out, disable_cache=True)
    except BuildError as err:  # webassets' own complaint, such as an empty bundle
        collector.errors.append(SourceError(f"bundle {name!r}", str(err).split(" for <")[0]))
    if collector.errors:
        raise BuildFailed(collector.errors)
    data = out.getvalue().encode("utf-8", "surrogateescape")
    source_map = _bundle_map(name, collector, inputs[0]) if single_sass else None
    return CompiledBundle(name, data, inputs, tuple(collector.dependencies), source_map)


def _bundle_map(name: str, collector: _Collector, entry: str) -> dict[str, Any]:
    """The Sass map with ``sources`` relative to where the bundle's map is published."""
    raw = collector.maps[entry]
    entry_dir = posixpath.dirname(entry)
    out_dir = posixpath.dirname(name) or "."
    sources = [posixpath.relpath(posixpath.normpath(posixpath.join(entry_dir, s)), out_dir)
               for s in raw["sources"]]
    return {"version": 3, "file": posixpath.basename(name), "sources": sources,
            "sourcesContent": raw.get("sourcesContent", []), "names": raw.get("names", []),
            "mappings": raw["mappings"]}


def _origin(
    c: _Collector, logical: str, source_map: Mapping[str, Any] | None, ref: references.Reference
) -> tuple[str, int | None, int | None]:
    """Where a reference was written: through the Sass map back to the partial, if compiled."""
    if source_map is None:
        return c.display(c.root / logical), ref.line, ref.col
    found = sourcemaps.original_position(source_map["mappings"], ref.line, ref.col)
    if found is None:
        return c.display(c.root / logical), None, None
    index, line, col = found
    source = posixpath.normpath(posixpath.join(posixpath.dirname(logical), source_map["sources"][index]))
    return c.display(c.root / source), line, col


def _refuse_outside(root: Path, path: str, prev: str) -> None:
    """libsass importer: let libsass resolve every @import itself, unless it leads outside ``root``."""
    if "://" in path or path.startswith("url("):
        return None
    base = os.path.dirname(prev) if os.path.isabs(prev) else str(root)
    target = os.path.normpath(os.path.join(base, path))
    if not Path(target).is_relative_to(root):
        raise ImportOutsideSource(f"@import {path!r} leads outside the source folder")
    return None


def _sass_error(message: str, entry: str, display: Any) -> SourceError:
    """libsass's multi-line message as ``path:line:col: error: what``."""
    outside = _OUTSIDE.search(message)
    first = outside.group(1) if outside else message.strip().splitlines()[0].removeprefix("Error: ").strip()
    where = _SASS_WHERE.search(message)
    if not where:
        return SourceError(display(Path(entry)), first)
    path = Path(where.group(3))
    if not path.is_absolute():
        path = Path.cwd() / path
    return SourceError(display(path), first, int(where.group(1)), int(where.group(2)))
