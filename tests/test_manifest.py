"""The run-time manifest reader: lookups, prefixes, and a clear error for every bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assetbuild import AssetNotFound, Manifest, ManifestError
from assetbuild.manifest import MAX_MANIFEST_BYTES

DOC = {
    "version": 1,
    "release": "abc",
    "url_prefix": "/static/",
    "future_key": {"ignored": True},
    "assets": {
        "css/app.css": {"file": "css/app.111111111111.css", "integrity": "sha384-x", "type": "text/css",
                        "size": 3, "encodings": {}, "new_field": 1},
        "css/admin.css": {"file": "css/admin.222222222222.css", "integrity": "sha384-y", "type": "text/css"},
        "js/app.js": {"file": "js/app.333333333333.js", "integrity": "sha384-z", "type": "text/javascript"},
    },
}


@pytest.fixture
def manifest_file(tmp_path: Path) -> Path:
    path = tmp_path / "release" / "manifest.json"
    path.parent.mkdir()
    path.write_text(json.dumps(DOC))
    return path


def test_lookups(manifest_file: Path) -> None:
    m = Manifest.load(manifest_file)
    assert m.url("css/app.css") == "/static/css/app.111111111111.css"
    assert m.integrity("js/app.js") == "sha384-z"
    assert "css/app.css" in m and "css/nope.css" not in m
    assert m.release == "abc" and len(m) == 3


def test_unknown_name_is_a_lookup_error_naming_the_closest(manifest_file: Path) -> None:
    m = Manifest.load(manifest_file)
    with pytest.raises(LookupError) as caught:
        m.url("css/ap.css")
    assert isinstance(caught.value, AssetNotFound)
    assert str(caught.value) == "unknown asset 'css/ap.css' (did you mean 'css/app.css' or 'css/admin.css'?)"


def test_path_from_environment_then_default(manifest_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETBUILD_MANIFEST", str(manifest_file))
    assert Manifest.load().path == manifest_file
    monkeypatch.delenv("ASSETBUILD_MANIFEST")
    monkeypatch.chdir(manifest_file.parent.parent)
    with pytest.raises(ManifestError, match=r"dist/current/manifest.json: no manifest here"):
        Manifest.load()


@pytest.mark.parametrize("prefix", ["https://cdn.example.com/assets/", "https://cdn.example.com/assets"])
def test_prefix_override_with_a_cdn(manifest_file: Path, monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    monkeypatch.setenv("ASSETBUILD_URL_PREFIX", prefix)
    m = Manifest.load(manifest_file)
    assert m.url("js/app.js") == "https://cdn.example.com/assets/js/app.333333333333.js"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"version": 1, "assets": {"a": ', "malformed JSON"),
        (b"", "malformed JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2, 3]", "not an assetbuild manifest"),
        (b'{"version": 1, "assets": []}', "'assets' is not an object"),
        (b'{"version": 1, "assets": {"a.css": {"size": 1}}}', "asset 'a.css' has no 'file'"),
        (b'{"version": "1", "assets": {}}', "'version' is '1', not a number"),
        (b'{"version": 2, "assets": {}}', "manifest version 2 is newer than this assetbuild reads"),
    ],
)
def test_bad_manifests_fail_at_load_naming_path_and_problem(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    with pytest.raises(ManifestError) as caught:
        Manifest.load(path)
    assert str(caught.value).startswith(str(path))
    assert problem in str(caught.value)


def test_a_folder_and_a_huge_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="is a folder, not a manifest file"):
        Manifest.load(tmp_path)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(MAX_MANIFEST_BYTES + 1)  # sparse: refused by its size, never read
    with pytest.raises(ManifestError, match="larger than"):
        Manifest.load(huge)


def test_unreadable_file(tmp_path: Path) -> None:
    link = tmp_path / "loop.json"
    link.symlink_to(link)
    with pytest.raises(ManifestError, match="cannot read"):
        Manifest.load(link)
