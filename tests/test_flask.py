"""Flask: `AssetBuild(app)` and `init_app`, `url_for("static")` from the manifest, the config keys,
a loud missing manifest and `flask assetbuild build|verify`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, render_template_string, url_for
from frameworks import app_env, write_apps

from assetbuild import AssetNotFound, ManifestError
from assetbuild.flask import AssetBuild


def manifest_of(site: Path) -> dict:
    return json.loads((site / "dist/current/manifest.json").read_text())


def test_url_for_static_answers_from_the_manifest(built_demo: Path) -> None:
    app = Flask(__name__)
    app.config["ASSETBUILD_MANIFEST"] = str(built_demo / "dist/current/manifest.json")
    extension = AssetBuild()
    extension.init_app(app)
    logo = "/static/" + manifest_of(built_demo)["assets"]["img/logo.svg"]["file"]
    with app.test_request_context("/"):
        assert url_for("static", filename="img/logo.svg") == logo
        assert render_template_string("{{ url_for('static', filename='img/logo.svg') }}") == logo
        assert render_template_string("{{ asset_url('img/logo.svg') }}") == logo
        assert url_for("static", filename="img/logo.svg", _external=True) == logo  # the prefix decides
        with pytest.raises(AssetNotFound, match=r"unknown asset 'img/logo.svgz' \(did you mean 'img/logo.svg'\?\)"):
            url_for("static", filename="img/logo.svgz")
    assert extension.manifest is not None and app.extensions["assetbuild"] is extension
    with app.test_client().get(logo, headers={"Accept-Encoding": "br"}) as response:
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
    assert app.test_client().get("/static/img/logo.svg").status_code == 404


def test_other_endpoints_are_flask_s(built_demo: Path) -> None:
    app = Flask(__name__)
    app.config.update(ASSETBUILD_MANIFEST=str(built_demo / "dist/current/manifest.json"), ASSETBUILD_SERVE=False)
    AssetBuild(app)
    app.add_url_rule("/hello/<name>", "hello", lambda name: name)
    with app.test_request_context("/"):
        assert url_for("hello", name="x") == "/hello/x"
    # ASSETBUILD_SERVE = False: the files are served elsewhere (a CDN, nginx)
    logo = "/static/" + manifest_of(built_demo)["assets"]["img/logo.svg"]["file"]
    assert app.test_client().get(logo).status_code == 404


def test_a_missing_manifest_fails_at_start(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config["ASSETBUILD_MANIFEST"] = str(tmp_path / "dist/current/manifest.json")
    with pytest.raises(ManifestError, match="no manifest here"):
        AssetBuild(app)


def test_flask_assetbuild_build_and_verify(tmp_path: Path) -> None:
    site = write_apps(tmp_path / "site")

    def flask(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "flask_app", "assetbuild", *args], cwd=site,
                              capture_output=True, text=True, env=app_env(site), timeout=300)

    built = flask("build")  # before any release exists: the app loads without one for this command
    assert built.returncode == 0, built.stderr
    assert "release" in built.stdout and (site / "dist/current/manifest.json").is_file()
    verified = flask("verify")
    assert verified.returncode == 0 and "release intact" in verified.stdout
    assert flask("build", "--jobs", "0").returncode == 2  # the command line's own options and checks


def test_development_mode_follows_current_and_adds_the_client(tmp_path: Path) -> None:
    from conftest import run_cli

    site = write_apps(tmp_path / "site")
    assert run_cli("build", cwd=site).returncode == 0
    app = Flask(__name__, template_folder=str(site / "templates"))
    app.config.update(ASSETBUILD_MANIFEST=str(site / "dist/current/manifest.json"), ASSETBUILD_DEV=True)
    AssetBuild(app)
    app.add_url_rule("/", "index", lambda: render_template_string(
        "<html><head>{{ asset_tag('css/standalone.css') }}</head><body>"
        "{{ url_for('static', filename='css/standalone.css') }}</body></html>"))
    client = app.test_client()
    first = client.get("/").get_data(as_text=True)
    assert "__assetbuild__/client.js" in first
    (site / "static_src/css/theme.css").write_text(".theme { color: #c53030; }\n")
    assert run_cli("build", cwd=site).returncode == 0
    second = client.get("/").get_data(as_text=True)
    new_url = "/static/" + manifest_of(site)["assets"]["css/standalone.css"]["file"]
    assert new_url not in first and second.count(new_url) == 2  # the tag and url_for, without a restart
    with client.get(new_url) as response:
        assert response.status_code == 200


def test_production_does_not_import_development_mode(built_demo: Path) -> None:
    code = (
        "import sys\nfrom flask import Flask\nfrom assetbuild.flask import AssetBuild\n"
        f"app = Flask('x')\napp.config['ASSETBUILD_MANIFEST'] = {str(built_demo / 'dist/current/manifest.json')!r}\n"
        "AssetBuild(app)\nprint('assetbuild.dev' in sys.modules)\n"
    )
    env = {k: v for k, v in app_env(built_demo).items() if k != "ASSETBUILD_DEV"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
