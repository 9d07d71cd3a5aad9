"""Precompressed copies (gzip, brotli) of the files where they pay.

Byte-for-byte reproducible: gzip with level 9, mtime 0 and no file name; brotli at
quality 11. A copy is kept only where it is at least ``MIN_SAVING`` smaller.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping

import brotli

MIN_SAVING = 0.05
SUFFIXES = {"gzip": ".gz", "br": ".br"}
# Formats that are compressed already: another pass only costs time.
SKIP_COMPRESS_EXTENSIONS = frozenset({
    ".woff2", ".woff", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".heic", ".jxl", ".ico",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".br", ".7z", ".rar", ".jar", ".pdf",
    ".mp3", ".mp4", ".m4a", ".ogg", ".oga", ".ogv", ".webm", ".mov",
})


def worth_compressing(name: str) -> bool:
    dot = name.rfind(".")
    return dot < 0 or name[dot:].lower() not in SKIP_COMPRESS_EXTENSIONS


def compress_one(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    if encoding == "br":
        return brotli.compress(data, quality=11)
    raise ValueError(f"unknown encoding {encoding!r}")


def compressed_copies(name: str, data: bytes, encodings: tuple[str, ...]) -> dict[str, bytes]:
    """encoding -> compressed bytes, for the encodings that save at least ``MIN_SAVING``."""
    if not encodings or not data or not worth_compressing(name):
        return {}
    out = {}
    for encoding in encodings:
        packed = compress_one(data, encoding)
        if len(packed) <= len(data) * (1 - MIN_SAVING):
            out[encoding] = packed
    return out


def sizes(copies: Mapping[str, bytes]) -> dict[str, int]:
    return {encoding: len(packed) for encoding, packed in copies.items()}
