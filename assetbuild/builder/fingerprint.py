"""Name every file by its content, after pointing its references at the hashed names.

A file's hash covers the hashed names of the files it references, so files are
hashed leaves first and a changed image changes every stylesheet that reaches it.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from ..errors import AssetbuildError, BuildFailed, SourceError
from . import references, sourcemaps

DIGEST_LENGTH = 12


@dataclass(frozen=True)
class Asset:
    """A file to publish, before fingerprinting; ``origin`` is how errors name it."""

    name: str
    data: bytes
    sources: tuple[str, ...]
    origin: str
    source_map: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Published:
    """A file as the release holds it: its hashed name, final bytes and what it points at."""

    name: str
    file: str
    digest: str
    data: bytes
    sources: tuple[str, ...]
    references: tuple[str, ...] = ()


@dataclass
class _Node:
    asset: Asset
    refs: list[references.Reference] = field(default_factory=list)
    targets: dict[int, str] = field(default_factory=dict)  # ref.start -> logical target


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


def fingerprint(
    assets: Mapping[str, Asset],
    unpublished: Mapping[str, str],
    warn: Callable[[str], None] = lambda message: None,
    url_root: str = "",
    on_demand: Mapping[str, Callable[[], Asset]] | None = None,
) -> dict[str, Published]:
    """Hash and rename every asset; raise ``BuildFailed`` listing every bad reference and cycle.

    ``url_root`` is the URL prefix's path: references under it name logical files too.
    ``on_demand`` loads the files published only when a published file reaches them."""
    errors: list[AssetbuildError] = []
    on_demand = on_demand or {}
    names = frozenset(assets) | frozenset(on_demand)
    nodes = {name: _Node(asset) for name, asset in sorted(assets.items())}
    todo = list(nodes)
    while todo:
        name = todo.pop()
        node = nodes[name]
        kind = references.kind_of(name)
        if kind is None:
            continue
        for ref in references.find(node.asset.data, kind):
            node.refs.append(ref)
            if not references.is_local(ref.text, url_root):
                continue
            target = references.resolve(name, ref.text, url_root)
            problem = references.check_target(target, ref.text, names, unpublished)
            if ref.kind == "sourcemap":
                if problem:
                    warn(f"{node.asset.origin}:{ref.line}:{ref.col}: warning: dropped sourceMappingURL: {problem}")
                else:
                    node.targets[ref.start] = target  # type: ignore[assignment]
            elif problem:
                errors.append(SourceError(node.asset.origin, problem, ref.line, ref.col))
            else:
                node.targets[ref.start] = target  # type: ignore[assignment]
            if ref.start in node.targets and target not in nodes:  # reached, so published too
                nodes[target] = _Node(on_demand[target]())  # type: ignore[index]
                todo.append(target)  # type: ignore[arg-type]
    if errors:
        raise BuildFailed(errors)
    order = _leaves_first(nodes)
    done: dict[str, Published] = {}
    for name in order:
        for item in _publish(nodes[name], done, names, url_root):
            done[item.name] = item
    return dict(sorted(done.items()))


def _leaves_first(nodes: Mapping[str, _Node]) -> list[str]:
    """Post-order over the reference graph; a cycle is an error naming its files."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for root in nodes:
        if state.get(root):
            continue
        stack: list[tuple[str, list[str]]] = [(root, sorted(set(nodes[root].targets.values())))]
        path = [root]
        state[root] = 1
        while stack:
            name, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[name] = 2
                order.append(name)
                continue
            nxt = todo.pop(0)
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise BuildFailed([SourceError(nodes[nxt].asset.origin,
                                               "reference cycle: " + " -> ".join(cycle))])
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(set(nodes[nxt].targets.values()))))
    return order


def _publish(node: _Node, done: Mapping[str, Published], names: frozenset[str], url_root: str) -> list[Published]:
    asset = node.asset
    here = posixpath.dirname(asset.name)

    def replace(ref: references.Reference) -> bytes | None:
        target = node.targets.get(ref.start)
        if target is None:
            return None if ref.kind == "sourcemap" and references.is_local(ref.text, url_root) else ref.target
        return _hashed_reference(ref.text, done[target], here).encode()

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
    targets = tuple(sorted(set(node.targets.values()) | {o.name for o in out}))
    own = digest(data)
    out.append(Published(asset.name, references.hashed_name(asset.name, own), own, data,
                         asset.sources, targets))
    return out


def _hashed_reference(written: str, target: Published, here: str) -> str:
    """The reference as written, with the target's hashed name in place of its name."""
    path, suffix = references.split(written)
    folder, slash, last = path.rpartition("/")
    candidate = folder + slash + references.hashed_name(last, target.digest)
    if posixpath.normpath(posixpath.join(here, unquote(candidate))) == target.file:
        return candidate + suffix
    return references.relative_url(target.file, here) + suffix
