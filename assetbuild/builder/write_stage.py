"""The work on each published file, run in the worker processes: compress, write or link.

Apart from the pipeline so that it stays one readable sequence of stages.
"""

from __future__ import annotations

from pathlib import Path

from .cache import Cache
from .leaves import OnDisk
from .release import put_file


def stage_file(
    item: tuple[str, bytes | OnDisk], staging: Path, previous: Path | None, encodings: tuple[str, ...],
    cache: Cache,
) -> tuple[dict[str, int], tuple[str, ...]]:
    """Write one file and the compressed copies that pay; return encoding -> size of each kept copy,
    and the files written (not linked from the previous release). A file left on disk is read
    whole only to be compressed, else streamed."""
    from .compress import SUFFIXES, compressed_copies, worth_compressing

    rel, data = item
    if isinstance(data, OnDisk) and encodings and data.size and worth_compressing(rel):
        data = data.read()
    files: dict[str, bytes | OnDisk] = {rel: data}
    kept = compressed_copies(rel, data, encodings, cache) if isinstance(data, bytes) else {}
    files.update((rel + SUFFIXES[encoding], packed) for encoding, packed in kept.items())
    written = tuple(file for file, content in files.items() if put_file(staging, previous, file, content))
    return {encoding: len(packed) for encoding, packed in kept.items()}, written


def precompress(item: tuple[str, str], encodings: tuple[str, ...], cache: Cache) -> None:
    from .compress import compressed_copies

    name, path = item
    try:
        with open(path, "rb") as f:
            compressed_copies(name, f.read(), encodings, cache)
    except OSError:
        pass  # only a head start: the real step reads the file again and reports any problem
