"""The reference finder and rewriter, tested on strings: one row per shape a reference takes."""

from __future__ import annotations

import pytest

from assetbuild.builder import references as r


@pytest.mark.parametrize(
    ("css", "found"),
    [
        (b"a{background:url(img/a.png)}", [b"img/a.png"]),
        (b"a{background:url( 'img/a.png' )}", [b"img/a.png"]),
        (b'a{background:url("img/a b.png")}', [b"img/a b.png"]),
        (b"a{background:URL(img/a.png)}", [b"img/a.png"]),
        (b'@import "theme.css";', [b"theme.css"]),
        (b"@import 'theme.css' screen;", [b"theme.css"]),
        (b"@import url(theme.css);", [b"theme.css"]),
        (b"@font-face{src:url(f.woff2?v=2#iefix) format('woff2')}", [b"f.woff2?v=2#iefix"]),
        (b'a{content:"url(x.png)"}', []),
        (b"/* url(commented.png) */a{}", []),
        (b"a{b:url(data:image/png;base64,iVBO)}", [b"data:image/png;base64,iVBO"]),
        (b"a{}\n/*# sourceMappingURL=app.css.map */", [b"app.css.map"]),
        (b'a{content:"it\\"s url(x)"} b{c:url(y.png)}', [b"y.png"]),
        (b"a{b:url()}", [b""]),
    ],
)
def test_finds_css_references(css: bytes, found: list[bytes]) -> None:
    assert [ref.target for ref in r.find(css, "css")] == found


def test_reference_positions_are_one_based_line_and_column() -> None:
    css = b"a {}\n\n  .b { background: url(../img/x.png) }\n"
    (ref,) = r.find(css, "css")
    assert (ref.line, ref.col) == (3, 24)


@pytest.mark.parametrize(
    ("target", "local"),
    [
        ("img/a.png", True),
        ("../a.png", True),
        ("a.png?v=1", True),
        ("data:image/png;base64,xx", False),
        ("/static/a.png", False),
        ("//cdn.example.com/a.png", False),
        ("https://example.com/a.png", False),
        ("#filter", False),
        ("", False),
    ],
)
def test_what_counts_as_local(target: str, local: bool) -> None:
    assert r.is_local(target) is local


@pytest.mark.parametrize(
    ("referrer", "target", "resolved"),
    [
        ("css/app.css", "../img/a.png", "img/a.png"),
        ("css/app.css", "fonts/f.woff2?v=2#iefix", "css/fonts/f.woff2"),
        ("css/app.css", "./a%20b.png", "css/a b.png"),
        ("app.css", "../../etc/passwd", None),
        ("css/app.css", "../../etc/passwd", None),
    ],
)
def test_resolves_relative_to_the_referrer(referrer: str, target: str, resolved: str | None) -> None:
    assert r.resolve(referrer, target) == resolved


def test_js_source_mapping_comment_is_found_and_dropped() -> None:
    js = b"var a=1;\n//# sourceMappingURL=vendor.js.map\n"
    refs = r.find(js, "js")
    assert [ref.target for ref in refs] == [b"vendor.js.map"]
    out, edits = r.rewrite(js, refs, lambda ref: None)
    assert out == b"var a=1;\n"
    assert len(edits) == 1


def test_rewrite_keeps_every_other_byte() -> None:
    css = b"a{background:url( 'img/a.png?x#y' ) /* keep */}\r\n\xff\xfe"
    out, _ = r.rewrite(css, r.find(css, "css"), lambda ref: b"img/a.123.png?x#y")
    assert out == b"a{background:url( 'img/a.123.png?x#y' ) /* keep */}\r\n\xff\xfe"


@pytest.mark.parametrize(
    ("name", "hashed"),
    [
        ("css/app.css", "css/app.abc.css"),
        ("jquery.min.js", "jquery.min.abc.js"),
        ("LICENSE", "LICENSE.abc"),
        ("app.css.map", "app.css.abc.map"),
        (".htaccess", ".htaccess.abc"),
    ],
)
def test_hashed_name(name: str, hashed: str) -> None:
    assert r.hashed_name(name, "abc") == hashed


@pytest.mark.parametrize(("referrer", "target", "root", "local", "resolved"), [
    ("css/a.css", "/static/img/hero.png", "/static/", True, "img/hero.png"),
    ("css/a.css", "/static/img/my%20file.png?v=1#x", "/static/", True, "img/my file.png"),
    ("css/a.css", "/static/../secret.txt", "/static/", True, None),
    ("css/a.css", "/other/img/hero.png", "/static/", False, None),
    ("css/a.css", "/static/img/hero.png", "", False, None),
    ("css/a.css", "//cdn.example.com/static/x.png", "/", False, None),
    ("css/a.css", "/img/hero.png", "/", True, "img/hero.png"),
])
def test_root_absolute_references_under_the_prefix(
    referrer: str, target: str, root: str, local: bool, resolved: str | None
) -> None:
    assert r.is_local(target, root) is local
    if local:
        assert r.resolve(referrer, target, root) == resolved


@pytest.mark.parametrize(("prefix", "root"), [
    ("/static/", "/static/"), ("/static", "/static/"), ("https://cdn.example.com/assets/", "/assets/"),
    ("https://cdn.example.com", "/"),
])
def test_root_of_a_url_prefix(prefix: str, root: str) -> None:
    assert r.root_of(prefix) == root
