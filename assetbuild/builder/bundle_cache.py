"""Compiled bundles in the build cache, keyed on the bundle and the content of every file it read.

What a Sass bundle reads is known only after compiling it, so two entries work together:
``bundle-deps`` remembers which files the last compile read, and ``bundle`` holds the
result under a key made of those files' contents. A change to any of them (or any file
added, removed or renamed, through ``tree_key``) is a miss and a fresh compile. Files
read from the load paths are listed by absolute path and keyed by content the same way,
and so are the places there where the compiler looked and found nothing (``ABSENT``);
the warnings of the compile are kept with it, so a hit reports them again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict

from ..errors import BuildFailed
from .cache import Cache, key_of
from .sass_compile import SassWarning
from .stamp import stamp_of_file

ABSENT = "absent:"  # a dependency that is a place in the load paths where no file may appear


def compile_cached(item: tuple[str, tuple[str, ...]], *, files: Mapping[str, str], cache: Cache, tree_key: str,
                 **kwargs: object):  # -> (CompiledBundle | None, errors)
    """Compile one bundle, or take it from the cache when it and every file it read are unchanged."""
    from . import bundles  # webassets and libsass: loaded only when something is compiled

    name, inputs = item
    deps_key = key_of("bundle-deps", tree_key, name, *inputs)
    known = cache.get("bundle-deps", deps_key)
    if known is not None:
        key = content_key(tree_key, name, inputs, json.loads(known), files)
        hit = cache.get("bundle", key) if key else None
        if hit is not None:
            header, _, data = hit.partition(b"\n")
            try:
                meta = json.loads(header)
                warnings = tuple(SassWarning(**w) for w in meta["warnings"])
                return bundles.CompiledBundle(name, data, inputs, tuple(meta["dependencies"]), meta["map"],
                                              warnings), []
            except (ValueError, KeyError, TypeError):
                pass  # an entry of another shape: compile afresh
    try:
        compiled = bundles.compile_bundle(name, inputs, **kwargs)  # type: ignore[arg-type]
    except BuildFailed as failed:
        return None, failed.errors
    key = content_key(tree_key, name, inputs, list(compiled.dependencies), files)
    if key:
        meta = {"dependencies": compiled.dependencies, "map": compiled.source_map,
                "warnings": [asdict(w) for w in compiled.warnings]}
        cache.put("bundle", key, json.dumps(meta).encode() + b"\n" + compiled.data)
        cache.put("bundle-deps", deps_key, json.dumps(list(compiled.dependencies)).encode())
    return compiled, []


def external_signature(dep: str) -> str | None:
    """What the no-op check compares of a dependency outside ``source``; None if it cannot be trusted."""
    if dep.startswith(ABSENT):
        return None if os.path.lexists(dep.removeprefix(ABSENT)) else "absent"
    return stamp_of_file(dep)


def content_key(
    tree_key: str, name: str, inputs: tuple[str, ...], read: list[str], files: Mapping[str, str]
) -> str | None:
    """The key of a bundle whose compile read ``read``; None if one of them is gone."""
    parts = [tree_key, name, *inputs, "\0"]
    for dep in read:
        if dep.startswith(ABSENT):
            if os.path.lexists(dep.removeprefix(ABSENT)):
                return None  # a file appeared where the compiler looked: it may read it now
            parts.append(dep)
            continue
        path = files.get(dep) or (dep if os.path.isabs(dep) else None)  # absolute: a file of a load path
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                parts.append(f"{dep}\0{hashlib.sha256(f.read()).hexdigest()}")
        except OSError:
            return None
    return key_of(*parts)
