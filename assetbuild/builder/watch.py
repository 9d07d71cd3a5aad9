"""Build, then rebuild on every change of sources, templates and configuration.

The loop is the ordinary build run again: a rebuild is exactly what ``assetbuild build``
would write, checked the same way under the same lock, so a failed rebuild leaves
``current`` on the last good release. Changes are noticed with watchfiles (inotify
on Linux, no polling) and grouped briefly, so one editor save is one rebuild. Every round
uses the session's one pool of workers, so they and their Dart Sass compilers stay warm.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..dev import STATUS_NAME
from ..errors import AssetbuildError, BuildFailed
from .config import Config
from .parallel import Workers, default_jobs

# watchfiles yields once nothing has changed for STEP_MS, and at the latest after DEBOUNCE_MS
# of continuous changes (its default, 1.6 s, is too slow for an edit-and-look loop). An
# editor's save (write, or write a copy and rename) is done well within STEP_MS.
STEP_MS = 25
DEBOUNCE_MS = 400

Say = Callable[[str], None]


@dataclass(frozen=True)
class Watched:
    """What one round of watching looks at, derived from the configuration of that round."""

    trees: tuple[Path, ...]  # watched with everything below them
    files: tuple[Path, ...]  # single files (the configuration), watched through their folder
    ignored: tuple[Path, ...]  # the build's own output and cache: writing them is not a change

    def wants(self, path: str) -> bool:
        return not any(path == str(i) or path.startswith(str(i) + os.sep) for i in self.ignored)


def watched(config: Config | None, config_file: Path | None) -> Watched:
    trees = [] if config is None else [config.source, *config.load_paths, *config.templates,
                                       *(folder for _, folder in config.extra_sources)]
    ignored = () if config is None else (config.output, config.cache_dir)
    files = (config_file,) if config_file is not None else ()
    return Watched(tuple(dict.fromkeys(p for p in trees if p.is_dir())), files, ignored)


class SessionWorkers:
    """The pool a watch session lends to each round, kept warm from one round to the next.

    Started afresh when the configuration changes, so no worker (nor its Dart Sass compiler)
    outlives the settings it started under, and after a worker died (``BrokenProcessPool``).
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or default_jobs()
        self.workers = Workers(self.jobs)
        self.config: Config | None = None

    def for_round(self, config: Config) -> Workers:
        if config != self.config:
            self.workers.stop()
            own = sys.modules.get(f"{__package__}.sass_dart")  # with one job, compiles run here
            if own is not None:
                own.stop()
            self.workers = Workers(self.jobs, functools.partial(warm_up, config.sass))
            self.config = config
        return self.workers

    def close(self) -> None:
        self.workers.stop()


def warm_up(sass: str) -> None:
    """Run in each worker as it starts: load the bundlers and the Sass compiler (libsass's module,
    or a Dart Sass process), so that no round after the first pays for them (0.1 to 0.3 s)."""
    try:
        from . import bundles  # noqa: F401 - imported for its side effect: loaded once, here

        if sass == "dart":
            from . import sass_dart

            sass_dart.start()
        else:
            import sass  # noqa: F401 - libsass
    except Exception:  # noqa: BLE001 - only a head start: the round's own compile reports any problem
        pass


def watch(
    load: Callable[[], Config],
    config_file: Path | None,
    build_once: Callable[[Config, Workers], str],
    say: Say,
    stop: threading.Event | None = None,
    jobs: int | None = None,
) -> None:
    """Build with ``build_once`` (which returns a line to show), then again on every change.

    A configuration or build error is shown and the loop goes on; ``stop`` (or Ctrl-C,
    as KeyboardInterrupt) ends it. The watchers run before each build starts, so an edit
    saved while a build runs is the next round's change, never lost. ``build_once`` builds
    with the workers it is lent (``jobs`` processes) and leaves them running.
    """
    stop = stop or threading.Event()
    config: Config | None = None
    changes: _Changes | None = None
    pool = SessionWorkers(jobs)
    generation = time.time_ns()  # grows across restarts too, so open pages always see a new round
    batch: set[str] = set()
    try:
        while True:
            scope = watched(_loaded(load, say) or config, config_file)
            if changes is None or changes.scope != scope:
                if changes is not None:
                    changes.close()
                changes = _Changes(scope)
            config, errors = _attempt(load, build_once, say, config, pool)
            if config is not None:
                generation += 1
                write_status(config, generation, errors, batch)
            batch = changes.next(stop)
            if batch is None:
                return
            say(f"changed: {_describe(batch)}")
    finally:
        pool.close()
        if changes is not None:
            changes.close()


