"""A build, step by step: configuration -> sources -> bundles -> fingerprints -> compressed copies -> release.

Every error of every step is collected; nothing is written unless there are none.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import AssetbuildError, BuildFailed
from . import bundles as bundles_step
from .compress import compressed_copies
from .config import SASS_SUFFIXES, Config
from .fingerprint import Asset, Published, fingerprint
from .lock import locked
from .parallel import default_jobs, run_all
from .release import Release, Written, assemble, write
from .sources import Plan, plan, scan
from .templates_check import check_templates


@dataclass(frozen=True)
class BundleReport:
    name: str
    raw: int
    minified: int
    gzip: int | None
    br: int | None


@dataclass(frozen=True)
class BuildResult:
    release: Release
    written: Written
    published: dict[str, Published]
    bundles: list[BundleReport]
    seconds: float


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def build(
    config: Config,
    *,
    jobs: int | None = None,
    wait: bool = False,
    warn: Callable[[str], None] = _stderr,
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildResult:
    """Build ``config`` into a release under ``config.output``; raise ``BuildFailed`` with every error."""
    started = time.perf_counter()
    jobs = jobs or default_jobs()
    the_plan = plan(config, scan(config))
    errors: list[AssetbuildError] = []
    assets, read = _compile(config, the_plan, jobs, errors, progress)
    unpublished = _unpublished(the_plan)
    try:
        published = fingerprint(assets, unpublished, warn)
    except BuildFailed as failed:
        errors.extend(failed.errors)
        published = {}
    errors.extend(check_templates(config.templates, [*assets, *published], config.display, warn))
    if errors:
        raise BuildFailed(errors)
    items = sorted(published.values(), key=lambda p: p.name)
    copies = run_all(functools.partial(_compress, encodings=config.compress),
                     [(p.file, p.data) for p in items], jobs, _stage(progress, "compressing", len(items)))
    compressed = {p.name: c for p, c in zip(items, copies, strict=True)}
    release = assemble(published, compressed, config.url_prefix)
    with locked(config.output, wait):
        written = write(release, config.output)
    report = [
        BundleReport(name, sum(the_plan.tree.files[i].stat().st_size for i in read[name]),
                     len(published[name].data),
                     len(compressed[name].get("gzip", b"")) or None,
                     len(compressed[name].get("br", b"")) or None)
        for name in the_plan.bundles
    ]
    return BuildResult(release, written, published, report, time.perf_counter() - started)


def _stage(progress: Callable[[str, int, int], None] | None, name: str, total: int) -> Callable[[int], None] | None:
    return (lambda n: progress(name, n, total)) if progress else None


def _compile(
    config: Config, the_plan: Plan, jobs: int, errors: list[AssetbuildError],
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[dict[str, Asset], dict[str, tuple[str, ...]]]:
    """Every asset before fingerprinting (the bundles compiled in parallel, and the plain files),
    and for each bundle every source file it read."""
    work = functools.partial(
        _compile_one, root=config.source, published=the_plan.published,
        unpublished=_unpublished(the_plan), display=config.display,
    )
    results = run_all(work, list(the_plan.bundles.items()), jobs,
                      _stage(progress, "compiling bundles", len(the_plan.bundles)))
    assets: dict[str, Asset] = {}
    read: dict[str, tuple[str, ...]] = {}
    for (name, inputs), (compiled, failures) in zip(the_plan.bundles.items(), results, strict=True):
        errors.extend(failures)
        read[name] = tuple(d for d in compiled.dependencies if d in the_plan.tree.files) if compiled else inputs
        data = compiled.data if compiled else b""  # a failed bundle still exists for reference checks
        source_map = compiled.source_map if compiled and config.source_maps else None
        assets[name] = Asset(name, data, inputs, f"bundle {name!r}", source_map)
    for name in the_plan.plain:
        path = the_plan.tree.files[name]
        assets[name] = Asset(name, path.read_bytes(), (name,), config.display(path))
    return dict(sorted(assets.items())), read


def _compile_one(
    item: tuple[str, tuple[str, ...]], **kwargs: object
) -> tuple[bundles_step.CompiledBundle | None, list[AssetbuildError]]:
    try:
        return bundles_step.compile_bundle(item[0], item[1], **kwargs), []  # type: ignore[arg-type]
    except BuildFailed as failed:
        return None, failed.errors


def _compress(item: tuple[str, bytes], encodings: tuple[str, ...]) -> dict[str, bytes]:
    return compressed_copies(item[0], item[1], encodings)


def _unpublished(the_plan: Plan) -> dict[str, str]:
    """Why each source file that exists is still not a valid reference target."""
    why = {}
    inputs = {i for group in the_plan.bundles.values() for i in group}
    published = the_plan.published
    for name in the_plan.tree.files:
        if name in published:
            continue
        if name.lower().endswith(SASS_SUFFIXES):
            why[name] = "a Sass source, which is published only through a bundle"
        elif name in inputs:
            why[name] = "a bundle input, which is not published on its own"
    return why
