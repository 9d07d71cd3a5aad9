"""The one place that talks to webassets: a bundle's inputs in, its compiled bytes out.

webassets' ``Bundle`` joins the inputs and runs the filters; its run-time habits
(auto_build, cache, manifest, url_expire, timestamp updater) are all off, so a build
is a pure function of the files. Three filters are ours, because webassets' own do
not give what a release needs:

- ``ReadSource`` opens every input: Sass through the configured compiler (``sass_compile``)
  *with* its source map and the exact list of files it read (webassets cannot see
  partials); everything else as strict UTF-8, so a broken file is named, not mangled.
- ``RebaseReferences`` moves each input's relative ``url()`` / ``@import`` from the
  input's folder to the bundle's, and reports the ones that lead nowhere.
- ``JoinScripts`` puts ``;`` between scripts, so a file without a final semicolon
  cannot glue itself to the next.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webassets import Bundle, Environment
from webassets.exceptions import BuildError
from webassets.filter import Filter, get_filter

from ..errors import AssetbuildError, BuildFailed, SourceError
from . import references, sourcemaps
from .bundle_cache import ABSENT
from .config import SASS_SUFFIXES, bundle_kind
from .sass_compile import SassOptions, SassWarning, compile_sass

_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class CompiledBundle:
    """A bundle's bytes, the inputs it lists, every file it read, and its map when one is exact."""

    name: str
    data: bytes
    inputs: tuple[str, ...]
    dependencies: tuple[str, ...]
    source_map: Mapping[str, Any] | None = None
    warnings: tuple[SassWarning, ...] = ()


@dataclass
class _Collector:
    """What the filters learn while webassets runs them."""

    root: Path
    name: str
    published: frozenset[str]
    unpublished: Mapping[str, str]  # logical name -> why it is not published
    display: Any
    sass: SassOptions
    url_root: str = ""  # the URL prefix's path: root-absolute references under it are ours
    read: Callable[[Path], bytes] = Path.read_bytes  # how an input is read (``sources.read_source`` checks it)
    errors: list[AssetbuildError] = field(default_factory=list)
    warnings: list[SassWarning] = field(default_factory=list)
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
                raw = c.read(Path(source_path))
            except SourceError as err:  # swapped for a link that leads outside since the scan
                c.errors.append(err)
                return
            try:
                out.write(raw.decode("utf-8"))
            except UnicodeDecodeError as err:
                c.errors.append(SourceError(c.display(Path(source_path)),
                                            f"not valid UTF-8 (byte {err.start}); save the file as UTF-8"))
                return
            if bundle_kind(c.name) == "js":
                c.errors.extend(_script_problems(raw, c.display(Path(source_path)), c.name))
            return
        try:
            compiled = compile_sass(source_path, c.sass, c.display)
        except BuildFailed as failed:
            c.errors.extend(failed.errors)
            return
        for path in compiled.read:  # files outside source (load paths) by absolute path
            c.dependencies[c.logical(path) or path] = None
        c.dependencies.update(dict.fromkeys(ABSENT + path for path in compiled.absent))
        c.maps[logical] = dict(compiled.source_map)
        c.warnings.extend(compiled.warnings)
        out.write(compiled.css)


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
    sass: SassOptions,
    url_root: str = "",
    read: Callable[[Path], bytes] = Path.read_bytes,
) -> CompiledBundle:
    """Run one bundle through webassets; raise ``BuildFailed`` with every error it found.

    ``read`` reads each input that is not Sass (the Sass compilers read their own files)."""
    collector = _Collector(root, name, published, unpublished, display, sass, url_root, read)
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
    return CompiledBundle(name, data, inputs, tuple(collector.dependencies), source_map,
                          tuple(collector.warnings))


def _script_problems(data: bytes, shown: str, bundle: str) -> list[SourceError]:
    """A classic-script bundle input must parse, and must not be an ES module: concatenated
    modules keep their ``import`` lines, which a classic script cannot run."""
    from .js_modules import STATIC, scan  # tree-sitter: only for script bundles

    found = scan(data)
    problems = []
    if found.syntax_error:
        line, col, message = found.syntax_error
        problems.append(SourceError(shown, message, line, col))
    if found.module_at:
        problems.append(SourceError(shown, f"an ES module (import/export) cannot go into the classic-script bundle "
                                    f"{bundle!r}; publish modules as files and load them with type=\"module\"",
                                    *found.module_at))
    for ref in found.specifiers:
        if ref.kind != STATIC and references.is_local(ref.text):
            problems.append(SourceError(shown, f"{ref.text!r} is relative to this file, which the bundle {bundle!r} "
                                        "moves; publish this script as a file instead", ref.line, ref.col))
    return problems


def _bundle_map(name: str, collector: _Collector, entry: str) -> dict[str, Any]:
    """The Sass map with ``sources`` relative to where the bundle's map is published."""
    raw = collector.maps[entry]
    out_dir = os.path.join(collector.root, posixpath.dirname(name))
    sources = [Path(os.path.relpath(s, out_dir)).as_posix() for s in raw["sources"]]
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
    contents = source_map.get("sourcesContent") or []
    if index < len(contents) and contents[index]:
        line, col = _refine(contents[index], line, col, ref.text)
    return c.display(Path(source_map["sources"][index])), line, col


def _refine(text: str, line: int, col: int, written: str) -> tuple[int, int]:
    """The place of a reference inside the declaration a map points at: Dart Sass maps whole
    declarations, libsass maps the ``url(`` itself; both lead to the ``url(`` (or the text) here."""
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return line, col
    rest = lines[line - 1][col - 1:]
    at = rest.find(written, 0, len(rest.split(";")[0]) + len(written))
    if at < 0:
        return line, col
    opening = rest.rfind("url(", 0, at)
    return line, col + (opening if opening >= 0 else at)
