"""Development mode in Chromium: the demo app under gunicorn beside `assetbuild watch`.

A stylesheet edit is swapped into the open page without a reload (a value the page's
JavaScript set survives), a script edit reloads the page, and a Sass error is shown on the
page with its file and line until the next good build. Without ASSETBUILD_DEV nothing changes.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, Gunicorn, http_get
from watching import Watcher

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
BRAND = "rgb(43, 108, 176)"
HEADER = "getComputedStyle(document.querySelector('.site-header')).backgroundColor"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, Watcher]]:
    root = tmp_path / "demo"
    for folder in ("static_src", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    past = time.time() - 10
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    watcher = Watcher(root)
    watcher.expect("built release")
    yield root, watcher
    watcher.stop(signal.SIGKILL)


@pytest.fixture
def dev_server(site: tuple[Path, Watcher]) -> Iterator[Gunicorn]:
    # Threads: an open page holds one request for its event stream.
    server = Gunicorn(site[0], workers=1, env={"ASSETBUILD_DEV": "1", "GUNICORN_CMD_ARGS": "--threads 8"})
    yield server
    server.stop()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_stylesheet_swap_script_reload_and_error_overlay(site, dev_server, browser) -> None:
    root, watcher = site
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.goto(dev_server.url + "/", wait_until="networkidle")
    assert page.evaluate(HEADER) == BRAND
    page.evaluate("window.keptAcrossEdits = 42")

    # A Sass partial: the new stylesheet replaces the old <link>, the page is not reloaded.
    edit(root / "static_src/scss/_variables.scss", "$brand: #2b6cb0;", "$brand: #c53030;")
    page.wait_for_function(f"{HEADER} === 'rgb(197, 48, 48)'", timeout=20_000)
    assert page.evaluate("window.keptAcrossEdits") == 42
    assert page.evaluate("document.querySelectorAll('link[rel=stylesheet][href*=\"/app.\"]').length") == 1

    # A Sass error: shown over the page with the file and line, then gone after the fix.
    edit(root / "static_src/scss/_variables.scss", "$radius: 6px;", "$radius: 6px\nbroken: ;")
    page.wait_for_selector("#assetbuild-overlay", timeout=20_000)
    overlay = page.inner_text("#assetbuild-overlay")
    assert "static_src/scss/_variables.scss:" in overlay and "error:" in overlay
    edit(root / "static_src/scss/_variables.scss", "$radius: 6px\nbroken: ;", "$radius: 6px;")
    page.wait_for_selector("#assetbuild-overlay", state="detached", timeout=20_000)
    assert page.evaluate("window.keptAcrossEdits") == 42

    # A script: the page reloads (the value is gone) and runs the new code.
    edit(root / "static_src/js/main.js", '"Scripts loaded: "', '"Scripts reloaded: "')
    page.wait_for_function("window.keptAcrossEdits === undefined", timeout=20_000)
    page.wait_for_function("document.querySelector('#built').textContent.startsWith('Scripts reloaded')",
                           timeout=20_000)
    assert page.evaluate(HEADER) == "rgb(197, 48, 48)"
    page.close()
    assert console == []


def test_production_mode_adds_nothing(site) -> None:
    root, _ = site
    server = Gunicorn(root, workers=1)
    try:
        status, _, body = http_get(server.url, "/")
        assert status == 200 and b"__assetbuild__" not in body
        assert http_get(server.url, "/static/__assetbuild__/events")[0] == 404
    finally:
        server.stop()


def test_production_never_imports_development_mode(built_demo: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from assetbuild.demo import create_app; create_app(); "
            "print('assetbuild.dev' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "ASSETBUILD_DEV"}
    out = subprocess.run([sys.executable, "-c", code], cwd=built_demo, capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr
