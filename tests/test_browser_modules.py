"""Headless Chromium runs an unbundled ES module app from a release served by gunicorn: static,
dynamic and cyclic imports, a bare specifier through the import map and a module worker, all
under Subresource Integrity, in both ``modules`` modes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Gunicorn, run_cli, write_project
from test_module_graph import with_importmap

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

APP = {
    "js/main.js": (
        'import { util } from "./lib/util.js";\n'
        'import { a } from "./cycle/a.js";\n'
        'import { h } from "vue";\n'
        "const lazy = await import('./lib/lazy.js');\n"
        'const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });\n'
        "const fromWorker = await new Promise((done) => { worker.onmessage = (e) => done(e.data); });\n"
        'document.body.dataset.result = [util, a(), h, lazy.lazy, fromWorker].join(",");\n'
    ),
    "js/lib/util.js": 'export const util = "util";\n',
    "js/lib/lazy.js": 'export const lazy = "lazy";\n',
    "js/cycle/a.js": 'import { b } from "./b.js";\nexport const a = () => "a" + b();\n',
    "js/cycle/b.js": 'import { a } from "./a.js";\nexport const b = () => (typeof a === "function" ? "b" : "?");\n',
    "js/worker.js": 'import { util } from "./lib/util.js";\npostMessage("worker-" + util);\n',
    "vendor/vue.js": 'export const h = "vue";\n',
}
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
{{ asset_importmap() }}
{{ asset_tag("js/main.js", type="module") }}
</head><body><p>modules</p></body></html>
"""


@pytest.mark.parametrize("mode", ["rewrite", "importmap"])
def test_module_app_runs_in_chromium(browser, tmp_path: Path, mode: str) -> None:
    site = with_importmap(write_project(tmp_path / "site", APP, modules=mode), {"vue": "vendor/vue.js"})
    (site / "templates").mkdir()
    (site / "templates/index.html").write_text(PAGE)
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    server = Gunicorn(site, workers=1)
    page = browser.new_page()
    responses, console, failed = [], [], []
    page.on("response", lambda r: responses.append((r.url, r.status)))
    page.on("console", lambda m: console.append((m.type, m.text)))
    page.on("pageerror", lambda e: console.append(("error", str(e))))
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-result]", timeout=15_000)
        html = page.content()
        value = page.evaluate("document.body.dataset.result")
    finally:
        page.close()
        server.stop()
    assert value == "util,ab,vue,lazy,worker-util"
    statics = sorted(url.split("/static/")[1] for url, _ in responses if "/static/" in url)
    assert {status for _, status in responses} == {200}, responses
    assert not failed and [c for c in console if c[0] == "error"] == []
    for name in ("main", "lib/util", "lib/lazy", "cycle/a", "cycle/b", "worker"):
        assert any(s.startswith(f"js/{name}.") for s in statics), (name, statics)
    assert any(s.startswith("vendor/vue.") for s in statics)
    assert 'rel="modulepreload"' in html and 'type="importmap"' in html and 'integrity="sha384-' in html
