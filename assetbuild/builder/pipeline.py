"""A build, step by step: configuration -> sources -> bundles -> fingerprints -> compressed copies -> release.

Every error of every step is collected; nothing is written unless there are none.
An unchanged tree is recognised by its stamp before any of that work (``entry.py``).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import AssetbuildError, BuildFailed, SourceError
from . import js_modules, references
from .bundle_cache import ABSENT, compile_cached
from .cache import Cache, key_of
from .config import SASS_SUFFIXES, Config
from .current import Ticket
from .entry import BuildResult, BundleReport, Progress, tell_superseded, to_stderr
from .fingerprint import Asset, Published, fingerprint
from .finish import Written, finish, writing
from .leaves import Known, changed_is_an_error, on_disk
from .lock import locked
from .parallel import Pending, Workers
from .release import Release, Staging, assemble, sweep
from .sass_compile import sass_options
from .sass_warnings import format_warning
from .sources import Plan, read_source
from .stamp import versions
from .store import present, store_of
from .write_stage import in_store, precompress, remember, stage_file


def full_build(
    config: Config, the_plan: Plan, cache: Cache, workers: Workers, ticket: Ticket, wait: bool,
    warn: Callable[[str], None], progress: Progress | None, archive: Path | None,
    signatures: Mapping[str, str] | None = None,
) -> tuple[BuildResult, tuple[str, ...]]:
    """The build itself, and the files it read from outside ``source``; ``signatures``: the
    source files' stat signatures, as the stamp took them."""
    from .templates_check import check_templates  # jinja2: only when templates are really checked

    errors: list[AssetbuildError] = []
    unpublished = _unpublished(the_plan)
    assets, read = _compile(config, the_plan, unpublished, cache, workers, errors, progress, warn, signatures)
    # What the stamp of the tree does not cover: files of the Sass load paths, and places
    # there where none may appear.
    outside = tuple(sorted({d for deps in read.values() for d in deps if d not in the_plan.tree.all_files}))
    on_demand = {name: functools.partial(_plain_asset, name, path, config)
                 for name, path in the_plan.on_demand.items()}
    scans = _scan_scripts(assets, workers, cache, _stage(progress, "parsing scripts", len(assets)))
    styles = {name: references.find_cached(asset.data, cache) for name, asset in assets.items()
              if references.kind_of(name) == "css"}
    try:
        published = fingerprint(assets, unpublished, warn, references.root_of(config.url_prefix), on_demand,
                                scans=scans, styles=styles, importmap=config.importmap, modules=config.modules)
    except BuildFailed as failed:
        errors.extend(failed.errors)
        published = {}
    errors.extend(check_templates(config.templates, [*assets, *published], config.display, warn))
    if errors:
        raise BuildFailed(errors)
    del assets, scans, styles  # per-file data no later step needs (for 200,000 files, tens of MB)
    items = sorted(published.values(), key=lambda p: p.name)
    content_id = _content_id(published, config)
    known = _release_if_built(published, config, cache, content_id)
    if known is not None:  # unchanged output: nothing to compress, nothing to write
        release, copies = known
        written = finish(config, release, None, ticket, wait, archive)
        if written is not None:
            tell_superseded(written, release.id, warn)
            return _result(release, written, published, copies, the_plan, read), outside
    with locked(config.output, wait), writing(config.output):
        sweep(config.output)  # what killed builds left behind
        staging = Staging(config.output)
    pending: Pending[tuple[dict[str, int], tuple[str, ...]]] | None = None
    queued = False
    try:
        with writing(config.output), changed_is_an_error():
            # The files the store has already (the staging folder, locked, keeps a prune from
            # deleting them now); each worker compresses the others and writes them, with their
            # copies, into the staging folder.
            stored = in_store(cache, staging.previous and staging.previous.name, config.compress,
                              present(staging.store))
            todo = [p for p in items if p.file not in stored]
            work = functools.partial(stage_file, staging=staging.path, store=staging.store,
                                     encodings=config.compress, cache=cache)
            pending = workers.scatter(work, [(p.file, p.stored or p.data) for p in todo],
                                      weight=lambda item: len(item[1]) if isinstance(item[1], bytes) else item[1].size)
            queued = True
            staged = workers.gather(pending, _stage(progress, "compressing and writing", len(todo)))
            pending = None  # all finished; its futures would keep the results a second time
        by_file = {**stored, **{p.file: kept for p, (kept, _) in zip(todo, staged, strict=True)}}
        copies = {p.name: by_file[p.file] for p in items}
        staging.wrote(rel for _, written in staged for rel in written)
        del staged  # kept as ``copies`` and ``staging.written``
        release = assemble(published, copies, config.url_prefix, _importmap(config))
        remember(cache, release.id, config.compress, {p.file: by_file[p.file] for p in items})
        written = finish(config, release, staging, ticket, wait=True, archive=archive)
        assert written is not None
    finally:
        # No worker may still write into the folder removed next: this stage's work is finished
        # or dropped (the pool stays up for a watch session's next round); work queued only in
        # part (interrupted while queueing) is ended with the whole pool.
        if pending is not None:
            workers.settle(pending)
        elif not queued:
            workers.stop()
        staging.discard()
    tell_superseded(written, release.id, warn)
    cache.put("release-of", content_id, release.id.encode())
    return _result(release, written, published, copies, the_plan, read), outside


