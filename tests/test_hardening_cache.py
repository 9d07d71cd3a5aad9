"""The build cache only accelerates: it follows the code, proves its keys, never fails or hangs a build (issue 10)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import release_tree, run_cli, write_project

import assetbuild
from assetbuild.builder.stamp import RACY_SECONDS

SITE = {
    "scss/_vars.scss": "$c: #123456;\n",
    "scss/app.scss": '@import "vars";\n.a { color: $c; background: url("../img/x.svg"); }\n',
    "img/x.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>" * 20,
    "js/a.js": "var a = 1;\n" * 200,
    "js/b.js": "var b = 2;\n" * 200,
    "data/big.txt": "some text that compresses well " * 4000,
}
BUNDLES = {"css/app.css": ["scss/app.scss"], "js/app.js": ["js/a.js", "js/b.js"], "js/other.js": ["js/b.js"]}


def build_json(root: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    result = run_cli("build", "--json", *args, cwd=root, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def entries(site: Path, namespace: str = "") -> list[Path]:
    return sorted(p for p in (site / ".assetbuild-cache" / namespace).rglob("*") if p.is_file())


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_project(tmp_path / "site", SITE, BUNDLES)


@pytest.fixture
def expected(tmp_path: Path) -> dict[str, bytes]:
    reference = write_project(tmp_path / "reference", SITE, BUNDLES)
    build_json(reference, "--no-cache")
    return release_tree(reference / "dist/current")


def test_a_change_to_assetbuild_itself_is_not_answered_from_the_cache(site: Path, tmp_path: Path) -> None:
    code = tmp_path / "code"
    shutil.copytree(Path(assetbuild.__file__).parent, code / "assetbuild", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(code)}
    time.sleep(RACY_SECONDS + 0.2)
    build_json(site, env=env)
    bundles = code / "assetbuild/builder/bundles.py"
    bundles.write_text(bundles.read_text().replace('out.write("\\n;\\n".join(', 'out.write("\\n;/*x*/\\n".join('))
    cached = build_json(site, env=env)  # the no-op stamp and the bundle cache both saw the old code
    fresh = build_json(write_project(tmp_path / "fresh", SITE, BUNDLES), "--no-cache", env=env)
    assert cached["release"] == fresh["release"]
    assert cached["compiled"] is True


def test_an_entry_under_another_key_is_a_miss(site: Path, expected: dict[str, bytes]) -> None:
    build_json(site)
    bundles = entries(site, "bundle")
    assert len(bundles) == 3
    raw = [p.read_bytes() for p in bundles]
    for path, data in zip(bundles, raw[1:] + raw[:1], strict=True):  # every entry moved to another's key
        path.write_bytes(data)
    shutil.rmtree(site / "dist")
    (site / "static_src/img/x.svg").touch()  # fresh: the stamp is not trusted, the bundle cache is asked
    build_json(site)
    assert release_tree(site / "dist/current") == expected


def test_swapped_noop_entries_do_not_bring_back_an_old_release(site: Path) -> None:
    time.sleep(RACY_SECONDS + 0.2)
    first = build_json(site)["release"]
    (site / "static_src/js/a.js").write_text("var changed = 1;\n")
    time.sleep(RACY_SECONDS + 0.2)
    second = build_json(site)["release"]
    noop = entries(site, "noop")
    assert len(noop) == 2
    a, b = (p.read_bytes() for p in noop)
    noop[0].write_bytes(b)
    noop[1].write_bytes(a)
    assert build_json(site)["release"] == second != first


def cache_mischief(site: Path, how: str) -> None:
    cache = site / ".assetbuild-cache"
    if how == "cache_dir a file":
        shutil.rmtree(cache)
        cache.write_text("not a folder")
    elif how == "entries are folders":
        for path in entries(site):
            path.unlink()
            path.mkdir()
    elif how == "entries are FIFOs":
        for path in entries(site):
            path.unlink()
            os.mkfifo(path)
    elif how == "entries link to /dev/zero":
        for path in entries(site):
            path.unlink()
            path.symlink_to("/dev/zero")


@pytest.mark.parametrize("how", ["cache_dir a file", "entries are folders", "entries are FIFOs",
                                 "entries link to /dev/zero"])
def test_no_state_of_the_cache_fails_or_hangs_a_build(site: Path, expected: dict[str, bytes], how: str) -> None:
    time.sleep(RACY_SECONDS + 0.2)
    build_json(site)
    cache_mischief(site, how)
    shutil.rmtree(site / "dist")
    build_json(site)  # a no-op lookup, then a full build through the damaged cache
    assert release_tree(site / "dist/current") == expected
    (site / "static_src/js/a.js").touch()
    build_json(site)


def test_a_cache_on_a_read_only_mount_is_used_not_fatal(site: Path, expected: dict[str, bytes]) -> None:
    build_json(site)
    cache = site / ".assetbuild-cache"
    for path in entries(site)[::2]:
        path.write_bytes(b"damaged")  # a read-only cache must still be able to miss
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(cache), str(cache)], capture_output=True)
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot bind-mount read-only: {mounted.stderr!r}")
        pytest.skip("bind mounts are not allowed here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(cache)], check=True)
        shutil.rmtree(site / "dist")
        build_json(site)
        assert release_tree(site / "dist/current") == expected
    finally:
        subprocess.run(["umount", str(cache)], check=True)
