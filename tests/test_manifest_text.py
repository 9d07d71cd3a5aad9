"""The manifest's text, encoded a few hundred assets at a time, is byte for byte what json.dumps gives."""

from __future__ import annotations

import hashlib
import json

import pytest

from assetbuild.builder import manifest_text


def asset(i: int) -> dict[str, object]:
    return {"file": f"d/f{i}.0123456789ab.txt", "size": i, "integrity": "sha384-AbC+/=", "type": "text/plain",
            "encodings": {"gzip": f"d/f{i}.txt.gz", "br": f"d/f{i}.txt.br"} if i % 2 else {},
            "sources": [f"d/f{i}.txt"], "references": [],
            **({"imports": ["a.js"], "dynamic_imports": []} if i % 3 else {})}


def document(count: int, **extra: object) -> dict[str, object]:
    return {"version": 1, "url_prefix": "/static/", "assets": {f"d/f{i}.txt": asset(i) for i in range(count)},
            **extra}


@pytest.mark.parametrize("doc", [
    document(0),
    document(1),
    document(512),  # exactly one group
    document(513),  # a group and one more
    document(1100, importmap={"vue": "/static/vue.js", "a": {}}, modules="keep", release="0123456789abcdef"),
    {"version": 1, "url_prefix": "/é/", "assets": {"b é/\"x\n.js": {"file": "x\u2028.js", "sources": ["a\\b"],
                                                                   "size": 1.5, "none": None, "yes": True}}},
], ids=["empty", "one", "512", "513", "1100-with-importmap", "unicode-and-escapes"])
def test_the_manifest_text_is_what_json_dumps_gives(doc: dict[str, object]) -> None:
    indented = json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert manifest_text.indented(doc) == indented.encode()
    compact = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert manifest_text.compact_sha256(doc) == hashlib.sha256(compact).hexdigest()
