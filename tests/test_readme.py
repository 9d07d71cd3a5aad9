"""The README's examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

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
        env={"PATH": "/usr/bin:/bin", "ASSETBUILD_MANIFEST": str(built_demo / "dist/current/manifest.json")},
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
