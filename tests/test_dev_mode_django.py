"""Development mode in Django: ``DEBUG`` turns it on; `manage.py assetbuild watch` rebuilds.

Under `runserver` (threaded WSGI) the page follows every rebuild in Chromium, and each page's
event stream gives its thread back when the page closes; under uvicorn (Django's ASGI) the
middleware streams asynchronously and Ctrl-C does not hang on an open stream. With ``DEBUG``
off the middleware adds nothing, answers no events and never imports development mode.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import http_get
from dev_browser import (
    HEADER,
    WAIT_MS,
    check_live_page,
    check_production_page,
    copy_demo,
    ctrl_c_ends_uvicorn,
    open_and_close_pages,
)
from frameworks import Server, app_env, write_apps
from watching import Watcher

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]
DEBUG_FROM_ENV = '\nimport os\nDEBUG = os.environ.get("DJANGO_DEBUG") == "1"\n'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = write_apps(copy_demo(tmp_path_factory.mktemp("django") / "site"))
    settings = root / "djsite/settings.py"
    settings.write_text(settings.read_text() + DEBUG_FROM_ENV)
    watcher = Watcher(root, program=("manage.py", "assetbuild"))
    watcher.expect("built release")
    yield root
    watcher.stop(signal.SIGKILL)


def env(root: Path, debug: bool, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in app_env(root, **extra).items() if k not in ("ASSETBUILD_DEV", "DJANGO_DEBUG")}
    return {**base, "DJANGO_DEBUG": "1"} if debug else base


@pytest.fixture(scope="module")
def runserver(site: Path) -> Iterator[Server]:
    server = Server("runserver", "", site, env(site, debug=True))
    yield server
    server.stop()


def threads(process: subprocess.Popen) -> int:
    return len(os.listdir(f"/proc/{process.pid}/task"))


def test_stylesheet_swap_script_reload_and_error_overlay(site: Path, runserver: Server, browser) -> None:
    check_live_page(browser, runserver.url + "/", site)


def test_event_streams_give_their_threads_back(runserver: Server, browser) -> None:
    assert http_get(runserver.url, "/")[0] == 200
    before = threads(runserver.process)
    open_and_close_pages(browser, runserver.url + "/", 5)
    deadline = time.monotonic() + 10
    while threads(runserver.process) > before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert threads(runserver.process) <= before, "an event stream outlived its page"
    assert http_get(runserver.url, "/")[0] == 200


def test_sync_worker_polls_instead_of_holding_the_worker(site: Path, browser) -> None:
    """gunicorn's default sync worker has no threads: the page polls, and the server still answers."""
    server = Server("gunicorn", "djsite.wsgi:application", site, env(site, debug=True))
    try:
        page = browser.new_page()
        page.goto(server.url + "/", wait_until="load")
        for _ in range(3):
            assert http_get(server.url, "/")[0] == 200  # 30 s of timeout if the page's stream held the worker
        variables = site / "static_src/scss/_variables.scss"
        variables.write_text(re.sub(r"\$brand: #[0-9a-f]+;", "$brand: #276749;", variables.read_text()))
        page.wait_for_function(f"{HEADER} === 'rgb(39, 103, 73)'", timeout=WAIT_MS)
        page.close()
    finally:
        server.stop()


@pytest.mark.parametrize("door_too", [False, True], ids=["debug", "debug-and-ASSETBUILD_DEV"])
def test_asgi_django_streams_events_and_stops_on_ctrl_c(site: Path, door_too: bool) -> None:
    extra = {"ASSETBUILD_DEV": "1"} if door_too else {}
    server = Server("uvicorn", "djsite.asgi:application", site, env(site, debug=True, **extra))
    try:
        status, _, page = http_get(server.url, "/")
        assert status == 200 and page.count(b"data-assetbuild-dev") == 1  # the door and the middleware: once
        conn = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=10)
        conn.request("GET", "/static/__assetbuild__/events")
        events = conn.getresponse()
        assert events.status == 200 and events.getheader("Content-Type") == "text/event-stream"
        assert events.read(12) == b"retry: 500\n\n"
        ctrl_c_ends_uvicorn(server.process)  # with the stream still open
        conn.close()
    finally:
        log = server.stop()
    assert "Finished server process" in log
    assert "StreamingHttpResponse must consume synchronous iterators" not in log


def test_production_mode_adds_nothing(site: Path) -> None:
    server = Server("runserver", "", site, env(site, debug=False))
    try:
        check_production_page(server.url)
    finally:
        server.stop()


def test_production_never_imports_development_mode(site: Path) -> None:
    code = ("import sys, django; django.setup(); from django.test import Client; "
            "assert Client().get('/', HTTP_HOST='localhost').status_code == 200; "
            "print(sorted(m for m in sys.modules if m.startswith('assetbuild.dev') or m.endswith('development')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=site, capture_output=True, text=True,
                         env=env(site, debug=False))
    assert out.stdout.strip() == "[]", out.stderr
