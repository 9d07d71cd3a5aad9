"""Subresource Integrity values: one way to write them, one way to check them.

Used by the build (the manifest's ``integrity``), by ``verify`` and by publishing; standard
library only, so the run-time and deploy-time sides may import it too.
"""

from __future__ import annotations

import base64
import hashlib

ALGORITHM = "sha384"


def written(digest: bytes) -> str:
    """The value for a finished ``sha384`` digest (a streamed file's, say)."""
    return f"{ALGORITHM}-{base64.b64encode(digest).decode()}"


def of(data: bytes) -> str:
    return written(hashlib.new(ALGORITHM, data).digest())


def problem(value: str, data: bytes) -> str | None:
    """What is wrong with ``data`` against an integrity ``value``, or None when it matches."""
    algorithm, _, expected = value.partition("-")
    if algorithm not in hashlib.algorithms_guaranteed:
        return f"unknown integrity algorithm {algorithm!r}"
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        return "changed since the build (integrity mismatch)"
    return None
