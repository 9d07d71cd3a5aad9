"""The demo page served by gunicorn with ``ASSETBUILD_URL_PREFIX`` pointed at the bucket (as at a CDN):
headless Chromium loads every asset from the S3 server, with integrity checked, and the styles apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Gunicorn
from test_browser import BRAND, load
from test_publish import published, s3  # noqa: F401 - s3 is the server fixture

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_the_page_loads_every_asset_from_the_bucket(browser, s3, built_demo: Path) -> None:  # noqa: F811
    bucket = s3.bucket(public=True)
    published(s3, built_demo, bucket)
    origin = f"{s3.url}/{bucket}/static/"
    server = Gunicorn(built_demo, workers=1, env={"ASSETBUILD_URL_PREFIX": origin})
    try:
        seen = load(browser, server.url)
    finally:
        server.stop()
    assets = {url: status for url, status in seen["responses"] if url.startswith(origin)}
    kinds = {url.split("?")[0].rsplit(".", 1)[-1] for url in assets}
    assert {"css", "js", "woff2", "png", "svg"} <= kinds, assets
    assert set(assets.values()) == {200}, assets
    assert not [url for url, _ in seen["responses"] if url.startswith(server.url + "/static/")], "none from the app"
    assert not seen["failed"] and [c for c in seen["console"] if c[0] == "error"] == []
    assert seen["header"] == BRAND, "the stylesheet from the bucket applied"
    assert seen["ready"] == "yes", "the script from the bucket ran (its integrity matched)"
    assert seen["font"], seen["fontStatus"]
