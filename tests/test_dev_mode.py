"""Development mode in Chromium: the demo app under gunicorn beside `assetbuild watch`.

A stylesheet edit is swapped into the open page without a reload (a value the page's
JavaScript set survives), a script edit reloads the page, and a Sass error is shown on the
page with its file and line until the next good build. Without ASSETBUILD_DEV nothing changes.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Gunicorn
from dev_browser import check_live_page, check_production_page, copy_demo
from watching import Watcher

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, Watcher]]:
    root = copy_demo(tmp_path / "demo")
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


def test_stylesheet_swap_script_reload_and_error_overlay(site, dev_server, browser) -> None:
    check_live_page(browser, dev_server.url + "/", site[0])


def test_production_mode_adds_nothing(site) -> None:
    root, _ = site
    server = Gunicorn(root, workers=1)
    try:
        check_production_page(server.url)
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
