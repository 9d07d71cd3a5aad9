"""The README's deploy guide, exercised: the Dockerfile's build stage run as written (without Docker:
its COPY and RUN steps in a temporary folder), and the runtime stage's release served read-only."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, Gunicorn, http_get

README = (REPO / "README.md").read_text()


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the README's Dockerfile, continuation lines joined."""
    text = README.split("### A container image", 1)[1].split("```dockerfile\n", 1)[1].split("```", 1)[0]
    text = re.sub(r"\\\n\s*", "", text)
    return [tuple(line.split(None, 1)) for line in text.splitlines() if line and not line.startswith("#")]


def stages() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    steps = dockerfile()
    second = [i for i, (op, _) in enumerate(steps) if op == "FROM"][1]
    return steps[1:second], steps[second + 1:]


@pytest.mark.server
def test_the_dockerfile_build_stage_runs_and_its_release_serves_read_only(demo: Path, tmp_path: Path) -> None:
    root = tmp_path / "image"  # "/" of both stages
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "assetbuild").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m assetbuild "$@"\n')
    (bin_dir / "assetbuild").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}

    def inside(path: str) -> Path:
        return root / path.lstrip("/")

    build, runtime = stages()
    workdir = root
    ran = []
    for op, arg in build:
        if op == "WORKDIR":
            workdir = inside(arg)
            workdir.mkdir(parents=True, exist_ok=True)
        elif op == "COPY":
            *sources, dest = arg.split()
            for source in sources:
                if (demo / source).is_dir():
                    shutil.copytree(demo / source, workdir / dest)
                else:
                    shutil.copy(demo / source, workdir / dest)
        elif op == "RUN" and not arg.startswith("pip install"):  # assetbuild is this checkout here
            command = re.sub(r"--mount=\S+\s*", "", arg).replace(" /release", f" {inside('/release')}")
            result = subprocess.run(["sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True)
            assert result.returncode == 0, (command, result.stderr)
            ran.append(command)
        else:
            assert op == "RUN", (op, arg)
    assert any("assetbuild build" in command for command in ran)
    mounts = re.findall(r"--mount=type=cache,target=(\S+)", README.split("### A container image", 1)[1])
    assert mounts and all(inside(target).is_dir() for target in mounts), "the cache mount is the build's cache"

    copied = [arg.split()[1:] for op, arg in runtime if op == "COPY" and arg.startswith("--from=assets")]
    assert len(copied) == 1
    source, dest = copied[0]
    shutil.copytree(inside(source), inside(dest), symlinks=True)  # as COPY does: `current` stays a link
    manifest = next(arg.split("=", 1)[1] for op, arg in runtime
                    if op == "ENV" and arg.startswith("ASSETBUILD_MANIFEST="))
    release = inside(dest)
    for path in [release, *release.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    server = Gunicorn(demo, workers=1, env={"ASSETBUILD_MANIFEST": str(inside(manifest))})
    try:
        status, _, page = http_get(server.url, "/")
        css = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page).group(1).decode()
        asset_status, headers, _ = http_get(server.url, css)
    finally:
        server.stop()
        for path in [release, *release.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert (status, asset_status, headers["cache-control"]) == (200, 200, "public, max-age=31536000, immutable")
