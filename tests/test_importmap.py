"""The runtime side of ES modules on a real build: ``Manifest.importmap()``, ``asset_importmap()``
and ``asset_tag(name, type="module")`` with its modulepreload links."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import pytest
from conftest import run_cli, write_project
from test_module_graph import with_importmap

from assetbuild import Manifest
from assetbuild.jinja import install

FILES = {
    "js/main.js": 'import { a } from "./a.js";\nimport { h } from "vue";\nimport { x } from "lit/x.js";\n'
                  'import("./lazy.js");\n',
    "js/a.js": 'import { b } from "./b.js";\nexport const a = b;\n',
    "js/b.js": 'import { a } from "./a.js";\nexport const b = 1;\n',  # a cycle: preloads stay finite
    "js/lazy.js": "export const lazy = 1;\n",
    "vendor/vue.js": "export const h = 1;\n",
    "vendor/lit/x.js": "export const x = 1;\n",
    "vendor/lit/y.js": "export const y = 1;\n",
}


def built(tmp_path: Path, **settings: object) -> Manifest:
    root = with_importmap(write_project(tmp_path / "p", FILES, **settings),
                          {"vue": "vendor/vue.js", "lit/": "vendor/lit/", "</script>": "vendor/vue.js"})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return Manifest.load(root / "dist/current/manifest.json")


@pytest.mark.parametrize("mode", ["rewrite", "importmap"])
def test_importmap_has_hashed_urls_and_integrity(tmp_path: Path, mode: str) -> None:
    manifest = built(tmp_path, modules=mode)
    imap = manifest.importmap()
    imports = imap["imports"]
    assert imports["vue"] == manifest.url("vendor/vue.js")
    # A prefix becomes one entry per file: the folder itself would be asked for unhashed names.
    assert imports["lit/x.js"] == manifest.url("vendor/lit/x.js")
    assert imports["lit/y.js"] == manifest.url("vendor/lit/y.js")
    assert "lit/" not in imports
    for url in imports.values():
        assert re.search(r"\.[0-9a-f]{12}\.js$", url)
    modules = ["js/main.js", "js/a.js", "js/b.js", "js/lazy.js", "vendor/vue.js", "vendor/lit/x.js"]
    for name in modules:
        assert imap["integrity"][manifest.url(name)] == manifest.integrity(name)
    url_keyed = {k: v for k, v in imports.items() if k.startswith("/static/")}
    if mode == "rewrite":
        assert url_keyed == {}
    else:
        assert url_keyed["/static/js/a.js"] == manifest.url("js/a.js")
        assert url_keyed["/static/js/lazy.js"] == manifest.url("js/lazy.js")


def test_jinja_importmap_and_module_tag(tmp_path: Path) -> None:
    manifest = built(tmp_path)
    env = install(jinja2.Environment(autoescape=True), manifest)
    html = env.from_string('{{ asset_importmap() }}\n{{ asset_tag("js/main.js", type="module") }}').render()
    script = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert script and json.loads(script.group(1)) == manifest.importmap()
    assert "</script>" not in script.group(1) and "\\u003c/script>" in script.group(1)
    links = re.findall(r'<link rel="modulepreload" href="([^"]+)" integrity="([^"]+)" crossorigin="anonymous">',
                       html)
    # The static closure (a, b through the cycle, the bare vue and lit/x.js), not the dynamic import.
    expected = ["js/a.js", "js/b.js", "vendor/vue.js", "vendor/lit/x.js"]
    assert sorted(links) == sorted((manifest.url(n), manifest.integrity(n)) for n in expected)
    assert html.rstrip().endswith(f'<script src="{manifest.url("js/main.js")}" integrity='
                                  f'"{manifest.integrity("js/main.js")}" crossorigin="anonymous" '
                                  'type="module"></script>')


def test_classic_script_tag_has_no_preloads(tmp_path: Path) -> None:
    manifest = built(tmp_path)
    env = install(jinja2.Environment(autoescape=True), manifest)
    assert "modulepreload" not in env.from_string('{{ asset_tag("js/main.js") }}').render()


@pytest.mark.parametrize(("extra", "asset_extra", "message"), [
    ({"importmap": ["vue"]}, {}, "'importmap' is not an object of names"),
    ({}, {"imports": "js/a.js"}, "asset 'js/main.js': 'imports' is not a list of names"),
    ({}, {"imports": [], "dynamic_imports": [1]}, "asset 'js/main.js': 'dynamic_imports' is not a list of names"),
])
def test_malformed_module_keys_fail_at_load(tmp_path: Path, extra: dict, asset_extra: dict, message: str) -> None:
    from assetbuild.errors import ManifestError

    path = tmp_path / "manifest.json"
    asset = {"file": "js/main.aaaaaaaaaaaa.js", "integrity": "sha384-A", "type": "text/javascript", **asset_extra}
    path.write_text(json.dumps({"version": 1, "assets": {"js/main.js": asset}, **extra}))
    with pytest.raises(ManifestError) as failed:
        Manifest.load(path)
    assert str(failed.value) == f"{path}: not an assetbuild manifest: {message}"
