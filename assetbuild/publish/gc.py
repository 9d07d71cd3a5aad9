"""Garbage collection of a published prefix: delete the keys that none of the newest releases use.

Kept: every key that the ``keep`` newest published manifests (by upload time), the release that
``current.json`` names, or any release published within ``grace`` list; those manifests; the
pointer; every key a publish under way relies on (its marker lists them, see ``markers``); and any
key younger than ``grace`` (pages rendered by processes that have not been replaced yet). A release
published within the grace keeps all of its keys, old ones included: hosts may still be serving it.
Keys that do not look like assetbuild's (no content hash in the name) are never touched.
Manifests are deleted before any other key: a manifest in the bucket always has all its files, even
when a gc is killed half-way (publish's shortcut relies on it).
Object stores time uploads to the second: releases published within one second are ordered
by id, which only matters with a grace under a second.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import ConfigError, ManifestError
from .markers import GC_DEADLINE, GC_LIFETIME, GC_MARKER, PUBLISH_LIFETIME, PUBLISH_MARKER, Announced, gc_marker
from .objects import POINTER, release_key
from .store import DELETE_BATCH, Store

RELEASE_MANIFEST = re.compile(r"releases/([^/]+)/manifest\.json")
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.|$)")  # name.<hash>.ext, and its .gz/.br copies


@dataclass
class GcResult:
    target: str
    dry_run: bool
    kept: list[str]  # release ids whose keys were kept, newest first
    deleted: list[str] = field(default_factory=list)  # keys deleted (or, with dry_run, to delete)
    spared: int = 0  # unused keys left because they are younger than the grace period
    publishing: list[str] = field(default_factory=list)  # release ids of publishes under way, their keys kept
    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def collect_garbage(store: Store, keep: int, grace: timedelta, dry_run: bool = False,
                    now: datetime | None = None) -> GcResult:
    """Unless ``dry_run``, announced by a gc marker for as long as it runs (publishes wait for it)."""
    started = time.monotonic()
    if dry_run:
        result = _collect(store, keep, grace, now or datetime.now(UTC), True, "", started)
    else:
        with Announced(store, gc_marker()) as marker:
            result = _collect(store, keep, grace, now or datetime.now(UTC), False, marker.rel, started)
    result.requests = dict(sorted(store.requests.items()))
    result.seconds = time.monotonic() - started
    return result


def _collect(store: Store, keep: int, grace: timedelta, now: datetime, dry_run: bool, own_marker: str,
             started: float) -> GcResult:
    listed = store.listing()
    manifests = sorted((rel for rel in listed if RELEASE_MANIFEST.fullmatch(rel)),
                       key=lambda rel: (listed[rel].modified, rel), reverse=True)
    cutoff = now - grace
    kept = manifests[:keep] + [rel for rel in manifests[keep:] if listed[rel].modified > cutoff]
    if POINTER in listed:
        live = _json(store.get(POINTER), POINTER).get("manifest")
        if isinstance(live, str) and live in listed and live not in kept:
            kept.append(live)
    publishing = sorted(rel for rel in listed if PUBLISH_MARKER.fullmatch(rel)
                        and listed[rel].modified > now - max(grace, PUBLISH_LIFETIME))
    running = {rel for rel in listed if GC_MARKER.fullmatch(rel) and listed[rel].modified > now - GC_LIFETIME}
    used = {POINTER, own_marker, *kept, *publishing, *running}
    for rel in kept:
        used |= _keys_of(_json(store.get(rel), rel), rel)
    for rel in publishing:
        used |= _keys_of(*_publishing(store, rel))
    unused = [rel for rel in sorted(listed) if rel not in used and _ours(rel)]
    result = GcResult(str(store.target), dry_run, [RELEASE_MANIFEST.fullmatch(rel).group(1) for rel in kept])
    result.publishing = [PUBLISH_MARKER.fullmatch(rel).group(1) for rel in publishing]
    result.deleted = [rel for rel in unused if listed[rel].modified <= cutoff]
    result.spared = len(unused) - len(result.deleted)
    if not dry_run:
        _delete(store, result.deleted, started)
    return result


def _delete(store: Store, rels: list[str], started: float) -> None:
    """Manifests first, then the rest, batch by batch; no batch starts past GC_DEADLINE, after which a
    publish would take this gc's marker for one left by a killed gc."""
    manifests = [rel for rel in rels if RELEASE_MANIFEST.fullmatch(rel)]
    others = [rel for rel in rels if not RELEASE_MANIFEST.fullmatch(rel)]
    batches = [manifests[i:i + DELETE_BATCH] for i in range(0, len(manifests), DELETE_BATCH)]
    batches += [others[i:i + DELETE_BATCH] for i in range(0, len(others), DELETE_BATCH)]
    for done, batch in enumerate(batches):
        if time.monotonic() - started > GC_DEADLINE.total_seconds():
            minutes = int(GC_DEADLINE.total_seconds()) // 60
            raise ConfigError(f"garbage collection stopped after {minutes} minutes, {done} of {len(batches)} "
                              "batches deleted; run it again to finish", str(store.target))
        store.delete(batch)


def _ours(rel: str) -> bool:
    return bool(RELEASE_MANIFEST.fullmatch(rel) or PUBLISH_MARKER.fullmatch(rel) or GC_MARKER.fullmatch(rel)
                or HASHED_NAME.search(rel.rsplit("/", 1)[-1]))


def _publishing(store: Store, marker: str) -> tuple[dict, str]:
    """The manifest a publish marker holds; if the marker is gone since the listing, its publish has
    ended: its manifest is in the bucket now (or the publish failed, and relies on nothing)."""
    body = store.get_if_there(marker)
    if body is not None:
        return _json(body, marker), marker
    manifest = release_key(PUBLISH_MARKER.fullmatch(marker).group(1))
    body = store.get_if_there(manifest)
    return (_json(body, manifest), manifest) if body is not None else ({"assets": {}}, marker)


def _keys_of(manifest: dict, rel: str) -> set[str]:
    """Every key a published manifest uses: each file and each precompressed copy."""
    assets = manifest.get("assets")
    if not isinstance(assets, dict):
        raise ManifestError(f"{rel}: not an assetbuild manifest; nothing deleted")
    keys = {release_key(str(manifest.get("release", "")))}
    for entry in assets.values():
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise ManifestError(f"{rel}: an asset without a 'file'; nothing deleted")
        keys.add(entry["file"])
        keys.update(entry.get("encodings", {}).values())
    return keys


def _json(data: bytes, rel: str) -> dict:
    try:
        value = json.loads(data)
    except ValueError:
        raise ManifestError(f"{rel}: malformed JSON in the bucket; nothing deleted") from None
    if not isinstance(value, dict):
        raise ManifestError(f"{rel}: not a JSON object; nothing deleted")
    return value
