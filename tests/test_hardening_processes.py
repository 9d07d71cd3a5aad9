"""Processes, signals and disks: a killed build leaves no workers, a full disk is one line (issue 10)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli, write_project

from assetbuild.builder.verify import verify

pytestmark = pytest.mark.slow


def heavy_site(root: Path, files: int = 40, size: int = 120_000) -> Path:
    """Text files that take brotli a while, so the workers are busy when the test strikes."""
    data = {f"data/{i:03}.txt": "".join(f"{i} {j} lorem ipsum {j * 7919 % 1000}\n" for j in range(size // 30))
            for i in range(files)}
    data["js/a.js"] = "var a = 1;\n"
    return write_project(root, data, {"js/app.js": ["js/a.js"]})


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def start_build(site: Path, *args: str) -> tuple[subprocess.Popen, set[int]]:
    proc = subprocess.Popen([sys.executable, "-m", "assetbuild", "build", "--no-cache", "--jobs", "2", *args],
                            cwd=site, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = children(proc.pid)
        if len(workers) >= 2 and list((site / "dist/releases").glob(".tmp-*")):
            return proc, workers
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    raise AssertionError("the build never started its workers")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killing_the_build_ends_its_workers(tmp_path: Path, sig: signal.Signals) -> None:
    site = heavy_site(tmp_path / "s")
    proc, workers = start_build(site)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)  # returns only once no worker holds the pipes
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(w) for w in workers)
    if sig == signal.SIGTERM:  # a clean stop: nothing left behind, no traceback
        assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err
        assert not list((site / "dist/releases").glob(".tmp-*"))
    result = run_cli("clean", cwd=site)  # and whatever SIGKILL left, the next clean removes
    assert result.returncode == 0, result.stderr
    assert not list((site / "dist/releases").glob(".tmp-*"))


def test_ctrl_c_leaves_no_staging_folder(tmp_path: Path) -> None:
    site = heavy_site(tmp_path / "s")
    for _ in range(3):
        proc, _ = start_build(site)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        assert proc.returncode == 130
        assert not list((site / "dist/releases").glob(".tmp-*"))


@pytest.fixture
def small_disk(tmp_path: Path):
    """A tmpfs of 2 MB (and few inodes) as the output folder."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,nr_inodes=64", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs: {done.stderr}")
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_one_line_status_2_and_nothing_left(tmp_path: Path, small_disk: Path) -> None:
    site = heavy_site(tmp_path / "s")
    result = run_cli("build", "--no-cache", "--output", str(small_disk / "dist"), cwd=site)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].endswith("/disk/dist: error: cannot write the release: no space left on device (or no free inodes)")
    assert [p.name for p in (small_disk / "dist/releases").iterdir()] == []
    assert not os.path.lexists(small_disk / "dist/current")


def test_no_inode_left_for_current_names_the_output_folder(tmp_path: Path, small_disk: Path) -> None:
    site = write_project(tmp_path / "s", {"a.txt": "a\n", "js/a.js": "var a;\n"}, {"js/app.js": ["js/a.js"]},
                         compress=[])
    output = small_disk / "dist"
    result = run_cli("build", "--no-cache", "--output", str(output), cwd=site)
    assert result.returncode == 0, result.stderr
    first = os.readlink(output / "current")
    filler = small_disk / "filler"
    filler.mkdir()
    for i in range(1000):  # use up the inodes
        try:
            (filler / str(i)).touch()
        except OSError:
            break
    (site / "static_src/a.txt").write_text("b\n")
    result = run_cli("build", "--no-cache", "--output", str(output), cwd=site)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"{os.path.relpath(output, site)}: error: cannot write the release: "
        "no space left on device (or no free inodes)"]
    assert os.readlink(output / "current") == first and verify(output / "current") == []
    shutil.rmtree(filler)
