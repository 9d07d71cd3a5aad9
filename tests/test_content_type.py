"""The manifest's content types: asked once per suffix, the same answer as mimetypes gives the whole name."""

from __future__ import annotations

import pytest

from assetbuild.builder.release import _types, content_type

NAMES = ["css/app.css", "A.CSS", "f/a.woff2", "a.map", "js/x.mjs", "a.tar.gz", "x.svgz", "x.tgz", "a.json.br",
         "LICENSE", ".htaccess", "a/.b.css", "a/..x", "a.b/c", "a/b.", "a/...css", "a:b.css", "img/i.SVG", "b.bz2"]


@pytest.mark.parametrize("name", NAMES)
def test_a_content_type_is_what_the_whole_name_gives(name: str) -> None:
    assert content_type(name) == (_types().guess_type(name, strict=False)[0] or "application/octet-stream")


def test_known_types() -> None:
    assert [content_type(n) for n in ("f/a.woff2", "js/x.mjs", "a.map", "LICENSE")] == [
        "font/woff2", "text/javascript", "application/json", "application/octet-stream"]
