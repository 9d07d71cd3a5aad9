"""What is published: what a page can reach is there, excluded files and bundle inputs included."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import load_manifest, run_cli, write_project

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 40


def published(root: Path) -> set[str]:
    return set(load_manifest(root / "dist")["assets"])


def test_excluded_file_is_a_bundle_input_and_what_it_reaches_is_published(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "vendor/lib.css": ".lib { background: url(img/used.png) }\n", "vendor/img/used.png": PNG,
        "vendor/img/unused.png": PNG, "vendor/README.md": "notes", "css/site.css": ".site { color: red }\n",
    }, {"css/app.css": ["vendor/lib.css", "css/site.css"]}, exclude=["vendor/**"])
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert published(root) == {"css/app.css", "vendor/img/used.png"}


def test_bundle_input_referenced_by_a_published_file_is_published(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "css/in.css": ".a { background: url(../img/a.png) }\n", "img/a.png": PNG,
        "css/page.css": '@import "in.css";\n.b { color: red }\n',
    }, {"css/all.css": ["css/in.css"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert published(root) == {"css/all.css", "css/in.css", "css/page.css", "img/a.png"}
    page = load_manifest(root / "dist")["assets"]["css/page.css"]
    assert page["references"] == ["css/in.css"]


@pytest.mark.slow
def test_a_changed_excluded_file_that_is_published_is_seen_by_the_no_op_check(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "css/site.css": ".a { background: url(../vendor/a.png) }\n", "vendor/a.png": PNG,
    }, exclude=["vendor/**"])
    time.sleep(2.1)  # past the stamp's racy window: this build records a stamp of the tree
    assert run_cli("build", cwd=root).returncode == 0
    first = load_manifest(root / "dist")["assets"]["vendor/a.png"]["file"]
    (root / "static_src/vendor/a.png").write_bytes(PNG + b"changed")
    time.sleep(2.1)  # so that only the stamp can notice the change
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert load_manifest(root / "dist")["assets"]["vendor/a.png"]["file"] != first


@pytest.mark.npm
@pytest.mark.slow
def test_vendor_package_publishes_exactly_the_fonts_its_css_reaches(tmp_path: Path, npm_package) -> None:
    package = npm_package("@fortawesome/fontawesome-free", "6.5.2")
    root = write_project(tmp_path / "p", {"scss/app.scss": (
        '$fa-font-path: "../vendor/fontawesome/webfonts";\n'
        '@import "../vendor/fontawesome/scss/fontawesome";\n'
        '@import "../vendor/fontawesome/scss/solid";\n'
    )}, {"css/app.css": ["scss/app.scss"]}, exclude=["vendor/**"])
    for folder in ("scss", "webfonts", "css"):  # css/all.css reaches every font, but nothing reaches it
        shutil.copytree(package / folder, root / "static_src/vendor/fontawesome" / folder)
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert published(root) == {
        "css/app.css", "css/app.css.map",
        "vendor/fontawesome/webfonts/fa-solid-900.woff2", "vendor/fontawesome/webfonts/fa-solid-900.ttf",
    }
    manifest = load_manifest(root / "dist")["assets"]
    css = (root / "dist/files" / manifest["css/app.css"]["file"]).read_text()
    woff2 = manifest["vendor/fontawesome/webfonts/fa-solid-900.woff2"]["file"]
    assert f"url(../{woff2})" in css or f'url("../{woff2}")' in css
    assert ((root / "dist/files" / woff2).read_bytes()
            == (package / "webfonts/fa-solid-900.woff2").read_bytes())
