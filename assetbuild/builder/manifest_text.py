"""The hash of the manifest's compact JSON text (the release id), fed as it is encoded.

``json.dumps`` of a whole manifest makes the text, then its bytes: for 200,000 assets a
60 MB string and a 60 MB copy at once, the peak of a build of many small files. Encoding
the assets a few hundred at a time (one C-encoder call each) and hashing the pieces as
they come gives the very same digest, about as fast.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

_COMPACT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_SPLIT_DEPTH = 2  # the document, then its "assets": the two mappings that grow with the tree
_GROUP = 512  # assets per encoder call


def compact_sha256(document: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of ``json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``."""
    digest = hashlib.sha256()
    for piece in _pieces(document, _SPLIT_DEPTH):
        digest.update(piece.encode())
    return digest.hexdigest()


def _pieces(value: Any, split: int) -> Iterator[str]:
    """``value``'s compact JSON text in pieces: mappings down to ``split`` levels key by key, the
    last of them in groups of keys."""
    if not (split and isinstance(value, Mapping) and value):
        yield _COMPACT.encode(value)
        return
    keys = sorted(value)
    if split == 1:
        for start in range(0, len(keys), _GROUP):
            text = _COMPACT.encode({key: value[key] for key in keys[start:start + _GROUP]})
            yield ("," if start else "{") + text[1:-1]
    else:
        for i, key in enumerate(keys):
            yield ("," if i else "{") + json.dumps(key, ensure_ascii=False) + ":"
            yield from _pieces(value[key], split - 1)
    yield "}"
