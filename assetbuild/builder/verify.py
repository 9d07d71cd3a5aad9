"""Check a release on disk against its manifest: every file there, unchanged, and nothing extra.

A release in an output folder keeps its files in the store, beside other releases' files:
there, "nothing extra" is about the release folder, which holds only its manifest.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli

from .. import integrity
from ..errors import ManifestError
from ..manifest import MANIFEST_NAME, Manifest
from .folders import walk
from .release import release_id


def verify(release_dir: Path) -> list[str]:
    """One line per problem found in ``release_dir``; empty when the release is intact: the
    manifest hashes to its release id (an edited ``type`` or ``url_prefix`` shows), and every
    file it lists is there, unchanged, with nothing extra."""
    manifest = Manifest.load(release_dir / MANIFEST_NAME)
    problems: list[str] = []
    document = json.loads((release_dir / MANIFEST_NAME).read_bytes())  # read and checked by `load`
    if release_id(document) != manifest.release:
        problems.append(f"{release_dir / MANIFEST_NAME}: error: changed since the build (its content no "
                        f"longer hashes to its release id {manifest.release!r})")
    files_dir = manifest.files_dir or release_dir
    listed = {MANIFEST_NAME}
    for name, entry in sorted(manifest.entries.items()):
        path = files_dir / entry.file
        listed.add(entry.file)
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(f"{path}: error: missing (listed for {name!r})")
            continue
        wrong = integrity.problem(entry.integrity, data)
        if wrong:
            problems.append(f"{path}: error: {wrong}{_REPAIR if files_dir != release_dir else ''}")
        for encoding, file in sorted(entry.encodings.items()):
            listed.add(file)
            problems.extend(_check_copy(files_dir / file, encoding, data))
    if files_dir != release_dir:
        listed = {MANIFEST_NAME}  # the files are in the store
    for folder, _, others in walk(str(release_dir)):
        for entry in others:
            rel = (Path(folder) / entry.name).relative_to(release_dir).as_posix()
            if rel not in listed:
                problems.append(f"{release_dir / rel}: error: not listed in the manifest")
    return problems


# A store file is written once and then trusted by every build that needs it.
_REPAIR = "; delete it and build again to write it anew"


def _check_copy(path: Path, encoding: str, original: bytes) -> list[str]:
    try:
        packed = path.read_bytes()
    except OSError:
        return [f"{path}: error: missing ({encoding} copy)"]
    try:
        unpacked = gzip.decompress(packed) if encoding == "gzip" else brotli.decompress(packed)
    except Exception:  # any decoder failure means a damaged copy
        return [f"{path}: error: not valid {encoding} data"]
    if unpacked != original:
        return [f"{path}: error: does not decompress to its file"]
    return []


def release_of(path: Path) -> Path:
    """The release folder a path names: a release folder, ``current`` or an output folder."""
    if (path / MANIFEST_NAME).is_file():
        return path
    if (path / "current" / MANIFEST_NAME).is_file():
        return path / "current"
    raise ManifestError(f"{path}: no {MANIFEST_NAME} here; give a release folder or an output folder")
