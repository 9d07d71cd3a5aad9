"""Work spread over several cores; results come back in input order.

Order never depends on which worker finished first, so the output is the same for any ``jobs``.
One pool serves every step of a build, so work queued early (compressing files that are
final already) fills the time a later step would leave a core idle. A watch session lends
one pool to all its rounds, so workers (and their Dart Sass compilers) stay warm.
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_STOPS = {signal.SIGINT, signal.SIGTERM}
T = TypeVar("T")
R = TypeVar("R")
_INHERITED: dict[int, Callable[[Any], Any]] = {}  # work functions set before the workers are forked
_numbers = itertools.count()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Pending(Generic[R]):
    """Work handed to ``Workers.scatter``: its batches of indices and their futures (or the results)."""

    batches: list[list[int]]
    futures: list[Future[list[R]] | None]
    ready: list[R] | None


class Workers:
    """``jobs`` processes (forked on first use), or none at all when ``jobs`` is 1.

    ``prepare`` runs in each process as it starts (a watch session starts its compilers
    there, so that none is started while a developer waits for a round).
    """

    def __init__(self, jobs: int, prepare: Callable[[], object] | None = None) -> None:
        self.jobs = jobs
        self.prepare = prepare
        self._pool: Any = None
        self._inherited: list[int] = []  # keys of ``_INHERITED`` that this pool's workers were forked with

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        self.stop(cancel=kind is not None)

    def stop(self, cancel: bool = True) -> None:
        """Wait for the work that is running (dropping what has not started, if ``cancel``)
        and end the processes; the pool starts afresh if used again."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=cancel)
        for key in self._inherited:
            _INHERITED.pop(key, None)
        self._inherited.clear()

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        done: Callable[[int], None] | None = None,
        weight: Callable[[T], int] | None = None,
    ) -> list[R]:
        """``[fn(i) for i in items]``, spread over the processes where that can help."""
        return self.gather(self.scatter(fn, items, weight), done)

    def scatter(
        self, fn: Callable[[T], R], items: Sequence[T], weight: Callable[[T], int] | None = None
    ) -> Pending[R]:
        """Queue ``fn`` over ``items``; ``gather`` collects the results.

        ``weight`` (a size, say) balances the work: the heaviest items go first, each alone,
        and light ones travel in batches, so one process does not end up with all the big ones.
        With one job (or one item) the work is done here and now.
        """
        if self.jobs <= 1 or len(items) <= 1:
            return Pending([list(range(len(items)))], [None], [fn(item) for item in items])
        batches = _batches(items, weight or (lambda item: 1), self.jobs)
        task = self._task(fn)
        return Pending(batches, [self._submit(task, [items[i] for i in batch]) for batch in batches], None)

    def settle(self, pending: Pending[Any]) -> None:
        """Drop the work of ``pending`` that has not started and wait for the rest, leaving the pool up:
        afterwards no worker touches what that work was given (a staging folder about to be removed)."""
        started = [f for f in pending.futures if f is not None and not f.cancel()]
        wait(started)

    def gather(self, pending: Pending[R], done: Callable[[int], None] | None = None) -> list[R]:
        """The results of ``scatter``, in input order; ``done(n)`` hears how many have finished."""
        size = sum(map(len, pending.batches))
        out: list[R | None] = [None] * size
        finished = 0
        for batch, future in zip(pending.batches, pending.futures, strict=True):
            results = pending.ready if future is None else future.result()
            for index, result in zip(batch, results, strict=True):  # type: ignore[arg-type]
                out[index] = result
            finished += len(batch)
            if done:
                done(finished)
        return out  # type: ignore[return-value]

    def start(self, fn: Callable[[T], object], items: Sequence[T], weight: Callable[[T], int]) -> None:
        """Queue ``fn`` over ``items`` for its side effects, ahead of whatever is queued next;
        nothing waits for it. With one job it is skipped: there is no idle core to fill."""
        if self.jobs > 1:
            task = self._task(fn)
            for batch in _batches(items, weight, self.jobs):
                self._submit(task, [items[i] for i in batch])

    def _task(self, fn: Callable[[T], R]) -> Callable[[list[T]], list[R]]:
        """What each batch carries of ``fn``: the function itself, or only a number when the workers
        are yet to be forked, since they are then born knowing it. (A bundle's work carries every
        source file's name: 2.5 MB at copies=10, pickled again for each of its 16 batches.)"""
        if self._pool is not None:
            return functools.partial(_apply, fn)
        key = next(_numbers)
        _INHERITED[key] = fn
        self._inherited.append(key)
        return functools.partial(_apply_inherited, key)

    def _submit(self, task: Callable[[list[T]], list[R]], batch: list[T]) -> Future[list[R]]:
        if self._pool is None:
            import multiprocessing  # here, not at the top: a no-op build never needs a pool
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_start_worker, initargs=(os.getpid(), self.prepare))
            # The processes are forked by this first submit. Ctrl-C or SIGTERM raised in the middle
            # of it (in an at-fork hook, say) would be swallowed or leave a half-made pool: hold
            # them until the pool is whole. The workers unblock them for themselves.
            held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
            try:
                return self._pool.submit(task, batch)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return self._pool.submit(task, batch)


def die_with_parent(parent: int) -> None:
    """Worker initializer: ask the kernel to kill this process when the build dies, however it
    dies (SIGKILL, the OOM killer), so no worker lingers holding the build's output pipe or the
    staging folder's lock. Linux only (prctl PR_SET_PDEATHSIG); elsewhere a no-op."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the build ends the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the build died before the request was in place
        os._exit(1)


def _start_worker(parent: int, prepare: Callable[[], object] | None) -> None:
    die_with_parent(parent)
    if prepare is not None:
        prepare()


def _apply(fn: Callable[[T], R], batch: list[T]) -> list[R]:
    return [fn(item) for item in batch]


def _apply_inherited(key: int, batch: list[Any]) -> list[Any]:
    return _apply(_INHERITED[key], batch)


def _batches(items: Sequence[T], weight: Callable[[T], int], jobs: int) -> list[list[int]]:
    """Indices grouped so each batch weighs about 1/(8 * jobs) of the total, heaviest first."""
    weights = [max(1, weight(item)) for item in items]
    target = max(1, sum(weights) // (8 * jobs))
    batches: list[list[int]] = []
    current: list[int] = []
    load = 0
    for index in sorted(range(len(items)), key=lambda i: -weights[i]):
        current.append(index)
        load += weights[index]
        if load >= target:
            batches.append(current)
            current, load = [], 0
    if current:
        batches.append(current)
    return batches
