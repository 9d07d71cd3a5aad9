"""Publish one release: list the prefix once, upload only the missing keys in parallel (never
overwriting one), then the release's manifest, and last the ``current.json`` pointer.

The order is the crash safety: until the pointer is written, nothing a reader follows has changed,
and a run killed anywhere is finished by the next one, which lists what got there and skips it.
It also makes a shortcut sound: a release manifest in the bucket was written after every key it
lists, and a gc deletes a manifest before its files, so a release whose manifest is there needs no
listing (two requests when the pointer names it already; else the pointer is all there is to write).
Running beside a gc of the same prefix: see ``markers``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AssetbuildError, BuildFailed, SourceError
from ..manifest import MANIFEST_NAME, Manifest
from .markers import Announced, publish_marker, wait_for_gc
from .objects import POINTER, StoredObject, file_keys, manifest_object, pointer_object, release_objects
from .store import Listed, Store

Progress = Callable[[str, int, int], None]


@dataclass
class PublishResult:
    """What a publish did (or, with ``dry_run``, would do)."""

    target: str
    release: str
    dry_run: bool
    objects: int  # files and copies of the release
    present: int = 0  # of those, already in the bucket
    uploaded: list[str] = field(default_factory=list)  # keys written (or to write), pointer included
    uploaded_bytes: int = 0
    already_there: list[str] = field(default_factory=list)  # keys another run wrote after our listing (412)
    pointer: str = "unchanged"  # "written", "unchanged" or "would write"
    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def publish(release_dir: Path, store: Store, dry_run: bool = False, progress: Progress | None = None,
            workers: int = 16, say: Callable[[str], None] | None = None) -> PublishResult:
    """``say(line)`` is told when the publish waits for a garbage collection of the same prefix."""
    started = time.monotonic()
    release_dir = release_dir.resolve()  # `current` once: a build switching it meanwhile changes nothing here
    manifest = Manifest.load(release_dir / MANIFEST_NAME)
    release_manifest = manifest_object(release_dir, manifest.release)
    pointer = pointer_object(manifest.release)
    result = PublishResult(str(store.target), manifest.release, dry_run, objects=len(file_keys(manifest)))
    published = store.exists(release_manifest.rel)
    if published and store.get_if_there(POINTER) == pointer.body:
        result.present = result.objects  # live already: nothing to write
    elif published and dry_run:
        result.present = result.objects
        _will_write(result, [pointer], dry_run)
    elif dry_run:
        _publish_files(release_dir, manifest, release_manifest, pointer, store, result, progress, workers)
    else:
        with Announced(store, publish_marker(release_manifest.read(), manifest.release)):
            wait_for_gc(store, say)  # from here on, no gc deletes what we are about to see
            if published and store.exists(release_manifest.rel):  # looked at again, after any gc
                result.present = result.objects
                _will_write(result, [pointer], dry_run)
                store.put(pointer, pointer.read(), replace=True)
            else:
                _publish_files(release_dir, manifest, release_manifest, pointer, store, result, progress, workers)
    result.requests = dict(sorted(store.requests.items()))
    result.seconds = time.monotonic() - started
    return result


def _publish_files(release_dir: Path, manifest: Manifest, release_manifest: StoredObject, pointer: StoredObject,
                   store: Store, result: PublishResult, progress: Progress | None, workers: int) -> None:
    """The full publish: one listing, the missing files, the manifest, the pointer."""
    _, files = release_objects(release_dir, manifest)
    listed = store.listing()
    _check_sizes(files, listed, store)
    missing = [obj for obj in files if obj.rel not in listed]
    write_manifest = release_manifest.rel not in listed
    write_pointer = not _same_bytes(listed.get(POINTER), pointer)
    result.present = len(files) - len(missing)
    _will_write(result, missing + [release_manifest] * write_manifest + [pointer] * write_pointer, result.dry_run)
    if not write_pointer:
        result.pointer = "unchanged"
    if result.dry_run:
        return
    written = _upload_all(missing, store, progress, workers)
    if write_manifest:  # only once every file is there
        written += _upload_all([release_manifest], store, None, 1)
    if write_pointer:  # last: from here on readers see the new release, complete
        store.put(pointer, pointer.read(), replace=True)
    result.already_there = sorted(rel for rel, wrote in written if not wrote)


def _will_write(result: PublishResult, todo: list[StoredObject], dry_run: bool) -> None:
    result.uploaded = [obj.rel for obj in todo]
    result.uploaded_bytes = sum(obj.size for obj in todo)
    result.pointer = "would write" if dry_run else "written"


def _upload_all(objects: list[StoredObject], store: Store, progress: Progress | None,
                workers: int) -> list[tuple[str, bool]]:
    """Upload in parallel; every failure is collected and reported together, after the rest finished."""
    done: list[tuple[str, bool]] = []
    errors: list[AssetbuildError] = []
    if not objects:
        return done
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(lambda o: store.put(o, o.read()), obj): obj for obj in objects}
        for future in as_completed(futures):
            try:
                done.append((futures[future].rel, future.result()))
            except AssetbuildError as err:
                errors.append(err)
            if progress:
                progress("uploading", len(done) + len(errors), len(objects))
    finally:  # on Ctrl-C, only the uploads under way finish
        pool.shutdown(cancel_futures=True)
    if errors:
        raise BuildFailed(sorted(errors, key=str))
    return done


def _check_sizes(files: list[StoredObject], listed: dict[str, Listed], store: Store) -> None:
    """A key that is there with another size holds other bytes, and keys are never overwritten:
    refuse rather than point a release at it."""
    wrong = [SourceError(f"{store.target}{obj.rel}",
                         f"already in the bucket with {listed[obj.rel].size} bytes, the release's file has "
                         f"{obj.size}; delete that key or publish to another prefix")
             for obj in files if obj.rel in listed and listed[obj.rel].size != obj.size]
    if wrong:
        raise BuildFailed(wrong)


def _same_bytes(listed: Listed | None, obj: StoredObject) -> bool:
    """Whether the listed pointer already holds ``obj``'s bytes: a single-part upload's ETag is their MD5
    (where the store encrypts with KMS it is not, and the pointer is simply written again)."""
    assert obj.body is not None
    return listed is not None and listed.etag == hashlib.md5(obj.body, usedforsecurity=False).hexdigest()
