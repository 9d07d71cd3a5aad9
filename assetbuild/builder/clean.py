"""Delete old releases: keep the newest N and always the one ``current`` points at.

A release's files go with it unless another kept release lists them (``store.collect``).
"""

from __future__ import annotations

from pathlib import Path

from .prune import collect
from .release import RELEASES, building, current_release, sweep
from .store import collect_unlisted


def clean(output: Path, keep: int, own: Path | None = None, unlisted: bool = False) -> list[Path]:
    """Remove all but the ``keep`` most recently current releases, and leftovers of killed builds;
    ``unlisted``: also every store file that no release lists. While another build is writing a
    release, only leftovers are removed: that build may rely on any file of the store.

    The caller holds the output lock; ``own`` is the caller's own staging folder, if any.
    """
    releases = output / RELEASES
    removed = sweep(output)
    if not releases.is_dir():
        return removed
    current = current_release(output)
    found = sorted(
        (p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    kept = {p for p in found[:keep]} | ({current} if current else set())
    doomed = [release for release in found if release not in kept and release.resolve() != current]
    busy = building(output, own)
    removed += collect(output, doomed, busy)
    if unlisted and not busy:
        removed += collect_unlisted(output)
    return removed
