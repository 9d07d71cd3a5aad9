"""Garbage collection of a published prefix: delete the keys that none of the newest releases use.

Kept: every key that the ``keep`` newest published manifests (by upload time), the release that
``current.json`` names, or any release published within ``grace`` list; those manifests; the
pointer; and any key younger than ``grace`` (a publish still under way, pages rendered by processes
that have not been replaced yet). A release published within the grace keeps all of its keys, old ones
included: hosts may still be serving it.
Keys that do not look like assetbuild's (no content hash in the name) are never touched.
Object stores time uploads to the second: releases published within one second are ordered
by id, which only matters with a grace under a second.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import ManifestError
from .objects import POINTER, release_key
from .store import Store

RELEASE_MANIFEST = re.compile(r"releases/([^/]+)/manifest\.json")
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.|$)")  # name.<hash>.ext, and its .gz/.br copies


@dataclass
class GcResult:
    target: str
    dry_run: bool
    kept: list[str]  # release ids whose keys were kept, newest first
    deleted: list[str] = field(default_factory=list)  # keys deleted (or, with dry_run, to delete)
    spared: int = 0  # unused keys left because they are younger than the grace period
    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def collect_garbage(store: Store, keep: int, grace: timedelta, dry_run: bool = False,
                    now: datetime | None = None) -> GcResult:
    started = time.monotonic()
    listed = store.listing()
    manifests = sorted((rel for rel in listed if RELEASE_MANIFEST.fullmatch(rel)),
                       key=lambda rel: (listed[rel].modified, rel), reverse=True)
    cutoff = (now or datetime.now(UTC)) - grace
    kept = manifests[:keep] + [rel for rel in manifests[keep:] if listed[rel].modified > cutoff]
    if POINTER in listed:
        live = _json(store.get(POINTER), POINTER).get("manifest")
        if isinstance(live, str) and live in listed and live not in kept:
            kept.append(live)
    used = {POINTER, *kept}
    for rel in kept:
        used |= _keys_of(_json(store.get(rel), rel), rel)
    unused = [rel for rel in sorted(listed) if rel not in used and _ours(rel)]
    result = GcResult(str(store.target), dry_run, [RELEASE_MANIFEST.fullmatch(rel).group(1) for rel in kept])
    result.deleted = [rel for rel in unused if listed[rel].modified <= cutoff]
    result.spared = len(unused) - len(result.deleted)
    if not dry_run:
        store.delete(result.deleted)
    result.requests = dict(sorted(store.requests.items()))
    result.seconds = time.monotonic() - started
    return result


def _ours(rel: str) -> bool:
    return bool(RELEASE_MANIFEST.fullmatch(rel) or HASHED_NAME.search(rel.rsplit("/", 1)[-1]))


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
