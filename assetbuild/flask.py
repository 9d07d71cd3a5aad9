"""Flask: ``AssetBuild(app)`` or ``AssetBuild().init_app(app)``; the adapter, nothing more.

It puts ``asset_url``/``asset_tag`` into the Jinja globals, makes ``url_for("static",
filename=...)`` answer from the manifest (an unknown name raises ``AssetNotFound`` with the
closest names, never a silent 404), serves the releases through the WSGI door and adds
``flask assetbuild build|watch|verify``. Config keys: ``ASSETBUILD_MANIFEST`` (a path; default as
``Manifest.load()``), ``ASSETBUILD_SERVE`` (default True: the app serves the files itself) and
``ASSETBUILD_DEV`` (development mode; default: Flask's debug mode or ``$ASSETBUILD_DEV``).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import click
from flask import Flask

from .jinja import install
from .manifest import Manifest
from .mode import development, load_manifest
from .wsgi import serve_release

EXTENSION = "assetbuild"


class AssetBuild:
    """The manifest of one release for one or more Flask apps."""

    def __init__(self, app: Flask | None = None) -> None:
        self.manifest: Manifest | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.config.setdefault("ASSETBUILD_MANIFEST", None)
        app.config.setdefault("ASSETBUILD_SERVE", True)
        app.config.setdefault("ASSETBUILD_DEV", None)
        app.cli.add_command(assetbuild_command)
        if _running_build_command():
            return  # `flask assetbuild build` makes the manifest; it cannot need one
        dev_mode = _development(app)
        manifest = load_manifest(app.config["ASSETBUILD_MANIFEST"], follow=dev_mode)
        self.manifest = manifest
        app.extensions[EXTENSION] = self
        install(app.jinja_env, manifest)
        flask_url_for = app.url_for

        @functools.wraps(flask_url_for)
        def url_for(endpoint: str, **values: Any) -> str:
            if endpoint == "static" and "filename" in values:
                return manifest.url(values["filename"])
            return flask_url_for(endpoint, **values)

        app.url_for = url_for  # type: ignore[method-assign]  # what flask.url_for calls
        app.jinja_env.globals["url_for"] = url_for
        if app.config["ASSETBUILD_SERVE"]:
            app.wsgi_app = serve_release(app.wsgi_app, manifest)  # type: ignore[method-assign]
        if dev_mode:
            from .dev_wsgi import wrap_wsgi  # production never imports development mode

            app.wsgi_app = wrap_wsgi(app.wsgi_app, manifest)  # type: ignore[method-assign,arg-type]


def _development(app: Flask) -> bool:
    """Development mode (SPEC section 10): ``ASSETBUILD_DEV``, else Flask's debug mode, else the
    ``ASSETBUILD_DEV`` environment variable."""
    return development(app.config["ASSETBUILD_DEV"], app.debug)


def _running_build_command() -> bool:
    """``flask assetbuild ...`` loads the app to find the command; the release may not exist yet."""
    program = os.path.basename(sys.argv[0])
    is_flask = program == "flask" or sys.argv[0].endswith(os.path.join("flask", "__main__.py"))
    return is_flask and EXTENSION in sys.argv[1:]


@click.group(EXTENSION)
def assetbuild_command() -> None:
    """Build the app's assets with assetbuild."""


def _passthrough(command: str) -> click.Command:
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def run_command(args: tuple[str, ...]) -> None:
        from .cli import main

        sys.exit(main([command, *args]))

    run_command.__doc__ = f"assetbuild {command} [OPTIONS] (see `assetbuild {command} --help`)."
    return click.command(command, context_settings={"ignore_unknown_options": True})(run_command)


for _command in ("build", "watch", "verify"):
    assetbuild_command.add_command(_passthrough(_command))
