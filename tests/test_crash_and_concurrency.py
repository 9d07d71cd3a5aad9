"""A build killed at any moment never leaves a partial release visible; builds running at once
all finish (or say another holds the lock) and leave a complete, verifiable release."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, load_manifest, run_cli

from assetbuild.builder.verify import verify

KILLS = 50


def big_site(root: Path, flavour: str = "") -> Path:
    """The demo site plus a few hundred generated files, so that a build spends time writing."""
    import shutil

    shutil.copytree(REPO / "static_src", root / "static_src")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    icons = root / "static_src/icons"
    icons.mkdir()
    for i in range(400):
        shapes = "<path d='M0 0h16v16z'/>" * 8
        svg = f"<svg xmlns='http://www.w3.org/2000/svg'><!-- {flavour} {i} -->{shapes}</svg>"
        (icons / f"icon-{i:03}.svg").write_text(svg)
    (root / "static_src/css/icons.css").write_text(
        "".join(f".i{i}{{background:url(../icons/icon-{i:03}.svg)}}\n" for i in range(400)))
    return root


def assert_consistent(output: Path) -> str | None:
    """`current` is absent or points at a complete release that verifies; returns its id."""
    current = output / "current"
    if not os.path.lexists(current):
        return None
    release = current.resolve(strict=True)
    assert release.parent.name == "releases" and not release.name.startswith(".")
    assert verify(release) == []
    return release.name


def test_killed_builds_never_leave_a_partial_release(tmp_path: Path) -> None:
    site = big_site(tmp_path / "site")
    rng = random.Random(2026)
    # A full build takes about this long here; kill points spread over all of it and a bit beyond.
    started = time.perf_counter()
    assert run_cli("build", "--no-cache", cwd=site).returncode == 0
    span = time.perf_counter() - started
    outcomes = {"finished": 0, "killed": 0, "killed while writing": 0}
    for attempt in range(KILLS):
        (site / "static_src/robots.txt").write_text(f"User-agent: *\n# build {attempt}\n")
        cmd = [sys.executable, "-m", "assetbuild", "build"] + (["--no-cache"] if attempt % 2 else [])
        proc = subprocess.Popen(cmd, cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0, span * 1.2))
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its worker processes
        proc.wait()
        if proc.returncode == 0:
            outcomes["finished"] += 1
        elif list((site / "dist/releases").glob(".tmp-*")):
            outcomes["killed while writing"] += 1
        else:
            outcomes["killed"] += 1
        assert_consistent(site / "dist")
    print(outcomes)
    assert outcomes["killed while writing"] >= 5, outcomes  # the kills did land in the dangerous part
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    release = assert_consistent(site / "dist")
    assert release == load_manifest(site / "dist")["release"]
    leftovers = [p for p in (site / "dist").rglob(".tmp-*")]
    assert leftovers == [], "the next build removed what killed builds left"
    assert run_cli("verify", cwd=site).returncode == 0


@pytest.mark.parametrize("wait", [True, False])
def test_concurrent_builds(tmp_path: Path, wait: bool) -> None:
    sites = [big_site(tmp_path / f"site{i}", flavour=f"v{i % 2}") for i in range(3)]
    output = tmp_path / "shared-dist"
    args = ["build", "--output", str(output), "--jobs", "1"] + (["--wait"] if wait else [])
    procs = [subprocess.Popen([sys.executable, "-m", "assetbuild", *args], cwd=site, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for site in sites]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    for code, _, err in results:
        if wait:
            assert code == 0, err
        else:
            assert code == 0 or (code == 75 and "another build holds the lock" in err), (code, err)
    assert any(code == 0 for code, _, _ in results)
    release = assert_consistent(output)
    built = {line.split()[1] for code, out, _ in results if code == 0 for line in out.splitlines()
             if line.startswith("release ")}
    assert release in built
    assert not list(output.rglob(".tmp-*"))


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    site = big_site(tmp_path / "site")
    (site / "dist").mkdir()
    holder = subprocess.Popen(  # holds the output folder's lock until it reads a line
        [sys.executable, "-c", "import fcntl, os, sys\n"
         "fd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\n"
         "sys.stdin.readline()\n", str(site / "dist")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    result = run_cli("build", cwd=site)
    assert result.returncode == 75
    assert "another build holds the lock on this output folder; run again with --wait" in result.stderr
    assert not (site / "dist/current").exists()
    waiting = subprocess.Popen([sys.executable, "-m", "assetbuild", "build", "--wait"], cwd=site,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    assert waiting.poll() is None, "it waits for the lock"
    holder.communicate("release\n")
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert_consistent(site / "dist")
