"""The README's examples run as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from frameworks import Server, app_env, request

README = (REPO / "README.md").read_text()


def block_after(heading: str) -> str:
    section = README.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_flask_example_serves_pages_and_assets(built_demo: Path, tmp_path: Path) -> None:
    app_dir = tmp_path / "flaskapp"
    (app_dir / "templates").mkdir(parents=True)
    (app_dir / "templates/index.html").write_text("{{ asset_tag('css/app.css') }}")
    (app_dir / "app.py").write_text(block_after("### Flask"))
    probe = (
        "import app, json, sys\n"
        "client = app.app.test_client()\n"
        "page = client.get('/').get_data(as_text=True)\n"
        "url = page.split('href=\"')[1].split('\"')[0]\n"
        "asset = client.get(url, headers={'Accept-Encoding': 'br'})\n"
        "print(json.dumps([page, url, asset.status_code, asset.headers.get('Content-Encoding'),"
        " asset.headers.get('Cache-Control')]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=app_dir, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
             "ASSETBUILD_MANIFEST": str(built_demo / "dist/current/manifest.json")},
    )
    assert result.returncode == 0, result.stderr
    import json

    page, url, status, encoding, cache = json.loads(result.stdout)
    assert 'integrity="sha384-' in page and url.startswith("/static/css/app.")
    assert (status, encoding, cache) == (200, "br", "public, max-age=31536000, immutable")


def test_runtime_api_example(built_demo: Path) -> None:
    code = block_after("## Run time").replace('manifest.url("css/ap.css")', "#")
    code += "\nassert manifest.url('css/app.css').startswith('/static/css/app.')\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=built_demo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.server
def test_fastapi_example_under_uvicorn(built_demo: Path, tmp_path: Path) -> None:
    app_dir = tmp_path / "fastapiapp"
    shutil.copytree(built_demo / "templates", app_dir / "templates")
    (app_dir / "app.py").write_text(block_after("### ASGI (Starlette, FastAPI)"))
    server = Server("uvicorn", "app:app", app_dir, app_env(app_dir, ASSETBUILD_MANIFEST=str(
        built_demo / "dist/current/manifest.json")))
    try:
        assert_page_and_assets_served(server.url, "/")
    finally:
        log = server.stop()
    assert "Traceback" not in log


@pytest.mark.server
@pytest.mark.slow
def test_django_example_on_a_new_startproject(tmp_path: Path) -> None:
    """`django-admin startproject`, the README's lines at the end of settings.py, the two commands."""
    site = tmp_path / "site"
    site.mkdir()
    env = app_env(site)
    del env["DJANGO_SETTINGS_MODULE"]
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", "."], cwd=site, check=True, env=env)
    settings = site / "mysite/settings.py"
    settings.write_text(settings.read_text() + "\n" + block_after("### Django"))
    commands = re.search(r"```sh\n(.*?)```", README.split("### Django", 1)[1], re.S).group(1).splitlines()
    assert commands[0].startswith("python manage.py assetbuild build")
    assert commands[1].startswith("gunicorn mysite.wsgi")
    built = subprocess.run([sys.executable, "manage.py", "assetbuild", "build"], cwd=site, env=env,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    checked = subprocess.run([sys.executable, "manage.py", "check"], cwd=site, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    server = Server("gunicorn", "mysite.wsgi", site, env)
    try:
        assert_page_and_assets_served(server.url, "/admin/login/")
    finally:
        server.stop()


def assert_page_and_assets_served(base: str, page: str) -> None:
    status, _, body = request(base, "GET", page)
    assert status == 200, body[:300]
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', body.decode())
    assert any(".css" in url for url in urls), body[:300]
    for url in [u for u in urls if "/__assetbuild__/" in u]:  # DEBUG: development mode's client, never cached
        status, headers, _ = request(base, "GET", url)
        assert status == 200 and headers["cache-control"] == "no-store", url
    for url in [u for u in urls if "/__assetbuild__/" not in u]:
        status, headers, _ = request(base, "GET", url, {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable", url
