"""The manifest's bytes and its release id, made piece by piece, are byte for byte what whole-text encoding gives."""

from __future__ import annotations

import hashlib
import json

import pytest

from assetbuild.builder import manifest_text
from assetbuild.builder.release import dump_manifest


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
def test_the_manifest_text_is_what_whole_text_encoding_gives(doc: dict[str, object]) -> None:
    def dump(value: object) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))

    lines = []  # the text as one join of lines: one asset a line
    for key, value in sorted(doc.items()):
        if key == "assets" and value:
            rows = ",\n".join(f"    {dump(name)}: {dump(entry)}" for name, entry in sorted(value.items()))
            lines.append(f'  "assets": {{\n{rows}\n  }}')
        else:
            lines.append(f"  {dump(key)}: {dump(value)}")
    assert dump_manifest(doc) == ("{\n" + ",\n".join(lines) + "\n}\n").encode()
    assert json.loads(dump_manifest(doc)) == doc
    compact = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert manifest_text.compact_sha256(doc) == hashlib.sha256(compact).hexdigest()
