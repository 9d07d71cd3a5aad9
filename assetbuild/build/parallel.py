"""Map a function over work items on several cores; results come back in input order.

Order never depends on which worker finished first, so the output is the same for any ``jobs``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_all(
    fn: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    done: Callable[[int], None] | None = None,
    weight: Callable[[T], int] | None = None,
) -> list[R]:
    """``[fn(i) for i in items]``, spread over ``jobs`` processes where that can help.

    ``weight`` (a size, say) balances the work: the heaviest items go first, each alone,
    and light ones travel in batches, so one process does not end up with all the big ones.
    ``done(n)`` is told how many items have finished.
    """
    if jobs <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(fn(item))
            if done:
                done(len(results))
        return results
    import multiprocessing  # here, not at the top: a no-op build never needs a pool
    from concurrent.futures import ProcessPoolExecutor

    batches = _batches(items, weight or (lambda item: 1), jobs)
    out: list[R | None] = [None] * len(items)
    finished = 0
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(batches)), mp_context=context) as pool:
        work = [[items[i] for i in batch] for batch in batches]
        for batch, results in zip(batches, pool.map(functools.partial(_apply, fn), work), strict=True):
            for index, result in zip(batch, results, strict=True):
                out[index] = result
            finished += len(batch)
            if done:
                done(finished)
    return out  # type: ignore[return-value]


def _apply(fn: Callable[[T], R], batch: list[T]) -> list[R]:
    return [fn(item) for item in batch]


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
