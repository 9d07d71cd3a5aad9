"""The worker pool: results in input order, and work that can be dropped without ending the pool."""

from __future__ import annotations

import os
import time
from pathlib import Path

from watching import descendants

from assetbuild.builder.parallel import Workers


def slow_write(item: tuple[str, int]) -> int:
    """Write one file into a folder that must exist already (as a staging folder's files are written)."""
    folder, n = item
    time.sleep(0.1)
    with open(os.path.join(folder, f"{n}.txt"), "x") as f:
        f.write(str(n))
    return n


def pid(_: object) -> int:
    time.sleep(0.05)  # long enough that both workers take some
    return os.getpid()


def test_results_come_back_in_input_order_whoever_finished_first() -> None:
    with Workers(2) as workers:
        assert workers.map(abs, list(range(-50, 0))) == list(range(50, 0, -1))


def test_settle_drops_what_has_not_started_waits_for_the_rest_and_keeps_the_pool(tmp_path: Path) -> None:
    folder = tmp_path / "staging"
    folder.mkdir()
    with Workers(2) as workers:
        workers.map(pid, range(8))
        before = descendants(os.getpid())  # the workers, forked by that first use
        pending = workers.scatter(slow_write, [(str(folder), n) for n in range(40)])
        time.sleep(0.05)
        workers.settle(pending)
        written = sorted(p.name for p in folder.iterdir())
        assert 0 < len(written) < 40  # some ran, the rest were dropped
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
        time.sleep(0.5)
        assert not folder.exists()  # nothing still running wrote (or made) anything after settle
        assert set(workers.map(pid, range(8))) <= before  # the same processes, ready for more
