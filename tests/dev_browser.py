"""What development mode must do in Chromium, whichever door serves the page (shared by the
test_dev_mode* modules): a stylesheet edit is swapped in without a reload, a Sass error is
shown over the page with its file and line until fixed, a script edit reloads the page."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO, http_get

BRAND = "rgb(43, 108, 176)"
RED = "rgb(197, 48, 48)"
HEADER = "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
CLIENT_TAGS = "document.querySelectorAll('script[data-assetbuild-dev]').length"
WAIT_MS = 20_000


def copy_demo(root: Path) -> Path:
    """The demo's sources, templates and configuration in ``root``, dated in the past (so that
    a test's first edit is a change the watcher sees)."""
    for folder in ("static_src", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    past = time.time() - 10
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def check_live_page(browser, url: str, root: Path) -> None:
    """The whole developer loop on one open page of ``url``, edits made in ``root``'s sources."""
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.goto(url, wait_until="networkidle")
    assert page.evaluate(HEADER) == BRAND
    assert page.evaluate(CLIENT_TAGS) == 1
    page.evaluate("window.keptAcrossEdits = 42")

    # A Sass partial: the new stylesheet replaces the old <link>, the page is not reloaded.
    variables = root / "static_src/scss/_variables.scss"
    edit(variables, "$brand: #2b6cb0;", "$brand: #c53030;")
    page.wait_for_function(f"{HEADER} === '{RED}'", timeout=WAIT_MS)
    assert page.evaluate("window.keptAcrossEdits") == 42
    assert page.evaluate("document.querySelectorAll('link[rel=stylesheet][href*=\"/app.\"]').length") == 1

    # A Sass error: shown over the page with the file and line, then gone after the fix.
    edit(variables, "$radius: 6px;", "$radius: 6px\nbroken: ;")
    page.wait_for_selector("#assetbuild-overlay", timeout=WAIT_MS)
    overlay = page.inner_text("#assetbuild-overlay")
    assert "static_src/scss/_variables.scss:" in overlay and "error:" in overlay
    edit(variables, "$radius: 6px\nbroken: ;", "$radius: 6px;")
    page.wait_for_selector("#assetbuild-overlay", state="detached", timeout=WAIT_MS)
    assert page.evaluate("window.keptAcrossEdits") == 42

    # A script: the page reloads (the value is gone) and runs the new code.
    edit(root / "static_src/js/main.js", '"Scripts loaded: "', '"Scripts reloaded: "')
    page.wait_for_function("window.keptAcrossEdits === undefined", timeout=WAIT_MS)
    page.wait_for_function("document.querySelector('#built').textContent.startsWith('Scripts reloaded')",
                           timeout=WAIT_MS)
    assert page.evaluate(HEADER) == RED
    assert page.evaluate(CLIENT_TAGS) == 1
    page.close()
    assert console == []


def open_and_close_pages(browser, url: str, count: int) -> None:
    """``count`` pages opened (each with its event stream) and closed with their connections."""
    for _ in range(count):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        assert page.evaluate(CLIENT_TAGS) == 1
        context.close()


def check_production_page(url: str) -> None:
    """Production mode, whichever door: the page carries no client, the endpoint is not there."""
    status, _, body = http_get(url, "/")
    assert status == 200 and b"__assetbuild__" not in body
    assert http_get(url, "/static/__assetbuild__/events")[0] == 404
    assert http_get(url, "/static/__assetbuild__/client.js")[0] == 404


def ctrl_c_ends_uvicorn(process: subprocess.Popen) -> None:
    """Ctrl-C with an event stream open: uvicorn exits 0, instead of waiting for the stream forever."""
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=15) == 0
    except subprocess.TimeoutExpired:
        pytest.fail("uvicorn still waits for the open event stream")
