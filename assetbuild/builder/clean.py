"""Delete old releases: keep the newest N and always the one ``current`` points at."""

from __future__ import annotations

import os
from pathlib import Path

from .folders import remove_tree
from .release import RELEASES, TEMP_PREFIX, current_release, sweep


def clean(output: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` most recently current releases, and leftovers of killed builds.

    The caller holds the output lock.
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
    for release in found:
        if release not in kept and release.resolve() != current:
            # Renamed out of the way first, in one step: a clean killed halfway leaves a temporary
            # folder for the next sweep, never a release with half its files that a server would list.
            doomed = releases / f"{TEMP_PREFIX}pruned-{release.name}"
            os.rename(release, doomed)
            remove_tree(doomed)
            removed.append(release)
    return removed
