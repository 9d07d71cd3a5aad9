"""A real ES module library from npm, published file by file: every specifier still lands."""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path

import pytest
from conftest import load_manifest, run_cli, write_project

from assetbuild.builder.js_modules import scan

pytestmark = pytest.mark.npm
# lodash-es writes every specifier as from './x.js' (some without a semicolon, which Django's
# regexes miss): a plain pattern counts them independently of the parser under test.
LODASH_SPECIFIER = re.compile(rb"""\bfrom\s*'(\.{1,2}/[^']+)'""")


def relative_specifiers(folder: Path) -> dict[str, list[str]]:
    """file (relative to ``folder``) -> its relative specifiers, as the parser finds them."""
    found = {}
    for path in sorted(folder.rglob("*.js")):
        refs = scan(path.read_bytes()).specifiers
        found[path.relative_to(folder).as_posix()] = [r.text for r in refs if r.text.startswith(("./", "../"))]
    return found


def test_lodash_es_every_specifier_points_into_the_release(npm_package, tmp_path: Path) -> None:
    package = npm_package("lodash-es", "4.17.21")
    root = write_project(tmp_path / "p", {})
    shutil.copytree(package, root / "static_src/vendor/lodash-es")
    sources = relative_specifiers(root / "static_src")
    expected = sum(len(LODASH_SPECIFIER.findall(p.read_bytes())) for p in (root / "static_src").rglob("*.js"))
    assert sum(map(len, sources.values())) == expected > 1000

    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    release = root / "dist/files"
    files = {entry["file"] for entry in load_manifest(root / "dist")["assets"].values()}
    published = relative_specifiers(release)
    assert sum(map(len, published.values())) == expected
    for file, specifiers in published.items():
        for specifier in specifiers:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(file), specifier))
            assert target in files, f"{file}: {specifier!r} is not in the release"
            assert re.search(r"\.[0-9a-f]{12}\.js$", target), target
