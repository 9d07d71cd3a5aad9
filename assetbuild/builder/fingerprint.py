"""Name every file by its content, after pointing its references at the hashed names.

A file's hash covers its own content and that of every file it reaches (``reachability``),
so a changed image renames every stylesheet that reaches it, and cycles (legal between
ES modules, possible in CSS) need no special case.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ..errors import AssetbuildError, BuildFailed, ConfigError, SourceError
from . import js_modules, reachability, references, sourcemaps

if TYPE_CHECKING:
    from .leaves import OnDisk

DIGEST_LENGTH = 12


@dataclass(frozen=True)
class Asset:
    """A file to publish, before fingerprinting; ``origin`` is how errors name it."""

    name: str
    data: bytes
    sources: tuple[str, ...]
    origin: str
    source_map: Mapping[str, Any] | None = None
    stored: OnDisk | None = None  # a file that references nothing, left on disk (``data`` is empty)


@dataclass(frozen=True)
class Published:
    """A file as the release holds it: its hashed name, final bytes and what it points at."""

    name: str
    file: str
    digest: str
    data: bytes
    sources: tuple[str, ...]
    references: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    dynamic_imports: tuple[str, ...] = ()
    module: bool = False  # an ES module: the manifest lists its imports
    stored: OnDisk | None = None  # the bytes are this file's, left on disk (``data`` is empty)

    @property
    def size(self) -> int:
        return self.stored.size if self.stored else len(self.data)


@dataclass
class _Node:
    asset: Asset
    refs: list[references.Reference] = field(default_factory=list)
    targets: dict[int, str] = field(default_factory=dict)  # ref.start -> logical target, rewritten
    imports: dict[str, None] = field(default_factory=dict)
    dynamic_imports: dict[str, None] = field(default_factory=dict)
    others: dict[str, None] = field(default_factory=dict)  # referenced, not rewritten (import maps)
    specifiers: dict[int, str] = field(default_factory=dict)  # relative module specifiers: ref.start -> target
    urls: dict[str, None] = field(default_factory=dict)  # new URL(..., import.meta.url) targets
    module: bool = False


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


def fingerprint(
    assets: Mapping[str, Asset],
    unpublished: Mapping[str, str],
    warn: Callable[[str], None] = lambda message: None,
    url_root: str = "",
    on_demand: Mapping[str, Callable[[], Asset]] | None = None,
    *,
    scans: Mapping[str, js_modules.Scan] | None = None,
    styles: Mapping[str, list[references.Reference]] | None = None,
    importmap: Mapping[str, str] | None = None,
    modules: str = "rewrite",
) -> dict[str, Published]:
    """Hash and rename every asset; raise ``BuildFailed`` listing every bad reference.

    ``url_root`` is the URL prefix's path: references under it name logical files too.
    ``on_demand`` loads the files published only when a published file reaches them.
    ``scans`` holds the scripts' parses where the caller made them (in parallel), ``styles`` the
    stylesheets' references where the caller found them (from the cache); ``importmap``
    maps bare specifiers to logical names; ``modules="importmap"`` leaves specifiers as written.
    """
    errors: list[AssetbuildError] = []
    on_demand = on_demand or {}
    names = frozenset(assets) | frozenset(on_demand)
    # Files that reference nothing (images, fonts: most of a tree) are final as they are: only
    # the files that reference others go through the graph (20,000 leaves cost 0.3 s in it).
    leaves = {name: asset for name, asset in assets.items() if asset.stored is not None}
    nodes = {name: _Node(asset) for name, asset in sorted(assets.items()) if asset.stored is None}
    errors.extend(_check_importmap(importmap or {}, names))
    links = _Links(names, unpublished, importmap or {}, url_root, warn, errors)
    todo = list(nodes)

    def reach(target: str) -> None:  # reached, so published too
        if target not in nodes and target not in leaves:
            asset = on_demand[target]()
            if asset.stored is not None:
                leaves[target] = asset
            else:
                nodes[target] = _Node(asset)
                todo.append(target)

    for target in (importmap or {}).values():  # what the import map names is reached from every page
        if target in on_demand:
            reach(target)
    while todo:
        name = todo.pop()
        node = nodes[name]
        kind = references.kind_of(name)
        if kind == "js":
            scanned = (scans or {}).get(name) or js_modules.scan(node.asset.data)
            _check_script(node, scanned, warn, errors)
            node.refs.extend(references.find(node.asset.data, kind, scanned.specifiers))
        elif kind is not None:
            node.refs.extend(styles[name] if styles and name in styles else references.find(node.asset.data, kind))
        for ref in node.refs:
            target = links.follow(name, node, ref)
            if target is not None:
                reach(target)
    nodes = dict(sorted(nodes.items()))
    if errors:
        raise BuildFailed(errors)
    rewritten = set(nodes) if modules == "rewrite" else _outside_import_maps(nodes)
    for name, node in nodes.items():
        if name in rewritten:
            node.targets.update(node.specifiers)
        else:
            node.others.update(dict.fromkeys(node.specifiers.values()))
    own = {name: hashlib.sha256(_placeholder_bytes(node, url_root)).hexdigest() for name, node in nodes.items()}
    edges = {n: set(node.targets.values()) for n, node in nodes.items()}
    own.update({t: leaves[t].stored.sha256 for targets in edges.values() for t in targets if t in leaves})  # type: ignore[union-attr]
    final = reachability.reach_digests(own, edges)
    done: dict[str, Published] = {}
    for node in nodes.values():
        for item in _publish(node, final, names, url_root):
            done[item.name] = item
    for name, asset in leaves.items():
        digest = asset.stored.sha256[:DIGEST_LENGTH]  # type: ignore[union-attr]
        done[name] = Published(name, references.hashed_name(name, digest), digest, b"", asset.sources,
                               stored=asset.stored)
    return dict(sorted(done.items()))


def _check_importmap(importmap: Mapping[str, str], names: frozenset[str]) -> list[AssetbuildError]:
    """Every entry of ``[tool.assetbuild.importmap]`` must lead to a published file (a prefix, to one or more)."""
    wrong: list[AssetbuildError] = []
    for specifier, target in importmap.items():
        found = any(n.startswith(target) for n in names) if target.endswith("/") else target in names
        if not found:
            what = "no published file under" if target.endswith("/") else "no published file"
            wrong.append(ConfigError(f"importmap {specifier!r}: {what} {target!r}", "[tool.assetbuild.importmap]"))
    return wrong


def _check_script(node: _Node, scanned: js_modules.Scan, warn: Callable[[str], None],
                  errors: list[AssetbuildError]) -> None:
    """A published script must parse (a bundle's inputs were checked one by one already)."""
    origin = node.asset.origin
    node.module = scanned.module_at is not None
    if scanned.syntax_error and node.asset.sources == (node.asset.name,):
        line, col, message = scanned.syntax_error
        errors.append(SourceError(origin, message, line, col))
    for line in scanned.dynamic_lines:
        warn(f"{origin}:{line}: warning: import() of a computed specifier: the build cannot follow "
             "it, so the file it loads keeps its unhashed name")


@dataclass
class _Links:
    """Decides, for each reference, what it points at and whether its text is rewritten."""

    names: frozenset[str]
    unpublished: Mapping[str, str]
    importmap: Mapping[str, str]
    url_root: str
    warn: Callable[[str], None]
    errors: list[AssetbuildError]

    def follow(self, name: str, node: _Node, ref: references.Reference) -> str | None:
        """The logical name ``ref`` reaches (None if none, or if it is wrong: then reported)."""
        origin = node.asset.origin
        text = ref.text
        rewrite: bool | None  # None: a relative module specifier, rewritten unless an import map resolves it
        if ref.kind in js_modules.MODULE_KINDS:
            node.module = node.module or ref.kind == js_modules.STATIC
            if js_modules.is_bare(text):
                target = js_modules.map_bare(text, self.importmap)
                if target is None:
                    self.errors.append(SourceError(origin, f"bare module specifier {text!r} is not in "
                                                   "[tool.assetbuild.importmap]", ref.line, ref.col))
                    return None
                problem = references.check_target(target, text, self.names, self.unpublished)
                rewrite = False
            elif js_modules.is_relative(text) or references.is_local(text, self.url_root):
                target = references.resolve(name, text, self.url_root)
                problem = references.check_target(target, text, self.names, self.unpublished)
                rewrite = None
            else:
                return None  # a URL or another absolute path: the browser resolves it as written
        elif references.is_local(text, self.url_root):
            target = references.resolve(name, text, self.url_root)
            problem = references.check_target(target, text, self.names, self.unpublished)
            rewrite = True
        else:
            return None
        if problem:
            if ref.kind == "sourcemap":
                self.warn(f"{origin}:{ref.line}:{ref.col}: warning: dropped sourceMappingURL: {problem}")
            else:
                self.errors.append(SourceError(origin, problem, ref.line, ref.col))
            return None
        assert target is not None
        if rewrite is None:
            node.specifiers[ref.start] = target
        elif rewrite:
            node.targets[ref.start] = target
            if ref.kind == js_modules.URL:
                node.urls[target] = None
        else:
            node.others[target] = None
        if ref.kind == js_modules.STATIC:
            node.imports[target] = None
        elif ref.kind == js_modules.DYNAMIC:
            node.dynamic_imports[target] = None
        return target


def _outside_import_maps(nodes: Mapping[str, _Node]) -> set[str]:
    """Modules loaded where no page's import map applies (workers and worklets, reached through
    ``new URL(..., import.meta.url)``), and every module they import: their specifiers are rewritten."""
    todo = [target for node in nodes.values() for target in node.urls if references.kind_of(target) == "js"]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(nodes[name].specifiers.values())
    return seen


def _placeholder_bytes(node: _Node, url_root: str) -> bytes:
    """The file as it will be published, with each rewritten reference as its target's logical
    name instead of its hashed one (and its source map, which a Sass comment can change alone)."""
    def replace(ref: references.Reference) -> bytes | None:
        target = node.targets.get(ref.start)
        if target is None:
            return None if ref.kind == "sourcemap" and references.is_local(ref.text, url_root) else ref.target
        return ref.target + b"\0" + target.encode() + b"\0"

    if not node.targets and not any(ref.kind == "sourcemap" for ref in node.refs) and node.asset.source_map is None:
        return node.asset.data
    data, _ = references.rewrite(node.asset.data, node.refs, replace)
    if node.asset.source_map is not None:
        data += b"\0" + json.dumps(node.asset.source_map, sort_keys=True).encode()
    return data


def _publish(node: _Node, final: Mapping[str, str], names: frozenset[str], url_root: str) -> list[Published]:
    asset = node.asset
    here = posixpath.dirname(asset.name)

    def replace(ref: references.Reference) -> bytes | None:
        target = node.targets.get(ref.start)
        if target is None:
            return None if ref.kind == "sourcemap" and references.is_local(ref.text, url_root) else ref.target
        written = _hashed_reference(ref.text, target, final[target][:DIGEST_LENGTH], here)
        if ref.kind in js_modules.MODULE_KINDS and not js_modules.is_relative(written):
            written = "./" + written  # "util.js" alone would be a bare specifier
        return written.encode()

    data, edits = references.rewrite(asset.data, node.refs, replace)
    out: list[Published] = []
    if asset.source_map is not None:
        map_name = asset.name + ".map"
        if map_name in names:
            raise BuildFailed([SourceError(asset.origin, f"its source map would overwrite {map_name!r}")])
        source_map = dict(asset.source_map)
        source_map["mappings"] = sourcemaps.shift(source_map["mappings"], asset.data, edits)
        map_data = json.dumps(source_map, sort_keys=True, ensure_ascii=False).encode()
        map_digest = digest(map_data)
        map_file = references.hashed_name(map_name, map_digest)
        out.append(Published(map_name, map_file, map_digest, map_data, asset.sources))
        comment = b"/*# sourceMappingURL=" + quote(posixpath.basename(map_file)).encode() + b" */"
        data += (b"" if data.endswith(b"\n") else b"\n") + comment
    targets = tuple(sorted(set(node.targets.values()) | set(node.others) | {o.name for o in out}))
    own = final[asset.name][:DIGEST_LENGTH]
    out.append(Published(asset.name, references.hashed_name(asset.name, own), own, data, asset.sources,
                         targets, tuple(node.imports), tuple(node.dynamic_imports), node.module, asset.stored))
    return out


def _hashed_reference(written: str, target: str, target_digest: str, here: str) -> str:
    """The reference as written, with the target's hashed name in place of its name."""
    hashed = references.hashed_name(target, target_digest)
    path, suffix = references.split(written)
    folder, slash, last = path.rpartition("/")
    candidate = folder + slash + references.hashed_name(last, target_digest)
    if posixpath.normpath(posixpath.join(here, unquote(candidate))) == hashed:
        return candidate + suffix
    return references.relative_url(hashed, here) + suffix
