"""Headless Chromium (Debian's) loads the demo from gunicorn: everything arrives, the Sass applied,
and a tampered file is refused by Subresource Integrity."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import brotli
import pytest
from conftest import Gunicorn

pytestmark = pytest.mark.browser
BRAND = "rgb(43, 108, 176)"


def load(browser, url: str) -> dict:
    page = browser.new_page()
    responses, console, failed = [], [], []
    page.on("response", lambda r: responses.append((r.url, r.status)))
    page.on("console", lambda m: console.append((m.type, m.text)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url + "/", wait_until="networkidle")
    page.evaluate("document.fonts.ready")
    state = page.evaluate("""() => ({
        header: getComputedStyle(document.querySelector('.site-header')).backgroundColor,
        ready: document.querySelector('#built').dataset.ready || null,
        font: document.fonts.check('16px "Assetbuild Demo"'),
        fontStatus: [...document.fonts].map(f => f.family + ':' + f.status),
    })""")
    page.close()
    return {"responses": responses, "console": console, "failed": failed, **state}


def test_demo_page_loads_every_asset_and_applies_the_sass(browser, built_demo: Path) -> None:
    server = Gunicorn(built_demo, workers=2)
    try:
        seen = load(browser, server.url)
    finally:
        server.stop()
    statics = {url.split("/static/")[1]: status for url, status in seen["responses"] if "/static/" in url}
    kinds = {name.split("?")[0].rsplit(".", 1)[-1] for name in statics}
    assert {"css", "js", "woff2", "png", "svg"} <= kinds, statics
    assert set(statics.values()) == {200}, statics
    assert not seen["failed"]
    assert [c for c in seen["console"] if c[0] == "error"] == []
    assert seen["header"] == BRAND, "the compiled SCSS applied"
    assert seen["ready"] == "yes", "the bundled script ran"
    assert seen["font"], seen["fontStatus"]


def test_a_tampered_stylesheet_is_refused(browser, built_demo: Path, tmp_path: Path) -> None:
    site = tmp_path / "tampered"
    shutil.copytree(built_demo, site, symlinks=True)
    entry = json.loads((site / "dist/current/manifest.json").read_text())["assets"]["css/app.css"]
    release = site / "dist/files"
    css = release / entry["file"]
    data = bytearray(css.read_bytes())
    data[data.index(b"#2b6cb0"[1:]) if b"#2b6cb0" in data else 10] ^= 0x01  # one byte
    css.write_bytes(bytes(data))
    for encoding, file in entry["encodings"].items():
        packed = gzip.compress(bytes(data), mtime=0) if encoding == "gzip" else brotli.compress(bytes(data))
        (release / file).write_bytes(packed)
    server = Gunicorn(site, workers=1)
    try:
        seen = load(browser, server.url)
    finally:
        server.stop()
    errors = " ".join(text for kind, text in seen["console"] if kind == "error")
    assert "integrity" in errors and entry["file"].split("/")[-1] in errors, seen["console"]
    assert seen["header"] != BRAND, "the tampered stylesheet must not apply"
