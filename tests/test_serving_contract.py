"""One serving contract, every door: the same table of requests against WSGI, ASGI (as middleware
and mounted), Flask and Django, each a real server process serving release B with A kept beside it."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from conftest import run_cli
from frameworks import DOORS, Server, request, start, write_apps

pytestmark = pytest.mark.server
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built twice: release A, then B with a changed stylesheet; B is current."""
    site = write_apps(tmp_path_factory.mktemp("contract") / "site")
    assert run_cli("build", cwd=site).returncode == 0
    theme = site / "static_src/css/theme.css"
    theme.write_text(theme.read_text() + "\n.release-b { color: #123456; }\n")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope="module", params=list(DOORS))
def door(request: pytest.FixtureRequest, site: Path) -> Iterator[Server]:
    server = start(request.param, site)
    yield server
    server.stop()


def releases(site: Path) -> tuple[dict, dict]:
    """(previous, current) manifests."""
    current = (site / "dist/current").resolve()
    previous = next(p for p in (site / "dist/releases").iterdir() if p != current and not p.name.startswith("."))
    return (json.loads((previous / "manifest.json").read_text()), json.loads((current / "manifest.json").read_text()))


def target(site: Path, which: str) -> tuple[str, Path]:
    """The URL and the file on disk of a table row's target."""
    previous, current = releases(site)
    manifest, name = {"css": (current, "css/app.css"), "old": (previous, "css/standalone.css"),
                      "js": (current, "js/app.js")}[which]
    return "/static/" + manifest["assets"][name]["file"], site / "dist/files"


def identity(body: bytes) -> bytes:
    return body


# (id, method, target or literal path, request headers, status, content-encoding, body decoder)
ROWS = [
    ("immutable", "GET", "css", {}, 200, None, identity),
    ("js", "GET", "js", {}, 200, None, identity),
    ("brotli", "GET", "css", {"Accept-Encoding": "gzip, deflate, br"}, 200, "br", brotli.decompress),
    ("gzip", "GET", "css", {"Accept-Encoding": "gzip"}, 200, "gzip", gzip.decompress),
    ("br refused by q=0", "GET", "css", {"Accept-Encoding": "br;q=0, gzip"}, 200, "gzip", gzip.decompress),
    ("all refused", "GET", "css", {"Accept-Encoding": "br;q=0, gzip;q=0"}, 200, None, identity),
    ("identity only", "GET", "css", {"Accept-Encoding": "identity"}, 200, None, identity),
    ("HEAD", "HEAD", "css", {}, 200, None, None),
    ("previous kept release", "GET", "old", {"Accept-Encoding": "br"}, 200, "br", brotli.decompress),
    ("manifest", "GET", "/static/manifest.json", {}, 404, None, None),
    ("unhashed name", "GET", "/static/css/app.css", {}, 404, None, None),
    ("a folder", "GET", "/static/css/", {}, 404, None, None),
    ("dot dot", "GET", "/static/../pyproject.toml", {}, 404, None, None),
    ("encoded dot dot", "GET", "/static/%2e%2e/pyproject.toml", {}, 404, None, None),
    ("encoded dot dot twice", "GET", "/static/css/%2E%2E/%2E%2E/pyproject.toml", {}, 404, None, None),
    ("backslashes", "GET", "/static/css\\..\\..\\pyproject.toml", {}, 404, None, None),
    ("hashed but unknown", "GET", "/static/css/app.0123456789ab.css", {}, 404, None, None),
]


@pytest.mark.parametrize(("row", "method", "what", "headers", "status", "encoding", "decode"), ROWS,
                         ids=[row[0] for row in ROWS])
def test_contract(door: Server, site: Path, row: str, method: str, what: str, headers: dict, status: int,
                  encoding: str | None, decode) -> None:
    path, release = target(site, what) if not what.startswith("/") else (what, None)
    got, response, body = request(door.url, method, path, headers)
    assert got == status, (row, path, body[:200])
    if status == 404:
        assert b"pyproject" not in body and b"tool.assetbuild" not in body
        return
    file = release / path.removeprefix("/static/")
    assert response["cache-control"] == IMMUTABLE
    assert response["content-type"].split(";")[0] == ("text/css" if file.suffix == ".css" else "text/javascript")
    assert response.get("content-encoding") == encoding
    if (release / (file.name + ".br")).exists() or file.with_name(file.name + ".br").exists():
        assert "accept-encoding" in response.get("vary", "").lower()
    assert response["etag"].startswith('"')
    if decode is None:
        assert body == b"" and int(response["content-length"]) == file.stat().st_size
    else:
        assert decode(body) == file.read_bytes()
        assert int(response["content-length"]) == len(body)


def test_matching_etag_is_304_and_another_is_200(door: Server, site: Path) -> None:
    path, _ = target(site, "css")
    _, first, _ = request(door.url, "GET", path)
    status, headers, body = request(door.url, "GET", path, {"If-None-Match": first["etag"]})
    assert (status, body) == (304, b"")
    assert headers["etag"] == first["etag"] and headers["cache-control"] == IMMUTABLE
    status, _, body = request(door.url, "GET", path, {"If-None-Match": '"something-else"'})
    assert status == 200 and body


def test_the_page_is_still_the_app(door: Server) -> None:
    status, _, body = request(door.url, "GET", "/")
    assert status == 200 and b'integrity="sha384-' in body and b"/static/css/app." in body