def _content_id(published: Mapping[str, Published], config: Config) -> str:
    """Everything a release's bytes follow from, short of compressing: the files and the settings."""
    from .compress import settings

    table = [(name, p.file, p.sources, p.references, p.imports, p.dynamic_imports, p.module)
             for name, p in sorted(published.items())]
    return key_of("release-of", json.dumps(table), config.url_prefix, settings(config.compress),
                  json.dumps(_importmap(config)))


def _importmap(config: Config) -> dict[str, object]:
    """What the manifest says about import maps: the bare specifiers, and the mode when not the default."""
    extra: dict[str, object] = {"importmap": dict(config.importmap)} if config.importmap else {}
    if config.modules != "rewrite":
        extra["modules"] = config.modules
    return extra


def _scan_scripts(
    assets: Mapping[str, Asset], workers: Workers, cache: Cache, done: Callable[[int], None] | None
) -> dict[str, js_modules.Scan]:
    """Parse every script once: the ones the cache does not know, on every core (tree-sitter runs in
    C, but a large script still takes a while). The cache is asked here, not in the workers: sending
    them every script's bytes cost more than the parses it saved (10 MB of scripts: 0.3 s)."""
    scans = {name: js_modules.remembered_scan(assets[name].data, cache)
             for name in assets if references.kind_of(name) == "js"}
    missing = [name for name, found in scans.items() if found is None]
    work = functools.partial(js_modules.scan_and_remember, cache=cache)
    scans.update(zip(missing, workers.map(work, [assets[name].data for name in missing], done, weight=len),
                     strict=True))
    return scans  # type: ignore[return-value]


def _release_if_built(
    published: Mapping[str, Published], config: Config, cache: Cache, content_id: str
) -> tuple[Release, dict[str, dict[str, int]]] | None:
    """The release these very files made before, if the cache remembers it and its files are in the
    store (``finish`` checks again, under the lock, that it is complete)."""
    known = cache.get("release-of", content_id)
    if known is None:
        return None
    release_id = known.decode(errors="replace")
    by_file = in_store(cache, release_id, config.compress, present(store_of(config.output)))
    if any(p.file not in by_file for p in published.values()):
        return None
    copies = {name: by_file[p.file] for name, p in published.items()}
    release = assemble(published, copies, config.url_prefix, _importmap(config))
    return (release, copies) if release.id == release_id else None


def _result(
    release: Release, written: Written, published: Mapping[str, Published],
    copies: Mapping[str, Mapping[str, int]], the_plan: Plan, read: Mapping[str, tuple[str, ...]],
) -> BuildResult:
    bundles = tuple(  # raw: every file the bundle read, partials, excluded and load-path files included
        BundleReport(name, sum(os.path.getsize(the_plan.tree.root / i) for i in read[name]
                               if not i.startswith(ABSENT)),
                     len(published[name].data), copies[name].get("gzip"), copies[name].get("br"))
        for name in the_plan.bundles
    )
    return BuildResult(
        release=release.id, path=written.path, created=written.created, switched=written.switched,
        compiled=True, files=release.files, bytes=release.bytes, assets=len(published), bundles=bundles,
        seconds=0.0, pruned=written.pruned,
    )


