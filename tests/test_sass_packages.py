"""Real Sass packages from npm through ``load_paths = ["node_modules"]``, checked in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_manifest, run_cli, write_project

pytestmark = [pytest.mark.npm, pytest.mark.browser, pytest.mark.slow]

# element markup -> the computed properties compared
ELEMENTS = {
    '<button class="btn btn-primary">b</button>': ("background-color", "padding-left", "border-radius", "font-size"),
    '<div class="alert alert-danger">a</div>': ("color", "background-color", "border-top-color", "padding-top"),
    '<div class="d-flex justify-content-between">f</div>': ("display", "justify-content"),
    '<h1 class="display-4">h</h1>': ("font-size", "font-weight", "line-height"),
    '<input class="form-control">': ("border-top-width", "border-top-color", "padding-top", "border-radius"),
    '<span class="badge text-bg-success">s</span>': ("background-color", "color", "font-weight"),
}


def project(root: Path, packages: dict[str, Path], entry: str, compiler: str) -> Path:
    root = write_project(root, {"scss/app.scss": entry}, {"css/app.css": ["scss/app.scss"]},
                         sass=compiler, load_paths=["node_modules"])
    for name, folder in packages.items():
        link = root / "node_modules" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(folder)
    return root


def build(root: Path) -> tuple[Path, str]:
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")
    assert sorted(manifest["assets"]) == ["css/app.css", "css/app.css.map"], "only what is reached is published"
    css = root / "dist/files" / manifest["assets"]["css/app.css"]["file"]
    assert b"@use" not in css.read_bytes() and b"@forward" not in css.read_bytes()
    return css, result.stderr


def computed(browser, css: Path, elements: dict[str, tuple[str, ...]]) -> list[dict[str, str]]:
    """Each element's computed values, from a static page that links the built stylesheet."""
    page_file = css.parent.parent / "page.html"
    body = "\n".join(f'<div id="e{i}">{markup}</div>' for i, markup in enumerate(elements))
    page_file.write_text(f'<!doctype html><html><head><link rel="stylesheet" href="{css.as_uri()}"></head>'
                         f"<body><div class=\"container\">{body}</div></body></html>")
    page = browser.new_page()
    try:
        page.goto(page_file.as_uri())
        script = """([i, props]) => { const el = document.querySelector(`#e${i} > *`); const s = getComputedStyle(el);
                     return Object.fromEntries(props.map(p => [p, s.getPropertyValue(p)])); }"""
        return [page.evaluate(script, [i, list(props)]) for i, props in enumerate(elements.values())]
    finally:
        page.close()


def test_bootstrap_looks_the_same_with_both_compilers(tmp_path: Path, npm_package, browser) -> None:
    bootstrap = npm_package("bootstrap", "5.3.3")
    styles = {}
    for compiler in ("dart", "libsass"):
        root = project(tmp_path / compiler, {"bootstrap": bootstrap}, '@import "bootstrap/scss/bootstrap";\n',
                       compiler)
        css, stderr = build(root)
        if compiler == "dart":
            assert 0 < len(stderr.splitlines()) < 10, "the package's deprecations are summed up, not dumped"
            assert "deprecation warnings in files of the load paths" in stderr
        styles[compiler] = computed(browser, css, ELEMENTS)
    assert styles["dart"][0]["background-color"] == "rgb(13, 110, 253)", "Bootstrap's primary blue applied"
    assert styles["dart"][2]["display"] == "flex"
    assert json.dumps(styles["dart"], indent=1) == json.dumps(styles["libsass"], indent=1)


def test_bulma_1_with_dart_sass(tmp_path: Path, npm_package, browser) -> None:
    root = project(tmp_path / "p", {"bulma": npm_package("bulma", "1.0.4")}, '@use "bulma/bulma";\n', "dart")
    css, _ = build(root)
    assert css.stat().st_size > 150_000, "the whole framework, not a stylesheet that carries @use"
    got = computed(browser, css, {
        '<button class="button is-primary">b</button>': ("background-color", "display"),
        '<div class="columns"><div class="column">c</div></div>': ("display",),
        '<h1 class="title">t</h1>': ("font-size", "font-weight"),
    })
    assert got[0] == {"background-color": "rgb(0, 209, 178)", "display": "inline-flex"}
    assert got[1] == {"display": "flex"}
    assert got[2] == {"font-size": "32px", "font-weight": "800"}


def test_bulma_1_with_libsass_is_a_clear_error(tmp_path: Path, npm_package) -> None:
    root = project(tmp_path / "p", {"bulma": npm_package("bulma", "1.0.4")}, '@import "bulma/bulma";\n', "libsass")
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith("node_modules/bulma/bulma.scss:4:1: error: @use is Sass's module system"), \
        result.stderr
    assert not (root / "dist").exists()


def test_foundation_6_9_with_dart_sass(tmp_path: Path, npm_package, browser) -> None:
    root = project(tmp_path / "p", {"foundation-sites": npm_package("foundation-sites", "6.9.0")},
                   '@use "foundation-sites/scss/foundation" as *;\n@include foundation-everything;\n', "dart")
    css, _ = build(root)
    got = computed(browser, css, {
        '<a class="button">b</a>': ("background-color", "display"),
        '<div class="grid-x"><div class="cell">c</div></div>': ("display", "flex-wrap"),
        '<div class="callout alert">c</div>': ("border-top-style",),
    })
    assert got[0] == {"background-color": "rgb(23, 121, 186)", "display": "inline-block"}
    assert got[1] == {"display": "flex", "flex-wrap": "wrap"}
    assert got[2] == {"border-top-style": "solid"}
