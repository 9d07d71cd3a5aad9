"""Odd and hostile inputs: each builds correctly or fails with a clear error naming the file,
and a failure leaves the output as it was."""

from __future__ import annotations

import os
import random
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import load_manifest, run_cli, snapshot, write_project

from assetbuild import Manifest


def failed_cleanly(result, *needles: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.mark.parametrize("css", [
    ".a { background: url(../../../../etc/passwd) }",
    ".a { background: url('../../outside.png') }",
    '@import "../../outside.css";',
])
def test_references_that_leave_the_source_folder(tmp_path: Path, css: str) -> None:
    root = write_project(tmp_path / "p", {"css/a.css": "\n" + css})
    failed_cleanly(run_cli("build", cwd=root), "static_src/css/a.css:2:", "leads outside the source folder")
    assert not (root / "dist").exists()


def test_sass_import_outside_the_source_folder(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"scss/app.scss": ".a{b:c}\n\n@import '../../secret';\n"},
                         {"app.css": ["scss/app.scss"]})
    (root / "secret.scss").write_text(".stolen{b:c}")
    failed_cleanly(run_cli("build", cwd=root),
                   "static_src/scss/app.scss:3:9: error: @import '../../secret' leads outside the source folder")


def test_symlink_out_of_the_source_folder_is_refused_unless_allowed(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"a.css": ".a{}"})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/secret.txt").write_text("secret")
    (root / "static_src/linked").symlink_to(tmp_path / "elsewhere")
    failed_cleanly(run_cli("build", cwd=root), "static_src/linked: error: symbolic link leads outside")
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace(
        "[tool.assetbuild]\n", "[tool.assetbuild]\nfollow_symlinks_outside = true\n"))
    assert run_cli("build", cwd=root).returncode == 0
    assert "linked/secret.txt" in load_manifest(root / "dist")["assets"]


def test_symlink_inside_the_source_folder_is_followed(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"img/a.svg": "<svg/>", "b.css": ".b{background:url(alias/a.svg)}"})
    (root / "static_src/alias").symlink_to(root / "static_src/img")
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert {"img/a.svg", "alias/a.svg"} <= set(load_manifest(root / "dist")["assets"])


def test_invalid_utf8_in_a_plain_file_is_kept_byte_for_byte(tmp_path: Path) -> None:
    css = b"/* caf\xe9 */ .a { background: url(i.svg) } \xff\xfe"
    root = write_project(tmp_path / "p", {"a.css": css, "i.svg": b"<svg/>"})
    assert run_cli("build", cwd=root).returncode == 0
    assets = load_manifest(root / "dist")["assets"]
    out = (root / "dist/files" / assets["a.css"]["file"]).read_bytes()
    assert out == css.replace(b"url(i.svg)", f"url({assets['i.svg']['file']})".encode())


def test_invalid_utf8_in_a_bundled_stylesheet_names_the_file(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"a.css": b".a{} \xff"}, {"all.css": ["a.css"]})
    failed_cleanly(run_cli("build", cwd=root), "static_src/a.css: error: not valid UTF-8 (byte 5)")


def test_binary_file_named_css(tmp_path: Path) -> None:
    rng = random.Random(3)
    blob = bytes(rng.randrange(256) for _ in range(20_000)).replace(b"url(", b"uxl(").replace(b"@import", b"@imp")
    root = write_project(tmp_path / "p", {"fake.css": blob})
    assert run_cli("build", cwd=root).returncode == 0
    entry = load_manifest(root / "dist")["assets"]["fake.css"]
    assert (root / "dist/files" / entry["file"]).read_bytes() == blob
    assert entry["encodings"] == {}, "random bytes do not compress"


def test_binary_file_bundled_as_css_is_an_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"fake.css": b"\x89PNG\r\n\x1a\n\x00\xff"}, {"all.css": ["fake.css"]})
    failed_cleanly(run_cli("build", cwd=root), "static_src/fake.css: error: not valid UTF-8")


def test_empty_files(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"empty.css": "", "e.js": "", "x.txt": ""}, {"all.js": ["e.js"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assets = load_manifest(root / "dist")["assets"]
    assert assets["empty.css"]["size"] == 0 and assets["x.txt"]["size"] == 0
    assert assets["all.js"]["size"] == 0


def test_a_50_mb_file(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"a.css": ".a{}"})
    big = root / "static_src/video/intro.mp4"
    big.parent.mkdir()
    with open(big, "wb") as f:
        for i in range(50):
            f.write(os.urandom(1024 * 1024) if i % 10 == 0 else bytes([i]) * (1024 * 1024))
    assert run_cli("build", cwd=root).returncode == 0
    entry = load_manifest(root / "dist")["assets"]["video/intro.mp4"]
    assert entry["size"] == 50 * 1024 * 1024 and entry["encodings"] == {}
    assert run_cli("verify", cwd=root).returncode == 0


def test_odd_file_names(tmp_path: Path) -> None:
    names = ["img/with space.svg", "img/ünïcødé.svg", "img/hash#tag.svg", "img/what?.svg", "img/Case.svg",
             "img/case.svg"]
    files = {name: f"<svg id='{i}'/>" for i, name in enumerate(names)}
    refs = "".join(f".x{i}{{background:url(\"../{quote(name.split('/', 1)[1])}\")}}\n" for i, name in enumerate(names))
    files["css/a.css"] = refs.replace("url(\"../", "url(\"../img/")
    root = write_project(tmp_path / "p", files)
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = Manifest.load(root / "dist/current/manifest.json")
    release = root / "dist/files"
    css = (release / manifest.entry("css/a.css").file).read_text()
    for name in names:
        entry = manifest.entry(name)
        assert (release / entry.file).is_file()
        assert f"../{quote(entry.file.split('/', 1)[1])}" in css or f"../img/{quote(entry.file[4:])}" in css
        assert manifest.url(name) == "/static/" + quote(entry.file)
    assert manifest.entry("img/Case.svg").file != manifest.entry("img/case.svg").file


def test_same_input_twice_is_bundled_once(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"js/a.js": "var once = 1;", "js/b.js": "var b = 2;"},
                         {"all.js": ["js/a.js", "js/*.js", "js/a.js"]})
    assert run_cli("build", cwd=root).returncode == 0
    entry = load_manifest(root / "dist")["assets"]["all.js"]
    assert entry["sources"] == ["js/a.js", "js/b.js"]
    assert (root / "dist/files" / entry["file"]).read_text().count("once") == 1


def test_failures_leave_output_untouched(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"a.css": ".a{}", "s.scss": "a{b:c}"}, {"s.css": ["s.scss"]})
    assert run_cli("build", cwd=root).returncode == 0
    before = snapshot(root / "dist")
    for name, content in [("s.scss", "a{b:$nope}"), ("a.css", ".a{background:url(nope.png)}"),
                          ("s.scss", b"a{b:c} \xff")]:
        path = root / "static_src" / name
        original = path.read_bytes()
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        result = run_cli("build", cwd=root)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert snapshot(root / "dist") == before
        path.write_bytes(original)


def test_output_and_cache_inside_the_source_folder_are_not_sources(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"a.css": ".a{}"}, output="static_src/dist",
                         cache_dir="static_src/.cache")
    first = run_cli("build", cwd=root)
    assert first.returncode == 0, first.stderr
    release = load_manifest(root / "static_src/dist")["release"]
    second = run_cli("build", cwd=root)
    assert second.returncode == 0
    assets = load_manifest(root / "static_src/dist")["assets"]
    assert load_manifest(root / "static_src/dist")["release"] == release
    assert set(assets) == {"a.css"}
