"""A rolling deploy: processes on releases A and B behind one balancer each serve both pages'
assets (B built after A's process started); after A is pruned, A's URLs are 404 everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_cli
from frameworks import request, start, write_apps

pytestmark = [pytest.mark.server, pytest.mark.slow]


def asset_urls(page: bytes) -> set[str]:
    return set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.decode()))


@pytest.mark.parametrize("door", ["wsgi", "asgi"])
def test_each_process_serves_both_releases_until_one_is_pruned(tmp_path: Path, door: str) -> None:
    site = write_apps(tmp_path / "site")
    assert run_cli("build", cwd=site).returncode == 0
    on_a = start(door, site)
    try:
        (site / "static_src/css/theme.css").write_text(".theme { border-top: 3px solid #c53030; }\n")
        (site / "static_src/js/main.js").write_text((site / "static_src/js/main.js").read_text() + "\n// B\n")
        assert run_cli("build", cwd=site).returncode == 0
        on_b = start(door, site)
        try:
            page_a, page_b = request(on_a.url, "GET", "/")[2], request(on_b.url, "GET", "/")[2]
            only_a, only_b = asset_urls(page_a) - asset_urls(page_b), asset_urls(page_b) - asset_urls(page_a)
            assert only_a and only_b, "the two releases differ in the pages' assets"
            for url in asset_urls(page_a) | asset_urls(page_b):
                for process in (on_a, on_b):
                    status, _, _ = request(process.url, "GET", url, {"Accept-Encoding": "br, gzip"})
                    assert status == 200, (url, process.url)

            result = run_cli("clean", "--keep", "1", cwd=site)
            assert result.returncode == 0, result.stderr
            for process in (on_a, on_b):
                for url in only_a:
                    assert request(process.url, "GET", url)[0] == 404, url
                for url in only_b:
                    assert request(process.url, "GET", url)[0] == 200, url
        finally:
            log_b = on_b.stop()
    finally:
        log_a = on_a.stop()
    assert "Traceback" not in log_a + log_b
