"""CSS bundles of several inputs: references survive the minifier, errors name the file a person edits."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import load_manifest, run_cli, write_project

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 40


def bundle_bytes(root: Path, name: str = "css/app.css") -> str:
    return (root / "dist/files" / load_manifest(root / "dist")["assets"][name]["file"]).read_text()


def test_quoted_url_with_spaces_survives_rcssmin(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "img/my file.png": PNG, "css/a.css": ".a { color: red }\n",
        "css/b.css": ".b {\n  background: url('../img/my file.png') no-repeat;\n}\n",
    }, {"css/app.css": ["css/a.css", "css/b.css"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")
    hashed = manifest["assets"]["img/my file.png"]["file"].split("/")[-1]
    assert f"url('../img/{hashed.replace(' ', '%20')}')" in bundle_bytes(root)
    assert "img/my file.png" in manifest["assets"]["css/app.css"]["references"]


def test_error_in_a_multi_input_bundle_names_the_input_line_and_column(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "css/a.css": ".a { color: red }\n",
        "css/b.css": ".b { color: blue }\n\n.c {\n  background: url('../img/my nope.png');\n}\n",
    }, {"css/app.css": ["css/a.css", "css/b.css"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "static_src/css/b.css:4:20: error: reference to missing file '../img/my nope.png' "
        "(no 'img/my nope.png' in the source folder)"]


def test_url_in_a_sass_partial_says_urls_resolve_from_the_compiled_file(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "img/a.png": PNG, "scss/app.scss": '@import "components/button";\n',
        "scss/components/_button.scss": ".button {\n  background: url('../../img/a.png');\n}\n",
    }, {"css/app.css": ["scss/app.scss"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("static_src/scss/components/_button.scss:2:")
    assert "reference '../../img/a.png' leads outside the source folder" in line
    assert "url()s in Sass resolve from the file being compiled, 'scss/app.scss'" in line


FILES = {
    "img/hero.png": PNG,
    "css/plain.css": ".h { background: url(/static/img/hero.png) }\n.x { background: url(/elsewhere/x.png) }\n",
    "scss/app.scss": ".h { background: url('/static/img/hero.png?v=1') }\n",
    "css/a.css": ".a { color: red }\n",
    "css/b.css": ".b { background: url(\"/static/img/hero.png\") }\n",
}


def test_root_absolute_references_under_the_prefix_are_rewritten(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES, {"css/app.css": ["scss/app.scss"], "css/ab.css": ["css/a.css",
                                                                                                    "css/b.css"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    hero = load_manifest(root / "dist")["assets"]["img/hero.png"]["file"].split("/")[-1]
    assert bundle_bytes(root, "css/plain.css") == (
        f".h {{ background: url(../img/{hero}) }}\n.x {{ background: url(/elsewhere/x.png) }}\n")
    assert f'url("../img/{hero}?v=1")' in bundle_bytes(root, "css/app.css")
    assert f'url("../img/{hero}")' in bundle_bytes(root, "css/ab.css")


def test_root_absolute_references_follow_a_cdn_prefix_path(tmp_path: Path) -> None:
    files = {"img/hero.png": PNG, "css/plain.css": ".h{background:url(/assets/img/hero.png)}"}
    root = write_project(tmp_path / "p", files, url_prefix="https://cdn.example.com/assets/")
    assert run_cli("build", cwd=root).returncode == 0
    assert re.fullmatch(r"\.h\{background:url\(\.\./img/hero\.[0-9a-f]{12}\.png\)\}",
                        bundle_bytes(root, "css/plain.css"))


def test_missing_root_absolute_reference_names_file_line_and_column(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "css/plain.css": "\n.h { background: url(/static/img/nope.png) }\n",
        "scss/app.scss": ".h {\n  background: url(/static/img/gone.png);\n}\n",
    }, {"css/app.css": ["scss/app.scss"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert sorted(result.stderr.splitlines()[:2]) == [
        "static_src/css/plain.css:2:22: error: reference to missing file '/static/img/nope.png' "
        "(no 'img/nope.png' in the source folder)",
        "static_src/scss/app.scss:2:15: error: reference to missing file '/static/img/gone.png' "
        "(no 'img/gone.png' in the source folder)",
    ]
