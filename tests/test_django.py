"""Django: `manage.py assetbuild build` with the static finders, the admin fully served, the tags,
system checks, the template check, a refused collectstatic and a runserver that serves."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from frameworks import Server, app_env, request, start, write_apps

pytestmark = pytest.mark.server


def manage(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=site, capture_output=True, text=True,
                          env=app_env(site, **env), timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = write_apps(tmp_path_factory.mktemp("django") / "site")
    # The configured source comes first: this file wins over the admin's own.
    (site / "static_src/admin/css").mkdir(parents=True)
    (site / "static_src/admin/css/fonts.css").write_text("/* the project's own fonts.css */\n")
    # STATICFILES_DIRS with a prefix, as Django's FileSystemFinder reads it
    (site / "vendor_static").mkdir()
    (site / "vendor_static/widget.js").write_text("console.log('widget');\n")
    settings = site / "djsite/settings.py"
    settings.write_text(settings.read_text() + 'STATICFILES_DIRS = [("vendor", BASE_DIR / "vendor_static")]\n')
    result = manage(site, "assetbuild", "build")
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Server]:
    server = start("django", site)
    yield server
    server.stop()


def manifest(site: Path) -> dict:
    return json.loads((site / "dist/current/manifest.json").read_text())


def page_assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_build_takes_the_finders_files_after_the_configured_source(site: Path) -> None:
    assets = manifest(site)["assets"]
    assert {"css/app.css", "admin/css/base.css", "admin/js/core.js", "admin/img/icon-yes.svg",
            "vendor/widget.js"} <= set(assets)
    ours = site / "dist/files" / assets["admin/css/fonts.css"]["file"]
    assert ours.read_text() == "/* the project's own fonts.css */\n"
    # the admin's url()s point at hashed files of the release
    widgets = (site / "dist/files" / assets["admin/css/widgets.css"]["file"]).read_text()
    assert re.search(r"url\(\.\./img/icon-unknown\.[0-9a-f]{12}\.svg\)", widgets), widgets[:300]


def test_verify_through_manage_py(site: Path) -> None:
    result = manage(site, "assetbuild", "verify")
    assert result.returncode == 0 and "release intact" in result.stdout, result.stderr


def test_admin_login_page_is_fully_served(server: Server) -> None:
    status, _, body = request(server.url, "GET", "/admin/login/")
    assert status == 200, body[:500]
    urls = page_assets(body.decode())
    assert any("admin/css/base." in u for u in urls) and any("admin/css/login." in u for u in urls), urls
    for url in urls:
        assert request(server.url, "GET", url)[0] == 200, url


def test_static_and_asset_tags_render_hashed_urls(server: Server, site: Path) -> None:
    html = request(server.url, "GET", "/")[2].decode()
    assets = manifest(site)["assets"]
    assert f'href="/static/{assets["img/favicon.svg"]["file"]}"' in html  # {% static %}
    assert f'src="/static/{assets["img/logo.svg"]["file"]}"' in html  # {% asset_url %}
    assert f'integrity="{assets["css/app.css"]["integrity"]}" crossorigin="anonymous"' in html  # {% asset_tag %}
    assert re.search(r'<script src="/static/js/app\.[0-9a-f]{12}\.js" integrity="sha384-[^"]+" '
                     r'crossorigin="anonymous" defer></script>', html)


def test_tags_give_the_jinja_helpers_output(site: Path) -> None:
    code = (
        "import django; django.setup()\n"
        "from django.template import Context, Template\n"
        "from assetbuild import Manifest\n"
        "from assetbuild.jinja import asset_importmap, asset_tag\n"
        "m = Manifest.load()\n"
        "html = Template('{% load assetbuild %}{% asset_importmap %}|{% asset_tag \"js/app.js\" async=True %}')"
        ".render(Context())\n"
        "assert html == f'{asset_importmap(m)}|{asset_tag(m, \"js/app.js\", async_=True)}', html\n"
        "print(html)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=site, capture_output=True, text=True, env=app_env(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<script type="importmap">{') and " async></script>" in result.stdout


def test_system_checks_refuse_a_missing_manifest(site: Path, tmp_path: Path) -> None:
    result = manage(site, "check", ASSETBUILD_MANIFEST=str(tmp_path / "nope/manifest.json"))
    assert result.returncode == 1
    assert "assetbuild.E001" in result.stderr and "nope/manifest.json: no manifest here" in result.stderr


def test_system_checks_refuse_a_corrupt_manifest(site: Path, tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"version": 1, "assets": ')
    result = manage(site, "check", ASSETBUILD_MANIFEST=str(tmp_path / "manifest.json"))
    assert result.returncode == 1 and "assetbuild.E001" in result.stderr and "malformed JSON" in result.stderr


def test_system_checks_refuse_a_static_url_the_release_is_not_built_for(site: Path) -> None:
    result = manage(site, "check", ASSETBUILD_URL_PREFIX="/assets/")
    assert result.returncode == 1
    assert "assetbuild.E002" in result.stderr and "STATIC_URL is '/static/'" in result.stderr
    assert manage(site, "check").returncode == 0


def test_system_checks_refuse_staticfiles_first_and_another_storage(site: Path) -> None:
    (site / "djsite/settings_wrong.py").write_text(
        "from djsite.settings import *\n"
        "INSTALLED_APPS = [a for a in INSTALLED_APPS if a != 'assetbuild.django'] + ['assetbuild.django']\n"
        "STORAGES = {**STORAGES, 'staticfiles': "
        "{'BACKEND': 'django.contrib.staticfiles.storage.ManifestStaticFilesStorage'}}\n")
    result = manage(site, "check", "--settings", "djsite.settings_wrong")
    assert result.returncode == 1
    assert "assetbuild.E003" in result.stderr and "before 'django.contrib.staticfiles'" in result.stderr
    assert "assetbuild.E004" in result.stderr and "'assetbuild.django.ReleaseStorage'" in result.stderr


def test_collectstatic_is_refused_and_writes_nothing(site: Path) -> None:
    before = sorted(p for p in (site / "dist").rglob("*"))
    result = manage(site, "collectstatic", "--noinput", "--clear")
    assert result.returncode == 2
    assert "run `python manage.py assetbuild build` instead" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p for p in (site / "dist").rglob("*")) == before


def test_runserver_serves_the_release(site: Path) -> None:
    server = Server("runserver", "", site, app_env(site))
    try:
        status, _, body = request(server.url, "GET", "/")
        assert status == 200
        for url in page_assets(body.decode()):
            status, headers, _ = request(server.url, "GET", url)
            assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable", url
    finally:
        server.stop()


LIVE_SERVER_TEST = """
import urllib.request
from assetbuild.django.testing import LiveServerTestCase
from assetbuild.django import release_manifest


