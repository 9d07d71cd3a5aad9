"""Headless Chromium loads the demo page from Flask, FastAPI-style ASGI and Django servers, and the
Django admin's login page: every asset 200, every stylesheet and script under Subresource
Integrity, the styles applied and the script run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from frameworks import app_env, start, write_apps

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
BRAND = "rgb(43, 108, 176)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = write_apps(tmp_path_factory.mktemp("browser") / "site")
    built = subprocess.run([sys.executable, "manage.py", "assetbuild", "build"], cwd=site, env=app_env(site),
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    return site


def load(browser, url: str, probe: str) -> dict:
    page = browser.new_page()
    responses, console, failed = [], [], []
    page.on("response", lambda r: responses.append((r.url, r.status)))
    page.on("console", lambda m: console.append((m.type, m.text)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(url, wait_until="networkidle")
    state = page.evaluate(probe)
    unprotected = page.evaluate("""() => [...document.querySelectorAll('link[rel=stylesheet], script[src]')]
        .filter(e => !(e.integrity || '').startsWith('sha384-') || e.crossOrigin !== 'anonymous')
        .map(e => e.outerHTML)""")
    page.close()
    statics = {u.split("/static/", 1)[1]: s for u, s in responses if "/static/" in u}
    others = {u: s for u, s in responses if "/static/" not in u and s != 200}
    return {"statics": statics, "others": others, "console": console, "failed": failed, "state": state,
            "unprotected": unprotected}


@pytest.fixture(scope="module", params=["flask", "asgi", "django"])
def server(request: pytest.FixtureRequest, site: Path) -> Iterator[str]:
    server = start(request.param, site)
    yield server.url
    server.stop()


def test_demo_page_under_each_framework(browser, server: str) -> None:
    seen = load(browser, server + "/", """() => ({
        header: getComputedStyle(document.querySelector('.site-header')).backgroundColor,
        ready: document.querySelector('#built').dataset.ready || null})""")
    assert {"css", "js", "svg"} <= {n.rsplit(".", 1)[-1] for n in seen["statics"]}, seen["statics"]
    assert set(seen["statics"].values()) == {200}, seen["statics"]
    assert not seen["failed"] and [c for c in seen["console"] if c[0] == "error"] == []
    assert seen["unprotected"] == []
    assert seen["state"] == {"header": BRAND, "ready": "yes"}


def test_django_admin_login_page_fully_styled(browser, site: Path) -> None:
    server = start("django", site)
    try:
        seen = load(browser, server.url + "/admin/login/", """() => ({
            header: getComputedStyle(document.querySelector('#header')).backgroundColor,
            button: getComputedStyle(document.querySelector('.submit-row input')).backgroundColor})""")
    finally:
        server.stop()
    kinds = {n.rsplit(".", 1)[-1] for n in seen["statics"]}
    assert {"css", "js"} <= kinds, seen["statics"]
    assert set(seen["statics"].values()) == {200}, seen["statics"]
    assert not seen["failed"] and not seen["others"], seen["others"]
    # the admin's colours (--header-bg, --button-bg) come from its stylesheets, served hashed
    assert seen["state"]["header"] not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), seen["state"]
    assert seen["state"]["button"] not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)"), seen["state"]
