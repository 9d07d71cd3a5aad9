"""Development mode through the ASGI door: the README's FastAPI app under uvicorn beside `assetbuild watch`.

The page follows every rebuild in Chromium as under WSGI; each page's event stream is a task
that ends when the page closes and when the server stops (Ctrl-C does not hang on it); without
ASSETBUILD_DEV the door adds nothing and answers no events.
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, http_get
from dev_browser import check_live_page, check_production_page, copy_demo, ctrl_c_ends_uvicorn, open_and_close_pages
from frameworks import Server, app_env, free_port
from watching import Watcher

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

# The README's FastAPI example of development mode, as written.
README = (REPO / "README.md").read_text()
APP = re.search(r"```python\n(.*?)```", README.split("**ASGI (Starlette, FastAPI).**", 1)[1], re.S).group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = copy_demo(tmp_path_factory.mktemp("asgi") / "site")
    (root / "dev_app.py").write_text(APP)
    watcher = Watcher(root)
    watcher.expect("built release")
    yield root
    watcher.stop(signal.SIGKILL)


def production_env(root: Path) -> dict[str, str]:
    return {k: v for k, v in app_env(root).items() if k != "ASSETBUILD_DEV"}


def test_stylesheet_swap_script_reload_and_error_overlay(site: Path, browser) -> None:
    server = Server("uvicorn", "dev_app:app", site, app_env(site, ASSETBUILD_DEV="1"))
    try:
        check_live_page(browser, server.url + "/", site)
    finally:
        server.stop()


def test_event_streams_end_when_their_pages_close(site: Path, browser) -> None:
    """In process, so that the server's own count of running request tasks can be read; in a
    thread, so that no signal handler is involved: only ``http.disconnect`` ends the streams."""
    import jinja2
    import uvicorn

    from assetbuild.dev import FollowingManifest
    from assetbuild.dev_asgi import serve_following
    from assetbuild.jinja import install

    manifest = FollowingManifest(site / "dist/current/manifest.json")
    env = install(jinja2.Environment(loader=jinja2.FileSystemLoader(site / "templates")), manifest)

    async def page(scope, receive, send):
        body = env.get_template("index.html").render().encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": body})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(serve_following(page, manifest), host="127.0.0.1", port=port,
                                           lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    open_and_close_pages(browser, f"http://127.0.0.1:{port}/", 5)
    deadline = time.monotonic() + 10
    while server.server_state.tasks and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.server_state.tasks, "an event stream outlived its page"
    assert http_get(f"http://127.0.0.1:{port}", "/")[0] == 200
    server.should_exit = True
    thread.join(timeout=15)
    assert not thread.is_alive()


def test_ctrl_c_ends_open_event_streams(site: Path, browser) -> None:
    server = Server("uvicorn", "dev_app:app", site, app_env(site, ASSETBUILD_DEV="1"))
    try:
        page = browser.new_page()
        page.goto(server.url + "/", wait_until="networkidle")  # its event stream stays open
        ctrl_c_ends_uvicorn(server.process)  # with the stream still open
        page.close()
    finally:
        log = server.stop()
    assert "Finished server process" in log


def test_a_pinned_manifest_is_followed_and_named(site: Path) -> None:
    from assetbuild import Manifest
    from assetbuild.dev_asgi import serve_following

    with pytest.warns(RuntimeWarning, match=r"pinned to release \w+, .* assetbuild\.load_manifest\(\)"):
        app = serve_following(None, Manifest.load(site / "dist/current/manifest.json"))
    assert app.output == site / "dist"


def test_production_mode_adds_nothing(site: Path) -> None:
    server = Server("uvicorn", "dev_app:app", site, production_env(site))
    try:
        check_production_page(server.url)
    finally:
        server.stop()


def test_production_never_imports_development_mode(site: Path) -> None:
    import sys

    code = "import sys, dev_app; print(sorted(m for m in sys.modules if m.startswith('assetbuild.dev')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=site, capture_output=True, text=True,
                         env=production_env(site))
    assert out.stdout.strip() == "[]", out.stderr
