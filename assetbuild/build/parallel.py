"""Map a function over work items on several cores; results come back in input order.

Order never depends on which worker finished first, so the output is the same for any ``jobs``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_all(
    fn: Callable[[T], R], items: Sequence[T], jobs: int, done: Callable[[int], None] | None = None
) -> list[R]:
    """``[fn(i) for i in items]``, spread over ``jobs`` processes where that can help;
    ``done(n)`` is told how many have finished as they finish (in order)."""
    results: list[R] = []
    if jobs <= 1 or len(items) <= 1:
        mapped: Iterable[R] = map(fn, items)
        for result in mapped:
            results.append(result)
            if done:
                done(len(results))
        return results
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context) as pool:
        for result in pool.map(fn, items, chunksize=max(1, len(items) // (jobs * 8))):
            results.append(result)
            if done:
                done(len(results))
    return results
