"""The manifest's bytes, written line by line, are what whole-text encoding gives; its release id
is the hash of the same text without the id's line."""

from __future__ import annotations

import hashlib
import json

import pytest

from assetbuild.builder.release import dump_manifest, manifest_and_id, release_id


def asset(i: int) -> dict[str, object]:
    return {"file": f"d/f{i}.0123456789ab.txt", "size": i, "integrity": "sha384-AbC+/=", "type": "text/plain",
            "encodings": {"gzip": f"d/f{i}.txt.gz", "br": f"d/f{i}.txt.br"} if i % 2 else {},
            "sources": [f"d/f{i}.txt"], "references": [],
            **({"imports": ["a.js"], "dynamic_imports": []} if i % 3 else {})}


def document(count: int, **extra: object) -> dict[str, object]:
    return {"version": 1, "url_prefix": "/static/", "assets": {f"d/f{i}.txt": asset(i) for i in range(count)},
            **extra}


def whole_text(doc: dict[str, object]) -> bytes:
    def dump(value: object) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))

    lines = []  # the text as one join of lines: one asset a line
    for key, value in sorted(doc.items()):
        if key == "assets" and value:
            rows = ",\n".join(f"    {dump(name)}: {dump(entry)}" for name, entry in sorted(value.items()))
            lines.append(f'  "assets": {{\n{rows}\n  }}')
        else:
            lines.append(f"  {dump(key)}: {dump(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode()


@pytest.mark.parametrize("doc", [
    document(0),
    document(1),
    document(1100, importmap={"vue": "/static/vue.js", "a": {}}, modules="keep"),
    {"version": 1, "url_prefix": "/é/", "assets": {"b é/\"x\n.js": {"file": "x\u2028.js", "sources": ["a\\b"],
                                                                   "size": 1.5, "none": None, "yes": True}}},
], ids=["empty", "one", "1100-with-importmap", "unicode-and-escapes"])
def test_the_manifest_text_and_its_release_id(doc: dict[str, object]) -> None:
    assert dump_manifest(doc) == whole_text(doc)
    manifest, release = manifest_and_id(doc)
    assert release == hashlib.sha256(whole_text(doc)).hexdigest()[:16]
    assert manifest == whole_text({**doc, "release": release})
    assert json.loads(manifest) == {**doc, "release": release}
    assert release_id(json.loads(manifest)) == release
    assert release_id({**json.loads(manifest), "url_prefix": "/other/"}) != release
