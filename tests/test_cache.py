"""The build cache only accelerates: deleted, corrupted or ignored, the output is the same bytes."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import release_tree, run_cli, write_project

from assetbuild.builder.cache import CACHE_FORMAT
from assetbuild.builder.stamp import RACY_SECONDS

SITE = {
    "scss/_vars.scss": "$c: #123456;\n",
    "scss/app.scss": '@import "vars";\n.a { color: $c; background: url("../img/x.svg"); }\n',
    "img/x.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>" * 20,
    "js/a.js": "var a = 1;\n" * 200,
}
BUNDLES = {"css/app.css": ["scss/app.scss"], "js/app.js": ["js/a.js"]}


def age(root: Path) -> None:
    """Wait until every file is old enough for the no-op stamp to trust its timestamps
    (ctime, which no program can set back, must be more than RACY_SECONDS old)."""
    time.sleep(RACY_SECONDS + 0.1)


def build_json(root: Path, *args: str) -> dict:
    result = run_cli("build", "--json", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_project(tmp_path / "site", SITE, BUNDLES)


@pytest.fixture
def aged_site(site: Path) -> Path:
    age(site)
    return site


def cache_entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".assetbuild-cache").rglob("*") if p.is_file())


def test_unchanged_tree_is_recognised_without_compiling(aged_site: Path) -> None:
    site = aged_site
    first = build_json(site)
    assert first["compiled"] is True and cache_entries(site)
    second = build_json(site)
    assert second["compiled"] is False and second["created"] is False
    assert second["release"] == first["release"] and second["bundles"] == first["bundles"]
    (site / "static_src/scss/_vars.scss").write_text("$c: #654321;\n")
    third = build_json(site)
    assert third["compiled"] is True and third["release"] != first["release"]


def test_a_fresh_edit_is_never_hidden_by_the_stamp(aged_site: Path) -> None:
    site = aged_site
    build_json(site)
    path = site / "static_src/scss/_vars.scss"
    before = path.stat()
    path.write_text("$c: #abcdef;\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    assert build_json(site)["compiled"] is True, "a file changed within seconds is not trusted"


def test_deleting_or_corrupting_the_cache_changes_no_byte(site: Path, tmp_path: Path) -> None:
    reference = write_project(tmp_path / "reference", SITE, BUNDLES)
    expected = build_json(reference, "--no-cache")["release"]
    assert not (reference / ".assetbuild-cache").exists(), "--no-cache neither reads nor writes it"
    expected_tree = release_tree(reference / "dist/current")

    assert build_json(site)["release"] == expected
    entries = cache_entries(site)
    assert len(entries) >= 4
    for i, entry in enumerate(entries):  # flip a byte, truncate, or empty each entry
        raw = entry.read_bytes()
        entry.write_bytes([raw[:-1] + bytes([raw[-1] ^ 1]), raw[: len(raw) // 2], b""][i % 3])
    shutil.rmtree(site / "dist")
    assert build_json(site)["release"] == expected
    assert release_tree(site / "dist/current") == expected_tree
    for entry in cache_entries(site):  # damaged entries were discarded and written anew
        assert entry.read_bytes().startswith(CACHE_FORMAT)

    shutil.rmtree(site / ".assetbuild-cache")
    shutil.rmtree(site / "dist")
    assert build_json(site)["release"] == expected
    assert release_tree(site / "dist/current") == expected_tree


def test_cached_bundle_notices_a_changed_partial(site: Path) -> None:
    first = build_json(site)
    (site / "static_src/scss/_vars.scss").write_text("$c: #000000;\n")
    second = build_json(site)
    assert second["release"] != first["release"]
    (site / "static_src/scss/_vars.scss").write_text("$c: #123456;\n")
    assert build_json(site)["release"] == first["release"]


def test_cached_bundle_still_checks_references(site: Path) -> None:
    build_json(site)
    (site / "static_src/img/x.svg").unlink()
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    assert "reference to missing file '../img/x.svg'" in result.stderr
