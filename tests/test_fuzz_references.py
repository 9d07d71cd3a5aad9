"""Property tests of the reference finder and rewriter on random CSS-like text."""

from __future__ import annotations

import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetbuild.builder import references as r
from assetbuild.builder import sourcemaps

EXAMPLES = 3000
PIECES = st.sampled_from([
    "url(", ")", "url(img/a.png)", "url('b c.png?x=1#f')", 'url("../d.svg")', "@import ", '"theme.css"',
    "'x.css'", "/*", "*/", "/*# sourceMappingURL=a.css.map */", "//# sourceMappingURL=a.js.map\n", "\\",
    '"', "'", "\n", "\r\n", " ", ";", "{", "}", "a", "data:image/png;base64,AA==", "#frag", "//cdn.x/y.png",
    "é", "\x00", "url( ", "URL(", "@IMPORT", "\ufeff",
])
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=40).map("".join)
DATA = st.one_of(TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=200))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stable(ref: r.Reference) -> bytes:
    """An idempotent renaming: a renamed target is left as it is."""
    if ref.target.startswith(b"h_"):
        return ref.target
    return b"h_%08x" % zlib.crc32(ref.target)


@SETTINGS
@given(DATA, st.sampled_from(["css", "js"]))
def test_finder_never_raises_and_spans_are_exact(data: bytes, kind: str) -> None:
    for ref in r.find(data, kind):
        assert data[ref.start:ref.end] == ref.target
        assert ref.line == data.count(b"\n", 0, ref.start) + 1
        r.is_local(ref.text)
        r.resolve("css/app.css", ref.text)


@SETTINGS
@given(DATA, st.sampled_from(["css", "js"]))
def test_keeping_every_reference_keeps_every_byte(data: bytes, kind: str) -> None:
    out, edits = r.rewrite(data, r.find(data, kind), lambda ref: ref.target)
    assert out == data and edits == []


@SETTINGS
@given(TEXT.filter(lambda t: "url(" not in t.lower() and "@import" not in t.lower()
                   and "sourcemappingurl" not in t.lower()))
def test_text_without_references_is_untouched(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    assert r.find(data, "css") == []
    assert r.rewrite(data, [], stable)[0] == data


@SETTINGS
@given(DATA)
def test_rewriting_twice_equals_rewriting_once(data: bytes) -> None:
    once, _ = r.rewrite(data, r.find(data, "css"), stable)
    twice, _ = r.rewrite(once, r.find(once, "css"), stable)
    assert twice == once


@SETTINGS
@given(st.lists(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 3), st.integers(0, 99),
                                   st.integers(0, 99)), max_size=6), min_size=1, max_size=5))
def test_source_map_mappings_round_trip(lines: list) -> None:
    absolute = []
    for segments in lines:
        col, line_segments = 0, []
        for delta, source, line, column in segments:
            col += delta
            line_segments.append([col, source, line, column])
        absolute.append(line_segments)
    assert sourcemaps.decode(sourcemaps.encode(absolute)) == absolute