def write_status(config: Config, generation: int, errors: list[str], changed: set[str]) -> None:
    """Record the round in ``<output>/watch.json`` for development mode (see ``assetbuild.dev``)."""
    templates = tuple(str(t) + os.sep for t in config.templates)
    status = {
        "generation": generation,
        "ok": not errors,
        "errors": errors,
        "templates_changed": any(p.startswith(templates) for p in changed),
    }
    try:
        config.output.mkdir(parents=True, exist_ok=True)
        temporary = config.output / f".{STATUS_NAME}.{os.getpid()}"
        temporary.write_text(json.dumps(status), encoding="utf-8")
        os.replace(temporary, config.output / STATUS_NAME)
    except OSError:
        pass  # only development mode reads it; the build itself has already spoken


def _loaded(load: Callable[[], Config], say: Say) -> Config | None:
    try:
        return load()
    except AssetbuildError:
        return None  # reported by the build attempt that follows


def _attempt(load: Callable[[], Config], build_once: Callable[[Config, Workers], str], say: Say,
             previous: Config | None, pool: SessionWorkers) -> tuple[Config | None, list[str]]:
    """One build and the errors it showed; a user's mistake is reported, never raised."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        config = load()
    except AssetbuildError as err:
        return previous, _report(err, say)
    started = time.perf_counter()
    try:
        try:
            say(build_once(config, pool.for_round(config)))
        except BrokenProcessPool:  # a worker was killed (the OOM killer, a stray kill): once more, afresh
            pool.close()
            say("a worker process died; building again with new ones")
            say(build_once(config, pool.for_round(config)))
    except AssetbuildError as err:
        errors = _report(err, say)
        say(f"rebuild failed after {time.perf_counter() - started:.2f} s; the last good release stays current")
        return config, errors
    return config, []


def _report(err: AssetbuildError, say: Say) -> list[str]:
    errors = list(dict.fromkeys(str(e) for e in (err.errors if isinstance(err, BuildFailed) else [err])))
    for error in errors:
        say(error)
    return errors


class _Changes:
    """watchfiles in threads of their own, feeding one queue of changed paths."""

    def __init__(self, scope: Watched) -> None:
        self.scope = scope
        self.queue: queue.Queue[set[str]] = queue.Queue()
        self.stopping = threading.Event()
        self.threads = []
        if scope.trees:
            self._start(scope.trees, True, scope.wants)
        for file in scope.files:
            self._start((file.parent,), False, lambda path, file=file: path == str(file))

    def _start(self, paths: tuple[Path, ...], recursive: bool, wants: Callable[[str], bool]) -> None:
        thread = threading.Thread(target=self._run, args=(paths, recursive, wants), daemon=True)
        thread.start()
        self.threads.append(thread)

    def _run(self, paths: tuple[Path, ...], recursive: bool, wants: Callable[[str], bool]) -> None:
        import watchfiles

        # node_modules is a usual Sass load path (and under `source`, files the build reads): not ignored.
        base = watchfiles.DefaultFilter(ignore_dirs=[d for d in watchfiles.DefaultFilter.ignore_dirs
                                                     if d != "node_modules"])
        for batch in watchfiles.watch(*paths, watch_filter=lambda change, path: base(change, path) and wants(path),
                                      debounce=DEBOUNCE_MS, step=STEP_MS, recursive=recursive,
                                      stop_event=self.stopping, raise_interrupt=False):
            self.queue.put({path for _, path in batch})

    def next(self, stop: threading.Event) -> set[str] | None:
        """The next batch of changed paths (with any that queued behind it), or None once ``stop`` is set."""
        while not stop.is_set():
            try:
                batch = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            while not self.queue.empty():
                batch |= self.queue.get_nowait()
            return batch
        return None

    def close(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=2)


def _describe(paths: Iterable[str]) -> str:
    shown = sorted(os.path.relpath(p) for p in paths)
    return ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
