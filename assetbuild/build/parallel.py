"""Map a function over work items on several cores; results come back in input order.

Order never depends on which worker finished first, so the output is the same for any ``jobs``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_all(fn: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """``[fn(i) for i in items]``, spread over ``jobs`` processes where that can help."""
    if jobs <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context) as pool:
        return list(pool.map(fn, items, chunksize=max(1, len(items) // (jobs * 8))))
