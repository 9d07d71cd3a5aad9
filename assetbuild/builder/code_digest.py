"""A digest of assetbuild's own source files, so the cache follows the code that fills it.

The version stays 0.1.0 from commit to commit and the package is often installed
editable: a changed compressor or bundler must not be answered with what the old
code produced. Hashing about 40 small files takes well under a millisecond, once
per process (forked workers inherit it).
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


@functools.cache
def code_digest() -> str:
    """SHA-256 over the name and bytes of every ``.py`` file of the package, in sorted order."""
    h = hashlib.sha256()
    found = []
    for folder, dirs, names in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found += [os.path.join(folder, n) for n in names if n.endswith(".py")]
    for path in sorted(found):
        rel = os.path.relpath(path, PACKAGE).encode()
        with open(path, "rb") as f:
            data = f.read()
        h.update(len(rel).to_bytes(8, "little") + rel + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()
