"""The real third-party corpus (Bootstrap 5, Font Awesome, Bulma, bootstrap-icons, jQuery, d3, Vue...)
built end to end: every url() in every stylesheet of the release must lead to a file of the release."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import REPO, run_cli

pytestmark = pytest.mark.corpus
MAKE_CORPUS = REPO / "bench" / "make_corpus.py"
URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(MAKE_CORPUS), str(out)], check=True, capture_output=True)
    bundles = json.loads((out / "bundles.json").read_text())
    lines = ["[tool.assetbuild]", 'templates = ""', "[tool.assetbuild.bundles]"]
    lines += [f"{json.dumps(name)} = {json.dumps(inputs)}" for name, inputs in bundles.items()]
    (out / "pyproject.toml").write_text("\n".join(lines) + "\n")
    result = run_cli("build", "--json", cwd=out, timeout=900)
    assert result.returncode == 0, result.stderr
    return out


def test_every_url_in_every_stylesheet_resolves(corpus: Path) -> None:
    release = corpus / "dist" / "files"  # the store: the one release's files
    stylesheets = sorted(release.rglob("*.css"))
    assert len(stylesheets) == 3  # the three CSS bundles; their inputs are not published
    checked = 0
    for css in stylesheets:
        for match in URL.finditer(css.read_text(encoding="utf-8")):
            url = next(g for g in match.groups() if g is not None)
            if not url or url.startswith(("data:", "#", "/", "http:", "https:")):
                continue
            path = unquote(re.split(r"[?#]", url)[0])
            assert (css.parent / path).resolve().is_file(), f"{css.relative_to(release)}: {url}"
            assert re.search(r"\.[0-9a-f]{12}(\.[^./]+)?$", path), f"not a hashed name: {url}"
            checked += 1
    assert checked > 10, checked


def test_corpus_release_verifies_and_has_maps_and_copies(corpus: Path) -> None:
    assert run_cli("verify", cwd=corpus).returncode == 0
    manifest = json.loads((corpus / "dist/current/manifest.json").read_text())["assets"]
    assert "css/app.css.map" in manifest, "the Sass-only bundle gets a source map"
    assert "css/admin.css.map" not in manifest, "a joined and minified bundle gets none"
    assert set(manifest["js/vendor.js"]["encodings"]) == {"gzip", "br"}
    assert manifest["webfonts/fa-solid-900.woff2"]["encodings"] == {}


def test_corpus_rebuild_writes_nothing(corpus: Path) -> None:
    before = os.readlink(corpus / "dist/current")
    result = run_cli("build", "--json", cwd=corpus, timeout=900)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["created"] is False and report["switched"] is False
    assert os.readlink(corpus / "dist/current") == before
