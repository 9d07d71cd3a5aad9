"""The demo site as a WSGI, ASGI (middleware and mounted), Flask and Django app, each run by a
real server process on 127.0.0.1: what the framework tests share."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from conftest import REPO, end_process, http_get

# The page every app renders: the demo's Jinja2 templates, or the same page in Django's language.
WSGI_APP = """
import jinja2
from assetbuild import Manifest
from assetbuild.jinja import install
from assetbuild.wsgi import serve_release

manifest = Manifest.load()
env = install(jinja2.Environment(loader=jinja2.FileSystemLoader("templates"), autoescape=True), manifest)

def pages(environ, start_response):
    if environ["PATH_INFO"] != "/":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no page"]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [env.get_template("index.html").render().encode()]

app = serve_release(pages, manifest)
"""

ASGI_APP = """
import jinja2
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from assetbuild import Manifest
from assetbuild.asgi import serve_release
from assetbuild.jinja import install

manifest = Manifest.load()
env = install(jinja2.Environment(loader=jinja2.FileSystemLoader("templates"), autoescape=True), manifest)

async def index(request):
    return HTMLResponse(env.get_template("index.html").render())

app = serve_release(Starlette(routes=[Route("/", index)]), manifest)                     # as middleware
mounted = Starlette(routes=[Route("/", index), Mount("/static", serve_release(manifest=manifest))])
"""

FLASK_APP = """
from flask import Flask, render_template
from assetbuild.flask import AssetBuild

app = Flask(__name__)
AssetBuild(app)

@app.route("/")
def index():
    return render_template("index.html")
"""

DJANGO_SETTINGS = """
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "djsite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
USE_TZ = True
INSTALLED_APPS = [
    "assetbuild.django",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "assetbuild.django.middleware.ReleaseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "djtemplates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "assetbuild.django.ReleaseStorage"},
}
"""

DJANGO_URLS = """
from django.contrib import admin
from django.shortcuts import render
from django.urls import path

urlpatterns = [path("", lambda request: render(request, "index.html")), path("admin/", admin.site.urls)]
"""

DJANGO_WSGI = """
import os
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
application = get_wsgi_application()
"""

DJANGO_ASGI = """
import os
from django.core.asgi import get_asgi_application
from assetbuild.asgi import serve_release

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
application = serve_release(get_asgi_application())
"""

MANAGE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""

DJANGO_PAGE = """{% load static assetbuild %}<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>assetbuild demo</title>
  <link rel="icon" href="{% static 'img/favicon.svg' %}" type="image/svg+xml">
  {% asset_tag "css/app.css" %}
  {% asset_tag "css/print.css" media="print" %}
  {% asset_tag "css/standalone.css" %}
  {% asset_tag "js/app.js" defer=True %}
</head>
<body>
  <header class="site-header">
    <div class="logo" role="img" aria-label="assetbuild"></div>
    <span class="brand-mark">ABC</span>
    <h1>assetbuild demo</h1>
  </header>
  <main><img src="{% asset_url 'img/logo.svg' %}" alt="logo" width="48" height="48"></main>
  <footer class="card"><p id="built">Scripts not loaded.</p></footer>
</body>
</html>
"""

# door -> how its server is started (module:attribute)
DOORS = {
    "wsgi": ("gunicorn", "wsgi_app:app"),
    "asgi": ("uvicorn", "asgi_app:app"),
    "asgi-mounted": ("uvicorn", "asgi_app:mounted"),
    "flask": ("gunicorn", "flask_app:app"),
    "django": ("gunicorn", "djsite.wsgi:application"),
    "django-asgi": ("uvicorn", "djsite.asgi:application"),
}


def write_apps(site: Path) -> Path:
    """The demo's sources, templates and configuration, and one app per door, in ``site``."""
    if not (site / "static_src").exists():
        shutil.copytree(REPO / "static_src", site / "static_src")
        shutil.copytree(REPO / "templates", site / "templates")
        shutil.copy(REPO / "pyproject.toml", site / "pyproject.toml")
    files = {
        "wsgi_app.py": WSGI_APP, "asgi_app.py": ASGI_APP, "flask_app.py": FLASK_APP, "manage.py": MANAGE,
        "djsite/__init__.py": "", "djsite/settings.py": DJANGO_SETTINGS, "djsite/urls.py": DJANGO_URLS,
        "djsite/wsgi.py": DJANGO_WSGI, "djsite/asgi.py": DJANGO_ASGI, "djtemplates/index.html": DJANGO_PAGE,
    }
    for rel, text in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return site


def app_env(site: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{REPO}", "DJANGO_SETTINGS_MODULE": "djsite.settings",
            "ASSETBUILD_MANIFEST": str(site / "dist/current/manifest.json"), **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real server process (gunicorn or uvicorn) on 127.0.0.1; ``stop()`` ends it."""

    def __init__(self, kind: str, target: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        port = free_port()
        argv = {
            "gunicorn": ["-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", target],
            "uvicorn": ["-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log", target],
            "runserver": ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        }[kind]
        self.log_path = Path(tempfile.mkstemp(prefix=f"{kind}-", suffix=".log")[1])
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, *argv], cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=env or app_env(cwd))
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        log = self.stop()
        raise RuntimeError(f"{kind} {target} did not start:\n{log}")

    def stop(self) -> str:
        """Stop the server; its log."""
        end_process(self.process)
        self._log.close()
        log = self.log_path.read_text()
        self.log_path.unlink(missing_ok=True)
        return log


def start(door: str, site: Path, **env: str) -> Server:
    kind, target = DOORS[door]
    return Server(kind, target, site, app_env(site, **env))


def request(base: str, method: str, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], bytes]:
    return http_get(base, path, headers, method)
