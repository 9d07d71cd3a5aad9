"""The work on each published file: compress it and write it, unless the store has it already.

Apart from the pipeline so that it stays one readable sequence of stages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .cache import Cache, key_of
from .leaves import OnDisk
from .release import put_file

Copies = dict[str, int]  # encoding -> size of each compressed copy kept


def stage_file(
    item: tuple[str, bytes | OnDisk], staging: Path, store: Path, encodings: tuple[str, ...],
    cache: Cache,
) -> tuple[Copies, tuple[str, ...]]:
    """Write one file and the compressed copies that pay, where the store lacks them; return
    encoding -> size of each kept copy, and the files written. Runs in the worker processes.
    A file left on disk is read whole only to be compressed, else streamed."""
    from .compress import SUFFIXES, compressed_copies, worth_compressing

    rel, data = item
    if isinstance(data, OnDisk) and encodings and data.size and worth_compressing(rel):
        data = data.read()
    files: dict[str, bytes | OnDisk] = {rel: data}
    kept = compressed_copies(rel, data, encodings, cache) if isinstance(data, bytes) else {}
    files.update((rel + SUFFIXES[encoding], packed) for encoding, packed in kept.items())
    written = tuple(file for file, content in files.items() if put_file(staging, store, file, content))
    return {encoding: len(packed) for encoding, packed in kept.items()}, written


def precompress(item: tuple[str, str], encodings: tuple[str, ...], cache: Cache) -> None:
    from .compress import compressed_copies

    name, path = item
    try:
        with open(path, "rb") as f:
            compressed_copies(name, f.read(), encodings, cache)
    except OSError:
        pass  # only a head start: the real step reads the file again and reports any problem


def in_store(cache: Cache, release: str | None, encodings: tuple[str, ...], stored: set[str]) -> dict[str, Copies]:
    """The published files the store has already, complete with their copies: file -> its copies.

    From the cache's record of ``release`` (the current one): what to compress and what it
    weighs follows from a file's bytes, which its hashed name stands for. So an unchanged file
    costs a name lookup, not a compression and a comparison. No record: an empty answer.
    """
    from .compress import SUFFIXES

    raw = cache.get("copies", _copies_key(release, encodings)) if release else None
    try:
        known: dict[str, Copies] = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    found = {}
    for file, copies in known.items():  # a loop, not all(): 20,000 generators cost more than the lookups
        if file in stored:
            for encoding in copies:
                if file + SUFFIXES[encoding] not in stored:
                    break
            else:
                found[file] = copies
    return found


def remember(cache: Cache, release: str, encodings: tuple[str, ...], copies: Mapping[str, Copies]) -> None:
    """Record a release's files and their copies (file -> copies) for ``in_store``."""
    cache.put("copies", _copies_key(release, encodings), json.dumps(copies, sort_keys=True).encode())


def _copies_key(release: str, encodings: tuple[str, ...]) -> str:
    from .compress import settings

    return key_of("copies", release, settings(encodings))
