"""The Jinja2 helpers, rendered through a real Environment with autoescape."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest

from assetbuild import AssetNotFound, Manifest
from assetbuild.jinja import install


@pytest.fixture
def env(tmp_path: Path) -> jinja2.Environment:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"version": 1, "url_prefix": "/static/", "assets": {
        "css/app.css": {"file": "css/app.aaa.css", "integrity": "sha384-A", "type": "text/css"},
        "js/app.js": {"file": "js/app.bbb.js", "integrity": "sha384-B", "type": "text/javascript"},
        "img/a.png": {"file": "img/a.ccc.png", "integrity": "sha384-C", "type": "image/png"},
    }}))
    return install(jinja2.Environment(autoescape=True), Manifest.load(path))


def render(env: jinja2.Environment, source: str) -> str:
    return env.from_string(source).render()


def test_asset_url(env: jinja2.Environment) -> None:
    assert render(env, "{{ asset_url('img/a.png') }}") == "/static/img/a.ccc.png"


def test_stylesheet_and_script_tags(env: jinja2.Environment) -> None:
    assert render(env, "{{ asset_tag('css/app.css') }}") == (
        '<link rel="stylesheet" href="/static/css/app.aaa.css" integrity="sha384-A" crossorigin="anonymous">')
    assert render(env, "{{ asset_tag('js/app.js', defer=True, type='module', async=False) }}") == (
        '<script src="/static/js/app.bbb.js" integrity="sha384-B" crossorigin="anonymous" defer type="module">'
        "</script>")


def test_extra_attributes_are_escaped(env: jinja2.Environment) -> None:
    out = render(env, """{{ asset_tag('css/app.css', media='print" onload="x()', data_theme='<dark>') }}""")
    assert 'media="print&#34; onload=&#34;x()"' in out
    assert 'data-theme="&lt;dark&gt;"' in out


def test_unknown_name_raises(env: jinja2.Environment) -> None:
    with pytest.raises(AssetNotFound, match="did you mean 'css/app.css'"):
        render(env, "{{ asset_tag('css/ap.css') }}")


def test_tag_for_an_image_explains(env: jinja2.Environment) -> None:
    with pytest.raises(ValueError, match=r"use asset_url\('img/a.png'\)"):
        render(env, "{{ asset_tag('img/a.png') }}")
