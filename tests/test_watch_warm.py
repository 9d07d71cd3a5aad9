"""`assetbuild watch` keeps its workers and their Dart Sass compilers warm from round to round.

Seen from outside, as a developer's tools would: the processes below the watch process
(/proc), the release on disk, and a one-shot `assetbuild build` of the same tree.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli, write_project
from test_hardening_processes import small_disk  # noqa: F401 - a fixture: a 2 MB tmpfs
from watching import Watcher, alive, dart_compilers, descendants

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(
        tmp_path / "site",
        {"scss/app.scss": '@use "colors";\nbody { color: colors.$ink; }\n',
         "scss/_colors.scss": "$ink: #123456;\n", "js/a.js": "var a = 1;\n",
         "img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"},
        {"css/app.css": ["scss/app.scss"], "js/app.js": ["js/a.js"]},
        sass="dart", keep=2,
    )
    past = time.time() - 10  # older than the no-op stamp's racy window
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    return root


@pytest.fixture
def watcher(project: Path) -> Iterator[Watcher]:
    w = Watcher(project, "--jobs", "2")
    w.expect("built release")
    yield w
    w.stop(signal.SIGKILL)


def manifest(output: Path) -> dict:
    return json.loads((output / "current" / "manifest.json").read_text())


def css(project: Path, output: Path | None = None) -> str:
    output = output or project / "dist"
    return (output / "files" / manifest(output)["assets"]["css/app.css"]["file"]).read_text()


def edit(project: Path, watcher: Watcher, colour: str) -> None:
    (project / "static_src/scss/_colors.scss").write_text(f"$ink: {colour};\n")
    watcher.expect("built release")
    assert colour in css(project)


def workers(watcher: Watcher) -> set[int]:
    return descendants(watcher.process.pid) - dart_compilers(watcher.process.pid)


def gone(pids: set[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


def test_rounds_reuse_the_workers_and_their_dart_compilers(project: Path, watcher: Watcher) -> None:
    pool, first = workers(watcher), dart_compilers(watcher.process.pid)
    assert len(pool) == 2 and len(first) == 2  # each worker started its compiler as it started
    for colour in ("#abcdef", "#0a0b0c", "#fedcba"):
        edit(project, watcher, colour)
    assert workers(watcher) == pool and dart_compilers(watcher.process.pid) == first


def test_a_warm_round_writes_what_a_one_shot_build_writes(project: Path, watcher: Watcher, tmp_path: Path) -> None:
    for colour in ("#abcdef", "#0a0b0c"):
        edit(project, watcher, colour)
    watcher.stop()
    result = run_cli("build", "--no-cache", "--output", str(tmp_path / "oneshot"), cwd=project)
    assert result.returncode == 0, result.stderr
    warm, cold = project / "dist", tmp_path / "oneshot"
    assert (warm / "current/manifest.json").read_bytes() == (cold / "current/manifest.json").read_bytes()
    entries = manifest(cold)["assets"].values()
    files = sorted({f for entry in entries for f in (entry["file"], *entry["encodings"].values())})
    assert any(f.endswith(".br") for f in files) and any(f.endswith(".gz") for f in files)
    for rel in files:
        assert (warm / "files" / rel).read_bytes() == (cold / "files" / rel).read_bytes(), rel


def test_a_killed_compiler_is_replaced_on_the_next_round(project: Path, watcher: Watcher) -> None:
    killed = dart_compilers(watcher.process.pid)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    assert gone(killed)
    edit(project, watcher, "#abcdef")
    assert dart_compilers(watcher.process.pid).isdisjoint(killed)
    assert not [line for line in watcher.seen if "error" in line or "Traceback" in line]


def test_a_killed_worker_is_replaced_on_the_next_round(project: Path, watcher: Watcher) -> None:
    victim = min(workers(watcher))
    its_compiler = dart_compilers(victim)
    assert its_compiler
    os.kill(victim, signal.SIGKILL)
    edit(project, watcher, "#abcdef")
    assert victim not in workers(watcher) and len(workers(watcher)) == 2
    assert gone(its_compiler)  # no orphan left behind
    edit(project, watcher, "#0a0b0c")
    assert not [line for line in watcher.seen if "Traceback" in line]


@pytest.mark.parametrize("jobs", [2, 1])  # with one job, the compiler is the watch process's own
def test_a_changed_configuration_starts_new_workers_and_compilers(project: Path, jobs: int) -> None:
    watcher = Watcher(project, "--jobs", str(jobs))
    try:
        watcher.expect("built release")
        old_workers, old_compilers = workers(watcher), dart_compilers(watcher.process.pid)
        assert len(old_workers) == (jobs if jobs > 1 else 0) and old_compilers
        config = project / "pyproject.toml"
        config.write_text(config.read_text().replace("[tool.assetbuild]\n",
                                                     '[tool.assetbuild]\nsilence_deprecations = ["import"]\n'))
        watcher.expect("changed: pyproject.toml")
        watcher.expect("release")
        assert gone(old_workers | old_compilers)
        edit(project, watcher, "#abcdef")
        assert workers(watcher).isdisjoint(old_workers) and len(workers(watcher)) == len(old_workers)
        assert dart_compilers(watcher.process.pid).isdisjoint(old_compilers)
    finally:
        watcher.stop(signal.SIGKILL)


def test_killing_the_watch_ends_its_workers_and_compilers(project: Path) -> None:
    w = Watcher(project, "--jobs", "2")
    w.expect("built release")
    below = descendants(w.process.pid)
    assert dart_compilers(w.process.pid)
    w.stop(signal.SIGKILL)
    assert gone(below)


def test_a_round_failing_mid_write_leaves_no_staging_folder_and_the_pool_serves_on(
    project: Path, small_disk: Path  # noqa: F811 - the fixture
) -> None:
    data = project / "static_src/data"
    data.mkdir()
    for i in range(20):  # more than the 2 MB disk holds, even compressed
        (data / f"{i:02}.txt").write_text("".join(f"{i} {j} lorem ipsum {j * 7919 % 1000}\n" for j in range(4000)))
    output = small_disk / "dist"
    w = Watcher(project, "--jobs", "2", "--output", str(output))
    try:
        w.expect("no space left on device")
        w.expect("the last good release stays current")
        assert not list((output / "releases").glob(".tmp-*"))
        pool, compilers = workers(w), dart_compilers(w.process.pid)
        assert len(pool) == 2 and compilers
        shutil.rmtree(data)
        w.expect("built release")
        assert workers(w) == pool and compilers <= dart_compilers(w.process.pid)
        assert "#123456" in css(project, output)
    finally:
        w.stop(signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_watch_mid_round_leaves_no_staging_folder_nor_processes(project: Path, sig: int) -> None:
    data = project / "static_src/data"
    data.mkdir()
    for i in range(30):  # text that keeps brotli busy for a while
        (data / f"{i:02}.txt").write_text("".join(f"{i} {j} lorem ipsum {j * 7919 % 1000}\n" for j in range(4000)))
    w = Watcher(project, "--jobs", "2")
    try:
        deadline = time.monotonic() + 60
        while not list((project / "dist/releases").glob(".tmp-*")):
            assert time.monotonic() < deadline and w.process.poll() is None, "the round never started writing"
            time.sleep(0.01)
        below = descendants(w.process.pid)
        assert w.stop(sig) == 0
    finally:
        w.stop(signal.SIGKILL)
    assert not list((project / "dist/releases").glob(".tmp-*"))
    assert gone(below)
