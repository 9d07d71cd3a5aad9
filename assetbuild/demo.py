"""The demo site as a WSGI app: renders ``templates/`` with the manifest and serves the release.

    python build.py && gunicorn --workers 4 'assetbuild.demo:create_app()'

Reads ``$ASSETBUILD_MANIFEST`` (default dist/current/manifest.json) and
``$ASSETBUILD_TEMPLATES`` (default templates) once, at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import jinja2

from .jinja import install
from .manifest import Manifest
from .mode import development, load_manifest
from .wsgi import serve_release

PAGES = {"/": "index.html", "/about": "about.html"}


def create_app(manifest: Manifest | None = None, templates: str | None = None) -> Callable[..., Iterable[bytes]]:
    """The demo app; with ``ASSETBUILD_DEV=1`` it follows `current` and live-reloads open pages."""
    if manifest is None and development():
        from .dev_wsgi import wrap_wsgi  # production never imports development mode

        following = load_manifest(follow=True)
        return wrap_wsgi(_app(following, templates), following)  # type: ignore[arg-type]
    return _app(manifest if manifest is not None else Manifest.load(), templates)


def _app(manifest: Manifest, templates: str | None) -> Callable[..., Iterable[bytes]]:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates or os.environ.get("ASSETBUILD_TEMPLATES", "templates")),
        autoescape=True,
    )
    install(env, manifest)

    def pages(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        page = PAGES.get(environ.get("PATH_INFO", ""))
        if page is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not Found\n"]
        body = env.get_template(page).render().encode()
        start_response("200 OK", [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            ("X-Worker-Pid", str(os.getpid())),  # lets the tests see that requests spread over workers
        ])
        return [body]

    return serve_release(pages, manifest)

