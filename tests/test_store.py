"""The store shared by the releases of an output folder (dist/files): a rebuild writes what
changed, a prune deletes what no kept release lists, and every door serves from it."""

from __future__ import annotations

import fcntl
import json
import os
import tarfile
import time
from pathlib import Path

import pytest
from conftest import load_manifest, release_tree, run_cli, write_project

from assetbuild import Manifest
from assetbuild.builder.stamp import RACY_SECONDS
from assetbuild.builder.verify import verify

SITE = {
    "css/a.css": ".a{background:url(../img/i.svg)}\n" * 40,
    "img/i.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n" * 50,
    "robots.txt": "version 0\n",
}


def build(root: Path, *args: str) -> str:
    result = run_cli("build", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return load_manifest(root / "dist")["release"]


def stored(root: Path) -> dict[str, int]:
    """Every file of the store, with its inode."""
    store = root / "dist/files"
    return {p.relative_to(store).as_posix(): p.stat().st_ino for p in store.rglob("*") if p.is_file()}


def listed(root: Path, release: str) -> set[str]:
    manifest = Manifest.load(root / "dist/releases" / release / "manifest.json")
    return {file for e in manifest.entries.values() for file in (e.file, *e.encodings.values())}


def test_an_edit_writes_only_the_changed_files_and_the_release_is_its_manifest(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SITE)
    first = build(root)
    before = stored(root)
    (root / "static_src/robots.txt").write_text("version 1\n")
    second = build(root)
    after = stored(root)
    new = set(after) - set(before)
    assert len(new) == 1 and next(iter(new)).startswith("robots.")
    assert {rel: after[rel] for rel in before} == before  # the same files, not copies or links
    assert [p.name for p in (root / "dist/releases" / second).iterdir()] == ["manifest.json"]
    assert set(after) == listed(root, first) | listed(root, second)
    assert verify(root / "dist/current") == []


def test_a_prune_deletes_only_the_files_no_kept_release_lists(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SITE, keep=2)
    ids = []
    for i in range(3):
        (root / "static_src/robots.txt").write_text(f"version {i}\n")
        ids.append(build(root))
    assert sorted(p.name for p in (root / "dist/releases").iterdir()) == sorted(ids[1:])
    assert set(stored(root)) == listed(root, ids[1]) | listed(root, ids[2])  # version 0's robots.txt is gone
    result = run_cli("clean", "--keep", "1", cwd=root)
    assert result.returncode == 0, result.stderr
    assert set(stored(root)) == listed(root, ids[2])
    assert f"removed {root / 'dist/releases' / ids[1]}" in result.stdout.splitlines()


def test_clean_deletes_store_files_that_no_release_lists(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", SITE)
    build(root)
    orphan = root / "dist/files/css/gone.0123456789ab.css"  # what a build killed while moving files in leaves
    orphan.write_text(".gone{}")
    result = run_cli("clean", cwd=root)
    assert result.returncode == 0, result.stderr
    assert f"removed {orphan}" in result.stdout.splitlines()
    assert not orphan.exists() and verify(root / "dist/current") == []


def test_no_prune_while_another_build_writes_a_release(tmp_path: Path) -> None:
    """A build in progress may rely on any file of the store: pruning waits for the next build."""
    root = write_project(tmp_path / "p", SITE, keep=1)
    first = build(root)
    other = root / "dist/releases/.tmp-0123456789abcdef"  # another build's staging folder, locked
    other.mkdir()
    fd = os.open(other, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        (root / "static_src/robots.txt").write_text("version 1\n")
        second = build(root)
        assert sorted(p.name for p in (root / "dist/releases").iterdir() if p.name[0] != ".") == sorted([first, second])
        assert listed(root, first) <= set(stored(root))
    finally:
        os.close(fd)
    (root / "static_src/robots.txt").write_text("version 2\n")
    third = build(root)
    assert [p.name for p in (root / "dist/releases").iterdir()] == [third]
    assert set(stored(root)) == listed(root, third)


def test_a_release_copied_out_whole_reads_its_own_files(tmp_path: Path) -> None:
    """An unpacked --archive (or a release folder of an older version) holds its files itself."""
    root = write_project(tmp_path / "p", SITE)
    result = run_cli("build", "--archive", str(tmp_path / "release.tar.gz"), cwd=root)
    assert result.returncode == 0, result.stderr
    with tarfile.open(tmp_path / "release.tar.gz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    release_id = load_manifest(root / "dist")["release"]
    unpacked = tmp_path / "unpacked" / release_id
    assert release_tree(unpacked) == release_tree(root / "dist/current")
    assert Manifest.load(unpacked / "manifest.json").files_dir == unpacked
    assert Manifest.load(root / "dist/current/manifest.json").files_dir == root / "dist/files"
    assert verify(unpacked) == []


def test_a_file_deleted_after_the_store_was_found_complete_is_written_again(tmp_path: Path) -> None:
    """A no-op build trusts the store's folder signatures once it found the store complete;
    removing a file changes its folder's, so the next build still writes it again."""
    root = write_project(tmp_path / "p", SITE)
    time.sleep(RACY_SECONDS + 0.2)  # the sources old enough for the no-op stamp
    build(root)
    time.sleep(RACY_SECONDS + 0.2)  # the store's folders old enough for their signatures to be kept
    for _ in range(2):  # the first walks the store and keeps the signatures, the second relies on them
        result = run_cli("build", cwd=root)
        assert result.returncode == 0 and "nothing written" in result.stdout, result.stdout
    css = root / "dist/files" / load_manifest(root / "dist")["assets"]["css/a.css"]["file"]
    css.unlink()
    result = run_cli("build", cwd=root)
    assert result.returncode == 0 and "nothing written" not in result.stdout, result.stdout
    assert css.is_file() and verify(root / "dist/current") == []


@pytest.mark.parametrize("older_manifest", [False, True], ids=["one-asset-a-line", "indented"])
def test_a_prune_keeps_a_file_whose_asset_line_changed_and_deletes_the_one_replaced(
    tmp_path: Path, older_manifest: bool
) -> None:
    """The prune reads only the lines where manifests differ: a bundle whose inputs changed but
    whose bytes did not keeps its file although its line differs. A manifest written indented
    (by an older version) is read whole."""
    files = {"css/a.css": ".a{color:red}\n", "css/b.css": "", "robots.txt": "version 0\n"}
    root = write_project(tmp_path / "p", files, {"css/all.css": ["css/a.css", "css/b.css"]}, keep=1)
    first = build(root)
    if older_manifest:
        manifest = root / "dist/releases" / first / "manifest.json"
        manifest.write_text(json.dumps(json.loads(manifest.read_text()), indent=2))
    old_robots = load_manifest(root / "dist")["assets"]["robots.txt"]["file"]
    write_project(root, {"robots.txt": "version 1\n"}, {"css/all.css": ["css/a.css"]}, keep=1)
    second = build(root)
    assert [p.name for p in (root / "dist/releases").iterdir()] == [second]
    assert set(stored(root)) == listed(root, second)
    assert load_manifest(root / "dist")["assets"]["css/all.css"]["sources"] == ["css/a.css"]
    assert old_robots not in stored(root)
    assert verify(root / "dist/current") == []
