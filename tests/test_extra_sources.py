"""Several source folders (what Django's static finders give the build): the configured source
first, then each extra folder under its prefix; the first folder that has a name wins."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import write_project

from assetbuild.builder.config import load_config
from assetbuild.builder.entry import build
from assetbuild.errors import BuildFailed


def files(folder: Path, tree: dict[str, str]) -> Path:
    for rel, text in tree.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


def test_first_folder_wins_and_prefixes_apply(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"css/site.css": ".own{}\n", "shared/x.txt": "from source\n"})
    app_static = files(tmp_path / "app/static", {"shared/x.txt": "from the app\n", "app/a.css":
                                                 ".a{background:url(../shared/x.txt)}\n"})
    vendor = files(tmp_path / "vendor", {"lib.js": "var lib = 1;\n", "shared/x.txt": "from vendor\n"})
    config = dataclasses.replace(load_config(cwd=root), extra_sources=(("", app_static), ("vendor/", vendor)))
    result = build(config, jobs=1, use_cache=False, warn=lambda _: None)
    release = result.path
    assets = json.loads((release / "manifest.json").read_text())["assets"]
    assert {"css/site.css", "shared/x.txt", "app/a.css", "vendor/lib.js", "vendor/shared/x.txt"} == set(assets)
    assert (root / "dist/files" / assets["shared/x.txt"]["file"]).read_text() == "from source\n"
    assert (root / "dist/files" / assets["vendor/shared/x.txt"]["file"]).read_text() == "from vendor\n"
    # a file from one folder references a file that another folder provides, by logical name
    hashed = assets["shared/x.txt"]["file"].rsplit("/", 1)[1]
    assert f"url(../shared/{hashed})" in (root / "dist/files" / assets["app/a.css"]["file"]).read_text()


def test_a_missing_source_is_fine_when_other_folders_are_given(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.assetbuild]\ntemplates = ""\n')
    config = load_config(cwd=root)
    with pytest.raises(BuildFailed, match="'source' folder .*static_src does not exist"):
        build(config, jobs=1, use_cache=False)
    extra = files(tmp_path / "static", {"a.txt": "a\n"})
    result = build(dataclasses.replace(config, extra_sources=(("", extra),)), jobs=1, use_cache=False)
    assert (result.path / "manifest.json").is_file()