class Assets(LiveServerTestCase):
    def test_page_and_assets(self):
        page = urllib.request.urlopen(self.live_server_url + "/").read().decode()
        url = release_manifest().url("css/app.css")
        self.assertIn(url, page)
        with urllib.request.urlopen(self.live_server_url + url) as response:
            self.assertEqual(response.status, 200)
            self.assertEqual(response.headers["Cache-Control"], "public, max-age=31536000, immutable")
"""


def test_live_server_tests_get_the_release(site: Path) -> None:
    (site / "djsite/tests.py").write_text(LIVE_SERVER_TEST)
    result = manage(site, "test", "djsite", "-v", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test_page_and_assets" in result.stderr and "OK" in result.stderr


def test_build_checks_names_in_django_templates(tmp_path: Path) -> None:
    site = write_apps(tmp_path / "site")  # djtemplates/ is in TEMPLATES' DIRS, not in `templates`
    page = site / "djtemplates/index.html"
    page.write_text(page.read_text().replace("{% static 'img/favicon.svg' %}", "{% static 'img/favicon.svgz' %}")
                    .replace('{% asset_tag "css/print.css"', '{% asset_tag "css/prnt.css"'))
    result = manage(site, "assetbuild", "build")
    assert result.returncode == 1, result.stderr
    assert "djtemplates/index.html:6:26: error: unknown asset 'img/favicon.svgz' (did you mean 'img/favicon.svg'?)" \
        in result.stderr
    assert "djtemplates/index.html:8:3: error: unknown asset 'css/prnt.css' (did you mean 'css/print.css'?)" \
        in result.stderr
    assert not (site / "dist/current").exists()


@pytest.mark.slow
def test_watch_builds_with_the_finders_folders(tmp_path: Path) -> None:
    site = write_apps(tmp_path / "site")
    process = subprocess.Popen([sys.executable, "manage.py", "assetbuild", "watch"], cwd=site, env=app_env(site),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "release" in line:
                break
        assert "built release" in "".join(lines), lines
        assert "admin/css/base.css" in manifest(site)["assets"]
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
    assert process.returncode == 0
