"""The output folder's store: every file of every kept release, once, under its hashed name.

A release is its manifest (``releases/<id>/manifest.json``); its files live in ``files/``,
shared by every release that lists them. A build then writes only the files that no kept
release has, and pruning deletes only the files that no kept release lists, so a rebuild
costs what changed, not the size of the tree: with a folder per release, one Bootstrap
partial changed in a tree of 62,000 files meant comparing and hard-linking 62,000 files
into the new release and deleting as many from the pruned one.

A file enters the store whole: written and flushed in the build's staging folder, then
renamed in. A hashed name is its content, so a file is never changed once there; a
damaged one (a disk fault, a hand edit) is replaced by the next build that writes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..manifest import MANIFEST_NAME, RELEASES, STORE
from .folders import FEW_WRITTEN, flush_tree, fsync_folder, make_folders
from .stamp import stamp_of_file


def store_of(output: Path) -> Path:
    return output / STORE


def present(store: Path, stamps: dict[str, str] | None = None) -> set[str]:
    """The relative path of every regular file in the store: one walk (a name check of 62,000
    files this way costs a fraction of a ``stat`` each). ``stamps``: filled with every folder's
    signature, taken before its entries are read, "" for one changed too recently to be
    trusted (see ``unchanged_folders``)."""
    cut = len(str(store)) + 1
    found: set[str] = set()
    stack = [str(store)]
    while stack:  # unsorted, and without a list per folder: this runs in every no-op build
        folder = stack.pop()
        try:
            if stamps is not None:
                stamps[folder[cut:]] = stamp_of_file(folder) or ""
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        found.add(entry.path[cut:])
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return found


def unchanged_folders(store: Path, stamps: Mapping[str, str]) -> bool:
    """Whether no file was added to, removed from or renamed in the store since ``stamps`` were
    taken: each of those changes the signature of its folder (and a new folder, its parent's).
    One ``stat`` a folder (71 for the 62,000 files of a large tree) instead of a walk."""
    for rel, recorded in stamps.items():
        now = stamp_of_file(str(store / rel) if rel else str(store))
        if now is None or now != recorded:
            return False
    return bool(stamps)


def trusted_stamps(stamps: Mapping[str, str]) -> dict[str, str]:
    """``stamps`` if every folder changed long enough ago (a change within the same clock tick
    would not show in its signature: ``present`` left those empty), else none."""
    return dict(stamps) if all(stamps.values()) else {}


def listed(document: Mapping[str, Any]) -> set[str]:
    """Every file a manifest document lists: each asset's file and its compressed copies."""
    files: set[str] = set()
    for entry in document["assets"].values():
        files.add(entry["file"])
        files.update(entry["encodings"].values())
    return files


def move_in(staging: Path, store: Path, files: Collection[str]) -> None:
    """Rename files written in ``staging`` (relative paths, flushed already) into the store,
    then flush the store's folders that got new names."""
    store.mkdir(exist_ok=True)
    folders: set[str] = set()
    made: set[str] = set()
    for rel in files:
        parent = posixpath.dirname(rel)
        if parent not in folders:
            make_folders(str(store), parent, made)
            folders.add(parent)
        os.replace(staging / rel, store / rel)  # the same name is the same bytes: replaces only a damaged copy
    if len(folders) > FEW_WRITTEN:
        flush_tree(store)
        return
    for parent in folders:
        fsync_folder(store / parent)
    fsync_folder(store.parent)


def collect_unlisted(output: Path) -> list[Path]:
    """Delete every store file that no release lists (left by builds killed while moving
    files in). The caller holds the output lock, with no build running."""
    wanted: set[str] = set()
    for release in (output / RELEASES).iterdir():
        if not release.name.startswith("."):
            wanted |= files_of(release)
    store = store_of(output)
    unlisted = present(store) - wanted if store.is_dir() else set()
    delete(store, unlisted)
    return [store / rel for rel in sorted(unlisted)]


def files_of(release: Path) -> set[str]:
    """The files a release folder's manifest lists; an unreadable manifest lists nothing."""
    try:
        with open(release / MANIFEST_NAME, "rb") as f:
            return listed(json.loads(f.read()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()


def delete(store: Path, files: Iterable[str]) -> None:
    folders = set()
    for rel in sorted(files):
        with contextlib.suppress(OSError):
            os.unlink(store / rel)
            folders.add(posixpath.dirname(rel))
    for parent in sorted(folders, key=lambda p: -p.count("/")):  # emptied folders, deepest first
        path = parent
        while path:
            try:
                os.rmdir(store / path)
            except OSError:
                break
            path = posixpath.dirname(path)
