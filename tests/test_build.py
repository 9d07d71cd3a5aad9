"""End-to-end builds of real trees: the release on disk, the manifest, the hashes and references."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import load_manifest, release_tree, run_cli, snapshot, write_project

from assetbuild.cli import main

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<ext>\.[^.]+)?$")

SITE = {
    "scss/_vars.scss": "$brand: #2b6cb0;\n",
    "scss/_mix.scss": "@mixin pad { padding: 4px; }\n",
    "scss/app.scss": '@import "vars";\n@import "mix";\n.a { color: $brand; @include pad; '
                     'background: url("../img/dot.png"); }\n',
    "css/extra.css": ".b { background: url('../img/dot.png?v=1#top'); }\n",
    "css/plain.css": '@import "inner.css";\n.c { background: url(../img/dot.png) }\n',
    "css/inner.css": ".d { background: url(../img/dot.png) }\n",
    "img/dot.png": b"\x89PNG\r\n\x1a\n-not-really-a-png-but-bytes",
    "js/a.js": "var a = 1\n",
    "js/b.js": "(function(){ window.b = a + 1; })()\n",
    "notes.md": "excluded\n",
}
BUNDLES = {"css/app.css": ["scss/app.scss", "css/extra.css"], "js/app.js": ["js/*.js"]}


def build(root: Path, *args: str) -> int:
    return main(["build", "--config", str(root / "pyproject.toml"), *args])


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_project(tmp_path / "site", SITE, BUNDLES)


def test_release_layout_and_manifest(site: Path) -> None:
    assert build(site) == 0
    output = site / "dist"
    assert os.readlink(output / "current").startswith("releases/")
    manifest = load_manifest(output)
    release = output / "current"
    files = output / "files"  # the store: every file of every kept release, once
    assert [p.name for p in release.iterdir()] == ["manifest.json"]
    assert manifest["version"] == 1 and manifest["url_prefix"] == "/static/"
    assert set(manifest["assets"]) == {
        "css/app.css", "css/plain.css", "css/inner.css", "img/dot.png", "js/app.js",
    }, "bundle inputs, Sass sources and excluded files are not published"
    for entry in manifest["assets"].values():
        data = (files / entry["file"]).read_bytes()
        match = HASHED.match(entry["file"])
        assert match, entry["file"]
        if not entry["references"]:  # a file that reaches others is named by them too (test_module_graph.py)
            assert match["digest"] == hashlib.sha256(data).hexdigest()[:12]
        assert entry["size"] == len(data)
        assert entry["integrity"].startswith("sha384-")
    app = manifest["assets"]["css/app.css"]
    assert app["sources"] == ["scss/app.scss", "css/extra.css"]
    assert app["references"] == ["img/dot.png"]
    assert app["type"] == "text/css"
    assert manifest["assets"]["js/app.js"]["sources"] == ["js/a.js", "js/b.js"]
    assert manifest["release"] == os.readlink(output / "current").split("/")[1]
    assert "/tmp" not in (release / "manifest.json").read_text()


def test_references_point_at_hashed_names_keeping_query_and_fragment(site: Path) -> None:
    assert build(site) == 0
    manifest = load_manifest(site / "dist")
    dot = manifest["assets"]["img/dot.png"]["file"]
    release = site / "dist" / "files"
    app = (release / manifest["assets"]["css/app.css"]["file"]).read_text()
    assert f'url("../{dot}")' in app
    assert f"url('../{dot}?v=1#top')" in app
    plain = (release / manifest["assets"]["css/plain.css"]["file"]).read_text()
    inner = manifest["assets"]["css/inner.css"]["file"].split("/")[-1]
    assert plain == f'@import "{inner}";\n.c {{ background: url(../{dot}) }}\n', "every other byte kept"
    js = (release / manifest["assets"]["js/app.js"]["file"]).read_text()
    assert "window.b=a+1" in js and "var a=1" in js


def test_a_changed_image_changes_every_stylesheet_that_reaches_it(site: Path) -> None:
    assert build(site) == 0
    before = load_manifest(site / "dist")["assets"]
    (site / "static_src/img/dot.png").write_bytes(b"other bytes")
    assert build(site) == 0
    after = load_manifest(site / "dist")["assets"]
    for name in ("img/dot.png", "css/app.css", "css/inner.css", "css/plain.css"):
        assert before[name]["file"] != after[name]["file"], name
    assert before["js/app.js"]["file"] == after["js/app.js"]["file"]


@pytest.mark.parametrize("partial", ["scss/_vars.scss", "scss/_mix.scss"])
def test_a_changed_sass_partial_changes_the_bundle(site: Path, partial: str) -> None:
    assert build(site) == 0
    before = load_manifest(site / "dist")["assets"]["css/app.css"]["file"]
    path = site / "static_src" / partial
    path.write_text(path.read_text().replace("#2b6cb0", "#000").replace("4px", "5px"))
    assert build(site) == 0
    assert load_manifest(site / "dist")["assets"]["css/app.css"]["file"] != before


def test_same_sources_in_two_folders_give_identical_releases(tmp_path: Path) -> None:
    one = write_project(tmp_path / "one", SITE, BUNDLES)
    two = write_project(tmp_path / "elsewhere" / "two", SITE, BUNDLES)
    for i, path in enumerate(sorted((two / "static_src").rglob("*"))):
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert run_cli("build", cwd=one).returncode == 0
    assert run_cli("build", "--jobs", "1", cwd=two).returncode == 0
    assert os.readlink(one / "dist/current") == os.readlink(two / "dist/current")
    assert release_tree(one / "dist/current") == release_tree(two / "dist/current")


def test_second_build_of_unchanged_sources_writes_nothing(site: Path) -> None:
    first = run_cli("build", cwd=site)
    assert first.returncode == 0, first.stderr
    before = snapshot(site / "dist")
    second = run_cli("build", cwd=site)
    assert second.returncode == 0
    assert snapshot(site / "dist") == before
    release_id = load_manifest(site / "dist")["release"]
    assert release_id in first.stdout and release_id in second.stdout
    assert "nothing written" in second.stdout


def test_missing_reference_names_file_line_and_path(site: Path) -> None:
    (site / "static_src/css/plain.css").write_text(".c {}\n.e { background: url(../img/nope.png) }\n")
    (site / "static_src/css/extra.css").write_text("\n\n.b { background: url(gone.svg) }\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    assert "static_src/css/plain.css:2:22: error: reference to missing file '../img/nope.png'" in result.stderr
    assert "static_src/css/extra.css:3:22: error: reference to missing file 'gone.svg'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (site / "dist").exists()


def test_missing_reference_inside_a_sass_partial_is_traced_to_the_partial(site: Path) -> None:
    (site / "static_src/scss/_mix.scss").write_text(
        "@mixin pad {\n  padding: 4px;\n  background: url(../img/missing.png);\n}\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    assert "static_src/scss/_mix.scss:3:15: error: reference to missing file '../img/missing.png'" in result.stderr


def test_sass_error_is_one_compiler_style_line(site: Path) -> None:
    (site / "static_src/scss/_mix.scss").write_text("@mixin pad {\n  color: $undefined;\n}\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    assert result.stderr.startswith("static_src/scss/_mix.scss:2:10: error: Undefined variable")
    assert "Traceback" not in result.stderr


def test_every_error_is_reported_and_output_is_left_byte_for_byte(site: Path) -> None:
    assert run_cli("build", cwd=site).returncode == 0
    before = snapshot(site / "dist")
    (site / "static_src/scss/app.scss").write_text(".a { color: $nope; }\n")
    (site / "static_src/css/plain.css").write_text(".x { background: url(missing.png) }\n")
    (site / "static_src/js/b.js").write_bytes(b"var x = '\xff';\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("static_src/scss/app.scss:1:13: error: Undefined variable") for line in lines)
    assert any(line.startswith("static_src/css/plain.css:1:22: error: reference to missing") for line in lines)
    assert any(line.startswith("static_src/js/b.js: error: not valid UTF-8") for line in lines)
    assert lines[-1] == "assetbuild: 3 errors"
    assert snapshot(site / "dist") == before


def test_reference_to_a_sass_source_is_an_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "css/page.css": ".b{background:url(../s/x.scss)}", "s/x.scss": "a{b:c}",
    })
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert "points at 's/x.scss', a Sass source" in result.stderr


def test_external_references_stay_as_they_are(tmp_path: Path) -> None:
    css = ("a{b:url(data:image/png;base64,AAAA)}c{d:url(/abs.png)}e{f:url(//cdn.example.com/x.png)}"
           "g{h:url(https://example.com/y.png)}i{filter:url(#blur)}")
    root = write_project(tmp_path / "p", {"x.css": css})
    assert build(root) == 0
    entry = load_manifest(root / "dist")["assets"]["x.css"]
    assert (root / "dist/files" / entry["file"]).read_text() == css
    assert entry["references"] == []


def test_vendor_source_maps(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "js/lib.js": "var lib = 1;\n//# sourceMappingURL=lib.js.map\n",
        "js/lib.js.map": '{"version":3,"sources":[],"mappings":""}',
        "js/orphan.js": "var o = 1;\n//# sourceMappingURL=orphan.js.map\n",
        "js/v1.js": "var v1 = 1;\n//# sourceMappingURL=v1.js.map\n",
        "js/v1.js.map": '{"version":3,"sources":[],"mappings":""}',
    }, {"js/bundle.js": ["js/v1.js"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "warning: dropped sourceMappingURL" in result.stderr
    manifest = load_manifest(root / "dist")["assets"]
    release = root / "dist/files"
    lib = (release / manifest["js/lib.js"]["file"]).read_text()
    assert lib == f"var lib = 1;\n//# sourceMappingURL={manifest['js/lib.js.map']['file'].split('/')[-1]}\n"
    assert (release / manifest["js/orphan.js"]["file"]).read_text() == "var o = 1;\n"
    assert "sourceMappingURL" not in (release / manifest["js/bundle.js"]["file"]).read_text()


def test_bundle_inputs_from_another_folder_are_rebased(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "vendor/lib/lib.css": ".l{background:url(img/l.png)}",
        "vendor/lib/img/l.png": b"png",
        "font dir/a b.woff2": b"font",
        "vendor/f.css": "@font-face{src:url('../font%20dir/a%20b.woff2')}",
    }, {"css/all.css": ["vendor/lib/lib.css", "vendor/f.css"]})
    assert build(root) == 0
    manifest = load_manifest(root / "dist")["assets"]
    css = (root / "dist/files" / manifest["css/all.css"]["file"]).read_text()
    png = manifest["vendor/lib/img/l.png"]["file"]
    font = manifest["font dir/a b.woff2"]["file"]
    assert f"url(../{png})" in css
    assert "url('../" + font.replace(" ", "%20") + "')" in css


def test_copied_demo_builds_and_python_build_py_works(demo: Path) -> None:
    shutil.copy(Path(__file__).resolve().parent.parent / "build.py", demo / "build.py")
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "build.py", "--json"], cwd=demo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["release"] == load_manifest(demo / "dist")["release"]
    assert {b["name"] for b in report["bundles"]} == {"css/app.css", "css/print.css", "js/app.js"}
