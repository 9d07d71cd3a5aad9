"""The demo app under a real gunicorn with four workers: pages, asset headers, encodings, 404s."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
import pytest
from conftest import Gunicorn, http_get


@pytest.fixture(scope="module")
def server(built_demo: Path) -> Iterator[Gunicorn]:
    g = Gunicorn(built_demo, workers=4)
    yield g
    g.stop()


@pytest.fixture(scope="module")
def manifest(built_demo: Path) -> dict:
    return json.loads((built_demo / "dist/current/manifest.json").read_text())


def test_every_asset_is_served_immutable_with_its_type(server: Gunicorn, manifest: dict, built_demo: Path) -> None:
    release = built_demo / "dist/files"
    for entry in manifest["assets"].values():
        status, headers, body = http_get(server.url, "/static/" + entry["file"])
        assert status == 200, entry["file"]
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert headers["content-type"].split(";")[0] == entry["type"]
        assert body == (release / entry["file"]).read_bytes()


@pytest.mark.parametrize(("accept", "encoding", "decode"), [
    ("br, gzip", "br", brotli.decompress),
    ("gzip", "gzip", gzip.decompress),
    ("identity", None, lambda b: b),
])
def test_precompressed_copy_chosen_by_accept_encoding(
    server: Gunicorn, manifest: dict, built_demo: Path, accept: str, encoding: str | None, decode
) -> None:
    entry = manifest["assets"]["css/app.css"]
    status, headers, body = http_get(server.url, "/static/" + entry["file"], {"Accept-Encoding": accept})
    assert status == 200
    assert headers.get("content-encoding") == encoding
    assert decode(body) == (built_demo / "dist/files" / entry["file"]).read_bytes()


@pytest.mark.parametrize("path", [
    "/static/css/app.css",
    "/static/manifest.json",
    "/static/../pyproject.toml",
    "/static/%2e%2e/pyproject.toml",
    "/static/%2E%2E/%2E%2E/etc/passwd",
    "/static/css\\..\\..\\pyproject.toml",
    "/static//etc/passwd",
    "/static/css/../../pyproject.toml",
    "/nope",
])
def test_nothing_outside_the_release_is_served(server: Gunicorn, path: str) -> None:
    status, _, body = http_get(server.url, path)
    assert status == 404, (path, body[:100])


def test_pages_are_identical_across_workers_and_restarts(server: Gunicorn) -> None:
    def fetch(_: int) -> tuple[bytes, str]:
        status, headers, body = http_get(server.url, "/")
        assert status == 200
        return body, headers["x-worker-pid"]

    with ThreadPoolExecutor(8) as pool:
        first = list(pool.map(fetch, range(200)))
    assert len({body for body, _ in first}) == 1
    pids = {pid for _, pid in first}
    assert len(pids) > 1, "200 concurrent requests should reach more than one worker"
    server.reload()
    with ThreadPoolExecutor(8) as pool:
        after = list(pool.map(fetch, range(200)))
    assert {body for body, _ in after} == {first[0][0]}
    assert not pids & {pid for _, pid in after}, "the workers were replaced"
    page = first[0][0].decode()
    assert '<link rel="stylesheet" href="/static/css/app.' in page and 'integrity="sha384-' in page


def test_cdn_prefix_in_pages(built_demo: Path) -> None:
    g = Gunicorn(built_demo, workers=1, env={"ASSETBUILD_URL_PREFIX": "https://cdn.example.com/static/"})
    try:
        status, _, body = http_get(g.url, "/about")
        assert status == 200
        assert 'href="https://cdn.example.com/static/css/app.' in body.decode()
    finally:
        g.stop()
