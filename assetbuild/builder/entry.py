"""The entry of a build: an unchanged tree is known by its stamp, without any work; else the pipeline.

Kept apart from the pipeline so that a no-op build loads only what the check needs (the
compilers, bundlers and parsers cost more to import than the check costs to run).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..manifest import MANIFEST_NAME
from .cache import Cache
from .config import Config
from .current import Ticket
from .finish import Written, finish
from .sources import scan, template_files
from .stamp import stamp

if TYPE_CHECKING:
    from .parallel import Workers

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BundleReport:
    name: str
    raw: int
    minified: int
    gzip: int | None
    br: int | None


@dataclass(frozen=True)
class BuildResult:
    """What a build did; ``compiled`` is False when the stamp showed nothing had changed."""

    release: str
    path: Path
    created: bool
    switched: bool
    compiled: bool
    files: int
    bytes: int
    assets: int
    bundles: tuple[BundleReport, ...]
    seconds: float
    pruned: tuple[str, ...] = ()  # ids of the old releases this build removed to keep ``keep``


def to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def build(
    config: Config,
    *,
    jobs: int | None = None,
    wait: bool = False,
    use_cache: bool = True,
    warn: Callable[[str], None] = to_stderr,
    progress: Progress | None = None,
    archive: Path | None = None,
    workers: Workers | None = None,
) -> BuildResult:
    """Build ``config`` into a release under ``config.output``; raise ``BuildFailed`` with every error.

    ``archive``: also write the release as a .tar.gz there, before ``current`` is switched.
    ``workers``: a pool to use and leave running (``jobs`` is then ignored); by default the
    build starts its own and ends it before returning.
    """
    started = time.perf_counter()
    ticket = Ticket.take(config.output)
    cache = Cache(config.cache_dir if use_cache else None)
    tree = scan(config)
    templates = template_files(config.templates)
    files = [*tree.all_files.items(), *((str(p), str(p)) for p in templates)]
    signatures: dict[str, str] = {}  # taken once: the stamp's, used again for files left on disk
    build_stamp = stamp(config, files, signatures) if use_cache else None
    if build_stamp:
        unchanged = _unchanged(config, cache, build_stamp, ticket, wait, archive, warn)
        if unchanged:
            return replace(unchanged, seconds=time.perf_counter() - started)

    from .bundle_cache import external_signature
    from .parallel import Workers, default_jobs
    from .pipeline import full_build
    from .sources import plan

    # A lent pool (a watch session's) is left running, warm for the next round.
    with contextlib.nullcontext(workers) if workers else Workers(jobs or default_jobs()) as pool:
        result, outside = full_build(config, plan(config, tree), cache, pool, ticket, wait, warn, progress,
                                     archive, signatures)
    if build_stamp:
        # Files read from outside `source` (Sass load paths) are not in the stamp: their own
        # signatures are kept with it and checked before the result is trusted. The manifest's
        # digest lets a no-op build check the release cheaply.
        external = {dep: external_signature(dep) for dep in outside}
        if None not in external.values():
            entry = {**asdict(result), "external": external, "manifest": _digest_of(result.path / MANIFEST_NAME)}
            cache.put("noop", build_stamp, json.dumps(entry, default=str).encode())
    return replace(result, seconds=time.perf_counter() - started)


def _unchanged(
    config: Config, cache: Cache, build_stamp: str, ticket: Ticket, wait: bool, archive: Path | None,
    warn: Callable[[str], None],
) -> BuildResult | None:
    """The result of the last build of this very tree, if its release is still there, complete."""
    raw = cache.get("noop", build_stamp)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        external = data.pop("external", {})
        digest = data.pop("manifest", None)
        recorded = data.pop("store", {})
        result = BuildResult(**{**data, "path": Path(data["path"]), "pruned": (),
                                "bundles": tuple(BundleReport(**b) for b in data["bundles"])})
    except (ValueError, TypeError, KeyError):
        return None
    if external:
        from .bundle_cache import external_signature

        if any(external_signature(d) != s for d, s in external.items()):
            return None
    stamps = dict(recorded) if isinstance(recorded, dict) else {}
    written = finish(config, result.release, None, ticket, wait, archive, digest, stamps)
    if written is None:
        return None
    if stamps != recorded:  # the store was walked: the next no-op build can skip that
        cache.put("noop", build_stamp, json.dumps({**json.loads(raw), "store": stamps}).encode())
    tell_superseded(written, result.release, warn)
    return replace(result, created=False, switched=written.switched, compiled=False, pruned=written.pruned)


def _digest_of(path: Path) -> str | None:
    """The SHA-256 of the manifest a build made: a no-op build checks the release against it."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def tell_superseded(written: Written, release_id: str, warn: Callable[[str], None]) -> None:
    if written.superseded:
        warn(f"warning: release {release_id} is built but not made current: a build that started "
             "later has switched current already")