def _stage(progress: Progress | None, name: str, total: int) -> Callable[[int], None] | None:
    return (lambda n: progress(name, n, total)) if progress else None


def _compile(
    config: Config, the_plan: Plan, unpublished: Mapping[str, str], cache: Cache, workers: Workers,
    errors: list[AssetbuildError], progress: Progress | None = None, warn: Callable[[str], None] = to_stderr,
    signatures: Mapping[str, str] | None = None,
) -> tuple[dict[str, Asset], dict[str, tuple[str, ...]]]:
    """Every asset before fingerprinting (the bundles compiled in parallel, and the plain files),
    and for each bundle every file it read (logical names, or absolute paths for a Sass load path's)."""
    # Any file added, removed or renamed can change what an import or a reference finds.
    url_root = references.root_of(config.url_prefix)  # root-absolute references under it are rewritten
    files = the_plan.tree.all_files
    reachable = the_plan.published | frozenset(the_plan.on_demand)
    sass = sass_options(config)  # the compiler and its settings are part of every bundle's key
    tree_key = key_of("tree", versions(), url_root, repr(sass), *files, "\0", *sorted(reachable))
    work = functools.partial(
        compile_cached, root=config.source, files=files, published=reachable,
        unpublished=unpublished, display=config.display, cache=cache, tree_key=tree_key, url_root=url_root,
        sass=sass, read=functools.partial(read_source, config),
    )
    pending = workers.scatter(work, list(the_plan.bundles.items()),
                              weight=lambda item: sum(os.path.getsize(files[i]) for i in item[1]))
    known = Known(cache, config, signatures)
    if cache.folder is not None and config.compress:
        # Files without references are final as they are: compress them into the cache behind
        # the bundles, so that no core waits while bundles compile and files are fingerprinted.
        # Only the cache is written here, never `output`; only files new since the last build.
        leaves = [(n, the_plan.tree.files[n]) for n in the_plan.plain
                  if references.kind_of(n) is None and not known.unchanged(the_plan.tree.files[n])]
        workers.start(functools.partial(precompress, encodings=config.compress, cache=cache), leaves,
                      weight=lambda item: os.path.getsize(item[1]))
    # The files published as they are, while the bundles compile.
    assets: dict[str, Asset] = {}
    unreadable: list[AssetbuildError] = []
    for name in the_plan.plain:
        try:
            assets[name] = _plain_asset(name, the_plan.tree.files[name], config, known)
        except SourceError as err:
            unreadable.append(err)
    known.save()
    results = workers.gather(pending, _stage(progress, "compiling bundles", len(the_plan.bundles)))
    read: dict[str, tuple[str, ...]] = {}
    for (name, inputs), (compiled, failures) in zip(the_plan.bundles.items(), results, strict=True):
        errors.extend(failures)
        for warning in compiled.warnings if compiled else ():
            warn(format_warning(warning, config.display))
        read[name] = tuple(compiled.dependencies) if compiled else inputs
        data = compiled.data if compiled else b""  # a failed bundle still exists for reference checks
        source_map = compiled.source_map if compiled and config.source_maps else None
        assets[name] = Asset(name, data, inputs, f"bundle {name!r}", source_map)
    errors.extend(unreadable)
    return dict(sorted(assets.items())), read


def _plain_asset(name: str, path: str, config: Config, known: Known | None = None) -> Asset:
    """A file published as it is (read as checked: see ``read_source``); one that references nothing
    stays on disk, hashed by streaming (memory follows the largest file, not the tree), or known
    by its hashes from the last build."""
    if references.kind_of(name) is None:
        stored = known.on_disk(config, path) if known else on_disk(config, Path(path))
        return Asset(name, b"", (name,), stored.origin, stored=stored)
    return Asset(name, read_source(config, Path(path)), (name,), config.display(Path(path)))


def _unpublished(the_plan: Plan) -> dict[str, str]:
    """Why each source file that exists is still not a valid reference target (bundle inputs and
    excluded files are: a reference publishes them, ``Plan.on_demand``)."""
    return {name: "a Sass source, which is published only through a bundle"
            for name in the_plan.tree.all_files
            if name.lower().endswith(SASS_SUFFIXES) and name not in the_plan.published}
