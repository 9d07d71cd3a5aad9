"""Markers under ``markers/`` that let a publish and a garbage collection of one prefix run at once.

A publish relies on keys it did not write (found by its listing, or proved by a manifest already
there); a gc deletes keys that no kept manifest uses. Neither can lock the bucket, so each announces
itself with a marker (a conditional put, then a delete when done; S3 reads are strongly consistent):

- publish: ``markers/publish-<release>-<nonce>.json`` holds its manifest. A gc keeps every key a
  publish marker lists, the manifest's own key included, unless the marker is older than
  ``max(--grace, PUBLISH_LIFETIME)`` (left by a killed publish).
- gc: ``markers/gc-<nonce>.json``. After writing its own marker, a publish waits until no gc marker
  younger than GC_LIFETIME is left; only then does it list the prefix, or trust a manifest it finds
  there (one it saw before is looked at again).

Why no key a publish relies on can be lost: take a publish P and a gc G. If G's listing shows P's
marker, G keeps P's keys. If not, P's marker came after that listing, so after G's marker: P then
finds G's marker and waits until G has finished deleting (or finds it gone: G finished already), so
P lists after all of G's deletions and uploads what G took. Any later gc lists P's marker.
The clock assumptions: a gc's deletions land within GC_LIFETIME of its marker (it starts no batch
after half of it), and the machines' clocks agree with the store's to within minutes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ..errors import AssetbuildError
from .objects import StoredObject
from .store import Store

MARKERS = "markers/"
PUBLISH_MARKER = re.compile(r"markers/publish-([^/]+)-[0-9a-f]{16}\.json")
GC_MARKER = re.compile(r"markers/gc-[0-9a-f]{16}\.json")
PUBLISH_LIFETIME = timedelta(days=1)  # a publish taking longer loses its marker's protection
GC_LIFETIME = timedelta(minutes=30)  # an older gc marker was left by a killed gc
GC_DEADLINE = GC_LIFETIME / 2  # a gc starts no delete batch after this (requests in flight finish well before)
WAIT_STEP = 0.5  # seconds between two looks at a running gc's marker


def publish_marker(manifest_body: bytes, release: str) -> StoredObject:
    rel = f"{MARKERS}publish-{release}-{secrets.token_hex(8)}.json"
    return StoredObject(rel, "application/json", "no-store", body=manifest_body, size=len(manifest_body))


def gc_marker() -> StoredObject:
    body = json.dumps({"gc": True, "pid": os.getpid(), "host": os.uname().nodename}).encode()
    return StoredObject(f"{MARKERS}gc-{secrets.token_hex(8)}.json", "application/json", "no-store",
                        body=body, size=len(body))


class Announced:
    """``with Announced(store, marker):`` the marker is in the bucket for the block, and deleted after it
    (also on an error or Ctrl-C; a killed process leaves it to expire)."""

    def __init__(self, store: Store, marker: StoredObject) -> None:
        self.store, self.marker = store, marker

    def __enter__(self) -> StoredObject:
        self.store.put(self.marker, self.marker.read())
        return self.marker

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            self.store.delete([self.marker.rel])
        except AssetbuildError:
            if kind is None:
                raise  # else the error under way is the one to report; the marker expires


def wait_for_gc(store: Store, say: Callable[[str], None] | None = None) -> None:
    """Return once no garbage collection of this prefix is running (no gc marker younger than GC_LIFETIME)."""
    told = False
    while True:
        cutoff = datetime.now(UTC) - GC_LIFETIME
        running = sorted(rel for rel, item in store.listing(MARKERS).items()
                         if GC_MARKER.fullmatch(rel) and item.modified > cutoff)
        if not running:
            return
        if say and not told:
            say(f"waiting for a garbage collection of {store.target} to finish ({running[0]}; "
                f"if that gc was killed, delete the marker or wait {int(GC_LIFETIME.total_seconds()) // 60} minutes)")
            told = True
        time.sleep(WAIT_STEP)
