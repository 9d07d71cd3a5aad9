"""Prune: delete old releases, and the store files that only they listed.

Which files only the pruned releases list is read from where their manifests differ from the
kept ones. A manifest is written one asset a line (``release.dump_manifest``), and an edit
changes a few lines of 20,000: the lines a pruned manifest does not share with the kept ones
name the candidates, and the kept manifests' own lines that the pruned one lacks name those
that stay. Parsing the pruned manifest and the kept ones took 0.35 s a build at 62,000 files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from ..manifest import MANIFEST_NAME, RELEASES
from .current import TEMP_PREFIX
from .folders import remove_tree
from .store import delete, listed, store_of

ASSET_LINE = b"    "  # an asset's line starts so; the manifest's own keys have two spaces


def collect(output: Path, doomed: Iterable[Path], building: bool) -> list[Path]:
    """Delete the release folders ``doomed`` and the store's files that no other release lists.

    The caller holds the output lock. ``building``: another build is writing a release (its
    staging folder is locked); it may rely on files it found in the store, so the releases
    stay for the next prune.
    """
    doomed = list(doomed)
    if building or not doomed:
        return []
    releases = output / RELEASES
    gone = [_read(release) for release in doomed]
    removed = []
    for release in doomed:
        # Renamed out of the way first, in one step: a prune killed halfway leaves a temporary
        # folder for the next sweep, never a release that lists deleted files.
        aside = releases / f"{TEMP_PREFIX}pruned-{release.name}"
        os.rename(release, aside)
        remove_tree(aside)
        removed.append(release)
    kept = [p for p in releases.iterdir() if not p.name.startswith(".")]
    theirs: set[bytes] = set()  # every line of every kept manifest, one manifest read at a time
    for release in kept:
        raw = _read(release)
        if raw is None:
            return removed  # a kept release that cannot be read may list any file: delete none
        theirs.update(raw.split(b"\n"))  # split and compared in C: only the few lines that differ are read
    unused: set[str] = set()
    for raw in gone:
        if raw is not None:  # an unreadable manifest lists nothing
            unused |= _only_in(raw, theirs, kept)
    delete(store_of(output), unused)
    return removed


def _only_in(raw: bytes, theirs: set[bytes], kept: list[Path]) -> set[str]:
    """The files manifest ``raw`` lists and none of the ``kept`` releases (whose lines are ``theirs``) do.

    Exact because a manifest lists each file on one line only (a file's name is its asset's):
    a kept line that lists such a file cannot be one of ``raw``'s lines, so it is among the
    kept lines parsed. Manifests written otherwise (by older versions) are parsed whole."""
    own = set(raw.split(b"\n"))
    gone, staying = _asset_lines(own - theirs), _asset_lines(theirs - own)
    gone, staying = _files_on(gone - staying), _files_on(staying - gone)
    if gone is None or staying is None:
        return _files(raw) - set().union(*(_files(_read(release) or b"") for release in kept))
    return gone - staying


def _asset_lines(lines: Iterable[bytes]) -> set[bytes]:
    """Without the comma that follows every asset but the last one: a new last asset changes no line."""
    return {line.rstrip(b",") for line in lines if line.startswith(ASSET_LINE)}


def _files_on(lines: Iterable[bytes]) -> set[str] | None:
    """The files the asset lines list; None if a line is not one asset's whole entry."""
    files: set[str] = set()
    for line in lines:
        try:
            (entry,) = json.loads(b"{" + line + b"}").values()
            files.add(entry["file"])
            files.update(entry["encodings"].values())
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
    return files


def _files(raw: bytes) -> set[str]:
    try:
        return listed(json.loads(raw))
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


def _read(release: Path) -> bytes | None:
    try:
        with open(release / MANIFEST_NAME, "rb") as f:
            return f.read()
    except OSError:
        return None
