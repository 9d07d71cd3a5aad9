"""`assetbuild verify` finds every damaged file; `assetbuild clean` keeps the newest and `current`."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

from conftest import load_manifest, run_cli, write_project

FILES = {"css/a.css": ".a{background:url(../img/i.svg)}" * 40, "img/i.svg": "<svg/>" * 50, "robots.txt": "x"}


def test_verify_accepts_an_intact_release_and_lists_each_problem(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES)
    assert run_cli("build", cwd=root).returncode == 0
    ok = run_cli("verify", cwd=root)
    assert ok.returncode == 0, ok.stderr
    assert "release intact" in ok.stdout

    release = (root / "dist/current").resolve()
    files = root / "dist/files"  # the store, shared by the releases
    assets = load_manifest(root / "dist")["assets"]
    css = files / assets["css/a.css"]["file"]
    css.write_bytes(css.read_bytes() + b" ")
    (files / assets["robots.txt"]["file"]).unlink()
    (release / "extra.txt").write_text("stowaway")
    gz = files / assets["img/i.svg"]["encodings"]["gzip"]
    gz.write_bytes(gzip.compress(b"something else"))
    result = run_cli("verify", str(release), cwd=root)
    assert result.returncode == 1
    assert f"{css}: error: changed since the build" in result.stderr
    assert "delete it and build again to write it anew" in result.stderr
    assert "robots." in result.stderr and "missing (listed for 'robots.txt')" in result.stderr
    assert f"{release / 'extra.txt'}: error: not listed in the manifest" in result.stderr
    assert f"{gz}: error: does not decompress to its file" in result.stderr


def test_verify_of_a_folder_without_a_manifest(tmp_path: Path) -> None:
    result = run_cli("verify", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert "no manifest.json here" in result.stderr


def test_clean_keeps_newest_and_never_current(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES)
    ids = []
    for i in range(4):
        (root / "static_src/robots.txt").write_text(f"version {i}")
        assert run_cli("build", cwd=root).returncode == 0
        ids.append(load_manifest(root / "dist")["release"])
        time.sleep(0.01)
    # make the first release current again: it is then the newest as well as current
    (root / "static_src/robots.txt").write_text("version 0")
    assert run_cli("build", cwd=root).returncode == 0
    assert load_manifest(root / "dist")["release"] == ids[0]
    (root / "dist/releases/.tmp-leftover-1234").mkdir()
    result = run_cli("clean", "--keep", "2", cwd=root)
    assert result.returncode == 0, result.stderr
    left = sorted(p.name for p in (root / "dist/releases").iterdir())
    assert left == sorted([ids[0], ids[3]])
    assert os.readlink(root / "dist/current") == f"releases/{ids[0]}"
    assert run_cli("verify", cwd=root).returncode == 0
    result = run_cli("clean", "--keep", "1", cwd=root)
    assert [p.name for p in (root / "dist/releases").iterdir()] == [ids[0]]


def test_each_build_that_switches_current_prunes_to_keep(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES, keep=2)
    ids = []
    for i in range(3):
        (root / "static_src/robots.txt").write_text(f"version {i}")
        result = run_cli("build", cwd=root)
        assert result.returncode == 0, result.stderr
        ids.append(load_manifest(root / "dist")["release"])
        time.sleep(0.01)
    assert sorted(p.name for p in (root / "dist/releases").iterdir()) == sorted(ids[1:])
    assert os.readlink(root / "dist/current") == f"releases/{ids[2]}"
    assert f"  pruned 1 old: {ids[0]}" in result.stdout.splitlines()
    # a build that finds its release on disk and switches back to it prunes too, never `current`
    (root / "static_src/robots.txt").write_text("version 1")
    assert run_cli("build", cwd=root).returncode == 0
    assert sorted(p.name for p in (root / "dist/releases").iterdir()) == sorted(ids[1:])
    assert os.readlink(root / "dist/current") == f"releases/{ids[1]}"
