"""A running process stays on the release it loaded: a rebuild that moves `current` breaks nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Gunicorn, http_get, run_cli

from assetbuild import Manifest

ASSET_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def test_load_resolves_current_to_the_release_folder(demo: Path) -> None:
    assert run_cli("build", cwd=demo).returncode == 0
    manifest = Manifest.load(demo / "dist/current/manifest.json")
    release = (demo / "dist/current").resolve()
    assert release.parent.name == "releases"
    assert manifest.release_dir == release
    assert manifest.path == release / "manifest.json"


@pytest.mark.server
@pytest.mark.slow
def test_old_process_keeps_serving_its_page_across_a_rebuild(demo: Path) -> None:
    assert run_cli("build", cwd=demo).returncode == 0
    first = (demo / "dist/current").resolve()
    server = Gunicorn(demo, workers=2)
    try:
        page = http_get(server.url, "/")[2].decode()
        urls = sorted(set(ASSET_URL.findall(page)))
        assert len(urls) >= 4, page
        assert [http_get(server.url, u)[0] for u in urls] == [200] * len(urls)

        with open(demo / "static_src/css/base.css", "a") as f:
            f.write("\n.rebuilt { color: red }\n")
        rebuild = run_cli("build", cwd=demo)
        assert rebuild.returncode == 0, rebuild.stderr
        assert (demo / "dist/current").resolve() != first  # `current` moved to a new release

        for _ in range(4):  # every worker: each renders the old page and serves its assets
            assert http_get(server.url, "/")[2].decode() == page
        assert {u: http_get(server.url, u)[0] for u in urls} == dict.fromkeys(urls, 200)
        log = server.log_path.read_text()
    finally:
        server.stop()
    assert "Traceback" not in log and "[ERROR]" not in log, log
