"""The manifest's JSON text, encoded a few hundred assets at a time.

``json.dumps(document, indent=2)`` runs Python's pure-Python encoder (the C one cannot
indent), which holds the whole text as millions of small strings before joining them: for
200,000 files that list outweighed everything else a build holds (peak RSS 1.17 GB). The
compact text hashed for the release id was a 60 MB string, and its bytes, at once.
Encoding the assets a few hundred at a time gives the very same bytes, appended to one
buffer or fed to the hash as they come, about as fast.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

_INDENTED = json.JSONEncoder(sort_keys=True, ensure_ascii=False, indent=2)
_COMPACT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_SPLIT_DEPTH = 2  # the document, then its "assets": the two mappings that grow with the tree
_GROUP = 512  # assets per encoder call


def indented(document: Mapping[str, Any]) -> bytes:
    """``(json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\\n").encode()``."""
    out = io.BytesIO()
    for piece in _pieces(document, 0, _SPLIT_DEPTH, True):
        out.write(piece.encode())
    out.write(b"\n")
    return out.getvalue()


def compact_sha256(document: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of ``json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``."""
    digest = hashlib.sha256()
    for piece in _pieces(document, 0, _SPLIT_DEPTH, False):
        digest.update(piece.encode())
    return digest.hexdigest()


def _pieces(value: Any, level: int, split: int, indent: bool) -> Iterator[str]:
    """``value``'s JSON text in pieces: mappings down to ``split`` levels key by key, the last
    of them in groups of keys (one encoder call each, so that the C encoder does most of it)."""
    if not (split and isinstance(value, Mapping) and value):
        yield _encode(value, level, indent)
        return
    keys = sorted(value)
    if split == 1:
        close = len(_closing(level, indent))
        for start in range(0, len(keys), _GROUP):
            text = _encode({key: value[key] for key in keys[start:start + _GROUP]}, level, indent)
            yield ("," if start else "{") + text[1:-close]
        yield _closing(level, indent)
        return
    inner = "\n" + "  " * (level + 1) if indent else ""
    for i, key in enumerate(keys):
        yield ("," if i else "{") + inner + json.dumps(key, ensure_ascii=False) + (": " if indent else ":")
        yield from _pieces(value[key], level + 1, split - 1, indent)
    yield _closing(level, indent)


def _encode(value: Any, level: int, indent: bool) -> str:
    if indent:  # the encoder indents as if at the top: push every line after the first in
        return _INDENTED.encode(value).replace("\n", "\n" + "  " * level)
    return _COMPACT.encode(value)


def _closing(level: int, indent: bool) -> str:
    return "\n" + "  " * level + "}" if indent else "}"
